"""The reader's hub as built: every promised URL, listings that match the content, feeds, sitemap, links.

One real build of the demo per session (`built_site` in conftest: the bundled feeds pulled, then
`channelhub build` into a temporary folder). Expectations come from the front matter of the
Markdown files the site was built from, read here with PyYAML, never from the hub's own code,
and the pages are read with html5lib as a browser would parse them.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import html5lib
import pytest
import yaml

from browser import DEMO_PAGE_SIZE, ROOT, BuiltSite
from scratch import channelhub

# one worker builds the demo once and runs every test that reads it
pytestmark = pytest.mark.xdist_group("reader-site")
build = pytest.mark.build

PAGE_SIZE = DEMO_PAGE_SIZE  # set in the demo's copy by browser.build_demo
HOME_LATEST = 9  # extra.hub.home_latest
KIND_LABELS = {"editorial": "Editorial", "partner": "Partner", "analyst": "Analyst note"}
LINKCHECK = ROOT / "scripts" / "linkcheck"


# ---------------------------------------------------------------- what the content says


@dataclass(frozen=True)
class Expected:
    """A piece as its Markdown file describes it."""

    url: str  # /articles/2026/x/
    title: str
    when: datetime
    topics: tuple[str, ...]
    kind: str
    meta: dict[str, Any]
    path: str  # under docs/

    @property
    def sort_key(self) -> tuple[datetime, str]:
        return (self.when, self.path)


def _front_matter(path: Path) -> tuple[dict[str, Any], str]:
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        return {}, text
    head, _sep, body = text[4:].partition("\n---\n")
    meta = yaml.safe_load(head) or {}
    return (meta if isinstance(meta, dict) else {}), body


def _aware(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _url(src: str) -> str:
    stem = src.removesuffix(".md")
    if stem.endswith("/index"):
        stem = stem.removesuffix("/index")
    return f"/{stem}/"


def _sources(root: Path) -> dict[str, dict[str, Any]]:
    data = yaml.safe_load((root / "feeds/sources.yml").read_text(encoding="utf-8")) or {}
    return {s["id"]: s for s in data.get("sources") or []}


def _topics(root: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load((root / "feeds/topics.yml").read_text(encoding="utf-8"))
    return list(data["topics"])


def _editors(root: Path) -> dict[str, tuple[dict[str, Any], str]]:
    return {
        p.stem: _front_matter(p)
        for p in sorted((root / "docs/editors").glob("*.md"))
        if p.name != "index.md"
    }


def _now() -> datetime:
    """The moment the demo was built as of: CHANNELHUB_NOW when set, else the clock."""
    given = os.environ.get("CHANNELHUB_NOW", "").strip()
    return _aware(given) if given else datetime.now(UTC)


def _published(meta: dict[str, Any], now: datetime) -> bool:
    """Not a draft, not dated later than now, not expired (the rules of issue 14)."""
    if meta.get("draft") is True or _aware(meta["date"]) > now:
        return False
    return not meta.get("expires") or _aware(meta["expires"]) > now


def _editor_ids(meta: dict[str, Any]) -> list[str]:
    """`editor:` as a list: one id, or co-authors."""
    value = meta.get("editor") or []
    return [value] if isinstance(value, str) else list(value)


def _pieces(root: Path) -> list[Expected]:
    docs = root / "docs"
    sources = _sources(root)
    now = _now()
    found = []
    for folder in ("articles", "notes", "sources"):
        for path in sorted((docs / folder).rglob("*.md")):
            meta, _body = _front_matter(path)
            if not meta.get("title") or not meta.get("date"):
                continue
            if not meta.get("editor") and not meta.get("source"):
                continue
            if not _published(meta, now):
                continue
            src = path.relative_to(docs).as_posix()
            if meta.get("source"):
                kind = "analyst" if sources[meta["source"]].get("kind") == "analyst" else "partner"
            else:
                kind = "analyst" if folder == "notes" else "editorial"
            found.append(
                Expected(
                    url=_url(src),
                    title=str(meta["title"]),
                    when=_aware(meta["date"]),
                    topics=tuple(meta.get("topics") or ()),
                    kind=kind,
                    meta=meta,
                    path=src,
                )
            )
    return sorted(found, key=lambda p: p.sort_key, reverse=True)


@pytest.fixture(scope="module")
def content(built_site: BuiltSite) -> list[Expected]:
    pieces = _pieces(built_site.root)
    assert len(pieces) >= 16, "the demo has 12 articles and 4 analyst notes at least"
    return pieces


# ---------------------------------------------------------------- reading the built pages


@dataclass(frozen=True)
class Page:
    url: str  # /topics/x/
    tree: ET.Element

    def all(self, tag: str = "*", cls: str | None = None) -> list[ET.Element]:
        return [
            el
            for el in self.tree.iter(tag)
            if cls is None or cls in (el.get("class") or "").split()
        ]

    def one(self, tag: str = "*", cls: str | None = None) -> ET.Element:
        found = self.all(tag, cls)
        assert len(found) == 1, f"{self.url}: expected one <{tag} class={cls}>, found {len(found)}"
        return found[0]

    def href(self, el: ET.Element, attr: str = "href") -> str:
        """A link's target as a site path (/x/y/), or the absolute URL for external links."""
        value = el.get(attr) or ""
        absolute = urljoin("http://site.invalid" + self.url, value)
        if absolute.startswith("http://site.invalid/"):
            return urlsplit(absolute).path
        return value

    def text(self, el: ET.Element | None = None) -> str:
        return " ".join("".join((el if el is not None else self.tree).itertext()).split())

    @property
    def main(self) -> ET.Element:
        return self.one("article", "md-content__inner")

    def cards(self) -> list[str]:
        """Site paths of the pieces listed as cards, in order."""
        return [
            self.href(self.one_in(card, "a", "hub-card-title"))
            for card in self.all("div", "hub-card")
        ]

    @staticmethod
    def one_in(el: ET.Element, tag: str, cls: str) -> ET.Element:
        found = [e for e in el.iter(tag) if cls in (e.get("class") or "").split()]
        assert len(found) == 1, f"expected one <{tag} class={cls}> in a card, found {len(found)}"
        return found[0]

    def meta(self, key: str) -> list[str]:
        return [
            m.get("content") or ""
            for m in self.all("meta")
            if m.get("property") == key or m.get("name") == key
        ]


