"""`channelhub check`: every problem in the data files and the content, as `path:line: message`.

A problem is an error (what the build refuses, or unfinished work a reviewer would bounce) or a
warning (worth a look; `check --strict`, which CI runs on the files a pull request changes,
fails on warnings too). Besides gathering the data files' and the content model's problems,
this module owns the checks that read a page's body or compare pieces:

* every page under docs/ is read and rendered once for the script check (`channelhub.safety`)
  and the link check (`channelhub.links`), pulled pieces included;
* unfinished work in what editors write: the `channelhub new` template's text still in the
  body, or no body at all (errors); an empty summary, no topics, a title longer than
  `TITLE_MAX` or one another piece already has (warnings). Pulled pieces are the feeds'
  words, so only the script and link checks apply to them. Drafts, scheduled and expired
  pieces are checked like the rest: they are published one day;
* the pieces that go live or come off the site later (`upcoming`), which `check` lists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache, partial
from pathlib import Path

import yaml
from mkdocs.utils.yaml import yaml_load

from channelhub import frontmatter, markup, safety
from channelhub import ledger as ledger_store
from channelhub import takedowns as takedowns_store
from channelhub.build import HubBuild
from channelhub.config import SOURCES_FILE, TOPICS_FILE, Hub, load_hub
from channelhub.content import (
    PIECE_DIRS,
    ContentIndex,
    Piece,
    Publication,
    display_path,
    is_section_page,
    load_index,
)
from channelhub.dates import utc_text
from channelhub.links import SiteFiles, check_links, docs_files
from channelhub.pages import Site, page_at
from channelhub.problems import Problem
from channelhub.scaffold import ARTICLE_BODY, EDITOR_BODY, NOTE_BODY
from channelhub.settings import Settings
from channelhub.tagger import validate_topics
from channelhub.urls import normalise_link

#: the longest title listings, feeds and search results show whole
TITLE_MAX = 120
#: words in a row that, taken from a template sentence, mean the placeholder is still there
PLACEHOLDER_RUN = 8


def check_hub(
    hub: Hub,
    wanted: Callable[[str], bool] = lambda _path: True,
    *,
    index: ContentIndex | None = None,
) -> list[Problem]:
    """Problems in the data files, in every piece and page, in file order; the bodies of only
    the pages whose path is `wanted` are read (the costly part), the rest as always.
    `index`: the hub's content as `hub_index` loads it, when the caller has it already."""
    problems = list(hub.problems)
    problems += validate_topics(hub.topics)
    index = index or hub_index(hub)
    problems += index.problems
    problems += check_pages(hub, index, wanted)
    problems += check_pieces(hub, index.previewing())  # drafts and scheduled pieces too
    problems += check_takedowns(hub.root, index.previewing())
    return sorted(set(problems))


def hub_index(hub: Hub, now: datetime | None = None) -> ContentIndex:
    """The content as check reads it (alias clashes with every page included), at `now`."""
    return load_index(hub, now=now, occupied=partial(page_at, hub, hub.root / "docs"))


def check_takedowns(root: Path, index: ContentIndex) -> list[Problem]:
    """feeds/takedowns.yml's own problems, and each piece on the site that a record keeps
    down (an editor added the record by hand and the file is still there)."""
    takedowns, problems = takedowns_store.load(root)
    if not takedowns.records:
        return problems
    listed, _ = ledger_store.load(root)
    by_entry = {(row.source, row.guid): path for path, row in listed.rows.items()}
    on_site = {f"docs/{piece.src_uri}" for piece in index.pieces}
    by_link: dict[str, set[str]] = {}
    for piece in index.pieces:
        if piece.canonical:
            by_link.setdefault(normalise_link(piece.canonical), set()).add(f"docs/{piece.src_uri}")
    for record in takedowns.records:
        entry_path = by_entry.get(record.entry_key) if record.entry_key else None
        down = {entry_path} & on_site if entry_path else set()
        down |= by_link.get(record.link_key or "", set())
        problems += [
            Problem(
                path,
                1,
                f"is taken down by {takedowns_store.TAKEDOWNS_FILE}:{record.line};"
                " delete the file or the record",
            )
            for path in sorted(down)
        ]
    return problems


def check_pages(
    hub: Hub, index: ContentIndex, wanted: Callable[[str], bool] = lambda _path: True
) -> list[Problem]:
    """Each page's body: script, links and images, and unfinished work in editors' pages."""
    docs_dir = hub.root / "docs"
    site = build_files(hub, index)
    held = {uri: h.words() for uri, h in index.held_by_uri.items()}
    problems: list[Problem] = []
    for page in safety.page_files(hub.root, wanted):
        if not page.is_markdown:
            problems += safety.check_page(page, docs_dir)
            continue
        rendered = safety.render(page.body)
        problems += safety.check_page(page, docs_dir, rendered)
        src_uri = page.path.relative_to(docs_dir).as_posix()
        problems += check_links(
            page.body,
            rendered,
            src_uri=src_uri,
            path=page.display,
            body_line=page.body_line,
            site=site,
            held=None if src_uri in held else held,  # a held page is not on the site either
        )
        if not safety.is_pulled(page, docs_dir):
            problems += unfinished_body(page, is_piece=_is_piece(src_uri))
    return problems


