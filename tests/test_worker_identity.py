"""A pull worker's results do not change when its code is made faster.

`tests/data/worker-golden.json` holds what the worker half of pull gave before its speed-ups
(main's code on 6 December 2026): for every labelled piece in the repository, the rules'
scores, cues and evidence and the hub tagger's confidence for every topic; for the bench's
feeds and the test and demo feeds, every prepared entry (title, topics, slug, and a hash of its
body and of the file it would become). Topics and text must be equal; scores within 1e-9.

When the tagger's behaviour changes on purpose (new rules, examples or calibration), refresh
it from the code before the change: `pytest tests/test_worker_identity.py --update-golden`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
from datetime import UTC, datetime
from importlib.machinery import SourceFileLoader
from pathlib import Path
from typing import Any

import pytest

from channelhub import frontmatter
from channelhub.config import Source, load_topics
from channelhub.ingest import FeedSpec, prepare_feed
from channelhub.profiles import HubTagger, load_hub_tagger
from channelhub.tagger import compile_rules

REPO = Path(__file__).parents[1]
GOLDEN = REPO / "tests" / "data" / "worker-golden.json"
#: the labelled sets' pieces; their README.md files say how a set was made and are no piece
LABELLED = sorted(
    p for p in (REPO / "tests" / "data").glob("tagging*/**/*.md") if p.name != "README.md"
)
FEEDS = sorted(
    [
        *(REPO / "tests" / "data" / "feeds").glob("*.xml"),
        REPO / "tests" / "data" / "feeds" / "jsonfeed11.json",
        *(REPO / "feeds" / "demo").glob("*.*"),
    ]
)
NOW = datetime(2026, 12, 6, 7, 0, tzinfo=UTC)
TOLERANCE = 1e-9


def _bench_feed(n: int) -> bytes:
    """Feed n of scripts/bench-pull (a script without .py: loaded by path)."""
    loader = SourceFileLoader("bench_pull", str(REPO / "scripts" / "bench-pull"))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module.feed(n, 20)  # type: ignore[no-any-return]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def _tagging(tagger: HubTagger) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path in LABELLED:
        doc = frontmatter.read(path, with_lines=False)
        piece = (str(doc.meta.get("title") or ""), str(doc.meta.get("summary") or ""), doc.body)
        rules = [
            [s.slug, s.score, ok, masked, s.cue_score, _digest(json.dumps(
                [[e.phrase, e.where, e.count, e.weight] for e in (*s.evidence, *s.cues)]))]
            for s, ok, masked in tagger.rules.assess(*piece)
        ]  # fmt: skip
        judgements = tagger.judgements(*piece)
        out[path.relative_to(REPO).as_posix()] = {
            "rules": rules,
            "confidence": {j.slug: j.confidence for j in judgements},
            "topics": [s.slug for s in tagger.tag(*piece)],
        }
    return out


def _prepared(tagger: HubTagger) -> dict[str, Any]:
    topics, _problems = load_topics(REPO)
    out: dict[str, Any] = {}
    documents = [(f"bench-{n}", _bench_feed(n)) for n in range(6)]
    documents += [(p.relative_to(REPO).as_posix(), p.read_bytes()) for p in FEEDS]
    for n, (name, body) in enumerate(documents):
        policy = "full" if n % 2 == 0 else "excerpt"
        source = Source(id="source", name="Source", url="http://127.0.0.1/", policy=policy)
        spec = FeedSpec.of(source, topics, NOW, tagger.profiles)
        prepared = prepare_feed(body, "http://127.0.0.1/feed", None, spec)
        out[f"{name} ({policy})"] = [
            [e.guid, e.title, list(e.topics), e.slug, _digest(e.body),
             _digest(e.draft.text) if e.draft else ""]
            for e in prepared.entries
        ]  # fmt: skip
    return out


def _same(got: Any, want: Any, where: str) -> None:
    if isinstance(want, float) and isinstance(got, float):
        assert math.isclose(got, want, rel_tol=0, abs_tol=TOLERANCE), where
    elif isinstance(want, list) and isinstance(got, list):
        assert len(got) == len(want), where
        for i, (a, b) in enumerate(zip(got, want, strict=True)):
            _same(a, b, f"{where}[{i}]")
    elif isinstance(want, dict) and isinstance(got, dict):
        assert list(got) == list(want), where
        for key in want:
            _same(got[key], want[key], f"{where}.{key}")
    else:
        assert got == want, where


@pytest.fixture(scope="module")
def tagger() -> HubTagger:
    topics, problems = load_topics(REPO)
    assert problems == []
    hub_tagger, _problems = load_hub_tagger(REPO, compile_rules(topics))
    assert hub_tagger.profiles is not None
    return hub_tagger


def test_tagging_and_prepared_entries_are_what_they_were(
    tagger: HubTagger, update_golden: bool
) -> None:
    got = {"tagging": _tagging(tagger), "prepared": _prepared(tagger)}
    if update_golden:
        GOLDEN.write_text(json.dumps(got, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert len(want["tagging"]) > 250 and sum(len(v) for v in want["prepared"].values()) > 150
    _same(got, want, "golden")


def test_the_url_caches_change_no_parse_and_keep_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    import feedparser.mixin
    import feedparser.urls

    from channelhub import parse

    nested = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"
      xml:base="https://a.example/blog/"><title>T</title><id>urn:x</id>
      <entry xml:base="posts/"><id>1</id><title>One</title><link href="one.html"/>
        <content type="html" xml:base="../img/">&lt;p&gt;&lt;a href="x.png"&gt;x&lt;/a&gt;</content>
      </entry>
      <entry xml:base="javascript:alert(1)//"><id>2</id><title>Two</title><link href="two"/></entry>
    </feed>"""
    documents = [nested, *(p.read_bytes() for p in FEEDS if p.suffix == ".xml"), _bench_feed(1)]
    cached = [
        parse.parse_feed(d, url="https://a.example/feed", content_type=None) for d in documents
    ]
    assert all(join.cache_info().currsize == 0 for join in parse._URL_JOINS)
    monkeypatch.setattr(
        feedparser.mixin, "make_safe_absolute_uri", feedparser.urls.make_safe_absolute_uri
    )
    monkeypatch.setattr(feedparser.mixin, "_urljoin", feedparser.urls._urljoin)
    plain = [
        parse.parse_feed(d, url="https://a.example/feed", content_type=None) for d in documents
    ]
    assert cached == plain
    assert cached[0].entries[0].link == "https://a.example/blog/posts/one.html"
