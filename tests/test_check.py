"""`channelhub check` on broken fixtures: each case breaks one thing and must get exactly one clear line.

tests/data/check/base is a small valid hub; each folder in tests/data/check/cases holds files laid
over it and `expected.txt`, the exact output followed by `exit N`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from channelhub.cli import main

DATA = Path(__file__).parent / "data" / "check"
CASES = sorted(p.name for p in (DATA / "cases").iterdir() if p.is_dir())


def hub_copy(tmp_path: Path, case: str | None = None) -> Path:
    root = tmp_path / "hub"
    shutil.copytree(DATA / "base", root)
    if case:
        shutil.copytree(DATA / "cases" / case, root, dirs_exist_ok=True)
        (root / "expected.txt").unlink()
    return root


def run_check(root: Path, *args: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    monkeypatch.chdir(root)
    result = CliRunner().invoke(main, ["check", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_base_fixture_is_valid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run_check(hub_copy(tmp_path), monkeypatch=monkeypatch)
    assert (code, out) == (0, "")
    assert "valid" in err


@pytest.mark.parametrize("case", CASES)
def test_broken_fixture_gets_one_clear_line(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = (DATA / "cases" / case / "expected.txt").read_text(encoding="utf-8").splitlines()
    *lines, status = expected
    code, out, _err = run_check(hub_copy(tmp_path, case), monkeypatch=monkeypatch)
    assert out.splitlines() == lines
    assert status == f"exit {code}"


def test_every_case_has_exactly_one_problem() -> None:
    for case in CASES:
        lines = (DATA / "cases" / case / "expected.txt").read_text(encoding="utf-8").splitlines()
        assert len(lines) == 2, f"{case}: a fixture breaks one thing"


def test_check_limited_to_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = hub_copy(tmp_path, "unknown-editor")
    code, out, _ = run_check(root, "docs/articles/2026/good.md", monkeypatch=monkeypatch)
    assert (code, out) == (0, "")
    code, out, _ = run_check(root, "docs/articles", monkeypatch=monkeypatch)
    assert code == 1 and out.startswith("docs/articles/2026/bad.md:4:")


def test_github_annotations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run_check(
        hub_copy(tmp_path, "bad-date"), "--format", "github", monkeypatch=monkeypatch
    )
    assert code == 1
    assert out.startswith(
        "::error file=docs/articles/2026/bad.md,line=3::'date' is not an ISO 8601 date"
    )


def test_missing_path_is_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = run_check(hub_copy(tmp_path), "docs/nope.md", monkeypatch=monkeypatch)
    assert code == 2 and "no such file or folder: docs/nope.md" in err


def test_outside_a_hub_is_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = run_check(tmp_path, monkeypatch=monkeypatch)
    assert code == 2 and "not a channelhub repository" in err


def test_demo_content_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run_check(Path(__file__).parent.parent, monkeypatch=monkeypatch)
    assert (code, out) == (0, ""), out + err
