"""Search: the hub's own index (words, ranking, shards, the child process), the engine that
reads it (run in Node against a real HTTP server), and Material's box driving it in Chromium."""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import math
import os
import pickle
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
    return search.SearchEntry(
        title=title, kind_label="Editorial", date_label="2 March 2026", kind="editorial"
    )


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


def test_html_text_is_what_a_reader_sees_with_blocks_on_lines_of_their_own() -> None:
    html = (
        '<h2 id="x">Budget<a class="headerlink" href="#x" title="Permanent link">&para;</a></h2>\n'
        '<p>Owns <a href="/y/" title="a > b">the&nbsp;plan</a> &amp; more</p>'
        "<script>var hidden = 1;</script><style>p { color: red }</style>"
        '<img alt="x > y" src="z.png"><p>tail</p>'
    )
    assert search.html_text(html) == "Budget\nOwns the plan & more\ntail"


def test_html_text_keeps_table_cells_list_items_and_headings_apart() -> None:
    html = (
        "<h3>Review cadence</h3><table><thead><tr><th>Journey completion</th><th>Funnel analytics</th>"
        '</tr></thead><tbody><tr><td class="a>b">Error and latency logs</td><td>Weekly</td></tr>'
        "</tbody></table><ul><li>First <em>item</em></li><li>Second</li></ul>Line<br>break"
    )
    assert search.html_text(html).split("\n") == [
        "Review cadence",
        "Journey completion",
        "Funnel analytics",
        "Error and latency logs",
        "Weekly",
        "First item",
        "Second",
        "Line",
        "break",
    ]


def test_html_text_drops_comments_whatever_quotes_or_brackets_they_hold() -> None:
    html = (
        "<p>Intro</p><!-- don't publish --><p>The budget isn't final</p>"
        "<!-- a > b --><p>Later text</p><!-- never closed <p>gone</p>"
    )
    assert search.html_text(html) == "Intro\nThe budget isn't final\nLater text"


# ---------------------------------------------------------------- the index


def _write(tmp_path: Path, pieces: dict[str, tuple[str, str]]) -> search.IndexReport:
    writer = search.IndexWriter()
    for url, (title, body) in pieces.items():
        writer.add(url, _entry(title), body)
    return writer.write(tmp_path)


def _postings(bundle: Path) -> dict[str, Any]:
    return dict(search.read_index(bundle))


def _manifest(bundle: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((bundle / "manifest.json").read_text("utf-8"))
    return manifest


def _records(bundle: Path) -> list[dict[str, Any]]:
    manifest = _manifest(bundle)
    out = []
    for block, name in enumerate(manifest["records"]):
        versions = json.loads((bundle / "r" / f"{name}.json").read_text("utf-8"))
        for i, version in enumerate(versions):
            doc = block * manifest["block"] + i
            out.append(json.loads((bundle / "d" / f"{doc}.{version}.json").read_text("utf-8")))
    return out


def test_the_index_holds_counts_stems_and_filters(tmp_path: Path) -> None:
    writer = search.IndexWriter()
    writer.add(
        "/articles/one/",
        search.SearchEntry(
            "Martech budgets",
            "Editorial",
            "2 March 2026",
            kind="editorial",
            topics=(("technology-budget", "Technology budget"),),
        ),
        "<p>The budget, the budget and the plan.</p>",
    )
    writer.add(
        "/articles/two/",
        search.SearchEntry("Partner portals", "Partner", "1 May 2026", kind="partner"),
        "<p>The portal needs budgeting and a cadence.</p>",
    )
    writer.add("/notes/three/", _entry("Consent"), "<p>Records of consent.</p>")
    report = writer.write(tmp_path)
    bundle = tmp_path / search.BUNDLE_DIR
    assert report.pages == 3 and report.bundle == bundle
    postings = _postings(bundle)
    assert report.terms == len(postings)
    # words of two letters or more in the body, and the title's counted TITLE_WEIGHT times
    lengths = [7 + 2 * search.TITLE_WEIGHT, 6 + 2 * search.TITLE_WEIGHT, 3 + search.TITLE_WEIGHT]
    codes = [search.length_code(n) for n in lengths]
    assert postings["budget"] == [(0, 2, codes[0])]
    assert postings["budgets"] == [(0, search.TITLE_WEIGHT, codes[0])]  # a word of the title
    # every word with the stem "budget", counts summed
    assert postings["~budget"] == [(0, 2 + search.TITLE_WEIGHT, codes[0]), (1, 1, codes[1])]
    assert postings["~cadenc"] == "cadence"  # one word with that stem: a pointer, not a copy
    assert "~consent" not in postings  # the stem is the word itself: the engine reads the word
    assert postings["#kind:editorial"] == [(0, 1, codes[0]), (2, 1, codes[2])]
    assert [doc for doc, *_ in postings["#topic:technology-budget"]] == [0]
    assert "s" not in postings and "a" not in postings

    manifest = _manifest(bundle)
    assert manifest["format"] == search.FORMAT and manifest["pieces"] == 3
    assert manifest["average"] == pytest.approx(sum(lengths) / 3, abs=0.01)
    assert manifest["kinds"] == {"editorial": "Editorial", "partner": "Partner"}
    assert manifest["topics"] == {"technology-budget": "Technology budget"}
    assert _records(bundle)[0] == {
        "url": "articles/one/",
        "title": "Martech budgets",
        "kind": "Editorial",
        "date": "2 March 2026",
        "text": "The budget, the budget and the plan.",
    }


def test_length_codes_are_within_five_percent() -> None:
    for length in (2, 3, 10, 57, 400, 1234, 99_999):
        code = search.length_code(length)
        assert abs(search.LENGTH_BASE**code / length - 1) <= 0.05
    assert search.length_code(0) == search.length_code(1) == 0
    assert search.length_code(10**12) == (1 << search.LENGTH_BITS) - 1


def test_analysed_pieces_pickle_and_index_as_the_same_piece_sent_whole(tmp_path: Path) -> None:
    entry = search.SearchEntry("A title", "Partner", "1 May 2026", kind="partner")
    terms = pickle.loads(pickle.dumps(search.analyse(entry, "<p>Some budgets here.</p>")))
    first, second = search.IndexWriter(), search.IndexWriter()
    first.add("/a/", entry, "<p>Some budgets here.</p>")
    second.add_analysed("/a/", terms)
    assert first.files() == second.files()


def test_shards_hold_consecutive_terms_in_javascript_string_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "SHARD_BUDGET", 60)
    vocabulary = [f"w{i:03d}" for i in range(60)] + ["\U00020000x", "\ufa0eb", "zz"]
    pieces = {f"/p/{i}/": ("t", "<p>" + " ".join(vocabulary[i::3]) + "</p>") for i in range(3)}
    report = _write(tmp_path, pieces)
    bundle = tmp_path / search.BUNDLE_DIR
    manifest = _manifest(bundle)
    firsts = manifest["terms"]
    assert report.shards == len(firsts) == len(manifest["shards"]) > 5
    assert firsts == sorted(firsts, key=lambda w: w.encode("utf-16-be"))
    seen: list[str] = []
    for first, name in zip(firsts, manifest["shards"], strict=True):
        data = (bundle / "t" / f"{name}.json").read_bytes()
        assert name == hashlib.blake2b(data, digest_size=6).hexdigest()  # named by its contents
        shard = json.loads(data)
        assert next(iter(shard)) == first
        seen.extend(shard)
    # an astral-plane word sorts before U+FA0E in UTF-16, after it by code point
    assert seen == sorted(seen, key=lambda w: w.encode("utf-16-be"))
    assert seen.index("\U00020000x") < seen.index("\ufa0eb")
    assert len(seen) == len(set(seen)) == report.terms


