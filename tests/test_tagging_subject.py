"""tests/data/tagging-subject: 100 pieces by two writers apart from the tagger, 44 of them about
none of the topics in the topics' own words. Its train/ teaches since round 8; its heldout/
measures and never teaches (see its README)."""

from __future__ import annotations

from pathlib import Path

import pytest

from channelhub import frontmatter
from channelhub import profiles as P
from channelhub.retag import Evaluation, evaluate
from channelhub.tagger import Tagger

REPO = Path(__file__).parents[1]
SUBJECT = REPO / "tests" / "data" / "tagging-subject"


@pytest.fixture(scope="module")
def scored(rules: Tagger) -> dict[str, Evaluation]:
    found = {}
    for part in ("train", "heldout"):
        # train/ is taught: it is scored by a tagger built without it, as --evaluate does
        leave_out = SUBJECT / part if part == "train" else None
        tagger, _problems = P.load_hub_tagger(REPO, rules, leave_out=leave_out)
        evaluation, problems = evaluate(tagger, SUBJECT / part)
        assert problems == []
        found[part] = evaluation
    return found


def _about_none(part: str) -> set[str]:
    return {
        str(path)
        for path in (SUBJECT / part).glob("*.md")
        if not frontmatter.read(path).meta["expected_topics"]
    }


def test_only_the_subject_sets_train_part_teaches_and_every_topic_is_on_both_sides(
    rules: Tagger,
) -> None:
    names = {p.name for p in P.labelled_pieces(REPO, rules)[0]}
    assert not {n for n in names if "tagging-subject/heldout" in n}
    assert len({n for n in names if "tagging-subject/train/" in n}) == 50
    for part in ("train", "heldout"):
        metas = [frontmatter.read(p).meta for p in sorted((SUBJECT / part).glob("*.md"))]
        assert len(metas) == 50
        assert sum(not m["expected_topics"] for m in metas) == 22
        assert {s for m in metas for s in m["expected_topics"]} == set(rules.slugs)


def test_pieces_about_none_in_the_topics_words_are_mostly_left_untagged(
    scored: dict[str, Evaluation],
) -> None:
    """Floors a little under what was measured, train/ taught since round 8 and scored by a
    tagger built without it. Round 8, the two branches combined (each topic's own words, the
    veto first, tagging-adjacent taught): train/ P 0.953 R 0.976, 2 of 22 about none tagged;
    heldout/ P 0.911 R 0.976, 2 of 22. Each branch alone: the veto first with the new examples,
    train/ P 0.952 R 0.952, 2 of 22, heldout/ P 0.953 R 0.976, 1 of 22; each topic's own words,
    train/ (then untaught) P 0.911 R 0.976, 4 of 22, heldout/ P 0.870 R 0.952, 4 of 22. Round 7
    with the subject's veto: P 0.907 and 0.909, R 0.929 and 0.952, 4 and 3 of 22; before the
    veto P 0.867 and 0.889, 6 and 4 of 22. The precision floor was 0.88 until round 8, 0.86 on
    the words' branch, 0.92 on the veto-first branch; the combination's is 0.90, a little under
    its 0.911 on heldout/ (two wrong labels more there than the veto-first branch alone)."""
    for part, evaluation in scored.items():
        none = _about_none(part)
        tagged = {path for path, _expected, got in evaluation.misses if path in none and got}
        print(f"\n{part}: {evaluation.micro}, about none tagged {len(tagged)} of {len(none)}")
        assert evaluation.pieces == 50
        assert len(tagged) <= 3
        assert evaluation.micro.precision >= 0.90
        assert evaluation.micro.recall >= 0.95
