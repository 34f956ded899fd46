"""The precision side of the tagger (issue 17): where a topic's evidence sits in a piece, the
figures learned from the pieces about none of the topics, the veto they give and how the
evidence explains it, and the labelled set they were learned from."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from channelhub import frontmatter
from channelhub import profiles as P
from channelhub.cli import main
from channelhub.config import load_topics
from channelhub.semantic import Embedder, load_embedder
from channelhub.tagger import PASSAGE_WORDS, Tagger, compile_rules, tokens

REPO = Path(__file__).parents[1]
PRECISION = REPO / "tests" / "data" / "tagging-precision"

# Fresh pieces (in no labelled set) whose rules qualify a topic in another sense.
TV_TITLE = "Pay-TV operator drops sports channel in carriage dispute"
TV_SUMMARY = "Subscribers lost the channel at midnight after talks on fees broke down."
TV_BODY = (
    "Millions of pay-TV subscribers lost access to a popular sports channel at midnight after "
    "the operator and the broadcaster failed to agree on carriage fees.\n\n"
    "The broadcaster wanted a 20 % increase; the operator said its customers would pay the "
    "price. Both sides accused the other of holding viewers hostage, and each posted its "
    "version of events to customers.\n\n"
    "The operator said subscribers would get a credit on their bill while the channel was off "
    "air. Talks are expected to resume next week."
)
SCANNER_TITLE = "Hospital opens mobile scanning unit in supermarket car park"
SCANNER_SUMMARY = "The MRI scanner in a lorry trailer will see 60 patients a day and cut waits."
SCANNER_BODY = (
    "Patients waiting for MRI scans can now be seen in a mobile unit parked at a supermarket on "
    "the edge of town, the hospital trust said.\n\n"
    "The scanner, housed in a lorry trailer, will see 60 patients a day, seven days a week. "
    "Patients will get a text message with their appointment time and a map. The trust hopes "
    "to cut the wait for a routine scan from 14 weeks to six by the spring.\n\n"
    "Parking is free for patients, and the supermarket has agreed to keep spaces near the unit "
    "clear."
)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return load_embedder()


@pytest.fixture(scope="module")
def rules() -> Tagger:
    topics, problems = load_topics(REPO)
    assert problems == []
    return compile_rules(topics)


@pytest.fixture(scope="module")
def hub_tagger(rules: Tagger) -> P.HubTagger:
    tagger, _problems = P.load_hub_tagger(REPO, rules)
    assert tagger.profiles is not None
    return tagger


def _filler(words: int) -> str:
    return " ".join(["the committee met again on tuesday to review the minutes"] * (words // 10))


# --- where the evidence sits ------------------------------------------------------------------


def test_reach_is_the_share_of_the_bodys_passages_holding_the_topics_evidence(
    rules: Tagger,
) -> None:
    passages = 5
    block = _filler(PASSAGE_WORDS)
    assert len(block.split()) == PASSAGE_WORDS
    once = " ".join([f"{block} reseller"] + [block] * (passages - 1))
    spread = " ".join([f"{block} reseller"] * passages)

    def reach(body: str) -> float:
        found = {s.slug: s for s, _ok, _x in rules.assess_tokens(tokens("", "", body))}
        return found["channel-partners"].reach

    assert reach(once) == pytest.approx(1 / (passages + 1))  # the last passage is the tail
    assert reach(spread) > 0.8
    # an exclusion's words are no evidence, there or anywhere
    masked = " ".join([f"{block} TV channel"] * passages)
    found = {s.slug: s for s, _ok, _x in rules.assess_tokens(tokens("", "", masked))}
    assert "channel-partners" not in found or found["channel-partners"].reach == 0.0


def test_the_loo_passage_share_is_what_profiles_built_without_the_example_give(
    embedder: Embedder, rules: Tagger
) -> None:
    pieces, _problems = P.labelled_pieces(REPO, rules)
    pieces = [p for p in pieces if "tagging-precision/train/" in p.name]
    vectors, passages = P.example_meanings(embedder, pieces)
    views = [P.rule_view(rules, p.title, p.summary, p.body) for p in pieces]
    labels = np.zeros((len(pieces), len(rules.slugs)), dtype=np.int8)
    for row, piece in enumerate(pieces):
        for slug in piece.topics:
            labels[row, rules.slugs.index(slug)] = 1
    checked = [
        i
        for i, p in enumerate(pieces)
        if p.name.endswith(
            (
                "q01-bakery-regulars.md",
                "z04-vat-digital-services.md",
                "b01-retailer-annual-results.md",
            )
        )
    ]
    assert len(checked) == 3
    for i in checked:
        keep = [k for k in range(len(pieces)) if k != i]
        without = P.build_profiles(
            embedder.name,
            rules.slugs,
            [pieces[k] for k in keep],
            vectors[keep],
            [views[k] for k in keep],
            passages=[passages[k] for k in keep],
        )
        loo = P._loo_passage_share(vectors, labels, passages, without.centre, without.spread)
        direct = P._passage_share(without, passages[i])
        taught = without.taught
        assert taught.sum() >= 2  # customer experience and mobile have 3 examples each
        # float32 profiles against float64 sums: a passage on the edge may tip, no more
        assert np.abs(loo[i][taught] - direct[taught]).max() <= 1 / len(passages[i]) + 1e-9


# --- the veto and its explanation -----------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "summary", "body", "slug"),
    [
        (TV_TITLE, TV_SUMMARY, TV_BODY, "channel-partners"),
        (SCANNER_TITLE, SCANNER_SUMMARY, SCANNER_BODY, "mobile-marketing"),
    ],
)
def test_a_piece_using_a_topics_words_in_another_sense_is_vetoed(
    hub_tagger: P.HubTagger, title: str, summary: str, body: str, slug: str
) -> None:
    found = {j.slug: j for j in hub_tagger.judgements(title, summary, body)}
    assert found[slug].qualifies  # the rules alone would give it
    assert found[slug].vetoed and not found[slug].given
    assert hub_tagger.tag(title, summary, body) == []
    why = found[slug].why()
    assert why.startswith(f"confidence {found[slug].confidence:.2f} < ")
    assert "against " in why or "for " in why


def test_the_table_shows_a_vetoed_topic_and_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    piece = tmp_path / "tv.md"
    piece.write_text(
        f"---\ntitle: {TV_TITLE}\nsummary: {TV_SUMMARY}\n---\n{TV_BODY}\n", encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["tag", str(piece)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "(none)" in lines[1] and "vetoed" in lines[1]
    vetoed = next(line for line in lines[2:] if "(channel-partners)" in line)
    assert "vetoed: confidence 0." in vetoed
    as_json = json.loads(CliRunner().invoke(main, ["tag", "--json", str(piece)]).output)
    assert as_json[0]["topics"] == []


def test_a_given_topic_says_why_it_was_given(
    hub_tagger: P.HubTagger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    doc = frontmatter.read(PRECISION / "heldout" / "q12-resellers-in-the-region.md")
    scores = hub_tagger.explain(doc.meta["title"], doc.meta["summary"], doc.body)
    assert scores[0].slug == "channel-partners"
    assert scores[0].meaning is not None and not scores[0].meaning.vetoed
    assert scores[0].meaning.why.startswith("confidence ")
    assert " ≥ " in scores[0].meaning.why


def test_a_topic_with_too_few_examples_is_left_to_its_rules(
    embedder: Embedder, rules: Tagger
) -> None:
    text = "Reply to customers on Instagram and TikTok within minutes."
    pieces = [
        P.LabelledPiece("a", text, "", text, ("social-media",)),
        P.LabelledPiece("b", "Followers ask questions on LinkedIn.", "", "", ("social-media",)),
        P.LabelledPiece("c", "The board approved the accounts.", "", "", ()),
    ]
    vectors, passages = P.example_meanings(embedder, pieces)
    views = [P.rule_view(rules, p.title, p.summary, p.body) for p in pieces]
    profiles = P.build_profiles(
        embedder.name, rules.slugs, pieces, vectors, views, passages=passages
    )
    assert P.MIN_EXAMPLES == 3
    assert not profiles.taught.any()
    judged = P.HubTagger(rules, profiles).judgements(text, "", text)
    assert {j.reason for j in judged} == {"rules only"}


# --- the labelled set -----------------------------------------------------------------------


def test_the_precision_set_has_its_pieces_and_only_its_train_part_teaches(rules: Tagger) -> None:
    pieces = {}
    for path in sorted(PRECISION.rglob("*.md")):
        doc = frontmatter.read(path)
        pieces[path.relative_to(PRECISION).as_posix()] = doc.meta["expected_topics"] or []
    none = [name for name, topics in pieces.items() if not topics]
    brushes = [name for name in none if Path(name).name.startswith("b")]
    assert len(none) >= 30 + 15 and len(brushes) >= 15
    assert len(pieces) - len(none) >= 15
    held = {name for name in pieces if name.startswith("heldout/")}
    assert len(held) >= len(pieces) // 4
    names = {p.name for p in P.labelled_pieces(REPO, rules)[0]}
    assert not {n for n in names if "tagging-precision/heldout" in n}
    taught = {n.split("tagging-precision/")[1] for n in names if "tagging-precision/" in n}
    assert taught == set(pieces) - held
