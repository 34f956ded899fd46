"""`channelhub serve` builds incrementally and serves exactly what a clean build makes.

A live preview of a small hub (tests/rebuilding.py) is edited as an editor does: pieces
edited, retitled, added, deleted, retopicked, made drafts; topics retitled, given an intro
and losing it. After each group of changes the folder the preview serves must hold, file for
file and byte for byte, what a clean build of the same tree makes in the preview's mode (the
engine's build as `mkdocs serve` runs it, from nothing, in a process of its own). A build that
fails in the middle leaves the served folder exactly as it was; a new session over the same
folders starts from the last one's build.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rebuilding import ENV, NOW, TOPICS, Hub, same_site, site_files, small_hub
from serving import BUILT, OVERLAY, SERVED, Session

pytestmark = [pytest.mark.build, pytest.mark.xdist_group("serve-incremental")]

#: the clean build a preview must equal: the engine's own build in serve mode, from nothing
CLEAN = """
import sys
from channelhub import engine

engine.choose().activate()
from mkdocs.commands.build import build
from mkdocs.config import load_config

config_file, site_dir, address = sys.argv[1:]
config = load_config(config_file=config_file, site_dir=site_dir, dev_addr=address, strict=False)
config.site_url = f"http://{address}/"
config.plugins.on_startup(command="serve", dirty=False)
try:
    build(config, serve_url=config.site_url, dirty=False)
finally:
    config.plugins.on_shutdown()
"""

#: the same moment and build date for the preview and its clean builds
PREVIEW_ENV = {**ENV, "CHANNELHUB_NOW": NOW}


def _clean_build(session: Session, into: Path) -> Path:
    done = subprocess.run(
        [sys.executable, "-c", CLEAN, str(session.repo / "mkdocs.yml"), str(into),
         f"127.0.0.1:{session.port}"],
        cwd=session.repo, env=session.env, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return into


def _served_equals_clean(session: Session, tmp_path: Path, name: str) -> None:
    reference = _clean_build(session, tmp_path / f"clean-{name}")
    difference = same_site(session.repo / SERVED, reference)
    assert not difference, f"after {name}: {difference}\n{session.log()}"


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    return Hub(small_hub(tmp_path / "hub"))


@contextlib.contextmanager
def _preview(hub: Hub, engine: str | None = None, port: int = 0) -> Iterator[Session]:
    """A preview of the hub once its first build is done, on `engine` (else the default)."""
    env = {**PREVIEW_ENV, **({"CHANNELHUB_ENGINE": engine} if engine else {})}
    running = Session(hub.root, env=env, port=port)
    try:
        running.settle(-1)  # the first build
        yield running
    finally:
        running.kill()


def _rendered(log: str) -> list[tuple[int, int]]:
    """(pages reused, pages rendered) of each build in a session's log."""
    return [
        (int(a), int(b)) for a, b in re.findall(r"rebuild: (\d+) pages reused, (\d+) rendered", log)
    ]


@pytest.mark.parametrize("engine", ["mkdocs", "properdocs"])
def test_edits_additions_and_deletions_serve_what_a_clean_build_makes(
    hub: Hub, tmp_path: Path, engine: str
) -> None:
    with _preview(hub, engine) as session:
        _edit_through(hub, session, tmp_path)
        assert f'content="{engine}-' in (session.repo / SERVED / "index.html").read_text("utf-8")


