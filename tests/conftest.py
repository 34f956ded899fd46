"""Shared pytest fixtures for the hub's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from browser import BuiltSite, build_demo
from feedserver import FeedServer


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
