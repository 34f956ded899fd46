"""Scaffolding: new editorial articles, analyst notes and editors from templates (`channelhub new`).

Owns turning an editor's few options into a valid file: the slug (python-slugify, from the
title), today's date in UTC, the topics the tagger suggests from the title, the fixed front
matter and a body that prompts for the first paragraph. Planning is separate from writing, so
bad input (unknown editor, empty title, an existing slug, a bad date) is found before anything
touches the disk; the file is then created atomically and never over an existing one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from slugify import slugify

from channelhub import dates, frontmatter
from channelhub.config import EDITORS_DIR, SLUG, Hub
from channelhub.files import write_atomic
from channelhub.problems import did_you_mean
from channelhub.tagger import compile_rules
from channelhub.urls import is_web_url

PieceKind = Literal["article", "note"]
FOLDERS: dict[PieceKind, str] = {"article": "docs/articles", "note": "docs/notes"}
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Long enough for a real headline, short enough for a readable URL.
SLUG_MAX = 80
# Apostrophes vanish instead of splitting a word ("bank's" -> "banks").
SLUG_REPLACEMENTS = [["'", ""], ["\u2019", ""]]

ARTICLE_BODY = """\
Start here with the point of the piece in two or three sentences: what happened or what you
argue, and why it matters to the marketing and IT leaders who read the hub.

## First section

Write the piece in short sections with descriptive headings. Then fill in `summary` above
(one or two plain sentences for listings and feeds) and check the `topics`.
"""

NOTE_BODY = """\
Start here with the analyst's finding in two or three sentences: who published it, what the
figure says, and what it means for marketing and IT working together.

## The numbers

Give the figure in context: the sample, the period, and how the firm measured it.

## What it means

Your reading of it. Then fill in `summary` above and check `analyst`, `firm` and `figure`.
"""

EDITOR_BODY = """\
Write your bio here in a short paragraph or two: what you did before the hub, what you
cover, and how readers can reach you. It appears on your editor page above your pieces.
"""


class ScaffoldError(Exception):
    """Bad input for `new`: the message says what is wrong and how to fix it."""


@dataclass(frozen=True)
class Scaffold:
    """A file to create: its path relative to the repository, front matter and body."""

    path: str
    meta: Mapping[str, Any]
    body: str
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class NoteFields:
    """What an analyst note cites, beyond an article's front matter."""

    analyst: str = ""
    firm: str = ""
    figure: str = ""
    canonical: str | None = None


def clean_title(title: str) -> str:
    """The title on one line with single spaces; ScaffoldError when nothing is left."""
    flat = " ".join(title.split())
    if not flat:
        raise ScaffoldError(
            "--title is empty: give the piece a title, e.g. --title 'Who owns the CRM?'"
        )
    return flat


def slug_for(title: str) -> str:
    """The file name (and URL) slug of a title."""
    slug = slugify(title, max_length=SLUG_MAX, word_boundary=True, replacements=SLUG_REPLACEMENTS)
    if not slug:
        raise ScaffoldError(f"--title {title!r} has no letters or digits to make a file name from")
    return slug


def parse_day(value: str | None, *, today: date) -> date:
    """The piece's date: --date as YYYY-MM-DD, or today."""
    if value is None:
        return today
    text = value.strip()
    try:
        if not ISO_DAY.match(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise ScaffoldError(
            f"--date {value!r} is not a date: use YYYY-MM-DD, e.g. 2026-03-02"
        ) from None


def today_utc() -> date:
    """Today's date in UTC (as of CHANNELHUB_NOW when it is set: `dates.now`), so a piece's year
    does not depend on the editor's time zone; NowError for a bad CHANNELHUB_NOW."""
    return dates.now().date()


def split_topics(value: str | None) -> tuple[str, ...] | None:
    """--topics a,b as a tuple of slugs; None when the option was not given."""
    if value is None:
        return None
    return tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))


