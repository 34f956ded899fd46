"""Drafts, scheduled and expired pieces, co-authors and aliases through real builds, `check` and `serve`.

A copy of the repository gets four more pieces: a draft, a piece scheduled for later, a partner
post that expired, and a piece two editors wrote that moved (two aliases). It is built with
`channelhub build` as of a fixed moment (CHANNELHUB_NOW) and again as of a later one; every file
under site/ is then read as bytes (gzip opened) to prove what is not published is nowhere:
pages, listings, feeds, the sitemap, the search index. `channelhub serve` previews the same copy
with each held piece's banner, checked in Chromium with axe-core at phone width.
"""

from __future__ import annotations

import gzip
import math
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import html5lib
import pytest

from browser import CHROMIUM_ARGS, SITE_URL, axe_source, require_chromium, use_demo_page_size
from channelhub import frontmatter
from scratch import channelhub, copy_repository

pytestmark = [pytest.mark.build, pytest.mark.xdist_group("publication")]

NOW = "2030-01-01T00:00:00Z"
LATER = "2030-07-01T00:00:00Z"
DRAFT = "docs/articles/2029/quillfeather-draft.md"
SCHEDULED = "docs/articles/2030/marrowlight-scheduled.md"
EXPIRED = "docs/sources/northwind-partner-blog/2029/tessellin-expired.md"
TOGETHER = "docs/articles/2029/written-together.md"
TOGETHER_URL = "/articles/2029/written-together/"
ALIASES = {"/old/written-together/": "old/written-together/index.html", "/2029/together.html": "2029/together.html"}
CO_AUTHORS = {"maya-okafor": "Maya Okafor", "tomas-lindqvist": "Tomas Lindqvist"}
PIECES: dict[str, dict[str, Any]] = {
    DRAFT: {
        "title": "Quillfeather: a draft nobody may read yet",
        "date": "2029-06-01",
        "draft": True,
        "topics": ["data-analytics"],
        "summary": "Quillfeather summary.",
        "editor": "maya-okafor",
        "aliases": ["/old/quillfeather/"],
    },
    SCHEDULED: {
        "title": "Marrowlight goes live in June",
        "date": "2030-06-01T09:30:00Z",
        "topics": ["data-analytics"],
        "summary": "Marrowlight summary.",
        "editor": "priya-raman",
    },
    EXPIRED: {
        "title": "Tessellin offer ends with the year",
        "date": "2029-01-01",
        "expires": "2029-12-31T23:00:00Z",
        "topics": ["channel-partners"],
        "summary": "Tessellin summary.",
        "source": "northwind-partner-blog",
        "canonical": "https://northwind.example/blog/tessellin",
    },
    TOGETHER: {
        "title": "Written together by two editors",
        "date": "2029-05-01",
        "topics": ["marketing-it-alignment"],
        "summary": "Two bylines, one piece.",
        "editor": list(CO_AUTHORS),
        "aliases": list(ALIASES),
    },
}
#: words and paths of the held pieces that no file of a published site may contain
HELD_MARKS = {
    DRAFT: (b"Quillfeather", b"quillfeather"),
    SCHEDULED: (b"Marrowlight", b"marrowlight"),
    EXPIRED: (b"Tessellin", b"tessellin"),
}


