"""YAML front matter: reading it with line numbers, writing it safely and atomically.

Dates stay strings in YAML (the timestamp resolver is removed both ways) so that a bad
date becomes a clear message from the content model instead of a ValueError inside PyYAML.
Writing uses PyYAML's safe dumper with a fixed key order; strings that could break out of
the front matter block (line breaks, document markers) are written double-quoted on one line.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

#: a piece's keys in the order they are written (also the keys a piece may have, see content.py)
PIECE_ORDER = (
    "title",
    "date",
    "updated",
    "topics",
    "auto_topics",
    "summary",
    "editor",
    "source",
    "canonical",
    "author",
    "analyst",
    "firm",
    "figure",
    "guid",
    "first_seen",
    "date_note",
    "pulled_hash",
)
#: an editor file's keys in the order they are written
EDITOR_ORDER = ("name", "role", "photo", "links")
# The order keys are written in; keys not listed follow in their own order.
KEY_ORDER = PIECE_ORDER + EDITOR_ORDER

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_OPEN = re.compile(r"\A---[ \t]*\r?\n")
_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.MULTILINE)


def _without_timestamps(loader: type[yaml.SafeLoader]) -> type[yaml.SafeLoader]:
    """A copy of `loader` whose plain scalars never become date or datetime objects."""
    resolvers = {
        first: [(tag, rx) for tag, rx in entries if tag != "tag:yaml.org,2002:timestamp"]
        for first, entries in loader.yaml_implicit_resolvers.items()
    }
    return type(loader.__name__ + "NoDates", (loader,), {"yaml_implicit_resolvers": resolvers})


FastLoader = _without_timestamps(_BaseLoader)
LineLoader = _without_timestamps(yaml.SafeLoader)


class FrontMatterError(Exception):
    """A file whose front matter cannot be read; carries the 1-based line of the problem."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


class LineMap(dict[str, Any]):
    """A mapping read from YAML that remembers the line of itself and of each key."""

    line: int = 1
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    """A sequence read from YAML that remembers the line of each item."""

    line: int = 1
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> LineMap:
    mapping = LineMap()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


