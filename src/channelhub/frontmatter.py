"""YAML front matter: reading it with line numbers, writing it safely and atomically.

Dates stay strings in YAML (the timestamp resolver is removed both ways) so that a bad
date becomes a clear message from the content model instead of a ValueError inside PyYAML.
Writing uses PyYAML's safe dumper with a fixed key order; strings that could break out of
the front matter block (line breaks, document markers) are written double-quoted on one line.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from channelhub.files import write_atomic
from channelhub.problems import Problem

#: a piece's keys in the order they are written (also the keys a piece may have, see content.py)
PIECE_ORDER = (
    "title",
    "date",
    "updated",
    "expires",
    "draft",
    "featured",
    "topics",
    "auto_topics",
    "summary",
    "editor",
    "source",
    "canonical",
    "aliases",
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
#: with lines: libyaml's parser (its nodes carry their lines too), and PyYAML's own for a text
#: libyaml rejects, so that a mistake is explained in the same words with either installed
LineLoader = _without_timestamps(yaml.SafeLoader)
FastLineLoader = _without_timestamps(_BaseLoader)


class FrontMatterError(Exception):
    """A file whose front matter cannot be read; carries the 1-based line of the problem."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message

    def problem(self, note: str = "") -> Problem:
        """The error as a `Problem` at its file and line, with an optional note after it."""
        return Problem(self.path, self.line, f"{self.message}{note}")


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


_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MARKED = "tag:channelhub,2026:timestamp"


class Timestamp(str):
    """A plain scalar that YAML's timestamp resolver takes for a date (the hub reads it as text)."""


def _construct_timestamp(loader: Any, node: yaml.ScalarNode) -> Timestamp:
    loader.dated = True  # see `_load`: no walk over data without a date in it
    return Timestamp(loader.construct_scalar(node))


def _marking_timestamps(loader: type[yaml.SafeLoader]) -> type[yaml.SafeLoader]:
    """A copy of `loader` whose plain scalars YAML would make dates are `Timestamp` texts."""
    resolvers = {
        first: [(_MARKED if tag == _TIMESTAMP else tag, rx) for tag, rx in entries]
        for first, entries in loader.yaml_implicit_resolvers.items()
    }
    marking: type[yaml.SafeLoader] = type(
        loader.__name__ + "Marked",
        (loader,),
        {"yaml_implicit_resolvers": resolvers, "dated": False},
    )
    marking.add_constructor(_MARKED, _construct_timestamp)
    return marking


#: the engine's own loader (MkDocs and ProperDocs: libyaml's safe loader, dates resolved), with
#: the dates it would make kept as text (`engine_meta` makes them what the engine would)
MarkedLoader = _marking_timestamps(_BaseLoader)
_DATES = yaml.constructor.SafeConstructor()


def _rebuilt(value: Any, scalar: Callable[[Any], Any], memo: dict[int, Any]) -> Any:
    """`value` with its dicts and lists copied and each other value `scalar(value)`. A node
    YAML reached through aliases is copied once, as `copy.deepcopy` does (its memo, by id): a
    shared node stays one (not 10**n copies of it), a recursive one stays a cycle. By hand
    because deepcopy cannot change a value's type on the way."""
    kind = type(value)
    if kind is not dict and kind is not list:
        return scalar(value)
    if id(value) in memo:
        return memo[id(value)]
    if kind is dict:
        mapping: dict[Any, Any] = {}
        memo[id(value)] = mapping
        for key, item in value.items():
            mapping[scalar(key)] = _rebuilt(item, scalar, memo)
        return mapping
    items: list[Any] = []
    memo[id(value)] = items
    for item in value:
        items.append(_rebuilt(item, scalar, memo))
    return items


def _text(value: Any) -> Any:
    return str(value) if type(value) is Timestamp else value


def _as_text(value: Any) -> Any:
    """Data read with `MarkedLoader` as the hub reads it: each `Timestamp` a plain str
    (RecursionError for data nested about as deep as libyaml allows)."""
    return _rebuilt(value, _text, {})


class _NotPlain(Exception):
    """Data beyond mappings, lists and scalars (a set, ordered pairs): left to the engine."""