def _build(root: Path, site: Path, now: str) -> None:
    result = channelhub(root, "build", "-d", str(site), env={"SITE_URL": SITE_URL, "CHANNELHUB_NOW": now}, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_repository(tmp_path_factory.mktemp("publication") / "hub")
    use_demo_page_size(root)
    for path, meta in PIECES.items():
        word = meta["title"].split()[0].rstrip(":")
        frontmatter.write(root / path, meta, f"\n{word} is the word of this piece. It has a body.\n")
    return root


@pytest.fixture(scope="module")
def site_now(hub: Path) -> Path:
    site = hub.parent / "site-now"
    _build(hub, site, NOW)
    return site


@pytest.fixture(scope="module")
def site_later(hub: Path) -> Path:
    site = hub.parent / "site-later"
    _build(hub, site, LATER)
    return site


def _files(site: Path) -> Iterator[tuple[str, bytes]]:
    """Every file of a built site with its bytes (a .gz file opened)."""
    for path in sorted(site.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            yield path.relative_to(site).as_posix(), gzip.decompress(data) if path.suffix == ".gz" else data


def _where(site: Path, marks: tuple[bytes, ...]) -> list[str]:
    return [name for name, data in _files(site) if any(m in data for m in marks) or any(m.decode() in name for m in marks)]


def _html(site: Path, url: str) -> ET.Element:
    path = site / url.lstrip("/") / "index.html" if url.endswith("/") else site / url.lstrip("/")
    return html5lib.parse(path.read_bytes(), namespaceHTMLElements=False)


def _text(el: ET.Element) -> str:
    return " ".join("".join(el.itertext()).split())


def _by_class(tree: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [el for el in tree.iter(tag) if cls in (el.get("class") or "").split()]


def _href(url: str, value: str) -> str:
    return urlsplit(urljoin("http://site.invalid" + url, value)).path


def _cards(site: Path, url: str) -> list[str]:
    tree = _html(site, url)
    return [_href(url, a.get("href") or "") for a in _by_class(tree, "a", "hub-card-title")]


def _moment(value: object) -> datetime:
    text = str(value).replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text if len(text) > 10 else text + "T00:00:00+00:00")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _sitemap(site: Path) -> set[str]:
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    return {loc.text or "" for loc in ET.parse(site / "sitemap.xml").getroot().iterfind("s:url/s:loc", ns)}


# ---------------------------------------------------------------- what is not published is nowhere


def test_drafts_scheduled_and_expired_pieces_are_in_no_file_of_the_site(site_now: Path) -> None:
    assert (site_now / "index.html").is_file() and (site_now / "search-index/manifest.json").is_file()
    for path, marks in HELD_MARKS.items():
        assert _where(site_now, marks) == [], path
    assert not (site_now / "old/quillfeather").exists()  # a draft's alias is not written either


def test_a_scheduled_piece_is_published_by_the_first_build_after_its_moment(site_later: Path, hub: Path) -> None:
    url = "/articles/2030/marrowlight-scheduled/"
    assert (site_later / url.lstrip("/") / "index.html").is_file()
    featured = {
        "/" + p.relative_to(hub / "docs").as_posix().removesuffix(".md") + "/"
        for p in (hub / "docs/articles").rglob("*.md")
        if frontmatter.read(p, with_lines=False).meta.get("featured") is True
    }
    home = _cards(site_later, "/")
    assert set(home[: len(featured)]) == featured
    assert home[len(featured)] == url  # the first of the editors' section: the newest piece written here
    assert _cards(site_later, "/archive/2030/") == [url]
    assert url in _cards(site_later, "/topics/data-analytics/")
    assert SITE_URL + url.lstrip("/") in _sitemap(site_later)
    for feed in ("feed.xml", "topics/data-analytics/feed.xml"):
        entries = feedparser.parse((site_later / feed).read_bytes()).entries
        assert entries[0].link == SITE_URL + url.lstrip("/"), feed
    index = [name for name, data in _files(site_later) if name.startswith("search-index/") and b"Marrowlight" in data]
    assert index, "the search index has no record of the scheduled piece"
    # the draft and the expired post stay out, however late the build
    assert _where(site_later, HELD_MARKS[DRAFT] + HELD_MARKS[EXPIRED]) == []


# ---------------------------------------------------------------- co-authors


def test_a_co_authored_piece_is_on_both_editor_pages_in_both_bylines_and_feed_authors(site_now: Path) -> None:
    for editor in CO_AUTHORS:
        listed, n = _cards(site_now, f"/editors/{editor}/"), 2
        while (site_now / f"editors/{editor}/page/{n}/index.html").is_file():
            listed += _cards(site_now, f"/editors/{editor}/page/{n}/")
            n += 1
        assert TOGETHER_URL in listed, editor
    tree = _html(site_now, TOGETHER_URL)
    (byline,) = _by_class(tree, "p", "hub-byline")
    assert "By Maya Okafor and Tomas Lindqvist" in _text(byline)
    assert [_href(TOGETHER_URL, a.get("href") or "") for a in byline.iter("a")][-2:] == [f"/editors/{e}/" for e in CO_AUTHORS]
    for url in ("/", "/topics/marketing-it-alignment/"):
        cards = [c for c in _by_class(_html(site_now, url), "div", "hub-card") if "Written together" in _text(c)]
        assert cards and "By Maya Okafor and Tomas Lindqvist" in _text(cards[0]), url
    entry = next(e for e in feedparser.parse((site_now / "feed.xml").read_bytes()).entries if e.link.endswith(TOGETHER_URL))
    assert [a["name"] for a in entry.authors] == list(CO_AUTHORS.values())


# ---------------------------------------------------------------- aliases


def test_each_alias_is_a_redirect_to_the_piece_and_not_in_the_sitemap(site_now: Path) -> None:
    listed = _sitemap(site_now)
    for alias, file in ALIASES.items():
        tree = html5lib.parse((site_now / file).read_bytes(), namespaceHTMLElements=False)
        meta = {m.get("name") or m.get("http-equiv"): m.get("content") or "" for m in tree.iter("meta")}
        assert meta["robots"] == "noindex"
        target = meta["refresh"].partition("url=")[2]
        assert _href(alias, target) == TOGETHER_URL, alias
        assert [link.get("href") for link in tree.iter("link") if link.get("rel") == "canonical"] == [SITE_URL + TOGETHER_URL.lstrip("/")]
        assert SITE_URL + alias.lstrip("/") not in listed
    linkcheck = subprocess.run(
        [sys.executable, str(Path(__file__).parents[1] / "scripts" / "linkcheck"), str(site_now), "--site-url", SITE_URL],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert linkcheck.returncode == 0, linkcheck.stdout


# ---------------------------------------------------------------- the archive, with the build's own pieces


def test_archive_years_list_exactly_their_pieces(site_now: Path, hub: Path) -> None:
    """Expectations from the files' front matter (read here, not by the hub's content model)."""
    now = _moment(NOW)
    years: dict[int, list[tuple[datetime, str]]] = {}
    for folder in ("articles", "notes", "sources"):
        for path in (hub / "docs" / folder).rglob("*.md"):
            meta = frontmatter.read(path, with_lines=False).meta
            if "date" not in meta or path.name == "index.md" or meta.get("draft") is True:
                continue
            when, expires = _moment(meta["date"]), meta.get("expires")
            if when > now or (expires and _moment(expires) <= now):
                continue
            years.setdefault(when.year, []).append((when, path.relative_to(hub / "docs").as_posix()))
    assert set(years) == {2025, 2026, 2029}
    for year, found in years.items():
        expected = ["/" + src.removesuffix(".md") + "/" for _w, src in sorted(found, reverse=True)]
        pages = math.ceil(len(expected) / 5)
        listed = []
        for n in range(1, pages + 1):
            cards = _cards(site_now, f"/archive/{year}/" if n == 1 else f"/archive/{year}/page/{n}/")
            assert len(cards) == (5 if n < pages else len(expected) - 5 * (pages - 1)), (year, n)
            listed += cards
        assert not (site_now / f"archive/{year}/page/{pages + 1}").exists()
        assert listed == expected, year


# ---------------------------------------------------------------- check


def test_check_lists_upcoming_pieces_with_their_times(hub: Path) -> None:
    text = channelhub(hub, "check", env={"CHANNELHUB_NOW": NOW})
    assert (text.returncode, text.stdout) == (0, "")
    assert "upcoming: docs/articles/2030/marrowlight-scheduled.md: goes live on 1 June 2030, 09:30 UTC\n" in text.stderr
    github = channelhub(hub, "check", "--format", "github", env={"CHANNELHUB_NOW": NOW})
    assert github.stdout == "::notice file=docs/articles/2030/marrowlight-scheduled.md::goes live at 2030-06-01T09:30:00Z\n"
    earlier = channelhub(hub, "check", "docs/sources", env={"CHANNELHUB_NOW": "2029-06-01T00:00:00Z"})
    assert earlier.returncode == 0
    assert [line for line in earlier.stderr.splitlines() if line.startswith("upcoming")] == [
        "upcoming: docs/sources/northwind-partner-blog/2029/tessellin-expired.md: comes off the site on 31 December 2029, 23:00 UTC"
    ]


@pytest.mark.parametrize("command", [["check"], ["build", "-d", "never-written"], ["serve", "--dev-addr", "127.0.0.1:9"]])
def test_a_bad_channelhub_now_is_a_usage_error(hub: Path, command: list[str]) -> None:
    result = channelhub(hub, *command, env={"CHANNELHUB_NOW": "2030-01-01 09:00"})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "Error: CHANNELHUB_NOW must be an ISO 8601 date and time with a zone, "
        "e.g. 2026-03-14T09:00:00Z; got '2030-01-01 09:00'"
    )
    assert not (hub / "never-written").exists()


# ---------------------------------------------------------------- serve: the editor's preview


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def preview(hub: Path) -> Iterator[str]:
    """`channelhub serve` on the copy as of NOW, on a free port of 127.0.0.1; its base URL."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "channelhub", "serve", "--dev-addr", f"127.0.0.1:{port}"],
        cwd=hub,
        env={**os.environ, "CHANNELHUB_NOW": NOW, "NO_MKDOCS_2_WARNING": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: mkdocs runs as a child of the command
    )
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 600
        while True:
            try:
                with urllib.request.urlopen(base, timeout=10):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"channelhub serve did not start:\n{process.stderr.read().decode() if process.stderr else ''}")
                time.sleep(1)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read().decode("utf-8")


@pytest.mark.parametrize(
    ("path", "banner"),
    [
        (DRAFT, ("hub-banner-draft", "Draft")),
        (SCHEDULED, ("hub-banner-scheduled", "Scheduled for 1 June 2030, 09:30 UTC")),
        (EXPIRED, ("hub-banner-expired", "Expired on 31 December 2029, 23:00 UTC")),
    ],
)
def test_serve_previews_held_pieces_with_their_banner(preview: str, path: str, banner: tuple[str, str]) -> None:
    url = path.removeprefix("docs/").removesuffix(".md") + "/"
    tree = html5lib.parse(_get(preview + url), namespaceHTMLElements=False)
    (found,) = _by_class(tree, "div", banner[0])
    assert _text(_by_class(found, "p", "admonition-title")[0]) == banner[1]
    badge = banner[0].replace("banner", "status")
    listing = "topics/channel-partners/" if path == EXPIRED else "topics/data-analytics/"
    assert f'class="hub-status {badge}"' in _get(preview + listing)


def test_serve_shows_a_published_piece_without_a_banner(preview: str) -> None:
    html = _get(preview + TOGETHER_URL.lstrip("/"))
    assert "hub-byline" in html and "hub-banner" not in html


@pytest.mark.browser
@pytest.mark.parametrize(
    ("path", "shown"),
    [
        (DRAFT.removeprefix("docs/").removesuffix(".md") + "/", ".hub-banner-draft .admonition-title"),
        ("topics/data-analytics/", ".hub-status-scheduled"),  # a listing with the badges
    ],
)
def test_preview_banners_and_badges_pass_axe_and_fit_a_phone(preview: str, path: str, shown: str) -> None:
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=list(CHROMIUM_ARGS))
        context = browser.new_context(viewport={"width": 375, "height": 800}, is_mobile=True, has_touch=True)
        context.route(re.compile(r"^(?!" + re.escape(preview) + ")"), lambda route: route.abort("blockedbyclient"))
        page = context.new_page()
        page.goto(preview + path)
        assert page.locator(shown).first.is_visible()
        width, client = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        page.add_script_tag(content=axe_source())
        result: dict[str, Any] = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        serious = [f"{v['id']}: {[n['target'] for n in v['nodes'][:3]]}" for v in result["violations"] if v["impact"] in ("critical", "serious")]
        context.close()
        browser.close()
    assert width <= client == 375
    assert serious == []


def test_an_alias_over_a_page_fails_the_strict_build(tmp_path: Path) -> None:
    root = copy_repository(tmp_path / "hub")
    meta = {**PIECES[TOGETHER], "aliases": ["/about/"]}
    frontmatter.write(root / TOGETHER, meta, "\nBody.\n")
    result = channelhub(root, "build", "-d", str(tmp_path / "site"), env={"CHANNELHUB_NOW": NOW}, timeout=900)
    assert result.returncode == 1
    assert f"{TOGETHER}:7: alias '/about/' collides with docs/about.md" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_link_to_a_piece_that_is_not_published_does_not_stop_the_build(tmp_path: Path) -> None:
    """An expiry must never stop the hourly publish: the link is logged, the build succeeds."""
    root = copy_repository(tmp_path / "hub")
    frontmatter.write(root / DRAFT, PIECES[DRAFT], "\nA draft.\n")
    frontmatter.write(root / TOGETHER, PIECES[TOGETHER], "\nSee [the draft](quillfeather-draft.md).\n")
    result = channelhub(root, "build", "-d", str(tmp_path / "site"), env={"CHANNELHUB_NOW": NOW}, timeout=900)
    assert result.returncode == 0, result.stderr
    assert (
        "Doc file 'articles/2029/written-together.md' contains a link to "
        "'articles/2029/quillfeather-draft.md' which is excluded from the built site." in result.stderr
    )
    assert not (tmp_path / "site/articles/2029/quillfeather-draft").exists()
