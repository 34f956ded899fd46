"""The addresses of the pages the hub generates, as paths under docs/ (MkDocs turns them into URLs).

Owns the URL scheme of listings (`/topics/<slug>/page/<n>/`, `/archive/<yyyy>/` and the like),
which hand-written file may stand in for a generated page, what the site already has at an
address (`page_at`, so that no alias lands on a page), and the hub's own directory URLs for
use outside a build (tests, benchmarks); in a build the engine's URLs are used.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from channelhub import markup
from channelhub.config import Editor, Hub
from channelhub.content import display_path, url_of
from channelhub.pages.site import Site
from channelhub.urls import is_web_url

HOME = "index.md"
TOPICS = "topics/index.md"
EDITORS = "editors/index.md"
NOTES = "notes/index.md"
SOURCES = "sources/index.md"
ARCHIVE = "archive/index.md"


def topic_uri(slug: str, page: int = 1) -> str:
    return f"topics/{slug}/index.md" if page == 1 else f"topics/{slug}/page/{page}/index.md"


def editor_uri(editor_id: str, page: int = 1) -> str:
    return f"editors/{editor_id}.md" if page == 1 else f"editors/{editor_id}/page/{page}/index.md"


def source_uri(source_id: str, page: int = 1) -> str:
    return (
        f"sources/{source_id}/index.md"
        if page == 1
        else f"sources/{source_id}/page/{page}/index.md"
    )


def notes_uri(page: int = 1) -> str:
    return NOTES if page == 1 else f"notes/page/{page}/index.md"


def archive_uri(year: int, page: int = 1) -> str:
    return (
        f"archive/{year:04d}/index.md" if page == 1 else f"archive/{year:04d}/page/{page}/index.md"
    )


#: the numbered pages of a listing: any number, as how many there are depends on the moment
_PAGED = re.compile(r"(?:(?:topics|editors|sources)/[^/]+/|notes/)page/[0-9]+/")
#: folders the hub writes whole (the archive, the search index)
_HUB_FOLDERS = ("archive/", "search-index/")
_HUB_PAGES = frozenset({"", "topics/", "editors/", "notes/", "sources/", "404.html"})
#: files the build writes at the top of the site (a topic's feed.xml is checked apart)
_HUB_FILES = frozenset({"feed.xml", "sitemap.xml", "sitemap.xml.gz", "404.html"})


def page_at(hub: Hub, docs_dir: Path, path: str) -> str | None:
    """What the site has at a path from its root ('/about/', '/old.html') besides aliases, in
    words ('docs/about.md', 'the hub's page /topics/'), or None when nothing is there."""
    url = path.lstrip("/")
    if url in _HUB_PAGES or url.startswith(_HUB_FOLDERS) or _PAGED.fullmatch(url):
        return f"the hub's page /{url}"
    parts = url.split("/")
    if len(parts) == 3 and parts[2] == "":
        folder, name = parts[0], parts[1]
        if folder == "topics" and name in hub.renamed:
            return f"the redirect of the renamed topic '{name}'"
        if (folder == "topics" and hub.topic(name)) or (folder == "sources" and hub.source(name)):
            return f"the hub's page /{url}"
    segments = url.rstrip("/").split("/")
    # a folder the redirect needs may not be a file (feed.xml/, assets/hub.css/)
    for end in range(1, len(segments) + (0 if url.endswith(".html") else 1)):
        folder = "/".join(segments[:end])
        if folder in _HUB_FILES or (folder.startswith("topics/") and folder.endswith("/feed.xml")):
            return f"the hub's file /{folder}"
        if (docs_dir / folder).is_file():
            return display_path(docs_dir / folder, hub.root)
    if url.endswith(".html"):
        candidates = [url]
    else:
        stem = url.rstrip("/")
        candidates = [f"{stem}.md", f"{stem}/index.md", f"{stem}/README.md", f"{stem}/index.html"]
    for candidate in candidates:
        if (docs_dir / candidate).is_file():
            return display_path(docs_dir / candidate, hub.root)
    return None


def alternatives(src_uri: str) -> tuple[str, ...]:
    """Paths of a hand-written file that would take the place of a generated one."""
    if src_uri.endswith("/index.md"):
        return (src_uri, src_uri[: -len("/index.md")] + ".md")
    return (src_uri,)


def photo_target(editor: Editor) -> tuple[str, bool] | None:
    """Where an editor's photo is: (URL, True) for a web address, (docs/ path, False) for a file."""
    if not editor.photo:
        return None
    if is_web_url(editor.photo):
        href = markup.safe_href(editor.photo)
        return (href, True) if href else None
    return editor.photo.lstrip("/"), False


def directory_urls(site: Site, generated: Iterable[str]) -> dict[str, str]:
    """The URL of every file the hub links to, as MkDocs gives it with directory URLs.

    For use outside a build (tests, benchmarks); in a build the engine's own URLs are used.
    """
    uris = [
        *generated,
        *(p.src_uri for p in site.index.pieces),
        *(e.src_uri for e in site.hub.editors),
    ]
    urls = {uri: url_of(uri) or "./" for uri in uris}
    files = [f"topics/{t.slug}/feed.xml" for t in site.hub.topics]
    for editor in site.hub.editors:
        found = photo_target(editor)
        if found and not found[1]:
            files.append(found[0])
    urls.update({f: f for f in files})
    return urls
