"""What the rebuild tests start from: a small hub with every kind of page, the edits an editor
or a pull makes to it, and builds compared byte for byte with a clean build of the same tree.

Owns `small_hub` (the repository's config, hooks, overrides and assets with a dozen pieces, three
editors and two sources, page size 2 so that listings paginate), `Hub` (named edits on it),
`build` (one engine build in this process, as `channelhub build` runs it: strict, dirty unless
clean) and `same_site` (two built sites as {path: bytes}, equal or the first difference).
"""

from __future__ import annotations

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

from channelhub import frontmatter
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
            {"id": sid, "name": name, "url": f"https://{sid}.example/feed.xml", "kind": "partner"}
            for sid, name in self.sources.items()
        ]
        self.write("feeds/sources.yml", yaml.safe_dump({"sources": entries}, sort_keys=False))

    def rename_source(self, source_id: str, name: str) -> None:
        self.sources[source_id] = name
        self.write_sources()

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
