"""What the benchmark scripts share: a built site served on 127.0.0.1, and a Node.js program
run with a JSON input. Beside the scripts (each puts scripts/ on sys.path, as the tests'
conftest does: tests/browser.py serves built sites with `served`), not in the package: nothing
the hub ships uses it."""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

#: what `node` puts before a program: `input`, the payload read as JSON from stdin (an
#: argument would be limited in size)
READ_STDIN = """
const input = JSON.parse(await new Promise((done) => {
  let data = "";
  process.stdin.on("data", (chunk) => (data += chunk));
  process.stdin.on("end", () => done(data));
}));
"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """One line per request is noise here."""


@contextmanager
def served(site: Path) -> Iterator[str]:
    """`site` served over HTTP on 127.0.0.1 (a free port) while the block runs: its base URL."""
    handler = functools.partial(_Quiet, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True  # a request still open (a browser's) never holds the close
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def node(
    program: str, payload: Any, *, cwd: Path | None = None, timeout: float | None = None
) -> subprocess.CompletedProcess[str] | None:
    """Run `program`, an ES module whose `input` is `payload`, with Node.js: its output (the
    caller reads `stdout` and decides what a failure means), or None without Node.js."""
    binary = shutil.which("node")
    if binary is None:
        return None
    return subprocess.run(
        [binary, "--input-type=module", "-e", READ_STDIN + program],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=cwd,
    )
