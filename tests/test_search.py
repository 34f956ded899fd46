"""Search: the Pagefind markup on piece pages, the indexer run, and Material's box driving it in Chromium."""

from __future__ import annotations

import re
import stat
from collections import defaultdict
from pathlib import Path

import pytest

from browser import CHROMIUM_ARGS, BuiltSite, require_chromium, serve
from channelhub import frontmatter, markup, search
from channelhub.config import load_hub
from channelhub.content import Piece, load_index, url_of

ENTRY = search.SearchEntry(
    title="Budgets & <Roadmaps>",
    kind_label="Analyst note",
    date_label="14 January 2026",
    topics=("Mobile marketing", "Data and analytics"),
)


# ---------------------------------------------------------------- markup and the indexer


def test_piece_html_marks_the_body_with_escaped_title_and_metadata() -> None:
    html = search.piece_html("<p>The body.</p>", ENTRY)

    assert html.startswith('<div class="hub-search-body" data-pagefind-body>\n')
    assert "<h1>Budgets &amp; &lt;Roadmaps&gt;</h1>" in html
    assert '<span data-pagefind-meta="kind">Analyst note</span>' in html
    assert '<span data-pagefind-meta="date">14 January 2026</span>' in html
    assert html.count('data-pagefind-filter="topic"') == 2
    assert '<div hidden data-pagefind-ignore><span data-pagefind-meta="kind">' in html
    assert html.endswith("<p>The body.</p>\n</div>")


def test_piece_html_keeps_a_heading_the_content_already_has() -> None:
    html = search.piece_html("<h1 id='own'>Own title</h1><p>x</p>", ENTRY)
    assert html.count("<h1") == 1


def test_parse_counts_reads_the_indexer_summary() -> None:
    output = "Total:\n  Indexed 1 language\n  Indexed 16 pages\n  Indexed 2345 words\n  Indexed 1 filter\n"
    assert search.parse_counts(output) == {"page": 16, "word": 2345, "filter": 1}


@pytest.mark.parametrize(
    ("value", "expected"), [("0", False), ("off", False), ("1", True), ("", True)]
)
def test_the_index_can_be_switched_off(value: str, expected: bool) -> None:
    assert search.enabled({search.ENV_SWITCH: value}) is expected
    assert search.enabled({}) is True


def _tiny_site(root: Path) -> Path:
    for slug, word in (("articles/2026/one", "flamingo"), ("sources/acme/2026/two", "giraffe")):
        page = root / slug / "index.html"
        page.parent.mkdir(parents=True)
        body = search.piece_html(f"<p>A body about {word}.</p>", ENTRY)
        page.write_text(
            f'<!doctype html><html lang="en"><head><title>{slug}</title></head>'
            f"<body><nav>chrome</nav>{body}</body></html>",
            encoding="utf-8",
        )
    (root / "index.html").write_text(
        '<!doctype html><html lang="en"><body><h1>Home</h1></body></html>', encoding="utf-8"
    )
    return root


def test_build_index_runs_pagefind_over_pieces_only(tmp_path: Path) -> None:
    report = search.build_index(_tiny_site(tmp_path))

    assert report.pages == 2  # the home page is neither a piece nor marked as one
    assert report.filters == 1
    assert report.words > 3
    assert (tmp_path / "pagefind" / "pagefind.js").is_file()
    assert list((tmp_path / "pagefind" / "fragment").glob("*.pf_fragment"))


def test_build_index_on_an_empty_folder_says_so(tmp_path: Path) -> None:
    with pytest.raises(search.SearchIndexError, match="no built pages to index"):
        search.build_index(tmp_path)


def _script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def test_a_failing_indexer_is_reported_with_its_words(tmp_path: Path) -> None:
    site = _tiny_site(tmp_path / "site")
    broken = _script(tmp_path / "pagefind", 'echo "Error: the disk is full" >&2; exit 3')
    with pytest.raises(search.SearchIndexError, match=r"exit 3.*the disk is full"):
        search.build_index(site, binary=broken)


def test_a_hanging_indexer_is_stopped(tmp_path: Path) -> None:
    site = _tiny_site(tmp_path / "site")
    slow = _script(tmp_path / "pagefind", "sleep 30")
    with pytest.raises(search.SearchIndexError, match="did not finish within 1 s"):
        search.build_index(site, timeout=1, binary=slow)


