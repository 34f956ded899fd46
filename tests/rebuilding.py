"""What the rebuild tests start from: a small hub with every kind of page, the edits an editor
or a pull makes to it, and builds compared byte for byte with a clean build of the same tree.

Owns `small_hub` (the repository's config, hooks, overrides and assets with a dozen pieces, three
editors and two sources, page size 2 so that listings paginate), `Hub` (named edits on it),
`build` (one engine build in this process, as `channelhub build` runs it: strict, dirty unless
clean) and `same_site` (two built sites as {path: bytes}, equal or the first difference).
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

from channelhub import frontmatter, state
from scratch import ROOT

#: the topics the small hub's pieces use (slugs of the repository's feeds/topics.yml)
TOPICS = ("marketing-it-alignment", "mobile-marketing", "data-analytics", "channel-partners")
EDITORS = {"ann-lee": "Ann Lee", "bo-chen": "Bo Chen", "cy-diaz": "Cy Diaz"}
SOURCES = {"acme-blog": "Acme Partner Blog", "zeta-notes": "Zeta Research Notes"}
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
#: a fixed build date: a build's sitemap (the only page that shows it) must not change at midnight
ENV = {"SOURCE_DATE_EPOCH": "1767600000", "NO_MKDOCS_2_WARNING": "1"}
#: the moment the hub publishes as of (CHANNELHUB_NOW), unless a test moves it: after every
#: piece the small hub starts with, before the far dates tests give to schedule one
NOW = "2026-06-30T12:00:00Z"


def small_hub(root: Path, pieces: int = 12, *, page_size: int = 2) -> Path:
    """A hub in `root` built from the repository's own config, hooks, overrides and assets."""
    (root / "docs").mkdir(parents=True)
    (root / "feeds").mkdir()
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    config = re.sub(r"page_size: \d+", f"page_size: {page_size}", config)
    config = config.replace("  - src\n", "")  # the package is installed, not in this hub
    (root / "mkdocs.yml").write_text(config, encoding="utf-8")
    for folder in ("hooks", "overrides"):
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "docs" / "assets", root / "docs" / "assets")
    shutil.copy(ROOT / "feeds" / "topics.yml", root / "feeds" / "topics.yml")
    hub = Hub(root)
    hub.write_sources()
    hub.about_links_to([])
    for editor_id, name in EDITORS.items():
        hub.write(
            f"docs/editors/{editor_id}.md",
            f"---\nname: {name}\nrole: Editor\n---\n{name} writes about the hub's topics.\n",
        )
    for n in range(pieces):
        hub.add_piece(n)
    return root


