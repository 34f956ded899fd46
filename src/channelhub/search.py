"""The site's search: Pagefind's index, fed while MkDocs renders, and the markup that feeds it.

Owns two things: the `data-pagefind-*` markup a piece page carries (only pieces are indexed;
their body, not the navigation around it; kind and date as result metadata) and `LiveIndex`,
a client of Pagefind's own service (`pagefind --service`, the binary the `pagefind` package
ships): each piece's content goes to it as soon as MkDocs has rendered it, so the binary
indexes on the second core while MkDocs renders on the first, and writes the bundle while
MkDocs writes pages, with a time limit. The search dialog itself
(overrides/partials/search.html, docs/assets/hub-search.js) loads Pagefind's files lazily, on
the reader's first search, so no search data is sent with a page.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import html
import json
import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pagefind.service import get_executable

#: folder of the built site that Pagefind writes its bundle to
BUNDLE_DIR = "pagefind"
#: seconds the indexer may take to finish at the end of the build (10,000 pieces: well under a minute)
DEFAULT_TIMEOUT = 600.0
#: seconds the pagefind service may take to start
START_TIMEOUT = 60.0
#: seconds the binary may take to exit after writing the bundle before it is killed
EXIT_GRACE = 30.0
#: pages sent and not yet indexed before the build waits for Pagefind (bounds the memory in between)
IN_FLIGHT = 64
#: set to 0 to skip the index (e.g. a quick `mkdocs serve` of a huge site); search then says so
ENV_SWITCH = "CHANNELHUB_SEARCH"

#: parts of a piece page that are not its text: heading anchors, the byline (shown in the result
#: already), topic chips (a filter) and related pieces (other pieces' titles)
EXCLUDED = (".headerlink", ".hub-byline", ".hub-topics", ".hub-related")


class SearchIndexError(Exception):
    """The search index could not be built; the message says why and what to do."""


@dataclass(frozen=True)
class SearchEntry:
    """What a search result shows about a piece, beyond the excerpt Pagefind makes."""

    title: str
    kind_label: str  # Editorial | Partner | Analyst note
    date_label: str  # as readers see it, e.g. 14 January 2026


@dataclass(frozen=True)
class IndexReport:
    """What one build's index holds, and how long the build waited for it at the end."""

    pages: int
    words: int  # words indexed over all pages
    seconds: float  # from the last page sent to the bundle on disk
    bundle: Path


def enabled(environ: dict[str, str] | None = None) -> bool:
    """False when CHANNELHUB_SEARCH=0 asks to skip the index."""
    value = (environ if environ is not None else dict(os.environ)).get(ENV_SWITCH, "1")
    return value.strip().lower() not in ("0", "false", "no", "off")


def piece_html(content: str, entry: SearchEntry) -> str:
    """A piece's rendered content wrapped so that Pagefind indexes it, and only it.

    The title goes inside the indexed body as the page's h1 (Material then leaves out its
    own), so words of the title are found and rank high; the metadata sits in a hidden
    block Pagefind reads but does not index as text.
    """
    # No data-pagefind-filter: the dialog offers no filters, and Pagefind fetches a site's
    # filter file with every first query (38 KB at 10,000 pieces).
    meta = [
        f'<span data-pagefind-meta="kind">{html.escape(entry.kind_label)}</span>',
        f'<span data-pagefind-meta="date">{html.escape(entry.date_label)}</span>',
    ]
    heading = "" if "<h1" in content else f"<h1>{html.escape(entry.title)}</h1>\n"
    return (
        '<div class="hub-search-body" data-pagefind-body>\n'
        f"{heading}"
        f"<div hidden data-pagefind-ignore>{''.join(meta)}</div>\n"
        f"{content}\n</div>"
    )


def document(content: str, language: str = "en") -> str:
    """A piece's marked-up content as the HTML document Pagefind indexes.

    Only the content, not the whole themed page: Pagefind indexes the data-pagefind-body part
    either way, and a third of the bytes is a third of the parsing.
    """
    return (
        f'<!doctype html><html lang="{html.escape(language)}"><head><meta charset="utf-8">'
        f"</head><body>{content}</body></html>"
    )


class _Reply:
    """The answer to one request, filled in by the reader thread."""

    def __init__(self, url: str = "") -> None:
        self.url = url  # the page's URL for AddFile, else empty
        self.done = threading.Event()
        self.payload: dict[str, Any] = {}
        self.error: str | None = None


