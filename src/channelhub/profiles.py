"""Topic profiles: what each topic's labelled pieces mean, and how meaning and rules combine.

Owns collecting the examples (the repository's labelled sets, never a `heldout` folder, and
every piece under docs/ whose topics an editor set by hand: `topics != auto_topics`, with the
topics an editor removed counted against), embedding them, one profile per topic (its direction
in meaning, a ridge regression of "is an example of the topic" on the examples' vectors, plus
the examples for "resembles"), calibration (a small logistic model over six figures: rule
strength, cues, meaning, its lead over the other topics, nearest example, and the topic's own
words; fitted on leave-one-out figures for all topics together, then for each topic on its own
pulled towards the shared weights; a threshold per topic chosen on out-of-fold confidences,
weighing precision more than recall; fitted without the pieces about none that the subject's
veto keeps untagged, and once more on every example for a short piece, which the veto never
reaches: under SUBJECT_MIN_WORDS tokens as tagged, `vetoable`), the subject (a ridge
regression of "is about one of the topics" on a piece's words) and each topic's words (one per
topic on the same words, solved with the subject in one factorisation, dual or primal,
whichever is smaller), cross-validation of that whole recipe, and `HubTagger`, which tags with
rules and profiles together: an exclusion vetoes, a strong rule match always counts, the
calibration vetoes the rest below its threshold, the subject vetoes what the calibration gives
on a piece about another field, a second topic far behind the first needs evidence of its own
(its rules, or passages of the body whose meaning leans to it), and each tag (and veto) says
why.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import importlib.abc
import importlib.util
import io
import json
import math
import os
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import cache, cached_property, lru_cache, partial
from itertools import chain, pairwise
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from channelhub import frontmatter
from channelhub.config import Hub, slug_list
from channelhub.content import meta_text, piece_files
from channelhub.engine import installed_version
from channelhub.files import write_atomic
from channelhub.frontmatter import FrontMatterError
from channelhub.problems import Problem
from channelhub.semantic import (
    MODEL_NAME,
    Embedder,
    ModelMissing,
    Vectors,
    load_embedder,
    model_folder,
    passages,
    sentences,
)
from channelhub.semantic import normalise as unit
from channelhub.tagger import (
    Meaning,
    Parts,
    Tagger,
    TopicScore,
    compile_rules,
    token_key,
    tokens,
    without_boilerplate,
)

#: the repository's labelled sets that teach the profiles (relative to the repository)
EXAMPLE_DIRS = (
    "tests/data/tagging",
    "tests/data/tagging-indirect/tune",
    "tests/data/tagging-varied/train",
    "tests/data/tagging-precision/train",
    "tests/data/tagging-broad/train",
    "tests/data/tagging-fresh/train",
    "tests/data/tagging-subject/train",
    "tests/data/tagging-adjacent/train",
)
#: folders under EXAMPLE_DIRS never read as examples: they measure, they do not teach
HELD_OUT = frozenset({"heldout"})
CACHE_DIR = ".cache/channelhub"
#: bump when what a piece's meaning is made of changes, so cached profiles are not reused
RECIPE_VERSION = "general-1"
#: the modules whose code decides a piece's topics (the rules, the meaning, the calibration and
#: the decision): their code is part of the profiles' key, so any change to it, not only to a
#: constant, makes new profiles and every pulled piece is tagged again (nothing to remember);
#: comments and layout are not code (a reformatted module keeps its key)
DECIDING_MODULES = ("channelhub.tagger", "channelhub.semantic", "channelhub.profiles")
#: how title, summary and body weigh in a piece's meaning (chosen by cross-validation)
PART_WEIGHTS = (2.0, 1.0, 3.0)
#: a rule score this many times the topic's threshold is given whatever the meaning says
#: (3 until issue 17's precision round; 4 by cross-validation with the pieces about none)
STRONG_RULE = 4.0
#: an example whose topic an editor removed counts this much more against it
AGAINST_WEIGHT = 3.0
#: L2 penalty of the logistic fit (not on the bias)
RIDGE = 1.0
#: L2 penalty of each topic's linear direction in meaning (a ridge regression on the examples'
#: vectors; 3-30 gave the same cross-validated F1, 10 the best precision)
MEANING_RIDGE = 10.0
#: each topic's threshold is chosen on confidences from calibrations fitted without the piece:
#: the examples cut into this many folds (by a hash of their names), in this many ways, pooled
THRESHOLD_FOLDS = 10
THRESHOLD_REPEATS = 3
#: ... as the confidence with the best F-beta (beta < 1 weighs precision more), halfway back to
#: 0.5 (small samples); 0.7 by cross-validation: precision 0.90 at the least recall lost
THRESHOLD_BETA = 0.7
NEWTON_STEPS = 30
#: a Newton step this small ends the fit: the weights no longer change in any shown digit
NEWTON_TOLERANCE = 1e-10
FOLDS = 5
EVIDENCE_SENTENCES = 2
EVIDENCE_EXAMPLES = 2
#: an example this similar is the same text (float16 storage keeps it just under 1)
SAME_TEXT = 0.995
MAX_TOPICS = 3
#: rows of pieces compared with every example at once in `_nearest`
NEAREST_ROWS = 64
#: the calibrated figures, in the order of `Profiles.weights` (the last is the bias)
FIGURES = ("rule strength", "cues", "meaning", "lead", "nearest example", "words", "bias")
#: a topic needs this many labelled examples before its profile and calibration decide (with
#: one or two, its own weights and threshold are fitted to noise; it is left to its rules)
MIN_EXAMPLES = 3
#: how strongly each topic's own weights are pulled towards the weights shared by all topics
TOPIC_RIDGE = 4.0
#: a second or third topic given by its confidence needs at least this share of the first
#: topic's confidence (issue 17, round 5: the tagger added wrong second labels more often than
#: it missed any; 0.5-0.9 measured, 0.75 the best cross-validated F1)
BEHIND_FIRST = 0.75
#: ... unless it has evidence of its own (issue 17, round 6: pieces about two or three topics
#: lost their second one to BEHIND_FIRST): its rules give it on their own, or its meaning leads
#: the first topic's in this many of the body's passages (1-3 measured, 2 the best; 0: never)
OWN_PASSAGES = 2
#: the body's passages, for where each topic's meaning sits: this many words each
PASSAGE_WORDS = 60
#: the subject (issue 17, round 7): whether a piece is about marketing, sales and IT in a
#: business at all, rather than another field in the topics' own words (a hospital's queues, a
#: club's fans, an HR team's RFP). A ridge regression of "is about one of the topics" (1 or 0)
#: on the piece's words (log counts x idf, unit length), learned from every example. It vetoes
#: (below); as a figure of the calibration it gained cross-validated F1 but lost a right label
#: on tagging-multi/heldout (README, round 7), so it is not one. Since round 8 each topic's
#: words are regressions on the same rows, solved with it: the constants of the words' rows
#: and their regressions (WORDS_*) serve the subject and the topics alike.
#: The L2 penalty of the words' regressions (the subject's and each topic's)
WORDS_RIDGE = 1.0
#: a word is in the words' vocabulary when at least this many examples use it (common words
#: too: leaving out those in over a half, a quarter of the examples lowered cross-validated F1)
WORDS_MIN_EXAMPLES = 2
#: how many times a word counts in the title, the summary and the body (`counted_words`)
WORDS_PLACES = (2, 1, 1)
#: a topic its calibrated confidence would give (not a strong rule match) is vetoed when the
#: piece's subject score is under that of all but this share of the examples about a topic
#: and `vetoable` (`subject_floor`: their scores with themselves left out, interpolated).
#: Round 7: 0.005-0.03 measured, 0.005 the best cross-validated F1. Round 8,
#: with the calibration fitted without the pieces about none the veto keeps untagged
#: (`teaches_calibration`) and 190 more examples (tagging-adjacent, tagging-subject/train):
#: 0.005, 0.02, 0.03, 0.05 measured, 0.03 chosen for the best five-cut mean F1 over all 484
#: examples with the fewest pieces about none tagged but one (0.02 within 0.0001 of it over
#: main's 334); with each topic's words too, 0.005 and 0.03 measured again: 0.03 the better
#: five-cut mean F1 with fewer pieces about none tagged, though the usual cut alone prefers
#: 0.005 (README, round 8); None: no such veto
SUBJECT_FLOOR_SHARE: float | None = 0.03
#: ... and only on a piece of at least this many tokens of title + summary + body as tagged
#: (`vetoable`): a two-line excerpt says too little of its subject (its score moves with a word
#: or two). A pulled excerpt is tagged as title + summary + the summary again (its body), so
#: one with a summary of about 36 words or more reaches it
SUBJECT_MIN_WORDS = 80
#: the words the table names for and against a piece's subject
SUBJECT_WORDS_SHOWN = 3
#: each topic's own words (issue 17, round 8): a ridge regression per topic of "is an example
#: of the topic" (1 or 0) on the same rows of words as the subject, solved with it (one
#: factorisation); its score enters the calibration as the figure "words", times this scale
WORDS_SCALE = 4.0
#: the words the table names for and against a topic
TOPIC_WORDS_SHOWN = 3


@dataclass(frozen=True)
class LabelledPiece:
    """A piece whose topics a person chose: an example for them, and against `against`."""

    name: str  # its path, relative to the repository
    title: str
    summary: str
    body: str
    topics: tuple[str, ...]
    against: tuple[str, ...] = ()

    @property
    def digest(self) -> str:
        text = "\x1f".join((self.title, self.summary, self.body))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _known(slugs: Iterable[str], tagger: Tagger) -> tuple[str, ...]:
    known = set(tagger.slugs)
    return tuple(
        dict.fromkeys(s for s in map(lambda s: tagger.resolve_slug(s)[0], slugs) if s in known)
    )


# `topics: [...]` and `auto_topics: [...]` on one line each, as pull, new and --retag write them.
_FLOW_TOPICS = re.compile(r"^(auto_topics|topics):[ \t]*(\[[^\]\n]*\])[ \t]*$", re.MULTILINE)


def tagger_owned_at_a_glance(text: str) -> bool:
    """True when the front matter plainly says `topics` equals `auto_topics` (most pulled
    pieces): then the piece is no editor's label and its YAML need not be parsed."""
    yaml_text, _body, _line = frontmatter.split(text)
    if yaml_text is None:
        return False
    found = {m.group(1): m.group(2) for m in _FLOW_TOPICS.finditer(yaml_text)}
    return len(found) == 2 and found["topics"] == found["auto_topics"]


