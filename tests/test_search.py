"""Search: the hub's own index (words, ranking, shards, the child process), the engine that
reads it (run in Node against a real HTTP server), and Material's box driving it in Chromium."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import subprocess
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from browser import CHROMIUM_ARGS, ROOT, BuiltSite, require_chromium, serve, unavailable
from channelhub import frontmatter, markup, search
from channelhub.config import load_hub
from channelhub.content import Piece, load_index, url_of

ENGINE = ROOT / "docs" / "assets" / "hub-search-engine.js"
ENTRY = search.SearchEntry(
    title="Budgets & <Roadmaps>",
    kind_label="Analyst note",
    date_label="14 January 2026",
)


def _entry(title: str) -> search.SearchEntry:
    return search.SearchEntry(title=title, kind_label="Editorial", date_label="2 March 2026")


# ---------------------------------------------------------------- words and markup


def test_piece_html_puts_the_escaped_title_over_the_body() -> None:
    html = search.piece_html("<p>The body.</p>", ENTRY)
    assert (
        html
        == '<div class="hub-piece-body">\n<h1>Budgets &amp; &lt;Roadmaps&gt;</h1>\n<p>The body.</p>\n</div>'
    )


def test_piece_html_keeps_a_heading_the_content_already_has() -> None:
    html = search.piece_html("<h1 id='own'>Own title</h1><p>x</p>", ENTRY)
    assert html.count("<h1") == 1


@pytest.mark.parametrize(
    ("value", "expected"), [("0", False), ("off", False), ("1", True), ("", True)]
)
def test_the_index_can_be_switched_off(value: str, expected: bool) -> None:
    assert search.enabled({search.ENV_SWITCH: value}) is expected
    assert search.enabled({}) is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "CMO–CIO alignment: who owns the budget?",
            ["cmo", "cio", "alignment", "who", "owns", "the", "budget"],
        ),
        ("Café, naïve façade", ["cafe", "naive", "facade"]),
        ("Cafe\u0301 (decomposed)", ["cafe", "decomposed"]),
        (
            "marketing's 5G roll_out",
            ["marketing", "5g", "roll", "out"],
        ),  # "s" is too short to index
        ("ＦＵＬＬ width ﬁnance", ["full", "width", "finance"]),
        # a final sigma is any sigma: "ΣΥΣ" typed as a prefix must find "σύστημα"
        ("İstanbul ΣΊΣΥΦΟΣ σύστημα", ["istanbul", "σισυφοσ", "συστημα"]),
        ("a " + "x" * 41 + " " + "y" * 40, ["y" * 40]),
        ("数据 analytics", ["数据", "analytics"]),
    ],
)
def test_words_are_lower_case_without_accents_and_split_at_anything_but_letters_and_digits(
    text: str, expected: list[str]
) -> None:
    assert search.words(text) == expected


def test_html_text_is_what_a_reader_sees() -> None:
    html = (
        '<h2 id="x">Budget<a class="headerlink" href="#x" title="Permanent link">&para;</a></h2>\n'
        '<p>Owns <a href="/y/" title="a > b">the&nbsp;plan</a> &amp; more</p>'
        "<script>var hidden = 1;</script><style>p { color: red }</style>"
        '<img alt="x > y" src="z.png"><p>tail</p>'
    )
    assert search.html_text(html) == "Budget Owns the plan & more tail"


def test_html_text_drops_comments_whatever_quotes_or_brackets_they_hold() -> None:
    html = (
        "<p>Intro</p><!-- don't publish --><p>The budget isn't final</p>"
        "<!-- a > b --><p>Later text</p><!-- never closed <p>gone</p>"
    )
    assert search.html_text(html) == "Intro The budget isn't final Later text"


# ---------------------------------------------------------------- the index


def _write(tmp_path: Path, pieces: dict[str, tuple[str, str]]) -> search.IndexReport:
    writer = search.IndexWriter()
    for url, (title, body) in pieces.items():
        writer.add(url, _entry(title), body)
    return writer.write(tmp_path)


def _postings(bundle: Path) -> dict[str, list[tuple[int, int]]]:
    return dict(search.read_index(bundle))


def test_the_index_holds_every_word_once_with_bm25_scores(tmp_path: Path) -> None:
    report = _write(
        tmp_path,
        {
            "/articles/one/": ("Martech budgets", "<p>The budget, the budget and the plan.</p>"),
            "/articles/two/": ("Partner portals", "<p>The portal needs a budget line.</p>"),
            "/notes/three/": ("Consent", "<p>Records of consent.</p>"),
        },
    )
    bundle = tmp_path / search.BUNDLE_DIR
    assert report.pages == 3 and report.bundle == bundle
    postings = _postings(bundle)
    assert report.terms == len(postings)
    assert [doc for doc, _ in postings["budget"]] == [0, 1]
    assert [doc for doc, _ in postings["the"]] == [0, 1]
    one, two = dict(postings["budget"])[0], dict(postings["budget"])[1]
    assert one > two  # said twice in a shorter piece
    assert (
        dict(postings["budgets"])[0] > one
    )  # a word of the title weighs more than a word of the body
    assert dict(postings["consent"])[2] > dict(postings["the"])[0]  # rarer words weigh more
    assert "s" not in postings and "a" not in postings

    manifest = json.loads((bundle / "manifest.json").read_text("utf-8"))
    assert manifest["format"] == search.FORMAT and manifest["pieces"] == 3
    record = json.loads((bundle / manifest["version"] / "d" / "0.json").read_text("utf-8"))
    assert record == {
        "url": "articles/one/",
        "title": "Martech budgets",
        "kind": "Editorial",
        "date": "2 March 2026",
        "text": "The budget, the budget and the plan.",
    }


def test_scores_follow_bm25(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {"/a/": ("x", "<p>alpha alpha beta</p>"), "/b/": ("y", "<p>beta gamma delta epsilon</p>")},
    )
    postings = _postings(tmp_path / search.BUNDLE_DIR)
    lengths = [3 + search.TITLE_WEIGHT * 0, 4]  # one-letter titles are not indexed
    average = sum(lengths) / 2
    idf = math.log(1 + (2 - 1 + 0.5) / (1 + 0.5))
    norm = search.K1 * (1 - search.B + search.B * lengths[0] / average)
    expected = round(search.SCALE * idf * (search.K1 + 1) * 2 / (2 + norm))
    assert postings["alpha"] == [(0, expected)]


def test_shards_hold_consecutive_words_in_javascript_string_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "SHARD_BYTES", 60)
    vocabulary = [f"w{i:03d}" for i in range(60)] + ["\U00020000x", "\ufa0eb", "zz"]
    pieces = {f"/p/{i}/": ("t", "<p>" + " ".join(vocabulary[i::3]) + "</p>") for i in range(3)}
    report = _write(tmp_path, pieces)
    bundle = tmp_path / search.BUNDLE_DIR
    manifest = json.loads((bundle / "manifest.json").read_text("utf-8"))
    firsts = manifest["terms"]
    assert report.shards == len(firsts) > 5
    in_order = sorted(firsts, key=lambda w: w.encode("utf-16-be"))
    assert firsts == in_order
    seen: list[str] = []
    for i, first in enumerate(firsts):
        shard = json.loads((bundle / manifest["version"] / "t" / f"{i}.json").read_text("utf-8"))
        assert next(iter(shard)) == first
        seen.extend(shard)
    # an astral-plane word sorts before U+FA0E in UTF-16, after it by code point
    assert seen == sorted(seen, key=lambda w: w.encode("utf-16-be"))
    assert seen.index("\U00020000x") < seen.index("\ufa0eb")
    assert len(seen) == len(set(seen)) == report.terms


def test_a_word_with_many_postings_gets_a_shard_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "SHARD_BYTES", 200)
    pieces = {f"/p/{i}/": ("t", f"<p>common unique{i:03d}</p>") for i in range(100)}
    _write(tmp_path, pieces)
    bundle = tmp_path / search.BUNDLE_DIR
    manifest = json.loads((bundle / "manifest.json").read_text("utf-8"))
    shard = json.loads(
        (
            bundle / manifest["version"] / "t" / f"{manifest['terms'].index('common')}.json"
        ).read_text()
    )
    assert list(shard) == ["common"]
    assert len(shard["common"]) == 200 and shard["common"][0::2] == [0] + [1] * 99


def test_the_version_is_a_hash_of_the_contents(tmp_path: Path) -> None:
    def version(body: str) -> str:
        writer = search.IndexWriter()
        writer.add("/a/", _entry("Title"), body)
        manifest, _files = writer.files()
        return str(manifest["version"])

    assert version("<p>one</p>") == version("<p>one</p>")
    assert version("<p>one</p>") != version("<p>two</p>")


def test_writing_replaces_an_older_version_and_leaves_no_partial_file(tmp_path: Path) -> None:
    bundle = tmp_path / search.BUNDLE_DIR
    _write(tmp_path, {"/a/": ("First", "<p>one</p>")})
    old = json.loads((bundle / "manifest.json").read_text("utf-8"))["version"]
    (bundle / ".leftover.partial").mkdir()  # a build killed while writing
    _write(tmp_path, {"/a/": ("Second", "<p>two</p>")})
    new = json.loads((bundle / "manifest.json").read_text("utf-8"))["version"]
    assert new != old
    assert sorted(p.name for p in bundle.iterdir()) == sorted([new, "manifest.json"])


def test_a_hub_with_no_pieces_yet_gets_an_empty_index_that_finds_nothing(tmp_path: Path) -> None:
    report = search.IndexWriter().write(tmp_path)
    assert (report.pages, report.terms, report.shards) == (0, 0, 0)
    with serve(tmp_path) as base:
        got = _run_engine(SEARCH, {"base": base, "queries": ["budget", "cio cmo"]})
    assert [answer["docs"] for answer in got] == [[], []]


# ---------------------------------------------------------------- the index beside the build


def test_live_index_indexes_in_a_child_process_and_writes_when_asked(tmp_path: Path) -> None:
    live = search.LiveIndex()
    live.add("articles/2026/one/", _entry("Flamingo budgets"), "<p>A body about flamingos.</p>")
    live.add("sources/acme/2026/two/", _entry("Giraffe"), "<p>A body about giraffes.</p>")
    live.write(tmp_path)
    live.write(tmp_path)  # a second call changes nothing
    report = live.finish(tmp_path)
    assert (report.pages, report.bundle) == (2, tmp_path / search.BUNDLE_DIR)
    postings = _postings(report.bundle)
    assert postings["flamingos"] == [(0, postings["flamingos"][0][1])]
    assert [doc for doc, _ in postings["body"]] == [0, 1]


def test_a_page_sent_after_the_write_started_fails_the_build(tmp_path: Path) -> None:
    live = search.LiveIndex()
    live.add("a/", _entry("One"), "<p>one</p>")
    live.write(tmp_path)
    live.add("late/", _entry("Late"), "<p>late</p>")
    with pytest.raises(
        search.SearchIndexError, match="late/: sent after the index started writing"
    ):
        live.finish(tmp_path)


def test_an_error_indexing_one_page_fails_the_build_with_its_url(tmp_path: Path) -> None:
    live = search.LiveIndex()
    live.add("a/", _entry("One"), "<p>one</p>")
    live.add("broken/", _entry("Two"), None)  # type: ignore[arg-type]
    with pytest.raises(search.SearchIndexError, match=r"^broken/: TypeError"):
        live.finish(tmp_path)
    assert not (tmp_path / search.BUNDLE_DIR).exists()


def test_an_indexer_that_dies_is_reported(tmp_path: Path) -> None:
    live = search.LiveIndex()
    live.add("a/", _entry("One"), "<p>one</p>")
    pid = live._child.process.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    live._child.wait(10)
    for i in range(50):  # the pipe may take a few sends to notice
        live.add(f"p{i}/", _entry("More"), "<p>more</p>")
    with pytest.raises(search.SearchIndexError, match="the search indexer stopped"):
        live.finish(tmp_path)


def test_close_stops_the_indexer_without_writing(tmp_path: Path) -> None:
    live = search.LiveIndex()
    live.add("a/", _entry("One"), "<p>one</p>")
    live.close()
    live.close()
    assert not live._child.alive
    assert not (tmp_path / search.BUNDLE_DIR).exists()


# ---------------------------------------------------------------- the engine, in Node


def _node() -> str:
    found = shutil.which("node")
    if not found:
        unavailable("Node.js is not installed (apt-get install nodejs); the engine's tests skipped")
    assert found is not None
    return found


def _run_engine(script: str, payload: Any) -> Any:
    """Run `script` as an ES module beside the engine; it reads JSON on stdin and prints JSON."""
    program = (
        f"import * as engine from {json.dumps(ENGINE.as_uri())};\n"
        "const input = JSON.parse(require_stdin());\n" + script
    ).replace(
        "require_stdin()",
        "await new Promise((ok) => { let d = ''; process.stdin.on('data', (c) => d += c); process.stdin.on('end', () => ok(d)); })",
    )
    done = subprocess.run(
        [_node(), "--input-type=module", "-e", program],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


TRICKY = [
    "CMO–CIO alignment: who owns the budget?",
    "Café, naïve façade; Cafe\u0301 déjà-vu",
    "ＦＵＬＬ width ﬁnance ① ½ x² Ⅻ",
    "İstanbul ΣΊΣΥΦΟΣ straße ǅemal",
    "数据 分析 データ 데이터 नमस्ते ক্ষ",
    "emoji 🚀 rockets 𝐁𝐨𝐥𝐝 𠀀x",
    "under_score snake_case 3.14 v2.0 a" + "x" * 41,
    "Ελληνικά; русский текст; עברית; العربية",
]


# Characters Python's Unicode database (14.0 in 3.11) does not know yet are left out: a browser
# with a newer one may see a letter where Python sees nothing, and no code can agree on those.
@given(st.lists(st.text(st.characters(exclude_categories=("Cn", "Cs")), max_size=30), max_size=40))
@settings(max_examples=20, deadline=None)
def test_the_engine_cuts_words_exactly_as_the_index_does(texts: list[str]) -> None:
    texts = TRICKY + texts
    got = _run_engine("console.log(JSON.stringify(input.map((t) => engine.words(t))));", texts)
    assert got == [search.words(t) for t in texts]


def _reference(
    postings: dict[str, list[tuple[int, int]]], firsts: list[str], query: str
) -> list[int]:
    """What the engine should answer: pieces with every word (or a longer word it begins, when
    those fill at most four shards), best first."""
    totals: dict[int, float] | None = None
    for word in dict.fromkeys(search.words(query)):
        first = max(i for i, f in enumerate(firsts) if f <= word or i == 0)
        last = first
        while last + 1 < len(firsts) and firsts[last + 1].startswith(word):
            last += 1
        widen = len(word) >= 3 and last - first < 4
        scores: dict[int, float] = {}
        for term, pairs in postings.items():
            weight = 1.0 if term == word else 0.7 if widen and term.startswith(word) else 0
            for doc, score in pairs if weight else ():
                scores[doc] = max(scores.get(doc, 0), score * weight)
        totals = (
            scores
            if totals is None
            else {d: s + scores[d] for d, s in totals.items() if d in scores}
        )
    ranked = sorted((totals or {}).items(), key=lambda item: (-item[1], item[0]))
    return [doc for doc, _ in ranked]


@pytest.fixture(scope="module")
def served_index(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A written index of 300 pieces in small shards, served over HTTP on 127.0.0.1."""
    site = tmp_path_factory.mktemp("engine-site")
    vocabulary = [
        "budget",
        "budgets",
        "budgeting",
        "martech",
        "market",
        "marketing",
        "portal",
        "consent",
        "alignment",
        "analytics",
        "cio",
        "cmo",
        "data",
        "team",
        "the",
        "and",
    ]
    writer = search.IndexWriter()
    for i in range(300):
        body = " ".join(vocabulary[(i * k) % len(vocabulary)] for k in range(1, 1 + i % 13))
        writer.add(
            f"/p/{i}/", _entry(f"Piece {vocabulary[i % len(vocabulary)]}"), f"<p>{body} word{i}</p>"
        )
    old = search.SHARD_BYTES
    search.SHARD_BYTES = 400  # many shards, so prefixes cross shard boundaries
    try:
        writer.write(site)
    finally:
        search.SHARD_BYTES = old
    with serve(site) as base:
        manifest = json.loads((site / search.BUNDLE_DIR / "manifest.json").read_text("utf-8"))
        yield base, _postings(site / search.BUNDLE_DIR), manifest["terms"]


