"""`channelhub pull`: every enabled source fetched, parsed, written, and reported.

This module owns the orchestration of a pull run and its `PullReport`: it reads the sources
and the takedowns (a bad sources or takedowns file is a `PullConfigError`), asks `fetch` for
each feed with the validators, moved URL, Retry-After and gone flag kept in `state` and the
source's deadline, runs the CPU-heavy half of `ingest` (`prepare_feed`: parse, the source's
keep/block rules, clean, convert, tag) in limited worker processes, then writes each source's
pieces in sources.yml order (so deduplication across sources is deterministic) and saves the
ledger and then the state right after each source's pieces (a kill in between costs at worst
a refetch). One source's failure never stops the others. Printing is the CLI's job; this
module returns values and the words for them (one line per source, totals that add up).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from channelhub import state as state_store
from channelhub import takedowns as takedown_store
from channelhub.config import SOURCES_FILE, TOPICS_FILE, Hub, Source, load_hub
from channelhub.dates import utc_text_or_none
from channelhub.fetch import (
    Fetcher,
    FetchOutcome,
    FetchPolicy,
    FetchRequest,
    FetchResult,
    Validators,
)
from channelhub.files import write_atomic
from channelhub.ingest import (
    FeedSpec,
    Ingestor,
    ItemResult,
    PreparedFeed,
    prepare_feed,
    topics_key,
)
from channelhub.ledger import LEDGER_FILE, SOURCES_DIR
from channelhub.parse import FeedError
from channelhub.problems import Problem, errors
from channelhub.profiles import hub_profiles
from channelhub.sandbox import Sandbox, SandboxError
from channelhub.state import SourceState, SourceStatus
from channelhub.takedowns import Takedown, Takedowns

REPORT_FILE = ".cache/channelhub/pull-report.json"
#: CPU seconds one feed may take to parse, clean, convert and tag in its worker
PREPARE_TIME_LIMIT = 30.0
PREPARE_MEMORY_LIMIT = 768 * 2**20
#: most seconds between saves of feeds/state.json during a run (each save is an fsync)
STATE_SAVE_INTERVAL = 1.0
#: what happened to entries, in the order the report words them
COUNTED = (
    "new", "updated", "unchanged", "filtered", "kept_down", "skipped", "kept_edits", "duplicate"
)  # fmt: skip


class Outcome(StrEnum):
    """What one run did with one source (`SourceReport.outcome`)."""

    OK = "ok"  # fetched, parsed and its pieces written
    UNCHANGED = "unchanged"  # the same bytes as the last run: nothing parsed
    NOT_MODIFIED = "not_modified"  # HTTP 304
    DEFERRED = "deferred"  # not asked: its Retry-After has not passed
    GONE = "gone"  # HTTP 410, now or on an earlier run
    ERROR = "error"
    REFUSED = "refused"  # the address policy refused it

    @classmethod
    def of(cls, fetched: FetchOutcome) -> Outcome:
        return cls(fetched.value)


#: outcomes that make `pull` exit 1
FAILED = frozenset({Outcome.ERROR, Outcome.REFUSED})
#: how a source's run is counted in the totals, in the order they are worded
SOURCE_COUNTS = ("ok", "unchanged", "deferred", "gone", "failed")


class PullConfigError(Exception):
    """The sources or topics file is broken, or the command was asked for an unknown source.

    `lines` are ready to print: `path:line: message` for a file's problems.
    """

    def __init__(self, lines: Sequence[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = tuple(lines)


@dataclass(frozen=True)
class SourceReport:
    """What one run did with one source."""

    id: str
    outcome: Outcome
    url: str
    http_status: int | None = None
    moved_to: str | None = None  # the feed's new URL after a 301/308: sources.yml needs it
    items: tuple[ItemResult, ...] = ()
    error: str | None = None
    warnings: tuple[str, ...] = ()
    retry_after: datetime | None = None
    elapsed: float = 0.0

    @property
    def failed(self) -> bool:
        return self.outcome in FAILED

    @property
    def counted_as(self) -> str:
        """Which of SOURCE_COUNTS this run counts as (both kinds of unchanged are one)."""
        if self.failed:
            return "failed"
        if self.outcome in (Outcome.NOT_MODIFIED, Outcome.UNCHANGED):
            return "unchanged"
        return str(self.outcome)

    def of(self, action: str) -> list[ItemResult]:
        return [item for item in self.items if item.action == action]

    @property
    def counts(self) -> dict[str, int]:
        found: Counter[str] = Counter(item.action for item in self.items)
        return {action: found[action] for action in COUNTED}

    def to_json(self) -> dict[str, Any]:
        def items(action: str) -> list[dict[str, Any]]:
            return [_item_json(item) for item in self.of(action)]

        return {
            "id": self.id,
            "status": "failed"
            if self.failed
            else ("gone" if self.outcome == Outcome.GONE else "ok"),
            "outcome": self.outcome,
            "http_status": self.http_status,
            "url": self.url,
            "moved_to": self.moved_to,
            "error": self.error,
            "retry_after": utc_text_or_none(self.retry_after),
            "warnings": list(self.warnings),
            "elapsed": round(self.elapsed, 3),
            "new": items("new"),
            "updated": items("updated"),
            "unchanged": self.counts["unchanged"],
            "skipped": items("skipped"),
            "filtered": items("filtered"),
            "kept_down": items("kept_down"),
            "kept_edits": items("kept_edits"),
            "duplicates": items("duplicate"),
            "failed": int(self.failed),
        }


def _item_json(item: ItemResult) -> dict[str, Any]:
    out: dict[str, Any] = {"title": item.title, "guid": item.guid, "path": item.path}
    if item.topics:
        out["topics"] = list(item.topics)
    if item.reason:
        out["reason"] = item.reason
    return out


def _takedown_json(record: Takedown) -> dict[str, Any]:
    out: dict[str, Any] = dict(record.as_yaml())
    out["line"] = record.line
    return out


@dataclass(frozen=True)
class PullReport:
    """The whole run: per source, in sources.yml order, plus problems that were not fatal."""

    started: datetime
    finished: datetime
    sources: tuple[SourceReport, ...]
    problems: tuple[Problem, ...] = ()
    #: pieces found deleted in this run and recorded in feeds/takedowns.yml
    takedowns: tuple[Takedown, ...] = ()

    @property
    def failed(self) -> list[SourceReport]:
        return [s for s in self.sources if s.failed]

    @property
    def exit_code(self) -> int:
        """0 when every source is fine, 1 when one or more failed (or a takedown could not be
        recorded)."""
        return 1 if self.failed or errors(self.problems) else 0

    @property
    def totals(self) -> dict[str, int]:
        """Entries by what happened to them, summed over the sources, and failed sources."""
        total: Counter[str] = Counter()
        for source in self.sources:
            total.update(source.counts)
        out = {action: total[action] for action in COUNTED}
        out["failed"] = len(self.failed)
        return out

    @property
    def source_totals(self) -> dict[str, int]:
        """Sources by how their run went (SOURCE_COUNTS), matching the per-source lines."""
        found = Counter(source.counted_as for source in self.sources)
        return {kind: found[kind] for kind in SOURCE_COUNTS}

    @property
    def moved(self) -> list[SourceReport]:
        return [s for s in self.sources if s.moved_to]

    def to_json(self) -> dict[str, Any]:
        totals = self.totals
        totals["duplicates"] = totals.pop("duplicate")
        return {
            "started": utc_text_or_none(self.started),
            "finished": utc_text_or_none(self.finished),
            "elapsed": round((self.finished - self.started).total_seconds(), 3),
            "exit_status": self.exit_code,
            "totals": totals,
            "source_totals": self.source_totals,
            "problems": [str(p) for p in self.problems],
            "takedowns": [_takedown_json(t) for t in self.takedowns],
            "sources": [s.to_json() for s in self.sources],
        }

    def write_json(self, path: Path) -> None:
        write_atomic(path, json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n")


# --- configuration ----------------------------------------------------------------------------


def load_config(root: Path, sources_file: str = SOURCES_FILE) -> Hub:
    """The hub's sources and topics; PullConfigError when either file has errors."""
    hub = load_hub(root, sources_file=sources_file)
    fatal = [p for p in errors(hub.problems) if p.path in (sources_file, TOPICS_FILE)]
    if fatal:
        raise PullConfigError([str(p) for p in fatal])
    return hub