def build_files(hub: Hub, index: ContentIndex) -> SiteFiles:
    """The files a build would hold: docs/ as MkDocs collects it and what the hub generates."""
    present = set(docs_files(hub.root / "docs"))
    build = HubBuild(site=Site(hub=hub, index=index, settings=hub_settings(hub.root)))
    generated = build.generated_files(exists=present.__contains__)
    return SiteFiles(frozenset(present.union(generated)))


def hub_settings(root: Path) -> Settings:
    """`extra.hub` of mkdocs.yml (the page size decides which listing pages exist); the
    defaults when it cannot be read, which the build reports in its own words."""
    try:
        config = yaml_load((root / "mkdocs.yml").read_text(encoding="utf-8"))
        return Settings.from_mapping((config.get("extra") or {}).get("hub"))
    except (OSError, UnicodeDecodeError, ValueError, AttributeError, yaml.YAMLError):
        return Settings()


def _is_piece(src_uri: str) -> bool:
    return src_uri.split("/", 1)[0] in PIECE_DIRS and not is_section_page(src_uri)


# --- unfinished work ----------------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@cache
def _template_runs() -> dict[tuple[str, ...], tuple[int, str]]:
    """Every run of PLACEHOLDER_RUN words in a sentence of `channelhub new`'s templates (their
    headings aside, which an editor may keep), to its paragraph's number and first sentence."""
    runs: dict[tuple[str, ...], tuple[int, str]] = {}
    paragraphs = [
        " ".join(paragraph.split())
        for template in (ARTICLE_BODY, NOTE_BODY, EDITOR_BODY)
        for paragraph in template.split("\n\n")
        if not paragraph.lstrip().startswith("#")
    ]
    for number, paragraph in enumerate(paragraphs):
        opening = _SENTENCE_END.split(paragraph)[0]
        for sentence in _SENTENCE_END.split(paragraph):
            words = tuple(_WORD.findall(sentence.lower()))
            for start in range(len(words) - PLACEHOLDER_RUN + 1):
                runs.setdefault(words[start : start + PLACEHOLDER_RUN], (number, opening))
    return runs


@cache
def _template_words() -> frozenset[str]:
    return frozenset(word for run in _template_runs() for word in run)


def _may_hold_a_run(words: list[str], vocabulary: frozenset[str]) -> bool:
    """Whether PLACEHOLDER_RUN words in a row are all template words (a cheap first pass)."""
    streak = 0
    for word in words:
        streak = streak + 1 if word in vocabulary else 0
        if streak == PLACEHOLDER_RUN:
            return True
    return False


def placeholder_lines(body: str) -> list[tuple[int, str]]:
    """(line in `body`, the template paragraph's first sentence) where text of a template
    paragraph is still found, however it was rewrapped or partly edited (any PLACEHOLDER_RUN
    words of one of its sentences); a fenced code block quotes text, so it does not count
    (code spans do: the templates have some)."""
    runs = _template_runs()
    if not _may_hold_a_run(_WORD.findall(body.lower()), _template_words()):
        return []  # most pages: no PLACEHOLDER_RUN template words in a row anywhere
    words = [
        (word, number)
        for number, line in enumerate(safety.mask_fences(body).split("\n"), start=1)
        for word in _WORD.findall(line.lower())
    ]
    found: dict[int, tuple[int, str]] = {}  # template paragraph -> (line, its opening)
    for start in range(len(words) - PLACEHOLDER_RUN + 1):
        hit = runs.get(tuple(word for word, _ in words[start : start + PLACEHOLDER_RUN]))
        if hit is not None and hit[0] not in found:
            found[hit[0]] = (words[start][1], hit[1])
    return sorted(dict(found.values()).items())


def _opening(sentence: str, words: int = 7) -> str:
    parts = sentence.replace("`", "").split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


def unfinished_body(page: safety.PageFile, *, is_piece: bool) -> list[Problem]:
    """The template's placeholder text left in an editor's page; a piece with no text."""
    problems = [
        Problem(
            page.display,
            page.body_line + line - 1,
            f'placeholder text from `channelhub new` is still here ("{_opening(sentence)}"): '
            "replace it with your own words",
        )
        for line, sentence in placeholder_lines(page.body)
    ]
    if is_piece and page.front_matter is not None and not page.body.strip():
        problems.append(
            Problem(
                page.display,
                page.body_line - 1,
                "the piece has no text: write it below the front matter",
            )
        )
    return problems


def _title_key(title: str) -> str:
    return " ".join(title.casefold().split())


