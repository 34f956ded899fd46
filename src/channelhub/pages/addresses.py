"""The addresses of the pages the hub generates, as paths under docs/ (MkDocs turns them into URLs).

Owns the URL scheme of listings (`/topics/<slug>/page/<n>/` and the like), which hand-written
file may stand in for a generated page, and the hub's own directory URLs for use outside a
build (tests, benchmarks); in a build the engine's URLs are used.
"""

from __future__ import annotations

from collections.abc import Iterable

from channelhub import markup
from channelhub.config import Editor
from channelhub.content import url_of
from channelhub.pages.site import Site
from channelhub.urls import is_web_url

HOME = "index.md"
TOPICS = "topics/index.md"
EDITORS = "editors/index.md"
NOTES = "notes/index.md"
SOURCES = "sources/index.md"


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
