"""A real `channelhub serve` for the preview's tests: started in a repository on a free port of
127.0.0.1, in a process group of its own (so that nothing it starts can hide), its output in
a file beside the repository. Every HTTP request a test makes must be answered within a
second, while the preview builds or after a build failed.

Owns `Session` (start, ask, wait for a page or for the builds to settle, stop) and the
constants the serve tests share.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

import pytest

#: the longest any page may take to answer
ANSWER = 1.0
#: the longest a build of the demo may take on a busy 2-core machine
BUILD = 120.0
#: a piece of the demo, its page and its title
PIECE = Path("docs/articles/2026/who-owns-the-martech-budget.md")
PIECE_URL = "articles/2026/who-owns-the-martech-budget/"
TITLE = "Who Owns the Martech Budget in 2026?"
#: what a page with the problem panel has
OVERLAY = 'id="hub-preview"'
#: the preview's served folder and its build folder, under the repository
SERVED = Path(".cache", "channelhub", "serve-site")
BUILT = Path(".cache", "channelhub", "serve-site.build")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


class Session:
    """`channelhub serve` running in `repo`, its output in a file beside the repository."""

    def __init__(
        self,
        repo: Path,
        *args: str,
        env: Mapping[str, str] | None = None,
        port: int = 0,
        ignoring: tuple[signal.Signals, ...] = (),
    ) -> None:
        """Start it as a terminal starts a command in the foreground, SIGINT, SIGQUIT, SIGHUP
        and SIGTERM at their defaults whatever this process has (a test run started with `&`
        from a script ignores SIGINT and SIGQUIT, one under `nohup` SIGHUP, and a child
        inherits that), and `ignoring` those signals, as `nohup` ignores SIGHUP."""
        self.repo = repo
        self.port = port or free_port()
        # faulthandler: a stop that hangs dumps every thread of the group into the log (stop)
        self.env = {
            **os.environ, "PYTHONUNBUFFERED": "1", "PYTHONFAULTHANDLER": "1", **(env or {})
        }  # fmt: skip
        self.url = f"http://127.0.0.1:{self.port}/"
        self.output_path = repo.parent / f"serve-{self.port}.log"
        self.output: IO[bytes] = self.output_path.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "channelhub",
                "serve",
                "--dev-addr",
                f"127.0.0.1:{self.port}",
                *args,
            ],
            cwd=repo,
            env=self.env,
            stdout=self.output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=lambda: _dispose(ignoring),
        )

    def log(self) -> str:
        return self.output_path.read_text(encoding="utf-8", errors="replace")

    def get(self, path: str = "") -> tuple[int, str] | None:
        """(status, page) of one request, which must answer within ANSWER; None before the
        server listens."""
        started = time.monotonic()
        try:
            with urllib.request.urlopen(self.url + path, timeout=ANSWER + 1) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read()
        except urllib.error.URLError as error:
            if isinstance(error.reason, ConnectionRefusedError) and self.process.poll() is None:
                return None
            raise
        took = time.monotonic() - started
        assert took < ANSWER, f"/{path} took {took:.2f} s to answer\n{self.log()}"
        return status, body.decode("utf-8")

    def until(self, path: str, wanted: Callable[[int, str], bool], what: str) -> str:
        """Ask for `path` until its answer is what is `wanted`; the page."""
        deadline = time.monotonic() + BUILD
        while True:
            assert self.process.poll() is None, f"channelhub serve ended\n{self.log()}"
            answer = self.get(path)
            if answer is not None and wanted(*answer):
                return answer[1]
            if time.monotonic() > deadline:
                pytest.fail(f"/{path}: {what} not seen in {BUILD:.0f} s\n{self.log()}")
            time.sleep(0.2)

    def ready(self) -> Session:
        """The session once the piece is served without problems (a test before may have
        left a rebuild going)."""
        self.until(
            PIECE_URL,
            lambda status, page: status == 200 and TITLE in page and OVERLAY not in page,
            "the clean piece",
        )
        return self

    def stop(self, how: Callable[[int], None]) -> float:
        """Stop the session with `how(pid)`; seconds until its port was free. Asserts that
        no process of its group is left."""
        started = time.monotonic()
        how(self.process.pid)
        while listening(self.port) and time.monotonic() - started < 10:
            time.sleep(0.05)
        freed = time.monotonic() - started
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail(f"it had not exited 10 s after being stopped\n{self.post_mortem()}")
        finally:
            self.output.close()
        deadline = time.monotonic() + 5
        while group_alive(self.process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not group_alive(self.process.pid), f"a process it started is left\n{self.log()}"
        return freed

    def settle(self, detected: int) -> None:
        """Wait until the builds are done: the log, which said "Detected file changes"
        `detected` times before a change, has said it since, and every change it detected
        was built (the first build has no such line), for a second."""
        deadline = time.monotonic() + BUILD
        last: tuple[int, int] | None = None
        while True:
            assert self.process.poll() is None, f"channelhub serve ended\n{self.log()}"
            said = self.log()
            counts = (said.count("Detected file changes"), said.count("Reloading browsers"))
            if counts[0] > detected and counts[1] == counts[0] + 1:
                if counts == last:
                    return
                last = counts
                time.sleep(1.0)
                continue
            last = None
            if time.monotonic() > deadline:
                pytest.fail(f"the builds did not settle in {BUILD:.0f} s\n{said}")
            time.sleep(0.1)

    def detected(self) -> int:
        """How many changes the log has said it detected so far."""
        return self.log().count("Detected file changes")

    def post_mortem(self) -> str:
        """What the group's processes were doing: their states, then every Python thread's
        stack (SIGABRT makes faulthandler write them into the log), then the log."""
        states = subprocess.run(
            ["ps", "-o", "pid,ppid,stat,wchan:24,etime,time,args", "-g", str(self.process.pid)],
            capture_output=True, text=True, check=False,
        ).stdout  # fmt: skip
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGABRT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        time.sleep(0.5)  # the children's dumps
        return f"{states}\n{self.log()}"

    def kill(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.output.close()


def _dispose(ignoring: tuple[signal.Signals, ...]) -> None:
    """In the child before it runs the command: what a foreground job starts with (a test run
    under `nohup`, or started with `&` from a script, ignores some of these)."""
    for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGHUP, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    for sig in ignoring:
        signal.signal(sig, signal.SIG_IGN)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True
