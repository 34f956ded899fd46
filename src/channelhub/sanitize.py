"""Layer 4 of the hub's defence against hostile content: the last net over pulled pieces.

The rendered HTML of a pulled piece goes through nh3 once more just before templating, on
the body layer's strict allowlist plus the hub's own decoration (`hub-`/`md-` classes, toc
heading ids and permalinks, `<time datetime>`, link `rel`). The elements dropped with their
content are the body layer's own list (`clean.DROPPED_WITH_CONTENT`), so the two never drift.
Every image of a pulled piece loads lazily and sends no referrer to the partner's host
(`PULLED_IMAGE_ATTRIBUTES`), whatever the piece's Markdown says.
"""

from __future__ import annotations

import re
from functools import lru_cache

import nh3

from channelhub.clean import DROPPED_WITH_CONTENT

RENDERED_TAGS = frozenset(
    {
        "p", "br", "a", "em", "strong", "b", "i", "u", "s", "del", "ins", "mark", "small", "sub",
        "sup", "abbr", "ul", "ol", "li", "dl", "dt", "dd", "blockquote", "code", "pre", "kbd",
        "samp", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tfoot", "tr", "th",
        "td", "caption", "img", "figure", "figcaption", "hr", "span", "div", "nav", "time",
        "details", "summary",
    }
)  # fmt: skip
#: set on every <img> of a pulled piece: third-party hosts learn nothing of the reader's page,
#: and images below the fold cost nothing until scrolled to
PULLED_IMAGE_ATTRIBUTES = {"loading": "lazy", "referrerpolicy": "no-referrer"}
_RENDERED_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"class", "id", "title", "lang", "dir", "aria-label", "aria-hidden", "aria-current"},
    "a": {"href", "rel"},
    "img": {"src", "alt", "width", "height", *PULLED_IMAGE_ATTRIBUTES},
    "time": {"datetime"},
    "ol": {"start", "reversed"},
    "td": {"colspan", "rowspan", "style"},
    "th": {"colspan", "rowspan", "style", "scope"},
    "details": {"open"},
}
#: classes the hub's own decoration uses; everything else from a pulled piece is dropped
KEPT_CLASS_PREFIXES = ("hub-", "md-")
KEPT_CLASSES = frozenset({"headerlink", "highlight"})
#: link relations the hub writes (pulled links get "nofollow noopener" from the body layer)
KEPT_RELS = frozenset({"nofollow", "noopener", "noreferrer", "ugc", "prev", "next"})
# toc's slugify gives lowercase ASCII words joined by '-' (with '_N' for duplicates); '__'
# names are left alone so a heading cannot shadow the theme's globals (__md_scope, ...).
_HEADING_ID = re.compile(r"(?!__)[a-z0-9_][a-z0-9_\-]{0,127}")


def _rendered_attribute(tag: str, name: str, value: str) -> str | None:
    """nh3 callback: keep the hub's classes, toc ids and known rels; pass the rest through."""
    if name == "class":
        kept = [c for c in value.split() if c.startswith(KEPT_CLASS_PREFIXES) or c in KEPT_CLASSES]
        return " ".join(kept) or None
    if name == "id":
        return value if _HEADING_ID.fullmatch(value) else None
    if name == "rel":
        rels = [r for r in value.lower().split() if r in KEPT_RELS]
        return " ".join(rels) or None
    if tag == "img" and name in PULLED_IMAGE_ATTRIBUTES:
        return PULLED_IMAGE_ATTRIBUTES[name]
    return value


@lru_cache(maxsize=1)
def _rendered_cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(RENDERED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in _RENDERED_ATTRIBUTES.items()},
        attribute_filter=_rendered_attribute,
        strip_comments=True,
        link_rel=None,  # rel is allowed and filtered above: internal links need no nofollow
        url_schemes={"http", "https", "mailto"},
        filter_style_properties={"text-align"},  # Markdown tables align columns with style
    )


# An HTML parser reads <image> as <img>. The attributes go first: a parser keeps the first of
# two with one name, and nh3's set_tag_attribute_values adds several in a random order (a hash
# map), which would make a page differ from build to build.
_IMAGE_TAG = re.compile(r"<((?i:img|image))(?=[\s/>])")  # "<" stays a literal prefix: fast
_IMAGE_ATTRIBUTES = " ".join(f'{name}="{value}"' for name, value in PULLED_IMAGE_ATTRIBUTES.items())


def sanitize_rendered(html_text: str) -> str:
    """A pulled piece's rendered page content on the strict allowlist plus the hub's decoration,
    every image with PULLED_IMAGE_ATTRIBUTES."""
    # inserted before nh3 parses the page, so whatever the insertion meets is sanitized too
    marked = _IMAGE_TAG.sub(rf"<\1 {_IMAGE_ATTRIBUTES}", html_text)
    return _rendered_cleaner().clean(marked)