def check_pieces(hub: Hub, index: ContentIndex) -> list[Problem]:
    """Warnings about pieces written here: summary, topics, a long or a shared title."""
    by_title: dict[str, list[Piece]] = {}
    for piece in index.pieces:
        by_title.setdefault(_title_key(piece.title), []).append(piece)
    problems: list[Problem] = []
    for piece in sorted(index.pieces, key=lambda p: p.src_uri):
        if piece.source is not None:
            continue  # a feed's words: a reviewer corrects them in the feeds pull request
        found: list[tuple[str, str]] = []
        if not piece.summary:
            found.append(
                (
                    "summary",
                    "no summary: write one or two plain sentences in 'summary' for listings, "
                    "feeds and search results",
                )
            )
        if not piece.topics and hub.topics:  # no topics at all: topics.yml's own problem
            found.append(
                (
                    "topics",
                    "no topics: add one to three topic slugs from feeds/topics.yml "
                    "(`channelhub tag FILE` suggests some)",
                )
            )
        if len(piece.title) > TITLE_MAX:
            found.append(
                (
                    "title",
                    f"the title is {len(piece.title)} characters long: keep it to {TITLE_MAX} "
                    "or fewer, or listings and feeds cut it short",
                )
            )
        others = [p for p in by_title[_title_key(piece.title)] if p is not piece]
        if others:
            where = ", ".join(f"docs/{p.src_uri}" for p in sorted(others, key=lambda p: p.src_uri))
            found.append(("title", f"another piece has this title too: {where}"))
        if found:
            problems += _at_keys(hub.root, piece, found)
    return problems


def _at_keys(root: Path, piece: Piece, found: Iterable[tuple[str, str]]) -> list[Problem]:
    """Warnings at the lines of their keys (the file is read again, with lines, only now)."""
    display = f"docs/{piece.src_uri}"
    try:
        doc = frontmatter.read(root / "docs" / piece.src_uri, display=display)
    except frontmatter.FrontMatterError:
        doc = None
    return [
        Problem(display, doc.line_of(key) if doc else 1, message, "warning")
        for key, message in found
    ]


# --- the command's library half -------------------------------------------------------------------


def run_check(
    root: Path, paths: Sequence[str] = (), *, sources_file: str = SOURCES_FILE
) -> list[Problem]:
    """Check everything, or only the problems in the given files and folders."""
    return check_with_upcoming(root, paths, sources_file=sources_file)[0]


def check_with_upcoming(
    root: Path,
    paths: Sequence[str] = (),
    *,
    sources_file: str = SOURCES_FILE,
    now: datetime | None = None,
) -> tuple[list[Problem], list[Upcoming]]:
    """`run_check`'s problems and `upcoming`'s events at `now`, from one reading of the hub."""
    hub = load_hub(root, sources_file=sources_file)
    index = hub_index(hub, now)
    events = upcoming(hub, index, paths)
    if not paths:
        return check_hub(hub, index=index), events
    given = [display_path(Path(p), root.resolve()) for p in paths]

    def wanted(path: str) -> bool:
        return any(_within(path, w) for w in given)

    return [p for p in check_hub(hub, wanted, index=index) if wanted(p.path)], events


@dataclass(frozen=True, order=True)
class Upcoming:
    """A moment when a piece goes live (it is scheduled) or comes off the site (it expires)."""

    when: datetime
    path: str
    what: str  # "goes live" or "comes off the site"

    def __str__(self) -> str:
        return f"{self.path}: {self.what} on {markup.human_moment(self.when)}"

    def github(self) -> str:
        """A notice on the pull request's file (workflow command), as problems are annotated."""
        path = self.path.replace("%", "%25").replace(",", "%2C").replace(":", "%3A")
        return f"::notice file={path}::{self.what} at {utc_text(self.when)}"


def upcoming(hub: Hub, index: ContentIndex, paths: Sequence[str] = ()) -> list[Upcoming]:
    """The pieces (all, or those in `paths`) that go live or come off the site after the
    index's moment, soonest first; drafts are left out, as they go live only when an editor
    says so."""
    root = hub.root
    docs = display_path(root / "docs", root)
    scheduled = [h.piece for h in index.held if h.state is Publication.SCHEDULED]
    events = [Upcoming(p.date, f"{docs}/{p.src_uri}", "goes live") for p in scheduled]
    events += [
        Upcoming(p.expires, f"{docs}/{p.src_uri}", "comes off the site")
        for p in (*scheduled, *index.pieces)
        if p.expires is not None
    ]
    wanted = [display_path(Path(p), root.resolve()) for p in paths]
    return sorted(e for e in events if not wanted or any(_within(e.path, w) for w in wanted))


def _within(problem_path: str, wanted: str) -> bool:
    wanted = wanted.rstrip("/")
    return wanted in ("", ".") or problem_path == wanted or problem_path.startswith(wanted + "/")


def missing_paths(root: Path, paths: Iterable[str]) -> list[str]:
    return [p for p in paths if not (Path(p) if Path(p).is_absolute() else Path.cwd() / p).exists()]


__all__ = [
    "SOURCES_FILE",
    "TITLE_MAX",
    "TOPICS_FILE",
    "Upcoming",
    "check_hub",
    "missing_paths",
    "run_check",
    "upcoming",
]
