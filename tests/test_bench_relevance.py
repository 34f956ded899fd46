"""scripts/bench-relevance's metrics and query file, without its builds (those take minutes)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from test_bench import load_script

ROOT = Path(__file__).resolve().parents[1]


relevance = load_script("bench-relevance", "bench_relevance")


def test_reciprocal_rank_is_one_over_the_first_relevant_rank_within_ten() -> None:
    grades = {"b/": 1, "z/": 2}
    assert relevance.reciprocal_rank(["b/", "a/"], grades) == 1.0
    assert relevance.reciprocal_rank(["a/", "c/", "z/"], grades) == pytest.approx(1 / 3)
    assert relevance.reciprocal_rank([f"x{i}/" for i in range(10)] + ["b/"], grades) == 0.0
    assert relevance.reciprocal_rank([], grades) == 0.0


def test_ndcg_at_ten_uses_graded_gains_and_the_ideal_order() -> None:
    grades = {"a/": 2, "b/": 1}
    assert relevance.ndcg(["a/", "b/"], grades) == pytest.approx(1.0)
    ideal = 3 + 1 / math.log2(3)
    assert relevance.ndcg(["b/", "a/"], grades) == pytest.approx((1 + 3 / math.log2(3)) / ideal)
    assert relevance.ndcg(["x/", "a/"], grades) == pytest.approx((3 / math.log2(3)) / ideal)
    assert relevance.ndcg(["a/", "a/", "b/"], grades) == pytest.approx(1.0)  # a repeat counts once
    assert relevance.ndcg([f"x{i}/" for i in range(10)] + ["a/"], grades) == 0.0
    assert relevance.ndcg(["a/"], {}) == 0.0


def test_summaries_are_means_per_engine_split_and_kind() -> None:
    Query = relevance.Query
    queries = [
        Query("q1", "budget", "word", "tune", {"a/": 1}),
        Query("q2", "budgets", "inflected", "tune", {"b/": 1}),
        Query("q3", '"x y"', "phrase", "heldout", {"c/": 1}),
    ]
    answers = {"hub": {"q1": ["a/"], "q2": ["x/", "b/"], "q3": []}}
    scores = relevance.summarize(queries, answers)
    tune = scores[("hub", "tune", "all")]
    assert (tune.queries, tune.found) == (2, 2)
    assert tune.mrr == pytest.approx((1 + 0.5) / 2)
    assert scores[("hub", "heldout", "phrase")].mrr == 0.0
    everything = scores[("hub", "all", "all")]
    assert everything.queries == 3 and everything.mrr == pytest.approx(1.5 / 3)


def test_the_query_file_names_pieces_by_path_and_grades(tmp_path: Path) -> None:
    pieces = tmp_path / "pieces"
    (pieces / "articles" / "2026").mkdir(parents=True)
    (pieces / "articles" / "2026" / "x.md").write_text("---\ntitle: X\n---\n")
    path = tmp_path / "queries.yml"
    path.write_text(
        "queries:\n"
        "  - {id: q1, query: budget, kind: word, split: tune, relevant: [articles/2026/x.md]}\n"
        "  - id: q2\n    query: plans\n    kind: inflected\n    split: heldout\n"
        "    relevant: [{path: articles/2026/x.md, grade: 2}]\n"
    )
    got = relevance.load_queries(path, pieces)
    assert [(q.id, q.split, dict(q.grades)) for q in got] == [
        ("q1", "tune", {"articles/2026/x/": 1}),
        ("q2", "heldout", {"articles/2026/x/": 2}),
    ]
    path.write_text("queries:\n  - {id: q1, query: a, split: tune, relevant: [nowhere.md]}\n")
    with pytest.raises(SystemExit, match=r"q1: no piece nowhere\.md"):
        relevance.load_queries(path, pieces)


def test_the_engines_are_asked_through_node_with_the_site_served_on_loopback(tmp_path: Path) -> None:
    """bench-relevance's Node runner and server (scripts/_benchlib.py): Node fetches a file of
    the served site and answers with what it was given, however large."""
    import shutil

    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed")
    (tmp_path / "hello.txt").write_text("hello from the site")
    program = "const text = await (await fetch(input.base + 'hello.txt')).text();\n"
    program += "console.log(JSON.stringify([text, input.big.length]));"
    with relevance.served(tmp_path) as base:
        assert base.startswith("http://127.0.0.1:")
        assert relevance._node(program, {"base": base, "big": "x" * 500_000}) == ["hello from the site", 500_000]
    with pytest.raises(SystemExit, match="node failed"):
        relevance._node("throw new Error('no');", {})