def _edit_through(hub: Hub, session: Session, tmp_path: Path) -> None:
    pieces = hub.pieces()
    steps = [
        lambda: hub.edit(pieces[0], body="\nA body rewritten in the preview.\n"),
        lambda: hub.edit(pieces[1], title="A title changed in the preview"),
        lambda: hub.add_piece(40, days=400),  # the newest: on the home page
        lambda: hub.remove(pieces[2]),
    ]
    for step in steps:
        before = session.detected()
        step()
        session.settle(before)
    _served_equals_clean(session, tmp_path, "pieces edited, added and deleted")
    reused = _rendered(session.log())
    assert len(reused) == 5 and all(kept > 0 for kept, _ in reused[1:]), reused  # incremental

    steps = [
        lambda: hub.edit(pieces[3], topics=[TOPICS[2]]),
        lambda: hub.retitle_topic(TOPICS[0], "Marketing and IT, renamed"),
        lambda: hub.topic_intro(TOPICS[1], "What this topic covers, written in the preview."),
        lambda: hub.edit(pieces[4], draft=True),  # previewed with its banner
    ]
    for step in steps:
        before = session.detected()
        step()
        session.settle(before)
    _served_equals_clean(session, tmp_path, "topics retitled and introduced, a draft")
    draft = session.get(pieces[4].removeprefix("docs/").removesuffix(".md") + "/")
    assert draft is not None and "hub-banner-draft" in draft[1]

    before = session.detected()
    hub.topic_intro(TOPICS[1], None)
    hub.edit(pieces[4], draft=None)
    session.settle(before)
    _served_equals_clean(session, tmp_path, "an intro removed, the draft published")


def test_a_failed_build_leaves_the_last_good_pages_then_a_new_session_goes_on_from_them(
    hub: Hub, tmp_path: Path
) -> None:
    with _preview(hub) as session:
        port = _fail_and_fix(hub, session, tmp_path)
    hub.edit(hub.pieces()[3], title="Retitled while no preview ran")
    with _preview(hub, port=port) as again:  # the same address: it is in the pages
        ((kept, rendered),) = _rendered(again.log())
        assert kept > rendered > 0, again.log()  # the last session's build, reused
        _served_equals_clean(again, tmp_path, "a new session")


def _fail_and_fix(hub: Hub, session: Session, tmp_path: Path) -> int:
    """Two builds that fail, then the fix; the session's port."""
    pieces = hub.pieces()
    good = site_files(session.repo / SERVED)
    broken = hub.root / pieces[0]
    original = broken.read_text(encoding="utf-8")
    before = session.detected()
    hub.edit(pieces[1], title="A title the failed build never showed")
    broken.write_text(original + '\n--8<-- "no-such-snippet.md"\n', encoding="utf-8")
    session.settle(before)
    page = session.get("")
    assert page is not None and OVERLAY in page[1] and "could not be rebuilt" in page[1]
    assert "no-such-snippet.md" in page[1]
    assert site_files(session.repo / SERVED) == good  # not one byte of the failed build

    # The save that fixes it goes on from the failed build: incremental, and exact.
    before = session.detected()
    broken.write_text(original, encoding="utf-8")
    session.settle(before)
    kept, rendered = _rendered(session.log())[-1]
    assert kept > rendered > 0, session.log()
    _served_equals_clean(session, tmp_path, "the snippet fixed")
    good = site_files(session.repo / SERVED)
    before = session.detected()
    broken.write_text(original + '\n--8<-- "no-such-snippet.md"\n', encoding="utf-8")
    session.settle(before)
    assert site_files(session.repo / SERVED) == good

    # A template that fails on every page: the build folder is emptied (the theme changed)
    # and gets only the theme's files before the build stops.
    template = hub.root / "overrides" / "main.html"
    theme = template.read_text(encoding="utf-8")
    before = session.detected()
    broken.write_text(original, encoding="utf-8")
    failing = theme.replace(
        "{% block site_meta %}", "{% block site_meta %}{{ no_such_function() }}"
    )
    assert failing != theme
    template.write_text(failing, encoding="utf-8")
    session.settle(before)
    page = session.get(pieces[2].removeprefix("docs/").removesuffix(".md") + "/")
    assert page is not None and "could not be rebuilt" in page[1] and "no_such_function" in page[1]
    assert site_files(session.repo / SERVED) == good
    assert site_files(session.repo / BUILT) != good  # the failed build did write

    before = session.detected()
    template.write_text(theme, encoding="utf-8")
    session.settle(before)
    _served_equals_clean(session, tmp_path, "the failed build fixed")
    fixed = session.get("")
    assert fixed is not None and OVERLAY not in fixed[1]
    assert "A title the failed build never showed" in fixed[1]

    session.stop(lambda pid: os.kill(pid, signal.SIGTERM))
    return session.port
