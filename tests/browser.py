"""Helpers for tests that look at the built site: a real build, a local HTTP server, Chromium, axe-core.

Owns how the tests get a site to look at: `build_site` runs the real strict MkDocs build into a
folder outside the repository, `SiteServer` serves such a folder on 127.0.0.1 with a threaded
http.server, `chromium_path` finds Debian's chromium and `axe_source` reads axe-core from
node_modules (package.json pins it; `npm ci` installs it). Whatever is missing makes the test
skip with a message, except under CI=true, where it fails: CI must run every browser test.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
#: flags that keep Debian's chromium quiet and off the network in a container
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def unavailable(why: str) -> None:
    """Skip the test locally; fail it in CI, where everything it needs must be installed."""
    if in_ci():
        pytest.fail(f"{why} (CI=true: this test must run in CI)", pytrace=False)
    pytest.skip(why)


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    path = chromium_path()
    if path is None:
        unavailable("Chromium is not installed (apt-get install chromium); browser tests skipped")
    assert path is not None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        unavailable("Playwright for Python is not installed (pip install -e '.[dev]')")
    return path


@functools.cache
def axe_source() -> str:
    if not AXE.is_file():
        unavailable(f"axe-core is not installed ({AXE.relative_to(ROOT)} missing; run npm ci)")
    return AXE.read_text(encoding="utf-8")


def build_site(destination: Path, *, root: Path = ROOT) -> None:
    """The real strict build of the repository's site into `destination` (never into site/)."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(destination)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"mkdocs build failed:\n{result.stdout}\n{result.stderr}", pytrace=False)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Requests are not worth a line each in the test output."""


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve a built site on 127.0.0.1 (a free port) and yield its base URL, ending in '/'."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