def _file(site: Path, url: str) -> Path:
    path = site / url.lstrip("/")
    return path / "index.html" if url.endswith("/") else path


@cache
def _parse(path: Path) -> ET.Element:
    return html5lib.parse(path.read_bytes(), namespaceHTMLElements=False)


def page(built: BuiltSite, url: str) -> Page:
    path = _file(built.site, url)
    assert path.is_file(), f"{url} was not built ({path})"
    return Page(url, _parse(path))


def paged(built: BuiltSite, first: str) -> Iterator[Page]:
    """Page 1 and every numbered page after it, following /page/<n>/ until there is none."""
    yield page(built, first)
    n = 2
    while _file(built.site, f"{first}page/{n}/").is_file():
        yield page(built, f"{first}page/{n}/")
        n += 1


# ---------------------------------------------------------------- the contract's URLs


@build
def test_every_interface_url_exists(built_site: BuiltSite, content: list[Expected]) -> None:
    urls = ["/", "/topics/", "/editors/", "/feed.xml", "/notes/", "/sources/", "/sitemap.xml"]
    urls += ["/archive/", *(f"/archive/{year}/" for year in {p.when.year for p in content})]
    urls += [f"/topics/{t['slug']}/" for t in _topics(built_site.root)]
    urls += [f"/topics/{t['slug']}/feed.xml" for t in _topics(built_site.root)]
    urls += [f"/editors/{e}/" for e in _editors(built_site.root)]
    urls += [f"/sources/{s}/" for s in _sources(built_site.root)]
    urls += [p.url for p in content]
    missing = [u for u in urls if not _file(built_site.site, u).is_file()]
    assert missing == []


# ---------------------------------------------------------------- topic pages


@build
def test_topic_pages_list_exactly_their_pieces_newest_first(
    built_site: BuiltSite, content: list[Expected]
) -> None:
    for topic in _topics(built_site.root):
        slug = topic["slug"]
        expected = [p.url for p in content if slug in p.topics]
        pages = list(paged(built_site, f"/topics/{slug}/"))
        listed = [url for pg in pages for url in pg.cards()]
        assert listed == expected, slug
        assert len(pages) == max(1, math.ceil(len(expected) / PAGE_SIZE)), slug
        assert all(len(pg.cards()) <= PAGE_SIZE for pg in pages)