def test_the_engine_finds_what_a_brute_force_scan_of_the_texts_finds(tmp_path: Path) -> None:
    """Not from the index: each piece's own words, and whether every query word is one of them
    or begins one (three letters or more), with the shards large enough for any prefix."""
    import random

    rng = random.Random(5)
    stems = ["budg", "mark", "port", "cons", "data", "anal", "alig", "team"]
    endings = ["", "et", "ets", "eting", "s", "ing", "er", "ed"]
    texts = {
        f"/p/{i}/": " ".join(
            rng.choice(stems) + rng.choice(endings) for _ in range(rng.randint(1, 12))
        )
        for i in range(200)
    }
    writer = search.IndexWriter()
    for url, text in texts.items():
        writer.add(url, _entry("x"), f"<p>{text}</p>")
    writer.write(tmp_path)
    queries = ["budget", "budg", "mar", "markets data", "team anal", "porting consed", "bud", "zzz"]
    with serve(tmp_path) as base:
        got = _run_engine(SEARCH, {"base": base, "queries": queries})
    vocab = [set(search.words(text)) for text in texts.values()]

    def found(word: str, words: set[str]) -> bool:
        return word in words or (len(word) >= 3 and any(w.startswith(word) for w in words))

    for query, answer in zip(queries, got, strict=True):
        wanted = search.words(query)
        expected = {i for i, words in enumerate(vocab) if all(found(w, words) for w in wanted)}
        assert set(answer["docs"]) == expected, query
        assert len(answer["docs"]) == len(expected)
    assert got[0]["docs"] and not got[-1]["docs"]


