"""The engine under the hub: which one a command runs, and that both build the same site."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from channelhub import engine
from scratch import channelhub, copy_repository


def test_the_choice_follows_the_option_then_the_environment_then_what_is_installed() -> None:
    assert engine.choose("mkdocs", {}).name == "mkdocs"
    assert engine.choose(None, {"CHANNELHUB_ENGINE": "mkdocs"}).name == "mkdocs"
    default = "properdocs" if importlib.util.find_spec("properdocs") else "mkdocs"
    assert engine.choose(None, {}).name == default
    with pytest.raises(engine.EngineError, match="unknown engine 'hugo'"):
        engine.choose("hugo", {})


def test_the_engine_runs_quietly_in_this_interpreter() -> None:
    chosen = engine.Engine("mkdocs")
    assert chosen.command("build")[1:] == ["-m", "mkdocs", "build"]
    env = chosen.environment({"PATH": "/bin"})
    assert env["PATH"] == "/bin" and env["NO_MKDOCS_2_WARNING"] == "1"


@pytest.mark.build
def test_mkdocs_and_properdocs_build_the_same_site(tmp_path: Path) -> None:
    repo = copy_repository(tmp_path / "repo")
    sites = {}
    for name in engine.ENGINES:
        sites[name] = tmp_path / f"site-{name}"
        done = channelhub(repo, "build", "--engine", name, "-d", str(sites[name]))
        assert done.returncode == 0, done.stderr
        assert "end of life" not in done.stderr.lower() and "mkdocs 2.0" not in done.stderr.lower()
    files = {name: sorted(p.relative_to(site) for p in site.rglob("*") if p.is_file()) for name, site in sites.items()}
    assert files["mkdocs"] == files["properdocs"]
    for rel in files["mkdocs"]:
        ours = (sites["mkdocs"] / rel).read_bytes()
        theirs = (sites["properdocs"] / rel).read_bytes()
        if ours != theirs:  # only the generator meta names the engine
            assert ours.replace(b"mkdocs-1.6.1", b"properdocs-1.6.7") == theirs, rel
