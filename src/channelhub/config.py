"""The hub's data files (feeds/topics.yml, feeds/sources.yml, docs/editors/*.md) as frozen dataclasses.

Loading never raises for a user's mistake: every problem comes back as a `Problem` with the
file, line and key, and whatever was valid is still loaded so one bad entry hides nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from channelhub import frontmatter
from channelhub.frontmatter import FrontMatterError, LineList, LineMap
from channelhub.problems import Problem, did_you_mean, errors
from channelhub.problems import describe as _kind
from channelhub.urls import is_web_url

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TOPICS_FILE = "feeds/topics.yml"
SOURCES_FILE = "feeds/sources.yml"
EDITORS_DIR = "docs/editors"

SourceKind = Literal["partner", "analyst"]
Policy = Literal["excerpt", "full"]
Images = Literal["keep", "drop"]

TOPIC_KEYS = frozenset({"slug", "title", "description", "rules", "replaces"})
SOURCE_KEYS = frozenset(
    {
        "id", "name", "url", "kind", "site", "policy", "canonical", "topics", "enabled",
        "description", "keep", "block", "require_topics", "timeout", "images",
    }
)  # fmt: skip
#: the most seconds a source's `timeout:` may give one fetch
MAX_TIMEOUT = 300.0
EDITOR_KEYS = frozenset({"name", "role", "photo", "links", "email", "location", "title"})


@dataclass(frozen=True)
class Topic:
    """An alignment topic: a page of its own and a label the tagger can give."""

    slug: str
    title: str
    description: str = ""
    rules: Mapping[str, Any] = field(default_factory=dict)
    replaces: tuple[str, ...] = ()
    line: int = 1


@dataclass(frozen=True)
class Source:
    """A partner blog or analyst feed that `pull` reads."""

    id: str
    name: str
    url: str
    kind: SourceKind = "partner"
    site: str | None = None
    policy: Policy = "excerpt"
    #: where the piece page's rel="canonical" points: the original post, or the hub page
    canonical: Literal["original", "hub"] = "hub"
    topics: tuple[str, ...] = ()
    enabled: bool = True
    description: str = ""
    #: words and phrases: an entry is kept only if one of `keep` is in it, dropped if any of
    #: `block` is (block wins); whole words, case-insensitive, in title, summary and categories
    keep: tuple[str, ...] = ()
    block: tuple[str, ...] = ()
    require_topics: bool = False  # keep only entries the tagger files on a hub topic
    timeout: float | None = None  # seconds for the whole fetch; None: the pull's default
    images: Images = "keep"  # drop: pulled bodies keep an image's alt text, not the image
    line: int = 1

    @property
    def is_local(self) -> bool:
        """True for a bundled copy read from the repository (the demo), not fetched over HTTP."""
        return not is_web_url(self.url, host=False)


@dataclass(frozen=True)
class Link:
    title: str
    url: str


@dataclass(frozen=True)
class Editor:
    """One of the hub's editors: docs/editors/<id>.md."""

    id: str
    name: str
    role: str
    bio: str = ""
    photo: str | None = None
    links: tuple[Link, ...] = ()
    src_uri: str = ""


@dataclass(frozen=True)
class Hub:
    """Everything the data files say, plus what was wrong with them."""

    root: Path
    topics: tuple[Topic, ...] = ()
    sources: tuple[Source, ...] = ()
    editors: tuple[Editor, ...] = ()
    problems: tuple[Problem, ...] = ()

    def topic(self, slug: str) -> Topic | None:
        return self._topics.get(slug)

    def source(self, source_id: str) -> Source | None:
        return self._sources.get(source_id)

    def editor(self, editor_id: str) -> Editor | None:
        return self._editors.get(editor_id)

    @cached_property
    def renamed(self) -> dict[str, str]:
        """Old topic slug -> the slug of the topic that replaces it."""
        return {old: t.slug for t in self.topics for old in t.replaces}

    @cached_property
    def _topics(self) -> dict[str, Topic]:
        return {t.slug: t for t in self.topics}

    @cached_property
    def _sources(self) -> dict[str, Source]:
        return {s.id: s for s in self.sources}

    @cached_property
    def _editors(self) -> dict[str, Editor]:
        return {e.id: e for e in self.editors}


