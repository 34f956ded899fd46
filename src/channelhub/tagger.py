"""The topic tagger: text + each topic's rules from feeds/topics.yml -> ranked topics with evidence.

Pure and I/O-free. Owns the rule format (documented at the top of feeds/topics.yml), its
validation (`parse_rules`, `validate_topics`), the light stemmer, what of a piece is prose
(not link targets, code or a partner's boilerplate), and the scoring: matches in the title and
summary weigh more than in the body, the body's share is normalised by its length, one passing
mention in the body never qualifies, and at most three topics above a threshold come back, best
first. In the same pass it finds each topic's cues (its wider vocabulary, counted once each and
only in the topic's context), which `channelhub.profiles` weighs beside the meaning.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, Literal, NamedTuple, Protocol

from channelhub.problems import Problem

Where = Literal["title", "summary", "body"]

#: how much a match counts in each part of a piece
PLACE_WEIGHTS: Mapping[str, float] = {"title": 3.0, "summary": 2.0, "body": 1.0}
#: a topic needs at least this score unless its rules set their own `threshold`
DEFAULT_THRESHOLD = 6.0
#: body matches count fully up to this many words; longer bodies are scaled by sqrt(words / this)
BODY_WORDS = 250
#: a topic must reach this share of the best topic's score to be listed beside it
RELATIVE_FLOOR = 0.15
MAX_TOPICS = 3
#: matches closer than this many words are one mention, for the passing-mention rule
MENTION_GAP = 3
MAX_WEIGHT = 10.0
MAX_WITHIN = 50
RULE_KEYS = frozenset({"phrases", "near", "exclude", "threshold", "cues", "context"})
#: a cue or context phrase in the title or summary counts this many times its weight
CUE_HEADLINE = 2.0
#: a context phrase counts at most this many of its mentions
CONTEXT_MENTIONS = 3
#: a topic's cues count in full once its context reaches this score (a part of it below)
CONTEXT_FULL = 3.5
NEAR_KEYS = frozenset({"a", "b", "within", "weight"})
#: words that may stand between the parts of a rule phrase written with "/" or a dash
JOINERS = frozenset({"and", "&", "or", "vs", "versus", "plus"})
#: single words too common to be evidence on their own (IT in capitals is fine)
COMMON_WORDS = frozenset(
    {"it", "and", "or", "the", "a", "an", "of", "to", "in", "on", "for", "with"}
)

# Tokens: runs of letters/digits (with inner apostrophes), and "&" so "sales & marketing" keeps its joiner.
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|&")
# Link targets, bare URLs, HTML tags and inline code are not prose and must not match rules.
_NOISE = re.compile(r"\]\([^)\s]*\)|https?://\S+|<[^>\n]*>|`[^`\n]*`")
# In a rule phrase, "/" or any dash between two words means "joined by a dash, slash, 'and', '&'...".
_JOIN_MARK = re.compile(r"^\s*[/\-‐‑‒–—―]+\s*$")


# --- the stemmer ------------------------------------------------------------------------
# Hand-written rather than snowballstemmer: Snowball turns "marketing" into "market" and
# "organisation" into "organ", which would blur this vocabulary; a short suffix list is predictable.

#: words kept as they are: stripping them would merge them with a different word
_PROTECTED = frozenset(
    {"marketing", "news", "sales", "business", "always", "analysis", "its", "ios"}
)
_SPELLINGS = (
    ("isation", "ization"),
    ("ising", "izing"),
    ("ised", "ized"),
    ("ise", "ize"),
    ("iour", "ior"),
)
_VOWEL = re.compile(r"[aeiouy]")


def stem(word: str) -> str:
    """The light stem of one lower-case word: align, aligned, aligning, alignment -> align."""
    if len(word) <= 3 or word in _PROTECTED or not word.isalpha():
        return word
    w = word
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
        w = w[:-1]
    for british, american in _SPELLINGS:
        if w.endswith(british) and len(w) > len(british) + 2:
            w = w[: -len(british)] + american
            break
    for suffix, replacement in (
        ("ship", ""),
        ("ization", "ize"),
        ("ation", "ate"),
        ("tion", "t"),
        ("sion", "s"),
        ("ment", ""),
    ):
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            w = w[: -len(suffix)] + replacement
            break
    for suffix in ("ing", "ed"):
        head = w[: -len(suffix)]
        if w.endswith(suffix) and len(head) >= 3 and _VOWEL.search(head) and not w.endswith("eed"):
            w = head
            if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiouylsz":
                w = w[:-1]  # planning -> plann -> plan
            break
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    return w


def prose(text: str) -> str:
    """The text without link targets, bare URLs, HTML tags and inline code: what rules may match."""
    return _NOISE.sub(" ", text)


# --- boilerplate --------------------------------------------------------------------------
# A partner's post ends (and sometimes starts) with text about the partner, not the topic:
# "About Acme", "Book a demo", "Subscribe to our newsletter", "© 2026 ... Privacy · Terms".

_PARAGRAPHS = re.compile(r"\n[ \t]*\n")
_HORIZONTAL_RULE = re.compile(
    r"(?m)^[ \t]{0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$"
)
_ABOUT_US = re.compile(
    r"[\W_]{0,4}About\s+(?:the\s+)?[A-Z0-9][\w&'’.\- ]{0,50}?[\W_]{0,4}(?:$|[.:·|—–-]\s|\n)"
)
# Lower-case marks of a call to action or a byline: plain substrings, since one regular
# expression of alternatives cost more than the rest of the tagging together.
_CALL_TO_ACTION = (
    "all rights reserved",
    "©",
    "copyright",
    "privacy policy",
    "privacy notice",
    "cookie policy",
    "cookie settings",
    "terms of use",
    "terms of service",
    "book a demo",
    "request a demo",
    "see a demo",
    "get a demo",
    "schedule a demo",
    "watch a demo",
    "free trial",
    "talk to sales",
    "talk to us",
    "talk to an expert",
    "talk to our team",
    "contact us",
    "subscribe to",
    "subscribe for",
    "sign up for our",
    "sign up for the",
    "media enquiries",
    "media inquiries",
    "media contact",
    "press enquiries",
    "press inquiries",
    "press contact",
    "press office",
    "min read",
    "minute read",
    "this post is part of",
    "this article is part of",
    "follow us on",
    "download our",
    "download the free",
    "registered in england",
    "registered in scotland",
    "company no",
    "you might also like",
    "related posts",
    "related articles",
    "related reading",
)
#: words several marks share: a paragraph without one of them has none of those marks
_SHARED_BY_MARKS = (
    "a demo", "privacy ", "cookie ", "terms of ", "talk to ", "subscribe ", "sign up for ",
    "media ", "press ", " read", " part of", "download ", "registered in ", "related ",
)  # fmt: skip


def _grouped_marks() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The marks under the first shared words each contains (a mark alone is its own key)."""
    groups: dict[str, list[str]] = {}
    for mark in _CALL_TO_ACTION:
        key = next((shared for shared in _SHARED_BY_MARKS if shared in mark), mark)
        groups.setdefault(key, []).append(mark)
    return tuple((key, tuple(marks)) for key, marks in groups.items())


