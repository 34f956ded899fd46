"""What a build lets go of, and when: listing pages without Python-Markdown, and the garbage
collector kept off what the build keeps (issue 19, item 7: 30,000 pieces).

The site must come out byte for byte as the engine makes it: tests/test_shared_markdown.py
compares the pages that skip Python-Markdown or share its instance with the same build where
the engine renders every page itself.
"""

from __future__ import annotations

import gc
import weakref
from pathlib import Path
from typing import Any

import pytest

from channelhub.rebuild import collector_paused, session
from rebuilding import build, small_hub

pytestmark = pytest.mark.build


def test_a_second_build_in_the_same_process_lets_the_first_builds_pages_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`mkdocs serve` builds again and again in one process: what a build froze must not stay
    frozen (so never collected) through the next build's freeze (review of round 6)."""
    from mkdocs.structure.pages import Page

    pages: list[weakref.ref[Page]] = []
    init = Page.__init__

    def recording(self: Page, *args: Any, **kwargs: Any) -> None:
        pages.append(weakref.ref(self))
        init(self, *args, **kwargs)

    monkeypatch.setattr(Page, "__init__", recording)
    root = small_hub(tmp_path / "hub")
    try:
        assert build(root, tmp_path / "site").status == 0
        assert gc.get_freeze_count() > 0  # the build froze what it keeps
        first = list(pages)
        assert any(page() is not None for page in first)  # kept alive by the freeze
        assert build(root, tmp_path / "site").status == 0
        assert [page for page in first if page() is not None] == []
    finally:
        session._thaw()


def test_a_pass_after_rendering_collects_before_it_freezes() -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self  # a cycle: only the collector frees it

    garbage = Node()
    gone = weakref.ref(garbage)
    kept = Node()
    del garbage
    try:
        session._settle_rendered()
        assert gone() is None  # collected, not frozen for the rest of the build
        assert gc.get_freeze_count() > 0
        assert kept.me is kept
    finally:
        session._thaw()
    assert gc.get_freeze_count() == 0


def test_rendered_pages_are_settled_every_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    passes: list[int] = []
    monkeypatch.setattr(session, "_settle_rendered", lambda: passes.append(1))
    monkeypatch.setattr(session, "BATCH", 3)
    rebuild = session.Rebuild.__new__(session.Rebuild)
    rebuild.rendered_pages = 0
    for _ in range(7):
        rebuild.rendered()
    assert len(passes) == 2
    rebuild.all_rendered()
    assert len(passes) == 3


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_paused_while_pieces_are_read_is_as_it_was_after(enabled: bool) -> None:
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        with collector_paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
        with pytest.raises(ValueError), collector_paused():
            raise ValueError
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()
