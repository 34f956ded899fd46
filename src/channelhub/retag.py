"""Tagging pieces on disk: tag files, re-tag the hub's tagger-owned pieces, measure the tagger.

Owns the orchestration around the pure tagger: reading pieces, deciding which pieces the
tagger may change (`topics == auto_topics`; an editor's edit makes them differ and wins for
good), migrating renamed topic slugs everywhere, rewriting only the `topics:`/`auto_topics:`
lines of a changed file, and precision/recall/F1 over a labelled folder. Printing is the
CLI's (`channelhub.cli.tag`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from channelhub import frontmatter, ingest
from channelhub.config import Hub, slug_list
from channelhub.content import meta_text as _text
from channelhub.content import piece_files
from channelhub.files import write_atomic
from channelhub.frontmatter import Document, FrontMatterError
from channelhub.problems import Problem, errors
from channelhub.profiles import (
    HubTagger,
    cross_validate,
    editor_labelled,
    labelled_pieces,
    load_hub_tagger,
)
from channelhub.sandbox import Sandbox
from channelhub.tagger import TopicScore, TopicTagger, compile_rules, validate_topics

# --- reading pieces -----------------------------------------------------------------------


def tag_document(tagger: TopicTagger, doc: Document) -> list[TopicScore]:
    """The tagger's topics for a piece: its title, summary and body."""
    return tagger.tag(_text(doc.meta, "title"), _text(doc.meta, "summary"), doc.body)


def load_tagger(hub: Hub) -> tuple[HubTagger, list[Problem]]:
    """The rules with the topics' profiles (from the labelled examples and the editors'
    pieces), and the errors in topics.yml that make tagging unreliable."""
    found = errors([*hub.problems, *validate_topics(hub.topics)])
    problems = [p for p in found if p.path.endswith("topics.yml")]
    rules = compile_rules(hub.topics)
    if problems:
        return HubTagger(rules), problems
    tagger, _notes = load_hub_tagger(hub.root, rules)
    return tagger, problems


# --- re-tagging ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """What `--retag` did (or would do) to one piece."""

    path: str
    old: tuple[str, ...]
    new: tuple[str, ...]
    #: "retag": the tagger's topics changed; "rename": old slugs migrated in editor-owned topics
    reason: str


@dataclass(frozen=True)
class RetagReport:
    """The outcome of `--retag` over the whole hub."""

    changes: tuple[Change, ...] = ()
    tagger_owned: int = 0
    editor_owned: int = 0
    problems: tuple[Problem, ...] = field(default=())


def _migrate(slugs: Sequence[str], tagger: TopicTagger) -> list[str]:
    """Slugs with renamed ones replaced by their new topic, duplicates dropped, order kept."""
    return list(dict.fromkeys(tagger.resolve_slug(s)[0] for s in slugs))


Defaults = Mapping[str, Sequence[str]]  # source id -> the source's default topics


def plan_piece(
    tagger: TopicTagger, doc: Document, defaults: Defaults | None = None
) -> tuple[dict[str, list[str]], str, bool]:
    """(keys to set, reason, tagger-owned) for one piece; no keys when nothing changes."""
    meta = doc.meta
    topics = slug_list(meta.get("topics")) or []
    auto = slug_list(meta.get("auto_topics")) if "auto_topics" in meta else None
    owned = auto is not None and topics == auto
    if owned:
        new = [s.slug for s in tag_document(tagger, doc)]
        if not new and isinstance(meta.get("source"), str):
            # As pull does: a pulled piece with no clear topic gets its source's default topics.
            new = _migrate((defaults or {}).get(meta["source"], ()), tagger)
        return ({"topics": new, "auto_topics": new} if new != topics else {}), "retag", True
    updates: dict[str, list[str]] = {}
    if _migrate(topics, tagger) != topics:
        updates["topics"] = _migrate(topics, tagger)
    if auto is not None and _migrate(auto, tagger) != auto:
        updates["auto_topics"] = _migrate(auto, tagger)
    return updates, "rename", False