_MARKS_BY_KEY = _grouped_marks()


def _has_call_to_action(lower: str) -> bool:
    """True when the lower-case text contains one of the marks (half the searches of trying
    each: most keys are absent)."""
    for key, marks in _MARKS_BY_KEY:
        if key in lower:
            for mark in marks:
                if mark in lower:
                    return True
    return False


#: paragraphs at either end of a body that may be a call to action, and their most words
EDGE_PARAGRAPHS = 3
CALL_TO_ACTION_WORDS = 60
#: at most this many words after a closing horizontal rule, or after "About <Name>", are the
#: partner's footer (and only when the piece before it is twice as long)
FOOTER_WORDS = 150


def without_boilerplate(body: str) -> str:
    """The body without a partner's boilerplate: the footer after a closing horizontal rule,
    an "About <Name>" section at the end and what follows it, and short calls to action or
    bylines ("Book a demo", "Subscribe to...", "5 min read", "©...") in the first or last
    paragraphs. Text in the middle of a piece is always kept."""
    rules = list(_HORIZONTAL_RULE.finditer(body))
    if rules:
        footer = len(body[rules[-1].end() :].split())
        if footer <= FOOTER_WORDS and len(body[: rules[-1].start()].split()) > 2 * footer:
            body = body[: rules[-1].start()]
    paragraphs = [p for p in _PARAGRAPHS.split(body) if p.strip()]
    words = [len(p.split()) for p in paragraphs]
    last = len(paragraphs)
    kept: list[str] = []
    for i, paragraph in enumerate(paragraphs):
        if (
            i >= last / 2
            and words[i] <= FOOTER_WORDS
            and sum(words[i + 1 :]) <= FOOTER_WORDS
            and _ABOUT_US.match(paragraph.strip() + "\n")
        ):
            break  # the partner's "About" section and everything after it
        edge = i < EDGE_PARAGRAPHS or i >= last - EDGE_PARAGRAPHS
        if edge and words[i] <= CALL_TO_ACTION_WORDS and _has_call_to_action(paragraph.lower()):
            continue
        kept.append(paragraph)
    return "\n\n".join(kept) if len(kept) < last else body


#: the parts of a piece, in the order `tokens` returns them
PLACES: tuple[Where, Where, Where] = ("title", "summary", "body")
Parts = tuple[list[str], list[str], list[str]]


def tokens(title: str, summary: str, body: str) -> Parts:
    """The words (and "&") of a piece's title, summary and body (its prose only, without a
    partner's boilerplate)."""
    return (
        _TOKEN.findall(title),
        _TOKEN.findall(summary),
        _TOKEN.findall(prose(without_boilerplate(body))),
    )


def _capital(raw: str) -> bool:
    """True for a word in capitals, also as a plural or possessive: IT, CMOs, IT's."""
    if raw.endswith(("'s", "’s")):
        raw = raw[:-2]
    elif raw.endswith("s"):
        raw = raw[:-1]
    return raw.isupper()


@lru_cache(maxsize=1 << 17)
def token_key(raw: str) -> str:
    """What a text token is matched by: lower case, no possessive 's, stemmed."""
    lower = raw.lower()
    if lower.endswith(("'s", "’s")):
        lower = lower[:-2]
    return stem(lower.replace("'", "").replace("’", ""))


# --- rules ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Phrase:
    """A phrase that is evidence for a topic, with its weight."""

    text: str
    weight: float


@dataclass(frozen=True)
class Near:
    """Evidence when a phrase of `a` and a phrase of `b` have at most `within` words between them."""

    a: tuple[str, ...]
    b: tuple[str, ...]
    within: int
    weight: float

    @property
    def label(self) -> str:
        """'CMO… near CIO…': the first phrase of each side, '…' when there are alternatives."""
        return f"{self.a[0]}{'…' * (len(self.a) > 1)} near {self.b[0]}{'…' * (len(self.b) > 1)}"


@dataclass(frozen=True)
class TopicRules:
    """One topic's rules as written in feeds/topics.yml, validated."""

    phrases: tuple[Phrase, ...] = ()
    near: tuple[Near, ...] = ()
    exclude: tuple[str, ...] = ()
    threshold: float | None = None
    #: the topic's wider vocabulary: each distinct cue found counts its weight once
    cues: tuple[Phrase, ...] = ()
    #: what a piece must also talk about for the cues to count in full (none: always in full)
    context: tuple[Phrase, ...] = ()


