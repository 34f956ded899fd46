"""What a preview (`channelhub serve`) shows of a build's problems: collected, then overlaid.

Owns the `Collector` (a logging handler that keeps the problems one preview build logs, each
attributed to the page it belongs to or to every page), the `Report` it produces, the
overlay (the problems as `path:line: message` lines in a panel the preview server adds to
each page as it sends it, so that no build output can ever carry it), and the messages
between the server and its build worker (`Start`, `Ready`, `worker`). Engine-neutral: the
worker (`channelhub.preview_build`) tells the collector which page is being built and where
a page's output goes; the server is `channelhub.preview_server`.
"""

from __future__ import annotations

import contextlib
import html
import logging
import re
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from channelhub import engine
from channelhub.problems import Severity

#: a hub problem as `Problem.__str__` writes it: "docs/articles/2026/x.md:3: message"
_HUB_PROBLEM = re.compile(r"(?P<path>[^\s:]+):\d+: ")
#: what an engine message quotes: "Doc file 'x.md' contains a link 'y.md', but ...",
#: "Snippet at path 'z.md' could not be found"
_QUOTED = re.compile(r"'([^'\n]+)'")
_BODY = re.compile(rb"<body\b[^>]*>", re.IGNORECASE)


@dataclass(frozen=True)
class Notice:
    """One problem a preview build reported, as the terminal shows it."""

    text: str
    severity: Severity
    #: the page it belongs to, as its output path under the site ("articles/x/index.html");
    #: None when it concerns every page (feeds/topics.yml, mkdocs.yml, a failed build)
    page: str | None = None


@dataclass(frozen=True)
class Report:
    """What the last preview build reported."""

    notices: tuple[Notice, ...] = ()
    #: the build stopped: every page is the last one built and shows every notice
    failed: bool = False

    def for_page(self, page: str) -> list[Notice]:
        """The notices a page shows: its own and every page's (all of them after a failure)."""
        return [n for n in self.notices if self.failed or n.page is None or n.page == page]


class Collector(logging.Handler):
    """Keeps what one preview build logs: warnings and errors (what a strict build fails on)
    and the hub's own problems, warnings included; records of other threads (the server's
    request log) are not the build's.

    `page_of` maps a file's path from the repository `root` to its page's output path (None
    for a file that is no page); `current` says which file is being built right now.
    """

    def __init__(
        self,
        root: Path,
        page_of: Callable[[str], str | None],
        current: Callable[[], str | None] = lambda: None,
    ) -> None:
        super().__init__(logging.INFO)
        self.root = root
        self.page_of = page_of
        self.current = current
        self.thread = threading.get_ident()
        self.notices: dict[Notice, None] = {}  # ordered and without repeats

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.thread:
            return
        message = record.getMessage()
        hub = _HUB_PROBLEM.match(message)
        if record.levelno < logging.WARNING and not hub:
            return
        severity: Severity = "error" if record.levelno >= logging.WARNING else "warning"
        if hub:
            page = self.page_of(hub["path"])
        elif (path := self.current()) is not None:
            page, message = self.page_of(path), f"{self._where(path, message)}: {message}"
        else:
            page = None
        self.notices[Notice(message, severity, page)] = None

    def _where(self, path: str, message: str) -> str:
        """`path:line` of the first line of the page's file that has something the engine's
        message quotes (a link, a snippet), else `path`."""
        quoted = [q for q in _QUOTED.findall(message) if not path.endswith(q)]
        if quoted:
            with contextlib.suppress(OSError, UnicodeDecodeError):
                lines = (self.root / path).read_text(encoding="utf-8").splitlines()
                for wanted in quoted:
                    for number, line in enumerate(lines, start=1):
                        if wanted in line:
                            return f"{path}:{number}"
        return path

    def report(self, failure: str | None = None) -> Report:
        """The build's report; `failure` says why it stopped when it raised."""
        notices = list(self.notices)
        if failure is not None and not any(n.severity == "error" for n in notices):
            notices.append(Notice(failure, "error"))  # nothing was logged: say what raised
        return Report(tuple(notices), failed=failure is not None)


@dataclass(frozen=True)
class Start:
    """What the server tells its build worker first: what to build, where, on which engine."""

    engine: str
    config_file: Path
    dev_addr: str
    site_dir: Path


@dataclass(frozen=True)
class Ready:
    """The worker's answer: the config it read, as the server needs it."""

    url: str  # the preview's address, e.g. "http://127.0.0.1:8000/"
    host: str
    port: int
    mount_path: str
    watch: tuple[str, ...]  # files and folders whose changes start a build


