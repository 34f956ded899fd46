"""Adding items to the top-level list of an editors' YAML data file as text, so that their
comments and layout survive (PyYAML would drop every comment on a load and dump).

Used for `channelhub sources import` (feeds/sources.yml) and for takedowns
(feeds/takedowns.yml). The new text is parsed again before anyone writes it: an append that
would not add exactly these items to the list raises ValueError instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from channelhub import frontmatter
from channelhub.frontmatter import FrontMatterError


def items_yaml(items: Sequence[Mapping[str, Any]]) -> str:
    """YAML text for new items of a top-level list, indented like the hub's files (2 and 4)."""
    blocks = []
    for item in items:
        text = yaml.safe_dump(dict(item), sort_keys=False, allow_unicode=True, width=1_000_000)
        lines = text.splitlines()
        block = ["  - " + lines[0], *("    " + line for line in lines[1:])]
        blocks.append("\n".join(["", *block]) + "\n")
    return "".join(blocks)


def _count(text: str, key: str, path: str) -> tuple[int | None, Any]:
    data = frontmatter.load_yaml(text, path=path, with_lines=False)
    if data is None:
        return 0, data
    if not isinstance(data, dict):
        return None, data
    items = data.get(key)
    if items is None:
        return 0, data
    return (len(items) if isinstance(items, list) else None), data


def appended_text(current: str, key: str, items: Sequence[Mapping[str, Any]], *, path: str) -> str:
    """The file's text with `items` appended to its `key:` list; ValueError if that would not
    add them to the list (for example when another top-level key follows it)."""
    base = current if current.strip() else f"{key}:\n"
    if not base.endswith("\n"):
        base += "\n"
    candidate = base + items_yaml(items)
    cannot = f"{path}: cannot append: the '{key}:' list must be the last thing in the file"
    try:
        before, before_data = _count(base, key, path)
    except FrontMatterError as exc:
        raise ValueError(str(exc)) from None
    try:
        after, after_data = _count(candidate, key, path)
    except FrontMatterError:
        raise ValueError(cannot) from None
    if before is None or after != before + len(items):
        raise ValueError(cannot)
    others_before = {k: v for k, v in (before_data or {}).items() if k != key}
    others_after = {k: v for k, v in (after_data or {}).items() if k != key}
    if others_before != others_after:
        raise ValueError(f"{path}: cannot append without changing other keys")
    return candidate