def _line(raw: Any, key: str | int, default: int) -> int:
    """The file line of a key or item when the YAML loader recorded it."""
    line_of = getattr(raw, "line_of", None)
    return int(line_of(key)) if callable(line_of) else default


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _phrase_problem(text: Any) -> str | None:
    """Why a rule phrase cannot be used, or None."""
    if not isinstance(text, str):
        return f"Expected a phrase (text), got {type(text).__name__}"
    words = [t for t in _TOKEN.findall(text) if t != "&"]
    if not words:
        return f"phrase '{text}' has no words"
    if len(words) == 1 and words[0] in COMMON_WORDS:
        return f"phrase '{text}' is too common a word to be evidence (write IT in capitals for information technology)"
    return None


def _phrase_list(
    raw: Any, key: str, problems: list[Problem], path: str, line: int
) -> tuple[str, ...]:
    """A phrase or a list of phrases (for exclude and near's a/b)."""
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list):
        problems.append(Problem(path, line, f"Expected a phrase or a list of phrases for '{key}'"))
        return ()
    found: list[str] = []
    for index, item in enumerate(items):
        why = _phrase_problem(item)
        if why:
            problems.append(Problem(path, _line(items, index, line), f"{key}: {why}"))
        else:
            found.append(item.strip())
    return tuple(found)


def _parse_phrases(
    raw: Any, path: str, line: int, problems: list[Problem], key: str = "phrases"
) -> tuple[Phrase, ...]:
    """A mapping of phrase: weight (for phrases, cues and context); for `context` a plain
    list of phrases also does, each weighing 1."""
    if key == "context" and isinstance(raw, list | str):
        return tuple(Phrase(t, 1.0) for t in _phrase_list(raw, key, problems, path, line))
    if not isinstance(raw, Mapping):
        problems.append(Problem(path, line, f"Expected a mapping of phrase: weight for '{key}'"))
        return ()
    found: list[Phrase] = []
    for text, weight in raw.items():
        at = _line(raw, text, line)
        why = _phrase_problem(text)
        number = _number(weight)
        if why:
            problems.append(Problem(path, at, f"{key}: {why}"))
        elif number is None or not 0 < number <= MAX_WEIGHT:
            problems.append(
                Problem(
                    path,
                    at,
                    f"weight of {key[:-1] if key != 'context' else 'context'} '{text}' must be a "
                    f"number above 0 and at most {MAX_WEIGHT:g}, got {weight!r}",
                )
            )
        else:
            found.append(Phrase(str(text).strip(), number))
    return tuple(found)


def _parse_near(raw: Any, path: str, line: int, problems: list[Problem]) -> tuple[Near, ...]:
    if not isinstance(raw, list):
        problems.append(Problem(path, line, "Expected a list of {a, b, within, weight} for 'near'"))
        return ()
    found: list[Near] = []
    for index, item in enumerate(raw):
        at = _line(raw, index, line)
        if not isinstance(item, Mapping):
            problems.append(
                Problem(
                    path, at, "each 'near' entry must be a mapping with a, b, within and weight"
                )
            )
            continue
        before = len(problems)
        for key in item:
            if key not in NEAR_KEYS:
                problems.append(
                    Problem(
                        path,
                        _line(item, key, at),
                        f"unknown key '{key}' in a 'near' rule (known: a, b, within, weight)",
                    )
                )
        missing = [k for k in ("a", "b") if k not in item]
        if missing:
            problems.append(Problem(path, at, f"a 'near' rule needs {' and '.join(missing)}"))
            continue
        a = _phrase_list(item["a"], "near a", problems, path, _line(item, "a", at))
        b = _phrase_list(item["b"], "near b", problems, path, _line(item, "b", at))
        within = item.get("within", 8)
        if isinstance(within, bool) or not isinstance(within, int) or not 1 <= within <= MAX_WITHIN:
            problems.append(
                Problem(
                    path,
                    _line(item, "within", at),
                    f"'within' must be a whole number of words from 1 to {MAX_WITHIN}, got {within!r}",
                )
            )
        weight = _number(item.get("weight", 1))
        if weight is None or not 0 < weight <= MAX_WEIGHT:
            problems.append(
                Problem(
                    path,
                    _line(item, "weight", at),
                    f"weight of a 'near' rule must be a number above 0 and at most {MAX_WEIGHT:g}, got {item.get('weight')!r}",
                )
            )
        if len(problems) == before and a and b and weight is not None:
            found.append(Near(a, b, within, weight))
    return tuple(found)


def parse_rules(raw: Any, *, path: str, line: int) -> tuple[TopicRules, list[Problem]]:
    """Validate one topic's `rules:` mapping; bad entries are skipped and reported, never raised."""
    problems: list[Problem] = []
    if raw is None:
        return TopicRules(), problems
    if not isinstance(raw, Mapping):
        return TopicRules(), [
            Problem(
                path,
                line,
                "Expected a mapping for 'rules' (phrases, near, exclude, threshold, cues, context)",
            )
        ]
    for key in raw:
        if key not in RULE_KEYS:
            problems.append(
                Problem(
                    path,
                    _line(raw, key, line),
                    f"unknown key '{key}' in rules (known: {', '.join(sorted(RULE_KEYS))})",
                )
            )
    phrases, cues, context = (
        _parse_phrases(raw[key], path, _line(raw, key, line), problems, key) if key in raw else ()
        for key in ("phrases", "cues", "context")
    )
    near = (
        _parse_near(raw["near"], path, _line(raw, "near", line), problems) if "near" in raw else ()
    )
    exclude = (
        _phrase_list(raw["exclude"], "exclude", problems, path, _line(raw, "exclude", line))
        if "exclude" in raw
        else ()
    )
    threshold = None
    if "threshold" in raw:
        threshold = _number(raw["threshold"])
        if threshold is None or threshold <= 0:
            problems.append(
                Problem(
                    path,
                    _line(raw, "threshold", line),
                    f"'threshold' must be a number above 0, got {raw['threshold']!r}",
                )
            )
            threshold = None
    return TopicRules(phrases, near, exclude, threshold, cues, context), problems