@dataclass
class Hub:
    """Named edits on a small hub, as editors and pulls make them."""

    root: Path
    sources: dict[str, str] = field(default_factory=lambda: dict(SOURCES))
    #: further keys of each source in feeds/sources.yml (kind, site, canonical, description...)
    source_details: dict[str, dict[str, object]] = field(default_factory=dict)
    made: int = 0
    now: str = NOW  # CHANNELHUB_NOW for its builds (`check_against_clean(..., now=hub.now)`)

    def write(self, path: str, text: str) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def pieces(self) -> list[str]:
        """Every piece file, by path under the hub, in order."""
        docs = self.root / "docs"
        found = [
            p.relative_to(self.root).as_posix()
            for top in ("articles", "notes", "sources")
            for p in sorted((docs / top).rglob("*.md"))
        ]
        return sorted(found)

    def add_piece(self, n: int, *, days: int | None = None, topics: tuple[str, ...] = ()) -> str:
        """A new piece: editorial, analyst note or pulled post by turn (n decides which)."""
        self.made += 1
        when = START + timedelta(days=days if days is not None else n * 3, hours=n % 5)
        chosen = list(topics or (TOPICS[n % len(TOPICS)], TOPICS[(n * 7 + 1) % len(TOPICS)]))
        meta: dict[str, object] = {
            "title": f"Piece number {n} about {chosen[0].replace('-', ' ')}",
            "date": when.date().isoformat() if n % 2 else when.isoformat().replace("+00:00", "Z"),
            "topics": list(dict.fromkeys(chosen)),
            "summary": f"What piece {n} says, in one sentence.",
        }
        kind = n % 3
        slug = f"piece-{n}-{self.made}"
        if kind == 0:
            meta["editor"] = list(EDITORS)[n % len(EDITORS)]
            path = f"docs/articles/2026/{slug}.md"
        elif kind == 1:
            meta.update(
                editor=list(EDITORS)[(n + 1) % len(EDITORS)], analyst="Dee Eng", firm="Eng Research"
            )
            meta["figure"] = f"{n * 10} percent of teams share one budget."
            meta["canonical"] = f"https://eng.example/reports/{n}"
            path = f"docs/notes/2026/{slug}.md"
        else:
            source = list(SOURCES)[n % len(SOURCES)]
            meta.update(
                source=source, canonical=f"https://{source}.example/posts/{n}", author="Fay Gu"
            )
            path = f"docs/sources/{source}/2026/{slug}.md"
        body = "\n\n".join(
            f"Paragraph {i} of piece {n}: teams in marketing and IT share budgets, data and plans."
            for i in range(1 + n % 4)
        )
        self.write(path, frontmatter.render(meta, f"\n{body}\n## A heading\n\nMore words.\n"))
        return path

    def edit(self, path: str, **changes: object) -> None:
        """Change front-matter keys of a piece (None removes one), or its body (`body=`)."""
        doc = frontmatter.read(self.root / path, with_lines=False)
        meta = dict(doc.meta)
        body = str(changes.pop("body", doc.body))
        for key, value in changes.items():
            if value is None:
                meta.pop(key, None)
            else:
                meta[key] = value
        self.write(path, frontmatter.render(meta, body))

    def remove(self, path: str) -> None:
        (self.root / path).unlink()

    def rename(self, path: str) -> str:
        target = re.sub(r"([^/]+)\.md$", r"renamed-\1.md", path)
        (self.root / path).rename(self.root / target)
        return target

    def rename_editor(self, editor_id: str, name: str) -> None:
        self.write(
            f"docs/editors/{editor_id}.md",
            f"---\nname: {name}\nrole: Editor\n---\n{name} writes about the hub's topics.\n",
        )

    def retitle_topic(self, slug: str, title: str) -> None:
        path = self.root / "feeds" / "topics.yml"
        text = path.read_text(encoding="utf-8")
        text = re.sub(
            rf"(- slug: {re.escape(slug)}\n\s+title: ).*", lambda m: m.group(1) + title, text
        )
        path.write_text(text, encoding="utf-8")

    def write_sources(self) -> None:
        entries = [
            {
                "id": sid,
                "name": name,
                "url": f"https://{sid}.example/feed.xml",
                "kind": "partner",
                **self.source_details.get(sid, {}),
            }
            for sid, name in self.sources.items()
        ]
        self.write("feeds/sources.yml", yaml.safe_dump({"sources": entries}, sort_keys=False))

    def rename_source(self, source_id: str, name: str) -> None:
        self.sources[source_id] = name
        self.write_sources()

    def source_detail(self, source_id: str, key: str, value: object) -> None:
        """Set (None: remove) one key of a source in feeds/sources.yml."""
        details = self.source_details.setdefault(source_id, {})
        if value is None:
            details.pop(key, None)
        else:
            details[key] = value
        self.write_sources()

    def source_health(
        self, source_id: str, status: state.SourceStatus | None, when: datetime | None = None
    ) -> None:
        """What the last pull said of a source (feeds/state.json; None: never pulled)."""
        records, _problems = state.load(self.root)
        if status is None:
            records.pop(source_id, None)
        else:
            records[source_id] = state.SourceState(
                url=f"https://{source_id}.example/feed.xml",
                status=status,
                last_changed=when,
                failing_since=when if status != state.SourceStatus.OK else None,
                failures=0 if status == state.SourceStatus.OK else 1,
            )
        state.save(self.root, records)

    def editor_profile(
        self, editor_id: str, *, name: str, role: str, photo: str | None, links: int
    ) -> None:
        """An editor's file with a role, a photo (a path under docs/ or a URL) and links."""
        meta: dict[str, object] = {"name": name, "role": role}
        if photo:
            meta["photo"] = photo
        if links:
            meta["links"] = [
                {"title": f"Profile {n}", "url": f"https://{editor_id}.example/{n}"}
                for n in range(links)
            ]
        self.write(
            f"docs/editors/{editor_id}.md",
            frontmatter.render(meta, f"\n{name} writes about the hub's topics.\n"),
        )

    def describe_topic(self, slug: str, description: str) -> None:
        path = self.root / "feeds" / "topics.yml"
        text = path.read_text(encoding="utf-8")
        text = re.sub(
            rf"(- slug: {re.escape(slug)}\n\s+title: .*\n\s+description: )(?:>-\n(?:\s{{6}}.*\n)+|.*\n)",
            lambda m: m.group(1) + json.dumps(description) + "\n",
            text,
        )
        path.write_text(text, encoding="utf-8")

    def topic_intro(self, slug: str, text: str | None) -> None:
        """A hand-written topic page (None removes it)."""
        path = f"docs/topics/{slug}.md"
        if text is None:
            (self.root / path).unlink(missing_ok=True)
        else:
            self.write(path, f"---\ntitle: {slug}\n---\n{text}\n")

    def about_links_to(self, targets: list[str]) -> None:
        """about.md with a Markdown link to each target (paths under docs/)."""
        links = "\n".join(f"- [{t}]({os.path.relpath(t, '.')})" for t in targets)
        self.write("docs/about.md", f"---\ntitle: About\n---\n# About\n\nLinks:\n\n{links}\n")

    def meta(self, path: str) -> dict[str, object]:
        return dict(frontmatter.read(self.root / path, with_lines=False).meta)

    def alias(self, path: str, alias: str | None) -> None:
        """Give a piece one alias (an old address it moved from), or none."""
        self.edit(path, aliases=[alias] if alias else None)

    def co_author(self, path: str, editor_id: str) -> None:
        """Add an editor to a piece's editors (`editor` becomes a list)."""
        given = self.meta(path).get("editor")
        editors = (
            [str(e) for e in given] if isinstance(given, list) else [str(given)] if given else []
        )
        self.edit(path, editor=list(dict.fromkeys([*editors, editor_id])))

    def override(self, text: str) -> None:
        """Append a Jinja comment to the theme override (every page's template)."""
        path = self.root / "overrides" / "main.html"
        path.write_text(path.read_text(encoding="utf-8") + f"\n{{# {text} #}}\n", encoding="utf-8")


