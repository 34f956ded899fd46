"""Synthetic pieces for the benchmarks and scale tests: realistic front matter, 300–800 words each.

Benchmark data, not part of the hub: scripts import it from beside them, tests through
tests/conftest.py, which puts scripts/ on the import path.

Owns the generator only: what a hub with N pieces looks like (editorial articles, analyst
notes, partner and analyst posts pulled from a handful of sources). The same seed gives the
same pieces, so two builds of one N compare like with like.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from channelhub import frontmatter

#: share of each kind of piece (editorial articles, analyst notes, partner posts, analyst posts)
MIX = (("article", 0.55), ("note", 0.10), ("partner", 0.25), ("analyst", 0.10))
#: the synthetic calendar: pieces spread over this many days before END
SPAN_DAYS = 7 * 365
END = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

_SUBJECTS = (
    "the CMO",
    "the CIO",
    "marketing operations",
    "the IT service desk",
    "the channel team",
    "the data team",
    "finance",
    "the partner manager",
    "the web team",
    "the security office",
    "sales leadership",
    "the analytics lead",
)
_VERBS = (
    "owns",
    "funds",
    "measures",
    "rebuilds",
    "retires",
    "negotiates",
    "audits",
    "migrates",
    "integrates",
    "prioritises",
    "documents",
    "automates",
)
_OBJECTS = (
    "the martech budget",
    "the customer data platform",
    "lead scoring",
    "the partner portal",
    "consent records",
    "the campaign calendar",
    "attribution reports",
    "the mobile app roadmap",
    "the CRM migration",
    "market development funds",
    "the analytics warehouse",
    "social listening data",
    "the email platform",
    "identity and access for agencies",
    "the web content system",
    "vendor contracts",
)
_CLAUSES = (
    "before the next planning cycle",
    "without a shared roadmap",
    "because nobody else will",
    "with a quarterly review",
    "after the last outage",
    "once the contract renews",
    "while the pipeline stays flat",
    "so that both teams read the same numbers",
    "when the board asks for proof",
    "as the agency model changes",
)
#: the most frequent words of English prose, which real pieces are full of and the search index holds too
_FUNCTION_WORDS = (
    *("the", "of", "and", "to", "a", "in", "for", "is", "on", "that", "by", "with", "as", "it"),
    *("are", "this", "be", "from", "or", "at", "an", "not", "was", "we", "can", "has", "their"),
    *("more", "but", "which", "all", "will", "its", "they", "have", "one", "when", "who", "how"),
    *("there", "what", "if", "about", "our", "so", "than", "into", "most", "only", "other"),
)
_WORDS = [
    "budget",
    "pipeline",
    "roadmap",
    "integration",
    "governance",
    "latency",
    "dashboard",
    "cohort",
    "consent",
    "segment",
    "workflow",
    "license",
    "renewal",
    "backlog",
    "sprint",
    "stakeholder",
    "vendor",
    "procurement",
    "uptime",
    "retention",
    "conversion",
    "forecast",
    "quota",
    "territory",
    "reseller",
    "distributor",
    "incentive",
    "rebate",
    "enablement",
    "onboarding",
    "telemetry",
    "warehouse",
    "schema",
    "identity",
    "privacy",
    "compliance",
    "audit",
    "migration",
    "rollout",
    "pilot",
    "benchmark",
    "survey",
    "respondent",
    "adoption",
    "churn",
    "margin",
    "revenue",
    "spend",
    "headcount",
    "architecture",
    "platform",
    "interface",
    "webhook",
    "campaign",
]
_TITLE_OPENERS = (
    "Why",
    "How",
    "When",
    "What happens when",
    "Five questions before",
    "A field guide to how",
    "The case for letting",
    "Lessons from a year in which",
)
_FIRST = ("Alex", "Sam", "Jordan", "Taylor", "Morgan", "Riley", "Casey", "Jamie", "Robin", "Kim")
_LAST = ("Nguyen", "Okoro", "Schmidt", "Haddad", "Larsen", "Moreau", "Tanaka", "Silva", "Byrne")
_FIRMS = ("Ridgeline Research", "Northfield Advisory", "Crestmark Analytics", "Bellweather Group")


@dataclass(frozen=True)
class SynthSource:
    """A made-up feed source the synthetic pulled pieces come from."""

    id: str
    name: str
    kind: str  # partner | analyst
    site: str


@dataclass(frozen=True)
class SynthPiece:
    """One generated piece: where it goes under docs/ and its full Markdown text."""

    src_uri: str
    text: str


def synth_sources(partners: int = 6, analysts: int = 3) -> tuple[SynthSource, ...]:
    """A fixed set of partner and analyst sources (ids prefixed `synth-` to stay out of the way)."""
    out = [
        SynthSource(
            f"synth-partner-{i}", f"Partner Blog {i}", "partner", f"https://partner{i}.example"
        )
        for i in range(1, partners + 1)
    ]
    out += [
        SynthSource(
            f"synth-analyst-{i}", f"Analyst Feed {i}", "analyst", f"https://analyst{i}.example"
        )
        for i in range(1, analysts + 1)
    ]
    return tuple(out)


def sources_yaml(sources: Sequence[SynthSource]) -> str:
    """YAML list items for feeds/sources.yml (to append under `sources:`)."""
    lines: list[str] = []
    for source in sources:
        lines += [
            f"  - id: {source.id}",
            f"    name: {source.name}",
            f"    url: {source.site}/feed.xml",
            f"    kind: {source.kind}",
            f"    site: {source.site}",
            "    policy: excerpt",
            "",
        ]
    return "\n".join(lines)


def vocabulary(size: int = 6000) -> tuple[tuple[str, ...], list[float]]:
    """Function words, domain words, then pronounceable made-up ones, with Zipf weights (cumulative).

    A realistic spread of rare and common words matters: it decides how big a search index
    and each of its chunks get. As in real prose the top ranks are function words, so a
    domain word such as "budget" is about as frequent as on a real trade site, not as "the".
    """
    syllables = [c + v for c in "bdfgklmnprstvz" for v in ("a", "e", "i", "o", "u", "ar", "en")]
    rng = random.Random(size)
    made_up: dict[str, None] = {}
    known = {*_FUNCTION_WORDS, *_WORDS}
    while len(made_up) < size - len(known):
        word = "".join(rng.choices(syllables, k=rng.choice((2, 3, 3, 4))))
        if word not in known:
            made_up[word] = None
    words = (*_FUNCTION_WORDS, *_WORDS, *made_up)
    total = 0.0
    cumulative: list[float] = []
    for rank in range(1, len(words) + 1):
        total += 1.0 / rank
        cumulative.append(total)
    return words, cumulative


_VOCABULARY = vocabulary()


def _sentence(rng: random.Random) -> str:
    words, weights = _VOCABULARY
    filler = rng.choices(words, cum_weights=weights, k=rng.randint(4, 9))
    text = (
        f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} "
        f"{rng.choice(_CLAUSES)}, {' '.join(filler)}."
    )
    return text[0].upper() + text[1:]


def body(rng: random.Random, words: int) -> str:
    """Markdown prose of about `words` words: paragraphs, a few headings, sometimes a list."""
    parts: list[str] = []
    count = 0
    while count < words:
        if parts and rng.random() < 0.18:
            heading = f"## {rng.choice(_OBJECTS).capitalize()} {rng.choice(_CLAUSES)}"
            parts.append(heading)
        if rng.random() < 0.12:
            items = [f"- {_sentence(rng)}" for _ in range(rng.randint(3, 5))]
            paragraph = "\n".join(items)
        else:
            paragraph = " ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))
        parts.append(paragraph)
        count += len(paragraph.split())
    return "\n\n".join(parts) + "\n"


def _title(rng: random.Random) -> str:
    opener = rng.choice(_TITLE_OPENERS)
    text = f"{opener} {rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}"
    return text[0].upper() + text[1:]


def _slug(title: str, number: int) -> str:
    words = "".join(c if c.isalnum() else " " for c in title.lower()).split()
    return "-".join(words[:8]) + f"-{number}"


def _kind(rng: random.Random) -> str:
    roll = rng.random()
    for kind, share in MIX:
        if roll < share:
            return kind
        roll -= share
    return MIX[0][0]


def synth_piece(
    rng: random.Random,
    number: int,
    *,
    topics: Sequence[str],
    editors: Sequence[str],
    sources: Sequence[SynthSource],
    end: datetime = END,
    span_days: int = SPAN_DAYS,
) -> SynthPiece:
    """One piece with the front matter a real one of its kind would carry, dated in the
    `span_days` before `end`."""
    kind = _kind(rng)
    when = end - timedelta(minutes=rng.randrange(span_days * 24 * 60))
    title = _title(rng)
    slug = _slug(title, number)
    chosen = rng.sample(list(topics), k=min(len(topics), rng.choice((1, 2, 2, 3))))
    meta: dict[str, Any] = {
        "title": title,
        "date": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "topics": chosen,
        "auto_topics": chosen,
        "summary": _sentence(rng),
    }
    year = when.year
    if kind in ("article", "note"):
        meta["editor"] = rng.choice(list(editors))
        if kind == "note":
            firm = rng.choice(_FIRMS)
            meta["analyst"] = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
            meta["firm"] = firm
            meta["figure"] = (
                f"{firm} expects {rng.randint(12, 78)} percent of companies to change how "
                f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}."
            )
            meta["canonical"] = f"https://{firm.split()[0].lower()}.example/reports/{slug}"
        folder = "articles" if kind == "article" else "notes"
        src_uri = f"{folder}/{year}/{slug}.md"
    else:
        pool = [s for s in sources if s.kind == kind] or list(sources)
        source = rng.choice(pool)
        canonical = f"{source.site}/posts/{slug}"
        meta.update(
            {
                "source": source.id,
                "canonical": canonical,
                "author": f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
                "guid": canonical,
                "first_seen": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        )
        src_uri = f"sources/{source.id}/{year}/{slug}.md"
    text = frontmatter.render(meta, body(rng, rng.randint(300, 800)))
    return SynthPiece(src_uri=src_uri, text=text)


def synth_pieces(
    n: int,
    *,
    topics: Sequence[str],
    editors: Sequence[str],
    sources: Sequence[SynthSource],
    seed: int = 8,
    first: int = 1,
    end: datetime = END,
    span_days: int = SPAN_DAYS,
) -> list[SynthPiece]:
    """N pieces, the same ones for the same arguments; numbered from `first` (part of each
    slug), dated in the `span_days` before `end` (a later `end` gives the newest pieces, as a
    pull brings them)."""
    if not topics or not editors:
        raise ValueError("synthetic pieces need at least one topic and one editor")
    rng = random.Random(seed)
    return [
        synth_piece(
            rng,
            number,
            topics=topics,
            editors=editors,
            sources=sources,
            end=end,
            span_days=span_days,
        )
        for number in range(first, first + n)
    ]


def write_pieces(docs_dir: Path, pieces: Sequence[SynthPiece]) -> int:
    """Write pieces under docs_dir (a scratch copy, so plain writes); return the bytes written."""
    total = 0
    for piece in pieces:
        path = docs_dir / piece.src_uri
        path.parent.mkdir(parents=True, exist_ok=True)
        data = piece.text.encode("utf-8")
        path.write_bytes(data)
        total += len(data)
    return total
