"""Pieces (editorial articles, analyst notes, pulled partner and analyst posts) and the content index.

A piece is a Markdown file under one of the piece folders of docs/. This module owns what a
piece's front matter may say and turns each file into a `Piece`, or into problems.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from channelhub import frontmatter
from channelhub.config import Hub, slug_list
from channelhub.dates import parse_date
from channelhub.frontmatter import Document, FrontMatterError
from channelhub.problems import Problem, errors
from channelhub.problems import describe as _kind
from channelhub.urls import is_web_url

Kind = Literal["editorial", "partner", "analyst"]
KIND_LABELS: dict[str, str] = {
    "editorial": "Editorial",
    "partner": "Partner",
    "analyst": "Analyst note",
}

#: folders of docs/ whose Markdown files are pieces
PIECE_DIRS = ("articles", "notes", "sources")
#: file names that make a section page (not a piece) at the top of a piece folder
SECTION_FILES = frozenset({"index.md", "README.md"})

PIECE_KEYS = frozenset(frontmatter.PIECE_ORDER) | {
    "expected_topics",  # a labelled piece for `channelhub tag --evaluate`
    # Material keys an editor may reasonably set on a piece
    "hide",
    "search",
    "image",
}

_FRONTMATTER_TAGS = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Piece:
    """One piece of content, as listing pages, feeds and the tagger need it."""

    src_uri: str  # path under docs/, posix, e.g. articles/2026/x.md
    title: str
    date: datetime
    kind: Kind
    topics: tuple[str, ...] = ()
    summary: str = ""
    editor: str | None = None
    source: str | None = None
    canonical: str | None = None
    author: str | None = None
    analyst: str | None = None
    firm: str | None = None
    figure: str | None = None
    updated: datetime | None = None
    words: int = 0
    auto_topics: tuple[str, ...] | None = None

    @property
    def url(self) -> str:
        """The piece's URL path with directory URLs: articles/2026/x.md -> /articles/2026/x/."""
        return "/" + url_of(self.src_uri)

    @property
    def reading_minutes(self) -> int:
        return max(1, round(self.words / 230))

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def tagger_owned(self) -> bool:
        """True while the topics are the ones the tagger last wrote."""
        return self.auto_topics is not None and tuple(self.auto_topics) == self.topics


def url_of(src_uri: str) -> str:
    """Directory URL (without the leading slash) of a Markdown file under docs/."""
    stem = src_uri[:-3] if src_uri.endswith(".md") else src_uri
    if stem == "index" or stem.endswith("/index") or stem == "README" or stem.endswith("/README"):
        stem = stem.rpartition("/")[0]
        return f"{stem}/" if stem else ""
    return f"{stem}/"


@dataclass
class _Check:
    """Problems found while reading one piece."""

    path: str
    doc: Document
    problems: list[Problem] = field(default_factory=list)

    def add(
        self, key: str | None, message: str, severity: Literal["error", "warning"] = "error"
    ) -> None:
        line = self.doc.line_of(key) if key else 1
        self.problems.append(Problem(self.path, line, message, severity))

    def text(self, key: str) -> str | None:
        value = self.doc.meta.get(key)
        if value is None:
            return None
        if isinstance(value, bool | list | dict):
            self.add(key, f"Expected text for '{key}', got {_kind(value)}")
            return None
        return str(value).strip() or None