def test_the_engine_cuts_every_code_point_as_the_index_does() -> None:
    """Every character Python's Unicode database knows, between two letters and alone."""
    chars = [
        chr(c) for c in range(0x110000) if not unicodedata.category(chr(c)).startswith(("Cn", "Cs"))
    ]
    texts = [f"a{c}b {c}{c}" for c in chars]
    got = _run_engine("console.log(JSON.stringify(input.map((t) => engine.words(t))));", texts)
    differ = [
        (t, g, search.words(t)) for t, g in zip(texts, got, strict=True) if g != search.words(t)
    ]
    assert not differ, differ[:20]


SEARCH = """
const index = await engine.open(input.base);
const out = [];
for (const query of input.queries) {
  const found = await index.search(query);
  const first = found.results.length ? await found.results[0].data() : null;
  out.push({ words: found.words, docs: found.results.map((r) => r.doc), first });
}
console.log(JSON.stringify(out));
"""


def test_the_engine_finds_what_the_index_holds_in_order(served_index: Any) -> None:
    base, postings, firsts = served_index
    queries = [
        "budget",
        "budg",
        "market",
        "BUDGET marketing",
        "cio cmo",
        "the",
        "word17",
        "word1",
        "nothing",
        "bu",
        "portal consent the",
        "marketing's",
    ]
    got = _run_engine(SEARCH, {"base": base, "queries": queries})
    for query, answer in zip(queries, got, strict=True):
        assert answer["docs"] == _reference(postings, firsts, query), query
        if answer["docs"]:
            assert answer["first"]["url"] == f"p/{answer['docs'][0]}/"
    word17 = got[queries.index("word17")]["docs"]
    assert word17[0] == 17 and sorted(word17) == [17, *range(170, 180)]  # the word itself first
    assert got[queries.index("nothing")]["docs"] == []


