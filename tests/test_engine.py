"""The engine under the hub: which one a command runs, and that both build the same site.

The whole suite runs on the default engine (ProperDocs, which the dev extra installs); here the
demo is built on both, compared byte for byte, and the other engine's site is read in Chromium,
so that a local run exercises both engines. CI also runs every build and browser test on
MkDocs (the `mkdocs` leg of the matrix in .github/workflows/ci.yml).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from browser import axe_violations, chromium, local_only, serve
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
    assert env["DISABLE_MKDOCS_2_WARNING"] == "true"


def _other(name: str) -> str:
    return next(other for other in engine.ENGINES if other != name)


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo built by `channelhub build --engine` each engine, by engine name."""
    workdir = tmp_path_factory.mktemp("engines")
    repo = copy_repository(workdir / "repo")
    built = {}
    for name in engine.ENGINES:
        built[name] = workdir / f"site-{name}"
        done = channelhub(repo, "build", "--engine", name, "-d", str(built[name]))
        assert done.returncode == 0, done.stderr
        assert "end of life" not in done.stderr.lower() and "mkdocs 2.0" not in done.stderr.lower()
    return built


@pytest.mark.build
def test_mkdocs_and_properdocs_build_the_same_site(sites: dict[str, Path]) -> None:
    files = {
        name: sorted(p.relative_to(site) for p in site.rglob("*") if p.is_file())
        for name, site in sites.items()
    }
    assert files["mkdocs"] == files["properdocs"]
    for rel in files["mkdocs"]:
        ours = (sites["mkdocs"] / rel).read_bytes()
        theirs = (sites["properdocs"] / rel).read_bytes()
        if ours != theirs:  # only the generator meta names the engine
            assert ours.replace(b"mkdocs-1.6.1", b"properdocs-1.6.7") == theirs, rel


@pytest.mark.build
@pytest.mark.browser
def test_the_other_engines_site_reads_in_a_browser(sites: dict[str, Path]) -> None:
    """Home -> a topic -> a piece on the engine the rest of the suite does not run, with axe."""
    other = _other(engine.choose().name)
    with serve(sites[other]) as base_url, chromium() as browser:
        page = local_only(browser.new_context(), base_url).new_page()
        page.goto(base_url)
        generator = page.locator("meta[name='generator']").get_attribute("content") or ""
        assert generator.startswith(f"{other}-"), generator
        assert axe_violations(page) == []
        page.locator(".hub-columns a[href*='topics/']").first.click()
        page.wait_for_url(re.compile(r"/topics/[a-z0-9-]+/$"))
        card = page.locator(".hub-card .hub-card-title").first
        title = " ".join(card.inner_text().split())
        card.click()
        page.wait_for_url(lambda url: "/topics/" not in url)
        assert " ".join(page.locator("article h1").first.inner_text().split()) == title
        assert axe_violations(page) == []
