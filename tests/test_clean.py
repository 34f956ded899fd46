"""Layers 2 and 3 on their own: plain text, safe URLs, HTML -> safe Markdown (channelhub.clean).

Every hostile case is checked twice: an exact expected output where that is meaningful, and a
property check that renders the Markdown with Python-Markdown and the site's extensions and
scans the HTML for anything a browser would run.
"""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path

import html5lib
import markdown
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channelhub.clean import (
    escape_text,
    html_to_markdown,
    plain_text,
    safe_url,
    summary_to_text,
)
from channelhub.safety import SITE_EXTENSIONS

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
SNIPPETS = Path(__file__).resolve().parent / "data" / "snippets"
BASE = "https://partner.example/blog/post/"

# The site's markdown_extensions (mkdocs.yml); snippets point at a file that holds a script.
EXTENSIONS = [*SITE_EXTENSIONS, "pymdownx.snippets"]
EXTENSION_CONFIGS = {"pymdownx.snippets": {"base_path": [str(SNIPPETS)]}}
DANGEROUS_ELEMENTS = {
    "script", "style", "iframe", "object", "embed", "form", "svg", "math", "base", "meta",
    "link", "frame", "frameset", "input", "button", "textarea", "select", "applet", "template",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "srcset"}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")


def xss_corpus(name: str) -> list[object]:
    path = CORPORA / "xss" / name
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing; CI must have ../shared/corpora")
        pytest.skip(f"{path} is absent (the public corpora live in ../shared/corpora)")
    return list(json.loads(path.read_text(encoding="utf-8")))


def render(md: str) -> str:
    return markdown.markdown(md, extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS)


def _plain(value: str) -> str:
    return "".join(c for c in html.unescape(value) if c.isprintable() and not c.isspace()).lower()


def unsafe_in_html(rendered: str) -> list[str]:
    """What in rendered HTML a browser could run: elements, on* handlers, script URLs."""
    tree = html5lib.parseFragment(rendered, treebuilder="etree", namespaceHTMLElements=False)
    found = []
    for element in tree.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag.split("}")[-1].lower() in DANGEROUS_ELEMENTS:
            found.append(f"<{tag}> element")
        for name, value in element.attrib.items():
            name = name.split("}")[-1].lower()
            if name.startswith("on"):
                found.append(f"{name} attribute on <{tag}>")
            if name in URL_ATTRIBUTES and _plain(value).startswith(BAD_SCHEMES):
                found.append(f"{name}={value!r} on <{tag}>")
            if name in ("style", "id", "class") and tag not in ("h2", "h3", "h4", "h5", "h6", "div",
                                                              "pre", "code", "a", "sup", "li",
                                                              "span", "hr", "ol"):  # fmt: skip
                found.append(f"{name} attribute on <{tag}>")
    return found


def unsafe_in_markdown(md: str) -> list[str]:
    """Markdown-level hazards that rendering alone would not show."""
    found = []
    for token in ("{{", "{%", "{#"):
        if token in md:
            found.append(f"Jinja opener {token!r}")
    fence = ""  # the open top-level code fence: Python-Markdown reads its lines as literal text
    for number, line in enumerate(md.splitlines(), 1):
        ticks = re.match(r"`{3,}", line)
        if ticks and (not fence or (len(ticks.group()) >= len(fence) and not line.strip("`"))):
            fence = "" if fence else ticks.group()
            continue
        if not fence and line.strip() in ("---", "..."):
            found.append(f"line {number}: front-matter delimiter")
        if not fence and re.match(r"^\s*(!!!|\?\?\?)", line):
            found.append(f"line {number}: admonition/details marker")
        # pymdownx.snippets runs before code is recognised: a marker line counts even in a fence
        if re.match(r"^[ \t]*-+8<-+", line):
            found.append(f"line {number}: snippet include")
    return found


def assert_safe_markdown(md: str) -> None:
    rendered = render(md)
    problems = unsafe_in_markdown(md) + unsafe_in_html(rendered)
    assert "SNIPPET-MARKER" not in rendered, "a snippet was included"
    assert not problems, f"{problems}\n--- markdown:\n{md}\n--- html:\n{rendered}"