@build
def test_topic_page_has_description_count_feed_and_related_topics(
    built_site: BuiltSite, content: list[Expected]
) -> None:
    titles = {t["slug"]: t["title"] for t in _topics(built_site.root)}
    for topic in _topics(built_site.root):
        slug = topic["slug"]
        pg = page(built_site, f"/topics/{slug}/")
        main = pg.text(pg.main)
        assert " ".join(topic["description"].split()) in main
        count = sum(slug in p.topics for p in content)
        assert f"{count} piece{'' if count == 1 else 's'}" in main
        feeds = [pg.href(a) for a in pg.all("a", "hub-feed")]
        assert feeds == [f"/topics/{slug}/feed.xml"]
        together = Counter(o for p in content if slug in p.topics for o in p.topics if o != slug)
        related = [
            pg.href(a).strip("/").split("/")[-1]
            for p in pg.all("p")
            if pg.text(p).startswith("Related topics")
            for a in p.iter("a")
        ]
        assert set(related) <= set(together), slug
        assert len(related) == min(4, len(together)), slug
        if together:
            best = max(together.values())
            assert together[related[0]] == best, f"{slug}: most frequent companion first"
        for chip in related:
            assert chip in titles


def assert_paginated(built: BuiltSite, base: str, count: int) -> None:
    """A listing of `count` pieces at `base`: full pages, the rest on the last, no page after
    it, and each page's numbered, previous and next links right."""
    pages = math.ceil(count / PAGE_SIZE)

    def url(k: int) -> str:
        return base if k == 1 else f"{base}page/{k}/"

    assert not _file(built.site, url(pages + 1)).exists(), base
    for k in range(1, pages + 1):
        pg = page(built, url(k))
        size = PAGE_SIZE if k < pages else count - PAGE_SIZE * (pages - 1)
        assert len(pg.cards()) == size, (base, k)
        if pages == 1:
            assert pg.all("nav", "hub-pagination") == [], base
            continue
        nav = pg.one("nav", "hub-pagination")
        links = {
            cls: [pg.href(a) for a in nav.iter("a") if cls in (a.get("class") or "")]
            for cls in ("hub-prev", "hub-next", "hub-page")
        }
        assert links["hub-prev"] == ([url(k - 1)] if k > 1 else []), (base, k)
        assert links["hub-next"] == ([url(k + 1)] if k < pages else []), (base, k)
        numbered = set(links["hub-page"])
        assert {url(1), url(pages)} - {url(k)} <= numbered <= {url(j) for j in range(1, pages + 1)}
        assert url(k) not in numbered
        current = pg.one("span", "hub-current")
        assert (pg.text(current), current.get("aria-current")) == (str(k), "page")
        rels = [a.get("rel") for a in nav.iter("a") if a.get("rel")]
        assert rels == (["prev"] if k > 1 else []) + (["next"] if k < pages else [])


@build
def test_topic_pagination_boundaries(built_site: BuiltSite, content: list[Expected]) -> None:
    counts = Counter(t for p in content for t in p.topics)
    paginated = {slug: n for slug, n in counts.items() if n > PAGE_SIZE}
    assert paginated, "the demo needs a topic with more pieces than a page"
    for slug, count in paginated.items():
        assert_paginated(built_site, f"/topics/{slug}/", count)


# ---------------------------------------------------------------- home, editors, notes, sources


def _sections(pg: Page) -> dict[str, list[str]]:
    """The cards of each section of a page, by the text of the heading before them."""
    sections: dict[str, list[str]] = {}
    heading = ""
    for el in pg.main:
        if el.tag == "h2":
            heading = pg.text(el).rstrip("¶ ")
        elif el.tag == "div" and "hub-cards" in (el.get("class") or "").split():
            sections[heading] = [pg.href(Page.one_in(c, "a", "hub-card-title")) for c in el if "hub-card" in (c.get("class") or "")]
    return sections