def _date(value: Any) -> Any:
    if type(value) is Timestamp:
        return _DATES.construct_yaml_timestamp(yaml.ScalarNode(_TIMESTAMP, str(value)))
    if isinstance(value, tuple | set | frozenset | dict | list):
        raise _NotPlain
    return value


def engine_meta(data: Any) -> dict[str, Any] | None:
    """What the engine's own reading of a front matter gives (MkDocs' and ProperDocs'
    `get_data`: libyaml's safe loader, dates resolved), from `data`, its reading with
    `MarkedLoader` (`Document.engine`), as new objects each time: the engine may change them
    and a preview hands the same piece to the next build. None where the engine would give no
    mapping (it then keeps the front matter in the text), where the data is more than
    mappings, lists and scalars, or nested too deeply to copy: the engine reads those itself."""
    if type(data) is not dict:
        return None
    try:
        return _rebuilt(data, _date, {})  # type: ignore[no-any-return]
    except (ValueError, OverflowError, _NotPlain, RecursionError):
        return None


for _loader in (LineLoader, FastLineLoader):
    _loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
    _loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


def load_yaml(
    text: str,
    *,
    path: str,
    first_line: int = 1,
    with_lines: bool = True,
    what: str = "YAML files",
) -> Any:
    """Parse YAML text; `first_line` is the file line the text starts on (for messages), and
    `what` names the text in them ("front matter", "YAML files")."""
    return _load_yaml(text, path, first_line, with_lines, what, marked=False)[0]


def _load_yaml(
    text: str, path: str, first_line: int, with_lines: bool, what: str, marked: bool
) -> tuple[Any, bool]:
    """`load_yaml`, and whether it made a `Timestamp` (only `marked` does)."""
    fast = FastLineLoader if with_lines else MarkedLoader if marked else FastLoader
    try:
        try:
            data, dated = _load(text, fast)
        except yaml.YAMLError as exc:
            if not with_lines:
                raise _explained(exc, text, path, first_line, what) from None
            try:  # PyYAML's own parser: the words it always gave for a mistake in a data file
                data, dated = _load(text, LineLoader)
            except yaml.YAMLError as again:
                raise _explained(again, text, path, first_line, what) from None
    except RecursionError:  # the loaders with lines construct nested nodes recursively
        raise FrontMatterError(path, first_line, f"{what} nested too deeply") from None
    if with_lines and isinstance(data, LineMap | LineList):
        _shift_lines(data, first_line - 1)
    return data, dated


def _load(text: str, loader: type[yaml.SafeLoader]) -> tuple[Any, bool]:
    """`yaml.load(text, Loader=loader)`, and whether the loader made a `Timestamp`."""
    reading = loader(text)
    try:
        return reading.get_single_data(), getattr(reading, "dated", False)
    finally:
        reading.dispose()  # type: ignore[no-untyped-call]


def _explained(
    exc: yaml.YAMLError, text: str, path: str, first_line: int, what: str
) -> FrontMatterError:
    """A parser's error as a FrontMatterError at the line of the mistake, explained."""
    if not isinstance(exc, yaml.MarkedYAMLError):
        return FrontMatterError(path, first_line, f"invalid YAML: {exc}")
    explained = explain_yaml_error(text, exc, what=what)
    if explained is not None:
        line, message = explained
        return FrontMatterError(path, first_line + line, message)
    # The context mark is where the broken construct starts (an unclosed quote or
    # bracket), which is where an editor should look; the problem mark is often EOF.
    mark = exc.context_mark or exc.problem_mark
    line = first_line + (mark.line if mark else 0)
    problem = exc.problem or "invalid YAML"
    if exc.context:
        problem += f" {exc.context}"
    return FrontMatterError(path, line, f"invalid YAML: {problem}")


# `key: value` on one line, alone or as the first key of a list item (`- key: value`).
_KEY_VALUE = re.compile(
    r"^(?P<lead>[ ]*(?:-[ ]+)*)(?P<key>[A-Za-z0-9_][^:#]*?)[ ]*:[ ]+(?P<value>\S.*?)[ ]*$"
)


