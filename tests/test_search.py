"""Search: the Pagefind markup on piece pages, the indexer run, and Material's box driving it in Chromium."""

from __future__ import annotations

import gzip
import json
import re
import stat
import sys
import time
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
)


# ---------------------------------------------------------------- markup and the indexer


def test_piece_html_marks_the_body_with_escaped_title_and_metadata() -> None:
    html = search.piece_html("<p>The body.</p>", ENTRY)

    assert html.startswith('<div class="hub-search-body" data-pagefind-body>\n')
    assert "<h1>Budgets &amp; &lt;Roadmaps&gt;</h1>" in html
    assert '<span data-pagefind-meta="kind">Analyst note</span>' in html
    assert '<span data-pagefind-meta="date">14 January 2026</span>' in html
    assert "data-pagefind-filter" not in html  # no filter UI: a filter file would cost every query
    assert '<div hidden data-pagefind-ignore><span data-pagefind-meta="kind">' in html
    assert html.endswith("<p>The body.</p>\n</div>")


def test_piece_html_keeps_a_heading_the_content_already_has() -> None:
    html = search.piece_html("<h1 id='own'>Own title</h1><p>x</p>", ENTRY)
    assert html.count("<h1") == 1


def test_document_wraps_the_content_with_its_language() -> None:
    doc = search.document("<p>x</p>", "de")
    assert doc.startswith('<!doctype html><html lang="de"><head><meta charset="utf-8">')
    assert doc.endswith("<body><p>x</p></body></html>")


@pytest.mark.parametrize(
    ("value", "expected"), [("0", False), ("off", False), ("1", True), ("", True)]
)
def test_the_index_can_be_switched_off(value: str, expected: bool) -> None:
    assert search.enabled({search.ENV_SWITCH: value}) is expected
    assert search.enabled({}) is True


def _piece(word: str) -> str:
    body = search.piece_html(
        f'<p>A body about {word}.</p><div class="hub-related"><p>zebra elsewhere</p></div>', ENTRY
    )
    return search.document(body)


def test_live_index_writes_a_bundle_of_the_pages_it_was_given(tmp_path: Path) -> None:
    live = search.LiveIndex()
    live.add("/articles/2026/one/", _piece("flamingo"))
    live.add("/sources/acme/2026/two/", _piece("giraffe"))
    report = live.finish(tmp_path)

    assert report.pages == 2
    assert report.words >= 8  # title and body words of both; the related block is excluded
    assert report.bundle == tmp_path / "pagefind"
    entry = json.loads((tmp_path / "pagefind" / "pagefind-entry.json").read_text("utf-8"))
    assert entry["languages"]["en"]["page_count"] == 2
    assert (tmp_path / "pagefind" / "pagefind.js").is_file()
    fragments = [
        json.loads(gzip.decompress(p.read_bytes()).removeprefix(b"pagefind_dcd"))
        for p in (tmp_path / "pagefind" / "fragment").glob("*.pf_fragment")
    ]
    by_url = {f["url"]: f for f in fragments}
    assert set(by_url) == {"/articles/2026/one/", "/sources/acme/2026/two/"}
    one = by_url["/articles/2026/one/"]
    assert "flamingo" in one["content"] and "zebra" not in one["content"]
    assert one["meta"] == {
        "title": "Budgets & <Roadmaps>",
        "kind": "Analyst note",
        "date": "14 January 2026",
    }
    assert one["filters"] == {}
    assert not list((tmp_path / "pagefind" / "filter").glob("*.pf_filter"))


def test_live_index_writes_in_the_background_and_finish_waits_for_it(tmp_path: Path) -> None:
    """The hook starts the write when every page is rendered; the build goes on meanwhile."""
    live = search.LiveIndex()
    live.add("/articles/2026/one/", _piece("flamingo"))
    live.write(tmp_path)
    live.write(tmp_path)  # a second call changes nothing
    with pytest.raises(search.SearchIndexError):  # too late to add: nothing is lost silently
        live.add("/articles/2026/late/", _piece("okapi"))
        live.finish(tmp_path)
    assert (tmp_path / "pagefind" / "pagefind-entry.json").is_file()
    entry = json.loads((tmp_path / "pagefind" / "pagefind-entry.json").read_text("utf-8"))
    assert entry["languages"]["en"]["page_count"] == 1


