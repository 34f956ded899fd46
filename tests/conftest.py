"""Shared pytest fixtures for the hub's tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# scripts/synth.py (benchmark data) is imported by the scale tests as `synth`
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

from browser import BuiltSite, build_demo
from channelhub.config import load_topics
from channelhub.tagger import Tagger, compile_rules
from feedserver import FeedServer
from scratch import copy_repository, scratch_hub

REPO = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite the golden files in tests/data/golden from the current output",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A running FeedServer on 127.0.0.1 (see tests/feedserver.py), stopped after the test."""
    with FeedServer() as server:
        yield server


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    """The demo site (bundled feeds pulled, then `channelhub build`), built once per session."""
    return build_demo(tmp_path_factory.mktemp("reader"))


@pytest.fixture
def hub(tmp_path: Path) -> Path:
    """A scratch hub (tests/scratch.py) in tmp_path/hub; a module that needs more in it
    overrides this fixture and asks for it (pytest's fixture extension)."""
    return scratch_hub(tmp_path / "hub")


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """A copy of the whole repository in tmp_path/repo, for tests that pull, build or edit."""
    return copy_repository(tmp_path / "repo")


@pytest.fixture(scope="session")
def rules() -> Tagger:
    """The repository's own topics, compiled (the tagging tests' rules)."""
    topics, problems = load_topics(REPO)
    assert problems == []
    return compile_rules(topics)