#: below this many pieces one process is faster than starting workers
PARALLEL_FROM = 400
CHUNK = 200

# One piece's outcome: (tagger-owned or None when unreadable, change, problem).
_Outcome = tuple[bool | None, Change | None, Problem | None]


def retag_piece(
    root: Path, path: Path, tagger: TopicTagger, write: bool, defaults: Defaults | None = None
) -> _Outcome:
    """Re-tag one piece (or migrate its renamed slugs); write it only when its topics change."""
    display = path.relative_to(root).as_posix()
    try:
        doc = frontmatter.read(path, display=display, with_lines=False)
    except FrontMatterError as exc:
        return None, None, exc.problem(" (not re-tagged)")
    updates, reason, owned = plan_piece(tagger, doc, defaults)
    if not updates:
        return owned, None, None
    old = tuple(slug_list(doc.meta.get("topics")) or [])
    if write:
        # A pulled piece nobody has edited stays pull-owned after the tagger's change, so pull
        # may still update it; one an editor touched keeps counting as edited.
        untouched = "pulled_hash" in doc.meta and ingest.is_untouched(
            path.read_text(encoding="utf-8")
        )
        rewrite_keys(path, updates, doc)
        if untouched:
            ingest.rehash(path)
    return owned, Change(display, old, tuple(updates.get("topics", old)), reason), None


def _retag_chunk(
    root: Path, paths: list[Path], tagger: TopicTagger, write: bool, defaults: Defaults
) -> list[_Outcome]:
    return [retag_piece(root, path, tagger, write, defaults) for path in paths]


def retag(
    root: Path,
    tagger: TopicTagger,
    *,
    write: bool = True,
    defaults: Defaults | None = None,
    workers: int | None = None,
) -> RetagReport:
    """Re-tag every tagger-owned piece under docs/ and migrate renamed slugs in the others.

    `defaults` are the sources' default topics, given to a pulled piece the tagger finds no topic for.
    """
    defaults = {k: tuple(v) for k, v in (defaults or {}).items()}
    paths = list(piece_files(root / "docs"))
    workers = workers or min(os.cpu_count() or 1, 8)
    if workers > 1 and len(paths) >= PARALLEL_FROM:
        chunks = [paths[i : i + CHUNK] for i in range(0, len(paths), CHUNK)]
        calls = (partial(_retag_chunk, root, chunk, tagger, write, defaults) for chunk in chunks)
        # plain parallel work on the hub's own files: no limits
        with Sandbox(workers, time_limit=None, memory_limit=None) as sandbox:
            outcomes = []
            for part in sandbox.map(calls):
                if isinstance(part, Exception):
                    raise part  # a bug, not a piece's problem (those come back as outcomes)
                outcomes += part
    else:
        outcomes = _retag_chunk(root, paths, tagger, write, defaults)
    return RetagReport(
        changes=tuple(change for _owned, change, _problem in outcomes if change),
        tagger_owned=sum(owned is True for owned, _change, _problem in outcomes),
        editor_owned=sum(owned is False for owned, _change, _problem in outcomes),
        problems=tuple(problem for _owned, _change, problem in outcomes if problem),
    )


# A top-level key line in front matter, and the indented or list lines that continue its value.
_KEY_LINE = re.compile(r"^(?P<key>[A-Za-z_][\w-]*)[ \t]*:")