def test_a_term_with_many_postings_gets_a_shard_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "SHARD_BUDGET", 80)
    pieces = {
        f"/p/{i}/": ("t", f"<p>{'common ' * (i * 7 % 13 + 1)}unique{i:03d}</p>") for i in range(100)
    }
    _write(tmp_path, pieces)
    bundle = tmp_path / search.BUNDLE_DIR
    manifest = _manifest(bundle)
    name = manifest["shards"][manifest["terms"].index("common")]
    data = (bundle / "t" / f"{name}.json").read_bytes()
    shard = json.loads(data)
    assert list(shard) == ["common"] and len(gzip.compress(data)) > search.SHARD_BUDGET
    assert len(shard["common"]) == 200 and shard["common"][0::2] == [0] + [1] * 99
    # a shard of several terms stays within the budget on the wire
    shards = [(bundle / "t" / f"{n}.json").read_bytes() for n in manifest["shards"]]
    several = [data for data in shards if len(json.loads(data)) > 1]
    assert several and all(len(gzip.compress(d, 6)) <= search.SHARD_BUDGET for d in several)


def _files(bundle: Path) -> dict[str, bytes]:
    return {
        p.relative_to(bundle).as_posix(): p.read_bytes()
        for p in sorted(bundle.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


def test_a_changed_piece_rewrites_only_the_files_it_touches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its record, its record table and the shards of its words; the others stay as they were."""
    monkeypatch.setattr(search, "SHARD_BUDGET", 300)
    monkeypatch.setattr(search, "RECORD_BLOCK", 10)
    import random

    rng = random.Random(3)
    vocabulary = [f"{a}{b}" for a in "bcdfgklmnprst" for b in ("ale", "ine", "oto", "umba")]
    bodies = {f"/p/{i}/": " ".join(rng.choices(vocabulary, k=40)) for i in range(40)}
    _write(tmp_path, {url: ("Title", f"<p>{body}</p>") for url, body in bodies.items()})
    bundle = tmp_path / search.BUNDLE_DIR
    before = _files(bundle)
    bodies["/p/25/"] += " zebra"  # one new word in one piece
    report = _write(tmp_path, {url: ("Title", f"<p>{body}</p>") for url, body in bodies.items()})
    after = _files(bundle)
    added, gone = set(after) - set(before), set(before) - set(after)
    assert report.written == len(added) and report.removed == len(gone)
    assert {path.split("/")[0] for path in added} == {"d", "r", "t"}
    assert sum(1 for path in added if path.startswith("d/")) == 1  # the changed piece's record
    assert sum(1 for path in added if path.startswith("r/")) == 1  # its record table
    # the shards of its words, not all of them: BM25 is computed when a reader searches
    assert (
        0 < sum(1 for path in added if path.startswith("t/")) < len(_manifest(bundle)["shards"]) / 2
    )
    assert all(after[path] == before[path] for path in set(after) & set(before))
    assert len(added) == len(gone)
    assert not [p for p in bundle.rglob("*.partial")]


def test_a_write_killed_half_way_leaves_nothing_the_next_write_keeps(tmp_path: Path) -> None:
    bundle = tmp_path / search.BUNDLE_DIR
    _write(tmp_path, {"/a/": ("First", "<p>one</p>")})
    writer = search.IndexWriter()
    writer.add("/a/", _entry("Second"), "<p>two</p>")
    writer.add("/b/", _entry("Third"), "<p>three</p>")
    _, files = writer.files()
    for path, data in files:  # killed while writing: every file cut short, no manifest
        (bundle / path).write_bytes(data[: len(data) // 2])
    report = writer.write(tmp_path)
    assert report.written == len(files)
    assert {path: (bundle / path).read_bytes() for path, _ in files} == dict(files)
    assert writer.write(tmp_path).written == 0  # now the manifest names them all


def test_writing_removes_what_an_older_index_left(tmp_path: Path) -> None:
    bundle = tmp_path / search.BUNDLE_DIR
    (bundle / "0123abcd" / "t").mkdir(parents=True)  # format 1's version folder
    (bundle / "0123abcd" / "t" / "0.json").write_text("{}")
    (bundle / "t").mkdir()
    (bundle / "t" / ".x.json.partial").write_text("{")  # a build killed while writing
    _write(tmp_path, {"/a/": ("First", "<p>one</p>")})
    first = _files(bundle)
    _write(tmp_path, {"/a/": ("Second", "<p>two</p>")})
    second = _files(bundle)
    assert not (bundle / "0123abcd").exists()
    assert sorted(p.name for p in bundle.iterdir()) == ["b", "d", "manifest.json", "r", "t"]
    assert len(second) == len(first) == 3 and not set(first) & set(second)


def test_a_hub_with_no_pieces_yet_gets_an_empty_index_that_finds_nothing(tmp_path: Path) -> None:
    report = search.IndexWriter().write(tmp_path)
    assert (report.pages, report.terms, report.shards) == (0, 0, 0)
    with serve(tmp_path) as base:
        got = _run_engine(SEARCH, {"base": base, "queries": ["budget", "cio cmo", '"a b"']})
    assert [answer["docs"] for answer in got] == [[], [], []]


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
    assert [doc for doc, *_ in postings["flamingos"]] == [0]
    assert [doc for doc, *_ in postings["body"]] == [0, 1]


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
def test_the_engine_cuts_and_stems_words_exactly_as_the_index_does(texts: list[str]) -> None:
    texts = TRICKY + texts
    got = _run_engine(
        "console.log(JSON.stringify(input.map((t) => engine.words(t).map((w) => [w, engine.stem(w)]))));",
        texts,
    )
    assert got == [[[w, search.stem(w)] for w in search.words(t)] for t in texts]


def _bm25(
    counts: dict[int, tuple[int, int]], manifest: dict[str, Any], df: int | None = None
) -> dict[int, float]:
    """BM25 of doc -> (count, length code), as the engine computes it from the manifest."""
    k1, b = manifest["bm25"]
    base, _bits = manifest["length"]
    n, df = manifest["pieces"], len(counts) if df is None else df
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    return {
        doc: idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * base**code / manifest["average"]))
        for doc, (tf, code) in counts.items()
    }


def _counts(postings: dict[str, Any], found: Any) -> dict[int, tuple[int, int]]:
    if isinstance(found, str):  # a stem's one word
        found = postings.get(found)
    return {doc: (tf, code) for doc, tf, code in found or []}


def _reference(postings: dict[str, Any], manifest: dict[str, Any], query: str) -> list[int]:
    """What the engine should answer, from the index's terms: pieces with every word of the
    query, best first by the sum over the words of: BM25 of all the words with its stem as one
    term (times 0.8 for a piece without the word itself), or 0.6 x BM25 of the longer words the
    last word begins as one term, as rare as those and the word's own together (when they fill
    at most four shards), whichever is more."""
    firsts = manifest["terms"]
    wanted = list(dict.fromkeys(search.words(query)))
    last = wanted[-1] if wanted and query[-1:].isalnum() and len(wanted[-1]) >= 2 else ""
    totals: dict[int, float] | None = None
    for word in wanted:
        own = _counts(postings, postings.get(word))
        root = search.stem(word)
        if f"~{root}" in postings:
            group = _counts(postings, postings[f"~{root}"])
        elif root != word and search.stem(root) == root and root in postings:
            group = _counts(postings, postings[root])
        else:
            group = own
        scores = {
            doc: score * (1.0 if doc in own else 0.8)
            for doc, score in _bm25(group, manifest).items()
        }
        if word == last:
            first = max(i for i, f in enumerate(firsts) if f <= word or i == 0)
            end = first
            while end + 1 < len(firsts) and firsts[end + 1].startswith(word):
                end += 1
            longer: dict[int, tuple[int, int]] = {}
            if end - first < 4:
                for term, found in postings.items():
                    if term != word and term.startswith(word) and not isinstance(found, str):
                        for doc, (tf, code) in _counts(postings, found).items():
                            longer[doc] = (longer.get(doc, (0, 0))[0] + tf, code)
            union = len(set(longer) | set(group))  # the words it begins include itself
            for doc, score in _bm25(longer, manifest, union).items():
                scores[doc] = max(scores.get(doc, 0.0), 0.6 * score)
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
        "aligning",
        "analytics",
        "cio",
        "cmo",
        "data",
        "team",
        "the",
        "and",
    ]
    kinds = ["editorial", "partner", "analyst"]
    writer = search.IndexWriter()
    for i in range(300):
        body = " ".join(vocabulary[(i * k) % len(vocabulary)] for k in range(1, 1 + i % 13))
        kind = kinds[i % 3]
        writer.add(
            f"/p/{i}/",
            search.SearchEntry(
                f"Piece {vocabulary[i % len(vocabulary)]}",
                kind.title(),
                "2 March 2026",
                kind=kind,
                topics=((f"topic-{i % 4}", f"Topic {i % 4}"),),
            ),
            f"<p>{body} word{i}</p>",
        )
    old = search.SHARD_BUDGET
    search.SHARD_BUDGET = 400  # many shards, so prefixes cross shard boundaries
    try:
        writer.write(site)
    finally:
        search.SHARD_BUDGET = old
    bundle = site / search.BUNDLE_DIR
    with serve(site) as base:
        yield base, _postings(bundle), _manifest(bundle)


def test_the_engine_finds_what_a_brute_force_scan_of_the_texts_finds(tmp_path: Path) -> None:
    """Not from the index: each piece's own words, and whether every query word is one of them,
    has the stem of one of them, or (the last word, three letters or more) begins one."""
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
    queries = [
        "budget",
        "budgets",
        "budg",
        "mar",
        "markets data",
        "team anal",
        "porting consed",
        "bud",
        "zzz",
        "teamed ",
    ]
    with serve(tmp_path) as base:
        got = _run_engine(SEARCH, {"base": base, "queries": queries})
    vocab = [set(search.words(text)) for text in texts.values()]

    def found(word: str, words: set[str], last: bool) -> bool:
        return (
            word in words
            or search.stem(word) in {search.stem(w) for w in words}
            or (last and len(word) >= 2 and any(w.startswith(word) for w in words))
        )

    for query, answer in zip(queries, got, strict=True):
        wanted = search.words(query)
        typed = query[-1:].isalnum()
        expected = {
            i
            for i, words in enumerate(vocab)
            if all(found(w, words, typed and k == len(wanted) - 1) for k, w in enumerate(wanted))
        }
        assert set(answer["docs"]) == expected, query
        assert len(answer["docs"]) == len(expected)
    assert got[0]["docs"] and not got[queries.index("zzz")]["docs"]


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
  const filters = (input.filters || {})[query] || {};
  const found = await index.search(query, filters);
  const first = found.results.length ? await found.results[0].data() : null;
  out.push({
    words: found.words,
    docs: found.results.map((r) => r.doc),
    scores: found.results.map((r) => r.score),
    corrected: found.corrected,
    first,
    excerpt: first ? found.excerpt(first.text) : null,
  });
}
console.log(JSON.stringify(out));
"""


def test_the_engine_ranks_what_the_index_holds_by_bm25(served_index: Any) -> None:
    base, postings, manifest = served_index
    queries = [
        "budget",
        "budgets",
        "budg",
        "market",
        "aligned",
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
        if query == "nothing":
            continue  # a word in no piece: the engine tries the closest word instead
        assert answer["docs"] == _reference(postings, manifest, query), query
        if answer["docs"]:
            assert answer["first"]["url"] == f"p/{answer['docs'][0]}/"
    word17 = got[queries.index("word17")]["docs"]
    assert word17[0] == 17 and sorted(word17) == [17, *range(170, 180)]  # the word itself first
    aligned = got[queries.index("aligned")]["docs"]  # in no piece; "alignment" and "aligning" are
    assert aligned and set(aligned) == set(got[queries.index("aligned")]["docs"])


def test_an_exact_word_ranks_above_a_word_of_the_same_stem(tmp_path: Path) -> None:
    writer = search.IndexWriter()
    writer.add("/stem/", _entry("One"), "<p>The budgets of the team were set.</p>")
    writer.add("/exact/", _entry("Two"), "<p>The budget of the team was set.</p>")
    writer.add("/other/", _entry("Three"), "<p>Nothing about money at all here.</p>")
    writer.write(tmp_path)
    with serve(tmp_path) as base:
        got = _run_engine(SEARCH, {"base": base, "queries": ["budget", "budgets", "budgeted"]})
    assert got[0]["docs"] == [1, 0]
    assert got[1]["docs"] == [0, 1]
    assert sorted(got[2]["docs"]) == [0, 1]  # neither says it: both by their stem, alike
    assert got[2]["scores"][0] == pytest.approx(got[2]["scores"][1], rel=0.01)


def test_phrases_match_words_in_sequence_within_a_block(tmp_path: Path) -> None:
    writer = search.IndexWriter()
    writer.add("/seq/", _entry("One"), "<p>Who owns the budget for marketing technology?</p>")
    writer.add("/apart/", _entry("Two"), "<p>Marketing owns the technology budget.</p>")
    writer.add("/blocks/", _entry("Three"), "<h2>Marketing</h2><p>Technology teams.</p>")
    writer.add("/stems/", _entry("Four"), "<p>Budgets for marketing technologies.</p>")
    writer.write(tmp_path)
    queries = [
        '"marketing technology"',
        "marketing technology",
        '"budget for marketing"',
        '"marketing technology',  # a quote left open while typing
        '"technology marketing"',
    ]
    with serve(tmp_path) as base:
        got = _run_engine(SEARCH, {"base": base, "queries": queries})
    assert sorted(got[0]["docs"]) == [0, 3]  # in sequence, by stem; not across a heading
    assert sorted(got[1]["docs"]) == [0, 1, 2, 3]
    assert sorted(got[2]["docs"]) == [0, 3]
    assert sorted(got[3]["docs"]) == [0, 3]
    assert got[4]["docs"] == []


def test_filters_narrow_by_kind_and_topic(served_index: Any) -> None:
    base, postings, manifest = served_index
    queries = ["budget", "the", "data"]
    filters = {
        "budget": {"kind": "partner"},
        "the": {"topic": "topic-2"},
        "data": {"kind": "analyst", "topic": "topic-1"},
    }
    got = _run_engine(SEARCH, {"base": base, "queries": queries, "filters": filters})
    assert manifest["kinds"] == {
        "analyst": "Analyst",
        "editorial": "Editorial",
        "partner": "Partner",
    }
    assert set(manifest["topics"]) == {f"topic-{i}" for i in range(4)}
    for query, answer in zip(queries, got, strict=True):
        unfiltered = _reference(postings, manifest, query)
        kind, topic = filters[query].get("kind"), filters[query].get("topic")
        kinds = ["editorial", "partner", "analyst"]
        expected = [
            d
            for d in unfiltered
            if (not kind or kinds[d % 3] == kind) and (not topic or f"topic-{d % 4}" == topic)
        ]
        assert answer["docs"] == expected and expected, query


def test_a_word_in_no_piece_gets_the_closest_indexed_word(served_index: Any) -> None:
    base = served_index[0]
    queries = ["budgte", "marketnig data", "cosnent", "qqqqqqq", "aligment"]
    got = _run_engine(SEARCH, {"base": base, "queries": queries})
    assert got[0]["corrected"] == "budget" and got[0]["docs"]
    assert got[1]["corrected"] == "marketing data" and got[1]["docs"]
    assert got[2]["corrected"] == "consent"
    assert got[3]["corrected"] is None and got[3]["docs"] == []
    assert got[4]["corrected"] == "alignment"


def test_the_engine_finds_only_the_word_itself_when_its_prefix_fills_many_shards(
    served_index: Any,
) -> None:
    base, postings, _ = served_index
    got = _run_engine(SEARCH, {"base": base, "queries": ["wor", "word"]})
    # "wor..." words fill more shards than the engine fetches for a prefix: only the word itself,
    # which is in no piece; "word" is one letter from an indexed word, which is searched instead
    assert got[0]["docs"] == [] and got[0]["corrected"] is None
    assert got[1]["corrected"] == "word0" and got[1]["docs"] == [0]
    assert sum(1 for term in postings if term.startswith("word")) == 300


def test_the_excerpt_marks_the_query_words_and_their_stems_around_the_first_match() -> None:
    text = " ".join(f"w{i}" for i in range(40)) + " the Budgeting plan, at last."
    got = _run_engine(
        "console.log(JSON.stringify(input.map(([t, w, p]) => engine.excerpt(t, w, 10, p))));",
        [
            [text, ["budgets"], ""],
            ["Short text, no match.", ["zebra"], ""],
            ["Café owners", ["cafe"], ""],
            ["Review cadence\nJourney completion\nFunnel analytics", ["funnel"], ""],
            ["Planning the planet", ["pla"], "pla"],
        ],
    )
    assert got[0] == [
        ["… ", False],
        ["w35 w36 w37 w38 w39 the ", False],
        ["Budgeting", True],
        [" plan, at last.", False],
    ]
    assert got[1] == [["Short text, no match.", False]]
    assert got[2] == [["Café", True], [" owners", False]]
    assert got[3] == [
        ["Review cadence · Journey completion · ", False],
        ["Funnel", True],
        [" analytics", False],
    ]
    assert got[4] == [["Planning", True], [" the ", False], ["planet", True]]


def test_queries_parse_into_words_phrases_and_the_word_being_typed() -> None:
    queries = ['budget "marketing tech" own', "budg", "budget ", '"open phrase', 'a "one" b2', "x"]
    got = _run_engine("console.log(JSON.stringify(input.map((q) => engine.parse(q))));", queries)
    assert got[0] == {
        "terms": ["budget", "marketing", "tech", "own"],
        "phrases": [["marketing", "tech"]],
        "prefix": "own",
    }
    assert got[1]["prefix"] == "budg" and got[2]["prefix"] == ""
    assert got[3] == {"terms": ["open", "phrase"], "phrases": [["open", "phrase"]], "prefix": ""}
    assert got[4] == {"terms": ["one", "b2"], "phrases": [], "prefix": "b2"}
    assert got[5] == {"terms": [], "phrases": [], "prefix": ""}


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
    manifest = _manifest(bundle)
    records = _records(bundle)
    assert manifest["pieces"] == len(records) == len(pieces)
    assert len(list((bundle / "d").iterdir())) == len(records)
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
    # the filters: every kind and every topic of the pieces, with their titles
    hub = load_hub(built_site.root)
    assert manifest["kinds"] == {p.kind: p.kind_label for p in pieces.values()}
    topics = {slug for p in pieces.values() for slug in p.topics}
    assert manifest["topics"] == {slug: hub.topic(slug).title for slug in topics}  # type: ignore[union-attr]
    postings = _postings(bundle)
    for slug in topics:
        expected = sorted(url_of(p.src_uri) for p in pieces.values() if slug in p.topics)
        assert sorted(records[doc]["url"] for doc, *_ in postings[f"#topic:{slug}"]) == expected


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


def _stem_sets(records: list[dict[str, Any]]) -> list[set[str]]:
    return [{search.stem(w) for w in search.words(f"{r['title']}\n{r['text']}")} for r in records]


def _all_results(page: Any) -> list[str]:
    """Every result's href, scrolling the list until all are shown."""
    meta = page.locator("[data-hub-search-meta]")
    page.wait_for_function(
        "document.querySelector('.md-search-result__item') || "
        "/No matching/.test(document.querySelector('[data-hub-search-meta]').textContent)"
    )
    found = re.search(r"(\d+) matching document", meta.inner_text())
    total = int(found.group(1)) if found else 0
    for _ in range(20):
        items = page.locator(".md-search-result__item")
        if items.count() >= total:
            break
        page.locator(".md-search__scrollwrap").evaluate("e => e.scrollTop = e.scrollHeight")
        page.wait_for_timeout(200)
    hrefs: list[str] = page.locator("a.md-search-result__link").evaluate_all(
        "all => all.map(a => new URL(a.href).pathname)"
    )
    assert len(hrefs) == total
    return hrefs


def _search(page: Any, query: str) -> None:
    box = page.locator(".md-search__input")
    box.fill("")
    page.wait_for_function(
        "/Type to start/.test(document.querySelector('[data-hub-search-meta]').textContent)"
    )
    box.type(query)


@pytest.mark.browser
def test_budgets_finds_budget_and_a_phrase_finds_its_words_in_sequence(
    built_site: BuiltSite,
) -> None:
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    bundle = built_site.site / search.BUNDLE_DIR
    records = _records(bundle)
    stems = _stem_sets(records)
    plain = [
        r
        for r in records
        if "budget" in search.words(f"{r['title']} {r['text']}")
        and "budgets" not in search.words(f"{r['title']} {r['text']}")
    ]
    assert plain, "some demo piece says budget and never budgets"
    budget = {"/" + r["url"] for r, s in zip(records, stems, strict=True) if "budget" in s}
    # a phrase whose two words are both in some piece that does not have them in sequence
    phrase, expected = "", set()
    for record in records:
        for block in record["text"].split("\n"):
            ws = search.words(block)
            for a, b in itertools.pairwise(ws):
                if len(a) < 5 or len(b) < 5:
                    continue
                having = [
                    r
                    for r, s in zip(records, stems, strict=True)
                    if {search.stem(a), search.stem(b)} <= s
                ]
                inside = {"/" + r["url"] for r in having if _has_phrase(r, [a, b])}
                if len(having) > len(inside) >= 1:
                    phrase, expected = f'"{a} {b}"', inside
                    break
            if phrase:
                break
        if phrase:
            break
    assert phrase, "no phrase of the demo to test"
    with serve(built_site.site) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=list(CHROMIUM_ARGS))
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(base, wait_until="networkidle")
        page.keyboard.press("/")
        _search(page, "budgets")
        found = set(_all_results(page))
        assert found == budget
        assert {"/" + r["url"] for r in plain} <= found
        first = page.locator(".md-search-result__item").first
        assert "budget" in first.locator("mark").first.inner_text().lower()
        _search(page, phrase)
        assert set(_all_results(page)) == expected
        browser.close()


def _has_phrase(record: dict[str, Any], phrase: list[str]) -> bool:
    wanted = [search.stem(w) for w in phrase]
    for block in f"{record['title']}\n{record['text']}".split("\n"):
        seen = [search.stem(w) for w in search.words(block)]
        if any(seen[i : i + len(wanted)] == wanted for i in range(len(seen))):
            return True
    return False


@pytest.mark.browser
def test_a_kind_chip_narrows_by_keyboard_the_url_shares_it_and_a_typo_gets_a_suggestion(
    built_site: BuiltSite,
) -> None:
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    bundle = built_site.site / search.BUNDLE_DIR
    records = _records(bundle)
    stems = _stem_sets(records)
    partner = {
        "/" + r["url"]
        for r, s in zip(records, stems, strict=True)
        if "budget" in s and r["kind"] == "Partner"
    }
    assert partner
    with serve(built_site.site) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=list(CHROMIUM_ARGS))
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(base, wait_until="networkidle")
        page.keyboard.press("/")
        _search(page, "budget")
        page.locator(".md-search-result__item").first.wait_for()
        chip = page.locator('.hub-search-chip[data-kind="partner"]')
        for _ in range(10):  # the chips are reached with Tab from the search box
            page.keyboard.press("Tab")
            if chip.evaluate("e => e === document.activeElement"):
                break
        assert chip.evaluate("e => e === document.activeElement")
        page.keyboard.press("Enter")
        page.wait_for_function(
            "document.querySelector('.hub-search-chip[data-kind=partner]').getAttribute('aria-pressed') === 'true'"
        )
        page.wait_for_function(
            f"/^{len(partner)} matching/.test(document.querySelector('[data-hub-search-meta]').textContent)"
        )
        assert set(_all_results(page)) == partner
        facts = page.locator(".hub-search-result__facts .hub-kind").all_inner_texts()
        assert {f.lower() for f in facts} == {"partner"}
        shared = page.url
        assert "q=budget" in shared and "kind=partner" in shared

        other = browser.new_page(viewport={"width": 1280, "height": 720})
        other.goto(shared, wait_until="networkidle")  # a shared search opens as it was
        assert other.evaluate("document.getElementById('__search').checked")
        assert other.locator(".md-search__input").input_value() == "budget"
        assert set(_all_results(other)) == partner
        assert (
            other.locator('.hub-search-chip[data-kind="partner"]').get_attribute("aria-pressed")
            == "true"
        )
        other.keyboard.press("Escape")
        assert "q=" not in other.url

        page.keyboard.press("Enter")  # the chip again: every kind
        _search(page, "budgte")
        suggestion = page.locator(".hub-search-suggestion")
        suggestion.wait_for()
        assert suggestion.inner_text() == "budget"
        assert "Did you mean" in page.locator("[data-hub-search-meta]").inner_text()
        assert page.locator(".md-search-result__item").count() > 0
        browser.close()