class TopicLike(Protocol):
    """What the tagger needs of a topic (config.Topic has it)."""

    @property
    def slug(self) -> str: ...
    @property
    def rules(self) -> Mapping[str, Any]: ...
    @property
    def replaces(self) -> tuple[str, ...]: ...
    @property
    def line(self) -> int: ...


def validate_topics(
    topics: Iterable[TopicLike], *, path: str = "feeds/topics.yml"
) -> list[Problem]:
    """Every problem in the topics' rules, for `channelhub check`."""
    problems: list[Problem] = []
    for topic in topics:
        rules, found = parse_rules(topic.rules or None, path=path, line=topic.line)
        problems += found
        if not rules.phrases and not rules.near and not found:
            problems.append(
                Problem(
                    path,
                    topic.line,
                    f"topic '{topic.slug}' has no rules: the tagger will never give it",
                    "warning",
                )
            )
        for key, phrases in (("cues", rules.cues), ("context", rules.context)):
            problems += _repeated(phrases, topic.rules.get(key), key, path, topic.line)
    return problems


def _repeated(phrases: Sequence[Phrase], raw: Any, key: str, path: str, line: int) -> list[Problem]:
    """Warnings for cues (or context phrases) that the matcher takes for an earlier one."""
    first: dict[_Term, str] = {}
    problems = []
    for phrase in phrases:
        term = compile_phrase(phrase.text)
        if term in first:
            problems.append(
                Problem(
                    path,
                    _line(raw, phrase.text, line),
                    f"{key}: '{phrase.text}' matches the same words as '{first[term]}' "
                    "(inflections match alike): it counts once",
                    "warning",
                )
            )
        else:
            first[term] = phrase.text
    return problems


class TopicTagger(Protocol):
    """What tagging a piece needs: the rules' `Tagger`, or rules and profiles together."""

    @property
    def slugs(self) -> tuple[str, ...]: ...
    def resolve_slug(self, slug: str) -> tuple[str, bool]: ...
    def tag(self, title: str, summary: str, body: str) -> list[TopicScore]: ...
    def score_all(self, title: str, summary: str, body: str) -> list[TopicScore]: ...


# --- compiled matching ------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """One rule that matched in one part of a piece."""

    phrase: str
    where: Where
    count: int
    weight: float


#: Evidence is immutable and the same few values recur in every piece (a phrase, its place, a
#: small count): shared instances, since building a frozen dataclass was a sixth of the rules' pass
_evidence_of = lru_cache(maxsize=1 << 14)(Evidence)


@dataclass(frozen=True)
class Meaning:
    """Why the meaning of a piece points at a topic (channelhub.profiles fills it in)."""

    #: the calibrated chance that an editor would file the piece under the topic
    confidence: float
    #: the piece's sentences closest to the topic, best first
    sentences: tuple[str, ...] = ()
    #: the labelled pieces of the topic that the piece most resembles, best first
    resembles: tuple[str, ...] = ()
    #: why the calibration gave the topic or vetoed it (its figures that weighed most)
    why: str = ""
    #: the rules alone would give the topic, but the calibration did not
    vetoed: bool = False


@dataclass(frozen=True)
class TopicScore:
    """A topic the tagger gives a piece, with its score and why."""

    slug: str
    score: float
    evidence: tuple[Evidence, ...] = ()
    meaning: Meaning | None = None
    #: the topic's cues found in the piece (each counted once, whatever `count` says)
    cues: tuple[Evidence, ...] = ()
    #: their weights summed, times the share of the topic's context the piece reaches
    cue_score: float = 0.0


@dataclass(frozen=True)
class _Term:
    """A rule phrase compiled to token keys; `joins[i]` allows a joiner word before key i+1."""

    keys: tuple[str, ...]
    caps: tuple[bool, ...]
    joins: tuple[bool, ...]


def compile_phrase(text: str) -> _Term:
    """Turn a rule phrase into the token keys it matches."""
    keys: list[str] = []
    caps: list[bool] = []
    joins: list[bool] = []
    previous_end = None
    for match in _TOKEN.finditer(text):
        raw = match.group()
        if previous_end is not None:
            joins.append(bool(_JOIN_MARK.match(text[previous_end : match.start()])))
        keys.append(token_key(raw))
        caps.append(len(raw) > 1 and raw.isupper() and raw.isalpha())
        previous_end = match.end()
    return _Term(tuple(keys), tuple(caps), tuple(joins))


@dataclass(frozen=True)
class _Use:
    """How one topic uses a term: as a phrase, an exclusion or one side of a near rule."""

    topic: int
    role: Literal["phrase", "exclude", "a", "b", "cue", "context"]
    rule: int


@dataclass(frozen=True)
class _Topic:
    slug: str
    rules: TopicRules
    threshold: float


Span = tuple[int, int, int]  # (term id, start token, end token)


