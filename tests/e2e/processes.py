"""Real `assetgraph` processes for end-to-end tests: start, wait until ready, stop."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.conftest import FILE_URL_SECRET
from tests.e2e.test_serve import free_port


class Process:
    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._log = log.open("w")
        self.popen = subprocess.Popen([sys.executable, "-m", "api.cli", *args], env=env,
                                      stdout=self._log, stderr=subprocess.STDOUT, text=True)

    def output(self) -> str:
        return self.log.read_text()

    def stop(self, sig: int = signal.SIGTERM, within: float = 30) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
        code = self.popen.wait(timeout=within)
        self._log.close()
        return code


def environment(**extra: str) -> dict[str, str]:
    """A clean environment; one `serve` process unless a test asks for more (test_serve.py
    covers `--processes 2`), and a file URL secret, which production requires."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSETGRAPH_")}
    env.update({"ASSETGRAPH_PROCESSES": "1", "ASSETGRAPH_FILE_URL_SECRET": FILE_URL_SECRET,
                **extra})
    return env


def wait_ready(url: str, process: Process, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while True:
        assert process.popen.poll() is None, process.output()
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, process.output()
        time.sleep(0.05)


@contextmanager
def serve(tmp: Path, name: str, env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    process = Process(["serve", "--port", str(port)], env, tmp / f"{name}.log")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process)
        yield url
    finally:
        process.stop()


@contextmanager
def worker(tmp: Path, name: str, env: dict[str, str]) -> Iterator[Process]:
    process = Process(["worker"], env, tmp / f"{name}.log")
    try:
        yield process
    finally:
        process.stop(signal.SIGKILL if process.popen.poll() is None else signal.SIGTERM)