@build
def test_home_leads_with_featured_pieces_and_gives_the_editors_a_section(
    built_site: BuiltSite, content: list[Expected]
) -> None:
    home = page(built_site, "/")
    featured = [p.url for p in content if p.meta.get("featured") is True][:3]
    assert featured, "the demo features a piece"
    written = [p.url for p in content if p.meta.get("editor") and p.url not in featured]
    pulled = [p.url for p in content if p.meta.get("source") and p.url not in featured]
    assert _sections(home) == {
        "Featured": featured,
        "From the editors": written[:HOME_LATEST],
        "From partners and analysts": pulled[:HOME_LATEST],
    }
    assert any(p.kind == "editorial" and p.url in written[:HOME_LATEST] for p in content)
    assert "/archive/" in [home.href(a) for a in home.main.iter("a")]


@build
def test_home_labels_kinds_and_lists_topics_and_editors(
    built_site: BuiltSite, content: list[Expected]
) -> None:
    home = page(built_site, "/")
    by_url = {p.url: p for p in content}
    for card in home.all("div", "hub-card"):
        url = home.href(Page.one_in(card, "a", "hub-card-title"))
        badge = Page.one_in(card, "span", "hub-kind")
        assert home.text(badge) == KIND_LABELS[by_url[url].kind], url
    main = home.text(home.main)
    for topic in _topics(built_site.root):
        count = sum(topic["slug"] in p.topics for p in content)
        link = [a for a in home.main.iter("a") if home.href(a) == f"/topics/{topic['slug']}/"]
        assert link, topic["slug"]
        assert f"{topic['title']} {count}" in main
    for editor_id, (meta, _bio) in _editors(built_site.root).items():
        assert any(home.href(a) == f"/editors/{editor_id}/" for a in home.main.iter("a"))
        assert f"{meta['name']} — {meta['role']}" in main


@build
def test_editor_page_shows_photo_role_bio_links_and_exactly_their_pieces(
    built_site: BuiltSite, content: list[Expected]
) -> None:
    for editor_id, (meta, bio) in _editors(built_site.root).items():
        url = f"/editors/{editor_id}/"
        pages = list(paged(built_site, url))
        first = pages[0]
        expected = [p.url for p in content if editor_id in _editor_ids(p.meta)]
        assert [u for pg in pages for u in pg.cards()] == expected, editor_id
        assert len(pages) == max(1, math.ceil(len(expected) / PAGE_SIZE))
        assert first.text(first.one("h1")) == meta["name"]
        assert first.text(first.one("p", "hub-editor-role")).startswith(meta["role"])
        first_sentence = " ".join(bio.split()).split(". ")[0]
        assert first_sentence in first.text(first.main)
        links = [first.href(a) for a in first.one("p", "hub-editor-role").iter("a")]
        assert links == [li["url"] for li in meta.get("links") or []]
        if meta.get("photo"):
            photo = first.one("img", "hub-photo")
            assert photo.get("alt") == meta["name"]
            assert _file(built_site.site, first.href(photo, "src")).is_file()


@build
def test_every_byline_links_to_its_editors(built_site: BuiltSite, content: list[Expected]) -> None:
    editors = _editors(built_site.root)
    co_authored = 0
    for piece in content:
        ids = _editor_ids(piece.meta)
        if not ids:
            continue
        co_authored += len(ids) > 1
        pg = page(built_site, piece.url)
        byline = pg.one("p", "hub-byline")
        links = [(pg.href(a), pg.text(a)) for a in byline.iter("a")]
        assert links[-len(ids) :] == [(f"/editors/{i}/", editors[i][0]["name"]) for i in ids]
        names = [editors[i][0]["name"] for i in ids]
        expected = " and ".join(filter(None, (", ".join(names[:-1]), names[-1])))
        assert f"By {expected}" in pg.text(byline), piece.url
    assert co_authored, "the demo has a piece by two editors"


@build
def test_feeds_list_every_author_of_a_piece(built_site: BuiltSite, content: list[Expected]) -> None:
    editors = _editors(built_site.root)
    by_link = {built_site.site_url + p.url.lstrip("/"): p for p in content}
    for entry in feedparser.parse((built_site.site / "feed.xml").read_bytes()).entries:
        piece = by_link[entry.link]
        if piece.meta.get("editor"):
            expected = [editors[i][0]["name"] for i in _editor_ids(piece.meta)]
            assert [a["name"] for a in entry.authors] == expected, entry.link