@dataclass(frozen=True)
class Tagger:
    """Compiled rules for every topic; build once with `compile_rules`, then call `tag` often."""

    topics: tuple[_Topic, ...]
    terms: tuple[_Term, ...]
    #: per term, how topics' rules (phrases, near rules, exclusions) use it
    uses: tuple[tuple[_Use, ...], ...]
    #: per term, the topics' cues and context it is: (topic, CUE or CONTEXT, index)
    vocabulary: tuple[tuple[tuple[int, int, int], ...], ...]
    #: one-word terms by their key, longer terms by their first two keys, and every first key
    first: Mapping[str, tuple[int, ...]]
    pairs: Mapping[tuple[str, str], tuple[int, ...]]
    starters: frozenset[str]
    renamed: Mapping[str, str] = field(default_factory=dict)
    max_topics: int = MAX_TOPICS

    @property
    def slugs(self) -> tuple[str, ...]:
        return tuple(t.slug for t in self.topics)

    def resolve_slug(self, slug: str) -> tuple[str, bool]:
        """(current slug, True) for a slug a topic replaces; (slug, False) otherwise."""
        new = self.renamed.get(slug)
        return (new, True) if new else (slug, False)

    def tag(self, title: str, summary: str, body: str) -> list[TopicScore]:
        """The topics above their threshold, at most three, best first; [] when none qualifies."""
        ranked = self._ranked(title, summary, body)
        if not ranked:
            return []
        floor = ranked[0][0].score * RELATIVE_FLOOR
        return [score for score, qualifies in ranked if qualifies and score.score >= floor][
            : self.max_topics
        ]

    def score_all(self, title: str, summary: str, body: str) -> list[TopicScore]:
        """Every topic with any evidence, best first, qualifying or not: for explaining and tuning."""
        return [score for score, _qualifies in self._ranked(title, summary, body)]

    def _ranked(self, title: str, summary: str, body: str) -> list[tuple[TopicScore, bool]]:
        """(score, qualifies) for every topic with evidence, best first."""
        return [
            (score, qualifies)
            for score, qualifies, _excluded in self.assess_tokens(
                tokens(title, summary, body), cues=False
            )
            if score.score > 0
        ]

    def assess(self, title: str, summary: str, body: str) -> list[tuple[TopicScore, bool, bool]]:
        """(score, qualifies, excluded) for every topic with evidence or a matched exclusion, best first."""
        return self.assess_tokens(tokens(title, summary, body))

    def assess_tokens(
        self, parts: Parts, *, cues: bool = True
    ) -> list[tuple[TopicScore, bool, bool]]:
        """`assess` of a piece already split by `tokens` (whoever also needs its words); with
        `cues`, each topic's cues too (the rules alone do not weigh them)."""
        topics = len(self.topics)
        totals = [0.0] * topics
        evidence: list[list[Evidence]] = [[] for _ in self.topics]
        headline = [False] * topics
        excluded = [False] * topics
        vocabulary = _Vocabulary(topics)
        body: _Part | None = None
        for where, tokens in zip(PLACES, parts, strict=True):
            if not tokens:
                continue
            scale = PLACE_WEIGHTS[where]
            if where == "body":
                scale /= math.sqrt(max(1.0, len(tokens) / BODY_WORDS))
            part = self._part(self._spans(tokens), where, vocabulary if cues else None)
            for index, found in part.found.items():
                excluded[index] = excluded[index] or found.excluded
                evidence[index] += found.rules
                totals[index] += scale * sum(
                    e.weight * (e.count if where == "body" else 1) for e in found.rules
                )
                if found.rules and where != "body":
                    headline[index] = True
            if where == "body":
                body = part
        ranked = []
        for i, t in enumerate(self.topics):
            cue_evidence, cue_score = vocabulary.score(i, t.rules)
            if totals[i] > 0 or excluded[i] or cue_score > 0:
                score = TopicScore(
                    t.slug, totals[i], tuple(evidence[i]), cues=cue_evidence, cue_score=cue_score
                )
                # A passing mention (one place in the body, nothing in title or summary) never
                # qualifies; the body's mentions are counted only when they decide.
                qualifies = totals[i] >= t.threshold and (
                    headline[i] or (body is not None and body.mentions(i) >= 2)
                )
                ranked.append((score, qualifies, excluded[i]))
        return sorted(ranked, key=lambda pair: (-pair[0].score, pair[0].slug))

    def _spans(self, tokens: Sequence[str]) -> list[Span]:
        """Every term occurrence in the tokens, by start and the longest first at each start:
        one pass, candidates looked up by their first keys (and a two-word term without
        capitals by its first two keys alone)."""
        keys = list(map(token_key, tokens))
        last = len(keys) - 1
        lookup, terms, match = self._starts.get, self.terms, self._match
        spans: list[Span] = []
        append = spans.append
        for start, key in enumerate(keys):
            found = lookup(key)
            if found is None:
                continue
            if isinstance(found, int):  # the one term that starts with this key: one word
                append((found, start, start + 1))
                continue
            plain, capped, pairs = found
            if pairs and start < last:
                following = pairs.get(keys[start + 1])
                joined = (
                    pairs.get(keys[start + 2])
                    if start + 1 < last and keys[start + 1] in JOINERS
                    else None
                )
                if following is not None or joined is not None:
                    longer: list[Span] = []
                    if following is not None:
                        two, other = following
                        for term_id in two:
                            longer.append((term_id, start, start + 2))
                        for term_id in other:
                            end = match(terms[term_id], tokens, keys, start)
                            if end:
                                longer.append((term_id, start, end))
                    if joined is not None:
                        for term_id in (*joined[0], *joined[1]):
                            end = match(terms[term_id], tokens, keys, start)
                            if end:
                                longer.append((term_id, start, end))
                    if len(longer) > 1:
                        longer.sort(key=_longest_first)
                    spans += longer
            for term_id in plain:
                append((term_id, start, start + 1))
            if capped and _capital(tokens[start]):
                for term_id in capped:
                    append((term_id, start, start + 1))
        return spans

    @cached_property
    def _starts(self) -> dict[str, _Start | int]:
        """Per first key: its one-word terms without and with a capital first word, and by
        the second key the longer terms (two-word ones without capitals apart: they match
        on their keys alone); just the term where that is one one-word term without capitals."""
        out: dict[str, _Start] = {}
        for key in self.starters:
            singles = self.first.get(key, ())
            plain = tuple(t for t in singles if not self.terms[t].caps[0])
            capped = tuple(t for t in singles if self.terms[t].caps[0])
            out[key] = (plain, capped, {})
        for (key, second), term_ids in self.pairs.items():
            two = tuple(
                t for t in term_ids if len(self.terms[t].keys) == 2 and not any(self.terms[t].caps)
            )
            out[key][2][second] = (two, tuple(t for t in term_ids if t not in two))
        return {
            key: plain[0]
            if len(plain) == 1 and not capped and not pairs
            else (plain, capped, pairs)
            for key, (plain, capped, pairs) in out.items()
        }

    @staticmethod
    def _match(term: _Term, tokens: Sequence[str], keys: Sequence[str], start: int) -> int:
        """End index (exclusive) of `term` matched at `start`, or 0."""
        if term.caps[0] and not _capital(tokens[start]):
            return 0
        at = start + 1
        for n in range(1, len(term.keys)):
            if (
                at < len(keys)
                and term.joins[n - 1]
                and keys[at] in JOINERS
                and keys[at] != term.keys[n]
            ):
                at += 1
            if (
                at >= len(keys)
                or keys[at] != term.keys[n]
                or (term.caps[n] and not _capital(tokens[at]))
            ):
                return 0
            at += 1
        return at

    @cached_property
    def _plan(self) -> _Plan:
        """Per term, what each use of it adds (read for every span)."""
        phrases = tuple(
            tuple((u.topic, u.rule) for u in used if u.role == "phrase") for used in self.uses
        )
        slots = tuple(tuple((2 * t + k, t, k, r) for t, k, r in used) for used in self.vocabulary)
        near_rules = [
            (t, r) for t, topic in enumerate(self.topics) for r in range(len(topic.rules.near))
        ]
        near = tuple(
            tuple(
                (2 * near_rules.index((u.topic, u.rule)) + (u.role == "b"), u.topic)
                for u in used
                if u.role in ("a", "b")
            )
            for used in self.uses
        )
        return _Plan(
            phrases=phrases,
            phrase_topics=tuple(frozenset(t for t, _r in used) for used in phrases),
            slots=slots,
            slot_ids=tuple(frozenset(s[0] for s in used) for used in slots),
            near=near,
            near_sides=tuple(tuple(side for side, _topic in used) for used in near),
            near_rules=tuple(
                (topic, rule, self.topics[topic].rules.near[rule].within)
                for topic, rule in near_rules
            ),
            excluding=tuple(
                tuple(u.topic for u in used if u.role == "exclude") for used in self.uses
            ),
        )

    def _part(self, spans: list[Span], where: Where, vocabulary: _Vocabulary | None) -> _Part:
        """What one part of a piece says for each topic's rules (phrases, near rules,
        exclusions), its cues and context added to `vocabulary` (None: not wanted).

        A phrase inside a longer phrase of the same topic does not count ("officer" in "chief
        marketing officer"), nor a cue or context phrase inside a longer one of the same topic
        and kind, nor anything of a topic inside one of its exclusions. The spans come by
        start, longest first, so one inside another comes after it; most are inside none
        (their end passes every earlier end) and count in full for each of their uses, which
        is counted per term at the end."""
        plan = self._plan
        excluding = plan.excluding
        phrase_topics, slot_ids = plan.phrase_topics, plan.slot_ids
        # exclusions mask their topic's words wherever they are, before or after
        masks: dict[int, list[tuple[int, int]]] = {}
        # a span holding or overlapping another is no longer than the longest span: the
        # scans below look back that far only
        longest = max((end - start for _t, start, end in spans), default=0)
        excluded = [s for s in spans if excluding[s[0]]]
        for term, start, end in excluded:
            for topic in excluding[term]:
                masks.setdefault(topic, []).append((start, end))
        # per span: its term when it counts in full for each use, else what it counts for
        events: list[int | _Held] = []
        reach, open_from = -1, 0
        excluded_starts = [s[1] for s in excluded]  # by start, as the spans come
        for term, start, end in spans:
            # only an exclusion starting in [start - longest, end) can overlap this span
            touches = excluded and any(
                start < excluded[at][2]
                for at in range(
                    bisect_left(excluded_starts, start - longest),
                    bisect_left(excluded_starts, end),
                )
            )
            if end > reach and not touches:
                if start >= reach:
                    open_from = len(events)  # no earlier span can hold this or a later one
                events.append(term)
                reach = end
                continue
            # inside (or as long as) an earlier span, or overlapping an exclusion
            held_topics: set[int] = set()
            held_slots: set[int] = set()
            if end <= reach:
                for at in range(len(events) - 1, open_from - 1, -1):
                    _t, s, e = spans[at]
                    if s < end - longest:
                        break
                    if e >= end and (s != start or e != end):
                        event = events[at]
                        if isinstance(event, int):
                            held_topics |= phrase_topics[event]
                            held_slots |= slot_ids[event]
                        else:
                            held_topics |= event[2]
                            held_slots |= event[3]
            if touches:
                masked = {t for t, mask in masks.items() if _masked(mask, start, end)}
                held_topics |= masked
                held_slots |= {s[0] for s in plan.slots[term] if s[1] in masked}
            phrases = tuple(u for u in plan.phrases[term] if u[0] not in held_topics)
            slots = tuple(s for s in plan.slots[term] if s[0] not in held_slots)
            events.append(
                (
                    phrases,
                    slots,
                    frozenset(t for t, _r in phrases),
                    frozenset(s[0] for s in slots),
                )
            )
            reach = max(reach, end)
        counts: dict[int, dict[int, int]] = {}
        factor = 1.0 if where == "body" else CUE_HEADLINE
        for event, n in Counter(events).items():  # in the order of first occurrence
            uses, slots = (
                (plan.phrases[event], plan.slots[event])
                if isinstance(event, int)
                else (event[0], event[1])
            )
            for topic, rule in uses:
                counted = counts.get(topic)
                if counted is None:
                    counts[topic] = {rule: n}
                else:
                    counted[rule] = counted.get(rule, 0) + n
            if vocabulary is not None:
                vocabulary.add(slots, n, factor, where)
        near = self._near_rules(spans, masks)
        topics = self.topics
        found: dict[int, _PartEvidence] = {}
        for index in counts.keys() | near.keys() | masks.keys():
            rules = topics[index].rules
            evidence = [
                _evidence_of(rules.phrases[r].text, where, n, rules.phrases[r].weight)
                for r, n in sorted(counts.get(index, {}).items())
            ]
            starts: list[int] = []
            for r, near_starts in near.get(index, ()):
                near_rule = rules.near[r]
                evidence.append(
                    _evidence_of(near_rule.label, where, len(near_starts), near_rule.weight)
                )
                starts += near_starts
            found[index] = _PartEvidence(evidence, starts, index in masks)
        return _Part(found, spans, events, phrase_topics)

    def _near_rules(
        self, spans: list[Span], masks: Mapping[int, list[tuple[int, int]]]
    ) -> dict[int, list[tuple[int, list[int]]]]:
        """Per topic, (near rule, the starts of its `a` phrases near one of its `b` phrases)
        for each near rule that matched, in rule order."""
        plan = self._plan
        near_of = plan.near
        sides: list[list[Span]] = [[] for _ in range(2 * len(plan.near_rules))]
        near_spans = [s for s in spans if near_of[s[0]]]
        if masks:
            for span in near_spans:
                for side, topic in near_of[span[0]]:
                    if not _masked(masks.get(topic), span[1], span[2]):
                        sides[side].append(span)
        else:
            side_of = plan.near_sides
            for span in near_spans:
                for side in side_of[span[0]]:
                    sides[side].append(span)
        found: dict[int, list[tuple[int, list[int]]]] = {}
        for n, (topic, rule, within) in enumerate(plan.near_rules):
            a_side, b_side = sides[2 * n], sides[2 * n + 1]
            if not a_side or not b_side:
                continue
            b_starts = [s[1] for s in b_side]  # the spans come by start
            b_ends = sorted([s[2] for s in b_side])
            near_starts = [
                start for _t, start, end in a_side if _near(start, end, b_starts, b_ends, within)
            ]
            if near_starts:
                found.setdefault(topic, []).append((rule, near_starts))
        return found


