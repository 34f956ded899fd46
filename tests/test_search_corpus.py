"""The judged search corpus in tests/data/search: its pieces are valid hub pieces, its queries
are well formed, and every judgment points at a piece that satisfies the query's filters."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from channelhub import frontmatter
from channelhub.config import Hub, load_hub
from channelhub.content import KIND_LABELS, Piece, piece_files, piece_from_document, url_of
from channelhub.ingest import is_untouched

REPO = Path(__file__).parents[1]
CORPUS = REPO / "tests" / "data" / "search"
PIECES = CORPUS / "pieces"
DEMO_PREFIX = "docs/"  # a judged path starting with this is a demo piece in the repository

QUERY_KINDS = ("word", "inflected", "two-word", "phrase", "typo", "prefix", "filter")
SPLITS = ("tune", "heldout")
QUERY_KEYS = {"id", "query", "kind", "split", "filters", "note", "relevant"}
MIN_PIECES, MIN_QUERIES, MIN_TUNE, MIN_HELDOUT = 220, 70, 50, 20
MIN_WORDS, MAX_WORDS = 150, 900
# A tripwire, not a second source of truth: the split was fixed before judging and must never
# change, so moving a query between splits has to be a deliberate edit here too.
# fmt: off
HELDOUT = frozenset({
    "q03", "q07", "q09", "q12", "q14", "q18", "q21", "q24", "q27", "q34", "q37", "q40", "q43",
    "q46", "q49", "q52", "q55", "q58", "q61", "q64", "q68", "q71", "q75", "q78", "q80",
})
# fmt: on


@pytest.fixture(scope="module")
def hub() -> Hub:
    loaded = load_hub(REPO)
    assert not loaded.problems
    return loaded


@pytest.fixture(scope="module")
def corpus(hub: Hub) -> dict[str, Piece]:
    """Every corpus piece by its path under pieces/ (its src_uri once copied into docs/)."""
    pieces: dict[str, Piece] = {}
    problems: list[str] = []
    for path in piece_files(PIECES):
        src_uri = path.relative_to(PIECES).as_posix()
        doc = frontmatter.read(path, display=f"pieces/{src_uri}", with_lines=False)
        piece, found = piece_from_document(doc, src_uri, hub, display=f"pieces/{src_uri}")
        problems += [str(p) for p in found]
        if piece:
            pieces[src_uri] = piece
    assert not problems
    return pieces


@pytest.fixture(scope="module")
def demo(hub: Hub) -> dict[str, Piece]:
    """The demo's pieces by their repository path (docs/...), as queries.yml names them."""
    docs = REPO / "docs"
    pieces: dict[str, Piece] = {}
    for path in piece_files(docs):
        src_uri = path.relative_to(docs).as_posix()
        doc = frontmatter.read(path, with_lines=False)
        piece, _ = piece_from_document(doc, src_uri, hub, display=src_uri)
        assert piece, src_uri
        pieces[DEMO_PREFIX + src_uri] = piece
    return pieces


