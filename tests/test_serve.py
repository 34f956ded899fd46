"""`channelhub serve` for real: a content problem never freezes the preview, and stopping it
stops everything it started.

Each session is the real command in a copy of the repository (tests/serving.py). Every HTTP
request a test makes must be answered within a second, while the preview builds or after a
build failed.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from browser import SCREENSHOTS, axe_violations, chromium, local_only
from scratch import channelhub, copy_repository
from serving import (
    BUILD,
    BUILT,
    OVERLAY,
    PIECE,
    PIECE_URL,
    SERVED,
    TITLE,
    Session,
    free_port,
    group_alive,
)

pytestmark = [pytest.mark.build, pytest.mark.xdist_group("serve")]

ROOT = Path(__file__).resolve().parents[1]


def _edit(path: Path, old: str, new: str) -> str:
    """Replace `old` once in `path`; the original text, to put back."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path} no longer has {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text


def _overlay(page: str) -> str:
    start = page.find("<aside " + OVERLAY)
    return page[start : page.index("</aside>", start)] if start >= 0 else ""


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    """One preview of the demo on the default engine, shared by the tests below in order."""
    repo = copy_repository(tmp_path_factory.mktemp("serve") / "repo")
    running = Session(repo)
    try:
        yield running.ready()
    finally:
        running.kill()


def test_a_broken_piece_shows_its_problems_on_its_page_and_its_fix_reloads_clean(
    session: Session,
) -> None:
    session.ready()
    piece = session.repo / PIECE
    hostile = "<img src=x onerror=alert(1)>"
    original = _edit(
        piece,
        "topics: [marketing-tech-spending,",
        f'topics: ["{hostile}", marketing-tech-spending,',
    )
    text = piece.read_text(encoding="utf-8")
    _edit(piece, "Budget season is over", "See [the plan](no-such-plan.md). Budget season is over")
    line = text[: text.index("topics:")].count("\n") + 1
    try:
        page = session.until(PIECE_URL, lambda s, p: OVERLAY in p, "the overlay")
        overlay = _overlay(page)
        assert (
            f"{PIECE}:{line}: unknown topic &#x27;&lt;img src=x onerror=alert(1)&gt;&#x27;"
            in overlay
        )
        assert "<img" not in overlay
        link_line = text[: text.index("Budget season is over")].count("\n") + 1
        assert f"{PIECE}:{link_line}: Doc file" in overlay and "no-such-plan.md" in overlay
        home = session.get("")
        assert home is not None and home[0] == 200 and OVERLAY not in home[1]
    finally:
        piece.write_text(original, encoding="utf-8")
    page = session.until(PIECE_URL, lambda s, p: s == 200 and OVERLAY not in p, "the clean page")
    assert TITLE in page


def test_a_broken_topics_file_shows_on_every_page(session: Session) -> None:
    session.ready()
    topics = session.repo / "feeds" / "topics.yml"
    original = topics.read_text(encoding="utf-8")
    topics.write_text("topics:\n  - slug: x\n\ttitle: y\n", encoding="utf-8")
    try:
        for path in (PIECE_URL, "", "topics/"):
            page = session.until(path, lambda s, p: OVERLAY in p, "the overlay")
            assert "feeds/topics.yml:3: " in _overlay(page)
    finally:
        topics.write_text(original, encoding="utf-8")
    session.until("", lambda s, p: s == 200 and OVERLAY not in p, "the clean home page")


def test_a_build_that_stops_says_why_on_every_page(session: Session) -> None:
    session.ready()
    config = session.repo / "mkdocs.yml"
    original = _edit(config, "    page_size: 20\n", "    page_size: lots\n")  # the hook raises
    try:
        for path in (PIECE_URL, "", "no/such/page/"):
            page = session.until(path, lambda s, p: OVERLAY in p, "the overlay")
            overlay = _overlay(page)
            assert "The preview could not be rebuilt" in overlay
            assert "mkdocs.yml: extra.hub.page_size must be a whole number" in overlay
    finally:
        config.write_text(original, encoding="utf-8")
    session.ready()