def _longest_first(span: Span) -> int:
    return -span[2]


def _masked(mask: list[tuple[int, int]] | None, start: int, end: int) -> bool:
    """True when [start, end) overlaps one of a topic's exclusions."""
    return mask is not None and any(start < e and s < end for s, e in mask)


#: per first key: (one-word terms, those with a capital, {second key: (two-word terms
#: without capitals, other longer terms)})
_Start = tuple[tuple[int, ...], tuple[int, ...], dict[str, tuple[tuple[int, ...], tuple[int, ...]]]]
#: a cue or context use of a term: (slot = 2 x topic + kind, topic, CUE or CONTEXT, rule)
_Slot = tuple[int, int, int, int]
#: what a span inside another (or by an exclusion) counts for: its phrase uses and cue uses
#: that count, and their topics and slots
_Held = tuple[tuple[tuple[int, int], ...], tuple[_Slot, ...], frozenset[int], frozenset[int]]


class _Plan(NamedTuple):
    """Per term (by id): what a span of it counts for."""

    phrases: tuple[tuple[tuple[int, int], ...], ...]  # (topic, rule) of its phrase uses
    phrase_topics: tuple[frozenset[int], ...]
    slots: tuple[tuple[_Slot, ...], ...]  # its cue and context uses
    slot_ids: tuple[frozenset[int], ...]
    #: (2 x its index in `near_rules` + 1 on the b side, topic) of its near rules' uses
    near: tuple[tuple[tuple[int, int], ...], ...]
    near_sides: tuple[tuple[int, ...], ...]  # the first of each pair in `near`
    near_rules: tuple[tuple[int, int, int], ...]  # every near rule: (topic, rule, within)
    excluding: tuple[tuple[int, ...], ...]  # the topics it is an exclusion of


