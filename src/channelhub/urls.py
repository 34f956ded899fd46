"""The hub's rules for web addresses: what counts as one, and when two name the same article.

Owns `is_web_url` (the one http(s) check for addresses in sources, pieces, editors and
scaffolds), `normalise_link` (the key that finds one article syndicated by several
sources, or a link an editor took down, whatever its tracking parameters) and
`resolve_address` (where a relative link in a built page leads).
"""

from __future__ import annotations

import posixpath
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

#: query parameters that only track a reader, dropped from a link's key (besides utm_*)
TRACKING_PARAMS = frozenset({"fbclid", "gclid", "mc_cid", "mc_eid", "ref"})


def is_web_url(url: str, *, host: bool = True) -> bool:
    """True for an http or https URL (scheme in any case) with a host (unless host=False)."""
    try:
        parts = urlsplit(url)
        return parts.scheme.lower() in ("http", "https") and (not host or bool(parts.hostname))
    except ValueError:  # e.g. a malformed IPv6 host
        return False


def normalise_link(url: str) -> str:
    """The form two links of the same article share: scheme-blind, lowercase host, no default
    port, no tracking parameters, sorted query, no fragment and no trailing slash."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if port not in (None, 80, 443):
        host = f"{host}:{port}"  # 80 and 443 are the defaults of the two schemes treated alike
    query = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not key.lower().startswith("utm_") and key.lower() not in TRACKING_PARAMS
    )
    path = parts.path.rstrip("/")
    # http and https name the same article: the scheme is left out of the key
    return urlunsplit(("", host, path, urlencode(query), "")).lstrip("/")


def resolve_address(page_address: str, path: str) -> str:
    """The site path (no leading slash) that the relative link `path` leads to from the page
    served at `page_address` ('articles/2026/x/' + '../y/' -> 'articles/2026/y')."""
    return posixpath.normpath(posixpath.join("/" + page_address, path)).lstrip("/")