# --- layer 2: plain text ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("AT&amp;T &lt;b&gt;bold&lt;/b&gt;", "AT&T <b>bold</b>"),  # decoded once, stays text
        ("<b>Bold</b> <i>move</i>", "Bold move"),
        ("<p>one</p><p>two</p>", "one two"),
        ("</title><script>alert(1)</script>Real title", "Real title"),
        ("a\u202eevil\u202c b\u200b\x00c", "aevil bc"),
        ("line\u2028break\tand\nnew  line", "line break and new line"),
        ("&amp;amp;", "&amp;"),
        ("Caf&eacute; &#8211; d&#233;j&#xe0; vu", "Café – déjà vu"),
        ("emoji 👩\u200d💻 kept", "emoji 👩\u200d💻 kept"),
        ("", ""),
    ],
)
def test_plain_text_exact(value: str, expected: str) -> None:
    assert plain_text(value, max_len=200) == expected


def test_plain_text_without_markup_decodes_nothing_but_still_strips_tags() -> None:
    assert plain_text("x <b>y</b> &amp; a < b", max_len=50, markup=False) == "x y &amp; a < b"
    assert plain_text("</title><script>alert(1)</script>Evil", max_len=50, markup=False) == "Evil"


def test_plain_text_caps_at_a_word_boundary() -> None:
    text = plain_text("word " * 100, max_len=42)
    assert text == "word word word word word word word word…"
    assert len(text) <= 42
    assert len(plain_text("x" * 5000, max_len=10)) == 10


def test_plain_text_drops_lone_surrogates_so_utf8_encoding_works() -> None:
    text = plain_text("a\ud800b", max_len=10)
    assert text == "ab"
    text.encode("utf-8")


def test_summary_to_text_is_one_paragraph_of_at_most_400_chars() -> None:
    summary = summary_to_text("<p>First para.</p>\n<p>" + "Second sentence here. " * 40 + "</p>")
    assert summary.startswith("First para. Second sentence here.")
    assert "\n" not in summary
    assert len(summary) <= 400
    assert summary.endswith("…")
    assert summary[-2] != " "


# --- layer 2: URLs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("https://Example.COM/a?b=1#c", None, "https://example.com/a?b=1#c"),
        ("/path/x", BASE, "https://partner.example/path/x"),
        ("img.png", BASE, "https://partner.example/blog/post/img.png"),
        ("//cdn.example/x.png", BASE, "https://cdn.example/x.png"),
        ("/rel", None, None),
        ("javascript:alert(1)", BASE, None),
        ("JaVaScRiPt:alert(1)", BASE, None),
        ("&#106;avascript:alert(1)", None, None),
        ("&#106avascript:alert(1)", BASE, None),
        ("&#x6A;avascript&colon;alert(1)", BASE, None),
        ("java\tscript:alert(1)", BASE, None),
        ("java\nscript:alert(1)", BASE, None),
        ("\u2028javascript:alert(1)", BASE, None),
        ("\x01 javascript:alert(1)", BASE, None),
        ("vbscript:msgbox(1)", BASE, None),
        ("data:text/html;base64,PHNjcmlwdD4=", BASE, None),
        ("file:///etc/passwd", BASE, None),
        ("mailto:joe@example.com", BASE, None),
        ("https://example.com/a b(c)\"d'e<f>[g]", None,
         "https://example.com/a%20b%28c%29%22d%27e%3Cf%3E%5Bg%5D"),
        ("https://example.com/x)](javascript:alert(1))", None,
         "https://example.com/x%29%5D%28javascript:alert%281%29%29"),
        ("https:\\\\evil.example\\x", None, "https://evil.example/x"),
        ("https://user:pw@host.example/", None, "https://host.example/"),
        ("https://bücher.example/", None, "https://xn--bcher-kva.example/"),
        ("https://example.com/?a=1&copy=2", None, "https://example.com/?a=1&copy=2"),
        ("https://exa mple.com/", None, None),
        ("https://example.com:99999/", None, None),
        ("http:alert(1)", BASE, None),
        ("  https://example.com/x  ", None, "https://example.com/x"),
    ],
)  # fmt: skip
def test_safe_url(url: str, base: str | None, expected: str | None) -> None:
    assert safe_url(url, base=base) == expected