def test_postings_moved_to_disk_while_indexing_give_the_same_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large build holds at most SPILL_POSTINGS in memory: the runs it moves to disk join
    into the same files as a build that held everything."""
    import random

    rng = random.Random(5)
    vocabulary = [f"{a}{b}" for a in "bcdfgklmnprst" for b in ("ale", "ales", "ine", "ined")]
    pieces = {
        f"/p/{i:02d}/": (f"Title {i}", "<p>" + " ".join(rng.choices(vocabulary, k=30)) + "</p>")
        for i in range(60)
    }
    _write(tmp_path / "held", pieces)
    monkeypatch.setattr(search, "SPILL_POSTINGS", 50)
    _write(tmp_path / "spilled", pieces)
    held, spilled = tmp_path / "held" / search.BUNDLE_DIR, tmp_path / "spilled" / search.BUNDLE_DIR
    assert _files(held) == _files(spilled)
    assert (held / "manifest.json").read_bytes() == (spilled / "manifest.json").read_bytes()
    assert dict(search.read_index(held))["~bale"]  # stems summed from runs


def _state_build(
    site: Path,
    state: Path | None,
    fingerprint: str,
    pieces: dict[str, tuple[str, str, str]],
    sent: list[str] | None = None,
) -> search.IndexReport:
    """One build as the hub runs it: the kept index taken up (when `state` and `fingerprint`
    name one), the pieces it does not hold sent, the plan of every piece, the write."""
    writer = None
    if state is not None and fingerprint:
        writer = search.IndexWriter.load(state, fingerprint, site / search.BUNDLE_DIR)
    writer = writer or search.IndexWriter(state)
    known = writer.keys()
    sent = [] if sent is None else sent
    sent.clear()
    plan = []
    for url, (order, title, body) in pieces.items():
        key = hashlib.sha1(f"{order}{url}{title}{body}".encode()).hexdigest()
        if key not in known:
            writer.add(url, _entry(title), f"<p>{body}</p>", key=key, order=order)
            sent.append(url)
        plan.append((key, order, url))
    writer.update(plan)
    report = writer.write(site)
    if state is not None:
        writer.save()
    writer.close()
    return report


@pytest.mark.parametrize(
    ("spill", "blocks"), [(False, False), (True, False), (False, True), (True, True)]
)
def test_an_index_kept_on_disk_updates_to_the_clean_index_after_each_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spill: bool, blocks: bool
) -> None:
    """Edits, pieces added before, between and after the others, removals, renamed words:
    after each, the index updated from the kept state equals a clean build's, byte for byte,
    and only a changed piece is sent again. With small blocks, the edits move pieces' postings
    between blocks, and terms and stems cross the size at which they are written as blocks."""
    import random

    if spill:
        monkeypatch.setattr(search, "SPILL_POSTINGS", 40)
    if blocks:
        monkeypatch.setattr(search, "BLOCK_DOCS", 4)
        monkeypatch.setattr(search, "SPLIT_POSTINGS", 6)
    monkeypatch.setattr(search, "SHARD_BUDGET", 120)
    monkeypatch.setattr(search, "RECORD_BLOCK", 4)
    rng = random.Random(11)
    vocabulary = [f"{a}{b}" for a in "bdgkmpt" for b in ("ale", "aled", "ine", "ines", "oto")]

    def body() -> str:
        return " ".join(rng.choices(vocabulary, k=rng.randint(3, 25)))

    pieces = {f"/p/{i:02d}/": (f"2026{i:04d}", f"Piece {i}", body()) for i in range(0, 40, 2)}
    site, state = tmp_path / "site", tmp_path / "state.search"
    report = _state_build(site, state, "", pieces)
    changes = [
        lambda: pieces.update({"/p/10/": ("20260010", "Piece 10", body())}),  # an edit
        lambda: pieces.update({"/p/11/": ("20260011", "Between", body())}),  # renumbers the rest
        lambda: pieces.update(
            {"/p/99/": ("20269999", "Newest", body()), "/p/98/": ("20269998", "Next", body())}
        ),
        lambda: pieces.pop("/p/00/"),  # every other piece moves
        lambda: pieces.update({"/p/20/": ("20260020", "Piece 20", "zebra only")}),  # a new word
        lambda: pieces.pop("/p/20/"),  # and gone again, with its stem
        lambda: pieces.update({"/p/01/": ("20260001", "Oldest", body())}),
        # every piece but the newest rewritten in place (a topic retitled changes them all):
        # settled one pass a term, not a posting at a time
        lambda: pieces.update(
            {u: (o, t + " again", body()) for u, (o, t, _b) in list(pieces.items())[:-1]}
        ),
        lambda: pieces.update(  # half of them again, with the newest, and words swapped
            {u: (o, t, b.replace("ale", "oto")) for u, (o, t, b) in list(pieces.items())[::2]}
        ),
        lambda: None,  # nothing changed
    ]
    sent: list[str] = []
    for number, change in enumerate(changes):
        before = dict(pieces)
        change()
        report = _state_build(site, state, report.fingerprint, pieces, sent)
        assert sent == [
            u for u, p in pieces.items() if before.get(u) != p
        ]  # the state was taken up
        clean = tmp_path / f"clean{number}"
        _state_build(clean, None, "", pieces)
        got, want = site / search.BUNDLE_DIR, clean / search.BUNDLE_DIR
        assert _files(got) == _files(want), f"change {number}"
        assert (got / "manifest.json").read_bytes() == (want / "manifest.json").read_bytes()
        split = [t for t, e in _shard_entries(got).items() if isinstance(e, dict)]
        assert bool(split) == blocks  # large terms and stems written as blocks
        assert _postings(got) == _reference_postings(pieces)
    assert report.written == 0  # the last build changed nothing
    assert not Path(f"{state}-staging").exists()  # the pieces waiting to be written: not kept


def _shard_entries(bundle: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in _manifest(bundle)["shards"]:
        out.update(json.loads((bundle / "t" / f"{name}.json").read_bytes()))
    return out


def _reference_postings(pieces: dict[str, tuple[str, str, str]]) -> dict[str, Any]:
    """What the index must hold of `_state_build`'s pieces, counted here without the writer."""
    ordered = sorted(pieces.items(), key=lambda item: (item[1][0], item[0]))
    return _count_pieces([(_entry(title), body) for _url, (_o, title, body) in ordered])[0]