def replace_keys(text: str, updates: Mapping[str, list[str]]) -> str | None:
    """The file text with only these front matter keys rewritten; None if that is not safe."""
    yaml_text, _body, _line = frontmatter.split(text)
    if yaml_text is None or not text.startswith("---"):
        return None
    start = text.index("\n") + 1  # just after the opening '---' line
    lines = yaml_text.splitlines(keepends=True)
    out: list[str] = []
    done: set[str] = set()
    skipping = False
    for line in lines:
        match = _KEY_LINE.match(line)
        if match or not (line[:1].isspace() or line.startswith("-")):
            skipping = False
        if skipping:
            continue
        key = match.group("key") if match else ""
        if key in updates:
            out.append(frontmatter.dump_meta({key: updates[key]}))
            done.add(key)
            skipping = True
        else:
            out.append(line if line.endswith("\n") else line + "\n")
    missing = [k for k in updates if k not in done]
    out += [frontmatter.dump_meta({k: updates[k]}) for k in missing]
    new_yaml = "".join(out)
    return text[:start] + new_yaml + text[start + len(yaml_text) :]


def rewrite_keys(
    path: Path, updates: Mapping[str, list[str]], before: Document | None = None
) -> bool:
    """Set front matter keys in a file, keeping every other byte; atomic; False if unchanged."""
    text = path.read_text(encoding="utf-8")
    if before is None:
        before = frontmatter.parse(text, path=str(path), with_lines=False)
    expected = {**before.meta, **updates}
    new_text = replace_keys(text, updates)
    if new_text is not None:
        try:  # a key's line may hold an anchor that another key's alias needs
            after: Document | None = frontmatter.parse(new_text, path=str(path), with_lines=False)
        except FrontMatterError:
            after = None
        if (
            after is not None
            and frontmatter.same_data(after.meta, expected)
            and after.body == before.body
        ):
            return new_text != text and write_atomic(path, new_text, durable=False)
    # An unusual layout the line edit cannot handle safely: rewrite the whole front matter.
    return frontmatter.write(path, expected, before.body)


# --- evaluation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    """True positives, false positives and false negatives for one topic or all of them."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class Evaluation:
    """How the tagger did on a labelled folder."""

    pieces: int
    micro: Counts
    per_topic: Mapping[str, Counts]
    misses: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = ()  # (path, expected, got)

    def as_json(self) -> dict[str, Any]:
        def figures(c: Counts) -> dict[str, Any]:
            return {
                "precision": round(c.precision, 3),
                "recall": round(c.recall, 3),
                "f1": round(c.f1, 3),
                "tp": c.tp,
                "fp": c.fp,
                "fn": c.fn,
            }

        return {
            "pieces": self.pieces,
            "micro": figures(self.micro),
            "topics": {slug: figures(c) for slug, c in self.per_topic.items()},
            "misses": [{"path": p, "expected": list(e), "got": list(g)} for p, e, g in self.misses],
        }


def labelled_files(folder: Path) -> Iterator[Path]:
    return (p for p in sorted(folder.rglob("*.md")) if not p.name.startswith("."))


def evaluate(tagger: TopicTagger, folder: Path) -> tuple[Evaluation, list[Problem]]:
    """Micro and per-topic precision/recall/F1 for the pieces with `expected_topics`."""
    per_topic: dict[str, Counts] = {slug: Counts() for slug in tagger.slugs}
    problems: list[Problem] = []
    misses = []
    pieces = 0
    for path in labelled_files(folder):
        try:
            doc = frontmatter.read(path, display=str(path), with_lines=True)
        except FrontMatterError as exc:
            problems.append(exc.problem())
            continue
        if "expected_topics" not in doc.meta:
            continue
        expected_list = slug_list(doc.meta["expected_topics"] or [])
        if expected_list is None:
            problems.append(
                Problem(
                    str(path),
                    doc.line_of("expected_topics"),
                    "Expected a list of topic slugs for 'expected_topics'",
                )
            )
            continue
        expected = {tagger.resolve_slug(s)[0] for s in expected_list}
        got = [s.slug for s in tag_document(tagger, doc)]
        pieces += 1
        _count(per_topic, expected, got)
        if expected != set(got):
            misses.append((str(path), tuple(sorted(expected)), tuple(got)))
    micro = sum(per_topic.values(), Counts())
    return Evaluation(pieces, micro, per_topic, tuple(misses)), problems