def test_a_page_that_stops_the_build_leaves_the_last_pages_served(session: Session) -> None:
    session.ready()
    piece = session.repo / PIECE
    original = _edit(
        piece, "Budget season is over", '--8<-- "no-such-snippet.md"\n\nBudget season is over'
    )
    line = original[: original.index("Budget season is over")].count("\n") + 1
    try:
        for path in (PIECE_URL, ""):
            page = session.until(path, lambda s, p: OVERLAY in p, "the overlay")
            assert f"{PIECE}:{line}: Error reading page" in _overlay(page)
            assert "no-such-snippet.md" in _overlay(page)
        piece_page = session.get(PIECE_URL)
        assert piece_page is not None and piece_page[0] == 200 and TITLE in piece_page[1]
    finally:
        piece.write_text(original, encoding="utf-8")
    session.ready()


def test_a_piece_made_a_draft_stays_in_the_preview_with_its_banner(session: Session) -> None:
    """Issue 14 under this serve: the worker's rebuilds (not only its first build) preview
    drafts, which `channelhub build` leaves out."""
    session.ready()
    piece = session.repo / PIECE
    original = _edit(piece, "featured: true\n", "featured: true\ndraft: true\n")
    try:
        page = session.until(PIECE_URL, lambda s, p: "hub-banner-draft" in p, "the draft banner")
        assert TITLE in page and OVERLAY not in page
    finally:
        piece.write_text(original, encoding="utf-8")
    page = session.until(PIECE_URL, lambda s, p: "hub-banner-draft" not in p, "the piece published")
    assert TITLE in page


@pytest.mark.browser
def test_in_a_browser_the_overlay_comes_and_goes_by_itself_and_passes_axe(session: Session) -> None:
    session.ready()
    piece = session.repo / PIECE
    with chromium() as browser:
        context = local_only(
            browser.new_context(viewport={"width": 1280, "height": 900}), session.url
        )
        page = context.new_page()
        page.goto(session.url + PIECE_URL)
        original = _edit(piece, "editor: maya-okafor", "editor: maya-okafro")
        try:
            overlay = page.locator("#hub-preview")
            overlay.wait_for(state="visible", timeout=BUILD * 1000)  # the page reloaded itself
            assert "unknown editor" in overlay.inner_text()
            assert "maya-okafro" in overlay.inner_text()
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "serve-overlay-1280.png"))
            assert axe_violations(page) == []
            page.set_viewport_size({"width": 375, "height": 800})
            assert overlay.is_visible() and axe_violations(page) == []
        finally:
            piece.write_text(original, encoding="utf-8")
        overlay.wait_for(state="detached", timeout=BUILD * 1000)
        assert TITLE in page.locator("article h1").inner_text()
        context.close()


def test_the_overlay_is_never_written_into_the_site(session: Session) -> None:
    for folder in (SERVED, BUILT):
        pages = list((session.repo / folder).rglob("*.html"))
        assert len(pages) > 20, folder
        assert not [p for p in pages if b"hub-preview" in p.read_bytes()], folder
    # the earlier versions' swapped folders are gone: the served folder is updated in place
    assert not list((session.repo / SERVED).parent.glob("serve-site.old*"))
    assert not (session.repo / SERVED).with_name("serve-site.next").exists()


def test_a_second_preview_of_the_same_repository_is_refused(session: Session) -> None:
    second = channelhub(session.repo, "serve", "--dev-addr", f"127.0.0.1:{free_port()}", timeout=60)
    assert second.returncode == 1
    assert second.stderr.strip() == (
        "Error: another channelhub serve is previewing this repository; stop it first"
    )


def test_ctrl_c_stops_the_preview_and_everything_it_started(session: Session) -> None:
    # A terminal sends Ctrl-C's SIGINT to the whole foreground group.
    freed = session.stop(lambda pid: os.killpg(pid, signal.SIGINT))
    assert freed < 5, f"the port was still taken {freed:.1f} s after Ctrl-C"
    assert session.process.returncode == 0, session.log()


@pytest.mark.parametrize(
    ("ignoring", "survives", "stop"),
    [
        ((), None, signal.SIGHUP),  # a closed terminal sends SIGHUP to its group
        ((signal.SIGHUP,), signal.SIGHUP, signal.SIGTERM),  # `nohup channelhub serve &`
        ((signal.SIGTERM,), None, signal.SIGTERM),  # a launcher's accident: `kill` still stops it
    ],
    ids=["terminal", "nohup", "sigterm-ignored"],
)
def test_a_preview_stops_on_sighup_unless_nohup_and_always_on_sigterm(
    tmp_path: Path, ignoring: tuple[signal.Signals, ...], survives: signal.Signals | None,
    stop: signal.Signals,
) -> None:  # fmt: skip
    repo = copy_repository(tmp_path / "repo")
    running = Session(repo, ignoring=ignoring)
    try:
        running.ready()
        if survives is not None:
            os.killpg(running.process.pid, survives)
            time.sleep(1.0)
            assert running.process.poll() is None, running.log()
            running.ready()
        if stop == signal.SIGHUP:
            freed = running.stop(lambda pid: os.killpg(pid, signal.SIGHUP))
        else:  # `kill PID`: the server alone, which stops what it started
            freed = running.stop(lambda pid: os.kill(pid, signal.SIGTERM))
        assert freed < 5, f"the port was still taken {freed:.1f} s after the signal"
        assert running.process.returncode == 0, running.log()
        assert "Shutting down" in running.log()
    finally:
        running.kill()