def _construct_sequence(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> LineList:
    items = LineList(loader.construct_object(child, deep=True) for child in node.value)
    items.line = node.start_mark.line + 1
    items.item_lines = [child.start_mark.line + 1 for child in node.value]
    return items


LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


def load_yaml(text: str, *, path: str, first_line: int = 1, with_lines: bool = True) -> Any:
    """Parse YAML text; `first_line` is the file line the text starts on (for messages)."""
    loader = LineLoader if with_lines else FastLoader
    try:
        data = yaml.load(text, Loader=loader)
    except yaml.MarkedYAMLError as exc:
        # The context mark is where the broken construct starts (an unclosed quote or
        # bracket), which is where an editor should look; the problem mark is often EOF.
        mark = exc.context_mark or exc.problem_mark
        line = first_line + (mark.line if mark else 0)
        problem = exc.problem or "invalid YAML"
        if exc.context:
            problem += f" {exc.context}"
        raise FrontMatterError(path, line, f"invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise FrontMatterError(path, first_line, f"invalid YAML: {exc}") from None
    if with_lines and isinstance(data, LineMap | LineList):
        _shift_lines(data, first_line - 1)
    return data


def _shift_lines(data: Any, offset: int) -> None:
    if not offset:
        return
    if isinstance(data, LineMap):
        data.line += offset
        data.key_lines = {k: v + offset for k, v in data.key_lines.items()}
        for value in data.values():
            _shift_lines(value, offset)
    elif isinstance(data, LineList):
        data.line += offset
        data.item_lines = [n + offset for n in data.item_lines]
        for value in data:
            _shift_lines(value, offset)


def read_text(path: Path, name: str) -> str:
    """A UTF-8 file's text; an unreadable file is a FrontMatterError at line 1."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise FrontMatterError(name, 1, "not UTF-8 text") from None
    except OSError as exc:
        raise FrontMatterError(name, 1, f"cannot read: {exc.strerror}") from None


def load_yaml_file(path: Path, *, display: str | None = None) -> Any:
    """Read and parse a YAML data file with line numbers."""
    name = display or str(path)
    text = read_text(path, name)
    return load_yaml(text, path=name)


@dataclass(frozen=True)
class Document:
    """A Markdown file split into front matter and body."""

    meta: Mapping[str, Any]
    body: str
    #: file line of each front matter key (empty when read without lines)
    lines: Mapping[str, int] = field(default_factory=dict)
    #: file line where the body starts
    body_line: int = 1
    has_front_matter: bool = True

    def line_of(self, key: str) -> int:
        return self.lines.get(key, 1)


def split(text: str) -> tuple[str | None, str, int]:
    """Return (yaml text or None, body, body's first line) the way MkDocs splits a page."""
    opening = _OPEN.match(text)
    if not opening:
        return None, text, 1
    closing = _CLOSE.search(text, opening.end())
    if not closing:
        return None, text, 1
    yaml_text = text[opening.end() : closing.start()]
    body = text[closing.end() :]
    body_line = text.count("\n", 0, closing.end()) + 1
    return yaml_text, body, body_line


def parse(text: str, *, path: str, with_lines: bool = True) -> Document:
    """Split and parse a Markdown document; raise FrontMatterError on bad front matter."""
    if text.startswith("\ufeff"):
        text = text[1:]
    yaml_text, body, body_line = split(text)
    if yaml_text is None:
        if text.startswith("---"):
            raise FrontMatterError(path, 1, "front matter is not closed by a '---' line")
        return Document(meta={}, body=body, has_front_matter=False)
    data = load_yaml(yaml_text, path=path, first_line=2, with_lines=with_lines)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FrontMatterError(
            path, 2, f"front matter must be a mapping of keys, got {_kind(data)}"
        )
    lines = dict(data.key_lines) if isinstance(data, LineMap) else {}
    return Document(meta=data, body=body, lines=lines, body_line=body_line)


def read(path: Path, *, display: str | None = None, with_lines: bool = True) -> Document:
    """Read a Markdown file with front matter."""
    name = display or str(path)
    text = read_text(path, name)
    return parse(text, path=name, with_lines=with_lines)


def _kind(value: Any) -> str:
    return {
        list: "a list",
        str: "text",
        int: "a number",
        float: "a number",
        bool: "true/false",
    }.get(type(value) if not isinstance(value, list) else list, type(value).__name__)


class _Dumper(yaml.SafeDumper):
    """Safe dumper: no aliases, short lists of scalars in flow style, risky strings quoted."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


_Dumper.yaml_implicit_resolvers = _without_timestamps(yaml.SafeLoader).yaml_implicit_resolvers  # type: ignore[attr-defined]

# Characters YAML or Python treat as line breaks, and C0/C1 controls: never written raw.
_RISKY = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if _RISKY.search(value) or value.lstrip().startswith(("---", "...")) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.SequenceNode:
    flow = all(isinstance(v, str) and len(v) < 60 and not _RISKY.search(v) for v in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(LineList, _represent_list)
_Dumper.add_representer(tuple, lambda d, v: _represent_list(d, list(v)))
_Dumper.add_representer(LineMap, lambda d, v: d.represent_dict(dict(v)))


def ordered(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The mapping in the hub's fixed key order."""
    known = [k for k in KEY_ORDER if k in meta]
    rest = [k for k in meta if k not in KEY_ORDER]
    return {k: meta[k] for k in known + rest}


def dump_meta(meta: Mapping[str, Any], *, verify: bool = True) -> str:
    """YAML text of a front matter mapping, keys in the fixed order; round-trips exactly.

    `verify` reads the text back to prove it: anything written to disk keeps it; pages the
    hub renders in memory from its own escaped strings may skip it.
    """
    text = yaml.dump(
        ordered(meta),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1_000_000,
    )
    if verify and load_yaml(text, path="<dump>", with_lines=False) != _plain(ordered(meta)):
        raise ValueError("front matter would not round-trip")  # a bug in the dumper, not user input
    return text


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def render(meta: Mapping[str, Any], body: str, *, verify: bool = True) -> str:
    """The full text of a Markdown file with front matter."""
    return f"---\n{dump_meta(meta, verify=verify)}---\n{body}"


def atomic_write_text(path: Path, text: str, *, durable: bool = True) -> bool:
    """Write text through a temporary file and a rename; return False if nothing changed.

    `durable=False` skips fsync, for tools that rewrite thousands of files and can simply be
    run again after a crash (a reader still sees the old file or the new one, never half)."""
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def write(path: Path, meta: Mapping[str, Any], body: str) -> bool:
    """Write a Markdown file atomically; return False if the file already had this content."""
    return atomic_write_text(path, render(meta, body))