# ---------------------------------------------------------------- the archive and aliases


@build
def test_archive_lists_every_year_and_month_with_counts(
    built_site: BuiltSite, content: list[Expected]
) -> None:
    pg = page(built_site, "/archive/")
    years = Counter(p.when.year for p in content)
    blocks = pg.all("div", "hub-archive-year")
    headings = [next(b.iter("h2")) for b in blocks]
    assert [pg.href(next(h.iter("a"))) for h in headings] == [
        f"/archive/{y}/" for y in sorted(years, reverse=True)
    ]
    for block, heading, year in zip(blocks, headings, sorted(years, reverse=True), strict=True):
        assert pg.text(heading).startswith(f"{year} {years[year]} piece")
        in_year = [p for p in content if p.when.year == year]
        months = Counter(p.when.month for p in in_year)
        shown = [(pg.text(a), a.get("href") or "") for a in block.iter("a")][1:]
        assert [name for name, _ in shown] == [date(2000, m, 1).strftime("%B") for m in sorted(months, reverse=True)]
        counts = [pg.text(s) for s in Page(pg.url, block).all("span", "hub-count")][1:]
        assert counts == [str(months[m]) for m in sorted(months, reverse=True)]
        for (name, href), month in zip(shown, sorted(months, reverse=True), strict=True):
            first = next(i for i, p in enumerate(in_year) if p.when.month == month)
            target, _, anchor = href.partition("#")
            expected = f"/archive/{year}/" + (f"page/{first // PAGE_SIZE + 1}/" if first >= PAGE_SIZE else "")
            assert (pg.href(ET.Element("a", href=target)), anchor) == (expected, name.lower())
            listing = page(built_site, expected)
            assert [h for h in listing.all("h2") if h.get("id") == anchor], (year, name)


@build
def test_archive_year_pages_list_exactly_their_pieces_newest_first(
    built_site: BuiltSite, content: list[Expected]
) -> None:
    for year in {p.when.year for p in content}:
        expected = [p.url for p in content if p.when.year == year]
        listed = [u for pg in paged(built_site, f"/archive/{year}/") for u in pg.cards()]
        assert listed == expected, year
        assert_paginated(built_site, f"/archive/{year}/", len(expected))


@build
def test_aliases_redirect_to_their_piece(built_site: BuiltSite, content: list[Expected]) -> None:
    moved = [(alias, p) for p in content for alias in p.meta.get("aliases") or []]
    assert moved, "the demo has a piece that moved"
    for alias, piece in moved:
        pg = page(built_site, alias)
        assert pg.meta("robots") == ["noindex"]
        (refresh,) = [m.get("content") or "" for m in pg.all("meta") if m.get("http-equiv") == "refresh"]
        assert pg.href(ET.Element("a", href=refresh.partition("url=")[2])) == piece.url
        assert _single(pg, "canonical") == [built_site.site_url + piece.url.lstrip("/")]


@build
def test_notes_section_lists_every_analyst_note_with_figure(
    built_site: BuiltSite, content: list[Expected]
) -> None:
    notes = [p for p in content if p.kind == "analyst"]
    pages = list(paged(built_site, "/notes/"))
    assert [u for pg in pages for u in pg.cards()] == [p.url for p in notes]
    for note in (n for n in notes if n.meta.get("figure")):
        pg = page(built_site, note.url)
        figure = pg.text(pg.one("div", "hub-figure"))
        assert " ".join(str(note.meta["figure"]).split()) in figure
        for key in ("analyst", "firm"):
            if note.meta.get(key):
                assert note.meta[key] in figure
        if note.meta.get("canonical"):
            originals = [a.get("href") for a in pg.all("a", "hub-original")]
            assert originals == [note.meta["canonical"]]


