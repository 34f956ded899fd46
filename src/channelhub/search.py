"""The site's search: Pagefind's index, built after MkDocs, and the markup that feeds it.

Owns two things: the `data-pagefind-*` markup a piece page carries (only pieces are indexed;
their body, not the navigation around it; kind and date as result metadata; topics as a
filter) and running the pagefind binary over the built site with a time limit. The search
dialog itself (overrides/partials/search.html, docs/assets/hub-search.js) loads Pagefind's
files lazily, on the reader's first search, so no search data is sent with a page.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from channelhub.content import PIECE_DIRS

#: folder of the built site that Pagefind writes its bundle to
BUNDLE_DIR = "pagefind"
#: seconds the indexer may take before the build gives up (10,000 pieces take well under a minute)
DEFAULT_TIMEOUT = 600.0
#: set to 0 to skip the index (e.g. a quick `mkdocs serve` of a huge site); search then says so
ENV_SWITCH = "CHANNELHUB_SEARCH"

#: parts of a piece page that are not its text: heading anchors, the byline (shown in the result
#: already), topic chips (a filter) and related pieces (other pieces' titles)
EXCLUDED = (".headerlink", ".hub-byline", ".hub-topics", ".hub-related")

_COUNT = re.compile(r"Indexed (\d+) (page|word|filter)s?")


class SearchIndexError(Exception):
    """The search index could not be built; the message says why and what to do."""


@dataclass(frozen=True)
class SearchEntry:
    """What a search result shows about a piece, beyond the excerpt Pagefind makes."""

    title: str
    kind_label: str  # Editorial | Partner | Analyst note
    date_label: str  # as readers see it, e.g. 14 January 2026
    topics: tuple[str, ...] = ()  # topic titles, a Pagefind filter


@dataclass(frozen=True)
class IndexReport:
    """What one run of the indexer did."""

    pages: int
    words: int
    filters: int
    seconds: float
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
    meta = [
        f'<span data-pagefind-meta="kind">{html.escape(entry.kind_label)}</span>',
        f'<span data-pagefind-meta="date">{html.escape(entry.date_label)}</span>',
        *(f'<span data-pagefind-filter="topic">{html.escape(t)}</span>' for t in entry.topics),
    ]
    heading = "" if "<h1" in content else f"<h1>{html.escape(entry.title)}</h1>\n"
    return (
        '<div class="hub-search-body" data-pagefind-body>\n'
        f"{heading}"
        f"<div hidden data-pagefind-ignore>{''.join(meta)}</div>\n"
        f"{content}\n</div>"
    )


def pagefind_binary() -> Path:
    """The pagefind executable: $PAGEFIND_BINARY_PATH, the one pip installed, or one on PATH."""
    explicit = os.environ.get("PAGEFIND_BINARY_PATH")
    if explicit:
        return Path(explicit)
    try:
        from pagefind_bin_extended import get_executable  # type: ignore[import-not-found]

        found: Path = get_executable()
        return found
    except ImportError:
        pass
    on_path = shutil.which("pagefind_extended") or shutil.which("pagefind")
    if on_path:
        return Path(on_path)
    raise SearchIndexError(
        "the pagefind binary is missing: install it with `pip install 'pagefind[extended]'`"
    )


def command(binary: Path, site_dir: Path) -> list[str]:
    return [
        str(binary),
        "--site",
        str(site_dir),
        "--output-subdir",
        BUNDLE_DIR,
        "--exclude-selectors",
        ", ".join(EXCLUDED),
        # only piece folders hold results: listing pages are not even read
        "--glob",
        "{" + ",".join(PIECE_DIRS) + "}/**/*.html",
    ]


def parse_counts(output: str) -> dict[str, int]:
    """Pages, words and filters from the indexer's summary ('Indexed 16 pages', ...)."""
    counts = {"page": 0, "word": 0, "filter": 0}
    for number, what in _COUNT.findall(output):
        counts[what] = int(number)
    return counts


def build_index(
    site_dir: Path, *, timeout: float = DEFAULT_TIMEOUT, binary: Path | None = None
) -> IndexReport:
    """Run Pagefind over a built site; raise SearchIndexError with its own words if it fails."""
    if not (site_dir / "index.html").is_file() and not any(site_dir.glob("**/*.html")):
        raise SearchIndexError(f"{site_dir}: no built pages to index")
    argv = command(binary or pagefind_binary(), site_dir)
    started = time.monotonic()
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise SearchIndexError(
            f"pagefind did not finish within {timeout:.0f} s indexing {site_dir}"
        ) from None
    except OSError as exc:
        raise SearchIndexError(f"could not run pagefind ({argv[0]}): {exc.strerror}") from None
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise SearchIndexError(
            f"pagefind failed (exit {done.returncode}) indexing {site_dir}: {_last_lines(output)}"
        )
    counts = parse_counts(output)
    return IndexReport(
        pages=counts["page"],
        words=counts["word"],
        filters=counts["filter"],
        seconds=time.monotonic() - started,
        bundle=site_dir / BUNDLE_DIR,
    )


def _last_lines(output: str, count: int = 5) -> str:
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    return " / ".join(lines[-count:]) or "no output"