def resolve_topics(hub: Hub, given: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Known topic slugs for --topics (renamed slugs mapped to their new name) and notes."""
    slugs: list[str] = []
    notes: list[str] = []
    for slug in given:
        if hub.topic(slug):
            slugs.append(slug)
        elif slug in hub.renamed:
            notes.append(f"topic '{slug}' is now '{hub.renamed[slug]}'; used that")
            slugs.append(hub.renamed[slug])
        else:
            known = ", ".join(t.slug for t in hub.topics)
            raise ScaffoldError(f"--topics: unknown topic '{slug}' (known: {known})")
    return tuple(dict.fromkeys(slugs)), tuple(notes)


def suggest_topics(hub: Hub, title: str, summary: str = "") -> tuple[tuple[str, ...], str | None]:
    """The tagger's topics for a title, and a note when no suggestion could be made."""
    scores = compile_rules(hub.topics).tag(title, summary, "")
    slugs = tuple(score.slug for score in scores)
    if not slugs:
        return (), "the tagger found no topic in the title: add them to 'topics', or leave them"
    return slugs, None


def known_editors(hub: Hub, editor_ids: Sequence[str]) -> tuple[str, ...]:
    """The editor ids (one, or co-authors), each checked against docs/editors/, each once;
    ScaffoldError for an unknown one."""
    found: list[str] = []
    for given in editor_ids:
        editor_id = given.strip()
        if hub.editor(editor_id) is None:
            known = ", ".join(e.id for e in hub.editors) or "none yet"
            raise ScaffoldError(
                f"unknown editor '{editor_id}'{did_you_mean(editor_id, (e.id for e in hub.editors))} "
                f"(known: {known}); "
                "add yourself first with `channelhub new editor --id ... --name ... --role ...`"
            )
        found.append(editor_id)
    if not found:
        raise ScaffoldError("--editor is missing: give your editor id, e.g. --editor jane-doe")
    return tuple(dict.fromkeys(found))


def free_path(root: Path, relative: str) -> str:
    """`relative` when no file is there yet; ScaffoldError otherwise."""
    if (root / relative).exists():
        raise ScaffoldError(f"{relative} already exists: choose another title (or edit that file)")
    return relative


def plan_piece(
    hub: Hub,
    kind: PieceKind,
    *,
    title: str,
    editors: Sequence[str],
    topics: Sequence[str] | None = None,
    day: date,
    today: date | None = None,
    note: NoteFields | None = None,
) -> Scaffold:
    """What `new article` / `new note` would write; raises ScaffoldError for bad input.

    One editor is written as `editor: id`, co-authors as a list, `editor: [a, b]`.
    """
    title = clean_title(title)
    authors = known_editors(hub, editors)
    slug = slug_for(title)
    path = free_path(hub.root, f"{FOLDERS[kind]}/{day.year:04d}/{slug}.md")
    note = note or NoteFields()
    meta: dict[str, Any] = {"title": title, "date": day.isoformat()}
    if topics is not None:
        # Topics an editor chose are theirs: no auto_topics, so the tagger never rewrites them.
        chosen, notes = resolve_topics(hub, topics)
        meta["topics"] = list(chosen)
    else:
        suggested, why_not = suggest_topics(hub, title, note.figure)
        meta["topics"] = list(suggested)
        meta["auto_topics"] = list(suggested)
        notes = (why_not,) if why_not else ()
    meta["summary"] = ""
    meta["editor"] = authors[0] if len(authors) == 1 else list(authors)
    if kind == "note":
        meta.update(
            analyst=note.analyst.strip(), firm=note.firm.strip(), figure=note.figure.strip()
        )
        if note.canonical:
            meta["canonical"] = check_url(note.canonical)
    if today is not None and day > today:
        notes += (
            f"dated {day.isoformat()}, after today: the piece is scheduled, and the first build "
            "from 00:00 UTC that day publishes it",
        )
    body = ARTICLE_BODY if kind == "article" else NOTE_BODY
    return Scaffold(path=path, meta=meta, body="\n" + body, notes=notes)


def check_url(url: str) -> str:
    """An http(s) URL for --canonical; ScaffoldError otherwise."""
    url = url.strip()
    if not is_web_url(url):
        raise ScaffoldError(f"--canonical must be an http(s) URL, got {url!r}")
    return url


def plan_editor(root: Path, *, editor_id: str, name: str, role: str) -> Scaffold:
    """What `new editor` would write; raises ScaffoldError for bad input."""
    editor_id = editor_id.strip()
    if not SLUG.match(editor_id):
        raise ScaffoldError(
            f"--id {editor_id!r} must be lowercase words joined by '-', e.g. --id jane-doe"
        )
    name, role = " ".join(name.split()), " ".join(role.split())
    if not name:
        raise ScaffoldError("--name is empty: give the editor's name as readers will see it")
    if not role:
        raise ScaffoldError("--role is empty: e.g. --role 'Senior editor, analytics'")
    path = free_path(root, f"{EDITORS_DIR}/{editor_id}.md")
    return Scaffold(path=path, meta={"name": name, "role": role}, body="\n" + EDITOR_BODY)


def create(root: Path, scaffold: Scaffold) -> Path:
    """Write the scaffold atomically, never over an existing file; return the new file's path."""
    target = root / scaffold.path
    try:
        write_atomic(target, frontmatter.render(scaffold.meta, scaffold.body), exclusive=True)
    except FileExistsError:
        raise ScaffoldError(f"{scaffold.path} already exists: choose another title") from None
    return target