def load_takedowns(root: Path) -> Takedowns:
    """The takedown records; PullConfigError when the file has errors (a pull that cannot
    read them could write a taken-down piece again)."""
    takedowns, problems = takedown_store.load(root)
    if problems:
        raise PullConfigError([str(p) for p in problems])
    return takedowns


def select_sources(hub: Hub, only: str | None) -> list[Source]:
    """The enabled sources, or the one asked for by id (even when disabled)."""
    if only is None:
        return [s for s in hub.sources if s.enabled]
    source = hub.source(only)
    if source is None:
        known = ", ".join(s.id for s in hub.sources) or "none"
        raise PullConfigError([f"no source '{only}' in the sources file (known: {known})"])
    return [source]


def new_sandbox(workers: int | None = None) -> Sandbox:
    """Worker processes with the limits `prepare_feed` runs under (one per core by default)."""
    return Sandbox(workers, time_limit=PREPARE_TIME_LIMIT, memory_limit=PREPARE_MEMORY_LIMIT)


# --- one source -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fetched:
    """A source's fetch and, when it brought new bytes, its prepared feed or why not."""

    result: FetchResult | None  # None when the source is gone and was not asked
    fingerprint: str | None = None
    prepared: PreparedFeed | None = None
    error: str | None = None
    same_bytes: bool = False