def read_labelled(path: Path, name: str, tagger: Tagger, *, key: str) -> LabelledPiece | None:
    """A labelled piece from `key` (expected_topics, or an editor's topics), None if unlabelled."""
    try:
        with open(path, encoding="utf-8") as file:  # the plain call: this runs for every piece
            text = file.read()
    except (OSError, UnicodeDecodeError):
        text = frontmatter.read_text(path, name)  # raises the error as a FrontMatterError
    if key == "topics" and tagger_owned_at_a_glance(text):
        return None
    doc = frontmatter.parse(text, path=name, with_lines=False)
    topics = slug_list(doc.meta.get(key))
    if topics is None:
        return None
    against: tuple[str, ...] = ()
    if key == "topics":
        auto = slug_list(doc.meta.get("auto_topics"))
        if auto is not None and auto == topics:
            return None  # the tagger's own choice: not an editor's label
        against = tuple(s for s in _known(auto or [], tagger) if s not in _known(topics, tagger))
    return LabelledPiece(
        name,
        meta_text(doc.meta, "title"),
        meta_text(doc.meta, "summary"),
        doc.body,
        _known(topics, tagger),
        against,
    )


def labelled_pieces(root: Path, tagger: Tagger) -> tuple[list[LabelledPiece], list[Problem]]:
    """The repository's labelled examples and the hub's editor-labelled pieces, in a fixed order."""
    root = root.absolute()  # names are cut from the paths: "." would lose their first letters
    pieces: list[LabelledPiece] = []
    problems: list[Problem] = []
    sources: list[tuple[Path, str]] = []
    for folder in EXAMPLE_DIRS:
        base = root / folder
        if base.is_dir():
            sources += [
                (p, "expected_topics")
                for p in sorted(base.rglob("*.md"))
                if not HELD_OUT & set(p.relative_to(base).parts) and not p.name.startswith(".")
            ]
    sources += [(p, "topics") for p in piece_files(root / "docs")]
    prefix = len(str(root)) + 1  # every path here starts with root: no pathlib per file
    for path, key in sources:
        name = str(path)[prefix:].replace(os.sep, "/")
        try:
            piece = read_labelled(path, name, tagger, key=key)
        except FrontMatterError as exc:
            problems.append(exc.problem(" (not used as an example)"))
            continue
        if piece is not None:
            pieces.append(piece)
    return pieces, problems


def editor_labelled(pieces: Sequence[LabelledPiece]) -> list[LabelledPiece]:
    """The pieces under docs/: the hub's own editors' labels."""
    return [p for p in pieces if p.name.startswith("docs/")]


# --- meaning of a piece --------------------------------------------------------------------


def piece_vector(embedder: Embedder, title: str, summary: str, body: str) -> Vectors:
    """One unit vector for a piece: its title, summary and body (all its words), weighted."""
    return parts_vector(embedder, tokens(title, summary, body))


def parts_vector(embedder: Embedder, parts: Parts) -> Vectors:
    """`piece_vector` of a piece already split into words by the tagger."""
    vectors = embedder.embed_words(parts)
    weights = np.array(PART_WEIGHTS, dtype=np.float32)[:, None]
    return unit((weights * vectors).sum(axis=0))  # numpy's own sum: a fixed order, no BLAS threads


def body_passages(embedder: Embedder, body: Sequence[str]) -> Vectors:
    """One unit vector per PASSAGE_WORDS words of a piece's body (its words, as `tokens` gives
    them): the one recipe of the passages, for tagging and for cross-validation."""
    return embedder.embed_words(passages(body, PASSAGE_WORDS))


def piece_passages(embedder: Embedder, piece: LabelledPiece) -> Vectors:
    """`body_passages` of a labelled piece."""
    return body_passages(embedder, tokens("", "", piece.body)[2])


def recipe(model: str = MODEL_NAME) -> str:
    """What profiles depend on besides the examples: the model and how a piece is embedded."""
    return f"{model}|parts {PART_WEIGHTS}|{RECIPE_VERSION}"


def example_vectors(embedder: Embedder, pieces: Sequence[LabelledPiece]) -> Vectors:
    """One unit vector per piece (embedding is cheap: the profiles, not the vectors, are cached)."""
    rows = [piece_vector(embedder, p.title, p.summary, p.body) for p in pieces]
    return np.array(rows, dtype=np.float32).reshape(len(rows), -1)


# --- rules' view of a piece -------------------------------------------------------------------


#: a piece's words (the rules' stemmed keys) and how often each comes, weighted by place
Words = Mapping[str, int]


def counted_words(parts: Parts) -> Words:
    """A piece's words (`token_key`) and their counts, a word in the title or summary counting
    more (WORDS_PLACES): what the subject and each topic's words are scored on."""
    title, summary, body = WORDS_PLACES
    found = Counter(map(token_key, parts[2]))  # counted in C: the body has the most words
    if body != 1:
        for key in found:
            found[key] *= body
    for weight, words in ((title, parts[0]), (summary, parts[1])):
        for key in map(token_key, words):
            found[key] += weight
    found.pop("&", None)
    return found


@dataclass(frozen=True)
class RuleView:
    """What the rules say of one piece, per topic (in the tagger's topic order), and its words."""

    strength: npt.NDArray[np.float64]  # rule score / the topic's threshold
    qualifies: npt.NDArray[np.bool_]
    excluded: npt.NDArray[np.bool_]
    scores: Mapping[str, TopicScore]
    cues: npt.NDArray[np.float64]  # the topic's cue score (context applied)
    parts: Parts = ([], [], [])  # the piece's words, as `tokens` gives them

    @cached_property
    def words(self) -> Words:
        """The piece's words for the subject and the topics' words (`counted_words`), counted
        when first asked."""
        return counted_words(self.parts)

    @property
    def length(self) -> int:
        """How many words the piece has."""
        return sum(len(part) for part in self.parts)


def rule_view(tagger: Tagger, title: str, summary: str, body: str) -> RuleView:
    return parts_rule_view(tagger, tokens(title, summary, body))


def parts_rule_view(tagger: Tagger, parts: Parts) -> RuleView:
    """`rule_view` of a piece already split into words."""
    index = {slug: i for i, slug in enumerate(tagger.slugs)}
    strength = np.zeros(len(index))
    cues = np.zeros(len(index))
    qualifies = np.zeros(len(index), dtype=bool)
    excluded = np.zeros(len(index), dtype=bool)
    scores: dict[str, TopicScore] = {}
    for score, ok, masked in tagger.assess_tokens(parts):
        i = index[score.slug]
        strength[i] = score.score / tagger.topics[i].threshold
        cues[i] = score.cue_score
        qualifies[i], excluded[i] = ok, masked
        if score.score > 0 or score.cue_score > 0:
            scores[score.slug] = score
    return RuleView(strength, qualifies, excluded, scores, cues, parts)


def vetoable(length: int) -> bool:
    """Whether the subject can veto a piece of `length` tokens of title + summary + body as
    tagged (at least SUBJECT_MIN_WORDS), and so whether it is judged by the calibration fitted
    without the pieces about none the veto keeps untagged (else by the short pieces' one). A
    pulled excerpt is tagged as title + summary + the summary again, so one with a summary of
    about 36 words or more is vetoable."""
    return length >= SUBJECT_MIN_WORDS