def test_live_index_with_no_pages_says_so(tmp_path: Path) -> None:
    live = search.LiveIndex()
    with pytest.raises(search.SearchIndexError, match="no pages to index"):
        live.finish(tmp_path)
    assert not (tmp_path / "pagefind").exists()


def _script(path: Path, body: str, shell: str = "/bin/sh") -> Path:
    path.write_text(f"#!{shell}\n" + body + "\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def test_a_failing_indexer_is_reported_with_its_words(tmp_path: Path) -> None:
    broken = _script(tmp_path / "pagefind", 'echo "Error: the disk is full"; exit 3')
    with pytest.raises(search.SearchIndexError, match=r"exit 3\): Error: the disk is full"):
        search.LiveIndex(binary=broken)


def test_an_indexer_that_never_answers_is_stopped(tmp_path: Path) -> None:
    slow = _script(tmp_path / "pagefind", "exec sleep 30")
    started = time.monotonic()
    with pytest.raises(search.SearchIndexError, match="did not answer within 1 s"):
        search.LiveIndex(binary=slow, start_timeout=1)
    assert time.monotonic() - started < 15


# A stand-in for `pagefind --service` that speaks its protocol (base64 JSON, comma after
# each message) and indexes everything, but never finishes writing.
STALLING_SERVICE = r"""
import base64, json, sys, time
buffer = b""
while True:
    byte = sys.stdin.buffer.read(1)
    if not byte:
        break
    if byte != b",":
        buffer += byte
        continue
    message, buffer = json.loads(base64.b64decode(buffer)), b""
    kind = message["payload"]["type"]
    if kind == "WriteFiles":
        time.sleep(60)
    answer = {"NewIndex": {"type": "NewIndex", "index_id": 1},
              "AddFile": {"type": "IndexedFile", "page_word_count": 3,
                          "page_url": message["payload"].get("url"), "page_meta": {}}}[kind]
    reply = {"message_id": message["message_id"], "payload": answer}
    sys.stdout.buffer.write(base64.b64encode(json.dumps(reply).encode()) + b",")
    sys.stdout.buffer.flush()
"""


def test_an_indexer_that_does_not_finish_writing_fails_the_build(tmp_path: Path) -> None:
    stalling = _script(tmp_path / "pagefind", STALLING_SERVICE, shell=sys.executable)
    live = search.LiveIndex(binary=stalling, in_flight=2)
    for n in range(5):  # more pages than slots: add() waits for answers, then goes on
        live.add(f"/articles/2026/{n}/", _piece("okapi"))
    with pytest.raises(search.SearchIndexError, match=r"did not answer within 2 s writing"):
        live.finish(tmp_path / "site", timeout=2)
    assert live.pages == 5 and live.words == 15


def test_an_indexer_error_for_one_page_fails_the_build_with_its_url(tmp_path: Path) -> None:
    dying = _script(
        tmp_path / "pagefind",
        STALLING_SERVICE.replace('"AddFile": {', '"AddFileX": {'),
        shell=sys.executable,
    )
    live = search.LiveIndex(binary=dying)
    live.add("/articles/2026/bad/", _piece("okapi"))
    with pytest.raises(
        search.SearchIndexError, match=r"/articles/2026/bad/: pagefind stopped \(exit 1\)"
    ):
        live.finish(tmp_path / "site", timeout=30)


def test_a_missing_binary_is_reported(tmp_path: Path) -> None:
    with pytest.raises(search.SearchIndexError, match="could not run pagefind"):
        search.LiveIndex(binary=tmp_path / "no-such-pagefind")


def test_close_stops_the_service_without_writing(tmp_path: Path) -> None:
    live = search.LiveIndex()
    live.add("/articles/2026/one/", _piece("flamingo"))
    process = live._process
    assert process.returncode is None
    live.close()
    live.close()  # twice is fine
    assert process.returncode is not None
    assert not (tmp_path / "pagefind").exists()


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