def explain_yaml_error(
    text: str, exc: yaml.MarkedYAMLError, *, what: str = "YAML files"
) -> tuple[int, str] | None:
    """The commonest slips in hand-written YAML, in an editor's words: (0-based line, message).

    A tab in the indentation, an unquoted value with ': ' in it (`title: Budgets: who pays?`),
    a value starting with a character YAML reserves, text after a closing quote. None for
    anything else, which keeps the parser's own words. Judged from the text at the parser's
    mark, so PyYAML and libyaml (whose messages differ) explain a slip the same way.
    """
    mark = exc.problem_mark
    lines = text.split("\n")
    if mark is None or mark.line >= len(lines):
        return None
    line = lines[mark.line]
    char = line[mark.column : mark.column + 1]
    indent = line[: len(line) - len(line.lstrip(" \t"))]
    problem = exc.problem or ""
    if "recursive" in problem:  # PyYAML's words: "found unconstructable recursive node"
        return (
            mark.line,
            f"an alias here refers to a list or mapping it is part of: {what} cannot contain itself",
        )
    if char == "\t" or "\t" in indent or re.search(r"\btab\b", problem):
        return mark.line, f"tabs are not allowed in {what}; indent with spaces"
    found = _KEY_VALUE.match(line)
    if problem.startswith("mapping values are not allowed"):
        why = "has ': ' in it, which YAML reads as the start of another key"
        # the mark on the key's own colon: a value running on from the line above
        if found is None or mark.column <= line.index(":", found.end("key")):
            return mark.line, f"a value here {why}: put the whole value in quotes"
        if ": " not in found.group("value"):
            why = "ends with ':', which YAML reads as the start of another key"
        return mark.line, _quote_hint(found, why)
    if found is None:
        return None
    value = found.group("value")
    if "cannot start any token" in problem and value[:1] == char and char in "@`%":
        return mark.line, _quote_hint(found, f"starts with '{char}', which YAML reserves")
    quote = value[:1]
    if quote in ("'", '"') and 0 < value.find(quote, 1) < len(value) - 1:
        return mark.line, _quote_hint(found, "goes on after its closing quote")
    return None


def _quote_hint(found: re.Match[str], why: str) -> str:
    """'the value of KEY WHY: put it in quotes: KEY: 'VALUE'' (YAML's single-quote escaping)."""
    key, value = found.group("key"), found.group("value")
    quoted = "'" + value.replace("'", "''") + "'"
    return f"the value of '{key}' {why}: put the value in quotes: {key}: {quoted}"


def _shift_lines(data: Any, offset: int) -> None:
    """Add `offset` to every line in `data`, once to each node: a node YAML shares through
    aliases is one object (shifted twice it would point below its text, walked once per
    alias a few lines could take minutes), and a deep one needs no recursion."""
    if not offset:
        return
    todo, seen = [data], set()
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, LineMap):
            node.line += offset
            node.key_lines = {k: v + offset for k, v in node.key_lines.items()}
            todo.extend(v for v in node.values() if isinstance(v, LineMap | LineList))
        elif isinstance(node, LineList):
            node.line += offset
            node.item_lines = [n + offset for n in node.item_lines]
            todo.extend(v for v in node if isinstance(v, LineMap | LineList))


def read_text(path: Path, name: str) -> str:
    """A UTF-8 file's text; an unreadable file is a FrontMatterError at line 1."""
    try:
        return decode(path.read_bytes(), name)
    except OSError as exc:
        raise FrontMatterError(name, 1, f"cannot read: {exc.strerror}") from None


