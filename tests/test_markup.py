"""markup.rel: segment arithmetic that must give exactly what posixpath.relpath gives."""

from __future__ import annotations

import itertools
import posixpath
import random

import pytest

from channelhub import markup

SEGMENTS = ("articles", "2026", "topics", "page", "2", "index.md", "x.md", "a", "sources")


def _paths(rng: random.Random, count: int) -> list[str]:
    return ["/".join(rng.choice(SEGMENTS) for _ in range(rng.randint(1, 6))) for _ in range(count)]


def _expected(from_src: str, to_src: str) -> str:
    return posixpath.relpath(to_src, posixpath.dirname(from_src) or ".")


def test_rel_matches_relpath_on_many_generated_pairs() -> None:
    rng = random.Random(8)
    paths = [*_paths(rng, 100), "index.md", "topics/index.md", "editors/ann-lee.md"]
    pairs = list(itertools.product(paths, repeat=2))
    assert len(pairs) > 10_000
    mismatches = [(a, b) for a, b in pairs if markup.rel(a, b) != _expected(a, b)]
    assert mismatches == []


@pytest.mark.parametrize(
    ("from_src", "to_src", "expected"),
    [
        ("topics/x/page/2/index.md", "articles/2026/a.md", "../../../../articles/2026/a.md"),
        ("index.md", "topics/index.md", "topics/index.md"),
        ("articles/2026/a.md", "articles/2026/b.md", "b.md"),
        ("articles/2026/a.md", "articles/2026", "."),
        ("articles/2026/a.md", "articles", ".."),
        ("editors/ann-lee.md", "editors/ann-lee.md", "ann-lee.md"),
    ],
)
def test_rel_known_links(from_src: str, to_src: str, expected: str) -> None:
    assert markup.rel(from_src, to_src) == expected == _expected(from_src, to_src)


@pytest.mark.parametrize(
    ("from_src", "to_src"),
    [
        ("a/./b/x.md", "a/c.md"),
        ("a/b/x.md", "a/../c.md"),
        ("a//b/x.md", "a/c.md"),
        ("a/b/x.md", "a/c/"),
        ("a/b/x.md", "./c.md"),
        ("../x.md", "y.md"),
        ("a/x.md", "../../y.md"),
    ],
)
def test_rel_unusual_paths_still_agree_with_relpath(from_src: str, to_src: str) -> None:
    assert markup.rel(from_src, to_src) == _expected(from_src, to_src)


def test_rel_of_an_empty_target_fails_like_relpath() -> None:
    with pytest.raises(ValueError):
        markup.rel("a/x.md", "")


URL_SEGMENTS = ("articles", "2026", "topics", "page", "2", "x", "a.html", "feed.xml", ".", "..")


def test_relative_url_matches_mkdocs_on_many_generated_pairs() -> None:
    """The hub's HTML links are computed as MkDocs computes a Markdown link's href."""
    from mkdocs.utils import get_relative_url

    rng = random.Random(8)
    urls = ["./", "", "index.html", "topics/", "topics/x/page/2/", "a/b.html", "/topics/x/"]
    for _ in range(120):
        parts = [rng.choice(URL_SEGMENTS) for _ in range(rng.randint(1, 5))]
        urls.append("/".join(parts) + rng.choice(["", "/"]))
    pairs = list(itertools.product(urls, repeat=2))
    assert len(pairs) > 15_000
    mismatches = [(u, o) for u, o in pairs if markup.relative_url(u, o) != get_relative_url(u, o)]
    assert mismatches == []


def test_relative_url_keeps_one_entry_a_url_however_it_is_asked() -> None:
    """A page's folder and the same URL as a link target share one cached entry, and that cache
    is not bounded below the build's URLs (past 30,000 pieces a bounded one missed 5.5x as often)."""
    markup._target.cache_clear()
    markup._dir_parts.cache_clear()
    assert markup.relative_url("topics/x/", "articles/2026/a/") == "../../../topics/x/"
    assert markup.relative_url("articles/2026/a/", "topics/x/") == "../../articles/2026/a/"
    assert markup._target.cache_info().currsize == 2
    assert markup._target.cache_info().maxsize is None
    assert markup.relative_url("a/b.html", "a/c.html") == "b.html"  # a file's folder: "a"
    assert markup._target.cache_info().currsize == 4


def test_links_write_escaped_anchors() -> None:
    links = markup.Links({"index.md": "./", "articles/2026/a b.md": "articles/2026/a%20b/"})
    anchor = links.a('<b>"Hi"</b>', "index.md", "articles/2026/a b.md", classes="hub-chip")
    assert anchor == (
        '<a class="hub-chip" href="articles/2026/a%20b/">&lt;b&gt;&quot;Hi&quot;&lt;/b&gt;</a>'
    )
    assert links.missing == []