# --- profiles ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profiles:
    """Every topic's profile and the calibration: small arrays, cheap to send to a worker."""

    model: str
    slugs: tuple[str, ...]
    #: (topics, dims): each topic's direction in meaning, a ridge regression of "is an example
    #: of the topic" on the examples' vectors (its intercept is folded into `centre`)
    direction: Vectors
    centre: npt.NDArray[np.float64]  # (topics,): mean and spread of the examples' meaning scores
    spread: npt.NDArray[np.float64]
    #: one per FIGURES, shared by the topics: the prior each topic's own are pulled towards (a
    #: topic without examples takes them as they are). Not read when tagging, which reads
    #: `topic_weights`; kept, like `short_weights`, to show and check the fit (the tests do)
    weights: tuple[float, ...]
    topic_weights: npt.NDArray[np.float64]  # (topics, FIGURES): each topic's own, near `weights`
    thresholds: tuple[float, ...]  # per topic, on the calibrated confidence
    examples: npt.NDArray[np.float16]  # (examples, dims)
    labels: npt.NDArray[np.int8]  # (examples, topics): 1 for, -1 removed by an editor, 0 neither
    names: tuple[str, ...]
    #: the words' vocabulary and idf (the subject's and each topic's words), then the subject's
    #: weights and its intercept (`word_scores`)
    word_vocabulary: tuple[str, ...] = ()
    word_idf: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    subject_weights: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    subject_bias: float = 0.5
    #: a topic its confidence would give (not a strong rule) is vetoed under this subject score
    subject_floor: float = -math.inf
    #: the calibration of a short piece, which the subject cannot veto (not `vetoable`: under
    #: SUBJECT_MIN_WORDS tokens of title + summary + body as tagged; a pulled excerpt's summary
    #: counts twice, so one with a summary of about 36 words or more is judged as a long piece,
    #: with the subject's veto), fitted on every example: `weights`, `topic_weights` and
    #: `thresholds` are fitted without the pieces about none that the veto keeps untagged,
    #: which a short piece lacks (`teaches_calibration`); empty: one calibration for every piece
    short_weights: tuple[float, ...] = ()
    short_topic_weights: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 0)))
    short_thresholds: tuple[float, ...] = ()
    #: each topic's own words, on `word_vocabulary`: (words, topics) weights and (topics,)
    #: intercepts (`word_scores`)
    word_weights: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 0)))
    word_bias: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    key: str = field(default="")

    def __getstate__(self) -> dict[str, Any]:
        """The fields only: what a used profile worked out and keeps (`word_rows`,
        `examples32`, ...) is worked out again where it is unpickled, so the profiles sent to
        each worker stay as small as when built."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @cached_property
    def word_index(self) -> dict[str, int]:
        """Each word of the words' vocabulary and its row in `word_rows`."""
        return {w: i for i, w in enumerate(self.word_vocabulary)}

    @cached_property
    def word_rows(self) -> npt.NDArray[np.float64]:
        """Each word's row in a (words, 2 + topics) table: its idf, then idf x its weight for
        the subject and for each topic, so that one lookup a word gives all its parts."""
        idf = self.word_idf[:, None]
        shape = (len(idf), len(self.slugs))
        # no vocabulary (no word used by two examples): a table of no rows, not a crash
        own = self.word_weights if self.word_weights.shape == shape else np.zeros(shape)
        weights = np.hstack([self.subject_weights.reshape(-1, 1), own])
        return np.hstack([idf, idf * weights])

    @cached_property
    def word_intercepts(self) -> npt.NDArray[np.float64]:
        """Each topic's words intercept (topics,): 0 for profiles without topic words."""
        topics = (len(self.slugs),)
        bias = self.word_bias
        out = np.array(bias, dtype=np.float64) if bias.shape == topics else np.zeros(topics)
        out.flags.writeable = False  # shared by every piece without a known word
        return out

    def calibration(self, length: int) -> tuple[npt.NDArray[np.float64], tuple[float, ...]]:
        """(topic weights, thresholds) for a piece of `length` tokens: the short pieces' one for
        a piece the subject never vetoes (not `vetoable`), if there is one."""
        if not vetoable(length) and self.short_thresholds:
            return self.short_topic_weights, self.short_thresholds
        return self.topic_weights, self.thresholds

    @cached_property
    def taught(self) -> npt.NDArray[np.bool_]:
        """Topics with at least MIN_EXAMPLES examples: the others are left to the rules."""
        return np.asarray((self.labels == 1).sum(axis=0) >= MIN_EXAMPLES)

    @cached_property
    def examples32(self) -> Vectors:
        """The examples as float32, converted once per process (they travel as float16)."""
        return self.examples.astype(np.float32)


def word_scores(profiles: Profiles, words: Words) -> tuple[float, npt.NDArray[np.float64]]:
    """A piece's subject score (about 1 for a piece like the examples about a topic, about 0
    for one like those about none) and each topic's words score (topics,) (about 1 for a piece
    worded like the topic's examples, about 0 otherwise): one pass over its words, a lookup a
    word giving all its parts at once (`word_terms` says which weighed)."""
    get = profiles.word_index.get
    found = [(i, n) for i, n in ((get(w), n) for w, n in words.items()) if i is not None]
    if not found:  # before the table: an empty vocabulary's is never built
        return profiles.subject_bias, profiles.word_intercepts.copy()
    table = profiles.word_rows
    rows = table[[i for i, _n in found]]
    counts = np.log1p(np.array([n for _i, n in found], dtype=np.float64))
    # einsum without BLAS: sums in a fixed order for the same numpy build
    weighted = counts * rows[:, 0]
    norm = math.sqrt(float(np.einsum("w,w->", weighted, weighted)))
    scores = np.einsum("w,wt->t", counts, rows[:, 1:]) / norm
    return profiles.subject_bias + float(scores[0]), profiles.word_intercepts + scores[1:]


def word_terms(profiles: Profiles, words: Words, column: int) -> list[tuple[str, float]]:
    """Each of the piece's words and its part in a score of `word_scores`, the subject's
    (`column` 0) or topic t's (column 1 + t): they sum to the score less its intercept."""
    index, table = profiles.word_index, profiles.word_rows
    found = [(w, math.log1p(n), table[index[w]]) for w, n in words.items() if w in index]
    norm = math.sqrt(sum((count * float(row[0])) ** 2 for _w, count, row in found))
    return [(w, count * float(row[1 + column]) / norm) for w, count, row in found]


def subject_terms(profiles: Profiles, words: Words) -> list[tuple[str, float]]:
    """Each of the piece's subject words and its part in its subject score (`word_scores`: they
    sum to the score less the bias)."""
    return word_terms(profiles, words, 0)


class Spellings:
    """The piece's words as it writes them ("IT", "scoring"), by `token_key`: found once per
    piece and only when asked for, its words read in order only until those asked for are."""

    def __init__(self, parts: Parts) -> None:
        self._unread = chain.from_iterable(parts)  # read lazily: most pieces never are
        self._written: dict[str, str] = {}

    def written(self, keys: Iterable[str]) -> list[str]:
        """Each key as the piece first writes it (the key itself if it does not)."""
        keys = list(keys)
        missing = {k for k in keys if k not in self._written}
        while missing:
            word = next(self._unread, None)
            if word is None:
                break
            key = token_key(word)
            if key not in self._written:  # "IT" and "I" stay in capitals, "Bank's" is "bank"
                capitals = word[1:] != word[1:].lower() or word == "I"
                self._written[key] = re.sub(r"['’]s$", "", word if capitals else word.lower())
                missing.discard(key)
        return [self._written.get(k, k) for k in keys]


def top_words(
    terms: Iterable[tuple[str, float]], spellings: Spellings, shown: int, *, pro_first: bool = False
) -> str:
    """'against hospital, ward; for wait, one': the words that weighed most each way, each as
    the piece first writes it (not its stem)."""
    ranked = sorted(terms, key=lambda pair: (pair[1], pair[0]))
    sides = [
        ("against", [w for w, v in ranked if v < 0][:shown]),
        ("for", [w for w, v in reversed(ranked) if v > 0][:shown]),
    ]
    if pro_first:
        sides.reverse()
    return "; ".join(
        f"{side} {', '.join(spellings.written(found))}" for side, found in sides if found
    )


def _subject_words(profiles: Profiles, words: Words, spellings: Spellings) -> str:
    """The words that weighed most each way in the piece's subject score, as it writes them."""
    return top_words(subject_terms(profiles, words), spellings, SUBJECT_WORDS_SHOWN)


@dataclass(frozen=True)
class WordModels:
    """The regressions on the examples' words: the subject and each topic's own, one solve."""

    vocabulary: tuple[str, ...]
    idf: npt.NDArray[np.float64]
    subject_weights: npt.NDArray[np.float64]  # (words,)
    subject_bias: float
    subject: npt.NDArray[np.float64]  # (examples,): each one's subject score, itself left out
    topic_weights: npt.NDArray[np.float64]  # (words, topics)
    topic_bias: npt.NDArray[np.float64]  # (topics,)
    topics: npt.NDArray[np.float64]  # (examples, topics): each one's words scores, left out


def _word_models(
    pieces: Sequence[Words], about: npt.NDArray[np.bool_], truth: npt.NDArray[np.bool_]
) -> WordModels:
    """The subject's ridge regression ("is about one of the topics") and each topic's ("is an
    example of the topic") on the pieces' words, solved together: one factorisation, 1 + topics
    right-hand sides."""
    vocabulary, idf, X = _word_table(pieces)
    topics = truth.shape[1]
    if not vocabulary:
        return WordModels(
            vocabulary, idf, np.zeros(0), 0.5, np.full(len(pieces), 0.5),
            np.zeros((0, topics)), np.zeros(topics), np.zeros((len(pieces), topics)),
        )  # fmt: skip
    targets = np.column_stack([about, truth]).astype(np.float64)
    w, left_out = _ridge(X, targets, WORDS_RIDGE)
    return WordModels(
        vocabulary, idf, w[:-1, 0], float(w[-1, 0]), left_out[:, 0],
        w[:-1, 1:], w[-1, 1:], left_out[:, 1:],
    )  # fmt: skip