def worker(conn: Any) -> None:
    """The build worker (a `sandbox.Child`): on `Start`, run the engine in this process and
    answer `Ready` (or an error message); then one `Report` for each build asked for, until
    None, a closed pipe or SIGTERM, which the build in progress stops for."""
    signal.signal(signal.SIGTERM, interrupt)
    with contextlib.suppress(KeyboardInterrupt, EOFError, OSError):
        start: Start = conn.recv()
        engine.Engine(start.engine).activate()
        from channelhub import preview_build  # imports the engine just activated

        try:
            builds = preview_build.Builds(start)
        except preview_build.ConfigError as exc:
            conn.send(("error", str(exc)))
            return
        try:
            conn.send(("ready", builds.ready))
            while conn.recv() is not None:
                conn.send(("built", builds.build()))
                builds.tidy()  # while the browsers reload
        finally:
            builds.shutdown()


def interrupt(signum: int, frame: FrameType | None) -> None:
    """A signal handler that stops the process as Ctrl-C does, so that what it started stops
    too (the default action of SIGTERM would end it on the spot)."""
    raise KeyboardInterrupt


#: the overlay's look, self-contained: it must show on a page whatever its build left out
STYLE = """<style>
#hub-preview{position:fixed;z-index:1000;left:.5rem;right:.5rem;bottom:.5rem;max-height:45vh;
overflow:auto;background:#fff;color:#1a1a1a;border:2px solid #b71c1c;border-radius:.3rem;
box-shadow:0 .2rem .8rem rgba(0,0,0,.4);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
#hub-preview.hub-preview-warnings{border-color:#7a4a00}
#hub-preview summary{cursor:pointer;padding:.45rem .8rem;background:#b71c1c;color:#fff}
#hub-preview.hub-preview-warnings summary{background:#7a4a00}
#hub-preview summary:focus-visible{outline:3px solid #1a1a1a;outline-offset:-3px}
#hub-preview h2{display:inline;margin:0;font:inherit;font-weight:700;color:inherit}
#hub-preview p{margin:.5rem .8rem 0}
#hub-preview ul{margin:0;padding:.4rem .8rem .6rem 2rem}
#hub-preview li{margin:.3rem 0}
#hub-preview code{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;
white-space:pre-wrap;overflow-wrap:anywhere;color:inherit;background:none}
#hub-preview .hub-preview-kind{font-weight:700}
</style>"""


def overlay(notices: Sequence[Notice], *, failed: bool) -> str:
    """The panel listing `notices` (every message escaped): open when there are errors,
    folded when there are only warnings."""
    errors = sum(n.severity == "error" for n in notices)
    count = f"{len(notices)} problem{'s' * (len(notices) != 1)}"
    if failed:
        title = "The preview could not be rebuilt"
        advice = (
            "Every page shows the last build that worked until this is fixed. "
            "Save the fix and the page reloads by itself."
        )
    elif errors:
        title = f"{count} in this preview"
        advice = "channelhub build refuses the site until the errors are fixed. Save the fix and the page reloads by itself."
    else:
        title = f"{count} in this preview"
        advice = "Warnings do not stop the build; channelhub check --strict fails on them."
    items = "".join(
        f'<li><span class="hub-preview-kind">{n.severity}:</span> <code>{html.escape(n.text)}</code></li>'
        for n in notices
    )
    kind = "" if errors or failed else ' class="hub-preview-warnings"'
    opened = " open" if errors or failed else ""
    return (
        f'<aside id="hub-preview"{kind} aria-labelledby="hub-preview-title" data-hub-preview>'
        f'<details{opened}><summary><h2 id="hub-preview-title">{html.escape(title)}</h2></summary>'
        f"<p>{html.escape(advice)}</p><ul>{items}</ul></details></aside>"
    )


def decorate(page: bytes, notices: Sequence[Notice], *, failed: bool) -> bytes:
    """A page as the preview sends it: with the overlay when it has notices."""
    if not notices:
        return page
    panel = overlay(notices, failed=failed).encode()
    head_end = page.lower().find(b"</head>")
    if head_end >= 0:
        page = page[:head_end] + STYLE.encode() + page[head_end:]
    else:
        panel = STYLE.encode() + panel
    body = _BODY.search(page)
    at = body.end() if body else 0
    return page[:at] + panel + page[at:]


def placeholder(title: str, text: str) -> bytes:
    """A page of the preview's own, for a page the build has not written (yet)."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(title)}</title></head><body><main>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></main></body></html>"
    ).encode()
