"""Pages outside the nav skip Python-Markdown when their text is blank (listing pages that are
all HTML) and otherwise share one instance a build (hooks/hub.py, issue 19: the engine makes
one for every page, 0.3 ms each): the site must be byte for byte what the engine makes with an
instance a page, whatever state the extensions keep from one page to the next.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import markdown
import pytest

from channelhub.shared_markdown import SharedMarkdown, shareable
from rebuilding import Hub, build, same_site, small_hub

pytestmark = pytest.mark.build

#: bodies that use every configured extension that keeps state between two documents: footnotes
#: (same labels on two pages), toc (a heading twice; the same headings on other pages), raw HTML
#: with ids, superfences, details, admonitions, md_in_html, attr_list, tables and snippets
BODIES = (
    "\n## Intro\n\nA claim.[^a] Another.[^b]\n\n## Intro\n\nAgain.\n\n"
    "[^a]: First note.\n[^b]: Second note.\n",
    "\n## Intro\n\nOne more claim.[^a]\n\n[^a]: Its own note.\n\n"
    '<div id="box" markdown>\n**Bold** inside.\n</div>\n\n'
    "| a | b |\n|---|---|\n| 1 | 2 |\n\n## Table { #custom-id }\n",
    '\n!!! note "A note"\n    Inside.\n\n??? tip "Open me"\n    Hidden.\n\n'
    "```python\nprint('x')\n```\n\n--8<-- \"includes/shared.txt\"\n\n## Intro\n",
    "\n## Intro\n\nNo notes here; [a link](#intro).\n",
)


def _markdowns(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the instances of Python-Markdown the engine makes from now on."""
    made: list[int] = []
    init = markdown.Markdown.__init__

    def counting(self: markdown.Markdown, *args: Any, **kwargs: Any) -> None:
        made.append(1)
        init(self, *args, **kwargs)

    monkeypatch.setattr(markdown.Markdown, "__init__", counting)
    return made


def _hub(root: Path) -> Path:
    small_hub(root, pieces=8)
    hub = Hub(root)
    hub.write("docs/includes/shared.txt", "Included *text* from a snippet.\n")
    for path, body in zip(hub.pieces()[:6], BODIES + BODIES[:2], strict=True):
        hub.edit(path, body=body)
    return root


def test_pages_sharing_one_markdown_instance_are_what_the_engine_makes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours = _hub(tmp_path / "ours")
    engines = _hub(tmp_path / "engine")
    hooks = engines / "hooks" / "hub.py"  # every page rendered by the engine's own Page
    hooks.write_text(hooks.read_text(encoding="utf-8") + "\n_HtmlPage = Page\n", encoding="utf-8")

    made = _markdowns(monkeypatch)
    monkeypatch.chdir(ours)  # snippets are found from the working directory (base_path: docs)
    first = build(ours, tmp_path / "site-ours", clean=True)
    shared = len(made)
    monkeypatch.chdir(engines)
    second = build(engines, tmp_path / "site-engine", clean=True)
    assert first.status == second.status == 0, (first.warnings, second.warnings)
    assert first.warnings == second.warnings
    assert same_site(tmp_path / "site-ours", tmp_path / "site-engine") == ""
    written = (tmp_path / "site-ours").rglob("*.html")
    notes = [p for p in written if 'class="footnote"' in p.read_text(encoding="utf-8")]
    assert len(notes) >= 4  # the bodies above were rendered, footnotes and all
    nav_pages = 5  # the nav's pages get the engine's own instance; the rest share one
    assert shared == nav_pages + 1 + 1  # and the engine checks the config with one
    pages = len(list((tmp_path / "site-engine").rglob("index.html")))
    assert len(made) - shared == 1 + pages  # the engine's: the config's, then one a page


def test_an_extension_not_known_to_reset_gets_an_instance_a_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = small_hub(tmp_path / "hub", pieces=6)
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("  - attr_list\n", "  - attr_list\n  - sane_lists\n"), "utf-8")
    made = _markdowns(monkeypatch)
    assert build(root, tmp_path / "site", clean=True).status == 0
    # the config's, the nav's five pages' and at least one for each of the six pieces (shared
    # by mistake, the config's, the nav's and one: 7)
    assert len(made) >= 1 + 5 + 6, len(made)


def test_which_configurations_may_share_an_instance() -> None:
    usual = ["toc", "tables", "pymdownx.superfences", "pymdownx.snippets"]
    assert shareable(usual, {"toc": {"permalink": True}})
    assert not shareable([*usual, "sane_lists"], {})
    assert not shareable(["footnotes"], {"footnotes": {"UNIQUE_IDS": True}})
    fences = {"custom_fences": [{"name": "mermaid", "class": "mermaid"}]}
    assert not shareable(usual, {"pymdownx.superfences": fences})
    shared = SharedMarkdown()
    first = shared.instance(usual, {})
    assert first is not None and shared.instance(usual, {}) is first
    shared.drop()
    assert shared.instance(usual, {}) is not first
    assert SharedMarkdown().instance(["sane_lists"], {}) is None