@build
def test_source_pages_show_site_last_new_content_status_and_their_pieces(
    built_site: BuiltSite, content: list[Expected]
) -> None:
    table = page(built_site, "/sources/")
    head = [table.text(th) for th in table.main.iter("th") if th.get("scope") == "col"]
    assert head == ["Source", "Pieces", "Last new content", "Status"]
    for source_id, source in _sources(built_site.root).items():
        pg = page(built_site, f"/sources/{source_id}/")
        facts = pg.one("p", "hub-source-facts")
        assert "last new content" in pg.text(facts)
        if source.get("site"):
            assert source["site"] in [a.get("href") for a in facts.iter("a")]
        expected = [p.url for p in content if p.meta.get("source") == source_id]
        listed = [u for sp in paged(built_site, f"/sources/{source_id}/") for u in sp.cards()]
        assert listed == expected
        rows = [
            [table.text(cell) for cell in tr if cell.tag in ("th", "td")]
            for tr in table.main.iter("tr")
            if any(table.href(a) == f"/sources/{source_id}/" for a in tr.iter("a"))
        ]
        assert len(rows) == 1, source_id
        name_and_kind, count, newest, status = rows[0]
        assert name_and_kind == f"{source['name']} {source['kind'].title()}"
        assert count == str(len(expected))
        if built_site.pulled and source.get("enabled", True):
            # the demo pull reads bundled copies: every source was pulled just now, and fine
            assert re.fullmatch(r"\d{1,2} \w+ \d{4}", newest), newest
            assert status == "Up to date", source_id
            assert f"last new content {newest} · Up to date" in pg.text(facts)


# ---------------------------------------------------------------- a piece's own page


def _next_list(heading: ET.Element, tree: ET.Element) -> ET.Element:
    """The list that follows a heading (its next sibling list)."""
    parent = next(el for el in tree.iter() if heading in list(el))
    children = list(parent)
    following = children[children.index(heading) + 1 :]
    return next(el for el in following if el.tag in ("ul", "ol"))


def _single(pg: Page, rel: str) -> list[str]:
    return [link.get("href") or "" for link in pg.all("link") if link.get("rel") == rel]


@build
def test_piece_page_has_byline_date_reading_time_chips_related_and_meta(
    built_site: BuiltSite, content: list[Expected]
) -> None:
    titles = {t["slug"]: t["title"] for t in _topics(built_site.root)}
    by_url = {p.url: p for p in content}
    for piece in content:
        pg = page(built_site, piece.url)
        assert pg.text(pg.one("h1")) == " ".join(piece.title.split()), piece.url
        byline = pg.one("p", "hub-byline")
        words = pg.text(byline)
        assert KIND_LABELS[piece.kind] in words
        assert re.search(r"\b\d+ min read\b", words), words
        assert [t.get("datetime") for t in byline.iter("time")] == [piece.when.date().isoformat()]
        if piece.topics:
            chips = [pg.href(a) for a in pg.one("div", "hub-topics").iter("a")]
            assert chips == [f"/topics/{slug}/" for slug in piece.topics if slug in titles]
        # the heading's text ends with the toc permalink sign
        related = [h for h in pg.all("h2") if pg.text(h).rstrip("¶ ") == "Related"]
        assert len(related) == 1, piece.url
        shown = [pg.href(a) for a in _next_list(related[0], pg.main).iter("a")]
        assert 1 <= len(shown) <= 4 and piece.url not in shown
        assert all(set(by_url[u].topics) & set(piece.topics) for u in shown), piece.url
        # OpenGraph and Twitter: one of each, the piece's own title, an article
        assert pg.meta("og:title") == [piece.title]
        assert pg.meta("og:type") == ["article"]
        assert pg.meta("twitter:card") == ["summary"]
        assert len(pg.meta("og:url")) == 1 and len(pg.meta("og:description")) == 1
        if piece.meta.get("summary"):
            assert pg.meta("description") == [str(piece.meta["summary"])]
        assert len(_single(pg, "canonical")) == 1, piece.url


@build
def test_generated_pages_are_websites_not_articles(built_site: BuiltSite) -> None:
    for url in ("/", "/topics/", "/editors/", "/notes/"):
        pg = page(built_site, url)
        assert pg.meta("og:type") == ["website"], url
        own = built_site.site_url + url.lstrip("/")
        assert _single(pg, "canonical") == [own] and pg.meta("og:url") == [own]