def _count(per_topic: dict[str, Counts], expected: set[str], got: Sequence[str]) -> None:
    for slug in expected | set(got):
        hit = Counts(
            tp=int(slug in expected and slug in got),
            fp=int(slug in got and slug not in expected),
            fn=int(slug in expected and slug not in got),
        )
        per_topic[slug] = per_topic.get(slug, Counts()) + hit


def cross_validated(root: Path, tagger: HubTagger) -> Evaluation | None:
    """The tagger on the hub's own editor-labelled pieces, each tagged by profiles built and
    calibrated without it (5 folds); None without the model or without such pieces."""
    embedder = tagger.model()
    if embedder is None:
        return None
    pieces, _problems = labelled_pieces(root, tagger.rules)
    scored = editor_labelled(pieces)
    if not scored:
        return None
    per_topic: dict[str, Counts] = {slug: Counts() for slug in tagger.slugs}
    misses = []
    outcomes = cross_validate(embedder, tagger.rules, pieces, scored)
    for outcome in outcomes:
        _count(per_topic, set(outcome.expected), outcome.got)
        if set(outcome.expected) != set(outcome.got):
            misses.append((outcome.name, tuple(sorted(outcome.expected)), outcome.got))
    micro = sum(per_topic.values(), Counts())
    return Evaluation(len(outcomes), micro, per_topic, tuple(misses))


# --- what `channelhub tag` shows -----------------------------------------------------------


def json_result(path: str, scores: Iterable[TopicScore]) -> dict[str, Any]:
    return {"path": path, "topics": [{"slug": s.slug, "score": round(s.score, 3)} for s in scores]}


def evidence_text(score: TopicScore) -> str:
    """'CMO/CIO (title), chief marketing officer (body x2)' for one topic, then for a match of
    meaning its confidence, the cues found ('cues: queue, hold music (title)'), the closest
    sentences and the labelled pieces it most resembles."""
    parts = [
        ", ".join(
            f"{e.phrase} ({e.where}{f' x{e.count}' if e.count > 1 else ''})" for e in score.evidence
        )
    ]
    meaning = score.meaning
    if meaning is not None and (meaning.sentences or meaning.resembles or score.cues):
        parts.append(f"meaning {meaning.confidence:.2f}")
        if score.cues:
            cues = (f"{e.phrase}{f' ({e.where})' if e.where != 'body' else ''}" for e in score.cues)
            parts.append("cues: " + ", ".join(cues))
        parts += [f'closest: "{_clip(s)}"' for s in meaning.sentences]
        if meaning.resembles:
            parts.append("like " + ", ".join(meaning.resembles))
        if meaning.why:
            parts.append(f"{'vetoed: ' if meaning.vetoed else 'why: '}{meaning.why}")
    return "; ".join(p for p in parts if p)


def _clip(sentence: str, limit: int = 140) -> str:
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"


def table_rows(tagger: HubTagger, path: str, doc: Document) -> list[tuple[str, str, str, str]]:
    found = tagger.explain(_text(doc.meta, "title"), _text(doc.meta, "summary"), doc.body)
    scores = [s for s in found if s.meaning is None or not s.meaning.vetoed]
    vetoed = [
        (path, f"({s.slug})", f"{s.score:.3f}", evidence_text(s)) for s in found if s not in scores
    ]
    if scores:
        return [(path, s.slug, f"{s.score:.3f}", evidence_text(s)) for s in scores] + vetoed
    if vetoed:
        return [(path, "(none)", "", "the rules' topics were vetoed:"), *vetoed]
    best = tagger.score_all(_text(doc.meta, "title"), _text(doc.meta, "summary"), doc.body)
    note = (
        f"best: {best[0].slug} {best[0].score:.3f} ({evidence_text(best[0])})"
        if best
        else "no rule matched"
    )
    return [(path, "(none)", "", f"no topic reaches its threshold; {note}")]
