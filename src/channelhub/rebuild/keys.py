"""Keys: what a build's pages depend on, as digests.

The global key covers what every page depends on: the hub's own code, the engine, the theme and
its versions, `overrides/`, the resolved config. A page's key is the global key with the page's
own inputs (see `channelhub.build.HubBuild.page_parts`). Every value that reaches a key is
listed here explicitly; a config value of a kind not listed makes the config unkeyable
(`Unkeyable`), and the build then reuses nothing: an unknown input must never be ignored.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import sys
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import channelhub

#: bump when the meaning of a key or the cache's layout changes
FORMAT = "channelhub-rebuild-1"

#: distributions whose code shapes every page (the running engine is added by name)
VERSIONED = (
    "mkdocs-material",
    "markdown",
    "pymdown-extensions",
    "jinja2",
    "markupsafe",
    "pygments",
)

#: config keys that hold this machine's paths or serving details, not what a page shows;
#: `plugins` and `hooks` are checked apart (only the hub's hooks may run: `foreign_plugins`)
NOT_KEYED = frozenset(
    {"config_file_path", "docs_dir", "site_dir", "dev_addr", "watch", "strict", "plugins", "hooks"}
)

#: theme templates that print the build date into pages (the sitemap is always rebuilt)
_DATED = (b"build_date_utc", b"update_date")


class Unkeyable(Exception):
    """A value the keys cannot describe: the build must not reuse anything."""


def digest(*parts: bytes | str) -> str:
    """A digest of the parts, each length-prefixed so that ("ab", "c") != ("a", "bc")."""
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def picture(value: Any, where: str = "config") -> Any:
    """A JSON-able, deterministic picture of a config value; `Unkeyable` for any other kind.

    Plain YAML values, mappings (MkDocs' sub-configs and theme are mappings) and sequences;
    a babel Locale by its name. Nothing is pictured through its attributes.
    """
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping) or (hasattr(value, "items") and hasattr(value, "keys")):
        return {str(k): picture(v, f"{where}.{k}") for k, v in sorted(value.items(), key=_by_key)}
    if isinstance(value, list | tuple):
        return [picture(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, set | frozenset):
        return sorted(json.dumps(picture(v, where), sort_keys=True) for v in value)
    if type(value).__name__ == "Locale":  # babel's, MkDocs' theme locale: its name is all it says
        return str(value)
    raise Unkeyable(f"{where} is a {type(value).__name__}, which the build cache cannot key")


def _by_key(item: tuple[Any, Any]) -> str:
    return str(item[0])


def config_picture(config: Mapping[str, Any], root: Path) -> str:
    """The resolved config as JSON, without this machine's paths; theme folders relative to
    the config's folder (so that a cache restored into another checkout still matches)."""
    out: dict[str, Any] = {}
    for key, value in sorted(config.items(), key=_by_key):
        if key in NOT_KEYED:
            continue
        if key == "theme":
            theme = picture(dict(value.items()), "theme")
            theme["dirs"] = [_relative(d, root) for d in getattr(value, "dirs", [])]
            theme["static_templates"] = sorted(getattr(value, "static_templates", []))
            out[key] = theme
        else:
            out[key] = picture(value, key)
    return json.dumps(out, sort_keys=True, ensure_ascii=False)


def _relative(folder: str, root: Path) -> str:
    try:
        return Path(folder).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return "<installed>"  # a theme of an installed package: its version is keyed


def foreign_plugins(plugins: Iterable[str], hooks: Iterable[str]) -> list[str]:
    """Plugins other than the hub's hooks: they may read every page (search, tags, blog), so a
    build with any of them reuses nothing."""
    ours = set(hooks)
    return sorted(name for name in plugins if name not in ours)


def versions() -> str:
    """The running engine (ProperDocs answers to `import mkdocs` too) and the versions of what
    renders pages."""
    running = sys.modules.get("mkdocs")
    found = [
        f"python={sys.version_info[:3]}",
        f"engine={getattr(running, '__name__', '-')}-{getattr(running, '__version__', '-')}",
        f"channelhub={channelhub.__version__}",
    ]
    for name in VERSIONED:
        try:
            found.append(f"{name}={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{name}=-")
    return ",".join(found)


def tree(folder: Path, suffixes: tuple[str, ...] = ()) -> list[tuple[str, bytes]]:
    """Every file under a folder (or those with the given suffixes), by relative path, in order."""
    out: list[tuple[str, bytes]] = []
    if not folder.is_dir():
        return out
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith("."))
        for name in sorted(filenames):
            if suffixes and not name.endswith(suffixes):
                continue
            path = Path(dirpath, name)
            out.append((path.relative_to(folder).as_posix(), path.read_bytes()))
    return out


def global_key(
    config: Mapping[str, Any],
    root: Path,
    *,
    theme_dirs: Iterable[str],
    hook_files: Iterable[str],
    extra: Mapping[str, str] | None = None,
    today: str = "",
) -> str:
    """What every page depends on. `extra`: further switches that reach pages (e.g. search on
    or off); `today`: the build date, keyed only when a theme template of the hub prints it."""
    parts: list[str | bytes] = [FORMAT, versions(), config_picture(config, root)]
    package = Path(channelhub.__file__).parent
    for name, data in tree(package, (".py", ".html", ".js", ".css", ".json", ".txt")):
        parts += [name, data]  # the hub's own code: in development it changes between builds
    for hook in sorted(hook_files):
        parts += [Path(hook).name, Path(hook).read_bytes()]
    dated = False
    for folder in theme_dirs:
        if _relative(folder, root) == "<installed>":
            continue  # an installed theme: its version is keyed
        for name, data in tree(Path(folder)):
            parts += [name, data]
            dated = dated or (name != "sitemap.xml" and any(d in data for d in _DATED))
    for name, value in sorted((extra or {}).items()):
        parts += [name, value]
    if dated:
        parts.append(today)
    return digest(*parts)