def _fingerprint(body: bytes, settings: str) -> str:
    """The body's hash and what its pieces depend on besides the body (`PullRun._settings`)."""
    return hashlib.sha256(body).hexdigest()[:32] + "-" + settings


def _base_url(source: Source, result: FetchResult) -> str:
    """Where relative links in the feed point: the fetched URL, or the site for a demo copy."""
    if source.is_local:
        return source.site or ""
    return result.final_url or result.url


@dataclass
class PullRun:
    """One run of `pull` over the selected sources."""

    root: Path
    hub: Hub
    sources: list[Source]
    policy: FetchPolicy
    now: datetime
    workers: int | None = None
    on_source: Callable[[SourceReport, int, int], None] | None = None
    states: dict[str, SourceState] = field(default_factory=dict)
    sandbox: Sandbox | None = None  # a caller's pool of workers, left open; else one per run
    takedowns: Takedowns | None = None
    _unsaved: bool = False
    _saved_at: float = field(default_factory=time.monotonic)
    _ingestor: Ingestor | None = None

    @property
    def ingestor(self) -> Ingestor:
        if self._ingestor is None:
            self._ingestor = Ingestor(self.root, self.now, self.takedowns)
        return self._ingestor

    async def run(self) -> tuple[SourceReport, ...]:
        profiles = hub_profiles(self.hub)
        key = topics_key(self.hub.topics)  # once, not per source (half a millisecond each)
        specs = {
            s.id: FeedSpec.of(s, self.hub.topics, self.now, profiles, key=key) for s in self.sources
        }
        ingestor = self.ingestor
        if not (self.root / LEDGER_FILE).exists() and (self.root / SOURCES_DIR).is_dir():
            # no ledger (never written, or deleted): read the pieces now, so that the ledger
            # is written even when every feed is unchanged and nothing else would read them
            ingestor.load()
            self._unsaved = True
        reports: list[SourceReport] = []
        sandbox = self.sandbox or new_sandbox(self.workers)
        try:
            async with Fetcher(self.policy, root=self.root, clock=lambda: self.now) as fetcher:
                tasks = [
                    asyncio.create_task(self._fetch(fetcher, sandbox, s, specs[s.id]))
                    for s in self.sources
                ]
                for position, (source, task) in enumerate(zip(self.sources, tasks, strict=True)):
                    fetched = await task
                    report = self._ingest(ingestor, source, fetched)
                    reports.append(report)
                    if self.on_source is not None:
                        self.on_source(report, position + 1, len(self.sources))
        finally:
            self.save_state()
            if sandbox is not self.sandbox:
                await asyncio.to_thread(sandbox.close)
        return tuple(reports)

    def _state(self, source: Source) -> SourceState:
        """The stored record, unless sources.yml now names another URL: then a fresh one."""
        stored = self.states.get(source.id)
        if stored is None or stored.url != source.url:
            return SourceState(url=source.url)
        return stored

    async def _fetch(
        self, fetcher: Fetcher, sandbox: Sandbox, source: Source, spec: FeedSpec
    ) -> _Fetched:
        stored = self._state(source)
        if stored.gone:
            return _Fetched(None)
        settings = self._settings(source, spec)
        current = self._still_current(stored, spec, settings)
        request = FetchRequest(
            url=stored.fetch_url,
            # validators only while the stored body would be ingested the same way again
            validators=Validators(stored.etag, stored.last_modified) if current else Validators(),
            not_before=stored.retry_after,
            key=source.id,
            deadline=source.timeout,
        )
        result = await fetcher.fetch(request)
        if result.outcome != FetchOutcome.OK or result.body is None:
            return _Fetched(result)
        fingerprint = _fingerprint(result.body, settings)
        if current and fingerprint == stored.fingerprint:
            return _Fetched(result, fingerprint, same_bytes=True)
        try:
            prepared = await asyncio.to_thread(
                sandbox.run,
                prepare_feed,
                result.body,
                _base_url(source, result),
                result.content_type,
                spec,
            )
        except FeedError as exc:
            return _Fetched(result, fingerprint, error=exc.message)
        except SandboxError as exc:
            return _Fetched(result, fingerprint, error=exc.message)
        except Exception as exc:  # a surprise in one feed must not stop the run
            return _Fetched(result, fingerprint, error=f"unexpected {type(exc).__name__}: {exc}")
        return _Fetched(result, fingerprint, prepared=prepared)

    def _settings(self, source: Source, spec: FeedSpec) -> str:
        """What a feed's pieces depend on besides its bytes: the source's settings and the
        takedown records that may name its entries."""
        down = self.ingestor.takedowns.source_key(source.id)
        return spec.fingerprint + ("-" + down if down else "")

    def _still_current(self, stored: SourceState, spec: FeedSpec, settings: str) -> bool:
        """False when the last ingested body would now give other pieces: the source's settings
        changed (keep, block, images...), a record naming its entries was added or removed, or
        a takedown that kept one of its entries down (by link, from another source) is gone.
        Then neither the validators nor the fingerprint may skip the body."""
        if stored.fingerprint is None or stored.fingerprint.partition("-")[2] != settings:
            return False
        takedowns = self.ingestor.takedowns
        return all(
            takedowns.blocking(spec.source_id, guid, link_key) is not None
            for guid, link_key in stored.kept_down
        )

    def _ingest(self, ingestor: Ingestor, source: Source, fetched: _Fetched) -> SourceReport:
        stored = self._state(source)
        report, new_state = self._outcome(ingestor, source, stored, fetched)
        if new_state != self.states.get(source.id):
            # recorded only after this source's pieces are on disk, so the file never claims more
            self.states[source.id] = new_state
            self._unsaved = True
        if self._unsaved and time.monotonic() - self._saved_at >= STATE_SAVE_INTERVAL:
            self.save_state()
        return report

    def save_state(self) -> None:
        if self._unsaved:
            # the ledger first: the state never says a feed was ingested before the ledger
            # lists its pieces (a deletion of one of them would go unnoticed)
            self.ingestor.save()
            state_store.save(self.root, self.states)
            self._unsaved = False
        self._saved_at = time.monotonic()

    def _outcome(
        self, ingestor: Ingestor, source: Source, stored: SourceState, fetched: _Fetched
    ) -> tuple[SourceReport, SourceState]:
        result = fetched.result
        moved = stored.current_url if stored.current_url != source.url else None
        if result is None:
            message = (
                "gone (HTTP 410 on an earlier run): remove it from sources.yml or change its url"
            )
            report = SourceReport(
                source.id, Outcome.GONE, stored.fetch_url, moved_to=moved, error=message
            )
            return report, stored
        base = SourceReport(
            source.id,
            Outcome.of(result.outcome),
            result.url,
            http_status=result.status,
            moved_to=moved,
            retry_after=result.retry_after,
            elapsed=result.elapsed,
        )
        if result.outcome == FetchOutcome.DEFERRED:
            message = f"waiting until {utc_text_or_none(result.retry_after)} (Retry-After)"
            return replace(base, error=message), stored
        if result.outcome == FetchOutcome.GONE:
            gone = replace(
                stored, gone=True, status=SourceStatus.GONE, message=result.error or "HTTP 410 Gone"
            )
            return replace(base, error=result.error), gone
        if result.outcome in (FetchOutcome.ERROR, FetchOutcome.REFUSED):
            status = SourceStatus.DEFERRED if result.retry_after else SourceStatus(result.outcome)
            failing = replace(
                stored,
                status=status,
                message=result.error or "failed",
                failures=stored.failures + 1,
                failing_since=stored.failing_since or self.now,
                retry_after=result.retry_after,
            )
            return replace(base, error=result.error), failing
        # the feed answered: a permanent redirect moves the stored URL (a temporary one never)
        current = result.moved_to or stored.current_url
        healthy = replace(
            stored,
            current_url=current if current != source.url else None,
            etag=result.validators.etag,
            last_modified=result.validators.last_modified,
            retry_after=None,
            status=SourceStatus.OK,
            message="",
            failures=0,
            failing_since=None,
        )
        base = replace(base, moved_to=healthy.current_url)
        if result.outcome == FetchOutcome.NOT_MODIFIED or fetched.same_bytes:
            outcome = (
                Outcome.NOT_MODIFIED
                if result.outcome == FetchOutcome.NOT_MODIFIED
                else Outcome.UNCHANGED
            )
            return replace(base, outcome=outcome), healthy
        if fetched.prepared is None:
            failing = replace(
                stored,
                status=SourceStatus.ERROR,
                message=fetched.error or "cannot parse",
                failures=stored.failures + 1,
                failing_since=stored.failing_since or self.now,
                retry_after=None,
            )
            return replace(base, outcome=Outcome.ERROR, error=fetched.error), failing
        items = tuple(ingestor.ingest(source.id, fetched.prepared))
        write_failed = any(
            i.action == "skipped" and i.reason.startswith("cannot write") for i in items
        )
        changed = any(i.action in ("new", "updated") for i in items)
        ingested = replace(
            healthy,
            # a write that failed must be retried: keep the old fingerprint and validators
            fingerprint=stored.fingerprint if write_failed else fetched.fingerprint,
            etag=stored.etag if write_failed else healthy.etag,
            last_modified=stored.last_modified if write_failed else healthy.last_modified,
            last_pulled=self.now,
            last_changed=self.now if changed else stored.last_changed,
            kept_down=tuple(sorted((i.guid, i.link_key) for i in items if i.action == "kept_down")),
        )
        report = replace(base, outcome=Outcome.OK, items=items, warnings=fetched.prepared.warnings)
        return report, ingested


