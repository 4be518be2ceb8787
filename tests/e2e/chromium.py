"""A headless Chromium of the system's packages, driven over the DevTools protocol.

No browser is downloaded: the tests use `chromium` from PATH (Debian's package) and speak
CDP over its WebSocket with the `websockets` package. One page per `Browser`; every URL the
page requests (HTTP and WebSocket) is recorded, so a test can say none left loopback.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

CHROMIUM = shutil.which("chromium")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--remote-debugging-port=0"]


class BrowserError(AssertionError):
    pass


class Page:
    """One tab, attached in flat mode: commands carry its session id."""

    def __init__(self, connection: ClientConnection, session: str) -> None:
        self.connection = connection
        self.session = session
        self.requested: list[str] = []
        self.console_errors: list[str] = []
        self._ids = iter(range(1_000, 1_000_000))

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        message_id = next(self._ids)
        message = {"id": message_id, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        self.connection.send(json.dumps(message))
        while True:
            reply = json.loads(self.connection.recv(timeout=30))
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            if reply.get("sessionId") == self.session:
                self._record(reply)

    def _record(self, message: dict[str, Any]) -> None:
        method, params = message.get("method"), message.get("params", {})
        if method == "Network.requestWillBeSent":
            self.requested.append(params["request"]["url"])
        elif method == "Network.webSocketCreated":
            self.requested.append(params["url"])
        elif method == "Runtime.exceptionThrown":
            self.console_errors.append(params["exceptionDetails"].get("text", ""))
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            self.console_errors.append(" ".join(
                str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, *, within: float = 10) -> Any:
        """The first truthy value of `expression`, polled until `within` seconds pass."""
        deadline = time.monotonic() + within
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"not true within {within} s: {expression}\n"
                                   f"console errors: {self.console_errors}")
            time.sleep(0.1)

    def open(self, url: str) -> None:
        self.send("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete'", within=20)


@contextmanager
def page(profile: Path) -> Iterator[Page]:
    """A fresh headless Chromium with its profile in `profile`, and one blank page."""
    assert CHROMIUM is not None
    # Chromium leaves its singleton socket in TMPDIR: give it one of its own, removed after.
    # (Not inside `profile`: a socket's path must stay under 108 bytes.)
    scratch = tempfile.TemporaryDirectory(prefix="chromium-")
    process = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                               env={**os.environ, "TMPDIR": scratch.name},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 20
        while not (port_file.exists() and len(port_file.read_text().split()) == 2):
            if process.poll() is not None or time.monotonic() > deadline:
                raise BrowserError("chromium did not open its DevTools port")
            time.sleep(0.05)
        port, path = port_file.read_text().split()
        with connect(f"ws://127.0.0.1:{port}{path}", max_size=None) as connection:
            browser = Page(connection, session="")
            target = browser.send("Target.createTarget", url="about:blank")["targetId"]
            session = browser.send("Target.attachToTarget", targetId=target,
                                   flatten=True)["sessionId"]
            tab = Page(connection, session)
            for domain in ("Page", "Runtime", "Network"):
                tab.send(f"{domain}.enable")
            yield tab
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        scratch.cleanup()