def test_a_state_written_with_another_zlib_is_not_taken_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shards are cut by compressed sizes the state keeps: another zlib may measure them
    otherwise, so its state is not mixed with this one's."""
    pieces = {"/a/": ("1", "First", "alpha beta"), "/b/": ("2", "Second", "gamma")}
    site, state = tmp_path / "site", tmp_path / "state.search"
    report = _state_build(site, state, "", pieces)
    bundle = site / search.BUNDLE_DIR
    assert search.IndexWriter.load(state, report.fingerprint, bundle) is not None
    monkeypatch.setattr(search, "_STATE_VERSION", search._STATE_VERSION + "-another-zlib")
    assert search.IndexWriter.load(state, report.fingerprint, bundle) is None


def test_a_kept_state_that_is_not_the_index_on_disk_is_not_taken_up(tmp_path: Path) -> None:
    pieces = {"/a/": ("1", "First", "alpha beta"), "/b/": ("2", "Second", "gamma")}
    site, state = tmp_path / "site", tmp_path / "state.search"
    report = _state_build(site, state, "", pieces)
    bundle = site / search.BUNDLE_DIR
    assert search.IndexWriter.load(state, report.fingerprint, bundle) is not None
    assert search.IndexWriter.load(state, "another", bundle) is None
    record = next((bundle / "d").iterdir())
    record.write_bytes(record.read_bytes() + b" ")  # a record changed behind its back
    assert search.IndexWriter.load(state, report.fingerprint, bundle) is None
    state.write_bytes(b"not a database")  # e.g. the pickle an older hub kept
    assert search.IndexWriter.load(state, report.fingerprint, bundle) is None
    assert _state_build(site, state, report.fingerprint, pieces).pages == 2  # built afresh