@dataclass
class Built:
    """One build's exit status, the warnings it logged and what it said of its reuse."""

    status: int
    warnings: list[str]
    rebuild: str = ""  # "rebuild: N pages reused, M rendered, ..."

    @property
    def reused(self) -> int:
        found = re.search(r"rebuild: (\d+) pages reused", self.rebuild)
        return int(found.group(1)) if found else -1


@contextmanager
def _environment(now: str) -> Iterator[None]:
    wanted = {**ENV, "CHANNELHUB_NOW": now}
    saved = {k: os.environ.get(k) for k in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []
        self.rebuild = ""

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            self.messages.append(record.getMessage())
        elif record.getMessage().startswith("rebuild: "):
            self.rebuild = record.getMessage()


def build(root: Path, site: Path, *, clean: bool = False, now: str = NOW) -> Built:
    """One strict build of `root` into `site` in this process, as `channelhub build` runs it:
    dirty (reusing the last build) unless `clean`; as of `now` (CHANNELHUB_NOW)."""
    from mkdocs.commands.build import build as engine_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    collect = _Collect()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(collect)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        with _environment(now):
            config = load_config(str(root / "mkdocs.yml"), site_dir=str(site), strict=True)
            config.plugins.on_startup(command="build", dirty=not clean)
            try:
                engine_build(config, dirty=not clean)
                status = 0
            except MkDocsException:
                status = 1
            except Exception as exc:  # what the engine lets through (an extension's error)
                status = 1
                collect.messages.append(f"{type(exc).__name__}: {exc}")
            finally:
                config.plugins.on_shutdown()
    finally:
        logger.removeHandler(collect)
        logger.setLevel(level)
    warnings = [m for m in collect.messages if "'dirty' build" not in m]
    return Built(status, sorted(warnings), collect.rebuild)


def site_files(site: Path) -> dict[str, bytes]:
    return {
        p.relative_to(site).as_posix(): p.read_bytes()
        for p in sorted(site.rglob("*"))
        if p.is_file()
    }


def same_site(site: Path, reference: Path) -> str:
    """ "" when both sites have the same files with the same bytes, else the first difference."""
    ours, theirs = site_files(site), site_files(reference)
    if ours.keys() != theirs.keys():
        extra = sorted(ours.keys() - theirs.keys())[:5]
        missing = sorted(theirs.keys() - ours.keys())[:5]
        return f"files differ: only in {site.name}: {extra}; only in {reference.name}: {missing}"
    for path in ours:
        if ours[path] != theirs[path]:
            return f"{path} differs"
    return ""


def check_against_clean(root: Path, tmp: Path, *, now: str = NOW) -> Built:
    """Build `root` incrementally into tmp/site and from nothing into tmp/clean, as of `now`;
    the two must have the same status, warnings and files. Returns the incremental build."""
    incremental = build(root, tmp / "site", now=now)
    shutil.rmtree(tmp / "clean", ignore_errors=True)
    reference = build(root, tmp / "clean", clean=True, now=now)
    assert incremental.status == reference.status, (incremental, reference)
    assert incremental.warnings == reference.warnings
    difference = same_site(tmp / "site", tmp / "clean")
    assert not difference, difference
    return incremental


# ---------------------------------------------------------------- random sequences of edits

_WORDS = st.sampled_from(["Budgets", "Café & <CIO>", "Mobile: first", "Data", "Ça va", "Q3 plan"])


class HubEdits(RuleBasedStateMachine):
    """The edits random tests make to a small hub (`self.hub`, set by the test's initialize):
    pieces' fields, bodies, dates, topics, additions, deletions and renames; topics', editors'
    and sources' names and details; the sources' health; the theme; links from a hand-written
    page; drafts, schedules, expiries and time passing; aliases, featured pieces, co-authors."""

    hub: Hub
    added: int = 100

    def _piece(self, n: int) -> str | None:
        pieces = self.hub.pieces()
        return pieces[n % len(pieces)] if pieces else None

    @rule(n=st.integers(0, 50), title=_WORDS)
    def retitle(self, n: int, title: str) -> None:
        if path := self._piece(n):
            self.hub.edit(path, title=f"{title} {n}")

    @rule(n=st.integers(0, 50), text=_WORDS)
    def rewrite_body(self, n: int, text: str) -> None:
        if path := self._piece(n):
            self.hub.edit(path, body=f"\n{text}, rewritten.\n\n## {text}\n")

    @rule(n=st.integers(0, 50), days=st.integers(0, 60))
    def redate(self, n: int, days: int) -> None:
        if path := self._piece(n):
            self.hub.edit(path, date=f"2026-02-{1 + days % 28:02d}")

    @rule(n=st.integers(0, 50), topics=st.lists(st.sampled_from(TOPICS), min_size=1, max_size=3))
    def retopic(self, n: int, topics: list[str]) -> None:
        if path := self._piece(n):
            self.hub.edit(path, topics=list(dict.fromkeys(topics)))

    @rule(n=st.integers(0, 50), text=_WORDS)
    def resummarise(self, n: int, text: str) -> None:
        if path := self._piece(n):
            self.hub.edit(path, summary=text)

    @rule(days=st.integers(0, 90), topics=st.lists(st.sampled_from(TOPICS), max_size=2))
    def add(self, days: int, topics: list[str]) -> None:
        self.added += 1
        self.hub.add_piece(self.added, days=days, topics=tuple(topics))

    @rule(n=st.integers(0, 50))
    def delete(self, n: int) -> None:
        if (path := self._piece(n)) and len(self.hub.pieces()) > 2:
            self.hub.remove(path)

    @rule(n=st.integers(0, 50))
    def rename(self, n: int) -> None:
        if path := self._piece(n):
            self.hub.rename(path)

    @rule(editor=st.sampled_from(list(EDITORS)), name=_WORDS)
    def rename_editor(self, editor: str, name: str) -> None:
        self.hub.rename_editor(editor, f"{name} {editor[:2]}")

    @rule(topic=st.sampled_from(TOPICS), title=_WORDS)
    def retitle_topic(self, topic: str, title: str) -> None:
        self.hub.retitle_topic(topic, f"{title} {topic[:4]}")

    @rule(source=st.sampled_from(list(SOURCES)), name=_WORDS)
    def rename_source(self, source: str, name: str) -> None:
        self.hub.rename_source(source, name)

    @rule(topic=st.sampled_from(TOPICS), text=st.none() | _WORDS)
    def topic_intro(self, topic: str, text: str | None) -> None:
        self.hub.topic_intro(topic, text)

    @rule(linked=st.lists(st.integers(0, 50), max_size=2), dangling=st.booleans())
    def link_from_about(self, linked: list[int], dangling: bool) -> None:
        found = [p.removeprefix("docs/") for n in linked if (p := self._piece(n))]
        self.hub.about_links_to(found + (["articles/2026/gone.md"] if dangling else []))

    @rule(n=st.integers(0, 50), broken=st.booleans())
    def unknown_topic(self, n: int, broken: bool) -> None:
        if path := self._piece(n):
            self.hub.edit(path, topics=["not-a-topic"] if broken else [TOPICS[n % len(TOPICS)]])

    @rule(text=_WORDS)
    def theme(self, text: str) -> None:
        self.hub.override(text)

    @rule(n=st.integers(0, 50), draft=st.booleans())
    def toggle_draft(self, n: int, draft: bool) -> None:
        if path := self._piece(n):
            self.hub.edit(path, draft=True if draft else None)

    @rule(n=st.integers(0, 50), featured=st.booleans())
    def toggle_featured(self, n: int, featured: bool) -> None:
        if path := self._piece(n):
            self.hub.edit(path, featured=True if featured else None)

    @rule(n=st.integers(0, 50), days=st.integers(1, 120))
    def schedule(self, n: int, days: int) -> None:
        """A date after now: the piece waits for it."""
        if path := self._piece(n):
            when = datetime.fromisoformat(self.hub.now) + timedelta(days=days)
            self.hub.edit(path, date=when.isoformat().replace("+00:00", "Z"))

    @rule(n=st.integers(0, 50), days=st.integers(-30, 120) | st.none())
    def expire(self, n: int, days: int | None) -> None:
        if path := self._piece(n):
            when = datetime.fromisoformat(self.hub.now) + timedelta(days=days or 0)
            self.hub.edit(path, expires=None if days is None else when.date().isoformat())

    @rule(days=st.integers(1, 90))
    def time_passes(self, days: int) -> None:
        """CHANNELHUB_NOW moves on: scheduled pieces come out, expiring ones go."""
        when = datetime.fromisoformat(self.hub.now) + timedelta(days=days)
        self.hub.now = when.isoformat().replace("+00:00", "Z")

    @rule(n=st.integers(0, 50), alias=st.none() | st.sampled_from(["/old/one/", "/old/two.html"]))
    def alias(self, n: int, alias: str | None) -> None:
        if path := self._piece(n):
            self.hub.alias(path, alias)

    @rule(n=st.integers(0, 50), editor=st.sampled_from(list(EDITORS)))
    def co_author(self, n: int, editor: str) -> None:
        if (path := self._piece(n)) and "editor" in self.hub.meta(path):
            self.hub.co_author(path, editor)

    @rule(
        n=st.integers(0, 50),
        key=st.sampled_from(["summary", "figure", "analyst", "firm", "author", "canonical"]),
        text=st.none() | _WORDS,
    )
    def piece_field(self, n: int, key: str, text: str | None) -> None:
        if path := self._piece(n):
            value = f"https://example.com/{len(text)}" if key == "canonical" and text else text
            self.hub.edit(path, **{key: value})

    @rule(
        source=st.sampled_from(list(SOURCES)),
        key=st.sampled_from(["canonical", "kind", "site", "description", "enabled"]),
        value=st.integers(0, 2),
    )
    def source_detail(self, source: str, key: str, value: int) -> None:
        choices: dict[str, list[object]] = {
            "canonical": ["original", "hub"],
            "kind": ["analyst", "partner"],
            "site": [f"https://{source}.example/", "https://elsewhere.example/"],
            "description": ["What the source writes about.", "Café & <CIO> notes."],
            "enabled": [False, True],
        }
        options = choices[key]
        self.hub.source_detail(source, key, options[value] if value < len(options) else None)

    @rule(
        source=st.sampled_from(list(SOURCES)),
        status=st.none() | st.sampled_from(list(state.SourceStatus)),
        days=st.integers(0, 40),
    )
    def source_health(self, source: str, status: state.SourceStatus | None, days: int) -> None:
        self.hub.source_health(source, status, START + timedelta(days=days))

    @rule(
        editor=st.sampled_from(list(EDITORS)),
        role=st.sampled_from(["Editor", "Senior editor", "Café & <CIO>"]),
        photo=st.sampled_from([None, "assets/photo.png", "https://img.example/p.png"]),
        links=st.integers(0, 2),
    )
    def editor_profile(self, editor: str, role: str, photo: str | None, links: int) -> None:
        self.hub.editor_profile(editor, name=EDITORS[editor], role=role, photo=photo, links=links)

    @rule(present=st.booleans())
    def photo_file(self, present: bool) -> None:
        """The file an editor's photo may point at appears or goes (a link that breaks)."""
        photo = self.hub.root / "docs" / "assets" / "photo.png"
        if present:
            photo.write_bytes(b"\x89PNG\r\n\x1a\n")
        else:
            photo.unlink(missing_ok=True)

    @rule(topic=st.sampled_from(TOPICS), text=_WORDS)
    def describe_topic(self, topic: str, text: str) -> None:
        self.hub.describe_topic(topic, f"{text}: what the topic covers.")