class LiveIndex:
    """A Pagefind index filled during the build: `pagefind --service`, spoken to directly.

    The build's thread writes each page to the binary's stdin itself (a blocking write that
    releases the GIL) and one reader thread, blocked in read() the rest of the time, takes
    the answers. The `pagefind` package's asyncio client needs the GIL for every message in
    a second thread, and handing it back and forth with MkDocs serialised the two processes:
    at 10,000 pieces the build took the sum of both CPU times, not the larger one.
    `add` returns at once (it waits only while IN_FLIGHT pages are unanswered); `write`
    starts writing the bundle and `finish` waits for it; `close` stops the binary without
    writing (a failed build, a `mkdocs serve` rebuild). Errors surface from `finish`.
    """

    def __init__(
        self,
        *,
        language: str = "en",
        binary: Path | None = None,
        in_flight: int = IN_FLIGHT,
        start_timeout: float = START_TIMEOUT,
    ) -> None:
        self.language = language
        self.pages = 0
        self.words = 0
        self._error: str | None = None
        self._slots = threading.BoundedSemaphore(in_flight)
        self._in_flight = in_flight
        self._lock = threading.Lock()  # message ids and the table of waiting replies
        self._waiting: dict[int, _Reply] = {}
        self._next_id = 0
        self._said: list[str] = []  # what the binary printed that was not a message
        self._failure: str | None = None  # set when the binary has stopped
        self._writing: _Reply | None = None  # set by write()
        self._started_writing = 0.0
        self._bundle: Path | None = None
        self._index_id: int | None = None
        executable = binary or get_executable()
        if executable is None:
            raise SearchIndexError(
                "the pagefind binary is missing: install it with `pip install 'pagefind[extended]'`"
            )
        try:
            self._process = subprocess.Popen(
                [str(executable), "--service"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
        except OSError as exc:
            raise SearchIndexError(
                f"could not run pagefind ({executable}): {exc.strerror}"
            ) from None
        self._reader = threading.Thread(target=self._read, name="pagefind", daemon=True)
        self._reader.start()
        config = {"exclude_selectors": list(EXCLUDED), "force_language": language}
        try:
            answer = self._request({"type": "NewIndex", "config": config}, start_timeout)
            self._index_id = int(answer["index_id"])
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------ the wire

    def _send(self, payload: dict[str, Any], reply: _Reply) -> None:
        with self._lock:
            if self._failure is not None:  # already stopped: answer at once
                reply.error = f"{reply.url}: {self._failure}" if reply.url else self._failure
                failed = True
            else:
                self._next_id += 1
                message_id = self._next_id
                self._waiting[message_id] = reply
                failed = False
        if failed:
            self._answered(reply)
            return
        message = json.dumps({"message_id": message_id, "payload": payload}).encode("utf-8")
        stdin = self._process.stdin
        assert stdin is not None
        try:
            stdin.write(base64.b64encode(message) + b",")
            stdin.flush()
        except (BrokenPipeError, ValueError):
            pass  # the reader reaches the end of the output and answers every waiting reply

    def _request(self, payload: dict[str, Any], timeout: float) -> dict[str, Any]:
        reply = _Reply()
        self._send(payload, reply)
        if not reply.done.wait(timeout):
            raise SearchIndexError(f"pagefind did not answer within {timeout:.0f} s")
        if reply.error is not None:
            raise SearchIndexError(reply.error)
        return reply.payload

    def _read(self) -> None:
        stdout = self._process.stdout
        assert stdout is not None
        pending = b""
        with contextlib.suppress(OSError, ValueError):  # closed by close()
            while chunk := os.read(stdout.fileno(), 1 << 16):
                pending += chunk
                *messages, pending = pending.split(b",")
                for message in messages:
                    self._dispatch(message)
        code = self._process.wait()
        said = " ".join([*self._said, pending.decode("utf-8", "replace").strip()]).strip()
        failure = f"pagefind stopped (exit {code})" + (f": {said}" if said else "")
        with self._lock:
            self._failure = failure
            waiting, self._waiting = self._waiting, {}
        for reply in waiting.values():
            reply.error = f"{reply.url}: {failure}" if reply.url else failure
            self._answered(reply)

    def _dispatch(self, message: bytes) -> None:
        try:
            response = json.loads(base64.b64decode(message, validate=True))
        except (ValueError, binascii.Error):
            self._said.append(message.decode("utf-8", "replace").strip())  # a line it printed
            return
        with self._lock:
            reply = self._waiting.pop(response.get("message_id"), None)
        if reply is None:
            return
        payload = response.get("payload") or {}
        if payload.get("type") == "Error":
            said = f"pagefind: {payload.get('message')}"
            reply.error = f"{reply.url}: {said}" if reply.url else said
        else:
            reply.payload = payload
        self._answered(reply)

    def _answered(self, reply: _Reply) -> None:
        if reply.url:  # a page: count it and free its slot
            if reply.error is not None:
                self._error = self._error or reply.error
            else:
                self.pages += 1
                self.words += int(reply.payload.get("page_word_count") or 0)
            self._slots.release()
        reply.done.set()

    # ------------------------------------------------------------ the build's side

    def add(self, url: str, content: str) -> None:
        """Index one page (a document from `document()`) at its URL, e.g. /articles/2026/x/."""
        if self._error is not None or self._index_id is None:
            return  # the first error is reported by finish()
        if self._writing is not None:
            self._error = f"{url}: sent after the index started writing"
            return
        while not self._slots.acquire(timeout=1.0):
            if self._error is not None:
                return
        payload = {"type": "AddFile", "index_id": self._index_id, "url": url}
        self._send(payload | {"file_path": None, "file_contents": content}, _Reply(url))

    def write(self, site_dir: Path, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Start writing the bundle once the pages sent so far are indexed; returns at once.

        Called when every page has been sent, so that Pagefind writes on the second core while
        MkDocs still applies templates and writes pages (a third of a build); `finish` waits.
        """
        if self._writing is not None:
            return
        if self._index_id is None:
            raise SearchIndexError(self._error or f"the index for {site_dir} was already closed")
        self._started_writing = time.monotonic()
        try:
            for _ in range(self._in_flight):
                left = timeout - (time.monotonic() - self._started_writing)
                if not self._slots.acquire(timeout=max(left, 0.0)):
                    raise SearchIndexError(
                        f"pagefind did not finish within {timeout:.0f} s indexing {site_dir}"
                    )
            if self._error is not None:
                raise SearchIndexError(self._error)
            if not self.pages:
                raise SearchIndexError(f"{site_dir}: no pages to index")
        except BaseException as exc:
            self._error = self._error or str(exc)
            self.close()
            raise
        self._bundle = site_dir / BUNDLE_DIR
        self._writing = _Reply()
        payload = {"type": "WriteFiles", "index_id": self._index_id}
        self._send(payload | {"output_path": str(self._bundle)}, self._writing)

    def finish(self, site_dir: Path, *, timeout: float = DEFAULT_TIMEOUT) -> IndexReport:
        """Write the bundle into the site (or wait for `write` to), then stop the binary."""
        self.write(site_dir, timeout=timeout)
        writing, bundle = self._writing, self._bundle
        assert writing is not None and bundle is not None
        started = self._started_writing
        written = False
        try:
            left = timeout - (time.monotonic() - started)
            if not writing.done.wait(max(left, 0.0)):
                raise SearchIndexError(
                    f"pagefind did not answer within {timeout:.0f} s writing {bundle}"
                )
            if writing.error is not None:
                raise SearchIndexError(f"{writing.error} writing {bundle}")
            left = timeout - (time.monotonic() - started)
            _wait_until_written(bundle, self.pages, max(left, 1.0))
            written = True
        finally:
            # Written: let it exit on its own, so no file of the bundle is cut short.
            self.close(grace=EXIT_GRACE if written else 0.0)
        if self._error is not None:
            raise SearchIndexError(self._error)
        return IndexReport(
            pages=self.pages,
            words=self.words,
            seconds=time.monotonic() - started,
            bundle=bundle,
        )

    def close(self, *, grace: float = 0.0) -> None:
        """Stop the binary and wait for the reader; safe to call more than once.

        With `grace`, the binary is first asked to exit (its input ends) and given that many
        seconds: after a bundle is written it may still be flushing files, and a kill then
        would leave them cut short.
        """
        self._index_id = None
        process = self._process
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        if grace and process.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=grace)
        if process.poll() is None:
            process.kill()
        process.wait()
        if self._reader is not threading.current_thread():
            self._reader.join(timeout=10.0)
        if process.stdout is not None and not self._reader.is_alive():
            process.stdout.close()


def _wait_until_written(bundle: Path, pages: int, timeout: float) -> None:
    """Wait until Pagefind's files are all on disk.

    Pagefind answers WriteFiles before its last files are flushed (seen as an empty
    pagefind-entry.json under load), and a binary that exits then drops them. Written means:
    the entry file is valid JSON, one fragment per page, no empty file, and nothing changes
    between two looks a tenth of a second apart.
    """
    deadline = time.monotonic() + timeout
    previous: dict[str, int] | None = None
    while True:
        current = _sizes(bundle)
        if current == previous and _complete(bundle, current, pages):
            return
        if time.monotonic() > deadline:
            raise SearchIndexError(f"pagefind did not finish writing the files of {bundle}")
        previous = current
        time.sleep(0.1)


def _sizes(folder: Path) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            with contextlib.suppress(OSError):
                sizes[path] = os.stat(path).st_size
    return sizes


def _complete(bundle: Path, sizes: dict[str, int], pages: int) -> bool:
    if not sizes or 0 in sizes.values():
        return False
    try:
        json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    fragments = sum(1 for path in sizes if path.endswith(".pf_fragment"))
    return fragments >= pages