@build
def test_pulled_piece_credits_source_and_links_to_original(
    built_site: BuiltSite, content: list[Expected]
) -> None:
    pulled = [p for p in content if p.meta.get("source")]
    if not pulled:
        pytest.skip("the demo has no pulled pieces (channelhub pull not available yet)")
    sources = _sources(built_site.root)
    for piece in pulled:
        pg = page(built_site, piece.url)
        source = sources[piece.meta["source"]]
        byline = pg.one("p", "hub-byline")
        assert pg.text(byline).count(f"From {source['name']}") == 1
        assert f"/sources/{source['id']}/" in [pg.href(a) for a in byline.iter("a")]
        original = pg.one("a", "hub-original")
        assert original.get("href") == piece.meta["canonical"]
        assert "nofollow" in (original.get("rel") or "")
        policy = source.get("policy", "excerpt")
        points_home = (
            source.get("canonical", "original" if policy == "full" else "hub") == "original"
        )
        want = (
            piece.meta["canonical"] if points_home else built_site.site_url + piece.url.lstrip("/")
        )
        assert _single(pg, "canonical") == [want], piece.url
        assert pg.meta("og:url") == [want]


@build
def test_hostile_titles_are_shown_as_text_everywhere(built_site: BuiltSite, tmp_path: Path) -> None:
    """A title, summary and author with markup land in <title>, meta, header and h1 as text."""
    hostile = '</title><script>alert(1)</script> "Q&A" <b>bold</b>'
    article = built_site.root / "docs/articles/2026/a-hostile-title.md"
    copy = tmp_path / "hub"
    shutil.copytree(built_site.root, copy)
    (copy / article.relative_to(built_site.root)).write_text(
        "---\n"
        + yaml.safe_dump(
            {
                "title": hostile,
                "date": "2031-01-02",  # the newest piece, so the hub's feed has it
                "topics": ["data-analytics"],
                "summary": 'Sum <img src=x onerror="alert(2)"> & more',
                "editor": next(iter(_editors(built_site.root))),
            },
            allow_unicode=True,
        )
        + "---\nBody text.\n",
        encoding="utf-8",
    )
    env_site = tmp_path / "site"
    # built as of a moment after its date, so that it is published (issue 14)
    result = channelhub(copy, "build", "-d", str(env_site), env={"CHANNELHUB_NOW": "2031-01-03T00:00:00Z"}, timeout=600)
    assert result.returncode == 0, result.stderr
    raw = (env_site / "articles/2026/a-hostile-title/index.html").read_text(encoding="utf-8")
    tree = html5lib.parse(raw, namespaceHTMLElements=False)
    pg = Page("/articles/2026/a-hostile-title/", tree)
    scripts = [s for s in tree.iter("script") if "alert" in "".join(s.itertext())]
    assert scripts == []
    assert [el for el in tree.iter() if any(k.startswith("on") for k in el.attrib)] == []
    assert pg.text(pg.one("title")) == f"{' '.join(hostile.split())} - Channel Hub"
    assert pg.text(pg.one("h1")) == " ".join(hostile.split())
    assert pg.meta("og:title") == [hostile]
    assert pg.meta("twitter:title") == [hostile]
    assert pg.meta("description") == ['Sum <img src=x onerror="alert(2)"> & more']
    topics = [el for el in tree.iter("div") if el.get("data-md-component") == "header-topic"]
    assert [" ".join("".join(t.itertext()).split()) for t in topics] == [" ".join(hostile.split())]
    feed = feedparser.parse((env_site / "feed.xml").read_bytes())
    assert feed.bozo == 0
    assert hostile in [e.title for e in feed.entries]


# ---------------------------------------------------------------- feeds, sitemap, links


@build
def test_feeds_parse_cleanly_with_escaped_titles(
    built_site: BuiltSite, content: list[Expected]
) -> None:
    hub = feedparser.parse((built_site.site / "feed.xml").read_bytes())
    assert hub.bozo == 0, hub.get("bozo_exception")
    assert [e.link for e in hub.entries] == [
        built_site.site_url + p.url.lstrip("/") for p in content[: len(hub.entries)]
    ]
    assert len(hub.entries) == min(30, len(content))
    assert [e.title for e in hub.entries] == [p.title for p in content[: len(hub.entries)]]
    for topic in _topics(built_site.root):
        slug = topic["slug"]
        feed = feedparser.parse((built_site.site / f"topics/{slug}/feed.xml").read_bytes())
        assert feed.bozo == 0, (slug, feed.get("bozo_exception"))
        expected = [p for p in content if slug in p.topics]
        assert [e.title for e in feed.entries] == [p.title for p in expected][:30], slug
        assert feed.feed.title.startswith(topic["title"])