def test_the_engine_finds_only_the_word_itself_when_its_prefix_fills_many_shards(
    served_index: Any,
) -> None:
    base, postings, _firsts = served_index
    got = _run_engine(SEARCH, {"base": base, "queries": ["wor", "word"]})
    # "wor..." words fill more shards than the engine fetches for a prefix: only the word itself
    assert got[0]["docs"] == [] and got[1]["docs"] == []
    assert sum(1 for term in postings if term.startswith("word")) == 300


def test_the_excerpt_marks_the_query_words_around_the_first_match() -> None:
    text = " ".join(f"w{i}" for i in range(40)) + " the Budgeting plan, at last."
    got = _run_engine(
        "console.log(JSON.stringify(input.map(([t, w]) => engine.excerpt(t, w, 10))));",
        [[text, ["budget"]], ["Short text, no match.", ["zebra"]], ["Café owners", ["cafe"]]],
    )
    assert got[0] == [
        ["… ", False],
        ["w35 w36 w37 w38 w39 the ", False],
        ["Budgeting", True],
        [" plan, at last.", False],
    ]
    assert got[1] == [["Short text, no match.", False]]
    assert got[2] == [["Café", True], [" owners", False]]


# ---------------------------------------------------------------- the built demo


def _pieces(built: BuiltSite) -> dict[str, Piece]:
    index = load_index(load_hub(built.root), built.root / "docs")
    return {p.src_uri: p for p in index.pieces}