# ---------------------------------------------------------------- large terms in blocks

#: a small hub cut into many blocks: 16 pieces a block, a term of more than 12 postings in blocks
SMALL_BLOCKS = {"BLOCK_DOCS": 16, "SPLIT_POSTINGS": 12, "SHARD_BUDGET": 400}
BLOCK_KINDS = ("editorial", "partner", "analyst")


def _blocked_pieces() -> list[tuple[str, str, str, str, str]]:
    """400 pieces (url, title, body, kind, topic) with words from every piece's to one piece's,
    counts and lengths that vary, stems and longer words: common terms span every block."""
    import random

    rng = random.Random(19)
    common = ["the", "and", "team", "teams", "teamwork", "data", "budget", "budgets"]
    middle = ["budgeting", "market", "marketing", "markets", "portal", "consent", "teammate"]
    out = []
    for i in range(400):
        words = [w for w in common if rng.random() < 0.85] + [
            w for w in middle if rng.random() < 0.2
        ]
        words += [f"rare{rng.randrange(60)}" for _ in range(rng.randint(0, 2))]
        body = [w for w in words for _ in range(rng.choice((1, 1, 1, 2, 3, 7)))]
        body += ["filler"] * rng.randint(0, 120)  # lengths that vary
        rng.shuffle(body)
        title = f"Piece {rng.choice(common + middle)}"
        out.append(
            (f"p/{i}/", title, " ".join(body), BLOCK_KINDS[i % 3], f"topic-{rng.randrange(4)}")
        )
    return out