def piece_from_document(
    doc: Document, src_uri: str, hub: Hub, *, display: str
) -> tuple[Piece | None, list[Problem]]:
    """Validate a piece's front matter against the hub's data; return the piece and its problems."""
    check = _Check(display, doc)
    meta = doc.meta
    if not doc.has_front_matter:
        check.add(None, "no front matter: a piece starts with '---', then title and date")
        return None, check.problems
    for key in meta:
        if key == "template":
            check.add(
                key,
                "'template' is not allowed in a piece: it would let a pull request choose any theme template",
            )
        elif key not in PIECE_KEYS:
            check.add(key, f"unknown front-matter key '{key}'")
    title = check.text("title")
    if title is None and "title" not in meta:
        check.add(None, "missing 'title'")
    elif title is None:
        check.add("title", "'title' is empty")
    when = None
    if "date" not in meta:
        check.add(None, "missing 'date'")
    else:
        when = parse_date(meta["date"])
        if when is None:
            check.add(
                "date",
                f"'date' is not an ISO 8601 date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ): {meta['date']!r}",
            )
    updated = None
    if "updated" in meta:
        updated = parse_date(meta["updated"])
        if updated is None:
            check.add("updated", f"'updated' is not an ISO 8601 date: {meta['updated']!r}")
    topics = _topics(check, hub, "topics")
    auto_topics = (
        _topics(check, hub, "auto_topics", report_unknown=False) if "auto_topics" in meta else None
    )
    summary = check.text("summary") or ""
    editor, source = check.text("editor"), check.text("source")
    kind: Kind = "editorial"
    top = src_uri.split("/", 1)[0]
    if editor and source:
        check.add(
            "source", "a piece has either 'editor' (written here) or 'source' (pulled), not both"
        )
    elif editor:
        if hub.editors and hub.editor(editor) is None:
            check.add("editor", f"unknown editor '{editor}' (no docs/editors/{editor}.md)")
        kind = "analyst" if top == "notes" else "editorial"
    elif source:
        found = hub.source(source)
        if found is None:
            check.add("source", f"unknown source '{source}' (not in feeds/sources.yml)")
        else:
            kind = found.kind
        if "canonical" not in meta:
            check.add(None, "a pulled piece needs 'canonical', the original URL")
    else:
        check.add(
            None, "missing 'editor' (for a piece written here) or 'source' (for a pulled one)"
        )
    canonical = check.text("canonical")
    if canonical and not is_web_url(canonical):
        check.add("canonical", f"'canonical' must be an http(s) URL: {canonical}")
        canonical = None
    if top == "sources" and not source:
        check.add(None, "pieces under docs/sources/ are pulled from a feed and need 'source'")
    if errors(check.problems):
        return None, check.problems
    assert title is not None and when is not None
    piece = Piece(
        src_uri=src_uri,
        title=title,
        date=when,
        kind=kind,
        topics=topics,
        summary=summary,
        editor=editor,
        source=source,
        canonical=canonical,
        author=check.text("author"),
        analyst=check.text("analyst"),
        firm=check.text("firm"),
        figure=check.text("figure"),
        updated=updated,
        words=len(doc.body.split()),  # for reading time; a quarter of the cost of counting \w+ runs
        auto_topics=auto_topics,
    )
    return piece, check.problems


def _topics(check: _Check, hub: Hub, key: str, *, report_unknown: bool = True) -> tuple[str, ...]:
    value = check.doc.meta.get(key)
    if value is None:
        return ()
    given = slug_list(value)
    if given is None:
        check.add(key, f"Expected a list of topic slugs for '{key}', got {_kind(value)}")
        return ()
    slugs: list[str] = []
    renamed = hub.renamed
    for slug in given:
        if hub.topic(slug):
            slugs.append(slug)
        elif slug in renamed:
            if report_unknown:
                check.add(
                    key,
                    f"topic '{slug}' was renamed to '{renamed[slug]}' (run `channelhub tag --retag` to migrate)",
                    "warning",
                )
            slugs.append(renamed[slug])
        elif report_unknown and hub.topics:
            check.add(key, f"unknown topic '{slug}' (not in feeds/topics.yml)")
    return tuple(dict.fromkeys(slugs))


def meta_text(meta: Mapping[str, Any], key: str) -> str:
    """A front matter value that should be text, or "" when it is absent or not text."""
    value = meta.get(key)
    return value if isinstance(value, str) else ""


def piece_files(docs_dir: Path) -> Iterator[Path]:
    """Every piece file under docs/, in a stable order."""
    for top in PIECE_DIRS:
        folder = docs_dir / top
        if not folder.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.endswith(".md") and not name.startswith("."):
                    path = Path(dirpath, name)
                    if not is_section_page(path.relative_to(docs_dir).as_posix()):
                        yield path


def is_section_page(src_uri: str) -> bool:
    """articles/index.md, notes/index.md, sources/index.md and sources/<id>/index.md are
    hand-written section pages; an index.md deeper down is a piece kept in its own folder."""
    parts = src_uri.split("/")
    if parts[-1] not in SECTION_FILES:
        return False
    return len(parts) == 2 or (len(parts) == 3 and parts[0] == "sources")


