"""Rebuild only what changed: the hub's incremental builds, exactly equal to a clean build.

`channelhub build` runs the engine in its dirty mode (`--dirty`) and the hub decides, page by
page, what the engine may leave as it is in the site folder (`Rebuild.plan`): a page whose key
(everything it shows, as digests) and output are as the last build left them, and whose link
lookups still get the same answers. Pages of the nav are always built; outputs the last build
wrote and this one did not are removed from its manifest; a cache that is missing, damaged or
from an unfinished build means a clean build.

* `keys`     the global key (the hub's code, engine, theme, overrides, config) and digests
* `store`    the cache on disk (SQLite under .cache/channelhub/build/), kept in memory between
             builds of one process (`mkdocs serve`); the engine's compiled templates
* `session`  one build's decisions and records (`Rebuild`), engine objects duck-typed
"""

from __future__ import annotations

from channelhub.rebuild.keys import FORMAT, Unkeyable, digest
from channelhub.rebuild.session import Rebuild, collector_paused, listen, serving, started
from channelhub.rebuild.store import CACHE_DIR, template_cache

__all__ = [
    "CACHE_DIR",
    "FORMAT",
    "Rebuild",
    "Unkeyable",
    "collector_paused",
    "digest",
    "listen",
    "serving",
    "started",
    "template_cache",
]