# --- entry points -----------------------------------------------------------------------------


def pull(
    root: Path,
    *,
    sources_file: str = SOURCES_FILE,
    only: str | None = None,
    allow_private: bool = False,
    policy: FetchPolicy | None = None,
    now: datetime | None = None,
    workers: int | None = None,
    on_start: Callable[[int], None] | None = None,
    on_source: Callable[[SourceReport, int, int], None] | None = None,
    sandbox: Sandbox | None = None,
) -> PullReport:
    """Pull every enabled source (or `only`); raise PullConfigError for bad configuration."""
    root = root.resolve()
    hub = load_config(root, sources_file)
    sources = select_sources(hub, only)
    takedowns = load_takedowns(root)
    states, problems = state_store.load(root)
    started = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    if policy is None:
        policy = FetchPolicy(allow_private=allow_private)
    elif allow_private and not policy.allow_private:
        policy = replace(policy, allow_private=True)
    if on_start is not None:
        on_start(len(sources))
    run = PullRun(
        root, hub, sources, policy, started, workers, on_source, states, sandbox, takedowns
    )
    listed = {s.id for s in hub.sources}
    if only is None and not set(states) <= listed:
        # a source taken out of sources.yml takes its record with it
        run.states = {k: v for k, v in states.items() if k in listed}
        run._unsaved = True
    reports = asyncio.run(run.run())
    run.ingestor.save()  # also when no feed state changed (a ledger rebuilt from the disk)
    finished = datetime.now(UTC)
    problems += run.ingestor.problems
    return PullReport(
        started, max(finished, started), reports, tuple(problems), tuple(run.ingestor.recorded)
    )