def _piece_entry(title: str, kind: str, topic: str) -> search.SearchEntry:
    return search.SearchEntry(
        title, kind.title(), "2 March 2026", kind=kind, topics=((topic, topic.title()),)
    )


def _count_pieces(pieces: list[tuple[search.SearchEntry, str]]) -> tuple[dict[str, Any], float]:
    """Each term's (doc, count, length code), each stem's summed counts (or its one word), each
    filter's pieces, and the mean length: counted from the pieces (entry, body) themselves, not
    read from an index, numbered in the order they are given."""
    words: dict[str, dict[int, int]] = {}
    codes, lengths = [], []
    for doc, (entry, body) in enumerate(pieces):
        terms = search.analyse(entry, f"<p>{body}</p>")
        codes.append(search.length_code(terms.length))
        lengths.append(terms.length)
        for word, count in terms.counts.items():
            words.setdefault(word, {})[doc] = count
        for name in [f"#kind:{entry.kind}"] + [f"#topic:{slug}" for slug, _t in entry.topics]:
            words.setdefault(name, {})[doc] = 1
    out: dict[str, Any] = {}
    stems: dict[str, list[str]] = {}
    for word, found in words.items():
        out[word] = [(doc, count, codes[doc]) for doc, count in sorted(found.items())]
        if not word.startswith("#"):
            stems.setdefault(search.stem(word), []).append(word)
    for root, members in stems.items():
        if members == [root]:
            continue
        if len(members) == 1:
            out["~" + root] = members[0]
            continue
        summed: dict[int, int] = {}
        for word in members:
            for doc, count in words[word].items():
                summed[doc] = summed.get(doc, 0) + count
        out["~" + root] = [(doc, c, codes[doc]) for doc, c in sorted(summed.items())]
    return out, round(sum(lengths) / len(lengths), 2)


