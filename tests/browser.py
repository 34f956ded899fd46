"""Helpers for tests that look at the built site: a real build, a local HTTP server, Chromium, axe-core.

Owns how the tests get a site to look at: `build_site` runs the real strict MkDocs build into a
folder outside the repository, `SiteServer` serves such a folder on 127.0.0.1 with a threaded
http.server, `chromium_path` finds Debian's chromium and `axe_source` reads axe-core from
node_modules (package.json pins it; `npm ci` installs it). Whatever is missing makes the test
skip with a message, except under CI=true, where it fails: CI must run every browser test.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from _benchlib import served
from scratch import channelhub, copy_repository

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
#: flags that keep Debian's chromium quiet and off the network in a container
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def unavailable(why: str) -> None:
    """Skip the test locally; fail it in CI, where everything it needs must be installed."""
    if in_ci():
        pytest.fail(f"{why} (CI=true: this test must run in CI)", pytrace=False)
    pytest.skip(why)


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    path = chromium_path()
    if path is None:
        unavailable("Chromium is not installed (apt-get install chromium); browser tests skipped")
    assert path is not None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        unavailable("Playwright for Python is not installed (pip install -e '.[dev]')")
    return path


@functools.cache
def axe_source() -> str:
    if not AXE.is_file():
        unavailable(f"axe-core is not installed ({AXE.relative_to(ROOT)} missing; run npm ci)")
    return AXE.read_text(encoding="utf-8")


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium launched by Playwright with CHROMIUM_ARGS (a Browser), closed after."""
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=list(CHROMIUM_ARGS))
        try:
            yield launched
        finally:
            launched.close()


def local_only(context: Any, base_url: str) -> Any:
    """A Playwright browser context that aborts every request but those to `base_url`."""
    context.route(
        re.compile(r"^(?!" + re.escape(base_url) + ")"),
        lambda route: route.abort("blockedbyclient"),
    )
    return context


def axe_violations(page: Any) -> list[str]:
    """Critical and serious axe-core violations on a Playwright page, as readable lines."""
    page.add_script_tag(content=axe_source())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {', '.join(str(n['target']) for n in v['nodes'][:5])}"
        for v in result["violations"]
        if v["impact"] in ("critical", "serious")
    ]


SITE_URL = "https://channelhub.example/"


@dataclass(frozen=True)
class BuiltSite:
    """A demo site built by the real commands into a temporary folder."""

    root: Path  # the copy of the repository the site was built from
    site: Path  # the built site
    site_url: str
    pulled: bool  # True when `channelhub pull` brought in the bundled demo feeds first


def _run(cwd: Path, *args: str, what: str) -> None:
    result = channelhub(cwd, *args, env={"SITE_URL": SITE_URL}, timeout=600)
    if result.returncode != 0:
        pytest.fail(f"{what} failed:\n{result.stdout}\n{result.stderr}", pytrace=False)


def _has_pull() -> bool:
    from channelhub.cli import main

    return "pull" in getattr(main, "commands", {})


#: listing pages of the demo in the reader tests: its 16 pieces span several pages
DEMO_PAGE_SIZE = 5


def use_demo_page_size(root: Path) -> None:
    """Set the demo's small page size in a repository copy's mkdocs.yml (production is 20)."""
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    assert "    page_size: 20\n" in text, "mkdocs.yml no longer sets extra.hub.page_size: 20"
    config.write_text(text.replace("    page_size: 20\n", f"    page_size: {DEMO_PAGE_SIZE}\n"))


def build_demo(workdir: Path) -> BuiltSite:
    """Copy the repository, pull the bundled demo feeds into the copy, run `channelhub build`."""
    root = workdir / "hub"
    # a copy, so that neither the pull nor the build ever writes into the working tree
    copy_repository(root)
    use_demo_page_size(root)
    pulled = _has_pull()
    if pulled:
        _run(root, "pull", what="channelhub pull")
    site = workdir / "site"
    _run(root, "build", "-d", str(site), what="build")
    return BuiltSite(root=root, site=site, site_url=SITE_URL, pulled=pulled)


#: a built site on 127.0.0.1 (a free port), its base URL ending in '/' (shared with the benches)
serve = served