def pull_before_build(root: Path) -> tuple[list[str], list[str]]:
    """The pre-build pull: (info lines, warning lines) for the build log; never raises for a
    feed problem (the build goes on with what is on disk)."""
    try:
        report = pull(root)
    except PullConfigError as exc:
        return [], [f"pull skipped: {line}" for line in exc.lines]
    report.write_json(root / REPORT_FILE)
    info = [f"pull: {totals_line(report)}"]
    warnings = [f"pull: {s.id}: {s.error}" for s in report.failed]
    warnings += [f"pull: update sources.yml: {s.id} moved to {s.moved_to}" for s in report.moved]
    warnings += [f"pull: {p}" for p in report.problems]
    return info, warnings


# --- words for people (the CLI prints them) ---------------------------------------------------

#: how each entry action is worded ("3 kept down")
ACTION_WORDS = {action: action.replace("_", " ") for action in COUNTED}


def entry_words(counts: dict[str, int]) -> str:
    """'3 new, 1 updated, 2 filtered': the non-zero entry counts, in COUNTED order."""
    return ", ".join(f"{counts[a]} {ACTION_WORDS[a]}" for a in COUNTED if counts.get(a))


def outcome_words(source: SourceReport) -> str:
    """One source's result in a few words: 'ok: 3 new, 1 updated' or 'failed: HTTP 404 Not Found'."""
    if source.failed:
        return f"failed: {source.error}"
    if source.outcome in (Outcome.GONE, Outcome.DEFERRED):
        return f"{source.outcome}: {source.error}"
    if source.outcome == Outcome.NOT_MODIFIED:
        return "unchanged (HTTP 304)"
    if source.outcome == Outcome.UNCHANGED:
        return "unchanged (same bytes)"
    return "ok: " + (entry_words(source.counts) or "no entries")