@pytest.fixture(scope="module")
def blocked_index(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The 400 pieces written with small blocks (and the engine beside them, for a browser),
    served on 127.0.0.1; with their postings counted from the pieces and the manifest."""
    site = tmp_path_factory.mktemp("blocked-site")
    pieces = _blocked_pieces()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in SMALL_BLOCKS.items():
            patch.setattr(search, name, value)
        writer = search.IndexWriter()
        for url, title, body, kind, topic in pieces:
            writer.add(url, _piece_entry(title, kind, topic), f"<p>{body}</p>")
        writer.write(site)
    (site / "assets").mkdir()
    for name in ("hub-search-engine.js", "hub-search-stemmer.js"):
        shutil.copy(ENGINE.parent / name, site / "assets" / name)
    bundle = site / search.BUNDLE_DIR
    postings, average = _count_pieces(
        [(_piece_entry(title, kind, topic), body) for _u, title, body, kind, topic in pieces]
    )
    manifest = _manifest(bundle)
    assert manifest["average"] == average and manifest["span"] == SMALL_BLOCKS["BLOCK_DOCS"]
    with serve(site) as base:
        yield base, bundle, postings, manifest, pieces


BLOCK_QUERIES = {
    "common": ("the", {}),
    "common, typed": ("team", {}),  # with its stem's words and the longer words it begins
    "stem": ("budgets ", {}),
    "middle": ("marketing ", {}),
    "rare": ("rare7 ", {}),
    "two words": ("budget marketing ", {}),
    "two common words": ("the data", {}),
    "prefix": ("mark", {}),
    "prefix alone": ("teamm", {}),  # in no piece itself: the longer word it begins
    # begins words of more than four shards: only itself, in no piece: did you mean "team"?
    "prefix of many": ("tea", {}),
    "filter": ("the ", {"kind": "partner"}),
    "two filters": ("data", {"kind": "analyst", "topic": "topic-2"}),
    "in no piece": ("zebra ", {}),
}

#: each query searched in a fresh index whole, then in another for its first result, then ten,
#: then page after page as "more results" asks; the blocks (`b/` files) fetched are counted
PAGED = """
const realFetch = globalThis.fetch;
let blocks = 0;
globalThis.fetch = (url, ...rest) => {
  if (String(url).includes("/b/")) blocks += 1;
  return realFetch(url, ...rest);
};
const out = {};
for (const [name, [query, filters]] of Object.entries(input.queries)) {
  const whole = await (await engine.open(input.base)).search(query, filters);
  blocks = 0;
  const lazy = await (await engine.open(input.base)).search(query, filters, { first: 1 });
  const one = lazy.results.map((r) => r.doc);
  const oneBlocks = blocks;
  const first = (await lazy.page(10)).map((r) => r.doc);
  const firstBlocks = blocks;
  const pages = [];
  while (lazy.results.length < lazy.total) {
    const before = lazy.results.length;
    await lazy.page(before + 10);
    pages.push(lazy.results.length - before);
  }
  out[name] = {
    whole: whole.results.map((r) => r.doc),
    wholeTotal: whole.total,
    one,
    oneBlocks,
    first,
    total: lazy.total,
    paged: lazy.results.map((r) => r.doc),
    pages,
    firstBlocks,
    allBlocks: blocks,
  };
}
console.log(JSON.stringify(out));
"""


def _blocked_reference(blocked: Any, query: str, filters: dict[str, str]) -> list[int]:
    _base, _bundle, postings, manifest, pieces = blocked
    ranked = _reference(postings, manifest, query)
    keep = {
        doc
        for doc, (_u, _t, _b, kind, topic) in enumerate(pieces)
        if filters.get("kind", kind) == kind and filters.get("topic", topic) == topic
    }
    return [doc for doc in ranked if doc in keep]


def _check_blocked_answers(blocked: Any, got: dict[str, Any]) -> None:
    for name, (query, filters) in BLOCK_QUERIES.items():
        answer, want = got[name], _blocked_reference(blocked, query, filters)
        if name in ("in no piece", "prefix of many"):  # the closest word's results instead
            assert not want and answer["whole"] == answer["paged"], name
            assert answer["total"] == len(answer["whole"]), name
            continue
        assert want, name  # every other query finds something
        assert answer["whole"] == want, name
        assert answer["paged"] == want, name  # "more results" page by page, to the end
        assert answer["total"] == answer["wholeTotal"] == len(want), name
        assert answer["first"] == want[: len(answer["first"])], name
        assert len(answer["first"]) >= min(10, len(want)), name
        assert answer["one"] == want[: len(answer["one"])] and answer["one"], name


def _blocks_of(bundle: Path, term: str) -> int:
    entry = _shard_entries(bundle)[term]
    assert isinstance(entry, dict), term  # written as blocks
    return len(entry["b"])


def test_the_engine_ranks_terms_written_as_blocks_exactly_as_bm25_and_pages_to_the_end(
    blocked_index: Any,
) -> None:
    base, bundle, postings, _m, _pieces = blocked_index
    # the index holds what the pieces say, whether written whole or in blocks
    assert _postings(bundle) == postings
    entries = _shard_entries(bundle)
    split = sorted(t for t, e in entries.items() if isinstance(e, dict))
    assert {"the", "~team", "#kind:partner", "data"} <= set(split)
    assert any(isinstance(e, list) for e in entries.values())  # small terms stay whole
    got = _run_engine(PAGED, {"base": base, "queries": BLOCK_QUERIES})
    _check_blocked_answers(blocked_index, got)
    # a common word's first result comes from one of its blocks, its first ten from some
    blocks = _blocks_of(bundle, "the")
    assert blocks >= 20
    assert got["common"]["oneBlocks"] <= 2, got["common"]
    assert got["common"]["firstBlocks"] < blocks * 3 // 4, got["common"]
    assert got["common"]["allBlocks"] == blocks  # paging to the end fetched each once
    typed = got["common, typed"]  # blocks of "~team", "team", "teams", "teammate", "teamwork"
    assert typed["oneBlocks"] < typed["firstBlocks"] < typed["allBlocks"], typed


#: each query searched for its first result, then pages asked for at once, without waiting
#: for one before the next (a reader scrolling while a page is being fetched), then the rest
CONCURRENT = """
const out = {};
const docs = (results) => results.map((r) => r.doc);
for (const [name, [query, filters]] of Object.entries(input.queries)) {
  const lazy = await (await engine.open(input.base)).search(query, filters, { first: 1 });
  const asked = [5, 12, 3, 30, 2];
  const pages = await Promise.all(asked.map((n) => lazy.page(n).then((r) => [n, docs(r)])));
  const rest = await Promise.all([lazy.page(Infinity), lazy.page(40)].map((p) => p.then(docs)));
  out[name] = { pages, rest, results: docs(lazy.results), total: lazy.total };
}
console.log(JSON.stringify(out));
"""


def test_pages_asked_for_at_once_get_the_bm25_order_each_piece_once(blocked_index: Any) -> None:
    """Pages asked for while others are still being scored resolve to the exact ranking, each
    with at least the results it asked for, every piece once: no block being fetched for one
    call is taken for scored by another."""
    base = blocked_index[0]
    got = _run_engine(CONCURRENT, {"base": base, "queries": BLOCK_QUERIES})
    for name, (query, filters) in BLOCK_QUERIES.items():
        answer = got[name]
        want = _blocked_reference(blocked_index, query, filters)
        if name in ("in no piece", "prefix of many"):
            want = answer["results"]  # the closest word's results: checked as one whole
            assert len(set(want)) == len(want) == answer["total"], name
        for count, results in answer["pages"]:
            assert len(results) >= min(count, len(want)), (name, count)
            assert results == want[: len(results)], (name, count)
        assert answer["rest"] == [want, want], name
        assert answer["results"] == want and answer["total"] == len(want), name


@pytest.mark.browser
def test_chromium_ranks_terms_written_as_blocks_exactly_as_bm25(blocked_index: Any) -> None:
    """The same queries through the engine in Chromium (its own fetch, modules and JSON)."""
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    base, bundle, _p, _m, _pieces = blocked_index
    script = (
        "async (input) => { const engine = await import(input.base + 'assets/hub-search-engine.js');\n"
        + PAGED.replace("console.log(JSON.stringify(out));", "return out;")
        + "}"
    )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=list(CHROMIUM_ARGS))
        page = browser.new_page()
        page.goto(base + "assets/hub-search-engine.js")
        got = page.evaluate(script, {"base": base, "queries": BLOCK_QUERIES})
        browser.close()
    _check_blocked_answers(blocked_index, got)
    assert got["common"]["oneBlocks"] <= 2
    assert got["common"]["firstBlocks"] < _blocks_of(bundle, "the") * 3 // 4


@pytest.mark.browser
def test_the_search_box_shows_a_common_word_written_as_blocks_page_by_page_to_the_end(
    built_site: BuiltSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo site with its index written again from its records in blocks of 4: the search
    box shows "the" (in nearly every piece, a block each 4 pieces) first result first, then
    ten at a time as the reader scrolls, to the last, in BM25's order computed in Python."""
    import html

    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    site = tmp_path / "site"
    shutil.copytree(built_site.site, site)
    bundle = site / search.BUNDLE_DIR
    records = _records(bundle)
    shutil.rmtree(bundle)
    for name, value in {**SMALL_BLOCKS, "BLOCK_DOCS": 4, "SPLIT_POSTINGS": 6}.items():
        monkeypatch.setattr(search, name, value)  # the demo has few pieces
    pieces = [
        (
            search.SearchEntry(r["title"], r["kind"], r["date"], kind=r["kind"].split()[0].lower()),
            html.escape(r["text"]),
        )
        for r in records
    ]
    writer = search.IndexWriter()
    for record, (entry, body) in zip(records, pieces, strict=True):
        writer.add("/" + record["url"], entry, f"<p>{body}</p>")
    writer.write(site)
    postings, average = _count_pieces(pieces)
    manifest = _manifest(bundle)
    assert manifest["average"] == average and _blocks_of(bundle, "the") >= 10
    want = ["/" + records[doc]["url"] for doc in _reference(postings, manifest, "the")]
    assert len(want) > 30
    with serve(site) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=list(CHROMIUM_ARGS))
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        blocks: list[str] = []
        page.on("request", lambda r: blocks.append(r.url) if "/b/" in r.url else None)
        page.goto(base, wait_until="networkidle")
        page.keyboard.press("/")
        page.keyboard.type("the")
        page.wait_for_function("document.querySelectorAll('.md-search-result__item').length >= 10")
        meta = page.locator("[data-hub-search-meta]").inner_text()
        assert int(meta.split()[0].replace(",", "")) == len(want)
        page.wait_for_load_state("networkidle")
        assert page.locator(".md-search-result__item").count() == 10  # one screenful
        first_screen = len(set(blocks))
        for _ in range(len(want) // 10 + 5):
            if page.locator(".md-search-result__item").count() >= len(want):
                break
            page.locator(".md-search__scrollwrap").evaluate("e => e.scrollTop = e.scrollHeight")
            page.wait_for_timeout(150)
        shown: list[str] = page.locator("a.md-search-result__link").evaluate_all(
            "all => all.map(a => new URL(a.href).pathname)"
        )
        browser.close()
    assert shown == want
    assert first_screen < _blocks_of(bundle, "the") <= len(set(blocks))