@build
def test_sitemap_lists_every_page(built_site: BuiltSite) -> None:
    tree = ET.parse(built_site.site / "sitemap.xml")
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    listed = {loc.text for loc in tree.getroot().iterfind("s:url/s:loc", ns)}
    pages = set()
    for path in built_site.site.rglob("index.html"):
        html = path.read_text(encoding="utf-8")
        if 'http-equiv="refresh"' in html:  # a redirect from a renamed topic, not a page
            continue
        rel = path.parent.relative_to(built_site.site).as_posix()
        pages.add(built_site.site_url + ("" if rel == "." else rel + "/"))
    assert pages and listed == pages
    assert built_site.site_url + "topics/" in listed  # generated pages are listed too


@build
def test_linkcheck_finds_no_broken_internal_link(built_site: BuiltSite) -> None:
    result = subprocess.run(
        [sys.executable, str(LINKCHECK), str(built_site.site), "--site-url", built_site.site_url],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout
    pages, links = map(int, re.findall(r"(\d+) pages, (\d+) internal links", result.stderr)[0])
    assert pages >= 40 and links > pages * 10


# ---------------------------------------------------------------- the link checker itself


@pytest.mark.parametrize(
    ("html", "broken"),
    [
        ('<a href="a/">a</a><a href="a/index.html#x">b</a><a href="#top">c</a>', []),
        ('<a href="missing/">a</a>', ["missing/"]),
        ('<img src="img/x.png" srcset="img/x.png 1x, img/y.png 2x">', ["img/y.png"]),
        ('<a href="https://elsewhere.example/">x</a><a href="mailto:a@b.example">m</a>', []),
        ('<a href="../../outside.html">x</a>', ["../../outside.html"]),
        (
            '<meta http-equiv="refresh" content="0; url=https://hub.example/gone/">',
            ["https://hub.example/gone/"],
        ),
        ('<meta http-equiv="refresh" content="0; url=https://hub.example/a/">', []),
        (
            '<link rel="stylesheet" href="css/site.css"><script src="js/x.js"></script>',
            ["css/site.css", "js/x.js"],
        ),
    ],
)
def test_linkcheck_reports_each_broken_link(tmp_path: Path, html: str, broken: list[str]) -> None:
    site = tmp_path / "site"
    (site / "a").mkdir(parents=True)
    (site / "img").mkdir()
    (site / "img/x.png").write_bytes(b"png")
    (site / "a/index.html").write_text('<a href="../">home</a>', encoding="utf-8")
    (site / "index.html").write_text(html, encoding="utf-8")
    (tmp_path / "outside.html").write_text("not in the site", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(LINKCHECK), str(site), "--site-url", "https://hub.example/"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.splitlines() == [f"index.html: {link}" for link in broken]
    assert result.returncode == (1 if broken else 0)


def test_linkcheck_without_a_site_is_a_usage_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(LINKCHECK), str(tmp_path / "nothing")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "no such folder" in result.stderr


@build
def test_the_demo_is_built_outside_the_repository(built_site: BuiltSite) -> None:
    assert not built_site.root.is_relative_to(ROOT) and not built_site.site.is_relative_to(ROOT)
    assert (built_site.site / "index.html").is_file()


def test_pages_load_nothing_from_other_hosts(built_site: BuiltSite) -> None:
    """No fonts, scripts or styles from elsewhere: readers are not tracked and the site works offline."""
    import re

    external = re.compile(
        r"""<(?:link|script)\b[^>]*\b(?:href|src)=["']?(?:https?:)?//""", re.IGNORECASE
    )
    offenders = []
    for page in built_site.site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        for match in external.finditer(text):
            tag = text[match.start() : text.index(">", match.start()) + 1]
            if 'rel="canonical"' not in tag and "alternate" not in tag:
                offenders.append(f"{page.relative_to(built_site.site)}: {tag[:120]}")
    assert offenders == []
