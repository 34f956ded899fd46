"""The topic tagger: text + each topic's rules from feeds/topics.yml -> ranked topics with evidence.

Pure and I/O-free. Owns the rule format (documented at the top of feeds/topics.yml), its
validation (`parse_rules`, `validate_topics`), the light stemmer, and the scoring:
matches in the title and summary weigh more than in the body, the body's share is normalised
by its length, one passing mention in the body never qualifies, and at most three topics
above a threshold come back, best first.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal, Protocol

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
RULE_KEYS = frozenset({"phrases", "near", "exclude", "threshold"})
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


#: the parts of a piece, in the order `tokens` returns them
PLACES: tuple[Where, Where, Where] = ("title", "summary", "body")
Parts = tuple[list[str], list[str], list[str]]


def tokens(title: str, summary: str, body: str) -> Parts:
    """The words (and "&") of a piece's title, summary and body (its prose only)."""
    return _TOKEN.findall(title), _TOKEN.findall(summary), _TOKEN.findall(prose(body))


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


def _parse_phrases(raw: Any, path: str, line: int, problems: list[Problem]) -> tuple[Phrase, ...]:
    if not isinstance(raw, Mapping):
        problems.append(Problem(path, line, "Expected a mapping of phrase: weight for 'phrases'"))
        return ()
    found: list[Phrase] = []
    for text, weight in raw.items():
        at = _line(raw, text, line)
        why = _phrase_problem(text)
        number = _number(weight)
        if why:
            problems.append(Problem(path, at, f"phrases: {why}"))
        elif number is None or not 0 < number <= MAX_WEIGHT:
            problems.append(
                Problem(
                    path,
                    at,
                    f"weight of phrase '{text}' must be a number above 0 and at most {MAX_WEIGHT:g}, got {weight!r}",
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
                path, line, "Expected a mapping for 'rules' (phrases, near, exclude, threshold)"
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
    phrases = (
        _parse_phrases(raw["phrases"], path, _line(raw, "phrases", line), problems)
        if "phrases" in raw
        else ()
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
    return TopicRules(phrases, near, exclude, threshold), problems


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


@dataclass(frozen=True)
class Meaning:
    """Why the meaning of a piece points at a topic (channelhub.profiles fills it in)."""

    #: the calibrated chance that an editor would file the piece under the topic
    confidence: float
    #: the piece's sentences closest to the topic, best first
    sentences: tuple[str, ...] = ()
    #: the labelled pieces of the topic that the piece most resembles, best first
    resembles: tuple[str, ...] = ()


@dataclass(frozen=True)
class TopicScore:
    """A topic the tagger gives a piece, with its score and why."""

    slug: str
    score: float
    evidence: tuple[Evidence, ...] = ()
    meaning: Meaning | None = None


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
    role: Literal["phrase", "exclude", "a", "b"]
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
    uses: tuple[tuple[_Use, ...], ...]
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
            for score, qualifies, _excluded in self.assess(title, summary, body)
            if score.score > 0
        ]

    def assess(self, title: str, summary: str, body: str) -> list[tuple[TopicScore, bool, bool]]:
        """(score, qualifies, excluded) for every topic with evidence or a matched exclusion, best first."""
        return self.assess_tokens(tokens(title, summary, body))

    def assess_tokens(self, parts: Parts) -> list[tuple[TopicScore, bool, bool]]:
        """`assess` of a piece already split by `tokens` (whoever also needs its words)."""
        totals = [0.0] * len(self.topics)
        evidence: list[list[Evidence]] = [[] for _ in self.topics]
        headline = [False] * len(self.topics)
        body_mentions = [0] * len(self.topics)
        excluded = [False] * len(self.topics)
        for where, tokens in zip(PLACES, parts, strict=True):
            if not tokens:
                continue
            scale = PLACE_WEIGHTS[where]
            if where == "body":
                scale /= math.sqrt(max(1.0, len(tokens) / BODY_WORDS))
            for index, (found, mentions, masked) in self._evidence(tokens, where).items():
                excluded[index] = excluded[index] or masked
                evidence[index] += found
                totals[index] += scale * sum(
                    e.weight * (e.count if where == "body" else 1) for e in found
                )
                if where == "body":
                    body_mentions[index] = mentions
                else:
                    headline[index] = True
        ranked = [
            # A passing mention (one place in the body, nothing in title or summary) never qualifies.
            (
                TopicScore(t.slug, totals[i], tuple(evidence[i])),
                totals[i] >= t.threshold and (headline[i] or body_mentions[i] >= 2),
                excluded[i],
            )
            for i, t in enumerate(self.topics)
            if totals[i] > 0 or excluded[i]
        ]
        return sorted(ranked, key=lambda pair: (-pair[0].score, pair[0].slug))

    def _spans(self, tokens: Sequence[str]) -> list[Span]:
        """Every term occurrence in the tokens: one pass, candidates looked up by their first keys."""
        keys = list(map(token_key, tokens))
        last = len(keys) - 1
        first, pairs, terms = self.first, self.pairs, self.terms
        spans: list[Span] = []
        for start in [i for i, k in enumerate(keys) if k in self.starters]:
            key = keys[start]
            for term_id in first.get(key, ()):
                if not terms[term_id].caps[0] or _capital(tokens[start]):
                    spans.append((term_id, start, start + 1))
            if start == last:
                continue
            candidates = pairs.get((key, keys[start + 1]), ())
            if keys[start + 1] in JOINERS and start + 1 < last:
                candidates += pairs.get((key, keys[start + 2]), ())
            for term_id in candidates:
                end = self._match(terms[term_id], tokens, keys, start)
                if end:
                    spans.append((term_id, start, end))
        return spans

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

    def _evidence(
        self, tokens: Sequence[str], where: Where
    ) -> dict[int, tuple[list[Evidence], int, bool]]:
        """(evidence, separate mentions, an exclusion matched) per topic index, from one part of a piece."""
        by_topic: dict[int, dict[str, list[tuple[int, int, int]]]] = {}
        for term_id, start, end in self._spans(tokens):
            for use in self.uses[term_id]:
                roles = by_topic.setdefault(use.topic, {})
                roles.setdefault(use.role, []).append((start, end, use.rule))
        return {
            index: (*_topic_evidence(self.topics[index].rules, roles, where), "exclude" in roles)
            for index, roles in by_topic.items()
        }


def _topic_evidence(
    rules: TopicRules, roles: Mapping[str, list[tuple[int, int, int]]], where: Where
) -> tuple[list[Evidence], int]:
    """Count one topic's phrase and near rules (after exclusions, longest match wins) and its separate mentions."""
    excluded = roles.get("exclude", [])

    def kept(spans: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
        if not excluded:
            return spans
        return [s for s in spans if not any(s[0] < e[1] and e[0] < s[1] for e in excluded)]

    phrases = _outermost(kept(roles.get("phrase", [])))
    counts: dict[int, int] = {}
    for _start, _end, rule in phrases:
        counts[rule] = counts.get(rule, 0) + 1
    found = [
        Evidence(rules.phrases[r].text, where, n, rules.phrases[r].weight)
        for r, n in sorted(counts.items())
    ]
    a_side, b_side = kept(roles.get("a", [])), kept(roles.get("b", []))
    starts = [p[0] for p in phrases]
    for r, near in enumerate(rules.near if a_side and b_side else ()):
        b_starts = sorted(start for start, _end, rule in b_side if rule == r)
        b_ends = sorted(end for _start, end, rule in b_side if rule == r)
        near_starts = [
            start
            for start, end, rule in a_side
            if rule == r and _near(start, end, b_starts, b_ends, near.within)
        ]
        if near_starts:
            found.append(Evidence(near.label, where, len(near_starts), near.weight))
            starts += near_starts
    return found, _mentions(starts)


def _outermost(spans: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Spans not inside a longer span: "officer" in "chief marketing officer" is not counted again."""
    kept: list[tuple[int, int, int]] = []
    reach = -1
    for span in sorted(spans, key=lambda s: (s[0], -s[1])):
        if span[1] > reach or (kept and kept[-1][:2] == span[:2]):
            kept.append(span)
            reach = max(reach, span[1])
    return kept


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
        if use not in uses[term_ids[key]]:  # "automate" and "automated" are one term for one rule
            uses[term_ids[key]].append(use)

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
        for old in topic.replaces:
            renamed[old] = topic.slug
    first: dict[str, list[int]] = {}
    pairs: dict[tuple[str, str], list[int]] = {}
    for term_id, term in enumerate(terms):
        if len(term.keys) == 1:
            first.setdefault(term.keys[0], []).append(term_id)
        else:
            pairs.setdefault((term.keys[0], term.keys[1]), []).append(term_id)
    return Tagger(
        topics=tuple(compiled),
        terms=tuple(terms),
        uses=tuple(tuple(u) for u in uses),
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