def test_safe_url_mailto_only_when_allowed() -> None:
    assert safe_url("mailto:joe@example.com", allow_mailto=True) == "mailto:joe@example.com"
    assert safe_url("MAILTO:joe@example.com?subject=x", allow_mailto=True) == (
        "mailto:joe@example.com"
    )
    assert safe_url("mailto:joe@example.com") is None
    assert safe_url("mailto:<script>", allow_mailto=True) is None


def test_safe_url_refuses_an_unsafe_base() -> None:
    assert safe_url("/x", base="javascript:alert(1)//") is None


# --- layer 3: HTML -> Markdown, exact outputs -------------------------------------------------

EXACT = [
    (
        '<p>Hello <b>world</b> &amp; <a href="/x">friends</a></p>',
        'Hello **world** &amp; [friends](https://partner.example/x){: rel="nofollow noopener" }',
    ),
    # feedparser bypasses from issue 5
    ("<!--><script>alert(1)</script>-->", "\\--&gt;"),
    ('<svg><animate attributeName="href" values="javascript:alert(1)"/><a><text>x</text></a></svg>',
     ""),
    ('<svg><set attributeName="href" to="javascript:alert(1)"/></svg>ok', "ok"),
    ('<math href="javascript:alert(1)"><mi>CLICK</mi></math>', ""),
    ('<form action="javascript:alert(1)"><button>Go</button></form>', "Go"),
    ('<a href="&#106;avascript:alert(1)">x</a>', "x"),
    ('<a href="\u2028javascript:alert(1)">x</a>', "x"),
    ("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ('<a href="https://example.com/x)](javascript:alert(1))">t</a>',
     '[t](https://example.com/x%29%5D%28javascript:alert%281%29%29){: rel="nofollow noopener" }'),
    ('<h2>Title {: onclick="alert(1)" }</h2>',
     '## Title &#123;: onclick="alert(1)" &#125;'),
    ("<h1>Top</h1><h3>Sub</h3>", "## Top\n\n### Sub"),
    ('<p>--8&lt;-- "/etc/passwd"</p>', '\\--8&lt;-- "/etc/passwd"'),
    ("<p>{{ config.secret }} {% include 'x' %} {# c #}</p>",
     "&#123;&#123; config.secret &#125;&#125; &#123;% include 'x' %&#125; &#123;\\# c \\#&#125;"),
    ("<p>!!! danger</p><p>??? note</p>", "\\!\\!\\! danger\n\n&#63;?? note"),
    ("<hr><p>---</p>", "* * *\n\n\\---"),
    ("<p>1. not a list</p><p>+ nor this</p>", "1\\. not a list\n\n\\+ nor this"),
    ('<img src="/a.png" alt="](javascript:alert(1))" onerror="alert(1)">',
     "![\\](javascript:alert(1))](https://partner.example/a.png)"),
    ('<p id="x" class="y" style="color:red" onclick="alert(1)">styled</p>', "styled"),
    ("<p>C# a_b*c `t` \\ [x] |</p>", "C\\# a\\_b\\*c \\`t\\` \\\\ \\[x\\] \\|"),
    ("<ul><li>one</li><li>two</li></ul>", "- one\n- two"),
    ("<code>{{x}} `y`</code>", "`` {\u200b{x}} `y` ``"),
    ("<pre>a &lt; b\n```\n--8&lt;-- \"x\"\n{% raw %}</pre>",
     '````\na < b\n```\n;--8<-- "x"\n{\u200b% raw %}\n````'),
    ("<pre>---\n...\n!!! note\n??? x</pre>", "```\n---\n...\n!!! note\n??? x\n```"),
    ("<ul><li><pre>&lt;script&gt;alert(1)&lt;/script&gt;\nline2</pre></li></ul>",
     "- `<script>alert(1)</script>`  \n  `line2`"),
    ("<table><tr><th>h</th></tr><tr><td>a|b</td></tr></table>", "| h |\n| --- |\n| a\\|b |"),
    ('<iframe src="https://x"></iframe><object data="x">o</object><embed src="x">', ""),
    ('<a href="mailto:joe@example.com">mail</a>',
     '[mail](mailto:joe@example.com){: rel="nofollow noopener" }'),
]  # fmt: skip


