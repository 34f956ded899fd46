"""The site's search: Pagefind's index, fed while MkDocs renders, and the markup that feeds it.

Owns two things: the `data-pagefind-*` markup a piece page carries (only pieces are indexed;
their body, not the navigation around it; kind and date as result metadata) and `LiveIndex`, Pagefind's own service (the `pagefind` package's Python API over the
binary) running in a background thread: each piece's content goes to it as soon as MkDocs
has rendered it, so the binary indexes on the second core while MkDocs renders on the first,
and the bundle is written when the build ends, with a time limit. The search dialog itself
(overrides/partials/search.html, docs/assets/hub-search.js) loads Pagefind's files lazily, on
the reader's first search, so no search data is sent with a page.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import concurrent.futures
import contextlib
import html
import json
import os
import threading
import time
from collections.abc import Awaitable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pagefind.index import IndexConfig, PagefindIndex
from pagefind.service import PagefindService

#: folder of the built site that Pagefind writes its bundle to
BUNDLE_DIR = "pagefind"
#: seconds the indexer may take to finish at the end of the build (10,000 pieces: well under a minute)
DEFAULT_TIMEOUT = 600.0
#: seconds the pagefind service may take to start
START_TIMEOUT = 60.0
#: pages sent and not yet indexed before the build waits for Pagefind (bounds the memory in between)
IN_FLIGHT = 64
#: set to 0 to skip the index (e.g. a quick `mkdocs serve` of a huge site); search then says so
ENV_SWITCH = "CHANNELHUB_SEARCH"

#: parts of a piece page that are not its text: heading anchors, the byline (shown in the result
#: already), topic chips (a filter) and related pieces (other pieces' titles)
EXCLUDED = (".headerlink", ".hub-byline", ".hub-topics", ".hub-related")

_T = TypeVar("_T")


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


class _Service(PagefindService):
    """Pagefind's service with a response reader that keeps up with a build.

    The package's reader sleeps 0.1 s before each response, so it indexes at most ten pages a
    second (17 minutes for 10,000 pieces); this one reads responses as they come. It also
    fails every waiting request, with what the binary said, if the binary stops.
    """

    def __init__(self, binary: Path | None = None) -> None:
        super().__init__()
        if binary is not None:
            self._bin = binary
        self.failure: str | None = None  # what the binary said when it stopped

    async def _wait_for_responses(self) -> None:
        stdout = self._backend.stdout
        assert stdout is not None
        while True:
            try:
                chunk = await stdout.readuntil(b",")
            except asyncio.IncompleteReadError as exc:
                code = await self._backend.wait()
                said = exc.partial.decode("utf-8", "replace").strip()
                self._fail_all(f"pagefind stopped (exit {code})" + (f": {said}" if said else ""))
                return
            try:
                response = json.loads(base64.b64decode(chunk[:-1], validate=True))
            except (ValueError, binascii.Error):
                continue  # not a message: a line the binary printed
            future = self._responses.pop(response.get("message_id"), None)
            if future is None or future.done():
                continue
            payload = response.get("payload") or {}
            if payload.get("type") == "Error":
                future.set_exception(SearchIndexError(f"pagefind: {payload.get('message')}"))
            else:
                future.set_result(payload)  # type: ignore[arg-type]

    def _fail_all(self, message: str) -> None:
        self.failure = message
        for future in self._responses.values():
            if not future.done():
                future.set_exception(SearchIndexError(message))
        self._responses.clear()


class LiveIndex:
    """A Pagefind index filled during the build, from the build's own thread.

    `add` hands a page to an asyncio loop in a background thread and returns at once (it
    waits only while IN_FLIGHT pages are still being indexed); `write` starts writing the
    bundle in the background and `finish` waits for it;
    `close` stops the service without writing (a failed build, a `mkdocs serve` rebuild).
    Errors surface as SearchIndexError from `finish`.
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
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="pagefind", daemon=True)
        self._thread.start()
        self._service: _Service | None = None
        self._index: PagefindIndex | None = None
        self._writing: concurrent.futures.Future[Any] | None = None  # set by write()
        self._started_writing = 0.0
        self._bundle: Path | None = None
        config: IndexConfig = {"exclude_selectors": list(EXCLUDED), "force_language": language}
        try:
            self._run(self._start(config, binary), start_timeout)
        except BaseException:
            self.close()
            raise

    async def _start(self, config: IndexConfig, binary: Path | None) -> None:
        try:
            self._service = _Service(binary)
        except FileNotFoundError:
            raise SearchIndexError(
                "the pagefind binary is missing: install it with `pip install 'pagefind[extended]'`"
            ) from None
        try:
            await self._service.launch()
        except OSError as exc:
            self._service = None
            raise SearchIndexError(
                f"could not run pagefind ({binary or 'pagefind'}): {exc.strerror}"
            ) from None
        self._index = await self._guard(self._service.create_index(config))

    async def _guard(self, work: Awaitable[_T]) -> _T:
        """Await a request; if the binary went away meanwhile, say what it said when it stopped."""
        try:
            return await work
        except ConnectionError as exc:
            service = self._service
            if service is not None:  # its reader reaches the end of the output and keeps the words
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(asyncio.shield(service._poll_task), 5.0)
            failure = service.failure if service is not None else None
            raise SearchIndexError(failure or f"pagefind stopped: {exc}") from None

    def _run(self, work: Coroutine[Any, Any, _T], timeout: float) -> _T:
        future = asyncio.run_coroutine_threadsafe(work, self._loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise SearchIndexError(f"pagefind did not answer within {timeout:.0f} s") from None

    def add(self, url: str, content: str) -> None:
        """Index one page (a document from `document()`) at its URL, e.g. /articles/2026/x/."""
        if self._error is not None or self._index is None:
            return  # the first error is reported by finish()
        if self._writing is not None:
            self._error = f"{url}: sent after the index started writing"
            return
        while not self._slots.acquire(timeout=1.0):
            if self._error is not None:
                return
        work = self._guard(self._index.add_html_file(content=content, url=url))
        future = asyncio.run_coroutine_threadsafe(work, self._loop)
        future.add_done_callback(lambda done: self._added(url, done))

    def _added(self, url: str, done: concurrent.futures.Future[Any]) -> None:
        self._slots.release()
        try:
            result = done.result()
        except BaseException as exc:  # any failure becomes the build's message
            if self._error is None:
                self._error = f"{url}: {exc}"
            return
        self.pages += 1
        self.words += int(result.get("page_word_count") or 0)

    def write(self, site_dir: Path, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Start writing the bundle into the site once the pages sent so far are indexed; returns at once.

        Called when every page has been sent, so that Pagefind writes on the second core while
        MkDocs still applies templates and writes pages (a third of a build); `finish` waits.
        """
        if self._writing is not None:
            return
        if self._loop.is_closed():
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
            if self._index is None or not self.pages:
                raise SearchIndexError(f"{site_dir}: no pages to index")
        except BaseException as exc:
            self._error = self._error or str(exc)
            self.close()
            raise
        self._bundle = site_dir / BUNDLE_DIR
        work = self._guard(self._index.write_files(output_path=str(self._bundle)))
        self._writing = asyncio.run_coroutine_threadsafe(work, self._loop)

    def finish(self, site_dir: Path, *, timeout: float = DEFAULT_TIMEOUT) -> IndexReport:
        """Write the bundle into the site (or wait for `write` to), then stop the service."""
        self.write(site_dir, timeout=timeout)
        assert self._writing is not None and self._bundle is not None
        started = self._started_writing
        try:
            left = timeout - (time.monotonic() - started)
            self._writing.result(max(left, 0.0))
        except concurrent.futures.TimeoutError:
            self._writing.cancel()
            raise SearchIndexError(
                f"pagefind did not answer within {timeout:.0f} s writing {self._bundle}"
            ) from None
        except SearchIndexError as exc:
            raise SearchIndexError(f"{exc} writing {self._bundle}") from None
        finally:
            self.close()
        if self._error is not None:
            raise SearchIndexError(self._error)
        return IndexReport(
            pages=self.pages,
            words=self.words,
            seconds=time.monotonic() - started,
            bundle=self._bundle,
        )

    def close(self) -> None:
        """Stop the service and the loop; safe to call more than once."""
        if self._loop.is_closed():
            return
        service, self._service, self._index = self._service, None, None
        if service is not None and self._thread.is_alive():
            # already gone: nothing left to stop
            with contextlib.suppress(SearchIndexError, OSError, RuntimeError):
                self._run(_stop(service), 10.0)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10.0)
        if not self._thread.is_alive():
            self._loop.close()


async def _stop(service: _Service) -> None:
    """Stop the binary at once (the package's close() waits up to 5 s for lost answers)."""
    service._poll_task.cancel()
    if service._backend.returncode is None:
        service._backend.kill()
    await service._backend.wait()