@pytest.fixture(scope="module")
def queries() -> list[dict[str, Any]]:
    data = yaml.safe_load((CORPUS / "queries.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict) and set(data) == {"queries"}
    return list(data["queries"])


def test_every_markdown_file_is_a_piece(corpus: dict[str, Piece]) -> None:
    files = {p.relative_to(PIECES).as_posix() for p in PIECES.rglob("*.md")}
    assert files == set(corpus)
    assert len(corpus) >= MIN_PIECES


def test_pieces_of_every_kind_and_source(corpus: dict[str, Piece], hub: Hub) -> None:
    kinds = Counter(p.kind_label for p in corpus.values())
    assert set(kinds) == set(KIND_LABELS.values())
    assert {p.source for p in corpus.values() if p.source} == {s.id for s in hub.sources}
    assert {e for p in corpus.values() for e in p.editor} == {e.id for e in hub.editors}


def test_front_matter_shapes(corpus: dict[str, Piece]) -> None:
    for src_uri, piece in corpus.items():
        assert piece.summary, src_uri
        assert len(piece.topics) <= 3, src_uri
        assert piece.auto_topics == piece.topics, f"{src_uri}: auto_topics differ from topics"
        top = src_uri.split("/", 1)[0]
        if top == "notes":
            assert piece.analyst and piece.firm and piece.figure and piece.canonical, src_uri
        if top == "sources":
            assert piece.canonical and piece.author, src_uri


def test_pulled_pieces_carry_the_hash_pull_would_write() -> None:
    for path in sorted((PIECES / "sources").rglob("*.md")):
        meta = frontmatter.read(path, with_lines=False).meta
        assert meta.get("guid") and meta.get("first_seen"), path
        assert is_untouched(path.read_text(encoding="utf-8")), f"{path}: pulled_hash is stale"


def test_body_lengths() -> None:
    for path in piece_files(PIECES):
        words = len(frontmatter.read(path, with_lines=False).body.split())
        assert MIN_WORDS <= words <= MAX_WORDS, f"{path}: {words} words"


def test_copying_into_docs_overwrites_no_demo_piece(
    corpus: dict[str, Piece], demo: dict[str, Piece]
) -> None:
    demo_urls = {url_of(p.src_uri) for p in demo.values()}
    assert not {url_of(src_uri) for src_uri in corpus} & demo_urls


def test_queries_are_well_formed(queries: list[dict[str, Any]], hub: Hub) -> None:
    ids = [q["id"] for q in queries]
    assert len(ids) == len(set(ids)), "query ids must be unique"
    labels = set(KIND_LABELS.values())
    for q in queries:
        where = q["id"]
        assert set(q) <= QUERY_KEYS and QUERY_KEYS - {"filters"} <= set(q), where
        assert isinstance(q["query"], str) and q["query"].strip() == q["query"] != "", where
        assert q["kind"] in QUERY_KINDS and q["split"] in SPLITS, where
        assert isinstance(q["note"], str) and q["note"], where
        assert ("filters" in q) == (q["kind"] == "filter"), where
        if q["kind"] == "phrase":
            assert re.fullmatch(r'"[^"]+ [^"]+"', q["query"]), where
        if q["kind"] == "two-word":
            assert len(q["query"].split()) == 2, where
        if "filters" in q:
            filters = q["filters"]
            assert filters and set(filters) <= {"kind", "topic"}, where
            assert "kind" not in filters or filters["kind"] in labels, where
            assert "topic" not in filters or hub.topic(filters["topic"]), where
        paths = [r["path"] for r in q["relevant"]]
        assert len(paths) == len(set(paths)), f"{where}: a piece is judged twice"
        assert all(set(r) == {"path", "grade"} and r["grade"] in (1, 2) for r in q["relevant"]), (
            where
        )
        assert any(r["grade"] == 2 for r in q["relevant"]), f"{where}: nothing a reader wants most"


def test_counts_and_splits(queries: list[dict[str, Any]]) -> None:
    splits = Counter(q["split"] for q in queries)
    assert len(queries) >= MIN_QUERIES
    assert splits["tune"] >= MIN_TUNE and splits["heldout"] >= MIN_HELDOUT
    assert {q["id"] for q in queries if q["split"] == "heldout"} == HELDOUT
    for kind in QUERY_KINDS:
        assert {q["split"] for q in queries if q["kind"] == kind} == set(SPLITS), kind


def test_readme_declares_the_counts(queries: list[dict[str, Any]]) -> None:
    """The README's table of queries by kind and split is the set's, row by row."""
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    counts = Counter((q["kind"], q["split"]) for q in queries)
    for kind in QUERY_KINDS:
        tune, heldout = counts[(kind, "tune")], counts[(kind, "heldout")]
        row = f"| {kind} | {tune} | {heldout} | {tune + heldout} |"
        assert row in readme, f"README.md should have the row {row!r}"
    assert f"| **all** | **{sum(c for (k, s), c in counts.items() if s == 'tune')}** |" in readme


def test_judged_paths_are_pieces_that_fit_the_filters(
    queries: list[dict[str, Any]], corpus: dict[str, Piece], demo: dict[str, Piece]
) -> None:
    for q in queries:
        filters = q.get("filters") or {}
        for judged in q["relevant"]:
            path = judged["path"]
            piece = demo.get(path) if path.startswith(DEMO_PREFIX) else corpus.get(path)
            assert piece is not None, f"{q['id']}: no piece at {path}"
            if "kind" in filters:
                assert piece.kind_label == filters["kind"], f"{q['id']}: {path}"
            if "topic" in filters:
                assert filters["topic"] in piece.topics, f"{q['id']}: {path}"
