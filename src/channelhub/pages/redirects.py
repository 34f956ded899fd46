"""Redirect pages: old addresses that send readers (and search engines) to where a page is now.

Owns the static pages written at the old URL of a renamed topic and at each alias of a piece
(`aliases: [/old/url/]` after a move): a meta refresh, rel=canonical to the new address and
`noindex`, so only the new address is indexed. Which aliases may be written (none over a page
or another alias) is decided when the content index is read (`content.load_index`).
"""

from __future__ import annotations

from channelhub import markup
from channelhub.content import url_of
from channelhub.pages.site import Site


def alias_file(alias: str) -> str:
    """The file a redirect at an alias is written to: '/old/url/' -> 'old/url/index.html'."""
    path = alias.lstrip("/")
    return path if path.endswith(".html") else path + "index.html"


def redirect_html(href: str, canonical: str, message: str) -> str:
    """A page that sends readers to `href` at once; `message` (HTML) says where, for the rest."""
    refresh, link = markup.attr(href), markup.attr(canonical)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<title>Moved</title><meta name="robots" content="noindex">'
        f'<meta http-equiv="refresh" content="0; url={refresh}">'
        f'<link rel="canonical" href="{link}"></head>'
        f"<body><p>{message}</p></body></html>"
    )


def redirects(site: Site, base_url: str) -> dict[str, str]:
    """Every redirect page by its path under docs/: old topic slugs, then the published
    pieces' aliases (in a preview, every piece's)."""
    base = base_url.rstrip("/")
    out: dict[str, str] = {}
    for old, new in site.hub.renamed.items():
        target = f"{base}/topics/{new}/"
        out[f"topics/{old}/index.html"] = redirect_html(
            target,
            target,
            f'This topic has moved to <a href="{markup.attr(target)}">{markup.attr(target)}</a>.',
        )
    for piece in site.index.pieces:
        for alias in piece.aliases:
            file = alias_file(alias)
            # relative, so the redirect works wherever the site is served (a preview, a subpath)
            href = markup.relative_url(url_of(piece.src_uri), file)
            out[file] = redirect_html(
                href,
                f"{base}{piece.url}" if base else href,
                f'This page has moved to <a href="{markup.attr(href)}">'
                f"{markup.attr(piece.title)}</a>.",
            )
    return out