@pytest.mark.parametrize(("source", "expected"), EXACT)
def test_html_to_markdown_exact(source: str, expected: str) -> None:
    md = html_to_markdown(source, base_url=BASE)
    assert md == expected
    assert_safe_markdown(md)


def test_html_to_markdown_renders_the_intended_html() -> None:
    md = html_to_markdown(
        '<p>See <a href="/r">the report</a> &amp; <em>more</em>.</p><p>&lt;b&gt;x</p>',
        base_url=BASE,
    )
    assert render(md) == (
        '<p>See <a href="https://partner.example/r" rel="nofollow noopener">the report</a>'
        " &amp; <em>more</em>.</p>\n<p>&lt;b&gt;x</p>"
    )


def test_html_to_markdown_without_rel_attrs() -> None:
    md = html_to_markdown('<a href="https://x.example/">x</a>', base_url=None, rel_attrs=False)
    assert md == "[x](https://x.example/)"


def test_images_can_be_dropped_for_their_alt_text() -> None:
    source = '<p>See <img src="a.png" alt="the *chart*"> here.</p><p><img src="b.png"></p><p>End</p>'
    assert html_to_markdown(source, base_url=BASE, images=False) == "See the \\*chart\\* here.\n\nEnd"
    assert "![the \\*chart\\*](" in html_to_markdown(source, base_url=BASE)


def test_relative_links_without_base_are_dropped_but_text_kept() -> None:
    assert html_to_markdown('<a href="/x">text</a> <img src="y.png" alt="pic">', base_url=None) == (
        "text pic"
    )


def test_empty_and_whitespace_html() -> None:
    assert html_to_markdown(None, base_url=BASE) == ""
    assert html_to_markdown("  \n ", base_url=BASE) == ""


def test_escape_text_round_trips_through_markdown() -> None:
    text = "a < b & {x} [y](z) *w* _v_ `u` #t !!! ??? --8<-- {{ j }} | ~~~"
    rendered = render(escape_text(text))
    assert html.unescape(re.sub(r"</?p>", "", rendered)) == text


# --- property checks on hostile corpora ------------------------------------------------------

HOSTILE_SNIPPETS = [
    '<p>--8<-- "evil.md"</p>',
    '<pre>--8<-- "evil.md"</pre>',
    '<code>--8<-- "evil.md"</code>',
    '<p>x<br>--8&lt;-- "evil.md"</p>',
    '<ul><li><pre>\n--8&lt;-- "evil.md"\n</pre></li></ul>',
    "<blockquote><pre>```\n<script>alert(1)</script>\n```</pre></blockquote>",
    "<table><tr><td><pre>```\n&lt;script&gt;alert(1)&lt;/script&gt;</pre></td></tr></table>",
    "<h2><pre>&lt;script&gt;alert(1)&lt;/script&gt;</pre></h2>",
    "<p>*[HTML]: x</p><p>[^1]: <a href='javascript:alert(1)'>f</a></p>",
    "<p>[x]: javascript:alert(1)</p><p>[x]</p>",
    "<p>&lt;https://x.example&gt; &lt;!-- c --&gt; &lt;div markdown=1&gt;</p>",
    "<p>&amp;lt;script&amp;gt;</p>",
    "<a href='https://x.example'><img src=x onerror=alert(1)>](javascript:alert(1))</a>",
    "<p>text</p>\n\n<p>    <script>indented</script></p>",
]


@pytest.mark.parametrize("source", HOSTILE_SNIPPETS)
def test_hostile_markdown_constructs_render_safely(source: str) -> None:
    assert_safe_markdown(html_to_markdown(source, base_url=BASE))