def decode(data: bytes, name: str) -> str:
    """A file's bytes as text, as `open(..., encoding="utf-8")` reads it (universal newlines)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise FrontMatterError(name, 1, "not UTF-8 text") from None
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


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
    #: the front matter's text and its reading with `MarkedLoader`, from which `engine_meta`
    #: makes what the engine would, when asked for
    engine: tuple[str, Any] | None = None

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


def parse(text: str, *, path: str, with_lines: bool = True, engine: bool = False) -> Document:
    """Split and parse a Markdown document; raise FrontMatterError on bad front matter. With
    `engine` (and without lines), also what the engine makes of the front matter
    (`Document.engine`), so that it need not read it again."""
    if text.startswith("\ufeff"):
        text = text[1:]
    yaml_text, body, body_line = split(text)
    if yaml_text is None:
        if text.startswith("---"):
            raise FrontMatterError(path, 1, "front matter is not closed by a '---' line")
        return Document(meta={}, body=body, has_front_matter=False)
    marked = engine and not with_lines
    data, dated = _load_yaml(yaml_text, path, 2, with_lines, "front matter", marked)
    found = None
    if marked and type(data) is dict:
        found = (yaml_text, data)
        if dated:
            try:
                data = _as_text(data)
            except RecursionError:  # as deep as libyaml goes: read as without `engine`
                found, data = None, _load_yaml(yaml_text, path, 2, False, "front matter", False)[0]
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FrontMatterError(
            path, 2, f"front matter must be a mapping of keys, got {_kind(data)}"
        )
    lines = dict(data.key_lines) if isinstance(data, LineMap) else {}
    return Document(meta=data, body=body, lines=lines, body_line=body_line, engine=found)


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
    """Safe dumper: short lists of scalars in flow style, risky strings quoted, and a list or
    mapping reached twice written once with an anchor (as YAML shares it: written out at each
    alias, ten lines of aliases would be 10**9 values; a recursive one could not be written)."""

    def ignore_aliases(self, data: Any) -> bool:
        return not isinstance(data, dict | list)


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


def _fast_dumper() -> type[yaml.SafeDumper] | None:
    """frontmatter's dumper on libyaml's emitter: same representers, resolvers and styles."""
    base = getattr(yaml, "CSafeDumper", None)
    if base is None:
        return None
    # the representers decide quoting; taking the pure dumper's own keeps the two in step
    source = _Dumper
    attributes = {
        "ignore_aliases": source.ignore_aliases,
        "yaml_representers": dict(source.yaml_representers),
        "yaml_implicit_resolvers": source.yaml_implicit_resolvers,  # type: ignore[attr-defined]
    }
    return type("FastFrontMatterDumper", (base,), attributes)


_FAST_DUMPER = _fast_dumper()
# libyaml escapes characters beyond the BMP where PyYAML writes them as they are
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")

# ASCII text that PyYAML writes as a plain scalar in block context, as it is: no indicator
# first, no trailing space or ':', no line break or control; ': ' and ' #' are checked apart.
_PLAIN_VALUE = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9 .,'()/&+?!;%@=~*_:#\-]*[A-Za-z0-9.,'()/&+?!;%@=~*_#\-])?"
)
# A list item that PyYAML writes plain inside a flow sequence ([a, b]): a slug.
_PLAIN_ITEM = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_PLAIN_MAX = 10_000
_RESOLVERS = _Dumper.yaml_implicit_resolvers  # type: ignore[attr-defined]


def _resolves_to_str(value: str) -> bool:
    """Whether PyYAML reads `value` unquoted back as a string (not a bool, number or null)."""
    candidates = _RESOLVERS.get(value[0], []) + _RESOLVERS.get(None, [])
    return not any(regexp.match(value) for _tag, regexp in candidates)


def _plain_line(key: str, value: object) -> str | None:
    """`key: value` as YAML writes it, or None when quoting might be needed."""
    if isinstance(value, str):
        if (
            len(value) < _PLAIN_MAX
            and _PLAIN_VALUE.fullmatch(value)
            and ": " not in value
            and " #" not in value
            and _resolves_to_str(value)
        ):
            return f"{key}: {value}\n"
        return None
    if isinstance(value, list) and all(
        isinstance(v, str) and len(v) < 60 and _PLAIN_ITEM.fullmatch(v) and _resolves_to_str(v)
        for v in value
    ):
        return f"{key}: [{', '.join(value)}]\n"  # type: ignore[arg-type]
    return None


def _plain_front_matter(meta: Mapping[str, Any]) -> str | None:
    """The front matter line by line when every value is plain ASCII text or a list of
    slugs (most pulled entries): a tenth of the cost of even libyaml's emitter."""
    lines = []
    for key, value in ordered(meta).items():
        line = _plain_line(key, value)
        if line is None or not (isinstance(key, str) and key.isidentifier()):
            return None
        lines.append(line)
    return "".join(lines)