#: entries listed under their source's line: with --quiet only those an editor must look at
_DETAILED = ("kept_down", "kept_edits", "skipped")


def source_lines(source: SourceReport, *, quiet: bool = False, header: bool = True) -> list[str]:
    """The one line of a source (`id: outcome`) and, under it, the entries that were not
    written for a reason a person may want to see; with `quiet`, only what needs attention;
    without `header`, the entries only (a table row says the rest)."""
    lines: list[str] = []
    if header and (not quiet or source.failed or source.outcome == Outcome.GONE):
        lines.append(f"{source.id}: {outcome_words(source)}")
    for action in _DETAILED:
        if quiet and action != "kept_edits":
            continue
        for item in source.of(action):
            where = item.path or item.title or item.guid
            lines.append(f"  {ACTION_WORDS[action]}: {where}: {item.reason}")
    return lines


def closing_lines(report: PullReport) -> list[str]:
    """What follows the sources: moved feeds, new takedowns, problems, and the totals."""
    lines = [f"update sources.yml: {s.id} moved to {s.moved_to}" for s in report.moved]
    lines += [
        f"taken down: {t.path or t.link or t.guid}: {t.reason} (recorded in"
        f" {takedown_store.TAKEDOWNS_FILE}:{t.line})"
        for t in report.takedowns
    ]
    lines += [str(p) for p in report.problems]
    lines.append(totals_line(report))
    return lines


def summary_lines(report: PullReport, *, quiet: bool = False) -> list[str]:
    """The printed summary without a terminal: one line per source (with the entries worth
    a look under it), then `closing_lines`; with --quiet, only what needs attention."""
    lines: list[str] = []
    for source in report.sources:
        lines += source_lines(source, quiet=quiet)
    return lines + closing_lines(report)


def totals_line(report: PullReport) -> str:
    """'4 sources: 1 ok, 3 unchanged; entries: 2 new, 5 unchanged, 1 filtered': the sources
    counted by their line's outcome and the entries summed from their lines, so they agree."""
    sources = report.source_totals
    kinds = ", ".join(f"{sources[k]} {k}" for k in SOURCE_COUNTS if sources[k])
    count = len(report.sources)
    head = f"{count} source{'s' * (count != 1)}" + (f": {kinds}" if kinds else "")
    entries = entry_words(report.totals)
    return f"{head}; " + (f"entries: {entries}" if entries else "no entries")
