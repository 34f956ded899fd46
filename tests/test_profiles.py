"""Meaning beside the rules: the bundled model offline, profiles, calibration, determinism,
learning from an editor's correction, evidence in the table, the cross-validated score, and
the precision side (the learned veto, its evidence, and the set it was learned from)."""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from click.testing import CliRunner

from channelhub import frontmatter
from channelhub import profiles as P
from channelhub.cli import main
from channelhub.ingest import excerpt_markdown
from channelhub.semantic import Embedder, load_embedder, sentences
from channelhub.tagger import Tagger
from scratch import scratch_hub

REPO = Path(__file__).parents[1]
HELDOUT = REPO / "tests" / "data" / "tagging-indirect" / "heldout"
MULTI = REPO / "tests" / "data" / "tagging-multi"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The model, loaded once per test session (a second or so)."""
    return load_embedder()


@pytest.fixture(scope="session")
def hub_tagger(embedder: Embedder, rules: Tagger) -> P.HubTagger:
    tagger, _problems = P.load_hub_tagger(REPO, rules)
    assert tagger.profiles is not None
    return tagger


# --- the model ------------------------------------------------------------------------------


def test_the_model_loads_and_tags_with_networking_impossible(
    monkeypatch: pytest.MonkeyPatch, rules: Tagger
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the tagger opened a socket")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    load_embedder.cache_clear()
    try:
        model = load_embedder()
        vectors = model.embed(["tap to pay at the till", "queues at the checkout", ""])
        tagger, _problems = P.load_hub_tagger(REPO, rules)
        text = "Shoppers tap their phone at the till to collect loyalty stamps."
        assert tagger.tag(text, text, text)
        assert tagger.explain(text, text, text)
    finally:
        load_embedder.cache_clear()
    assert vectors.shape == (3, 256)
    assert np.allclose(np.linalg.norm(vectors[:2], axis=1), 1.0, atol=1e-5)
    assert not vectors[2].any()  # no words: zeros, not NaN


def test_similar_texts_are_closer_than_unrelated_ones(embedder: Embedder) -> None:
    a, b, c = embedder.embed(
        [
            "Shoppers abandon their baskets when the queue at the tills gets long.",
            "Customers walk out of the store when checkout lines back up.",
            "The board approved the annual accounts and the dividend.",
        ]
    )
    assert float(a @ b) > float(a @ c) + 0.1


def test_the_embedder_is_never_pickled(embedder: Embedder) -> None:
    with pytest.raises(TypeError, match="never pickled"):
        pickle.dumps(embedder)


def test_sentences_split_paragraphs_lists_and_sentence_ends() -> None:
    body = (
        "**Headline.** First point here. Second point, with 3 % growth!\n\n"
        "- a list item about apps\n- another item\n\n"
        "See [the report](https://example.com/x) for more."
    )
    assert sentences(body) == [
        "Headline.",
        "First point here.",
        "Second point, with 3 % growth!",
        "a list item about apps",
        "another item",
        "See [the report for more.",  # the link target is not prose
    ]


# --- profiles and calibration ---------------------------------------------------------------


def test_examples_never_come_from_a_heldout_folder(rules: Tagger) -> None:
    pieces, problems = P.labelled_pieces(REPO, rules)
    assert problems == []
    names = [p.name for p in pieces]
    assert len(names) >= 94
    assert not [n for n in names if "/heldout/" in n]
    assert any(n.startswith("tests/data/tagging-indirect/tune/") for n in names)


def test_calibration_is_fitted_and_thresholds_are_per_topic(hub_tagger: P.HubTagger) -> None:
    profiles = hub_tagger.profiles
    assert profiles is not None
    weights = dict(zip(P.FIGURES, profiles.weights, strict=True))
    assert list(weights) == [
        "rule strength", "cues", "meaning", "lead", "nearest example", "words", "bias",
    ]  # fmt: skip
    # the rules, the cues, the meaning and the topic's own words all count for a topic
    assert weights["rule strength"] > 0 and weights["cues"] > 0 and weights["meaning"] > 0
    assert weights["words"] > 0
    # each topic has its own weights, near the shared ones
    own = profiles.topic_weights
    assert own.shape == (len(profiles.slugs), len(P.FIGURES))
    assert len({tuple(row) for row in own.round(6)}) == len(profiles.slugs)
    assert np.abs(own - np.array(profiles.weights)).max() < 1.5
    assert len(set(profiles.thresholds)) > 1
    assert all(0.25 <= t <= 1.0 for t in profiles.thresholds)
    assert profiles.taught.all()


def test_build_profiles_on_a_toy_set(embedder: Embedder, rules: Tagger) -> None:
    def piece(name: str, text: str, topics: tuple[str, ...]) -> P.LabelledPiece:
        return P.LabelledPiece(name, text, "", text, topics)

    pieces = [
        piece("a", "Reply to customers on Instagram and TikTok within minutes.", ("social-media",)),
        piece("b", "Our followers on LinkedIn and X ask questions in public.", ("social-media",)),
        piece(
            "c", "Social listening finds complaints in posts we did not make.", ("social-media",)
        ),
        piece("d", "The warehouse moved to a new building near the motorway.", ()),
        piece("e", "Quarterly accounts were approved by the board.", ()),
        piece("f", "New payroll provider chosen for five countries.", ()),
    ]
    vectors = P.example_vectors(embedder, pieces)
    views = [P.rule_view(rules, p.title, p.summary, p.body) for p in pieces]
    profiles = P.build_profiles(embedder.name, rules.slugs, pieces, vectors, views)
    social = rules.slugs.index("social-media")
    assert profiles.taught[social] and profiles.taught.sum() == 1
    tagger = P.HubTagger(rules, profiles)
    text = "Brand managers answer comments and direct messages from fans on Instagram."
    assert [s.slug for s in tagger.tag(text, "", text)] == ["social-media"]
    # a topic with no example is left to the rules alone
    assert "mobile-marketing" not in [s.slug for s in tagger.tag(text, "", text)]


def test_an_exclusion_vetoes_and_a_strong_phrase_still_counts(hub_tagger: P.HubTagger) -> None:
    body = (
        "IT rolled out mobile device management to 3,000 field engineers. The MDM tool wipes a "
        "lost phone. Mobile device management also enforces passcodes on every phone."
    )
    assert "mobile-marketing" not in [s.slug for s in hub_tagger.tag("MDM rollout", "", body)]
    strong = "Marketing automation: lead scoring and nurture in one marketing automation platform"
    assert "marketing-automation" in [s.slug for s in hub_tagger.tag(strong, strong, "")]


def test_tagging_is_deterministic_in_this_and_a_fresh_process(hub_tagger: P.HubTagger) -> None:
    path = HELDOUT.parent / "tune" / "t05-offers-on-the-phone.md"
    doc = frontmatter.read(path)
    args = (doc.meta["title"], doc.meta["summary"], doc.body)
    first = [(s.slug, s.score) for s in hub_tagger.tag(*args)]
    assert first == [(s.slug, s.score) for s in hub_tagger.tag(*args)]
    # The fresh process builds the profiles from nothing (no cache) and must agree.
    code = (
        "import json\n"
        "from pathlib import Path\n"
        "from channelhub import frontmatter, profiles as P\n"
        "from channelhub.config import load_topics\n"
        "from channelhub.semantic import load_embedder\n"
        "from channelhub.tagger import compile_rules\n"
        f"root = Path({str(REPO)!r})\n"
        "rules = compile_rules(load_topics(root)[0])\n"
        "pieces, _ = P.labelled_pieces(root, rules)\n"
        "tagger = P.HubTagger(rules, P.profiles_for(load_embedder(), rules, pieces))\n"
        f"doc = frontmatter.read(Path({str(path)!r}))\n"
        "tags = tagger.tag(doc.meta['title'], doc.meta['summary'], doc.body)\n"
        "print(json.dumps([[s.slug, s.score] for s in tags]))\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert [tuple(x) for x in json.loads(out.stdout)] == first


# --- learning from editors, evidence, --evaluate ----------------------------------------------

SIMILAR = """\
---
title: {title}
date: 2026-03-0{day}
summary: Volunteers now get their rota by text and swap shifts on their phones.
{topics}
---
Volunteers at the county food bank get their rota by text message two days before a shift,
with a link to swap. Every shift was filled this winter. The food bank thanks the supermarkets
and farms that donated, and the volunteers who gave their weekends.
"""


def _hub(tmp_path: Path) -> Path:
    """A scratch hub with the repository's labelled examples (linked, not copied)."""
    root = scratch_hub(tmp_path / "hub")
    for folder in P.EXAMPLE_DIRS:
        target = root / folder
        target.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(REPO / folder, target)
    return root