def dump_meta(meta: Mapping[str, Any], *, verify: bool = True) -> str:
    """YAML text of a front matter mapping, keys in the fixed order; round-trips exactly.

    The hub's one front-matter writer. Plain ASCII values and lists of slugs (most pieces) are
    written line by line, a tenth of the cost of even libyaml's emitter (YAML emission was a
    third of a pull's CPU per entry); other values go through libyaml, read back to prove it,
    and text beyond the BMP (where libyaml escapes and PyYAML does not) through PyYAML. All
    three give the same bytes (tests/test_ingest.py checks it on hostile strings).

    `verify` reads PyYAML's text back too: anything written to disk keeps it; pages the hub
    renders in memory from its own escaped strings may skip it.
    """
    plain = _plain_front_matter(meta)
    if plain is not None:
        return plain
    keyed = _keyed(meta)
    values = [v for v in keyed.values() if isinstance(v, str)]
    values += [
        i for v in keyed.values() if isinstance(v, list | tuple) for i in v if isinstance(i, str)
    ]
    if _FAST_DUMPER is not None and not _ASTRAL.search("".join(values)):
        text = _dump_with(_FAST_DUMPER, keyed)
        if same_data(load_yaml(text, path="<dump>", with_lines=False), keyed):
            return text  # never trust a fast path over the checked one
    return _dump_pyyaml(meta, verify=verify)


def _dump_with(dumper: type[yaml.SafeDumper], keyed: Mapping[str, Any]) -> str:
    return yaml.dump(
        keyed,
        Dumper=dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1_000_000,
    )


def _dump_pyyaml(meta: Mapping[str, Any], *, verify: bool = True) -> str:
    """`dump_meta` through PyYAML's pure-Python emitter: the reference the fast paths match."""
    keyed = _keyed(meta)
    text = _dump_with(_Dumper, keyed)
    if verify and not same_data(load_yaml(text, path="<dump>", with_lines=False), keyed):
        raise ValueError("front matter would not round-trip")  # a bug in the dumper, not user input
    return text


def _keyed(meta: Mapping[str, Any]) -> dict[str, Any]:
    """`ordered(meta)` with each key's own list of scalars a copy: one list under two keys
    (`topics` and `auto_topics` often are) is written out at each, as `_plain_line` writes it,
    not as an anchor and an alias."""
    keyed = ordered(meta)
    for key, value in keyed.items():
        if isinstance(value, list) and not any(isinstance(v, dict | list) for v in value):
            keyed[key] = list(value)
    return keyed


def same_data(read: Any, written: Any) -> bool:
    """`read == written` for data and its reading from YAML (a tuple reads as a list), in time
    linear in their nodes: a pair of nodes that aliases share is compared once (ten lines of
    aliases are 10**9 comparisons for `==`), and a cycle equals a cycle of the same shape. Not
    recursive, so data nested as deep as libyaml reads costs no RecursionError."""
    todo, seen = [(read, written)], set()
    while todo:
        a, b = todo.pop()
        if isinstance(a, dict):
            if not isinstance(b, dict) or len(a) != len(b):
                return False
            if (id(a), id(b)) not in seen:
                seen.add((id(a), id(b)))
                for key, value in a.items():
                    if key not in b:
                        return False
                    todo.append((value, b[key]))
        elif isinstance(a, list | tuple):
            if not isinstance(b, list | tuple) or len(a) != len(b):
                return False
            if (id(a), id(b)) not in seen:
                seen.add((id(a), id(b)))
                todo.extend(zip(a, b, strict=True))
        elif isinstance(b, dict | list | tuple) or not _same_value(a, b):
            return False
    return True


def _same_value(a: object, b: object) -> bool:
    """`a == b` as a container compares its items: the same object is equal to itself, and
    so is YAML's `.nan`, which no float equals."""
    if a is b or a == b:
        return True
    return isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)


def render(meta: Mapping[str, Any], body: str, *, verify: bool = True) -> str:
    """The full text of a Markdown file with front matter."""
    return f"---\n{dump_meta(meta, verify=verify)}---\n{body}"


def write(path: Path, meta: Mapping[str, Any], body: str) -> bool:
    """Write a Markdown file atomically; return False if the file already had this content."""
    return write_atomic(path, render(meta, body))
