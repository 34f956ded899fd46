"""tests/data/tagging-adjacent: 100 pieces by two writers apart from the tagger, 40 of them about
none of the topics: the topics' words about adjacent fields, or near-misses. It teaches (round
8), so what it can honestly show is cross-validated: each of its pieces tagged by profiles
built and calibrated without it (see its README)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from channelhub import frontmatter
from channelhub import profiles as P
from channelhub.retag import Counts
from channelhub.semantic import load_embedder
from channelhub.tagger import Tagger

REPO = Path(__file__).parents[1]
ADJACENT = REPO / "tests" / "data" / "tagging-adjacent"


@pytest.fixture(scope="module")
def outcomes(rules: Tagger) -> list[P.Outcome]:
    pieces, problems = P.labelled_pieces(REPO, rules)
    assert problems == []
    adjacent = [p for p in pieces if p.name.startswith("tests/data/tagging-adjacent/")]
    return P.cross_validate(load_embedder(), rules, pieces, adjacent)


def test_the_adjacent_set_teaches_its_labels_parse_and_every_topic_is_on_it(
    rules: Tagger,
) -> None:
    paths = sorted((ADJACENT / "train").glob("*.md"))
    metas = [frontmatter.read(p).meta for p in paths]
    assert len(metas) == 100 and (ADJACENT / "README.md").is_file()
    assert sorted(p.name[0] for p in paths) == ["t"] * 50 + ["u"] * 50  # the two writers
    assert all(m["title"] and m["summary"] for m in metas)
    sizes = Counter(len(m["expected_topics"]) for m in metas)
    assert sizes == {0: 40, 1: 36, 2: 20, 3: 4}
    per_topic = Counter(s for m in metas for s in m["expected_topics"])
    assert set(per_topic) == set(rules.slugs) and min(per_topic.values()) >= 8
    taught = {p.name for p in P.labelled_pieces(REPO, rules)[0]}
    assert {f"tests/data/tagging-adjacent/train/{p.name}" for p in paths} <= taught


def test_its_pieces_cross_validated_are_mostly_right_and_those_about_none_untagged(
    outcomes: list[P.Outcome],
) -> None:
    """Floors a little under what was measured (round 8: P 0.943 R 0.943, 2 of 40 about none
    tagged; every topic's recall 0.75 (social media) to 1.00). Main's tagger, which had never
    seen the set: P 0.955 R 0.955, 1 of 40; this tagger with the set left out: the same."""
    total = Counts()
    found: Counter[str] = Counter()
    labelled: Counter[str] = Counter()
    none = tagged = 0
    for outcome in outcomes:
        expected, got = set(outcome.expected), set(outcome.got)
        total = total + Counts(
            tp=len(expected & got), fp=len(got - expected), fn=len(expected - got)
        )
        labelled.update(expected)
        found.update(expected & got)
        if not expected:
            none += 1
            tagged += bool(got)
    print(f"\ncross-validated: {total}, about none tagged {tagged} of {none}")
    assert len(outcomes) == 100 and none == 40
    assert total.precision >= 0.92 and total.recall >= 0.92
    assert tagged <= 3
    assert all(found[s] / labelled[s] >= 0.7 for s in labelled)
