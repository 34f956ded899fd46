"""Every feed of the public corpora through the isolated parser (one Sandbox), then through
html_to_markdown with the rendering property check: no exception escapes, each feed finishes
within its budget, and nothing a browser could run comes out.
"""

from __future__ import annotations

import functools
import os
import time
from collections import Counter
from pathlib import Path

import pytest

from channelhub.clean import html_to_markdown
from channelhub.parse import FeedError, parse_feed
from channelhub.sandbox import Sandbox, SandboxError
from test_clean import assert_safe_markdown

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
FOLDERS = ("feedparser", "feedvalidator/testcases")
PER_FEED_SECONDS = 5.0


def corpus_files() -> list[Path]:
    if not all((CORPORA / folder).is_dir() for folder in FOLDERS):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CORPORA} is missing; CI must have ../shared/corpora")
        pytest.skip(f"{CORPORA} is absent (the public corpora live in ../shared/corpora)")
    return [p for folder in FOLDERS for p in sorted((CORPORA / folder).rglob("*")) if p.is_file()]


@pytest.mark.corpus
def test_every_corpus_feed_parses_in_isolation_within_budget() -> None:
    files = corpus_files()
    assert len(files) > 4000
    counts: Counter[str] = Counter()
    slowest = (0.0, "")
    started = time.monotonic()
    with Sandbox(time_limit=PER_FEED_SECONDS) as sandbox:
        results = sandbox.map(
            functools.partial(parse_feed, path.read_bytes(), url=f"https://feeds.example/{path.name}", content_type=None)
            for path in files
        )  # fmt: skip
        for path in files:
            feed_started = time.monotonic()
            result = next(results)
            if isinstance(result, SandboxError):  # a feed over its limits: a FeedError in pull
                result = FeedError(result.message)
            waited = time.monotonic() - feed_started
            slowest = max(slowest, (waited, path.name))
            if isinstance(result, FeedError):
                counts["feed errors"] += 1
                assert "worker" not in result.message, f"{path}: {result.message}"
                continue
            counts["feeds"] += 1
            counts["entries"] += len(result.entries)
            counts["skipped entries"] += len(result.skipped)
            for entry in result.entries:
                for html_field in (entry.summary_html, entry.content_html):
                    if html_field:
                        md = html_to_markdown(html_field, base_url=entry.link)
                        assert_safe_markdown(md)
                        counts["bodies checked"] += 1
                assert "\n" not in entry.title and len(entry.title) <= 300
                assert all(c.isprintable() or c == "\u200d" for c in entry.title), path
    elapsed = time.monotonic() - started
    print(f"\ncorpus: {len(files)} files in {elapsed:.1f} s; {dict(counts)}; slowest {slowest}")
    assert counts["feeds"] > 3000
    assert counts["bodies checked"] > 1000
    assert elapsed < 180


@pytest.mark.corpus
def test_entities_and_illformed_feeds_finish_within_bounds() -> None:
    corpus_files()
    paths = sorted((CORPORA / "feedparser" / "entities").rglob("*.xml")) + sorted(
        (CORPORA / "feedparser" / "illformed").rglob("*.xml")
    )
    assert len(paths) > 100
    started = time.monotonic()
    with Sandbox(time_limit=5.0, memory_limit=512 * 2**20) as sandbox:
        results = [
            FeedError(r.message) if isinstance(r, SandboxError) else r
            for r in sandbox.map(
                functools.partial(parse_feed, p.read_bytes(), url=f"https://feeds.example/{p.name}", content_type=None)
                for p in paths
            )
        ]  # fmt: skip
    assert len(results) == len(paths)
    assert not [r for r in results if isinstance(r, FeedError) and "worker" in r.message]
    assert time.monotonic() - started < 60
