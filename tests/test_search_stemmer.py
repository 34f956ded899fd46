"""The stemmer: the index (Python, snowballstemmer) and the browser (docs/assets/hub-search-stemmer.js,
npm's snowball) give every word of a large vocabulary the same stem, and the browser's file is
what scripts/vendor-stemmer makes of the pinned npm package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import synth  # scripts/synth.py (conftest puts scripts/ on the path)
from browser import ROOT, unavailable
from channelhub import search
from test_search import _run_engine

STEMMER = ROOT / "docs" / "assets" / "hub-search-stemmer.js"
ENGINE = ROOT / "docs" / "assets" / "hub-search-engine.js"
WORD_LIST = ROOT / "node_modules" / "an-array-of-english-words" / "index.json"
CORPORA = ROOT.parent / "shared" / "corpora"


def _node_modules(path: Path) -> Path:
    if not path.exists():
        unavailable(f"{path.relative_to(ROOT)} is missing (npm ci installs it from package.json)")
    return path


def _synthetic_vocabulary() -> set[str]:
    """Every word the index of a 10,000-piece synthetic build holds (titles, bodies, front matter)."""
    topics = [
        line.split(":", 1)[1].strip()
        for line in (ROOT / "feeds" / "topics.yml").read_text(encoding="utf-8").splitlines()
        if line.strip().startswith("- slug:")
    ]
    pieces = synth.synth_pieces(
        10_000, topics=topics, editors=["maya-okafor"], sources=synth.synth_sources()
    )
    vocabulary: set[str] = set()
    for piece in pieces:
        vocabulary.update(search.words(piece.text))
    return vocabulary


def _corpora_vocabulary() -> set[str]:
    if not CORPORA.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CORPORA} is missing; CI must have ../shared/corpora")
        pytest.skip(f"{CORPORA} is absent (the public corpora live in ../shared/corpora)")
    vocabulary: set[str] = set()
    for path in sorted(CORPORA.rglob("*")):
        if path.is_file():
            vocabulary.update(search.words(path.read_text(encoding="utf-8", errors="replace")))
    return vocabulary


@pytest.mark.corpus
def test_the_browser_stems_every_word_of_a_large_vocabulary_as_the_index_does() -> None:
    english = json.loads(_node_modules(WORD_LIST).read_text(encoding="utf-8"))
    vocabulary = _synthetic_vocabulary() | _corpora_vocabulary()
    vocabulary |= {w for word in english for w in search.words(word)}
    assert len(vocabulary) > 250_000
    ordered = sorted(vocabulary)
    got = _run_engine("console.log(JSON.stringify(input.map(engine.stem)));", ordered)
    differ = [
        (w, g, search.stem(w)) for w, g in zip(ordered, got, strict=True) if g != search.stem(w)
    ]
    assert not differ, f"{len(differ)} words stem differently, e.g. {differ[:20]}"
    stemmed = sum(1 for w, g in zip(ordered, got, strict=True) if g != w)
    assert stemmed > 100_000  # the stemmer did run: most English words have a shorter stem


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("budgets", "budget"),
        ("budgeting", "budget"),
        ("aligning", "align"),
        ("alignment", "align"),
        ("generously", "generous"),
        ("happiness", "happi"),
        ("dying", "die"),
        ("news", "news"),
        ("5g", "5g"),  # a digit: not an English word, its own stem
        ("σύστημα", "σύστημα"),  # another script: its own stem
        ("as", "as"),  # two letters: its own stem
    ],
)
def test_stems_are_porter2(word: str, expected: str) -> None:
    assert search.stem(word) == expected


def test_the_browser_stemmer_is_what_the_script_makes_of_the_npm_package() -> None:
    _node_modules(ROOT / "node_modules" / "snowball")
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "vendor-stemmer"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert STEMMER.is_file()