@pytest.mark.build
def test_the_build_ships_its_index_and_no_material_index(built_site: BuiltSite) -> None:
    site = built_site.site
    manifest = json.loads((site / search.BUNDLE_DIR / "manifest.json").read_text("utf-8"))
    assert manifest["format"] == search.FORMAT and manifest["terms"]
    assert (site / "assets" / "hub-search-engine.js").is_file()
    assert not (site / "search" / "search_index.json").exists()
    home = (site / "index.html").read_text(encoding="utf-8")
    assert 'name="search"' not in home  # Material's bundle would fetch search_index.json
    assert "assets/hub-search.js" in home
    assert "hub-search-engine.js" not in home  # loaded on the first search, not with the page


@pytest.mark.build
def test_every_piece_is_in_the_index_with_its_kind_and_date_and_nothing_else_is(
    built_site: BuiltSite,
) -> None:
    pieces = _pieces(built_site)
    assert pieces
    bundle = built_site.site / search.BUNDLE_DIR
    manifest = json.loads((bundle / "manifest.json").read_text("utf-8"))
    records = [
        json.loads(p.read_text("utf-8"))
        for p in (bundle / manifest["version"] / "d").glob("*.json")
    ]
    assert manifest["pieces"] == len(records) == len(pieces)
    by_url = {record["url"]: record for record in records}
    for piece in pieces.values():
        record = by_url[url_of(piece.src_uri)]
        assert (record["title"], record["kind"], record["date"]) == (
            piece.title,
            piece.kind_label,
            markup.human_date(piece.date),
        )
        assert record["text"] and not re.search(r"</?(p|a|h\d|div|span)\b", record["text"])
        html = (built_site.site / url_of(piece.src_uri) / "index.html").read_text(encoding="utf-8")
        assert html.count("<h1") == 1, piece.src_uri
    # the byline, topic chips and related list are around the text, not in it
    some = next(iter(pieces.values()))
    assert "min read" not in by_url[url_of(some.src_uri)]["text"]


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
        assert not [
            u for u in loaded if "search_index.json" in u or "search-index/" in u or "engine" in u
        ]
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
        assert any("/search-index/" in u for u in requests[len(loaded) :])
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


@pytest.mark.browser
def test_more_results_come_as_the_reader_scrolls(built_site: BuiltSite) -> None:
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    pieces = _pieces(built_site)
    with serve(built_site.site) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=list(CHROMIUM_ARGS))
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(base, wait_until="networkidle")
        page.keyboard.press("/")
        page.keyboard.type("the")  # in every piece
        meta = page.locator("[data-hub-search-meta]")
        page.wait_for_function("document.querySelectorAll('.md-search-result__item').length >= 10")
        total = int(meta.inner_text().split()[0])
        assert len(pieces) >= total > 30  # nearly every piece says "the"
        page.wait_for_load_state("networkidle")
        assert page.locator(".md-search-result__item").count() == 10  # one screenful, not all
        for expected in (20, 30):
            page.locator(".md-search__scrollwrap").evaluate("e => e.scrollTop = e.scrollHeight")
            page.wait_for_function(
                f"document.querySelectorAll('.md-search-result__item').length >= {expected}"
            )
        hrefs = page.locator("a.md-search-result__link").evaluate_all("all => all.map(a => a.href)")
        assert len(hrefs) == len(set(hrefs)) == 30
        browser.close()