def test_the_property_check_catches_what_it_should() -> None:
    # Guard against a vacuous check: raw Markdown with each hazard must be flagged.
    assert unsafe_in_html(render("<script>alert(1)</script>"))
    assert unsafe_in_html(render("[x](javascript:alert(1))"))
    assert unsafe_in_html(render("# T {: onclick=alert(1) }"))
    assert unsafe_in_markdown("---\ntitle: x\n---")
    assert "SNIPPET-MARKER" in render('--8<-- "evil.md"')


@pytest.mark.corpus
@pytest.mark.parametrize("name", ["dompurify.json", "h5sc.json"])
def test_xss_corpus_html_through_every_layer(name: str) -> None:
    payloads = xss_corpus(name)
    assert len(payloads) > 100
    for case in payloads:
        assert isinstance(case, dict)
        source = str(case["html"])
        assert_safe_markdown(html_to_markdown(source, base_url=BASE))
        assert_safe_markdown(html_to_markdown(source, base_url=None))
        assert_safe_markdown(escape_text(plain_text(source, max_len=300)))
        url = safe_url(source, base=BASE, allow_mailto=True)
        assert url is None or re.fullmatch(r"(https?://|mailto:)[^\s\"'<>()\[\]{}\\]+", url)


@pytest.mark.corpus
def test_big_list_of_naughty_strings_through_every_layer() -> None:
    strings = xss_corpus("blns.json")
    assert len(strings) > 400
    for value in strings:
        assert isinstance(value, str)
        text = plain_text(value, max_len=300)
        assert "\n" not in text and len(text) <= 300
        text.encode("utf-8")
        assert_safe_markdown(escape_text(text))
        assert_safe_markdown(html_to_markdown(value, base_url=BASE))
        url = safe_url(value, base=BASE)
        assert url is None or re.fullmatch(r"https?://[^\s\"'<>()\[\]{}\\]+", url)
        if url is not None:
            assert_safe_markdown(
                html_to_markdown(f'<a href="{html.escape(url)}">x</a>', base_url=None)
            )


# --- the converter's Markdown: structure a reader sees ------------------------------------------

REPRESENTATIVE_BODY = """
<h1>Aligning the CMO and the CIO</h1>
<p>Budgets are <strong>shared</strong> now &amp; <em>both</em> sides <a href="/report">own the
report</a>.</p>
<h3>What changed</h3>
<ul>
  <li>Marketing buys <code>SaaS</code> tools</li>
  <li>IT runs the data platform
    <ul><li>warehouse</li><li>identity</li></ul>
  </li>
</ul>
<p>Then:</p>
<ol start="3">
  <li><p>Agree on metrics.</p><p>Write them down.</p></li>
  <li>Review quarterly.</li>
</ol>
<figure><img src="img/chart.png" alt="Spend by team"><figcaption>Spend by team, 2025</figcaption></figure>
<blockquote><p>Alignment is a budget line, not a slogan.</p><p>A CIO</p></blockquote>
<pre><code>SELECT team, SUM(spend)
FROM budget GROUP BY team;</code></pre>
<table>
  <caption>Budget split</caption>
  <thead><tr><th>Team</th><th>Share</th></tr></thead>
  <tbody><tr><td>Marketing</td><td>55%</td></tr><tr><td colspan="2">IT: the rest</td></tr></tbody>
</table>
<hr>
<p>Line one<br>line two</p>
"""

REPRESENTATIVE_MARKDOWN = (
    """\
## Aligning the CMO and the CIO

Budgets are **shared** now &amp; *both* sides [own the report](https://partner.example/report){: rel="nofollow noopener" }\\.

### What changed

- Marketing buys `SaaS` tools
- IT runs the data platform
    - warehouse
    - identity

Then:

3. Agree on metrics.

    Write them down.

4. Review quarterly.

![Spend by team](https://partner.example/blog/post/img/chart.png)

Spend by team, 2025

> Alignment is a budget line, not a slogan.
>
> A CIO

```
SELECT team, SUM(spend)
FROM budget GROUP BY team;
```

Budget split

| Team | Share |
| --- | --- |
| Marketing | 55% |
| IT: the rest | |

* * *

Line one"""
    + "  \nline two"
)


def _tree(rendered: str) -> object:
    return html5lib.parseFragment(rendered, treebuilder="etree", namespaceHTMLElements=False)


