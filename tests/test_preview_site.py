"""The preview's served folder follows its build folder file for file (`preview_site.Mirror`):
what a build wrote is copied, what it no longer has is removed, nothing else is touched, in
one session and across sessions; random builds and sessions keep the two folders equal."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channelhub import preview_site
from channelhub.preview_site import Mirror
from channelhub.rebuild.store import RACY_NS
from rebuilding import same_site, site_files

#: long enough for a file's stat to be trusted (not modified within the moment it was taken)
SETTLE = RACY_NS / 1e9 + 0.02


def _write(root: Path, rel: str, data: bytes) -> None:
    """Write a file as a build does (a folder of the same name, or a file where its folder
    goes, gives way)."""
    target = root / rel
    for parent in reversed(target.relative_to(root).parents[:-1]):
        if (root / parent).is_file():
            (root / parent).unlink()
    if target.is_dir():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def _folders(tmp_path: Path) -> tuple[Path, Path]:
    built, served = tmp_path / "serve-site.build", tmp_path / "serve-site"
    built.mkdir(parents=True)
    served.mkdir()
    return built, served


def test_an_update_copies_what_changed_and_removes_what_is_gone(tmp_path: Path) -> None:
    built, served = _folders(tmp_path)
    for rel in ("index.html", "a/index.html", "a/b/index.html", "assets/x.css"):
        _write(built, rel, f"first {rel}".encode())
    mirror = Mirror(built, served)
    first = mirror.update()
    assert (first.files, first.copied, first.removed) == (4, 4, 0)
    assert same_site(served, built) == ""
    untouched = os.stat(served / "assets" / "x.css")
    time.sleep(SETTLE)
    mirror.update()  # the stats are trusted from now on

    _write(built, "a/index.html", b"second")  # what a build writes again
    (built / "a" / "b" / "index.html").unlink()  # what it prunes
    (built / "a" / "b").rmdir()
    _write(built, "new/index.html", b"new")
    time.sleep(SETTLE)
    second = mirror.update()
    assert (second.compared, second.copied, second.removed) == (2, 2, 1)
    assert same_site(served, built) == ""
    assert not (served / "a" / "b").exists()  # the folder it left empty too
    now = os.stat(served / "assets" / "x.css")
    assert (now.st_ino, now.st_mtime_ns) == (untouched.st_ino, untouched.st_mtime_ns)


def test_a_file_written_again_with_the_same_bytes_is_not_copied(tmp_path: Path) -> None:
    built, served = _folders(tmp_path)
    _write(built, "assets/theme.js", b"the theme's script")
    mirror = Mirror(built, served)
    mirror.update()
    before = os.stat(served / "assets" / "theme.js").st_ino
    _write(built, "assets/theme.js", b"the theme's script")  # the engine copies static files
    again = mirror.update()
    assert (again.compared, again.copied) == (1, 0)
    assert os.stat(served / "assets" / "theme.js").st_ino == before


def test_a_change_that_keeps_size_and_mtime_is_still_seen_in_a_session(tmp_path: Path) -> None:
    built, served = _folders(tmp_path)
    _write(built, "page/index.html", b"version A")
    mirror = Mirror(built, served)
    mirror.update()
    time.sleep(SETTLE)
    mirror.update()
    old = os.stat(built / "page" / "index.html")
    _write(built, "page/index.html", b"version B")
    os.utime(built / "page" / "index.html", ns=(old.st_atime_ns, old.st_mtime_ns))
    time.sleep(SETTLE)
    assert mirror.update().copied == 1  # its ctime moved
    assert (served / "page" / "index.html").read_bytes() == b"version B"


def test_a_new_session_copies_nothing_when_the_folders_are_equal(tmp_path: Path) -> None:
    built, served = _folders(tmp_path)
    for n in range(5):
        _write(built, f"p{n}/index.html", f"page {n}".encode())
    time.sleep(SETTLE)  # copies of files written just before are compared again (racy)
    Mirror(built, served).update()
    (served / ".index.html.123.tmp").write_bytes(b"left by a session stopped mid-copy")
    _write(built, "p1/index.html", b"built while no preview was running")
    time.sleep(SETTLE)
    update = Mirror(built, served).update()
    assert (update.compared, update.copied, update.removed) == (1, 1, 1)
    assert same_site(served, built) == ""


def test_a_file_written_again_within_the_moment_of_its_copy_is_compared_next_session(
    tmp_path: Path,
) -> None:
    """As racy git: same size and mtime say nothing of a file written again within the tick of
    the copy (a new session cannot know its ctime moved)."""
    built, served = _folders(tmp_path)
    _write(built, "p/index.html", b"version A")
    Mirror(built, served).update()
    copied = os.stat(served / "p" / "index.html")
    _write(built, "p/index.html", b"version B")  # within the same tick of the clock
    os.utime(built / "p" / "index.html", ns=(copied.st_atime_ns, copied.st_mtime_ns))
    time.sleep(SETTLE)
    assert Mirror(built, served).update().copied == 1
    assert (served / "p" / "index.html").read_bytes() == b"version B"


def test_a_served_folder_changed_behind_its_back_is_repaired_at_the_next_session(
    tmp_path: Path,
) -> None:
    built, served = _folders(tmp_path)
    _write(built, "p/index.html", b"the page")
    Mirror(built, served).update()
    (served / "p" / "index.html").write_bytes(b"a longer page written by someone else")
    assert Mirror(built, served).update().copied == 1
    assert same_site(served, built) == ""


def test_a_served_folder_deleted_during_a_session_is_made_again_whole(tmp_path: Path) -> None:
    built, served = _folders(tmp_path)
    for n in range(3):
        _write(built, f"p{n}/index.html", f"page {n}".encode())
    time.sleep(SETTLE)
    mirror = Mirror(built, served)
    mirror.update()
    shutil.rmtree(served)  # e.g. `rm -rf .cache` while the preview runs
    assert mirror.update().copied == 3
    assert same_site(served, built) == ""


def test_a_failed_update_leaves_whole_files_and_the_next_compares_everything(
    tmp_path: Path,
) -> None:
    built, served = _folders(tmp_path)
    _write(built, "a/index.html", b"a")
    mirror = Mirror(built, served)
    mirror.update()
    _write(built, "x/index.html", b"x")
    (served / "x").write_bytes(b"a file where the build has a folder")  # nobody told the mirror
    try:
        mirror.update()
    except OSError:
        pass
    else:
        raise AssertionError("the update should have failed")
    assert mirror.known is None
    assert (served / "a" / "index.html").read_bytes() == b"a"
    mirror.update()
    assert same_site(served, built) == ""


_PATHS = ("index.html", "a.html", "a/index.html", "a/b/index.html", "x", "x/index.html")
_STEPS = st.one_of(
    st.tuples(st.just("write"), st.sampled_from(_PATHS), st.binary(max_size=6)),
    st.tuples(st.just("delete"), st.sampled_from(_PATHS), st.just(b"")),
    st.tuples(st.just("update"), st.sampled_from(("now", "settled", "new session")), st.just(b"")),
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(_STEPS, max_size=14))
def test_any_builds_and_sessions_leave_the_served_folder_equal_to_the_built(
    tmp_path: Path, steps: list[tuple[str, str, bytes]]
) -> None:
    work = Path(os.path.join(tmp_path, f"case-{time.monotonic_ns()}"))
    built, served = _folders(work)
    mirror = Mirror(built, served)
    for kind, what, data in [*steps, ("update", "now", b"")]:
        if kind == "write":
            _write(built, what, data)
        elif kind == "delete":
            if (built / what).is_file():
                (built / what).unlink()
        else:
            if what == "settled":
                time.sleep(SETTLE)
            elif what == "new session":
                mirror = Mirror(built, served)
            if not site_files(built) and site_files(served):  # a build that left nothing
                before = site_files(served)
                with pytest.raises(OSError, match="the build left no file"):
                    mirror.update()
                assert site_files(served) == before
                continue
            mirror.update()
            assert site_files(served) == site_files(built)
    shutil.rmtree(work)


def test_pages_and_the_search_manifest_are_copied_after_what_they_refer_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader loading a page during an update finds the files it refers to: pages and the
    search manifest are written last, and what the build no longer has is removed after."""
    built, served = _folders(tmp_path)
    _write(built, "index.html", b"old page")
    _write(built, "search/hub/t/old.json", b"old shard")
    _write(built, "search/hub/manifest.json", b"names old")
    mirror = Mirror(built, served)
    mirror.update()
    _write(built, "index.html", b"new page")
    _write(built, "search/hub/manifest.json", b"names new")
    _write(built, "search/hub/t/new.json", b"new shard")
    _write(built, "assets/new.css", b"new style")
    (built / "search" / "hub" / "t" / "old.json").unlink()
    events: list[str] = []
    write_atomic, prune = preview_site.write_atomic, preview_site.prune

    def writing(target: str, data: bytes, **options: bool) -> bool:
        events.append("write " + os.path.relpath(target, served))
        return write_atomic(target, data, **options)

    def pruning(folder: Path, stale: object) -> int:
        paths = [os.path.relpath(path, served) for path in stale]  # type: ignore[attr-defined]
        events.extend("remove " + path for path in paths)
        return prune(folder, (os.path.join(served, path) for path in paths))

    monkeypatch.setattr(preview_site, "write_atomic", writing)
    monkeypatch.setattr(preview_site, "prune", pruning)
    time.sleep(SETTLE)
    mirror.update()
    assert same_site(served, built) == ""
    last = [e for e in events if e.endswith(("index.html", "manifest.json"))]
    assert events[-3:-1] == last and events[-1] == "remove search/hub/t/old.json", events
    assert set(events[:-3]) == {"write search/hub/t/new.json", "write assets/new.css"}


def test_a_build_that_left_no_file_is_not_mirrored(tmp_path: Path) -> None:
    built, served = _folders(tmp_path)
    _write(built, "index.html", b"the last good page")
    mirror = Mirror(built, served)
    mirror.update()
    (built / "index.html").unlink()
    with pytest.raises(OSError, match="the build left no file"):
        mirror.update()
    assert (served / "index.html").read_bytes() == b"the last good page"