@dataclass(frozen=True)
class ContentIndex:
    """All valid pieces, newest first, with the lookups listing pages need."""

    pieces: tuple[Piece, ...]
    problems: tuple[Problem, ...] = ()

    def by_topic(self) -> dict[str, list[Piece]]:
        groups: dict[str, list[Piece]] = {}
        for piece in self.pieces:
            for slug in piece.topics:
                groups.setdefault(slug, []).append(piece)
        return groups

    def group(self, key: str) -> dict[str, list[Piece]]:
        """Pieces grouped by 'editor' or 'source', newest first."""
        groups: dict[str, list[Piece]] = {}
        for piece in self.pieces:
            value = getattr(piece, key)
            if value:
                groups.setdefault(value, []).append(piece)
        return groups

    def of_kind(self, kind: Kind) -> list[Piece]:
        return [p for p in self.pieces if p.kind == kind]


def newest_first(pieces: Iterable[Piece]) -> list[Piece]:
    return sorted(pieces, key=lambda p: (p.date, p.src_uri), reverse=True)


#: reads one piece file: (path, src_uri, display path) -> the piece or None, and its problems
Reader = Callable[[Path, str, str], tuple["Piece | None", list[Problem]]]


def load_index(
    hub: Hub,
    docs_dir: Path | None = None,
    *,
    with_lines: bool = False,
    read: Reader | None = None,
) -> ContentIndex:
    """Read every piece under docs/; invalid pieces are left out and reported.

    `read` reads one file (default `read_piece`); a build passes one that reuses what an
    earlier build read from the same bytes (`channelhub.rebuild`)."""
    docs_dir = docs_dir or hub.root / "docs"
    pieces: list[Piece] = []
    problems: list[Problem] = []
    by_url: dict[str, str] = {}
    docs_shown = _display(docs_dir, hub.root)  # resolved once: per piece it was a tenth of the read
    for path in piece_files(docs_dir):
        src_uri = path.relative_to(docs_dir).as_posix()
        display = f"{docs_shown}/{src_uri}"
        if read is None:
            piece, found = read_piece(path, src_uri, hub, display=display, with_lines=with_lines)
        else:
            piece, found = read(path, src_uri, display)
        problems += found
        url = url_of(src_uri)
        if url in by_url:
            problems.append(Problem(display, 1, f"same URL /{url} as {by_url[url]}"))
            continue
        by_url[url] = display
        if piece:
            pieces.append(piece)
    return ContentIndex(pieces=tuple(newest_first(pieces)), problems=tuple(problems))


def read_piece(
    path: Path,
    src_uri: str,
    hub: Hub,
    *,
    display: str,
    with_lines: bool = True,
    data: bytes | None = None,
) -> tuple[Piece | None, list[Problem]]:
    """One piece file as a piece and its problems; from `data` when the caller read the bytes."""
    try:
        text = (
            frontmatter.read_text(path, display)
            if data is None
            else frontmatter.decode(data, display)
        )
        doc = frontmatter.parse(text, path=display, with_lines=with_lines)
    except FrontMatterError as exc:
        return None, [exc.problem()]
    piece, problems = piece_from_document(doc, src_uri, hub, display=display)
    if problems and not with_lines:
        # Parse again with line numbers only when there is something to point at.
        doc = frontmatter.parse(text, path=display, with_lines=True)
        piece, problems = piece_from_document(doc, src_uri, hub, display=display)
    return piece, problems


def reading_key(hub: Hub) -> str:
    """Everything besides a file's bytes that `piece_from_document` reads from the hub (the
    topics, the sources, the editors' ids), as text: a piece read under the same key from the
    same bytes is the same piece with the same problems."""
    return repr((hub.topics, hub.renamed, hub.sources, [e.id for e in hub.editors]))


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def meta_of(piece: Piece) -> Mapping[str, Any]:
    """The piece as plain data (for JSON and templates)."""
    return {
        "url": piece.url,
        "title": piece.title,
        "date": piece.date.isoformat(),
        "kind": piece.kind,
        "topics": list(piece.topics),
        "summary": piece.summary,
        "editor": piece.editor,
        "source": piece.source,
    }
