"""Feeds and hubs for the pull tests: RSS documents made from `Item`s, a scratch hub that
pulls them (`PullHub`, the `hub` fixture) and one worker pool per test module (`sandbox`).

A test module imports the fixtures it uses (`from pulling import hub, sandbox`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
import yaml

from channelhub import frontmatter
from channelhub.pull import PullReport, new_sandbox, pull
from channelhub.sandbox import Sandbox

NOW = datetime(2026, 3, 10, 12, 0, 0, tzinfo=UTC)


# --- feeds ------------------------------------------------------------------


@dataclass
class Item:
    title: str
    link: str
    guid: str | None = None
    date: str | None = "Sun, 01 Mar 2026 10:00:00 GMT"
    description: str = "A short summary of the post."
    content: str | None = None
    author: str | None = None
    categories: tuple[str, ...] = ()


def rss(*items: Item, title: str = "Test feed") -> bytes:
    parts = []
    for item in items:
        fields = [f"<title>{escape(item.title)}</title>", f"<link>{escape(item.link)}</link>"]
        if item.guid:
            fields.append(f'<guid isPermaLink="false">{escape(item.guid)}</guid>')
        if item.date:
            fields.append(f"<pubDate>{item.date}</pubDate>")
        fields.append(f"<description>{escape(item.description)}</description>")
        if item.content:
            fields.append(f"<content:encoded>{escape(item.content)}</content:encoded>")
        if item.author:
            fields.append(f"<dc:creator>{escape(item.author)}</dc:creator>")
        fields += [f"<category>{escape(term)}</category>" for term in item.categories]
        parts.append("<item>" + "".join(fields) + "</item>")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>{escape(title)}</title><link>https://partner.example/</link>"
        + "".join(parts)
        + "</channel></rss>"
    ).encode()


def items(n: int, prefix: str = "post", host: str = "partner.example") -> list[Item]:
    return [
        Item(f"{prefix.title()} number {i}", f"https://{host}/{prefix}-{i}", guid=f"{prefix}-{i}")
        for i in range(n)
    ]


def source(id: str, url: str, **extra: Any) -> dict[str, Any]:
    return {"id": id, "name": id.replace("-", " ").title(), "url": url, "kind": "partner", **extra}


@dataclass
class PullHub:
    """A scratch hub (conftest's `hub`) with the sources to pull and the pulls made so far."""

    root: Path
    sandbox: Sandbox
    runs: list[PullReport] = field(default_factory=list)

    def sources(self, *entries: dict[str, Any]) -> None:
        text = yaml.safe_dump({"sources": list(entries)}, sort_keys=False)
        (self.root / "feeds" / "sources.yml").write_text(text, encoding="utf-8")

    def pull(self, now: datetime = NOW, **options: Any) -> PullReport:
        report = pull(self.root, allow_private=True, now=now, sandbox=self.sandbox, **options)
        self.runs.append(report)
        return report

    def pieces(self, source_id: str | None = None) -> dict[str, frontmatter.Document]:
        folder = self.root / "docs" / "sources" / (source_id or "")
        return {
            p.relative_to(self.root).as_posix(): frontmatter.read(p)
            for p in sorted(folder.rglob("*.md"))
            if not p.name.startswith(".")
        }

    def state(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.root / "feeds" / "state.json").read_text())
        return data["sources"]

    def snapshot(self) -> dict[str, tuple[bytes, int]]:
        paths = [*(self.root / "docs").rglob("*"), self.root / "feeds" / "state.json"]
        return {
            p.relative_to(self.root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in paths
            if p.is_file()
        }


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with new_sandbox(1) as pool:
        yield pool


@pytest.fixture
def hub(hub: Path, sandbox: Sandbox) -> PullHub:
    return PullHub(hub, sandbox)


def outcome(report: PullReport, source_id: str) -> str:
    return next(s.outcome for s in report.sources if s.id == source_id)