def subject_floor(scores: npt.NDArray[np.float64], counted: npt.NDArray[np.bool_]) -> float:
    """The veto's floor: the score of all but SUBJECT_FLOOR_SHARE of the counted examples
    (about a topic, `vetoable`: shorter ones are never vetoed and their noisy scores must not
    set it), interpolated, so that one example more or fewer barely moves it; -inf (no veto)
    without such examples or SUBJECT_FLOOR_SHARE."""
    if SUBJECT_FLOOR_SHARE is None or not counted.any():
        return -math.inf
    return float(np.quantile(scores[counted], SUBJECT_FLOOR_SHARE, method="linear"))


def teaches_calibration(
    about: npt.NDArray[np.bool_],
    long: npt.NDArray[np.bool_],
    labels: npt.NDArray[np.int8],
    subject: npt.NDArray[np.float64],
    floor: float,
) -> npt.NDArray[np.bool_]:
    """The examples the calibration of pieces the subject can veto is fitted on (round 8): all
    but the pieces about none that the subject vetoes (`vetoable`, their left-out score under
    the floor) and that no editor corrected (a topic an editor removed always teaches its
    calibration). The veto keeps such a piece untagged whatever its
    confidence, so it need not teach the calibration to distrust the topics' words; the pieces
    about none that the veto lets through still do, and so do the pieces about a topic under
    the floor (kept: the veto would cost them their topics, and they teach what a topic looks
    like). A short piece (not `vetoable`) is never vetoed: its calibration is fitted on every
    example (`Profiles.calibration`)."""
    vetoed = ~about & long & (subject < floor) & ~(labels == -1).any(axis=1)
    return np.asarray(~vetoed)


#: how many numbers a dense block of `WordRows` may hold (32 MB of float64), so that the
#: words' regressions never hold the whole examples x words table at once
RIDGE_BLOCK = 4_000_000