class _Reader:
    """Collects problems while reading one YAML data file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def problem(
        self, line: int, message: str, severity: Literal["error", "warning"] = "error"
    ) -> None:
        self.problems.append(Problem(self.path, line, message, severity))

    def text(self, item: LineMap, key: str, *, required: bool, what: str) -> str | None:
        value = item.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(item.line, f"{what} has no '{key}'")
            return None
        if isinstance(value, bool | list | dict):
            self.problem(item.line_of(key), f"Expected text for '{key}', got {_kind(value)}")
            return None
        return str(value).strip()

    def unknown_keys(self, item: LineMap, allowed: frozenset[str], what: str) -> None:
        for key in item:
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                self.problem(item.line_of(key), f"unknown key '{key}' in {what} (known: {known})")

    def entries(self, data: Any, top: str) -> list[LineMap]:
        if data is None:
            self.problem(1, f"the file is empty; expected a top-level '{top}:' list")
            return []
        if not isinstance(data, LineMap) or top not in data:
            self.problem(getattr(data, "line", 1), f"expected a top-level '{top}:' list")
            return []
        items = data[top]
        if items is None:
            return []
        if not isinstance(items, LineList):
            self.problem(data.line_of(top), f"Expected a list for '{top}', got {_kind(items)}")
            return []
        found = []
        for index, item in enumerate(items):
            if isinstance(item, LineMap):
                found.append(item)
            else:
                self.problem(
                    items.line_of(index), f"each entry of '{top}' must be a mapping of keys"
                )
        return found


def slug_list(value: Any) -> list[str] | None:
    """A YAML value as a list of slugs, stripped (one slug alone is a list of one); None when
    it is neither text nor a list of text. The one reader of `topics:`-like lists."""
    if isinstance(value, str):
        return [value.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value]
    return None


def _slugs(reader: _Reader, item: LineMap, key: str) -> tuple[str, ...]:
    value = item.get(key)
    if value is None:
        return ()
    slugs = slug_list(value)
    if slugs is None:
        reader.problem(
            item.line_of(key), f"Expected a list of strings for '{key}', got {_kind(value)}"
        )
        return ()
    return tuple(slugs)


def load_topics(root: Path) -> tuple[tuple[Topic, ...], list[Problem]]:
    reader = _Reader(TOPICS_FILE)
    try:
        data = frontmatter.load_yaml_file(root / TOPICS_FILE, display=TOPICS_FILE)
    except FrontMatterError as exc:
        return (), [exc.problem()]
    topics: list[Topic] = []
    seen: dict[str, int] = {}
    for item in reader.entries(data, "topics"):
        reader.unknown_keys(item, TOPIC_KEYS, "a topic")
        slug = reader.text(item, "slug", required=True, what="a topic")
        title = reader.text(item, "title", required=True, what=f"topic '{slug or '?'}'")
        if slug is None:
            continue
        if not SLUG.match(slug):
            reader.problem(
                item.line_of("slug"), f"topic slug '{slug}' must be lowercase words joined by '-'"
            )
            continue
        if slug in seen:
            reader.problem(
                item.line_of("slug"),
                f"topic '{slug}' is defined twice (first on line {seen[slug]})",
            )
            continue
        seen[slug] = item.line_of("slug")
        rules = item.get("rules") or {}
        if not isinstance(rules, dict):
            reader.problem(
                item.line_of("rules"), f"Expected a mapping for 'rules', got {_kind(rules)}"
            )
            rules = {}
        topics.append(
            Topic(
                slug=slug,
                title=title or slug,
                description=reader.text(item, "description", required=False, what="") or "",
                rules=rules,
                replaces=_slugs(reader, item, "replaces"),
                line=item.line,
            )
        )
    reader.problems.extend(_check_replaces(topics, seen))
    return tuple(topics), reader.problems


def _check_replaces(topics: list[Topic], lines: dict[str, int]) -> Iterable[Problem]:
    claimed: dict[str, str] = {}
    for topic in topics:
        for old in topic.replaces:
            if old in lines:
                yield Problem(
                    TOPICS_FILE,
                    topic.line,
                    f"topic '{topic.slug}' replaces '{old}', which is still a topic",
                )
            elif old in claimed:
                yield Problem(
                    TOPICS_FILE,
                    topic.line,
                    f"'{old}' is replaced by both '{claimed[old]}' and '{topic.slug}'",
                )
            claimed[old] = topic.slug


def _url_ok(url: str, root: Path) -> str | None:
    """None if the source URL is usable, else why not."""
    if is_web_url(url, host=False):
        return None if is_web_url(url) else "has no host"
    if "://" in url or url.startswith(("/", "~")):
        return "must be an http(s) URL or a path inside the repository"
    path = (root / url).resolve()
    if not path.is_relative_to(root.resolve()):
        return "points outside the repository"
    return None if path.is_file() else "names a file that does not exist"


def _rule_words(reader: _Reader, item: LineMap, key: str, source_id: str) -> tuple[str, ...]:
    """`keep:`/`block:`: a non-empty list of non-empty words or phrases (spaces collapsed)."""
    value = item.get(key)
    if value is None:
        return ()
    line = item.line_of(key)
    if not isinstance(value, list):
        reader.problem(line, f"Expected a list of words or phrases for '{key}', got {_kind(value)}")
        return ()
    if not value:
        reader.problem(
            line, f"'{key}' of source '{source_id}' is empty: list words, or remove the key"
        )
        return ()
    words: list[str] = []
    for index, word in enumerate(value):
        at = value.line_of(index) if isinstance(value, LineList) else line
        if not isinstance(word, str):
            reader.problem(at, f"Expected a word or phrase in '{key}', got {_kind(word)}: quote it")
        elif not word.split():
            reader.problem(at, f"empty word in '{key}' of source '{source_id}'")
        else:
            words.append(" ".join(word.split()))
    return tuple(words)


def _choice(
    reader: _Reader,
    item: LineMap,
    key: str,
    source_id: str,
    choices: tuple[str, str],
    *,
    default: str | None = None,
    fallback: str | None = None,
) -> Any:
    """One of two words (the first by default); a problem and `fallback` for anything else."""
    value = item.get(key, default or choices[0])
    if value not in choices:
        reader.problem(
            item.line_of(key),
            f"{key} of source '{source_id}' must be {choices[0]} or {choices[1]}, got '{value}'",
        )
        return fallback or choices[0]
    return value


def _flag(reader: _Reader, item: LineMap, key: str, *, default: bool) -> bool:
    value = item.get(key, default)
    if not isinstance(value, bool):
        reader.problem(item.line_of(key), f"Expected true or false for '{key}', got {_kind(value)}")
        return default
    return value


def _timeout(reader: _Reader, item: LineMap, source_id: str) -> float | None:
    value = item.get("timeout")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        reader.problem(
            item.line_of("timeout"),
            f"Expected a number of seconds for 'timeout', got {_kind(value)}",
        )
        return None
    if not 0 < value <= MAX_TIMEOUT:
        reader.problem(
            item.line_of("timeout"),
            f"timeout of source '{source_id}' must be more than 0 and at most"
            f" {MAX_TIMEOUT:g} seconds, got {value:g}",
        )
        return None
    return float(value)


def load_sources(
    root: Path, sources_file: str = SOURCES_FILE, topic_slugs: Iterable[str] = ()
) -> tuple[tuple[Source, ...], list[Problem]]:
    reader = _Reader(sources_file)
    try:
        data = frontmatter.load_yaml_file(root / sources_file, display=sources_file)
    except FrontMatterError as exc:
        return (), [exc.problem()]
    known_topics = set(topic_slugs)
    sources: list[Source] = []
    seen: dict[str, int] = {}
    for item in reader.entries(data, "sources"):
        reader.unknown_keys(item, SOURCE_KEYS, "a source")
        source_id = reader.text(item, "id", required=True, what="a source")
        url = reader.text(item, "url", required=True, what=f"source '{source_id or '?'}'")
        if source_id is None or url is None:
            continue
        if not SLUG.match(source_id):
            reader.problem(
                item.line_of("id"), f"source id '{source_id}' must be lowercase words joined by '-'"
            )
            continue
        if source_id in seen:
            reader.problem(
                item.line_of("id"),
                f"source '{source_id}' is defined twice (first on line {seen[source_id]})",
            )
            continue
        seen[source_id] = item.line_of("id")
        why = _url_ok(url, root)
        if why:
            reader.problem(item.line_of("url"), f"url of source '{source_id}' {why}: {url}")
        kind = _choice(reader, item, "kind", source_id, ("partner", "analyst"))
        policy = _choice(reader, item, "policy", source_id, ("excerpt", "full"))
        canonical = _choice(
            reader, item, "canonical", source_id, ("original", "hub"),
            default="original" if policy == "full" else "hub", fallback="hub",
        )  # fmt: skip
        enabled = _flag(reader, item, "enabled", default=True)
        site = reader.text(item, "site", required=False, what="")
        if site and not is_web_url(site):
            reader.problem(
                item.line_of("site"), f"site of source '{source_id}' must be an http(s) URL: {site}"
            )
            site = None
        topics = _slugs(reader, item, "topics")
        for slug in topics:
            if known_topics and slug not in known_topics:
                reader.problem(
                    item.line_of("topics"),
                    f"unknown topic '{slug}' in source '{source_id}'"
                    + did_you_mean(slug, known_topics),
                )
        sources.append(
            Source(
                id=source_id,
                name=reader.text(item, "name", required=False, what="") or source_id,
                url=url,
                kind=kind,
                site=site,
                policy=policy,
                canonical=canonical,
                topics=tuple(s for s in topics if not known_topics or s in known_topics),
                enabled=enabled,
                description=reader.text(item, "description", required=False, what="") or "",
                keep=_rule_words(reader, item, "keep", source_id),
                block=_rule_words(reader, item, "block", source_id),
                require_topics=_flag(reader, item, "require_topics", default=False),
                timeout=_timeout(reader, item, source_id),
                images=_choice(reader, item, "images", source_id, ("keep", "drop")),
                line=item.line,
            )
        )
    return tuple(sources), reader.problems


def load_editor(root: Path, path: Path) -> tuple[Editor | None, list[Problem]]:
    display = path.relative_to(root).as_posix()
    editor_id = path.stem
    problems: list[Problem] = []
    try:
        doc = frontmatter.read(path, display=display)
    except FrontMatterError as exc:
        return None, [exc.problem()]
    meta = doc.meta
    if not SLUG.match(editor_id):
        problems.append(
            Problem(
                display, 1, f"editor file name '{editor_id}' must be lowercase words joined by '-'"
            )
        )
    for key in meta:
        if key not in EDITOR_KEYS:
            problems.append(
                Problem(
                    display,
                    doc.line_of(key),
                    f"unknown key '{key}' for an editor (known: {', '.join(sorted(EDITOR_KEYS))})",
                )
            )
    name, role = meta.get("name"), meta.get("role")
    if not isinstance(name, str) or not name.strip():
        problems.append(
            Problem(display, doc.line_of("name") if "name" in meta else 1, "editor has no 'name'")
        )
    if not isinstance(role, str) or not role.strip():
        problems.append(
            Problem(display, doc.line_of("role") if "role" in meta else 1, "editor has no 'role'")
        )
    links: list[Link] = []
    raw_links = meta.get("links") or []
    if not isinstance(raw_links, list):
        problems.append(
            Problem(
                display,
                doc.line_of("links"),
                f"Expected a list for 'links', got {_kind(raw_links)}",
            )
        )
        raw_links = []
    for index, link in enumerate(raw_links):
        line = raw_links.line_of(index) if isinstance(raw_links, LineList) else doc.line_of("links")
        if not isinstance(link, dict) or not isinstance(link.get("url"), str):
            problems.append(Problem(display, line, "each link needs a 'url' (and a 'title')"))
            continue
        if not (is_web_url(link["url"]) or link["url"].startswith("mailto:")):
            problems.append(
                Problem(display, line, f"link url must be http(s) or mailto: {link['url']}")
            )
            continue
        links.append(Link(title=str(link.get("title") or link["url"]), url=link["url"]))
    photo = meta.get("photo")
    if photo is not None and not isinstance(photo, str):
        problems.append(
            Problem(display, doc.line_of("photo"), f"Expected text for 'photo', got {_kind(photo)}")
        )
        photo = None
    if errors(problems) and not (isinstance(name, str) and isinstance(role, str)):
        return None, problems
    editor = Editor(
        id=editor_id,
        name=str(name).strip(),
        role=str(role).strip(),
        bio=doc.body,
        photo=photo,
        links=tuple(links),
        src_uri=path.relative_to(root / "docs").as_posix(),
    )
    return editor, problems


def editor_files(root: Path) -> list[Path]:
    folder = root / EDITORS_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.md") if p.name not in ("index.md", "README.md"))


def load_hub(root: Path, *, sources_file: str = SOURCES_FILE) -> Hub:
    """Read topics, sources and editors; never raises for a mistake in them."""
    root = root.resolve()
    problems: list[Problem] = []
    topics, found = load_topics(root)
    problems += found
    slugs = [t.slug for t in topics]
    sources, found = load_sources(root, sources_file, slugs)
    problems += found
    editors: list[Editor] = []
    for path in editor_files(root):
        editor, found = load_editor(root, path)
        problems += found
        if editor:
            editors.append(editor)
    return Hub(
        root=root, topics=topics, sources=sources, editors=tuple(editors), problems=tuple(problems)
    )