@pytest.mark.parametrize("engine", ["mkdocs", "properdocs"])
def test_sigterm_during_a_build_frees_the_port_within_5_s(tmp_path: Path, engine: str) -> None:
    repo = copy_repository(tmp_path / "repo")
    running = Session(repo, "--engine", engine)
    try:
        running.ready()
        assert f"{engine}-" in (running.get(PIECE_URL) or (0, ""))[1]  # the generator meta
        said = running.log().lower()  # the engines' notices are the README's, not each preview's
        assert "end of life" not in said and "mkdocs 2.0" not in said, running.log()
        (repo / PIECE).write_text((repo / PIECE).read_text(encoding="utf-8") + "\nOne more line.\n")
        deadline = time.monotonic() + 30
        while "Detected file changes" not in running.log() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # into the build: the hub's search indexer may be running
        freed = running.stop(lambda pid: os.kill(pid, signal.SIGTERM))
        assert freed < 5, f"the port was still taken {freed:.1f} s after SIGTERM"
    finally:
        running.kill()


def test_a_preview_that_cannot_start_says_why_and_leaves_nothing_behind(tmp_path: Path) -> None:
    repo = copy_repository(tmp_path / "repo")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = subprocess.Popen(
            [sys.executable, "-m", "channelhub", "serve", "--dev-addr", f"127.0.0.1:{port}"],
            cwd=repo, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )  # fmt: skip
        _, stderr = process.communicate(timeout=120)
    assert process.returncode == 1, stderr
    assert f"Error: cannot serve on 127.0.0.1:{port}: Address already in use" in stderr
    time.sleep(0.5)
    assert not group_alive(process.pid), "its build process is left"
    (repo / "mkdocs.yml").write_text("site_name: [unclosed\n", encoding="utf-8")
    broken = channelhub(repo, "serve", "--dev-addr", f"127.0.0.1:{free_port()}", timeout=120)
    assert broken.returncode == 1
    assert "Error: mkdocs.yml: " in broken.stderr and "Traceback" not in broken.stderr


def test_bench_serve_times_an_edit_as_the_browser_sees_it(tmp_path: Path) -> None:
    """scripts/bench-serve at a small size: an edit shows, and every figure is there."""
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench-serve"), "-n", "20", "--edits", "1",
         "--keep", str(tmp_path / "work"), "--json", str(out)],
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    (result,) = json.loads(out.read_text(encoding="utf-8"))["results"]
    assert result["pieces"] == 20
    (edit,) = result["edits"]
    assert 0 < edit["signal"] <= edit["shown"] == result["shown_max"]
    assert result["first_build_seconds"] > 0 and result["restart_first_build_seconds"] > 0
    assert len(result["load_average"]) == 3
    assert (
        edit["cpu"] > 0 and result["first_build_cpu"] > 0 and result["restart_first_build_cpu"] > 0
    )
    assert "N=20: save -> page shown" in done.stdout


def test_bench_serve_runs_another_checkout_in_turn_and_gives_the_ratio(tmp_path: Path) -> None:
    """`--against`: the same sizes with another checkout's inputs and Python (here this one's
    own .venv, as `scripts/task.py` makes it), one after the other, and the ratio of the two."""
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench-serve"), "-n", "20", "--edits", "1",
         "--against", str(ROOT), "--keep", str(tmp_path / "work"), "--json", str(out)],
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    ours, theirs = json.loads(out.read_text(encoding="utf-8"))["results"]
    assert ours["pieces"] == theirs["pieces"] == 20
    assert theirs["python"] == str(ROOT / ".venv" / "bin" / "python")
    assert theirs["shown_median"] > 0 and (tmp_path / "work" / "n20-against" / "hub").is_dir()
    assert f"N=20: this checkout / {ROOT}: save -> page shown " in done.stdout
