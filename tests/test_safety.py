"""Issue 5, layers 4-6 each on its own: the last sanitizer, the pull-request check, front matter.

Layer 5 is data-driven: every file in tests/data/safety/ is an editor's page whose front matter
lists the exact problems `check_markdown` must report (`expect:`), nothing for allowed pages.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import html5lib
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from browser import in_ci
from channelhub import engine, frontmatter, safety
from channelhub.cli import main
from channelhub.sanitize import sanitize_rendered

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "safety"
CASES = sorted(p.relative_to(DATA).as_posix() for p in DATA.rglob("*.md") if p.name != "README.md")
CORPORA = ROOT.parent / "shared" / "corpora"
CHECK_BASE = Path(__file__).parent / "data" / "check" / "base"


def corpus_file(name: str) -> Path:
    path = CORPORA / name
    if not path.is_file():
        why = f"{path} is absent: the public corpora live in ../shared/corpora"
        if in_ci():
            pytest.fail(f"{why} (CI=true: this test must run in CI)", pytrace=False)
        pytest.skip(why)
    return path


def hostile_strings() -> list[str]:
    """Every payload of the xss corpus: DOMPurify and H5SC vectors, and the naughty strings."""
    payloads: list[str] = []
    for name in ("dompurify.json", "h5sc.json"):
        payloads += [item["html"] for item in json.loads(corpus_file(f"xss/{name}").read_text())]
    payloads += json.loads(corpus_file("xss/blns.json").read_text(encoding="utf-8"))
    return payloads


# --- layer 5: check_markdown on the data-driven cases ------------------------------------------


def expected_and_found(case: str) -> tuple[list[str], list[str]]:
    text = (DATA / case).read_text(encoding="utf-8")
    yaml_text, body, body_line = frontmatter.split(text)
    assert yaml_text is not None, f"{case}: a case starts with front matter holding 'expect'"
    expected = yaml.safe_load(yaml_text)["expect"]
    found = safety.check_markdown(body, path=case, body_line=body_line)
    assert all(p.path == case for p in found)
    return expected, [f"{p.line}: {p.message}" for p in found]


@pytest.mark.parametrize("case", CASES)
def test_case_gets_exactly_its_expected_problems(case: str) -> None:
    expected, found = expected_and_found(case)
    assert found == expected


def test_cases_cover_flagged_and_allowed() -> None:
    flagged = [c for c in CASES if c.startswith("flagged/")]
    allowed = [c for c in CASES if c.startswith("allowed/")]
    assert len(flagged) >= 10 and len(allowed) >= 2
    for case in flagged:
        assert expected_and_found(case)[0], f"{case}: a flagged case expects problems"
    for case in allowed:
        assert expected_and_found(case)[0] == [], f"{case}: an allowed case expects nothing"


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("javascript:alert(1)", "javascript:"),
        ("  JaVaScRiPt:alert(1)", "javascript:"),
        ("jav&#x09;ascript:alert(1)", "javascript:"),
        ("jav&#9ascript:alert(1)", "javascript:"),
        ("&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)", "javascript:"),
        ("java&Tab;script&colon;alert(1)", "javascript:"),
        ("\u2028javascript:alert(1)", "javascript:"),
        ("java\x00script:alert(1)", "javascript:"),
        ("java\\script:alert(1)", None),  # a backslash before a letter is not a Markdown escape
        ("javascript\\:alert(1)", "javascript:"),
        ("vbscript:msgbox(1)", "vbscript:"),
        ("data:text/html,<script>alert(1)</script>", "data:text/html"),
        ("data:application/xhtml+xml;base64,AAAA", "data:application/xhtml+xml"),
        ("data:image/svg+xml,<svg onload=alert(1)>", "data:image/svg+xml"),
        ("data:image/png;base64,iVBORw0KGgo=", None),
        ("https://example.com/javascript:alert(1)", None),
        ("mailto:desk@example.com", None),
        ("../relative/javascript-guide/", None),
        (
            "&amp;#106;avascript:alert(1)",
            None,
        ),  # decoded once, as a browser does: text, not a scheme
    ],
)
def test_dangerous_scheme_is_judged_as_a_browser_reads_it(url: str, scheme: str | None) -> None:
    assert safety.dangerous_scheme(url) == scheme


def test_mask_code_keeps_positions_and_blanks_only_code() -> None:
    text = "a `<x>` b\n```\n<script>\n```\n``c ` d`` e\n~~~\nunclosed"
    masked = safety.mask_code(text)
    assert len(masked) == len(text)
    assert masked.split("\n") == [
        "a       b",
        "   ",
        "        ",
        "   ",
        " " * 10 + "e",
        "~~~",
        "unclosed",
    ]


def test_snippet_resolved_through_a_symlink_is_outside(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "shared").mkdir(parents=True)
    (tmp_path / "secret.txt").write_text("token", encoding="utf-8")
    (docs / "shared" / "link.txt").symlink_to(tmp_path / "secret.txt")
    (docs / "shared" / "fine.md").write_text("ok", encoding="utf-8")
    body = '--8<-- "shared/link.txt"\n\n--8<-- "shared/fine.md"\n'
    lexical = safety.check_markdown(body, path="x.md")
    resolved = safety.check_markdown(body, path="x.md", body_line=5, docs_dir=docs)
    assert lexical == []
    assert [(p.line, p.message.split(" reaches")[0]) for p in resolved] == [
        (5, "snippet include 'shared/link.txt'")
    ]


def test_site_extensions_match_mkdocs_yml() -> None:
    """The render backstop must see Markdown as the site does (snippets are checked as text)."""

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=Loader)
    names = [next(iter(e)) if isinstance(e, dict) else e for e in config["markdown_extensions"]]
    assert [n for n in names if n != "pymdownx.snippets"] == list(safety.SITE_EXTENSIONS)


def hub_with(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "hub"
    shutil.copytree(CHECK_BASE, root)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_channelhub_check_reports_path_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    article = (DATA / "flagged" / "script-element.md").read_text(encoding="utf-8")
    pulled = (CHECK_BASE / "docs" / "sources" / "acme" / "2026").glob("*.md")
    pulled_text = next(iter(pulled)).read_text(encoding="utf-8") + "\n<script>alert(1)</script>\n"
    svg = '<svg xmlns="http://www.w3.org/2000/svg">\n<rect/>\n<script>alert(1)</script>\n</svg>\n'
    root = hub_with(
        tmp_path,
        {
            "docs/articles/2026/script-element.md": article,
            "docs/sources/acme/2026/hostile.md": pulled_text,  # a pulled piece edited by hand
            "docs/assets/evil.svg": svg,
            "docs/sources/acme/about.md": "# Not a piece\n<script>alert(1)</script>\n",
        },
    )
    monkeypatch.chdir(root)
    result = CliRunner().invoke(main, ["check"], catch_exceptions=False)
    script = "raw <script> is not allowed: it runs in readers' browsers (show code in a fenced code block)"
    assert result.exit_code == 1
    lines = [line for line in result.stdout.splitlines() if "key 'expect'" not in line]
    expected, _ = expected_and_found("flagged/script-element.md")
    assert len(expected) == 3
    assert lines == [f"docs/articles/2026/script-element.md:{e}" for e in expected] + [
        f"docs/assets/evil.svg:3: {script}",
        f"docs/sources/acme/2026/hostile.md:10: {script}",
        "docs/sources/acme/about.md:1: no front matter: a piece starts with '---', then title and date",
        f"docs/sources/acme/about.md:2: {script}",  # in pull's folder, but not a pulled piece
    ]


def test_repository_pages_pass_the_check() -> None:
    assert safety.check_tree(ROOT) == []


# --- layer 4: the rendered HTML of pulled pieces -----------------------------------------------

DECORATION = (
    '<p class="hub-byline"><span class="hub-kind hub-kind-partner">Partner</span> · '
    '<time datetime="2026-01-05">5 January 2026</time> · From <a href="../../">Acme</a></p>\n'
    '<h2 id="a-heading">A heading<a class="headerlink" href="#a-heading" title="Permanent link">¶</a></h2>\n'
    '<div class="highlight"><pre><span></span><code>&lt;script&gt;\n</code></pre></div>\n'
    '<p><a href="https://example.com/x" rel="nofollow noopener">link</a> <img loading="lazy" referrerpolicy="no-referrer" alt="a" src="https://example.com/a.png"></p>\n'
    '<nav class="hub-pagination" aria-label="Pages"><span class="hub-current" aria-current="page">1</span></nav>\n'
    '<table>\n<thead>\n<tr>\n<th style="text-align:right">n</th>\n</tr>\n</thead>\n</table>\n'
    '<p><a class="md-button hub-original" href="https://example.com/post" rel="nofollow noopener">Read</a></p>\n'
    '<ul>\n<li><a href="../../../../articles/2026/x/">X</a> <small>Editorial</small></li>\n</ul>'
)


#: every image of a pulled piece loads lazily and sends no referrer (issue 16)
IMG_X = '<img loading="lazy" referrerpolicy="no-referrer" src="x">'


def test_sanitize_rendered_keeps_the_hub_decoration_exactly() -> None:
    assert sanitize_rendered(DECORATION) == DECORATION


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<p>a<script>alert(1)</script>b</p>', "<p>ab</p>"),
        ('<img src="x" onerror="alert(1)">', IMG_X),
        ('<a href="jav&#x09;ascript:alert(1)">x</a>', "<a>x</a>"),
        ('<a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">x</a>', "<a>x</a>"),
        ('<svg><a xlink:href="javascript:alert(1)">x</a></svg>ok', "ok"),
        ('<math href="javascript:alert(1)">x</math>ok', "ok"),
        ('<form action="javascript:alert(1)"><button formaction="javascript:1">b</button></form>', "b"),
        ('<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>ok', "ok"),
        ('<p class="evil hub-x md-y" style="color:red" id="x">t</p>', '<p class="hub-x md-y" id="x">t</p>'),
        ('<h2 id="__md_scope">t</h2>', "<h2>t</h2>"),
        ('<a rel="opener nofollow" href="/x" target="_blank">t</a>', '<a rel="nofollow" href="/x">t</a>'),
        ('<!--><img src=x onerror=alert(1)>-->', IMG_X + '--&gt;'),
        ('<img src="x" loading="eager" referrerpolicy="unsafe-url">', IMG_X),
        ('<IMG/src="x">', IMG_X),
        ('<image src="x">', IMG_X),
        # raw HTML with "<img" inside an attribute (Markdown writes &lt;): mangled, but inert
        ('<a title="<img x>" href="/y">t</a>', '<a title="&lt;img loading=">" href="/y"&gt;t</a>'),
        ('<div data-md-component="search" hidden>t</div>', "<div>t</div>"),
        ('<td style="text-align: left; background: url(javascript:1)">t</td>', "t"),
        ('<table><tr><td style="text-align: left; background: url(x)">t</td></tr></table>',
         '<table><tbody><tr><td style="text-align:left">t</td></tr></tbody></table>'),
    ],
)  # fmt: skip
def test_sanitize_rendered_drops_the_rest(html: str, expected: str) -> None:
    assert sanitize_rendered(html) == expected


@pytest.mark.build
def test_build_sanitizes_a_pulled_piece_that_slipped_through(tmp_path: Path) -> None:
    """Layer 4 alone: a pulled piece whose Markdown carries raw HTML (as if layers 1-3 failed)."""
    from scratch import copy_repository

    repo = copy_repository(tmp_path / "repo")
    source = yaml.safe_load((repo / "feeds" / "sources.yml").read_text(encoding="utf-8"))
    source_id = source["sources"][0]["id"]
    meta = {
        "title": "Slipped through",
        "date": "2026-01-05T10:00:00+00:00",
        "source": source_id,
        "canonical": "https://partner.example/post",
        "summary": "A pulled post.",
    }
    body = (
        "Text <script>window.__xss=1</script> and <img src=x onerror=alert(1)>.\n\n"
        '<a href="javascript:alert(1)" onclick="alert(2)">x</a>\n\n'
        '<svg><a xlink:href="javascript:alert(3)"><text>t</text></a></svg>\n\n'
        "## A heading\n"
    )
    frontmatter.write(repo / "docs" / "sources" / source_id / "2026" / "slipped.md", meta, body)
    chosen = engine.choose()  # CHANNELHUB_ENGINE: CI runs the build tests on each engine
    done = subprocess.run(
        chosen.command("build", "--strict", "-q", "-d", str(tmp_path / "site")),
        cwd=repo, env=chosen.environment({**os.environ, "CHANNELHUB_SEARCH": "0"}),
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    page = (
        tmp_path / "site" / "sources" / source_id / "2026" / "slipped" / "index.html"
    ).read_text()
    content = page[page.index('<article class="md-content__inner') :]
    content = content[: content.index("</article>")]
    tree = html5lib.parseFragment(content, treebuilder="etree", namespaceHTMLElements=False)
    elements = [e for e in tree.iter() if isinstance(e.tag, str)]
    assert not [
        e for e in elements if e.tag.rpartition("}")[2] in ("script", "svg", "a") and _active(e)
    ]
    assert "__xss" not in content and "onerror" not in content and "javascript:" not in content
    assert 'class="hub-byline"' in content and '<time datetime="2026-01-05">' in content
    assert 'id="a-heading"' in content and 'class="headerlink"' in content


def _active(element: Any) -> bool:
    href = element.attrib.get("href", "") + element.attrib.get(
        "{http://www.w3.org/1999/xlink}href", ""
    )
    return element.tag == "script" or element.tag.endswith("svg") or "javascript" in href


# --- layer 6: front matter round-trips for hostile values ---------------------------------------

HOSTILE_KEYS = ("title", "summary", "author")


def round_trip(value: str) -> None:
    meta = {
        "title": value,
        "date": "2026-01-05T10:00:00+00:00",
        "summary": value,
        "source": "acme",
        "canonical": "https://example.com/x",
        "author": value,
    }
    text = frontmatter.render(meta, "Body.\n")
    doc = frontmatter.parse(text, path="x.md", with_lines=False)
    assert dict(doc.meta) == meta, repr(value)
    assert list(doc.meta) == list(frontmatter.ordered(meta)), repr(value)
    assert doc.body == "Body.\n", repr(value)


@pytest.mark.corpus
def test_front_matter_round_trips_every_corpus_payload() -> None:
    payloads = hostile_strings()
    assert len(payloads) > 800
    extra = [
        "---",
        "...",
        "--- \nx: 1",
        "key: value\nother: 2",
        "a\n---\nb: c",
        "\ufeff---",
        "'",
        '"',
    ]
    for value in payloads + extra:
        round_trip(value)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_front_matter_round_trips_any_text(value: str) -> None:
    round_trip(value)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["---", "...", "\n", "\r\n", "\u2028", "\x85", ": ", "- ", "#", "&a", "*a", "!!python/object", "{", "[", "'", '"', "\\", "\t", "x"]),
        max_size=12,
    ).map("".join)
)  # fmt: skip
def test_front_matter_round_trips_yaml_syntax_soup(value: str) -> None:
    round_trip(value)


def test_front_matter_value_cannot_close_the_block() -> None:
    text = frontmatter.render({"title": "x\n---\ninjected: 1", "date": "2026-01-05"}, "b\n")
    assert re.findall(r"^---$", text, re.MULTILINE) == ["---", "---"]
    assert set(frontmatter.parse(text, path="x.md").meta) == {"title", "date"}