def _text(element: object) -> str:
    return " ".join("".join(element.itertext()).split())  # type: ignore[attr-defined]


def test_representative_body_is_good_markdown() -> None:
    md = html_to_markdown(REPRESENTATIVE_BODY, base_url=BASE)
    assert md == REPRESENTATIVE_MARKDOWN
    assert_safe_markdown(md)
    tree = _tree(render(md))
    top = [child.tag for child in tree]  # type: ignore[attr-defined]
    assert top == ["h2", "p", "h3", "ul", "p", "ol", "p", "p", "blockquote", "div", "p",
                   "table", "hr", "p"]  # fmt: skip
    link = tree.find("p/a")  # type: ignore[attr-defined]
    assert link.attrib == {"href": "https://partner.example/report", "rel": "nofollow noopener"}
    assert _text(link) == "own the report"
    # the nested list sits inside the second item; the ordered items keep both paragraphs
    outer = tree.find("ul")  # type: ignore[attr-defined]
    assert [_text(li.find("ul")) if li.find("ul") is not None else None for li in outer] == [
        None,
        "warehouse identity",
    ]
    assert outer.find("li/code").text == "SaaS"
    items = tree.find("ol").findall("li")  # type: ignore[attr-defined]
    assert [[_text(p) for p in li.findall("p")] for li in items] == [
        ["Agree on metrics.", "Write them down."],
        ["Review quarterly."],
    ]
    image = tree.find("p/img")  # type: ignore[attr-defined]
    assert image.attrib == {
        "alt": "Spend by team",
        "src": "https://partner.example/blog/post/img/chart.png",
    }
    quote = tree.find("blockquote")  # type: ignore[attr-defined]
    assert [_text(p) for p in quote.findall("p")] == [
        "Alignment is a budget line, not a slogan.",
        "A CIO",
    ]
    code = tree.find("div/pre/code")  # type: ignore[attr-defined]
    assert "".join(code.itertext()) == "SELECT team, SUM(spend)\nFROM budget GROUP BY team;\n"
    table = tree.find("table")  # type: ignore[attr-defined]
    assert [_text(th) for th in table.iter("th")] == ["Team", "Share"]
    assert [[_text(td) for td in tr.findall("td")] for tr in table.find("tbody")] == [
        ["Marketing", "55%"],
        ["IT: the rest", ""],
    ]
    assert tree.find("p/br") is not None  # type: ignore[attr-defined]


STRUCTURES = [
    # Python-Markdown nests a list only under a 4-space indent
    ("<ol><li>one<ol><li>a</li><li>b</li></ol></li><li>two</li></ol>",
     "1. one\n    1. a\n    2. b\n2. two"),
    # an item of several blocks makes the list loose, so the next item is not swallowed
    ("<ul><li><p>a</p><p>b</p></li><li>c</li></ul>", "- a\n\n    b\n\n- c"),
    ("<ul><li><blockquote><p>q</p><p>r</p></blockquote></li><li>c</li></ul>",
     "- > q\n  >\n  > r\n- c"),
    ("<ul>\n<li>x</li>\n<li>y</li>\n</ul>", "- x\n- y"),
    ('<ol start="²"><li>x</li></ol>', "1. x"),  # not a number: no crash, start at 1
    ('<ol start="7"><li>x</li><li>y</li></ol>', "7. x\n8. y"),
    ("<li>stray item</li>", "- stray item"),
    ("<p>one<br><br>two<br>three<br></p>", "one\n\ntwo  \nthree"),
    ("<p><b>Title</b><b><br></b>next</p>", "**Title**  \nnext"),
    ("<p>a<em> </em>b <strong>c </strong>d</p>", "a b **c** d"),
    ("<h2></h2><h3> </h3><p>text</p>", "text"),
    ("<h2>Title <img src='/i.png' alt='logo'><br>more</h2>", "## Title logo more"),
    ("<table><tr><td></td><td> </td></tr></table>", ""),
    ('<table><tr><th colspan="2">wide</th></tr><tr><td>a</td><td>b</td></tr></table>',
     "| wide | |\n| --- | --- |\n| a | b |"),
    ("<table><tr><td>a<br>b</td><td><p>c</p><p>d</p></td></tr></table>",
     "|  |  |\n| --- | --- |\n| a b | c d |"),
    ('<a href="/x"><p>block</p><p>link</p></a>', "block\n\nlink"),
    ("<blockquote><pre>a\nb</pre></blockquote>", "> `a`  \n> `b`"),
    ("<p>x<code>a\u202eb</code></p>", "x`ab`"),  # no bidi override inside code either
]  # fmt: skip