@dataclass(frozen=True)
class WordRows:
    """The words' table, which the subject's and each topic's regressions share: one row per
    piece and one column per word (the last: 1, the intercept), kept sparse (a piece uses a few
    hundred of the thousands of words): the rows' columns and values, row after row
    (`starts[i]:starts[i + 1]` are row i's)."""

    starts: npt.NDArray[np.int64]
    columns: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]
    width: int

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.starts) - 1, self.width

    @cached_property
    def row_of(self) -> npt.NDArray[np.int64]:
        """Each stored value's row."""
        return np.repeat(np.arange(self.shape[0]), np.diff(self.starts))

    def cols(self, start: int, stop: int) -> npt.NDArray[np.float64]:
        """Columns start..stop of every row as a dense block."""
        keep = (self.columns >= start) & (self.columns < stop)
        out = np.zeros((self.shape[0], stop - start))
        out[self.row_of[keep], self.columns[keep] - start] = self.values[keep]
        return out

    def transpose_times(self, v: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """X.T @ v (v: rows, or rows x columns), summed in the rows' order."""

        def product(c: npt.NDArray[np.float64]) -> npt.NDArray[Any]:
            return np.bincount(self.columns, self.values * c[self.row_of], minlength=self.width)

        return _each_column(v, product)

    def times(self, w: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """X @ w (w: words, or words x columns)."""

        def product(c: npt.NDArray[np.float64]) -> npt.NDArray[Any]:
            return np.bincount(self.row_of, self.values * c[self.columns], minlength=self.shape[0])

        return _each_column(w, product)


def _each_column(
    v: npt.NDArray[np.float64],
    product: Callable[[npt.NDArray[np.float64]], npt.NDArray[Any]],
) -> npt.NDArray[np.float64]:
    """`product` of v, or of each of v's columns side by side (one at a time: never a stored
    value x columns array)."""
    if v.ndim == 1:
        return np.asarray(product(v), dtype=np.float64)
    return np.column_stack([product(v[:, j]) for j in range(v.shape[1])]).astype(np.float64)


def _word_table(
    pieces: Sequence[Words],
) -> tuple[tuple[str, ...], npt.NDArray[np.float64], WordRows]:
    """(the words used by WORDS_MIN_EXAMPLES pieces, their idf, one row per piece: its
    words' log counts x idf, unit length, then 1 for the intercept)."""
    seen = Counter(w for words in pieces for w in words)
    vocabulary = tuple(sorted(w for w, n in seen.items() if n >= WORDS_MIN_EXAMPLES))
    index = {w: i for i, w in enumerate(vocabulary)}
    counts = np.array([seen[w] for w in vocabulary], dtype=np.float64)
    idf = np.log((1.0 + len(pieces)) / (1.0 + counts)) + 1.0
    starts, columns, values = [0], [], []
    for words in pieces:
        found = sorted(
            (i, n) for i, n in ((index.get(w), n) for w, n in words.items()) if i is not None
        )
        row = np.array([math.log1p(n) * idf[i] for i, n in found])
        norm = float(np.linalg.norm(row)) if len(row) else 0.0
        # the intercept last, penalised like the words (small beside the examples)
        columns += [*(i for i, _n in found), len(vocabulary)]
        values += [*(row / (norm if norm > 0 else 1.0)).tolist(), 1.0]
        starts.append(len(columns))
    return (
        vocabulary,
        idf,
        WordRows(
            np.array(starts, dtype=np.int64),
            np.array(columns, dtype=np.int64),
            np.array(values, dtype=np.float64),
            len(vocabulary) + 1,
        ),
    )


def _ridge(
    X: WordRows, y: npt.NDArray[np.float64], ridge: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """A ridge regression of y (rows, or rows x targets: one factorisation for them all) on X's
    rows: (the weights, words or words x targets; each row's fitted value with itself left out,
    exactly, for every target: no refit per row). Solved in its dual form (rows x rows) while
    there are no more rows than words, else in its primal form (words x words): the same
    results, in time rows x words x the smaller of the two, and memory the smaller squared."""
    rows, words = X.shape
    return (_dual_ridge if rows <= words else _primal_ridge)(X, y, ridge)


def _dual_ridge(
    X: WordRows, y: npt.NDArray[np.float64], ridge: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """`_ridge` in its dual form: with K = X X' + ridge I and a = K^-1 y, the weights are X' a
    and a row's residual with itself left out is a_i / (K^-1)_ii (no hat matrix: it is
    I - ridge K^-1)."""
    rows, words = X.shape
    step = max(1, RIDGE_BLOCK // max(rows, 1))
    gram = np.zeros((rows, rows))
    for start in range(0, words, step):  # words a block at a time, in a fixed order
        block = X.cols(start, min(start + step, words))
        gram += block @ block.T
    gram[np.diag_indices(rows)] += ridge
    inverse = np.linalg.inv(gram)
    del gram
    a = inverse @ y
    diagonal = np.maximum(ridge * np.diag(inverse), 1e-6).reshape((-1,) + (1,) * (y.ndim - 1))
    return X.transpose_times(a), y - ridge * a / diagonal


def _primal_ridge(
    X: WordRows, y: npt.NDArray[np.float64], ridge: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """`_ridge` in its primal form: w = (X' X + ridge I)^-1 X' y, and a row's leverage
    x_i' (X' X + ridge I)^-1 x_i gives its left-out value. Both sums go row by row over the
    words a row uses (a few hundred of thousands): no dense product with the whole table."""
    rows, words = X.shape
    inner = np.zeros((words, words))
    spans = list(pairwise(X.starts.tolist()))
    for lo, hi in spans:
        used, values = X.columns[lo:hi], X.values[lo:hi]
        inner[np.ix_(used, used)] += np.outer(values, values)  # a row's columns are distinct
    inner[np.diag_indices(words)] += ridge
    inverse = np.linalg.inv(inner)
    del inner
    w = inverse @ X.transpose_times(y)
    leverage = np.array(
        [
            X.values[lo:hi] @ inverse[np.ix_(X.columns[lo:hi], X.columns[lo:hi])] @ X.values[lo:hi]
            for lo, hi in spans
        ]
    ).reshape((rows,) + (1,) * (y.ndim - 1))
    left_out = (X.times(w) - leverage * y) / np.maximum(1.0 - leverage, 1e-6)
    return w, left_out


def _features(
    meaning: npt.NDArray[np.float64],
    nearest: npt.NDArray[np.float64],
    strength: npt.NDArray[np.float64],
    cues: npt.NDArray[np.float64],
    words: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """(..., topics, len(FIGURES)) figures: log(1 + rule score / threshold), log(1 + cue
    score), meaning, its lead over the best other topic, nearest example, the topic's words
    score (x WORDS_SCALE), 1 (the bias)."""
    topics = meaning.shape[-1]
    if topics > 1:
        ordered = np.sort(meaning, axis=-1)
        best, second = ordered[..., -1:], ordered[..., -2:-1]
        others = np.where(meaning >= best, second, best)
    else:
        others = np.zeros_like(meaning)
    return np.stack(
        [
            np.log1p(strength),
            np.log1p(cues),
            meaning,
            meaning - others,
            nearest,
            WORDS_SCALE * words,
            np.ones_like(meaning),
        ],
        axis=-1,
    )


def _sigmoid(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(x, -40, 40))))


def _fit_logistic(
    X: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    w_sample: npt.NDArray[np.float64],
    *,
    prior: npt.NDArray[np.float64] | None = None,
    ridge: float = RIDGE,
) -> npt.NDArray[np.float64]:
    """Ridge logistic regression by Newton's method: deterministic, no random start. With a
    `prior`, the weights (the bias too) are pulled towards it rather than towards 0."""
    dims = X.shape[1]
    penalty = np.full(dims, ridge)
    centre = np.zeros(dims) if prior is None else prior
    if prior is None:
        penalty[-1] = 0.0
    w = centre.copy()
    for _ in range(NEWTON_STEPS):
        p = _sigmoid(X @ w)
        grad = X.T @ (w_sample * (p - y)) + penalty * (w - centre)
        hess = (X.T * (w_sample * p * (1 - p))) @ X + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        w = w - step
        if np.abs(step).max() < NEWTON_TOLERANCE:  # converged (Newton's method: a few steps)
            break
    return w


def _threshold(confidence: npt.NDArray[np.float64], truth: npt.NDArray[np.bool_]) -> float:
    """The confidence with the best F-beta (THRESHOLD_BETA) on these pieces (the lowest of
    equals), halfway back to 0.5 (small samples)."""
    if not truth.any():
        return 1.0
    ordered = np.sort(confidence)
    cuts = np.unique(ordered)
    below = np.searchsorted(ordered, cuts, side="left")  # pieces under each cut
    true_below = np.concatenate([[0], np.cumsum(truth[np.argsort(confidence, kind="stable")])])
    tp = true_below[-1] - true_below[below]
    said = len(ordered) - below
    beta2 = THRESHOLD_BETA**2
    f = (1 + beta2) * tp / (said + beta2 * truth.sum())
    best = float(cuts[int(np.argmax(f > f.max() - 1e-12))])
    return (best + 0.5) / 2


def _ridge_meaning(
    E: Vectors, labels: npt.NDArray[np.int8]
) -> tuple[Vectors, npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Each topic's direction in meaning: a ridge regression of "is an example of the topic"
    (1 or 0) on the examples' vectors, all topics at once. Returns the directions (topics,
    dims), the intercepts (topics,) and each example's score with itself left out (examples,
    topics), exactly, from the hat matrix: no refit per example."""
    X = np.hstack([E.astype(np.float64), np.ones((len(E), 1))])
    Y = (labels == 1).astype(np.float64)
    penalty = np.full(X.shape[1], MEANING_RIDGE)
    penalty[-1] = 0.0  # the intercept is not pulled towards 0
    inverse = np.linalg.inv(X.T @ X + np.diag(penalty))
    W = inverse @ (X.T @ Y)  # (dims + 1, topics)
    leverage = ((X @ inverse) * X).sum(axis=1)[:, None]
    left_out = (X @ W - leverage * Y) / np.maximum(1.0 - leverage, 1e-6)
    return W[:-1].T.astype(np.float32), W[-1], left_out


def _loo_nearest(E: Vectors, labels: npt.NDArray[np.int8]) -> npt.NDArray[np.float64]:
    """Each example's nearest-example figure with itself left out."""
    E64 = E.astype(np.float64)
    sims = E64 @ E64.T
    np.fill_diagonal(sims, -np.inf)
    return _nearest(sims, labels)


def _nearest(
    sims: npt.NDArray[np.float64], labels: npt.NDArray[np.int8]
) -> npt.NDArray[np.float64]:
    """(pieces, topics): similarity to the closest example for the topic minus to the closest
    other example (0 for a topic without examples, or without others)."""
    member = (labels == 1)[None, :, :]  # (1, examples, topics)
    out = np.zeros((sims.shape[0], labels.shape[1]))
    for start in range(0, sims.shape[0], NEAREST_ROWS):  # bounded memory for large hubs
        column = sims[start : start + NEAREST_ROWS, :, None]  # (rows, examples, 1)
        closest = np.where(member, column, -np.inf).max(axis=1, initial=-np.inf)
        other = np.where(member, -np.inf, column).max(axis=1, initial=-np.inf)
        with np.errstate(invalid="ignore"):  # no example on one side: -inf - -inf, set to 0 below
            out[start : start + NEAREST_ROWS] = closest - other
    return np.where(np.isfinite(out), out, 0.0)


_DOCUMENTED = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def tree_text(node: ast.AST) -> str:
    """A syntax tree as text, the same on Python 3.11-3.13 for the same source: its nodes and
    fields, leaving out fields that are None or empty lists (3.12 added `type_params`, 3.13's
    `ast.dump` leaves out defaults) and docstrings. Written by hand: `ast.dump` differs between
    versions and no library gives a version-neutral form."""
    fields = []
    for name, value in ast.iter_fields(node):
        if value is None or (isinstance(value, list) and not value):
            continue
        if isinstance(value, list):
            items = value
            if (
                name == "body"
                and isinstance(node, _DOCUMENTED)
                and ast.get_docstring(node, clean=False) is not None
            ):
                items = items[1:]
            text = (
                "["
                + ",".join(tree_text(v) if isinstance(v, ast.AST) else repr(v) for v in items)
                + "]"
            )
        elif isinstance(value, ast.AST):
            text = tree_text(value)
        else:
            text = f"{type(value).__name__}:{value!r}"
        fields.append(f"{name}={text}")
    return f"{type(node).__name__}({','.join(fields)})"


@lru_cache(maxsize=1)
def code_digest() -> str:
    """A hash of the code of DECIDING_MODULES: their syntax trees (`tree_text`: not comments,
    docstrings or layout). A module installed without its source is named by the package's
    version instead (its compiled code holds file paths). Once a process (0.05 s)."""
    digest = hashlib.sha256()
    for name in DECIDING_MODULES:
        spec = importlib.util.find_spec(name)
        loader = spec.loader if spec is not None else None
        source = (
            loader.get_source(name) if isinstance(loader, importlib.abc.InspectLoader) else None
        )
        code = (
            tree_text(ast.parse(source))
            if source is not None
            else f"no source: channelhub {installed_version('channelhub')}"
        )
        digest.update(name.encode("utf-8") + b"\x1f" + code.encode("utf-8") + b"\x1e")
    return digest.hexdigest()[:16]


def profile_key(model: str, rules: Tagger, pieces: Sequence[LabelledPiece]) -> str:
    """Names everything a set of profiles depends on: the recipe and its constants, the code
    that decides (`code_digest`), the topics' rules (their scores are a figure) and every
    example's text and labels."""
    settings = (
        STRONG_RULE,
        AGAINST_WEIGHT,
        RIDGE,
        MEANING_RIDGE,
        THRESHOLD_FOLDS,
        THRESHOLD_REPEATS,
        THRESHOLD_BETA,
        TOPIC_RIDGE,
        BEHIND_FIRST,
        OWN_PASSAGES,
        PASSAGE_WORDS,
        MIN_EXAMPLES,
        NEWTON_STEPS,
        NEWTON_TOLERANCE,
        FIGURES,
        WORDS_RIDGE,
        WORDS_MIN_EXAMPLES,
        WORDS_PLACES,
        SUBJECT_FLOOR_SHARE,
        SUBJECT_MIN_WORDS,
        WORDS_SCALE,
        RIDGE_BLOCK,  # the Gram matrix's sums in other blocks: the same to a rounding error
    )
    basis = "\x1e".join(
        [recipe(model), repr(settings), code_digest(), repr(rules.topics)]
        + [f"{p.digest}:{','.join(p.topics)}:{','.join(p.against)}" for p in pieces]
    )
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16]


def _fold(name: str, folds: int) -> int:
    """The fold of a labelled piece: a hash of its name, the same in every process."""
    return int(hashlib.sha256(name.encode("utf-8")).hexdigest(), 16) % folds


def _calibrate(
    X: npt.NDArray[np.float64], truth: npt.NDArray[np.bool_], sample: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The shared weights, fitted for all topics together, and each topic's own, pulled
    towards the shared ones (few examples a topic); X is (examples, topics, FIGURES)."""
    weights = _fit_logistic(
        X.reshape(-1, X.shape[-1]), truth.reshape(-1).astype(np.float64), sample.reshape(-1)
    )
    topic_weights = np.array(
        [
            _fit_logistic(
                X[:, t],
                truth[:, t].astype(np.float64),
                sample[:, t],
                prior=weights,
                ridge=TOPIC_RIDGE,
            )
            if truth[:, t].any()
            else weights
            for t in range(truth.shape[1])
        ]
    ).reshape(truth.shape[1], X.shape[-1])
    return weights, topic_weights


def _fitted_calibration(
    X: npt.NDArray[np.float64],
    truth: npt.NDArray[np.bool_],
    sample: npt.NDArray[np.float64],
    names: Sequence[str],
    across_folds: bool,
) -> tuple[tuple[float, ...], npt.NDArray[np.float64], tuple[float, ...]]:
    """(shared weights, each topic's weights, each topic's threshold) fitted on these examples'
    figures (`names` put them in the thresholds' folds; `across_folds`: the thresholds on
    out-of-fold confidences, else on the fitted ones)."""
    weights, topic_weights = _calibrate(X, truth, sample)
    said, truths = [_sigmoid((X * topic_weights).sum(axis=-1))], [truth]
    if across_folds:
        # the thresholds on confidences from calibrations fitted without the piece (its fold;
        # "threshold" in the hash keeps these folds apart from cross_validate's), pooled over
        # THRESHOLD_REPEATS ways of cutting the folds (one way alone moves them by chance)
        said, truths = [], []
        for repeat in range(THRESHOLD_REPEATS):
            fold = np.array([_fold(f"threshold{repeat}:{n}", THRESHOLD_FOLDS) for n in names])
            out_of_fold = np.zeros(truth.shape)
            for f in range(THRESHOLD_FOLDS):
                fitted, test = fold != f, fold == f
                if test.any():
                    _shared, own = _calibrate(X[fitted], truth[fitted], sample[fitted])
                    out_of_fold[test] = _sigmoid((X[test] * own).sum(axis=-1))
            said.append(out_of_fold)
            truths.append(truth)
    pooled, pooled_truth = np.concatenate(said), np.concatenate(truths)
    topics = truth.shape[1]
    thresholds = tuple(_threshold(pooled[:, t], pooled_truth[:, t]) for t in range(topics))
    return tuple(float(w) for w in weights), topic_weights, thresholds


def build_profiles(
    model: str,
    slugs: Sequence[str],
    pieces: Sequence[LabelledPiece],
    vectors: Vectors,
    rules: Sequence[RuleView],
    key: str = "",
) -> Profiles:
    """Profiles and calibration from labelled pieces (their vectors and what the rules say of them)."""
    topics = len(slugs)
    labels = np.zeros((len(pieces), topics), dtype=np.int8)
    index = {s: i for i, s in enumerate(slugs)}
    for row, piece in enumerate(pieces):
        for slug in piece.against:
            labels[row, index[slug]] = -1
        for slug in piece.topics:
            labels[row, index[slug]] = 1
    E = vectors.astype(np.float32)
    direction, intercept, meaning = _ridge_meaning(E, labels)
    nearest = _loo_nearest(E, labels)
    centre = meaning.mean(axis=0) if len(pieces) else np.zeros(topics)
    spread = meaning.std(axis=0) + 1e-6 if len(pieces) else np.ones(topics)
    strength = np.array([r.strength for r in rules]).reshape(len(pieces), topics)
    cues = np.array([r.cues for r in rules]).reshape(len(pieces), topics)
    about = np.array([bool(p.topics) for p in pieces], dtype=bool)
    truth = labels == 1
    words = _word_models([r.words for r in rules], about, truth)
    X = _features((meaning - centre) / spread, nearest * 10, strength, cues, words.topics)
    long = np.array([vetoable(r.length) for r in rules], dtype=bool)
    floor = subject_floor(words.subject, about & long)
    sample = np.where(labels == -1, AGAINST_WEIGHT, 1.0)
    # the veto comes first: a piece about none that it would veto teaches the calibration of
    # the pieces it can veto nothing (its words, not its confidence, keep it untagged); a short
    # piece, which it never vetoes, keeps a calibration fitted on every example
    reaches = teaches_calibration(about, long, labels, words.subject, floor)
    names = [p.name for p in pieces]
    # out-of-fold thresholds from as many examples as before the veto came first (a small hub
    # whose pieces the veto thins below it keeps them)
    across_folds = len(pieces) >= 4 * THRESHOLD_FOLDS
    weights, topic_weights, thresholds = _fitted_calibration(
        X[reaches],
        truth[reaches],
        sample[reaches],
        [n for n, r in zip(names, reaches.tolist(), strict=True) if r],
        across_folds,
    )
    short = (weights, topic_weights, thresholds)
    if not reaches.all():
        short = _fitted_calibration(X, truth, sample, names, across_folds)
    return Profiles(
        model=model,
        slugs=tuple(slugs),
        direction=direction,
        # the intercept moves every score alike: folded into the centre they are measured from
        centre=centre - intercept,
        spread=spread,
        weights=weights,
        topic_weights=topic_weights,
        thresholds=thresholds,
        short_weights=short[0],
        short_topic_weights=short[1],
        short_thresholds=short[2],
        examples=E.astype(np.float16),
        labels=labels,
        names=tuple(p.name for p in pieces),
        word_vocabulary=words.vocabulary,
        word_idf=words.idf,
        subject_weights=words.subject_weights,
        subject_bias=words.subject_bias,
        subject_floor=floor,
        word_weights=words.topic_weights,
        word_bias=words.topic_bias,
        key=key,
    )


# --- tagging with rules and profiles ----------------------------------------------------------


@dataclass(frozen=True)
class Judgement:
    """What the tagger decided for one topic of one piece."""

    slug: str
    confidence: float
    given: bool
    rule: TopicScore | None
    #: each figure's part in the confidence (its weight times its value), in FIGURES order
    parts: tuple[float, ...] = ()
    threshold: float = 0.0
    #: why the topic was given or not: "confidence", "strong rule", "exclusion", "rules only",
    #: "behind" (its confidence reached its threshold but is far behind the first topic's),
    #: "own evidence" (under BEHIND_FIRST x the first's confidence, but with evidence of its own)
    reason: str = ""
    #: the rules alone would give the topic (see `Tagger.assess_tokens`)
    qualifies: bool = False
    #: for a topic measured against the first ("behind", "own evidence"): the first topic's
    #: confidence, and the evidence of its own found (or why none was)
    first: float = 0.0
    own: str = ""
    #: the first topic's slug, for the table
    leader: str = ""
    #: the piece's subject score, the floor under which its calibrated topics are vetoed, and
    #: (for a topic vetoed by it, reason "subject") the words that weighed most each way
    subject: float | None = None  # None: not scored (no topic it could veto, or a short piece)
    subject_floor: float = -math.inf
    #: gives `subject_words` (read only by `why` and the table: not worked out for a pull)
    subject_words_of: Callable[[], str] | None = field(default=None, repr=False, compare=False)
    #: the topic's words score (`word_scores`), and (filled in by `HubTagger.explain`) the
    #: piece's words that weighed most for and against it
    words: float | None = None
    topic_words: str = ""

    @cached_property
    def subject_words(self) -> str:
        """For a topic vetoed by the subject, the words that weighed most each way, else ""."""
        return "" if self.subject_words_of is None else self.subject_words_of()

    @property
    def vetoed(self) -> bool:
        """The rules alone would give the topic, but the calibrated confidence says no; or its
        confidence reached its threshold but the piece's subject is not the topics' (`subject`),
        or it is far behind the first topic's, with no evidence of its own."""
        if self.given:
            return False
        return self.reason in ("behind", "subject") or (
            self.qualifies and self.reason == "confidence"
        )

    def why(self) -> str:
        """'confidence 0.81 ≥ 0.52: for cues +2.3, rule strength +1.1; against nearest example
        -0.6' (each figure's weight times its value, those that pushed most each way; the bias
        pulls every topic down), or what decided instead."""
        if self.reason == "exclusion":
            return "an exclusion matched and the rules alone do not give it"
        if self.reason == "rules only":
            return "no labelled examples: the rules alone decide"
        named = sorted(zip(FIGURES[:-1], self.parts[:-1], strict=True), key=lambda f: -abs(f[1]))
        pro = [f"{n} {v:+.1f}" for n, v in named if v > 0.05][:3]
        con = [f"{n} {v:+.1f}" for n, v in named if v < -0.05][:2]
        sign = "≥" if self.confidence >= self.threshold else "<"
        text = f"confidence {self.confidence:.2f} {sign} {self.threshold:.2f}"
        under = self.subject is not None and self.subject < self.subject_floor
        if self.reason == "strong rule":
            if under:  # its confidence alone would not give it under the subject's floor
                text += f", subject {self.subject:.2f} < {self.subject_floor:.2f}"
            text += f", but a rule match {STRONG_RULE:g} times the threshold always counts"
        text += (f": for {', '.join(pro)}" if pro else "") + (
            f"; against {', '.join(con)}" if con else ""
        )
        if self.words is not None and self.topic_words:
            text += f"; its words {self.words:.2f}: {self.topic_words}"
        if self.reason == "subject":
            words = f": {self.subject_words}" if self.subject_words else ""
            text += (
                f". Vetoed: not about the topics' field as the examples about a topic are "
                f"(subject {self.subject:.2f} < {self.subject_floor:.2f}, under all but "
                f"{SUBJECT_FLOOR_SHARE:.1%} of theirs{words})"
            )
        elif (
            self.given
            and self.reason in ("confidence", "own evidence")
            and self.subject is not None
            and not under
        ):
            text += f"; subject {self.subject:.2f} ≥ {self.subject_floor:.2f}"
        leader = f"{self.leader} " if self.leader else ""
        behind = f"under {BEHIND_FIRST:g} x the first topic's confidence ({leader}{self.first:.2f})"
        if self.reason == "own evidence":
            text += f". Kept beside the first: {behind}, but evidence of its own: {self.own}"
        elif self.reason == "behind":
            text += f". Dropped: {behind}, and no evidence of its own: {self.own}"
        return text


#: (passages, topics): each passage's meaning score per topic, standardised as a piece's is
Lean = npt.NDArray[np.float64]


def passage_lean(profiles: Profiles, vectors: Vectors) -> Lean:
    """Where each topic's meaning sits: the passages' scores on the topics' directions."""
    raw = np.einsum("pd,td->pt", vectors, profiles.direction).astype(np.float64)
    return np.asarray((raw - profiles.centre) / profiles.spread)


def judge(
    profiles: Profiles,
    view: RuleView,
    vector: Vectors,
    body: Callable[[], Vectors] | None = None,
) -> list[Judgement]:
    """Every topic's confidence and decision for one piece: an exclusion vetoes a topic the
    rules do not give, a strong rule match always counts, else the calibrated threshold decides
    unless the piece's subject is under the examples' floor (SUBJECT_FLOOR_SHARE), and a topic
    it gives must not be far behind the first (BEHIND_FIRST) unless it has evidence of its own
    (`body` gives the vectors of the body's passages, asked for only then)."""
    # einsum without BLAS: sums in a fixed order for the same numpy build, whatever its threads
    whole = np.einsum("td,d->t", profiles.direction, vector).astype(np.float64)
    meaning = (whole - profiles.centre) / profiles.spread
    sims = np.einsum("ed,d->e", profiles.examples32, vector).astype(np.float64)
    nearest = _nearest(sims[None, :], profiles.labels)[0]
    subject_value, words = word_scores(profiles, view.words)  # the piece's words, one pass
    figures = _features(meaning, nearest * 10, view.strength, view.cues, words)
    topic_weights, thresholds = profiles.calibration(view.length)
    parts = figures * topic_weights
    confidence = _sigmoid(parts.sum(axis=-1)).tolist()
    # plain Python values from here: ten topics, no numpy scalars
    rows, taught = parts.tolist(), profiles.taught.tolist()
    qualifies, excluded = view.qualifies.tolist(), view.excluded.tolist()
    strong = (view.strength >= STRONG_RULE).tolist()
    # the subject counts only when a topic's confidence would give it (and it can veto)
    calibrated = [
        taught[t] and confidence[t] >= thresholds[t] and not (qualifies[t] and strong[t])
        for t in range(len(profiles.slugs))
    ]
    subject: float | None = None
    scored = any(calibrated) and math.isfinite(profiles.subject_floor)
    if scored and vetoable(view.length):
        subject = subject_value
    off_subject = subject is not None and subject < profiles.subject_floor

    @cache  # ranked once a piece, however many topics the subject vetoes, and only if read
    def off_words() -> str:
        """The words that weighed most each way in the subject score, as the piece writes them."""
        return _subject_words(profiles, view.words, Spellings(view.parts))

    out = []
    for t, slug in enumerate(profiles.slugs):
        threshold = thresholds[t]
        if not taught[t]:
            given, reason = qualifies[t], "rules only"
        elif excluded[t] and not qualifies[t]:
            given, reason = False, "exclusion"
        elif calibrated[t] and off_subject:
            given, reason = False, "subject"
        elif confidence[t] >= threshold and not off_subject:
            given, reason = True, "confidence"
        elif qualifies[t] and strong[t]:
            given, reason = True, "strong rule"
        else:
            given, reason = False, "confidence"
        out.append(
            Judgement(
                slug,
                confidence[t],
                given,
                view.scores.get(slug),
                tuple(rows[t]),
                threshold,
                reason,
                qualifies[t],
                subject=subject,
                subject_floor=profiles.subject_floor,
                subject_words_of=off_words if reason == "subject" else None,
                words=float(words[t]),
            )
        )
    lean = None if body is None else lambda: passage_lean(profiles, body())
    return behind_first(out, lean)


#: the decisions whose confidence is calibrated: only they set or meet the bar of BEHIND_FIRST
CALIBRATED = frozenset({"confidence", "strong rule"})


def behind_first(
    judgements: list[Judgement], lean: Callable[[], Lean] | None = None
) -> list[Judgement]:
    """`judgements` (in the profiles' topic order) with each topic given by its confidence
    alone dropped ("behind") when under BEHIND_FIRST x the most confident calibrated topic
    given, unless it has evidence of its own (`own_evidence`; `lean` gives the meaning of the
    body's passages, asked for only when a topic needs it). A strong rule is never dropped; a
    topic left to its rules neither is dropped nor sets the bar (its confidence comes from
    weights shared across topics and plays no part in its decision)."""
    calibrated = [i for i, j in enumerate(judgements) if j.given and j.reason in CALIBRATED]
    if not calibrated:
        return judgements
    lead = max(calibrated, key=lambda i: judgements[i].confidence)
    first = judgements[lead].confidence
    leaning: Lean | None = None
    out = []
    for t, j in enumerate(judgements):
        if j.given and j.reason == "confidence" and j.confidence < BEHIND_FIRST * first:
            if leaning is None and lean is not None and OWN_PASSAGES and not j.qualifies:
                leaning = lean()
            found, own = own_evidence(j, leaning, t, lead)
            j = replace(
                j,
                given=found,
                reason="own evidence" if found else "behind",
                first=first,
                own=own,
                leader=judgements[lead].slug,
            )
        out.append(j)
    return out


def own_evidence(
    judgement: Judgement, lean: Lean | None, topic: int, first: int
) -> tuple[bool, str]:
    """(whether a topic behind the first has evidence of its own, what was found or looked
    at): its rules give it on their own (phrases in the title or summary, or two separate
    mentions in the body, reaching their threshold), or its meaning leads the first topic's in
    OWN_PASSAGES of the body's passages (stretches of its own, not the first topic's)."""
    if judgement.qualifies:
        return True, "its rules give it on their own"
    rules = "its rules alone would not give it"
    if lean is None or not OWN_PASSAGES:
        return False, rules
    leads = int((lean[:, topic] > lean[:, first]).sum())
    where = f"the first topic's in {leads} of the body's {_passages(len(lean))}"
    if leads >= OWN_PASSAGES:
        return True, f"its meaning leads {where} ({rules})"
    return False, f"{rules}, and its meaning leads {where}"


def _passages(count: int) -> str:
    return "1 passage" if count == 1 else f"{count} passages"


def chosen(judgements: Sequence[Judgement], limit: int = MAX_TOPICS) -> list[Judgement]:
    """The given topics, most confident first (ties by slug), at most `limit`."""
    given = [j for j in judgements if j.given]
    return sorted(given, key=lambda j: (-j.confidence, j.slug))[:limit]


@dataclass(frozen=True)
class HubTagger:
    """The rules and, when the model and examples are there, the profiles: tags with both.

    Pickles small (the rules and the profiles' arrays); each process loads the model once.
    """

    rules: Tagger
    profiles: Profiles | None = None

    @property
    def slugs(self) -> tuple[str, ...]:
        return self.rules.slugs

    @property
    def key(self) -> str:
        return self.profiles.key if self.profiles is not None else ""

    def resolve_slug(self, slug: str) -> tuple[str, bool]:
        return self.rules.resolve_slug(slug)

    def model(self) -> Embedder | None:
        """The embedding model when it is installed and matches the profiles, else None."""
        if self.profiles is None:
            return None
        try:
            embedder = load_embedder()
        except ModelMissing:
            return None
        return embedder if embedder.name == self.profiles.model else None

    def judgements(self, title: str, summary: str, body: str) -> list[Judgement]:
        """Every topic's confidence and decision; [] without the model or profiles."""
        judged = self._judged(title, summary, body)
        return judged[0] if judged is not None else []

    def _judged(
        self, title: str, summary: str, body: str
    ) -> tuple[list[Judgement], RuleView, Vectors, Embedder] | None:
        """`judgements` with what they were made from (the piece's words as the rules read
        them, its vector, the model), for `explain`; None without the model or profiles."""
        embedder = self.model()
        if embedder is None or self.profiles is None:
            return None
        parts = tokens(title, summary, body)  # one split for the rules and the meaning
        view = parts_rule_view(self.rules, parts)
        vector = parts_vector(embedder, parts)
        found = judge(self.profiles, view, vector, partial(body_passages, embedder, parts[2]))
        return found, view, vector, embedder

    def tag(self, title: str, summary: str, body: str) -> list[TopicScore]:
        """The topics, most confident first; the rules alone when there are no profiles."""
        found = self.judgements(title, summary, body)
        if not found:
            return self.rules.tag(title, summary, body)
        return [_score(j) for j in chosen(found)]

    def score_all(self, title: str, summary: str, body: str) -> list[TopicScore]:
        """Every topic with any rule evidence or meaning, most confident first (for explaining)."""
        found = self.judgements(title, summary, body)
        if not found:
            return self.rules.score_all(title, summary, body)
        ranked = sorted(found, key=lambda j: (-j.confidence, j.slug))
        return [_score(j) for j in ranked if j.rule is not None or j.confidence >= 0.05]

    def explain(self, title: str, summary: str, body: str) -> list[TopicScore]:
        """The topics with their evidence: matched phrases, and for meaning the closest
        sentences, the labelled pieces the piece most resembles and why the calibration gave
        it; then the topics whose rules qualify but that the calibration vetoed (their
        `meaning.vetoed` is True), with why."""
        judged = self._judged(title, summary, body)
        if judged is None or self.profiles is None or not judged[0]:
            return self.rules.tag(title, summary, body)
        found, view, vector, embedder = judged
        profiles = self.profiles
        sims = profiles.examples32 @ vector
        texts = [t for t in (title, summary) if t] + sentences(without_boilerplate(body))
        rows = embedder.embed(texts)
        out = []
        vetoed = [j for j in found if j.vetoed]
        words, spellings = view.words, Spellings(view.parts)  # counted once, by `judge`
        for j in chosen(found) + sorted(vetoed, key=lambda j: (-j.confidence, j.slug)):
            t = profiles.slugs.index(j.slug)
            terms = word_terms(profiles, words, 1 + t)
            j = replace(
                j, topic_words=top_words(terms, spellings, TOPIC_WORDS_SHOWN, pro_first=True)
            )
            closeness = rows @ profiles.direction[t]
            best = sorted(range(len(texts)), key=lambda i: (-closeness[i], i))[:EVIDENCE_SENTENCES]
            # an example with this very text is the piece itself: it resembles nothing by that
            members = np.flatnonzero((profiles.labels[:, t] == 1) & (sims < SAME_TEXT))
            like = sorted(members, key=lambda i: (-sims[i], i))[:EVIDENCE_EXAMPLES]
            meaning = Meaning(
                round(j.confidence, 3),
                tuple(texts[i] for i in best),
                tuple(f"{profiles.names[i]} ({sims[i]:.2f})" for i in like),
                why=j.why(),
                vetoed=not j.given,
            )
            out.append(replace(_score(j), meaning=meaning))
        return out


def _score(j: Judgement) -> TopicScore:
    rule = j.rule if j.rule is not None else TopicScore(j.slug, 0.0)
    return replace(rule, score=round(j.confidence * 10, 3), meaning=Meaning(j.confidence))


def load_hub_tagger(
    root: Path, rules: Tagger, *, leave_out: Path | None = None
) -> tuple[HubTagger, list[Problem]]:
    """Rules plus profiles from the repository's examples (none from under `leave_out`, the
    folder being measured); the rules alone when the model is not installed."""
    try:
        model_folder()  # the model is loaded only if the profiles must be built
    except ModelMissing as exc:
        return HubTagger(rules), [
            Problem("feeds/topics.yml", 1, f"{exc}: tagging by rules only", "warning")
        ]
    pieces, problems = labelled_pieces(root, rules)
    if leave_out is not None:
        skip = leave_out.resolve()
        pieces = [p for p in pieces if not (root / p.name).resolve().is_relative_to(skip)]
    if not pieces:
        return HubTagger(rules), problems
    key = profile_key(MODEL_NAME, rules, pieces)
    profiles = load_profiles(root, key)
    if profiles is None:
        profiles = profiles_for(load_embedder(), rules, pieces, key=key)
        save_profiles(root, profiles)
    return HubTagger(rules, profiles), problems


def hub_profiles(hub: Hub) -> Profiles | None:
    """The profiles for pull: built in the main process, handed to each worker in its FeedSpec."""
    tagger, _problems = load_hub_tagger(hub.root, compile_rules(hub.topics))
    return tagger.profiles


def profiles_for(
    embedder: Embedder,
    rules: Tagger,
    pieces: Sequence[LabelledPiece],
    *,
    key: str = "",
) -> Profiles:
    vectors = example_vectors(embedder, pieces)
    views = [rule_view(rules, p.title, p.summary, p.body) for p in pieces]
    key = key or profile_key(embedder.name, rules, pieces)
    return build_profiles(embedder.name, rules.slugs, pieces, vectors, views, key)


# --- the profiles' cache ----------------------------------------------------------------------

PROFILES_FILE = "profiles.npz"
_ARRAYS = (
    "direction",
    "centre",
    "spread",
    "topic_weights",
    "short_topic_weights",
    "examples",
    "labels",
    "word_idf",
    "subject_weights",
    "word_weights",
    "word_bias",
)


def save_profiles(root: Path, profiles: Profiles) -> None:
    """Keep the profiles under .cache/channelhub/ (numpy arrays and JSON text, no pickle), so a
    pull whose examples did not change neither loads the model nor fits anything."""
    meta = {
        "key": profiles.key,
        "model": profiles.model,
        "slugs": list(profiles.slugs),
        "weights": list(profiles.weights),
        "thresholds": list(profiles.thresholds),
        "short_weights": list(profiles.short_weights),
        "short_thresholds": list(profiles.short_thresholds),
        "names": list(profiles.names),
        "word_vocabulary": list(profiles.word_vocabulary),
        "subject_bias": profiles.subject_bias,
        "subject_floor": profiles.subject_floor,
    }
    buffer = io.BytesIO()
    arrays = {name: getattr(profiles, name) for name in _ARRAYS}
    np.savez(buffer, meta=np.array(json.dumps(meta)), **arrays)
    with contextlib.suppress(OSError):  # a read-only checkout builds them each time
        write_atomic(root / CACHE_DIR / PROFILES_FILE, buffer.getvalue(), durable=False)


def load_profiles(root: Path, key: str) -> Profiles | None:
    """The cached profiles if they were built for `key`; None when missing, stale or corrupt."""
    try:
        with np.load(root / CACHE_DIR / PROFILES_FILE, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("key") != key:
                return None
            arrays = {name: data[name] for name in _ARRAYS}
        profiles = Profiles(
            model=str(meta["model"]),
            slugs=tuple(meta["slugs"]),
            weights=tuple(float(w) for w in meta["weights"]),
            thresholds=tuple(float(t) for t in meta["thresholds"]),
            short_weights=tuple(float(w) for w in meta["short_weights"]),
            short_thresholds=tuple(float(t) for t in meta["short_thresholds"]),
            names=tuple(meta["names"]),
            word_vocabulary=tuple(meta["word_vocabulary"]),
            subject_bias=float(meta["subject_bias"]),
            subject_floor=float(meta["subject_floor"]),
            key=key,
            **arrays,
        )
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile):
        return None
    topics, dims = profiles.direction.shape
    if profiles.labels.shape != (len(profiles.names), topics) or len(profiles.slugs) != topics:
        return None
    if profiles.examples.shape != (len(profiles.names), dims):
        return None
    if profiles.centre.shape != (topics,) or profiles.spread.shape != (topics,):
        return None
    if len(profiles.weights) != len(FIGURES) or len(profiles.thresholds) != topics:
        return None
    if profiles.topic_weights.shape != (topics, len(FIGURES)):
        return None
    short = (len(profiles.short_weights), len(profiles.short_thresholds))
    if short != (len(FIGURES), topics) or profiles.short_topic_weights.shape != (
        topics,
        len(FIGURES),
    ):
        return None
    words = (len(profiles.word_vocabulary),)
    if profiles.word_idf.shape != words or profiles.subject_weights.shape != words:
        return None
    if profiles.word_weights.shape != (*words, topics) or profiles.word_bias.shape != (topics,):
        return None
    return profiles


# --- cross-validation -------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One labelled piece tagged by profiles built without it."""

    name: str
    expected: tuple[str, ...]
    got: tuple[str, ...]


def cross_validate(
    embedder: Embedder,
    rules: Tagger,
    pieces: Sequence[LabelledPiece],
    scored: Sequence[LabelledPiece] | None = None,
    *,
    folds: int = FOLDS,
) -> list[Outcome]:
    """Tag each piece of `scored` (default: all) with profiles built and calibrated on the
    folds it is not in; pieces are put in folds by a hash of their name, so runs agree."""
    scored_names = {p.name for p in (scored if scored is not None else pieces)}
    vectors = example_vectors(embedder, pieces)
    views = [rule_view(rules, p.title, p.summary, p.body) for p in pieces]
    fold_of = [_fold(p.name, folds) for p in pieces]
    outcomes: list[Outcome] = []
    for fold in range(folds):
        train = [i for i in range(len(pieces)) if fold_of[i] != fold]
        test = [
            i for i in range(len(pieces)) if fold_of[i] == fold and pieces[i].name in scored_names
        ]
        if not test or not train:
            continue
        profiles = build_profiles(
            embedder.name,
            rules.slugs,
            [pieces[i] for i in train],
            vectors[train],
            [views[i] for i in train],
        )
        for i in test:
            piece = pieces[i]
            got = chosen(
                judge(
                    profiles,
                    views[i],
                    vectors[i],
                    partial(piece_passages, embedder, piece),
                )
            )
            outcomes.append(Outcome(pieces[i].name, pieces[i].topics, tuple(j.slug for j in got)))
    return sorted(outcomes, key=lambda o: o.name)
