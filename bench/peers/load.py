"""Load and measurement: `wrk` runs with a Lua body script, CPU time from /proc, processes.

CPU per request is the utime+stime a process tree spent during the run divided by the requests
wrk completed: the app (its process and descendants) and PostgreSQL (the postmaster, its live
children, and the children it reaped during the run).
"""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is parenthesised and may hold spaces: split after its closing paren.
    return text[text.rindex(")") + 2:].split()


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def tree_ticks(pid: int, reaped: bool = False) -> int:
    """utime+stime of `pid` and its live descendants (+ its reaped children's if asked)."""
    children = _children()
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        fields = _stat(current)
        if fields is None:
            continue
        # After the paren: state ppid ... utime(12th) stime(13th) cutime(14th) cstime(15th).
        total += int(fields[11]) + int(fields[12])
        if reaped and current == pid:
            total += int(fields[13]) + int(fields[14])
        pending.extend(children.get(current, []))
    return total


def settle(app_pid: int, pg_pid: int, limit: float = 30) -> bool:
    """Wait until the app and PostgreSQL are idle (under ~5% of a core over 0.5 s), so a
    backlog left by the previous measurement (a slow contender still working off requests
    whose clients are gone) is not charged to the next. False when `limit` seconds passed."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = tree_ticks(app_pid) + tree_ticks(pg_pid, reaped=True)
        time.sleep(0.5)
        after = tree_ticks(app_pid) + tree_ticks(pg_pid, reaped=True)
        if after - before <= max(2, CLOCK_TICKS * 0.5 * 0.05):
            return True
    return False


def postmaster_pid(pgdata: Path) -> int:
    return int((pgdata / "postmaster.pid").read_text().split()[0])


@dataclass
class Measurement:
    requests: int = 0
    rps: float = 0.0
    p50_ms: float | None = None
    p99_ms: float | None = None
    app_cpu_ms: float | None = None  # per request
    pg_cpu_ms: float | None = None  # per request
    timeouts: int = 0
    non_2xx: int = 0
    error: str | None = None
    sample: str | None = None  # the first refusal, when some responses were not 2xx
    note: str | None = None


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _duration_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if match is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> Measurement:
    m = Measurement()
    if found := re.search(r"(\d+) requests in", output):
        m.requests = int(found.group(1))
    if found := re.search(r"Requests/sec:\s+([\d.]+)", output):
        m.rps = float(found.group(1))
    if found := re.search(r"^\s+50%\s+(\S+)", output, re.M):
        m.p50_ms = _duration_ms(found.group(1))
    if found := re.search(r"^\s+99%\s+(\S+)", output, re.M):
        m.p99_ms = _duration_ms(found.group(1))
    if found := re.search(r"timeout (\d+)", output):
        m.timeouts = int(found.group(1))
    if found := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        m.non_2xx = int(found.group(1))
    if m.requests == 0:
        m.p50_ms = m.p99_ms = None
    return m


def find_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk not found: install it (Debian: apt-get update && apt-get install -y "
                         "wrk) and run again")
    return path


def _lua_string(value: str) -> str:
    level = 0
    while f"]{'=' * level}]" in value:
        level += 1
    return f"[{'=' * level}[{value}]{'=' * level}]"


def lua_script(body: bytes, headers: dict[str, str]) -> str:
    lines = ['wrk.method = "POST"', f"wrk.body = {_lua_string(body.decode())}",
             'wrk.headers["Content-Type"] = "application/json"']
    lines += [f"wrk.headers[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in headers.items()]
    # The first non-2xx response of each thread goes to stderr, so a refusal says why.
    lines += ["local told = false",
              "function response(status, headers, body)",
              "  if status >= 300 and not told then",
              "    told = true",
              '    io.stderr:write("HTTP " .. status .. ": " .. string.sub(body, 1, 200) .. "\\n")',
              "  end",
              "end"]
    return "\n".join(lines) + "\n"


def run_wrk(wrk: str, url: str, body: bytes, headers: dict[str, str], *, clients: int,
            duration: int, app_pid: int, pg_pid: int) -> Measurement:
    """One bounded wrk run with CPU accounting around it."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(lua_script(body, headers))
        script.flush()
        threads = min(2, clients)
        timeout = max(10, duration * 2)
        argv = [wrk, f"-t{threads}", f"-c{clients}", f"-d{duration}s", f"--timeout={timeout}s",
                "--latency", "-s", script.name, url]
        app0, pg0 = tree_ticks(app_pid), tree_ticks(pg_pid, reaped=True)
        try:
            done = subprocess.run(argv, capture_output=True, text=True,
                                  timeout=duration + timeout + 30)
        except subprocess.TimeoutExpired:
            return Measurement(error="wrk did not finish in time")
        app1, pg1 = tree_ticks(app_pid), tree_ticks(pg_pid, reaped=True)
    if done.returncode != 0:
        output = (done.stderr or done.stdout).strip()
        return Measurement(error=f"wrk exited {done.returncode}: {output[:200]}")
    m = parse_wrk(done.stdout)
    if m.non_2xx:
        m.sample = done.stderr.strip().splitlines()[0][:300] if done.stderr.strip() else None
    if m.requests:
        m.app_cpu_ms = (app1 - app0) / CLOCK_TICKS * 1000 / m.requests
        m.pg_cpu_ms = (pg1 - pg0) / CLOCK_TICKS * 1000 / m.requests
    if m.requests == 0:
        # A result, not a failure: too slow for this many clients within the run.
        m.note = f"no request completed within {duration} s"
    return m


class Process:
    """A contender's server process in its own session, stopped (bounded) when done."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path,
                 cwd: Path | None = None) -> None:
        self.name = name
        self.log_path = log
        self._log = log.open("w")
        self.process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, probe: Callable[[], bool], seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                if probe():
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = self.log_path.read_text()[-2000:]
                raise RuntimeError(f"{self.name} did not start:\n{tail}")
            time.sleep(0.2)

    def last_error(self) -> str:
        """The server log's last line that names an error ('' if none), for a failed check."""
        lines = [line for line in self.log_path.read_text(errors="replace").splitlines()
                 if "error" in line.lower()]
        return f" (log: {lines[-1].strip()[:300]})" if lines else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()