def test_a_missing_binary_is_reported(tmp_path: Path) -> None:
    site = _tiny_site(tmp_path / "site")
    with pytest.raises(search.SearchIndexError, match="could not run pagefind"):
        search.build_index(site, binary=tmp_path / "no-such-pagefind")


# ---------------------------------------------------------------- the built demo


def _pieces(built: BuiltSite) -> dict[str, Piece]:
    index = load_index(load_hub(built.root), built.root / "docs")
    return {p.src_uri: p for p in index.pieces}


@pytest.mark.build
def test_the_build_ships_pagefind_and_no_material_index(built_site: BuiltSite) -> None:
    site = built_site.site
    assert (site / "pagefind" / "pagefind.js").is_file()
    assert (site / "pagefind" / "pagefind-entry.json").is_file()
    assert not (site / "search" / "search_index.json").exists()
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "data-pagefind-body" not in home  # listing pages are not results
    assert 'name="search"' not in home  # Material's bundle would fetch search_index.json
    assert "assets/hub-search.js" in home


@pytest.mark.build
def test_every_piece_page_is_indexed_with_its_kind_and_date(built_site: BuiltSite) -> None:
    pieces = _pieces(built_site)
    assert pieces
    for piece in pieces.values():
        page = built_site.site / url_of(piece.src_uri) / "index.html"
        html = page.read_text(encoding="utf-8")
        assert html.count("data-pagefind-body") == 1, page
        assert f'data-pagefind-meta="kind">{piece.kind_label}<' in html
        assert f'data-pagefind-meta="date">{markup.human_date(piece.date)}<' in html
        assert html.count("<h1") == 1, page


# ---------------------------------------------------------------- in Chromium


def _word_in_one_body(built: BuiltSite) -> tuple[str, Piece]:
    """A long word of one piece's body whose stem appears in no other piece at all."""
    pieces = _pieces(built)
    stems: dict[str, set[str]] = defaultdict(set)
    bodies: dict[str, str] = {}
    for src_uri in pieces:
        text = (built.root / "docs" / src_uri).read_text(encoding="utf-8")
        _meta, body, _line = frontmatter.split(text)
        bodies[src_uri] = body
        for word in re.findall(r"[a-z]{5,}", text.lower()):
            stems[word[:5]].add(src_uri)
    for src_uri in sorted(bodies):
        for word in sorted(set(re.findall(r"\b[a-z]{9,}\b", bodies[src_uri]))):
            if stems[word[:5]] == {src_uri} and word not in pieces[src_uri].title.lower():
                return word, pieces[src_uri]
    pytest.fail("no word of the demo is unique to one piece's body")


@pytest.mark.browser
def test_search_finds_a_piece_by_a_word_of_its_body(built_site: BuiltSite) -> None:
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    word, piece = _word_in_one_body(built_site)
    with serve(built_site.site) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=list(CHROMIUM_ARGS))
        page = browser.new_page()
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(base, wait_until="networkidle")

        loaded = list(requests)
        assert not [u for u in loaded if "search_index.json" in u or "/pagefind/" in u]
        dialog = page.locator('[role="dialog"].md-search')
        assert dialog.count() == 1
        assert (dialog.get_attribute("aria-label") or "").strip()

        page.keyboard.press("/")
        focused = page.evaluate("document.activeElement.matches('.md-search__input')")
        assert focused, "pressing / focuses the search box"
        assert page.evaluate("document.getElementById('__search').checked")

        page.keyboard.type(word)
        first = page.locator(".md-search-result__item").first
        first.wait_for(timeout=15_000)
        assert any("/pagefind/" in u for u in requests[len(loaded) :])
        items = page.locator(".md-search-result__item")
        assert items.count() == 1
        link = first.locator("a.md-search-result__link")
        assert (link.get_attribute("href") or "").endswith(piece.url)
        assert first.locator(".hub-search-result__title").inner_text() == piece.title
        facts = first.locator(".hub-search-result__facts").inner_text()
        assert piece.kind_label.lower() in facts.lower()
        assert markup.human_date(piece.date) in facts
        assert word in first.locator("mark").first.inner_text().lower()

        page.keyboard.press("Escape")
        assert not page.evaluate("document.getElementById('__search').checked")
        assert not [u for u in requests if "search_index.json" in u]
        browser.close()