class _PartEvidence(NamedTuple):
    """One topic's evidence in one part of a piece (a tuple: built for every topic and part)."""

    rules: list[Evidence]  # phrases and near rules
    near_starts: list[int]  # where its near rules matched (for the passing-mention rule)
    excluded: bool  # an exclusion matched


class _Part:
    """One part of a piece: each topic's evidence, and what each span counted for (for the
    passing-mention rule)."""

    __slots__ = ("_starts", "events", "found", "phrase_topics", "spans")

    def __init__(
        self,
        found: dict[int, _PartEvidence],
        spans: list[Span],
        events: list[int | _Held],
        phrase_topics: tuple[frozenset[int], ...],
    ) -> None:
        self.found, self.spans, self.events = found, spans, events
        self.phrase_topics = phrase_topics
        self._starts: dict[int, list[int]] | None = None

    def mentions(self, topic: int) -> int:
        """The topic's separate mentions in this part (phrases and near rules)."""
        found = self.found.get(topic)
        if found is None or not found.rules:
            return 0
        if self._starts is None:  # every topic's phrase starts, in one pass when first asked
            self._starts = {}
            for span, event in zip(self.spans, self.events, strict=True):
                topics = self.phrase_topics[event] if isinstance(event, int) else event[2]
                for counted in topics:
                    self._starts.setdefault(counted, []).append(span[1])
        return _mentions(self._starts.get(topic, []) + found.near_starts)


CUE, CONTEXT = 0, 1