@pytest.mark.parametrize(("source", "expected"), STRUCTURES)
def test_html_to_markdown_structures(source: str, expected: str) -> None:
    md = html_to_markdown(source, base_url=BASE)
    assert md == expected
    assert_safe_markdown(md)


@pytest.mark.parametrize(
    "source",
    [
        "<blockquote>" * 3000 + "x",
        "<b>" * 3000 + "x",
        "<ul><li>" * 1500 + "x",
        "<ol><li><blockquote>" * 1000 + "x",
        "<table><tr><td>" * 1000 + "x",
    ],
    ids=["quotes", "bold", "lists", "mixed", "tables"],
)
def test_deep_nesting_is_cut_not_a_recursion_error(source: str) -> None:
    md = html_to_markdown(source, base_url=BASE)
    assert md.endswith("x") or md.rstrip("*").endswith("x") or md.endswith("x |")
    assert_safe_markdown(md)  # Python-Markdown recurses per level too
    assert md.count(">") <= 32 and md.count("- ") <= 32


# Hostile text and attributes for generated bodies: Markdown, extension and template syntax.
_HOSTILE_TEXT = [
    "plain words", " ", "\n", "- item", "1. one", "# h", "> q", "---", "...", "=", "***",
    "```", "~~~", "    indented", "!!! note", "??? x", "--8<-- \"evil.md\"", "{{ x }}", "{% y %}",
    "{#", "{: onclick=alert(1) }", "[x](javascript:alert(1))", "<script>alert(1)</script>",
    "&lt;b&gt;", "&amp;", "|", "*", "_", "`", "\\", "[^1]: f", "[x]: javascript:alert(1)",
    "\u2028", "\u202e", "\x00", "<https://x.example>", "&#106;avascript:",
]  # fmt: skip
_HOSTILE_URLS = ["/ok", "https://x.example/a b", "javascript:alert(1)", "data:text/html,x",
                 "&#106;avascript:alert(1)", "x)](javascript:alert(1))", "mailto:a@b.example"]  # fmt: skip
_CONTAINERS = ["p", "em", "strong", "b", "i", "ul", "ol", "li", "blockquote", "code", "pre",
               "h1", "h2", "h4", "table", "thead", "tbody", "tr", "th", "td", "caption",
               "figure", "figcaption", "div", "span", "svg", "a"]  # fmt: skip


def _html_strategy() -> st.SearchStrategy[str]:
    leaf = st.one_of(
        st.sampled_from(_HOSTILE_TEXT).map(html.escape),
        st.sampled_from(["<br>", "<hr>"]),
        st.builds(
            lambda src, alt: f'<img src="{html.escape(src)}" alt="{html.escape(alt)}">',
            st.sampled_from(_HOSTILE_URLS),
            st.sampled_from(_HOSTILE_TEXT),
        ),
        st.sampled_from(_HOSTILE_TEXT),  # unescaped: nh3 sees raw markup too
    )

    def wrap(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.builds(
            lambda tag, href, inner: (
                f'<{tag} href="{html.escape(href)}" start="3" colspan="2">{"".join(inner)}</{tag}>'
            ),
            st.sampled_from(_CONTAINERS),
            st.sampled_from(_HOSTILE_URLS),
            st.lists(children, max_size=4),
        )

    return st.recursive(leaf, wrap, max_leaves=25).map(str)


@given(_html_strategy())
@settings(max_examples=300, deadline=None)
def test_generated_hostile_bodies_render_safely(source: str) -> None:
    assert_safe_markdown(html_to_markdown(source, base_url=BASE))
    assert_safe_markdown(html_to_markdown(source, base_url=None, rel_attrs=False))