def test_an_editors_correction_changes_the_next_tag_of_a_similar_piece(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _hub(tmp_path)
    monkeypatch.chdir(root)
    similar = root / "docs" / "articles" / "2026" / "rota-b.md"
    similar.parent.mkdir(parents=True)
    similar.write_text(
        SIMILAR.format(title="Food bank rota by text", day=2, topics="topics: []\nauto_topics: []"),
        encoding="utf-8",
    )
    before = json.loads(CliRunner().invoke(main, ["tag", "--json", str(similar)]).output)
    assert "mobile-marketing" not in [t["slug"] for t in before[0]["topics"]]
    # Editors correct two pieces like it: they file them under mobile marketing.
    for n in (1, 3):
        (root / "docs" / "articles" / "2026" / f"rota-{n}.md").write_text(
            SIMILAR.format(
                title=f"Food bank rota by text, part {n}",
                day=n,
                topics="topics: [mobile-marketing]\nauto_topics: []",
            ),
            encoding="utf-8",
        )
    after = json.loads(CliRunner().invoke(main, ["tag", "--json", str(similar)]).output)
    assert "mobile-marketing" in [t["slug"] for t in after[0]["topics"]]
    result = CliRunner().invoke(main, ["tag", "--retag"])
    assert result.exit_code == 0, result.output
    assert "rota-b.md: re-tagged [] -> [mobile-marketing" in result.output


def test_the_table_shows_sentences_and_resembling_pieces_for_a_match_of_meaning(
    hub_tagger: P.HubTagger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    path = "tests/data/tagging-indirect/tune/t01-patient-portal-phone-lines.md"
    result = CliRunner().invoke(main, ["tag", path])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == path
    row = next(line for line in lines[1:] if line.split()[0] == "customer-experience")
    assert re.search(r"meaning [01]\.\d\d;", row)
    assert 'closest: "' in row
    assert "like tests/data/" in row or "like docs/" in row
    as_json = json.loads(CliRunner().invoke(main, ["tag", "--json", path]).output)
    assert set(as_json[0]) == {"path", "topics"}
    assert all(set(t) == {"slug", "score"} for t in as_json[0]["topics"])


def test_evaluate_adds_a_cross_validated_score_on_editor_labelled_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _hub(tmp_path)
    monkeypatch.chdir(root)
    docs = root / "docs" / "articles" / "2026"
    docs.mkdir(parents=True)
    tune = REPO / "tests" / "data" / "tagging-indirect" / "tune"
    for n, name in enumerate(
        ["t06-pizza-ordering.md", "t09-outdoor-community.md", "n05-museum-reopens.md"]
    ):
        text = (tune / name).read_text(encoding="utf-8")
        text = text.replace("expected_topics:", f"date: 2026-01-0{n + 1}\ntopics:")
        (docs / name).write_text(text, encoding="utf-8")
    labelled = root / "labelled"
    labelled.mkdir()
    (labelled / "a.md").write_text(
        "---\ntitle: CMO and CIO share one roadmap\nexpected_topics: [marketing-it-alignment]\n---\n"
        "The CMO and the CIO plan together.\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["tag", "--evaluate", "labelled"])
    assert result.exit_code == 0, result.output
    assert "cross-validated on the hub's 3 editor-labelled pieces" in result.output
    report = json.loads(
        CliRunner().invoke(main, ["tag", "--evaluate", "labelled", "--json"]).output
    )
    checked = report["cross_validated"]
    assert checked["pieces"] == 3
    assert set(checked["micro"]) == {"precision", "recall", "f1", "tp", "fp", "fn"}
    assert checked["micro"]["tp"] + checked["micro"]["fn"] == 2  # pizza: mobile; outdoor: social


def test_pull_tags_with_the_profiles_and_a_correction_changes_the_feed_fingerprint(
    tmp_path: Path,
) -> None:
    from channelhub.config import Source, load_hub
    from channelhub.ingest import FeedSpec, prepare_feed

    root = _hub(tmp_path)
    rss = (
        b"<?xml version='1.0'?><rss version='2.0'><channel><title>Food bank news</title>"
        b"<item><guid>r1</guid><title>Food bank rota by text</title>"
        b"<link>https://food.example/r1</link>"
        b"<description>Volunteers now get their rota by text and swap shifts on their phones."
        b"</description></item></channel></rss>"
    )
    source = Source(id="food", name="Food", url="https://food.example/feed", policy="full")

    def pulled_topics() -> tuple[tuple[str, ...], str]:
        hub = load_hub(root)
        spec = FeedSpec.of(source, hub.topics, None, P.hub_profiles(hub))
        (item,) = prepare_feed(rss, "https://food.example/feed", None, spec).entries
        return item.topics, spec.fingerprint

    before, fingerprint = pulled_topics()
    assert "mobile-marketing" not in before
    folder = root / "docs" / "articles" / "2026"
    folder.mkdir(parents=True)
    for n in (1, 3):
        (folder / f"rota-{n}.md").write_text(
            SIMILAR.format(
                title=f"Food bank rota by text, part {n}",
                day=n,
                topics="topics: [mobile-marketing]\nauto_topics: []",
            ),
            encoding="utf-8",
        )
    after, new_fingerprint = pulled_topics()
    assert "mobile-marketing" in after
    assert new_fingerprint != fingerprint  # unchanged feed bytes are prepared again


def test_cross_validated_figures_on_the_repositorys_examples(
    embedder: Embedder, rules: Tagger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Floors a little under what was measured (round 8, its two branches combined: P 0.948,
    R 0.899 over 468 examples, 0.901 before an excerpt had its own calibration; the veto first
    with tagging-adjacent and tagging-subject/train taught, alone: P 0.947, R 0.887 over 468;
    each topic's own words alone: P 0.963, R 0.851 over 318; round 7: P 0.933, R 0.847, the
    subject vetoing
    topics on pieces about another field; round 6: P 0.915, R 0.851 over 318 pieces, a
    second topic behind the first kept by evidence of its own; round 5: P 0.933, R 0.842 with
    tagging-fresh/train, a second topic far behind the first dropped; round 4: P 0.918, R 0.844,
    F1 0.879 over 278 pieces with tagging-broad/train; round 3's recipe gave P 0.901, R 0.828 on
    the same pieces. Before tagging-broad: P 0.918, R 0.886 over 242, whose pieces about none of
    the topics, written to tempt the tagger, are the hardest of the examples)."""
    pieces, _problems = P.labelled_pieces(REPO, rules)
    examples = [p for p in pieces if not p.name.startswith("docs/")]
    read: list[str] = []  # cross-validation decides as tagging does: with the body's passages

    def passages(embedder: Embedder, piece: P.LabelledPiece) -> npt.NDArray[np.float32]:
        read.append(piece.name)
        return real(embedder, piece)

    real = P.piece_passages
    monkeypatch.setattr(P, "piece_passages", passages)
    outcomes = P.cross_validate(embedder, rules, examples)
    assert read  # two pieces have a second topic behind the first, not given by its rules
    tp = sum(len(set(o.expected) & set(o.got)) for o in outcomes)
    fp = sum(len(set(o.got) - set(o.expected)) for o in outcomes)
    fn = sum(len(set(o.expected) - set(o.got)) for o in outcomes)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    print(f"\ncross-validated: precision {precision:.3f} recall {recall:.3f} over {len(outcomes)}")
    assert len(outcomes) == len(examples) >= 310
    # measured 0.948 over 468 (0.947 without each topic's words; over main's 318, 0.963 with
    # the words alone, 0.933 without them, 0.915 without the subject's veto too)
    assert precision >= 0.94
    # measured 0.899 over 468 (0.887 without each topic's words; 0.851 over 318 with them)
    assert recall >= 0.89
    assert outcomes == P.cross_validate(embedder, rules, examples)  # folds are fixed


def test_profiles_are_cached_by_key_and_a_bad_cache_is_rebuilt(
    tmp_path: Path, embedder: Embedder, rules: Tagger
) -> None:
    root = _hub(tmp_path)
    first, _problems = P.load_hub_tagger(root, rules)
    assert first.profiles is not None
    cached = P.load_profiles(root, first.profiles.key)
    assert cached is not None
    assert cached.key == first.profiles.key
    assert (cached.thresholds, cached.weights, cached.names) == (
        first.profiles.thresholds,
        first.profiles.weights,
        first.profiles.names,
    )
    assert np.array_equal(cached.examples, first.profiles.examples)
    assert (cached.word_vocabulary, cached.subject_bias, cached.subject_floor) == (
        first.profiles.word_vocabulary,
        first.profiles.subject_bias,
        first.profiles.subject_floor,
    )
    assert np.array_equal(cached.subject_weights, first.profiles.subject_weights)
    assert np.array_equal(cached.word_idf, first.profiles.word_idf)
    assert np.array_equal(cached.word_weights, first.profiles.word_weights)
    assert np.array_equal(cached.word_bias, first.profiles.word_bias)
    assert (cached.short_weights, cached.short_thresholds) == (
        first.profiles.short_weights,
        first.profiles.short_thresholds,
    )
    assert np.array_equal(cached.short_topic_weights, first.profiles.short_topic_weights)
    assert P.load_profiles(root, "another-key") is None
    # a file in round 8's first names (subject_vocabulary, subject_idf, excerpt_*) under the
    # same key is not read: the loader asks for every name it needs
    path = root / P.CACHE_DIR / P.PROFILES_FILE
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    old_names = {"word_idf": "subject_idf", "short_topic_weights": "excerpt_topic_weights"}
    arrays = {old_names.get(name, name): value for name, value in arrays.items()}
    arrays["meta"] = np.array(
        str(arrays["meta"])
        .replace('"word_vocabulary"', '"subject_vocabulary"')
        .replace('"short_', '"excerpt_')
    )
    with open(path, "wb") as file:
        np.savez(file, **arrays)
    assert P.load_profiles(root, first.profiles.key) is None
    P.save_profiles(root, first.profiles)
    assert P.load_profiles(root, first.profiles.key) is not None
    (root / P.CACHE_DIR / P.PROFILES_FILE).write_bytes(b"PK\x03\x04 not a zip")
    assert P.load_profiles(root, first.profiles.key) is None
    again, _problems = P.load_hub_tagger(root, rules)  # rebuilt, and the same
    assert again.profiles is not None
    assert again.profiles.thresholds == first.profiles.thresholds
    # built twice from nothing: the same profiles
    pieces, _problems = P.labelled_pieces(REPO, rules)
    a = P.profiles_for(embedder, rules, pieces)
    b = P.profiles_for(embedder, rules, pieces)
    assert (a.weights, a.thresholds, a.key) == (b.weights, b.thresholds, b.key)
    assert np.array_equal(a.direction, b.direction)


def test_a_change_to_the_deciding_code_changes_the_profiles_key(
    tmp_path: Path, rules: Tagger
) -> None:
    """Not only a constant: an edit to the decision's code (here `behind_first`'s comparison,
    or the rules' MENTION_GAP) gives new profiles, so the cache is not reused and pulled pieces
    are tagged again; a comment does not."""
    pieces = [P.LabelledPiece("a.md", "Title", "Summary", "Body.", ("mobile-marketing",))]
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from channelhub import profiles as P\n"
        "from channelhub.config import load_topics\n"
        "from channelhub.tagger import compile_rules\n"
        f"rules = compile_rules(load_topics(Path({str(REPO)!r}))[0])\n"
        "pieces = [P.LabelledPiece('a.md', 'Title', 'Summary', 'Body.', ('mobile-marketing',))]\n"
        "print(P.profile_key(P.MODEL_NAME, rules, pieces))\n"
    )

    def key_of(package: Path) -> str:
        env = {**os.environ, "PYTHONPATH": str(package.parent)}
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        return out.stdout.strip()

    source = Path(P.__file__).parent
    copy = tmp_path / "src" / "channelhub"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__"))
    here = P.profile_key(P.MODEL_NAME, rules, pieces)
    assert key_of(copy) == here  # the same code: the same key in another process and place
    deciding = copy / "profiles.py"
    text = deciding.read_text(encoding="utf-8")
    edited = "j.confidence <= BEHIND_FIRST * first"
    assert text.count("j.confidence < BEHIND_FIRST * first") == 1
    deciding.write_text(text.replace("j.confidence < BEHIND_FIRST * first", edited), "utf-8")
    assert key_of(copy) != here
    deciding.write_text(text, "utf-8")
    rules_code = copy / "tagger.py"  # the rules' scoring decides too
    text = rules_code.read_text("utf-8")
    rules_code.write_text(text + "\n# a comment, and the layout changed\n\n\n", "utf-8")
    assert key_of(copy) == here  # comments and layout are not code
    assert text.count("MENTION_GAP = 3\n") == 1
    rules_code.write_text(text.replace("MENTION_GAP = 3\n", "MENTION_GAP = 4\n"), "utf-8")
    assert key_of(copy) != here
    assert set(P.DECIDING_MODULES) == {"channelhub.tagger", "channelhub.semantic", P.__name__}


@pytest.mark.parametrize(
    ("front", "owned"),
    [
        ("topics: [a, b]\nauto_topics: [a, b]\n", True),
        ("topics: []\nauto_topics: []\n", True),
        ("topics: [a]\nauto_topics: [a, b]\n", False),  # an editor removed b
        ("topics:\n  - a\nauto_topics: [a]\n", False),  # not plain: read the YAML
        ("topics: [a]\n", False),  # no auto_topics: an editor's choice
    ],
)
def test_tagger_owned_pieces_are_recognised_without_parsing(front: str, owned: bool) -> None:
    assert P.tagger_owned_at_a_glance(f"---\ntitle: x\n{front}---\nbody\n") is owned


# --- precision (issue 17): the calibration learned per topic, with the pieces about none of the
# topics among its examples, vetoes a topic the rules would give; the evidence says why a topic
# was given or vetoed; the labelled set it was learned from.

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
    vectors = P.example_vectors(embedder, pieces)
    views = [P.rule_view(rules, p.title, p.summary, p.body) for p in pieces]
    profiles = P.build_profiles(embedder.name, rules.slugs, pieces, vectors, views)
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


def test_a_strong_rule_still_counts_and_says_so(hub_tagger: P.HubTagger) -> None:
    title = "Ticket resellers fined after fans turned away at stadium gates"
    summary = (
        "A court fined two resellers who sold the same concert tickets twice; the band's fans "
        "were refused entry."
    )
    body = (
        "Magistrates fined two ticket resellers £40,000 after hundreds of fans were refused "
        "entry to a stadium concert in June.\n\n"
        "The court heard the resellers sold the same seats twice on resale sites. The band's "
        "promoter said fans should buy only from official outlets.\n\n"
        "The resellers said they would appeal."
    )
    found = {j.slug: j for j in hub_tagger.judgements(title, summary, body)}
    channel = found["channel-partners"]
    # the calibration would veto it, but a rule match this strong counts (issue 17 keeps that)
    assert channel.given and channel.reason == "strong rule"
    assert channel.confidence < channel.threshold
    assert "always counts" in channel.why()


def test_example_names_are_the_same_from_a_relative_root(
    rules: Tagger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    relative = [p.name for p in P.labelled_pieces(Path("."), rules)[0]]
    assert relative == [p.name for p in P.labelled_pieces(REPO, rules)[0]]
    assert all(n.startswith(("tests/data/", "docs/")) for n in relative)


# --- generalising (issue 17, round 4): a broad fresh set; held-out parts never teach ------------

BROAD = REPO / "tests" / "data" / "tagging-broad"


def test_the_broad_set_is_varied_and_only_its_train_part_teaches(rules: Tagger) -> None:
    pieces = {}
    genres = set()
    for path in sorted(BROAD.rglob("*.md")):
        doc = frontmatter.read(path)
        pieces[path.relative_to(BROAD).as_posix()] = doc.meta["expected_topics"] or []
        genres.add(doc.meta["genre"])
    none = [name for name, topics in pieces.items() if not topics]
    assert len(pieces) >= 80 and len(none) >= 35 and len(pieces) - len(none) >= 25
    assert len(genres) >= 15  # news, columns, press releases, job adverts, reviews, ...
    held = {name for name in pieces if name.startswith("heldout/")}
    assert 0.3 * len(pieces) <= len(held) <= 0.5 * len(pieces)
    for part in ("train/", "heldout/"):  # every topic on both sides of the split
        found = {t for name, topics in pieces.items() if name.startswith(part) for t in topics}
        assert found == set(rules.slugs)
    names = {p.name for p in P.labelled_pieces(REPO, rules)[0]}
    taught = {n.split("tagging-broad/")[1] for n in names if "tagging-broad/" in n}
    assert taught == set(pieces) - held
    # the first labelled set's held-out part is held out too (it was "holdout", read as examples)
    assert not (REPO / "tests" / "data" / "tagging" / "holdout").exists()
    assert not {n for n in names if n.startswith("tests/data/tagging/heldout/")}


def test_the_meanings_left_out_scores_are_exact(embedder: Embedder, rules: Tagger) -> None:
    """Each topic's direction in meaning is a ridge regression; the calibration learns from each
    example's score with the example left out, computed without refitting: exactly that."""
    pieces, _problems = P.labelled_pieces(REPO, rules)
    vectors = P.example_vectors(embedder, pieces)
    labels = np.array([[s in p.topics for s in rules.slugs] for p in pieces], dtype=np.int8)
    direction, intercept, left_out = P._ridge_meaning(vectors, labels)
    for i in (0, len(pieces) // 2):  # refit without piece i: the same score as the shortcut
        keep = np.arange(len(pieces)) != i
        d, b, _ = P._ridge_meaning(vectors[keep], labels[keep])
        assert np.allclose(d @ vectors[i] + b, left_out[i], atol=1e-4)
    assert direction.shape == (len(rules.slugs), vectors.shape[1]) and intercept.shape == (10,)


# --- round 5 (issue 17): second topics far behind the first, and text written apart ----------

FRESH = REPO / "tests" / "data" / "tagging-fresh"
ADJACENT = REPO / "tests" / "data" / "tagging-adjacent"

RECORDS_TITLE = "Nurses and doctors put three patient-record systems through their paces"
RECORDS_SUMMARY = "Each finalist spends two days on a ward before the trust board chooses in March."
RECORDS_BODY = (
    "The trust's digital board has shortlisted three suppliers for the system that will replace "
    "its paper notes and four older databases. Each will spend two days on a ward running "
    "scripted scenarios in front of nurses, doctors and pharmacists.\n\n"
    "The tender drew nine bids. The evaluation panel scored them on clinical safety, how quickly "
    "staff can find a patient's allergies, and the cost over ten years, which the finance "
    "director put at £38 million.\n\n"
    "Nurses on the panel asked for a system that works on the tablets already on the wards. The "
    "chief information officer said integration with the pathology lab and the GP practices was "
    "the hardest requirement, and that the winning supplier must migrate twelve years of records "
    "without downtime.\n\n"
    "The board will choose in March. The contract will run for ten years with an option to "
    "extend."
)
BRIDGE_TITLE = "River bridge reopens after two years of repairs"
BRIDGE_SUMMARY = (
    "Engineers replaced the bearings and resurfaced the deck; buses return to the route on Monday."
)
BRIDGE_BODY = (
    "The Castle Street bridge reopens to traffic on Monday after two years of repairs that cost "
    "£14 million. Engineers replaced all 48 bearings, rebuilt the expansion joints and laid a new "
    "waterproof deck.\n\n"
    "The work took six months longer than planned after divers found the river bed around two "
    "piers had been scoured away by the floods of 2024. The piers were wrapped in concrete "
    "collars before the deck work could start.\n\n"
    "Buses return to the route on Monday morning, and the temporary footbridge will be taken "
    "down over the following fortnight. Cyclists get a separate lane on the upstream side.\n\n"
    "The council's marketing team will run a short social media campaign to tell drivers the "
    "bridge is open.\n\n"
    "The bridge carries 22,000 vehicles a day. Its next full inspection is due in 2031, and "
    "sensors fitted to the deck will report strain and temperature to the highways office "
    "every ten minutes."
)
BAKE_OFF_TITLE = "Three email platforms, two weeks, one scorecard"
BAKE_OFF_SUMMARY = (
    "How a retailer's CRM team ran a bake-off before its renewal, and why the cheapest option lost."
)
BAKE_OFF_BODY = (
    "When the renewal notice for our email platform arrived, we had ten weeks. We used them to "
    "run a bake-off between the incumbent and two challengers.\n\n"
    "Each supplier got the same brief: rebuild our three busiest journeys, the welcome series, "
    "the abandoned basket and the win-back, in a sandbox with a copy of our customer data. Our "
    "CRM team and two engineers from IT scored every build on a scorecard we agreed before the "
    "first demo: deliverability, how long a campaign takes to set up, the quality of the "
    "integration with our commerce platform, and the price over three years.\n\n"
    "The cheapest option lost. Its builds looked fine, but setting up the win-back took our team "
    "four times longer, and its connector needed a nightly file that IT refused to support.\n\n"
    "We signed with the challenger that scored best on set-up time, after references from two "
    "retailers of our size. The procurement team negotiated the price down by eleven per cent "
    "using the other bids."
)


def test_a_piece_about_none_full_of_a_topics_words_stays_untagged(
    hub_tagger: P.HubTagger,
) -> None:
    """A hospital's supplier shortlist: vendor selection's words, no marketing technology."""
    args = (RECORDS_TITLE, RECORDS_SUMMARY, RECORDS_BODY)
    view = P.rule_view(hub_tagger.rules, *args)
    vendor = hub_tagger.slugs.index("vendor-selection")
    assert view.strength[vendor] > 0  # "shortlisted three suppliers", "tender", "bids"
    assert view.scores["vendor-selection"].evidence
    assert hub_tagger.tag(*args) == []


def test_a_passing_mention_in_a_long_piece_is_ignored(hub_tagger: P.HubTagger) -> None:
    """One sentence about a social media campaign at the end of a piece about a bridge."""
    view = P.rule_view(hub_tagger.rules, BRIDGE_TITLE, BRIDGE_SUMMARY, BRIDGE_BODY)
    assert view.scores["social-media"].score > 0 and not view.qualifies.any()
    assert hub_tagger.tag(BRIDGE_TITLE, BRIDGE_SUMMARY, BRIDGE_BODY) == []


def test_a_piece_in_indirect_words_is_still_tagged(hub_tagger: P.HubTagger) -> None:
    """A bake-off of email platforms: no "vendor selection" anywhere, and it is one."""
    got = [s.slug for s in hub_tagger.tag(BAKE_OFF_TITLE, BAKE_OFF_SUMMARY, BAKE_OFF_BODY)]
    assert "vendor-selection" in got


def test_a_second_topic_far_behind_the_first_is_dropped_and_says_why(
    hub_tagger: P.HubTagger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bank's social care team (tagging-adjacent) is social media; customer experience
    reaches its own threshold, but at half the first topic's confidence it is not given."""
    monkeypatch.chdir(REPO)
    doc = frontmatter.read(ADJACENT / "train" / "t09-bank-social-listening.md")
    args = (doc.meta["title"], doc.meta["summary"], doc.body)
    found = {j.slug: j for j in hub_tagger.judgements(*args)}
    cx, social = found["customer-experience"], found["social-media"]
    assert social.given and cx.confidence >= cx.threshold
    assert cx.reason == "behind" and not cx.given and cx.vetoed
    assert cx.confidence < P.BEHIND_FIRST * social.confidence and cx.first == social.confidence
    assert f"under {P.BEHIND_FIRST:g} x the first topic's confidence" in cx.why()
    assert [s.slug for s in hub_tagger.tag(*args)] == ["social-media"]
    explained = {s.slug: s for s in hub_tagger.explain(*args)}
    meaning = explained["customer-experience"].meaning
    assert meaning is not None and meaning.vetoed and "under 0.75 x" in meaning.why


def test_a_strong_rule_or_a_topic_left_to_its_rules_is_never_behind() -> None:
    """Only a topic given by its confidence can fall behind the first; a topic left to its
    rules (no examples) is never dropped and never sets the bar."""

    def made(slug: str, confidence: float, reason: str) -> P.Judgement:
        return P.Judgement(slug, confidence, True, None, threshold=0.1, reason=reason)

    judged = P.behind_first(
        [
            made("first", 0.9, "confidence"),
            made("strong", 0.2, "strong rule"),
            made("rules", 0.3, "rules only"),
            made("second", 0.6, "confidence"),
            made("close", 0.7, "confidence"),
        ]
    )
    given = {j.slug: j for j in judged if j.given}
    assert set(given) == {"first", "strong", "rules", "close"}
    dropped = next(j for j in judged if j.slug == "second")
    assert dropped.reason == "behind" and dropped.first == 0.9 and dropped.vetoed
    # a topic left to its rules, however confident, does not set the bar for the others
    alone = P.behind_first([made("rules", 0.99, "rules only"), made("second", 0.6, "confidence")])
    assert all(j.given for j in alone)
    # nothing given by a calibrated decision: nothing is behind
    assert all(j.given for j in P.behind_first([made("rules", 0.9, "rules only")]))


def test_a_second_topic_with_evidence_of_its_own_is_kept_behind_the_first() -> None:
    """Under 3/4 of the first topic's confidence, a topic is still given when its rules give it
    on their own, or when its meaning leads the first topic's in two of the body's passages;
    one passage (a sentence it shares with the first) is not enough. The passages are read
    only when a topic behind the first needs them."""

    def made(slug: str, confidence: float, qualifies: bool = False) -> P.Judgement:
        parts = (0.0,) * len(P.FIGURES)
        return P.Judgement(
            slug, confidence, True, None, parts, 0.1, "confidence", qualifies=qualifies
        )

    asked = []

    def lean() -> npt.NDArray[np.float64]:
        asked.append(1)
        # passages x (first, ruled, two, one): "two" leads "first" in passages 1 and 2
        return np.array([[2.0, 0.0, 1.0, 0.0], [0.5, 0.0, 1.0, 0.0], [0.2, 0.0, 0.9, 0.3]])

    judged = P.behind_first(
        [made("first", 0.9), made("ruled", 0.3, True), made("two", 0.5), made("one", 0.5)], lean
    )
    found = {j.slug: j for j in judged}
    assert [j.slug for j in judged if j.given] == ["first", "ruled", "two"]
    assert found["ruled"].reason == "own evidence" and "rules give it on their own" in (
        found["ruled"].own
    )
    assert found["two"].reason == "own evidence"
    assert "leads the first topic's in 2 of the body's 3 passages" in found["two"].why()
    assert "Kept beside the first: under 0.75 x the first topic's confidence (first 0.90)" in (
        found["two"].why()
    )
    one = found["one"]
    assert one.reason == "behind" and one.vetoed and "in 1 of the body's 3 passages" in one.why()
    assert "Dropped: under 0.75 x" in one.why() and "no evidence of its own" in one.why()
    assert asked == [1]  # read once for the two topics that needed it
    # nobody behind, or behind but given by its rules: the passages are never read
    P.behind_first([made("first", 0.9), made("close", 0.8)], lean)
    P.behind_first([made("first", 0.9), made("ruled", 0.3, True)], lean)
    assert asked == [1]
    # without the passages (no model for them) only the rules can be evidence of its own
    alone = P.behind_first([made("first", 0.9), made("two", 0.5)])
    assert not alone[1].given and alone[1].own == "its rules alone would not give it"


def test_a_piece_about_two_topics_keeps_the_second_by_its_own_evidence(
    hub_tagger: P.HubTagger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tagging-broad/train's tyre brand answering complaints under its own posts is about
    social media and customer experience; the second is far behind the first in confidence,
    but its rules give it on their own, and the table says so. (Until round 8's two branches
    were combined the piece was tagging-multi/train's note on automating the hand-off from
    marketing to sales, whose third topic the combination gives by its confidence; before that,
    the note on justifying analytics spend.)"""
    monkeypatch.chdir(REPO)
    path = BROAD / "train" / "b16-instagram-complaints-tyres.md"
    doc = frontmatter.read(path)
    args = (doc.meta["title"], doc.meta["summary"], doc.body)
    found = {j.slug: j for j in hub_tagger.judgements(*args)}
    cx, social = found["customer-experience"], found["social-media"]
    assert social.given and cx.given and cx.reason == "own evidence"
    assert cx.confidence < P.BEHIND_FIRST * social.confidence
    assert {s.slug for s in hub_tagger.tag(*args)} == set(doc.meta["expected_topics"])
    result = CliRunner().invoke(main, ["tag", str(path.relative_to(REPO))])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if "customer-experience" in line)
    assert "(customer-experience)" not in row
    assert "evidence of its own: its rules give it on their own" in row
    as_json = json.loads(CliRunner().invoke(main, ["tag", "--json", str(path)]).output)
    assert [t["slug"] for t in as_json[0]["topics"]][-1] == "customer-experience"
    assert {t["slug"] for t in as_json[0]["topics"]} == set(doc.meta["expected_topics"])


#: a piece written for the test (no example, no held-out piece): about data and analytics, with
#: two passages of its own about the shoppers' experience (its two paragraphs on the forecasts'
#: logs and drift were added when round 8's branches were combined: without them customer
#: experience was no longer behind the first, 0.785 against 0.75 x 0.997)
FORECAST = (
    "How a grocery chain's analysts forecast weekly demand",
    "A data team built forecasting models on two years of till data; the stores now order by them.",
    "The analytics team at a grocery chain built a model that forecasts each product's weekly "
    "sales in every store. It uses two years of till data, local weather, holidays and "
    "promotions, and is retrained every month on fresh data. Analysts check the forecast error "
    "each week on a dashboard and drop the signals that stopped helping the model predict "
    "sales. The data engineers moved the pipeline to a warehouse in the cloud, so a full "
    "rebuild of the model takes an hour rather than a night. The team compared three methods "
    "on the past year, gradient boosting, a simple seasonal average and a neural network, and "
    "kept the boosting, which cut the average error from 31 % to 18 % per product and store."
    "\n\nThe team also tracks how far each store's orders drift from the forecast, and the "
    "analysts feed that back into the model's features every quarter. A second model "
    "forecasts fresh produce by the day, where the data is noisier and the error higher.\n\n"
    "Every forecast is logged with the data it used, so the analysts can replay a week and "
    "see which signal misled the model. The dashboard shows the error by product family."
    "\n\nShoppers noticed the difference at the shelf. Fewer empty shelves meant fewer "
    "complaints at the tills, and the staff at the help desk said callers were calmer. "
    "Shoppers who once waited for a missing item now find it, and the surveys after a visit "
    "score the store higher on being easy to shop.\n\nThe service desk reads every comment "
    "left after a visit. Complaints about missing items fell by a third, and shoppers who "
    "wrote in angry are phoned back within a day by someone who can fix the problem. Loyal "
    "shoppers say they feel looked after.\n",
)


def test_a_second_topic_kept_by_the_passages_its_meaning_leads(
    hub_tagger: P.HubTagger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A piece written for the test about data and analytics: customer experience is far
    behind it and its rules alone would not give it, but its meaning leads the first topic's
    in passages of its own (the shoppers' two), so it is kept; without the passages it is
    dropped. (Until this round's review this was a training piece whose editors filed it under
    data and analytics alone: the test locked in a label they had not given.)"""
    kept = [j for j in hub_tagger.judgements(*FORECAST) if j.reason == "own evidence"]
    assert [j.slug for j in kept] == ["customer-experience"]
    (cx,) = kept
    assert cx.given and not cx.qualifies and cx.confidence < P.BEHIND_FIRST * cx.first
    assert cx.leader == "data-analytics"
    assert "its meaning leads the first topic's in 2 of the body's" in cx.why()
    assert f"({cx.leader} {cx.first:.2f})" in cx.why()
    assert [s.slug for s in hub_tagger.tag(*FORECAST)] == ["data-analytics", "customer-experience"]
    monkeypatch.setattr(P, "OWN_PASSAGES", 0)  # the passages not read: only rules count
    dropped = {j.slug: j for j in hub_tagger.judgements(*FORECAST)}["customer-experience"]
    assert dropped.reason == "behind" and not dropped.given


def test_the_multi_topic_set_is_never_taught(rules: Tagger) -> None:
    """tagging-multi is measured, not taught (taught, its train part lowered the other
    examples' cross-validated F1 0.881 -> 0.875); every topic is in its held-out part."""
    pieces, _problems = P.labelled_pieces(REPO, rules)
    assert not [p for p in pieces if "tagging-multi" in p.name]
    held = [frontmatter.read(p).meta for p in sorted((MULTI / "heldout").glob("*.md"))]
    train = [frontmatter.read(p).meta for p in sorted((MULTI / "train").glob("*.md"))]
    assert (len(held), len(train)) == (18, 30)
    assert {s for meta in held for s in meta["expected_topics"]} == set(rules.slugs)
    assert sum(len(meta["expected_topics"]) >= 2 for meta in held + train) >= 30


def test_the_fresh_set_was_written_apart_and_only_its_train_part_teaches(rules: Tagger) -> None:
    pieces = {}
    for path in sorted(FRESH.rglob("*.md")):
        if path.name == "README.md":
            continue
        doc = frontmatter.read(path)
        pieces[path.relative_to(FRESH).as_posix()] = doc.meta["expected_topics"] or []
    none = [name for name, topics in pieces.items() if not topics]
    held = {name for name in pieces if name.startswith("heldout/")}
    assert len(pieces) == 64 and len(held) == 24 and len(none) >= 24
    names = {p.name for p in P.labelled_pieces(REPO, rules)[0]}
    assert not {n for n in names if "tagging-fresh/heldout" in n}
    taught = {n.split("tagging-fresh/")[1] for n in names if "tagging-fresh/" in n}
    assert taught == set(pieces) - held


# --- round 7 (issue 17): the subject ---------------------------------------------------------

# written for this test (not from a labelled set): a hospital's queue in customer-experience words
CLINIC_TITLE = "Outpatient clinic cuts its waiting-room queue with text reminders"
CLINIC_SUMMARY = (
    "The hospital trust says missed appointments fell after patients were sent a reminder and a "
    "link to rebook."
)
CLINIC_BODY = (
    "The outpatient clinic at the county hospital used to see a queue out of the door every "
    "Monday morning. Patients waited an hour or more, and one in ten booked appointments was "
    "missed.\n\n"
    "Since March the trust has sent every patient a text message two days before the visit, "
    "with a link to confirm, cancel or rebook. Nurses say the waiting room is calmer and the "
    "consultants' lists run closer to time. Missed appointments fell to one in twenty-five.\n\n"
    "The trust's board heard that the reminders cost less than a penny each. Ward managers now "
    "want the same service for physiotherapy and for the blood clinic, where the queues are "
    "longest. The union representing the receptionists said its members welcomed fewer angry "
    "phone calls."
)


def test_a_piece_about_another_field_in_a_topics_words_is_vetoed_by_its_subject(
    hub_tagger: P.HubTagger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its confidence gives customer experience; its words say it is about a hospital, not
    about the topics' field (marketing, sales, IT in a business): under the floor of the
    examples about a topic."""
    piece = (CLINIC_TITLE, CLINIC_SUMMARY, CLINIC_BODY)
    found = {j.slug: j for j in hub_tagger.judgements(*piece)}
    cx = found["customer-experience"]
    assert cx.confidence >= cx.threshold and cx.reason == "subject"
    assert not cx.given and cx.vetoed
    assert cx.subject is not None and cx.subject < cx.subject_floor
    assert hub_tagger.tag(*piece) == []
    why = cx.why()
    assert "Vetoed: not about the topics' field as the examples about a topic are" in why
    assert f"subject {cx.subject:.2f} < {cx.subject_floor:.2f}" in why
    assert "against " in cx.subject_words
    against = cx.subject_words.split("; for")[0].removeprefix("against ").split(", ")
    assert {"hospital", "patient", "clinic", "outpatient"} & set(against)
    shown = {s.slug: s for s in hub_tagger.explain(*piece)}
    assert shown["customer-experience"].meaning is not None
    assert shown["customer-experience"].meaning.vetoed
    # the floor is the score of all but SUBJECT_FLOOR_SHARE of the examples about a topic
    profiles = hub_tagger.profiles
    assert profiles is not None and 0.2 < profiles.subject_floor < 0.8
    # without the veto, the same piece would be tagged
    monkeypatch.setattr(P, "SUBJECT_FLOOR_SHARE", None)
    pieces, _problems = P.labelled_pieces(REPO, hub_tagger.rules)
    profiles = P.profiles_for(load_embedder(), hub_tagger.rules, pieces)
    assert profiles.subject_floor == -np.inf
    unvetoed = P.HubTagger(hub_tagger.rules, profiles)
    assert [s.slug for s in unvetoed.tag(*piece)] == ["customer-experience"]


def test_a_short_piece_and_a_strong_rule_are_never_vetoed_by_the_subject(
    hub_tagger: P.HubTagger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A two-line excerpt says too little of its subject; a strong rule match always counts."""
    excerpt = (CLINIC_TITLE, CLINIC_SUMMARY, "")
    view = P.rule_view(hub_tagger.rules, *excerpt)
    assert view.length < P.SUBJECT_MIN_WORDS
    found = {j.slug: j for j in hub_tagger.judgements(*excerpt)}
    assert found["customer-experience"].reason != "subject"
    monkeypatch.setattr(P, "SUBJECT_MIN_WORDS", 0)  # the same excerpt, were it long enough
    found = {j.slug: j for j in hub_tagger.judgements(*excerpt)}
    assert found["customer-experience"].reason == "subject"


#: more of the hospital, so that its subject is well under the floor
CLINIC_MORE = (
    "\n\nOn the wards, the matron said the nurses' rota was easier to plan. The physiotherapy "
    "department saw fewer missed sessions, and the consultants' clinics on Tuesday and Thursday "
    "ran to time for the first time in a year. Patients with long-term conditions, who visit "
    "the outpatient clinic most often, were the quickest to confirm. The hospital's pharmacy "
    "and the blood clinic will follow in the spring, and the trust's board will hear the "
    "figures again in the autumn."
)
#: a strong rule match (mobile-marketing's phrase in the title and summary) on that piece
STRONG_UNDER_THE_FLOOR = (
    "Mobile marketing at the outpatient clinic: text reminders cut the queue",
    "Mobile marketing by text message: the clinic's reminders cut its waiting-room queue.",
    CLINIC_BODY + CLINIC_MORE,
)


def test_a_strong_rule_under_the_subjects_floor_is_given_and_says_so(
    hub_tagger: P.HubTagger,
) -> None:
    """A strong rule match always counts, even on a piece whose subject is under the floor
    (the clinic's body vetoes customer-experience); the table says it counts by its rule match,
    not that the subject reached the floor."""
    found = {j.slug: j for j in hub_tagger.judgements(*STRONG_UNDER_THE_FLOOR)}
    assert found["customer-experience"].reason == "subject"  # the piece is under the floor
    judged = found["mobile-marketing"]
    assert judged.qualifies and judged.rule is not None
    assert judged.subject is not None and judged.subject < judged.subject_floor
    assert judged.given and judged.reason == "strong rule"
    assert judged.confidence >= judged.threshold  # its confidence alone would have given it
    why = judged.why()
    assert f"subject {judged.subject:.2f} < {judged.subject_floor:.2f}" in why
    assert "always counts" in why and "≥ " + f"{judged.subject_floor:.2f}" not in why
    view = P.rule_view(hub_tagger.rules, *STRONG_UNDER_THE_FLOOR)
    assert view.strength[hub_tagger.rules.slugs.index("mobile-marketing")] >= P.STRONG_RULE
    assert "mobile-marketing" in [s.slug for s in hub_tagger.tag(*STRONG_UNDER_THE_FLOOR)]


def test_the_subjects_floor_barely_moves_with_one_example_more_or_fewer(rules: Tagger) -> None:
    """The floor is interpolated over the examples about a topic of at least SUBJECT_MIN_WORDS
    words (shorter ones are never vetoed): one example fewer moves it by far less than the
    gap between the lowest scores that the former floor jumped across."""
    pieces, _problems = P.labelled_pieces(REPO, rules)
    views = [P.rule_view(rules, p.title, p.summary, p.body) for p in pieces]
    about = np.array([bool(p.topics) for p in pieces])
    long = np.array([P.vetoable(v.length) for v in views])
    _vocabulary, _idf, X = P._word_table([v.words for v in views])
    _weights, left_out = P._ridge(X, about.astype(np.float64), P.WORDS_RIDGE)
    counted = about & long
    assert P.SUBJECT_FLOOR_SHARE is not None and (about & ~long).any()
    floor = P.subject_floor(left_out, counted)
    assert floor == np.quantile(left_out[counted], P.SUBJECT_FLOOR_SHARE, method="linear")
    # a short example's score does not set it, however low
    lowered = np.where(about & ~long, -10.0, left_out)
    assert P.subject_floor(lowered, counted) == floor
    # one example more or fewer, other than those around the floor (whose own scores set it),
    # moves it by a fraction (the share) of the gaps between the scores around it, which the
    # former floor (method="lower") jumped across
    ranked = np.argsort(np.where(counted, left_out, np.inf))
    low = np.sort(left_out[counted])
    k = int(P.SUBJECT_FLOOR_SHARE * (len(low) - 1))  # the floor is between low[k] and low[k+1]
    assert low[k] <= floor <= low[k + 1]
    span = float(low[k + 2] - low[max(k - 1, 0)])
    bound = 1.5 * P.SUBJECT_FLOOR_SHARE * span
    for i in ranked[k + 3 : int(counted.sum()) : 7]:
        keep = np.arange(len(pieces)) != i
        assert abs(P.subject_floor(left_out[keep], counted[keep]) - floor) <= bound
    for score in (low[k + 3], float(np.median(low)), float(low[-1])):
        added = P.subject_floor(np.append(left_out, score), np.append(counted, True))
        assert abs(added - floor) <= bound
    # build_profiles takes it so
    profiles = P.build_profiles(
        "m", rules.slugs, pieces, np.zeros((len(pieces), 4), dtype=np.float32), views
    )
    # (the same to the last digits: it solves the subject with the topics' words, in one go)
    assert np.isclose(profiles.subject_floor, floor, rtol=0, atol=1e-12)
    assert P.subject_floor(left_out, np.zeros(len(pieces), dtype=bool)) == -np.inf


def test_the_code_hash_leaves_out_docstrings_comments_and_empty_fields() -> None:
    """The key's code hash is of `tree_text`, the same on Python 3.11-3.13 for the same source:
    no docstrings, no comments, no fields that are None or empty lists (which `ast.dump`
    shows or not by version)."""
    import ast

    def text(source: str) -> str:
        return P.tree_text(ast.parse(source))

    base = '"""Module."""\nclass C:\n    """C."""\n    def f(self, x):\n        """F."""\n        return x\n'
    docs = '"""Other."""\nclass C:\n    """Else."""\n    def f(self, x):  # note\n        """G."""\n\n        return x\n'
    code = base.replace("return x", "return x + 1")
    assert text(base) == text(docs) != text(code)
    assert text(base) != text(base.replace('"""F."""', '"""F."""\n        "a string"'))
    # kind=None, type_comment=None, type_ignores=[], decorator_list=[] are left out
    assert text("x = 1") == (
        "Module(body=[Assign(targets=[Name(id=str:'x',ctx=Store())],value=Constant(value=int:1))])"
    )
    assert "None" not in text(base) and "[]" not in text(base)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WORDS_RIDGE", 3.0),
        ("WORDS_MIN_EXAMPLES", 3),
        ("WORDS_PLACES", (1, 1, 1)),
        ("SUBJECT_FLOOR_SHARE", 0.01),
        ("SUBJECT_MIN_WORDS", 60),
        ("WORDS_SCALE", 2.0),
        ("RIDGE_BLOCK", 1000),
    ],
)
def test_the_subjects_constants_are_in_the_profiles_key(
    rules: Tagger, monkeypatch: pytest.MonkeyPatch, name: str, value: object
) -> None:
    """Every constant the subject's profiles are built with names them."""
    pieces = [P.LabelledPiece("a.md", "Title", "Summary", "Body.", ("mobile-marketing",))]
    before = P.profile_key(P.MODEL_NAME, rules, pieces)
    monkeypatch.setattr(P, name, value)
    assert P.profile_key(P.MODEL_NAME, rules, pieces) != before


def test_the_code_hash_never_fails_without_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deciding module installed without its source (or not found) is named by the package's
    version: the same from any path, never a traceback."""
    import py_compile

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "sourceless_mod.py").write_text("X = 1\n", "utf-8")
    py_compile.compile(
        str(tmp_path / "src" / "sourceless_mod.py"), cfile=str(tmp_path / "sourceless_mod.pyc")
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(P, "DECIDING_MODULES", ("sourceless_mod", "no_such_module_here"))
    digest = P.code_digest.__wrapped__()
    assert len(digest) == 16 and digest != P.code_digest()
    shutil.move(tmp_path / "sourceless_mod.pyc", tmp_path / "src" / "sourceless_mod.pyc")
    (tmp_path / "src" / "sourceless_mod.py").unlink()
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    import importlib

    importlib.invalidate_caches()
    assert P.code_digest.__wrapped__() == digest  # another path, the same key


def test_the_subjects_left_out_scores_are_exact(rules: Tagger) -> None:
    """The subject is a ridge regression on the examples' words; the floor is taken on each
    example's score with itself left out, computed without refitting: exactly that."""
    pieces, _problems = P.labelled_pieces(REPO, rules)
    words = [P.rule_view(rules, p.title, p.summary, p.body).words for p in pieces]
    about = np.array([bool(p.topics) for p in pieces])
    vocabulary, idf, rows = P._word_table(words)
    weights, left_out = P._ridge(rows, about.astype(np.float64), P.WORDS_RIDGE)
    X = _dense(rows)
    for i in (0, len(pieces) // 2, len(pieces) - 1):  # refit without piece i
        keep = np.arange(len(pieces)) != i
        w, _ = P._ridge(_word_rows(X[keep]), about[keep].astype(np.float64), P.WORDS_RIDGE)
        assert np.isclose(X[i] @ w, left_out[i], atol=1e-9)
    assert len(vocabulary) == len(idf) == X.shape[1] - 1 == len(weights) - 1
    # a piece's score from the profiles is the same regression: the examples' in-sample scores
    profiles = P.build_profiles(
        "m", rules.slugs, pieces, np.zeros((len(pieces), 4), dtype=np.float32),
        [P.rule_view(rules, p.title, p.summary, p.body) for p in pieces],
    )  # fmt: skip
    for i in (0, len(pieces) // 2):
        score, parts = P.word_scores(profiles, words[i])[0], P.subject_terms(profiles, words[i])
        assert np.isclose(score, X[i] @ weights, atol=1e-9)
        assert np.isclose(score - profiles.subject_bias, sum(v for _w, v in parts))
    # the examples about a topic score higher than those about none, left out too
    assert left_out[about].mean() > left_out[~about].mean() + 0.3


# --- round 8 (issue 17): the subject's regression scales ---------------------------------------


def _word_rows(dense: npt.NDArray[np.float64]) -> P.WordRows:
    """A dense table as `WordRows` (its zeros left out)."""
    rows, columns = np.nonzero(dense)  # row by row, columns in order
    starts = np.searchsorted(rows, np.arange(len(dense) + 1))
    return P.WordRows(
        starts.astype(np.int64), columns.astype(np.int64), dense[rows, columns], dense.shape[1]
    )


def _dense(table: P.WordRows, start: int = 0, stop: int | None = None) -> npt.NDArray[np.float64]:
    """Rows start..stop of `table` as a dense block (all of them by default)."""
    stop = table.shape[0] if stop is None else stop
    out = np.zeros((stop - start, table.shape[1]))
    for row in range(start, stop):
        lo, hi = table.starts[row], table.starts[row + 1]
        out[row - start, table.columns[lo:hi]] = table.values[lo:hi]
    return out


def test_the_subjects_regression_gives_the_same_results_in_either_form(rules: Tagger) -> None:
    """The dual form (rows x rows) and the primal form (words x words) are the same regression:
    the same weights and left-out scores on the repository's examples (more words than rows)
    and on their first 150 words (more rows than words), and `_ridge` takes the smaller."""
    pieces, _problems = P.labelled_pieces(REPO, rules)
    words = [P.rule_view(rules, p.title, p.summary, p.body).words for p in pieces]
    about = np.array([bool(p.topics) for p in pieces], dtype=np.float64)
    _vocabulary, _idf, rows = P._word_table(words)
    dense = _dense(rows)
    narrow = _word_rows(np.hstack([dense[:, :150], dense[:, -1:]]))
    assert rows.shape[0] < rows.shape[1] and narrow.shape[0] > narrow.shape[1]
    for table in (rows, narrow):
        dual = P._dual_ridge(table, about, P.WORDS_RIDGE)
        primal = P._primal_ridge(table, about, P.WORDS_RIDGE)
        assert np.allclose(dual[0], primal[0], atol=1e-9)
        assert np.allclose(dual[1], primal[1], atol=1e-9)
        # each is the textbook ridge: weights (X'X + rI)^-1 X'y, and refit without a row
        X = _dense(table)
        w = np.linalg.solve(X.T @ X + P.WORDS_RIDGE * np.eye(X.shape[1]), X.T @ about)
        assert np.allclose(dual[0], w, atol=1e-9)
        i = len(pieces) // 3
        keep = np.arange(len(pieces)) != i
        refit = np.linalg.solve(
            X[keep].T @ X[keep] + P.WORDS_RIDGE * np.eye(X.shape[1]), X[keep].T @ about[keep]
        )
        assert np.isclose(X[i] @ refit, primal[1][i], atol=1e-9)
    # the chosen form on each table is the one whose matrix is the smaller
    chosen_wide, chosen_narrow = (P._ridge(t, about, P.WORDS_RIDGE) for t in (rows, narrow))
    assert np.array_equal(chosen_wide[1], P._dual_ridge(rows, about, P.WORDS_RIDGE)[1])
    assert np.array_equal(chosen_narrow[1], P._primal_ridge(narrow, about, P.WORDS_RIDGE)[1])


def test_the_subjects_table_is_kept_sparse_and_read_in_blocks(
    rules: Tagger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The table holds only the words a piece uses; its blocks, products (one column or many)
    and the dense table agree; the dual form's Gram matrix, summed over blocks of words that
    never hold more than RIDGE_BLOCK numbers (the last one ragged), is the direct ridge's."""
    pieces, _problems = P.labelled_pieces(REPO, rules)
    words = [P.rule_view(rules, p.title, p.summary, p.body).words for p in pieces[:60]]
    _vocabulary, _idf, rows = P._word_table(words)
    dense = _dense(rows)
    assert len(rows.values) == np.count_nonzero(dense) < dense.size / 5
    assert np.allclose(np.linalg.norm(dense[:, :-1], axis=1), 1.0) and (dense[:, -1] == 1).all()
    assert np.array_equal(rows.cols(100, 300), dense[:, 100:300])
    v = np.linspace(-1, 1, rows.shape[0])
    w = np.linspace(-1, 1, rows.shape[1])
    assert np.allclose(rows.transpose_times(v), dense.T @ v)
    assert np.allclose(rows.times(w), dense @ w)
    several = np.column_stack([v, v**2, -v])
    assert np.allclose(rows.transpose_times(several), dense.T @ several)
    assert np.allclose(rows.times(np.column_stack([w, w**2])), dense @ np.column_stack([w, w**2]))
    # the dual form in blocks of 7 words (60 rows x 7 <= 450 numbers), the last one shorter
    blocks: list[tuple[int, int]] = []
    read = P.WordRows.cols

    def cols(self: P.WordRows, start: int, stop: int) -> npt.NDArray[np.float64]:
        block = read(self, start, stop)
        blocks.append(block.shape)
        return block

    monkeypatch.setattr(P, "RIDGE_BLOCK", 450)
    monkeypatch.setattr(P.WordRows, "cols", cols)
    y = np.column_stack([np.arange(60) % 2, np.arange(60) % 3 == 0]).astype(np.float64)
    weights, left_out = P._dual_ridge(rows, y, 0.3)
    assert len(blocks) == -(-rows.shape[1] // 7) > 2 and rows.shape[1] % 7 != 0
    assert all(r * c <= 450 for r, c in blocks) and blocks[-1][1] == rows.shape[1] % 7
    textbook = np.linalg.solve(dense.T @ dense + 0.3 * np.eye(rows.shape[1]), dense.T @ y)
    assert np.allclose(weights, textbook, rtol=0, atol=1e-9)
    monkeypatch.setattr(P, "RIDGE_BLOCK", 4_000_000)  # one block: the same left-out values
    assert np.allclose(left_out, P._dual_ridge(rows, y, 0.3)[1], rtol=0, atol=1e-12)


def test_the_subjects_words_are_ranked_once_a_piece(
    hub_tagger: P.HubTagger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two topics vetoed by the subject on one piece show the same words, ranked once."""
    from dataclasses import replace

    assert hub_tagger.profiles is not None
    # a floor over every piece's score: each topic its confidence would give is vetoed
    strict = P.HubTagger(hub_tagger.rules, replace(hub_tagger.profiles, subject_floor=5.0))
    doc = frontmatter.read(REPO / "tests/data/tagging-multi/train/m02-lead-scoring-sla.md")
    piece = (doc.meta["title"], doc.meta["summary"], doc.body)
    calls = []
    ranked = P.subject_terms
    monkeypatch.setattr(P, "subject_terms", lambda *a: calls.append(1) or ranked(*a))
    vetoed = [j for j in strict.judgements(*piece) if j.reason == "subject"]
    assert len(vetoed) >= 2 and calls == []  # not ranked until the table reads them
    assert len({j.subject_words for j in vetoed}) == 1 and vetoed[0].subject_words
    assert len(calls) == 1


def test_pieces_about_none_that_the_subject_vetoes_do_not_teach_the_calibration(
    rules: Tagger,
) -> None:
    """Round 8: the calibration of the pieces the subject can veto is fitted without the pieces
    about none under its floor. Such a piece is untagged by its words whatever its figures:
    making its rules look like a strong match for every topic changes nothing in that
    calibration, while the same change to a piece about none over the floor does, and so does
    it to the excerpts' calibration (fitted on every example) or once an editor corrected the
    piece."""
    from dataclasses import replace

    pieces, _problems = P.labelled_pieces(REPO, rules)
    views = [P.rule_view(rules, p.title, p.summary, p.body) for p in pieces]
    vectors = np.zeros((len(pieces), 4), dtype=np.float32)
    vectors[:, 0] = 1.0
    about = np.array([bool(p.topics) for p in pieces])
    long = np.array([P.vetoable(v.length) for v in views])
    truth = np.array([[slug in p.topics for slug in rules.slugs] for p in pieces])
    subject = P._word_models([v.words for v in views], about, truth).subject
    floor = P.subject_floor(subject, about & long)
    labels = np.zeros((len(pieces), len(rules.slugs)), dtype=np.int8)
    reaches = P.teaches_calibration(about, long, labels, subject, floor)
    vetoed = np.flatnonzero(~reaches)
    through = np.flatnonzero(~about & long & reaches)
    assert len(vetoed) >= 100 and len(through) >= 3  # most pieces about none are under it
    assert (~about[vetoed]).all() and (subject[vetoed] < floor).all()
    assert long[vetoed].all()  # only a piece the veto can reach is left out
    # a short piece about none, however low its subject score, still teaches (no veto shields it)
    short_none = np.flatnonzero(~about & ~long)
    assert len(short_none) >= 3
    pushed = subject.copy()
    pushed[short_none] = floor - 1.0
    assert P.teaches_calibration(about, long, labels, pushed, floor)[short_none].all()
    # an editor's correction always teaches, under the floor too
    corrected = labels.copy()
    corrected[vetoed[0], 0] = -1
    assert P.teaches_calibration(about, long, corrected, subject, floor)[vetoed[0]]

    def built(changed: int, examples: list[P.LabelledPiece] = pieces) -> P.Profiles:
        tempting = replace(views[changed], strength=np.full(len(rules.slugs), 3.0))
        changed_views = [tempting if i == changed else v for i, v in enumerate(views)]
        return P.build_profiles("m", rules.slugs, examples, vectors, changed_views)

    plain = P.build_profiles("m", rules.slugs, pieces, vectors, views)
    under, over = built(int(vetoed[0])), built(int(through[0]))
    assert under.weights == plain.weights and under.thresholds == plain.thresholds
    assert np.array_equal(under.topic_weights, plain.topic_weights)
    assert over.weights != plain.weights
    # an excerpt's calibration, which the veto never protects, is fitted on every example
    assert under.short_weights != plain.short_weights
    assert plain.short_thresholds != plain.thresholds
    # through build_profiles: the same piece with a topic an editor removed teaches again
    slug = rules.slugs[0]
    against = [replace(p, against=(slug,)) if i == vetoed[0] else p for i, p in enumerate(pieces)]
    corrected_plain = P.build_profiles("m", rules.slugs, against, vectors, views)
    corrected_tempting = built(int(vetoed[0]), against)
    assert corrected_tempting.weights != corrected_plain.weights


def test_a_short_piece_the_veto_never_reaches_is_judged_by_the_calibration_of_every_example(
    hub_tagger: P.HubTagger, embedder: Embedder, rules: Tagger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A short piece, under SUBJECT_MIN_WORDS tokens of title + summary + body as tagged (not
    `vetoable`), is never vetoed by its subject, so it is judged by the calibration fitted on
    every example, pieces about none under the floor included; a longer piece by the one fitted
    without them. A pulled excerpt is tagged as title + summary + its summary again (the
    excerpt policy's body), so its summary counts twice: one with a summary of about 36 words or
    more is judged as a long piece, with the subject's veto. Cross-validated on the 468
    repository examples (each tagged by profiles built without its fold), measured with the
    short pieces' calibration against the longer pieces' for all: cut to title + summary,
    P 0.961 against 0.915, R 0.646 against 0.716, 6 against 19 of 195 pieces about none tagged;
    in the pulled shape (title + summary + `excerpt_markdown` of the summary as its body),
    P 0.955 against 0.920, R 0.670 against 0.730, 8 against 18 of 195 (14 of the 468 reach 80
    tokens in that shape and are judged as long pieces either way)."""
    from dataclasses import replace

    profiles = hub_tagger.profiles
    assert profiles is not None and profiles.short_thresholds != profiles.thresholds
    doc = frontmatter.read(REPO / "tests/data/tagging-fresh/train/f22-hotel-guest-interview.md")
    whole = {
        j.slug: j for j in hub_tagger.judgements(doc.meta["title"], doc.meta["summary"], doc.body)
    }
    short = {j.slug: j for j in hub_tagger.judgements(doc.meta["title"], doc.meta["summary"], "")}
    for t, slug in enumerate(profiles.slugs):
        assert whole[slug].threshold == profiles.thresholds[t]
        assert short[slug].threshold == profiles.short_thresholds[t]
    pieces, _problems = P.labelled_pieces(REPO, rules)
    examples = [p for p in pieces if not p.name.startswith("docs/")]
    vectors = P.example_vectors(embedder, examples)
    views = [P.rule_view(rules, p.title, p.summary, p.body) for p in examples]
    fold_of = [P._fold(p.name, P.FOLDS) for p in examples]
    built = [
        P.build_profiles(
            embedder.name,
            rules.slugs,
            [p for p, f in zip(examples, fold_of, strict=True) if f != fold],
            vectors[[f != fold for f in fold_of]],
            [v for v, f in zip(views, fold_of, strict=True) if f != fold],
        )
        for fold in range(P.FOLDS)
    ]

    def scored(cut: list[P.LabelledPiece]) -> tuple[float, float, int, int]:
        cut_vectors = P.example_vectors(embedder, cut)
        cut_views = [P.rule_view(rules, p.title, p.summary, p.body) for p in cut]
        tp = fp = fn = none = tagged = 0
        for i, piece in enumerate(examples):
            got = {
                j.slug for j in P.chosen(P.judge(built[fold_of[i]], cut_views[i], cut_vectors[i]))
            }
            tp, fp = tp + len(got & set(piece.topics)), fp + len(got - set(piece.topics))
            fn += len(set(piece.topics) - got)
            none, tagged = none + (not piece.topics), tagged + (not piece.topics and bool(got))
        return tp / (tp + fp), tp / (tp + fn), tagged, none

    title_summary = [replace(p, body="") for p in examples]
    pulled = [replace(p, body=excerpt_markdown(p.summary)) for p in examples]
    assert all(not P.vetoable(v.length) for v in map(_view_of(rules), title_summary))
    long_pulled = sum(P.vetoable(v.length) for v in map(_view_of(rules), pulled))
    assert 0 < long_pulled < 20  # a few pulled excerpts reach the longer pieces' calibration
    found = {"title + summary": scored(title_summary), "pulled": scored(pulled)}
    print(f"\n{long_pulled} of {len(pulled)} reach {P.SUBJECT_MIN_WORDS} tokens pulled")
    for shape, (precision, recall, tagged, none) in found.items():
        print(f"{shape}, cross-validated: P {precision:.3f} R {recall:.3f}, {tagged} of {none}")
        assert none >= 190 and tagged <= 8 and precision >= 0.95
    # the longer pieces' calibration on the same pieces: more pieces about none tagged
    monkeypatch.setattr(
        P.Profiles, "calibration", lambda self, _length: (self.topic_weights, self.thresholds)
    )
    for shape, cut in (("title + summary", title_summary), ("pulled", pulled)):
        longer_precision, longer_recall, longer_tagged, _none = scored(cut)
        print(
            f"{shape}, one calibration: P {longer_precision:.3f} R {longer_recall:.3f}, {longer_tagged}"
        )
        assert longer_tagged >= found[shape][2] + 8 and longer_precision < found[shape][0]


def test_one_length_decides_the_calibration_and_whether_the_subject_can_veto(
    hub_tagger: P.HubTagger,
) -> None:
    """`vetoable` is the one test of a piece's length: at 79 tokens of title + summary + body
    a piece is judged by the short pieces' calibration and never vetoed by its subject, at 80
    by the longer pieces' one, with the veto."""
    from dataclasses import replace

    assert hub_tagger.profiles is not None
    # a floor over every piece's score: each topic its confidence would give is vetoable
    strict = replace(hub_tagger.profiles, subject_floor=5.0)
    tagger = P.HubTagger(hub_tagger.rules, strict)
    doc = frontmatter.read(REPO / "tests/data/tagging-multi/train/m02-lead-scoring-sla.md")
    words = P.tokens(doc.meta["title"], doc.meta["summary"], doc.body)
    flat = [w for part in words for w in part]
    assert not P.vetoable(P.SUBJECT_MIN_WORDS - 1) and P.vetoable(P.SUBJECT_MIN_WORDS)
    for length, short in ((79, True), (80, False)):
        summary = " ".join(flat[:length])
        assert P.rule_view(tagger.rules, "", summary, "").length == length
        found = tagger.judgements("", summary, "")
        weights, thresholds = strict.calibration(length)
        if short:
            assert thresholds == strict.short_thresholds != strict.thresholds
            assert weights is strict.short_topic_weights
            assert all(j.subject is None and j.reason != "subject" for j in found)
        else:
            assert thresholds == strict.thresholds and weights is strict.topic_weights
            assert any(j.reason == "subject" for j in found)
        assert [j.threshold for j in found] == list(thresholds)


def test_profiles_pickle_as_small_once_used(hub_tagger: P.HubTagger) -> None:
    """What a used profile works out and keeps (its word table, its examples as float32, ...)
    is not pickled: the profiles a worker gets are as small as when built, and work the same."""
    from dataclasses import replace

    assert hub_tagger.profiles is not None
    fresh = replace(hub_tagger.profiles)  # a new object: nothing worked out yet
    size = len(pickle.dumps(fresh))
    used = replace(hub_tagger.profiles)
    P.HubTagger(hub_tagger.rules, used).explain(CLINIC_TITLE, CLINIC_SUMMARY, CLINIC_BODY)
    assert {"word_rows", "examples32", "word_index"} <= set(vars(used))
    assert len(pickle.dumps(used)) == size
    again = pickle.loads(pickle.dumps(used))
    assert np.array_equal(again.word_rows, used.word_rows) and again.key == used.key
    words = P.rule_view(hub_tagger.rules, CLINIC_TITLE, CLINIC_SUMMARY, CLINIC_BODY).words
    assert P.word_scores(again, words)[0] == P.word_scores(used, words)[0]


def test_a_piece_without_known_words_gets_its_own_scores(hub_tagger: P.HubTagger) -> None:
    """With none of its words in the vocabulary a piece's topics' words scores are the
    intercepts: a copy, so that changing them changes no other piece's."""
    profiles = hub_tagger.profiles
    assert profiles is not None
    bias = profiles.word_bias.copy()
    subject, scores = P.word_scores(profiles, {"zzqxv": 2})
    assert subject == profiles.subject_bias and np.array_equal(scores, bias)
    scores[:] = 99.0
    assert np.array_equal(P.word_scores(profiles, {"zzqxv": 2})[1], bias)
    assert np.array_equal(profiles.word_bias, bias)
    assert not profiles.word_intercepts.flags.writeable


def _view_of(rules: Tagger) -> Callable[[P.LabelledPiece], P.RuleView]:
    return lambda p: P.rule_view(rules, p.title, p.summary, p.body)


# --- round 8 (issue 17): each topic's own words ----------------------------------------------


def test_each_topics_words_are_one_solve_with_exact_left_out_scores(rules: Tagger) -> None:
    """Each topic's words are a ridge regression of "is an example of the topic" on the
    subject's rows of words, solved with the subject (one factorisation); the calibration sees
    each example's score with itself left out, exactly, without a refit per example; a piece's
    scores from the profiles are the same regressions, one pass over its words giving the
    subject's and every topic's."""
    pieces, _problems = P.labelled_pieces(REPO, rules)
    views = [P.rule_view(rules, p.title, p.summary, p.body) for p in pieces]
    words = [v.words for v in views]
    about = np.array([bool(p.topics) for p in pieces])
    truth = np.array([[slug in p.topics for slug in rules.slugs] for p in pieces])
    models = P._word_models(words, about, truth)
    _vocabulary, _idf, rows = P._word_table(words)
    X = _dense(rows)
    assert models.topics.shape == truth.shape
    assert models.topic_weights.shape == (X.shape[1] - 1, len(rules.slugs))
    # the subject's column is the subject's own regression, as before
    w, left_out = P._ridge(rows, about.astype(np.float64), P.WORDS_RIDGE)
    assert np.allclose(models.subject_weights, w[:-1], rtol=0, atol=1e-9)
    assert np.allclose(models.subject, left_out, rtol=0, atol=1e-9)
    # each topic's left-out score is the score of the regressions refitted without the example
    for i in (0, len(pieces) // 3, len(pieces) - 1):
        keep = np.arange(len(pieces)) != i
        w, _ = P._ridge(_word_rows(X[keep]), truth[keep].astype(np.float64), P.WORDS_RIDGE)
        assert np.allclose(X[i] @ w, models.topics[i], rtol=0, atol=1e-9)
    # left out, a topic's examples score higher than the others on its words
    for t in range(len(rules.slugs)):
        assert models.topics[truth[:, t], t].mean() > models.topics[~truth[:, t], t].mean() + 0.2
    profiles = P.build_profiles(
        "m", rules.slugs, pieces, np.zeros((len(pieces), 4), dtype=np.float32), views
    )
    assert np.array_equal(profiles.word_weights, models.topic_weights)
    for i in (0, len(pieces) // 2):
        subject, scores = P.word_scores(profiles, words[i])
        fitted = X[i, :-1] @ models.topic_weights + models.topic_bias
        assert np.allclose(scores, fitted, rtol=0, atol=1e-9)
        assert np.isclose(subject, X[i, :-1] @ models.subject_weights + models.subject_bias)
        for t in (0, len(rules.slugs) - 1):
            parts = P.word_terms(profiles, words[i], 1 + t)
            assert np.isclose(sum(v for _w, v in parts), scores[t] - profiles.word_bias[t])


def _written(word: str, text: str) -> bool:
    """`word` is in `text` as a whole word (any case): as written, not a stem of one."""
    return re.search(rf"(?<![\w'’]){re.escape(word)}(?![\w'’])", text, re.IGNORECASE) is not None


def test_the_table_names_the_words_that_weighed_for_a_topic(
    hub_tagger: P.HubTagger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`channelhub tag` shows each topic's words score and the piece's words that weighed most
    for and against it, as the piece writes them (not their stems); `--json` keeps its shape.
    tagging-fresh/train's interview of a hotel's guest-experience head (an example: its own
    words score it in-sample) gets customer experience by its confidence, its words weighing
    for it. (Until round 8's branches were combined it was the SMS delivery piece, whose
    customer experience is now behind its first topic.)"""
    monkeypatch.chdir(REPO)
    path = FRESH / "train" / "f22-hotel-guest-interview.md"
    doc = frontmatter.read(path)
    args = (doc.meta["title"], doc.meta["summary"], doc.body)
    found = {j.slug: j for j in hub_tagger.judgements(*args)}
    cx = found["customer-experience"]
    assert cx.given and cx.reason == "confidence" and cx.words is not None
    figures = dict(zip(P.FIGURES, cx.parts, strict=True))
    assert figures["words"] > 1.0  # the figure weighed for it
    result = CliRunner().invoke(main, ["tag", str(path.relative_to(REPO))])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if "customer-experience" in line)
    shown = re.search(r"its words (\d\.\d\d): for ([^;]+); against ([^;.]+)", row)
    assert shown is not None and shown.group(1) == f"{cx.words:.2f}"
    named = [w.strip() for w in shown.group(2).split(",") + shown.group(3).split(",")]
    assert "guests" in named and len(named) == 2 * P.TOPIC_WORDS_SHOWN
    prose = " ".join(args)
    assert all(_written(w, prose) for w in named)  # words as written, not stems
    assert re.search(r"for words \+\d", row)
    as_json = json.loads(CliRunner().invoke(main, ["tag", "--json", str(path)]).output)
    assert set(as_json[0]) == {"path", "topics"}
    assert all(set(t) == {"slug", "score"} for t in as_json[0]["topics"])
    # a vetoed topic names its words too: the clinic's customer experience
    explained = {s.slug: s for s in hub_tagger.explain(CLINIC_TITLE, CLINIC_SUMMARY, CLINIC_BODY)}
    meaning = explained["customer-experience"].meaning
    assert meaning is not None and meaning.vetoed
    shown = re.search(
        r"its words 0\.\d\d: for ([a-z]+, [a-z]+, [a-z]+); against ([a-z, ]+)", meaning.why
    )
    assert shown is not None
    clinic = " ".join((CLINIC_TITLE, CLINIC_SUMMARY, CLINIC_BODY))
    assert all(_written(w, clinic) for w in re.findall(r"[a-z]+", " ".join(shown.groups())))


# --- round 8 (issue 17), the review's findings -------------------------------------------------


def test_a_hub_whose_words_no_two_examples_share_still_tags(
    embedder: Embedder, rules: Tagger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new hub without the repository's examples, where an editor set one piece's topics: no
    word is used by two examples, so the words have no vocabulary; the tagger still tags (the
    words scores are their intercepts, 0), from the command as from the library."""
    root = scratch_hub(tmp_path / "hub")
    monkeypatch.chdir(root)
    articles = root / "docs" / "articles"
    articles.mkdir(parents=True)
    (articles / "one.md").write_text(
        "---\ntitle: Replying on Instagram\ndate: 2026-01-02\ntopics: [social-media]\n---\n"
        "Brands answer comments and direct messages from followers on Instagram.\n",
        encoding="utf-8",
    )
    (articles / "two.md").write_text(
        "---\ntitle: Fans ask in public\ndate: 2026-01-03\n---\n"
        "Followers on TikTok ask brands questions in public comments.\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["tag", "docs/articles/two.md"])
    assert result.exit_code == 0, result.output
    assert "two.md" in result.output and "Traceback" not in result.output
    as_json = CliRunner().invoke(main, ["tag", "--json", "docs/articles/two.md"])
    assert as_json.exit_code == 0, as_json.output
    # the library: profiles built on that one piece judge and explain a piece
    pieces, _problems = P.labelled_pieces(root, rules)
    assert [p.topics for p in pieces] == [("social-media",)]
    views = [P.rule_view(rules, p.title, p.summary, p.body) for p in pieces]
    profiles = P.build_profiles(
        embedder.name, rules.slugs, pieces, P.example_vectors(embedder, pieces), views
    )
    assert profiles.word_vocabulary == ()
    assert profiles.word_weights.shape == (0, len(rules.slugs))
    text = "Followers on TikTok ask brands questions in public comments."
    tagger = P.HubTagger(rules, profiles)
    judged = tagger.judgements(text, "", text)
    assert len(judged) == len(rules.slugs) and all(j.words == 0.0 for j in judged)
    assert all(s.meaning is not None for s in tagger.explain(text, "", text))
    # profiles made without words at all (the defaults) score a piece's words as 0 too
    bare = P.Profiles(
        profiles.model, profiles.slugs, profiles.direction, profiles.centre, profiles.spread,
        profiles.weights, profiles.topic_weights, profiles.thresholds, profiles.examples,
        profiles.labels, profiles.names,
    )  # fmt: skip
    words = P.rule_view(rules, text, "", text).words
    assert P.word_scores(bare, words)[1].tolist() == [0.0] * len(rules.slugs)
    assert len(P.HubTagger(rules, bare).judgements(text, "", text)) == len(rules.slugs)


class _CountedWords(list[str]):
    """A list of words that counts how many of them were read."""

    read = 0

    def __iter__(self):  # type: ignore[no-untyped-def]
        for word in super().__iter__():
            self.read += 1
            yield word


def test_the_tables_words_are_found_only_when_read_and_only_as_far_as_needed(
    hub_tagger: P.HubTagger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A topic vetoed by the subject names the words that weighed, as the piece writes them:
    found only when `why` (the table) reads them, never for a pull or --json, once a piece for
    all its topics, reading its words only until the shown ones are found."""
    text = "I think it is the IT team's Bank's call and it works"
    body = _CountedWords(re.findall(r"\S+", text))
    spellings = P.Spellings(([], [], body))
    assert body.read == 0  # nothing read until asked
    assert spellings.written(["i", "bank"]) == ["I", "bank"]
    assert body.read == 8  # stopped at the last of the words asked for
    assert spellings.written(["it", "team", "nowhere"]) == ["it", "team", "nowhere"]
    assert body.read == len(body)  # "nowhere" is not in the piece: read to its end
    assert spellings.written(["think"]) == ["think"] and body.read == len(body)  # once a piece
    calls: list[int] = []
    counted = P.Spellings.written

    def written(self: P.Spellings, keys: object) -> list[str]:
        calls.append(1)
        return counted(self, keys)  # type: ignore[arg-type]

    monkeypatch.setattr(P.Spellings, "written", written)
    found = {j.slug: j for j in hub_tagger.judgements(CLINIC_TITLE, CLINIC_SUMMARY, CLINIC_BODY)}
    cx = found["customer-experience"]
    assert cx.reason == "subject" and calls == []  # judged, its words not yet looked for
    assert "outpatient" in cx.why() and len(calls) == 2  # its two sides, when read
    assert "outpatient" in cx.subject_words and len(calls) == 2  # worked out once


@pytest.mark.parametrize("ridge", [0.3, 3.0])
@pytest.mark.parametrize("targets", [1, 3, 11])
@pytest.mark.parametrize("rows", [12, 45])
def test_the_ridges_two_forms_agree_with_refits_for_many_targets_at_any_ridge(
    ridge: float, targets: int, rows: int
) -> None:
    """The dual form (rows x rows) and the primal form (words x words) give the same weights as
    the textbook ridge, and each row's left-out value is what the regression refitted without
    the row says of it, for every target column (one, several, and the subject's and ten
    topics' eleven), on a table with more words than rows (12) and one with more rows than
    words (45), at a ridge other than 1 (where a formula that left the ridge out would agree).
    `_ridge` takes the form whose matrix is the smaller."""
    rng = np.random.default_rng(17)
    words = 30
    X = rng.normal(size=(rows, words)) * (rng.random(size=(rows, words)) < 0.4)  # sparse
    y = rng.normal(size=(rows, targets))
    y = y[:, 0] if targets == 1 else y
    table = _word_rows(X)
    assert table.shape == X.shape
    textbook = np.linalg.solve(X.T @ X + ridge * np.eye(words), X.T @ y)
    refits = np.zeros(y.shape)
    for i in range(rows):
        keep = np.arange(rows) != i
        refit = np.linalg.solve(X[keep].T @ X[keep] + ridge * np.eye(words), X[keep].T @ y[keep])
        refits[i] = X[i] @ refit
    forms = {"dual": P._dual_ridge(table, y, ridge), "primal": P._primal_ridge(table, y, ridge)}
    for form, (weights, left_out) in forms.items():
        assert weights.shape == textbook.shape and left_out.shape == y.shape, form
        assert np.allclose(weights, textbook, rtol=0, atol=1e-9), form
        assert np.allclose(left_out, refits, rtol=0, atol=1e-9), form
    chosen = P._ridge(table, y, ridge)[1]
    assert np.array_equal(chosen, forms["dual" if rows <= words else "primal"][1])