class _Vocabulary:
    """The cues and context found in a piece so far, per topic."""

    def __init__(self, topics: int) -> None:
        # per topic: cue -> (the most one mention of it weighs, where that was, mentions)
        self.cues: list[dict[int, tuple[float, Where, int]]] = [{} for _ in range(topics)]
        # per topic: context phrase's weight x mentions (at most CONTEXT_MENTIONS), per place
        self.context: list[dict[tuple[int, float], int]] = [{} for _ in range(topics)]

    def add(self, slots: Sequence[_Slot], mentions: int, factor: float, where: Where) -> None:
        """Count `mentions` of each cue or context use in `slots`, found in `where`."""
        for _slot, topic, kind, rule in slots:
            if kind == CUE:  # the most one mention weighs, where that was, mentions
                cues = self.cues[topic]
                best, place, count = cues.get(rule, (0.0, where, 0))
                cues[rule] = (
                    (factor, where, count + mentions)
                    if factor > best
                    else (best, place, count + mentions)
                )
            else:  # a context phrase's mentions, per place (its weight x factor)
                context = self.context[topic]
                context[rule, factor] = context.get((rule, factor), 0) + mentions

    def score(self, topic: int, rules: TopicRules) -> tuple[tuple[Evidence, ...], float]:
        """(the topic's cues found, its cue score): each distinct cue's weight (CUE_HEADLINE
        times in the title or summary), times the share of CONTEXT_FULL the context reaches."""
        found = self.cues[topic]
        if not found:
            return (), 0.0
        phrases = rules.cues
        cues = tuple(
            [
                _evidence_of(phrases[rule].text, where, count, phrases[rule].weight)
                for rule, (_factor, where, count) in sorted(found.items())
            ]
        )
        # (lists, not generators, summed in the same order: the same sums, a third quicker)
        total = sum([phrases[rule].weight * factor for rule, (factor, _w, _c) in found.items()])
        if rules.context:
            context_phrases, most = rules.context, CONTEXT_MENTIONS
            context = sum(
                [
                    context_phrases[rule].weight * factor * (count if count < most else most)
                    for (rule, factor), count in self.context[topic].items()
                ]
            )
            total *= min(1.0, math.log1p(context) / math.log1p(CONTEXT_FULL))
        return cues, total


def _near(start: int, end: int, b_starts: list[int], b_ends: list[int], within: int) -> bool:
    """True when a b span begins at most `within` words after [start, end) or ends as near before it."""
    after = bisect_left(b_starts, end)
    if after < len(b_starts) and b_starts[after] - end <= within:
        return True
    before = bisect_right(b_ends, start) - 1
    return before >= 0 and start - b_ends[before] <= within


def _mentions(starts: list[int]) -> int:
    """Separate mentions: matches more than MENTION_GAP words apart ("CMO and CIO" is one mention)."""
    count, last = 0, -MENTION_GAP - 1
    for start in sorted(starts):
        if start - last > MENTION_GAP:
            count += 1
        last = start
    return count


def compile_rules(topics: Iterable[TopicLike]) -> Tagger:
    """Compile every topic's rules once; invalid entries are left out (`validate_topics` reports them)."""
    compiled: list[_Topic] = []
    term_ids: dict[str, int] = {}
    terms: list[_Term] = []
    uses: list[list[_Use]] = []
    renamed: dict[str, str] = {}

    def add(text: str, use: _Use) -> None:
        term = compile_phrase(text)
        key = (
            "\x1f".join(f"{k}{'^' if c else ''}" for k, c in zip(term.keys, term.caps, strict=True))
            + "|"
            + "".join("j" if j else "-" for j in term.joins)
        )
        if key not in term_ids:
            term_ids[key] = len(terms)
            terms.append(term)
            uses.append([])
        same = uses[term_ids[key]]
        if use in same:  # "automate" and "automated" are one term for one rule
            return
        if use.role in ("cue", "context") and any(
            (u.topic, u.role) == (use.topic, use.role) for u in same
        ):
            return  # "wait" and "waiting" are one cue: it counts once
        same.append(use)

    for index, topic in enumerate(topics):
        rules, _problems = parse_rules(topic.rules or None, path="", line=topic.line)
        compiled.append(_Topic(topic.slug, rules, rules.threshold or DEFAULT_THRESHOLD))
        for rule, phrase in enumerate(rules.phrases):
            add(phrase.text, _Use(index, "phrase", rule))
        for text in rules.exclude:
            add(text, _Use(index, "exclude", 0))
        for rule, near in enumerate(rules.near):
            for text in near.a:
                add(text, _Use(index, "a", rule))
            for text in near.b:
                add(text, _Use(index, "b", rule))
        for rule, phrase in enumerate(rules.cues):
            add(phrase.text, _Use(index, "cue", rule))
        for rule, phrase in enumerate(rules.context):
            add(phrase.text, _Use(index, "context", rule))
        for old in topic.replaces:
            renamed[old] = topic.slug
    first: dict[str, list[int]] = {}
    pairs: dict[tuple[str, str], list[int]] = {}
    for term_id, term in enumerate(terms):
        if len(term.keys) == 1:
            first.setdefault(term.keys[0], []).append(term_id)
        else:
            pairs.setdefault((term.keys[0], term.keys[1]), []).append(term_id)
    kinds = {"cue": CUE, "context": CONTEXT}
    return Tagger(
        topics=tuple(compiled),
        terms=tuple(terms),
        uses=tuple(tuple(u for u in used if u.role not in kinds) for used in uses),
        vocabulary=tuple(
            tuple((u.topic, kinds[u.role], u.rule) for u in used if u.role in kinds)
            for used in uses
        ),
        first={k: tuple(v) for k, v in first.items()},
        pairs={k: tuple(v) for k, v in pairs.items()},
        starters=frozenset(first) | frozenset(k for k, _ in pairs),
        renamed=renamed,
    )


def resolve_slug(slug: str, topics: Iterable[TopicLike]) -> tuple[str, bool]:
    """(current slug, True) when `slug` is listed in a topic's `replaces`, else (slug, False)."""
    for topic in topics:
        if slug in topic.replaces:
            return topic.slug, True
    return slug, False
