"""Writing front matter that YAML aliases share: linear, faithful, and read back the same."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from channelhub import frontmatter
from channelhub.retag import rewrite_keys


def _bomb(levels: int) -> str:
    """`levels` lines, each a list of ten aliases of the line above: 10**levels values when
    copied out (YAML's 'billion laughs'), a title that needs quotes so that no line-by-line
    path applies, and a body."""
    lines = ["a0: &a0 [2026-01-02, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels + 1)]
    return "---\ntitle: 'Budgets: who pays?'\ndate: 2026-03-05\n" + "\n".join(lines) + "\n---\nBody.\n"


def test_an_alias_bomb_is_rewritten_in_linear_time(tmp_path: Path) -> None:
    """Ten lines of aliases (10**10 values copied out): the dump, its read-back check and a
    rewrite of the file keep each shared node one (an anchor), in milliseconds, not forever."""
    text = _bomb(10)
    started = time.process_time()
    doc = frontmatter.parse(text, path="x.md", with_lines=False)
    written = frontmatter.render(doc.meta, doc.body)  # verify=True: read back and compared
    again = frontmatter.parse(written, path="x.md", with_lines=True)
    assert frontmatter.same_data(again.meta, doc.meta) and again.body == doc.body
    path = tmp_path / "x.md"
    path.write_text(text, encoding="utf-8")
    assert rewrite_keys(path, {"topics": ["mobile"]})  # the line edit, checked by reading back
    assert rewrite_keys(path, {"topics": ["cloud"], "a3": ["y"]})  # drops &a3: a whole rewrite
    assert time.process_time() - started < 5.0  # ~10 ms; copied out, 10**10 values
    assert len(written) < 5_000
    top = again.meta["a10"]
    assert all(item is top[0] for item in top) and top[0] is again.meta["a9"]
    rewritten = frontmatter.parse(path.read_text(encoding="utf-8"), path="x.md", with_lines=False)
    assert rewritten.meta["topics"] == ["cloud"] and rewritten.meta["a3"] == ["y"]
    assert frontmatter.same_data(rewritten.meta["a10"], doc.meta["a10"])


def test_whole_rewrite_of_an_alias_bomb_keeps_it_shared(tmp_path: Path) -> None:
    """The rewrite of the whole front matter (retag's way for a layout the line edit cannot
    handle) writes each shared node once too."""
    path = tmp_path / "x.md"
    started = time.process_time()
    doc = frontmatter.parse(_bomb(10), path="x.md", with_lines=False)
    assert frontmatter.write(path, {**doc.meta, "topics": ["cloud"]}, doc.body)
    assert time.process_time() - started < 5.0
    back = frontmatter.read(path, with_lines=False)
    assert back.meta["topics"] == ["cloud"] and frontmatter.same_data(back.meta["a10"], doc.meta["a10"])


def test_a_rewrite_that_drops_an_anchor_rewrites_the_whole_front_matter(tmp_path: Path) -> None:
    """`topics: &t [a]` and `auto_topics: *t`: the line edit of `topics` leaves `*t` without
    its anchor; the rewrite is then of the whole front matter, not a FrontMatterError."""
    path = tmp_path / "x.md"
    path.write_text("---\ntitle: A\ntopics: &t [a]\nauto_topics: *t\n---\nBody.\n", encoding="utf-8")
    assert rewrite_keys(path, {"topics": ["b"]})
    assert path.read_text(encoding="utf-8") == "---\ntitle: A\ntopics: [b]\nauto_topics: [a]\n---\nBody.\n"


def test_a_recursive_value_stays_a_cycle() -> None:
    """`tags: &a [*a, x]` (read without lines it is a cycle, as the engine reads it) is
    written with an anchor and read back as the same cycle; with lines it stays a clear problem."""
    doc = frontmatter.parse(
        "---\ntitle: A\ntags: &a [*a, x]\nm: &m {self: *m, n: 1}\n---\n", path="x.md", with_lines=False
    )
    written = frontmatter.render(doc.meta, "")
    assert written == "---\ntitle: A\ntags: &id001\n- *id001\n- x\nm: &id002\n  self: *id002\n  n: 1\n---\n"
    back = frontmatter.parse(written, path="x.md", with_lines=False).meta
    assert back["tags"][0] is back["tags"] and back["m"]["self"] is back["m"]
    with pytest.raises(frontmatter.FrontMatterError, match=r"^x.md:3: an alias here refers to"):
        frontmatter.parse(written, path="x.md", with_lines=True)


def test_one_list_under_two_keys_is_written_out_at_each() -> None:
    """`topics` and `auto_topics` as one list object (retag sets them so): written as two
    lists, never `&id001`/`*id001`, by the line-by-line path and by YAML alike."""
    topics = ["cloud", "mobile"]
    plain = {"title": "A", "topics": topics, "auto_topics": topics}
    quoted = {**plain, "title": "Budgets: who pays?"}  # not plain: through the YAML emitter
    assert frontmatter.dump_meta(plain) == "title: A\ntopics: [cloud, mobile]\nauto_topics: [cloud, mobile]\n"
    assert frontmatter.dump_meta(quoted) == frontmatter._dump_pyyaml(quoted)
    assert frontmatter.dump_meta(quoted).endswith("topics: [cloud, mobile]\nauto_topics: [cloud, mobile]\n")
    read = frontmatter.parse("---\ntitle: 'A: b'\ntopics: &t [a]\nauto_topics: *t\n---\n", path="x.md")
    assert frontmatter.dump_meta(read.meta) == "title: 'A: b'\ntopics: [a]\nauto_topics: [a]\n"
    nested = [["a"], ["b"]]
    shared = {"title": "A: b", "x": nested, "y": nested}  # anything deeper keeps its anchor
    assert frontmatter.dump_meta(shared) == frontmatter._dump_pyyaml(shared)
    assert "&id001" in frontmatter.dump_meta(shared)


def test_keys_that_are_not_text_round_trip() -> None:
    """Read without lines, `1: x` and `{2: ...}` keep number keys; writing them back is no
    ValueError ('would not round-trip') nor AttributeError, on either path."""
    doc = frontmatter.parse("---\n1: x\ny: {2: 'a: b'}\n---\n", path="x.md", with_lines=False)
    assert doc.meta == {1: "x", "y": {2: "a: b"}}
    assert frontmatter.dump_meta(doc.meta) == frontmatter._dump_pyyaml(doc.meta) == "1: x\ny:\n  2: 'a: b'\n"
    assert frontmatter.dump_meta({1: "x"}) == "1: x\n"  # type: ignore[dict-item]


@pytest.mark.parametrize(
    ("read", "written", "same"),
    [
        ({"a": [1, "x"]}, {"a": (1, "x")}, True),  # a tuple is written as a list
        ({"a": [1, "x"]}, {"a": [1, "y"]}, False),
        ({"a": [1]}, {"a": [1, 2]}, False),
        ({"a": {"b": 1}}, {"a": {"c": 1}}, False),
        ({"a": {"b": 1}}, {"a": [("b", 1)]}, False),
        ({"a": [1]}, {"a": 1}, False),
        ({"a": 1}, {"a": [1]}, False),
        ({"a": "1"}, {"a": 1}, False),
        ({"a": float("nan")}, {"a": float("nan")}, True),  # `.nan`, as `==` on a container
        ({"a": float("nan")}, {"a": 1.0}, False),
    ],
)
def test_same_data_is_equality(read: object, written: object, same: bool) -> None:
    assert frontmatter.same_data(read, written) is same


def test_same_data_on_cycles_and_shared_nodes() -> None:
    loop: list[object] = []
    loop.append(loop)
    other: list[object] = []
    other.append(other)
    assert frontmatter.same_data(loop, other)
    assert not frontmatter.same_data(loop, [[]])
    deep: list[object] = ["x"]
    for _ in range(10_000):  # deeper than any recursion limit
        deep = [deep]
    copy: list[object] = ["x"]
    for _ in range(10_000):
        copy = [copy]
    assert frontmatter.same_data(deep, copy)
