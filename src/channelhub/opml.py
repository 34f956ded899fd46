"""OPML in and out of feeds/sources.yml: `channelhub sources import FILE` and `sources export`.

Owns turning an OPML subscription list (parsed by listparser) into new source entries,
appended to the sources file as YAML text so that the editors' comments and layout survive,
and writing the hub's sources as OPML 2.0. Importing never rewrites an existing entry: a feed
whose URL is already listed is skipped and reported.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import listparser
from slugify import slugify

from channelhub import yamllists
from channelhub.clean import plain_text
from channelhub.config import SLUG, Source
from channelhub.files import write_atomic
from channelhub.problems import Problem
from channelhub.urls import is_web_url, normalise_link

ID_MAX = 48


@dataclass(frozen=True)
class NewSource:
    """A feed from the OPML file that becomes a sources.yml entry."""

    id: str
    name: str
    url: str


@dataclass(frozen=True)
class SkippedFeed:
    title: str
    url: str
    reason: str


@dataclass(frozen=True)
class ImportResult:
    added: tuple[NewSource, ...] = ()
    skipped: tuple[SkippedFeed, ...] = ()
    problems: tuple[Problem, ...] = ()
    written: bool = False


def read_opml(data: bytes, *, path: str) -> tuple[list[tuple[str, str]], list[Problem]]:
    """(title, url) of every feed in an OPML document, or the problem with it."""
    result = listparser.parse(data)
    feeds = [(str(f.get("title") or ""), str(f.get("url") or "")) for f in result.feeds]
    if result.bozo and not feeds:
        reason = result.get("bozo_exception") or "cannot be parsed"
        return [], [Problem(path, 1, f"not a readable OPML file: {reason}")]
    if not feeds:
        return [], [Problem(path, 1, "no feeds found (no <outline> with an xmlUrl)")]
    return feeds, []


def _unique_id(title: str, url: str, taken: set[str]) -> str:
    base = slugify(title, max_length=ID_MAX, word_boundary=True) or slugify(
        urlsplit(url).hostname or "feed", max_length=ID_MAX
    )
    if not SLUG.match(base):
        base = "feed"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    taken.add(candidate)
    return candidate


def plan_import(
    feeds: Iterable[tuple[str, str]], existing: Sequence[Source]
) -> tuple[list[NewSource], list[SkippedFeed]]:
    """Which feeds become new sources (ids from their titles) and which are skipped, and why."""
    known = {normalise_link(s.url): s.id for s in existing if not s.is_local}
    taken = {s.id for s in existing}
    added: list[NewSource] = []
    skipped: list[SkippedFeed] = []
    for raw_title, url in feeds:
        title = plain_text(raw_title, max_len=200) or (urlsplit(url).hostname or url)
        if not is_web_url(url):
            skipped.append(SkippedFeed(title, url, "not an http(s) URL"))
            continue
        key = normalise_link(url)
        if key in known:
            skipped.append(SkippedFeed(title, url, f"already listed as '{known[key]}'"))
            continue
        source = NewSource(_unique_id(title, url, taken), title, url)
        known[key] = source.id
        added.append(source)
    return added, skipped


def _mapping(source: NewSource) -> dict[str, str]:
    return {"id": source.id, "name": source.name, "url": source.url, "kind": "partner"}


def appended_text(current: str, sources: Sequence[NewSource], *, path: str) -> str:
    """The sources file with the new entries appended (comments kept); ValueError if that
    would not add them to the `sources:` list."""
    return yamllists.appended_text(current, "sources", [_mapping(s) for s in sources], path=path)


def import_opml(
    root: Path, opml_file: Path, *, sources_file: str, existing: Sequence[Source]
) -> ImportResult:
    """Append the OPML file's new feeds to the sources file (atomically); report the rest."""
    display = str(opml_file)
    try:
        data = opml_file.read_bytes()
    except OSError as exc:
        return ImportResult(problems=(Problem(display, 1, f"cannot read: {exc.strerror}"),))
    feeds, problems = read_opml(data, path=display)
    if problems:
        return ImportResult(problems=tuple(problems))
    added, skipped = plan_import(feeds, existing)
    if not added:
        return ImportResult((), tuple(skipped))
    target = root / sources_file
    try:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        text = appended_text(current, added, path=sources_file)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return ImportResult((), tuple(skipped), (Problem(sources_file, 1, str(exc)),))
    written = write_atomic(target, text)
    return ImportResult(tuple(added), tuple(skipped), (), written)


def export_opml(sources: Iterable[Source], *, title: str = "channelhub sources") -> str:
    """OPML 2.0 listing every http(s) source (bundled demo copies have no URL to share)."""
    opml = ET.Element("opml", version="2.0")
    head = ET.SubElement(opml, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(opml, "body")
    for source in sources:
        if source.is_local:
            continue
        attributes = {
            "type": "rss",
            "text": source.name,
            "title": source.name,
            "xmlUrl": source.url,
        }
        if source.site:
            attributes["htmlUrl"] = source.site
        attributes["category"] = source.kind
        ET.SubElement(body, "outline", attributes)
    ET.indent(opml)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(opml, encoding="unicode") + "\n"
