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
PULLED_IMAGE_ATTRIBUTES = {"referrerpolicy": "no-referrer", "loading": "lazy"}
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


@lru_cache(maxsize=len(PULLED_IMAGE_ATTRIBUTES) + 1)
def _rendered_cleaner(image_attribute: str | None = None) -> nh3.Cleaner:
    """The allowlist cleaner; with `image_attribute`, it also sets that attribute on images."""
    setting = None
    if image_attribute is not None:
        setting = {"img": {image_attribute: PULLED_IMAGE_ATTRIBUTES[image_attribute]}}
    return nh3.Cleaner(
        tags=set(RENDERED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in _RENDERED_ATTRIBUTES.items()},
        attribute_filter=_rendered_attribute,
        strip_comments=True,
        link_rel=None,  # rel is allowed and filtered above: internal links need no nofollow
        url_schemes={"http", "https", "mailto"},
        filter_style_properties={"text-align"},  # Markdown tables align columns with style
        set_tag_attribute_values=setting,
    )


def sanitize_rendered(html_text: str) -> str:
    """A pulled piece's rendered page content on the strict allowlist plus the hub's decoration,
    its images with PULLED_IMAGE_ATTRIBUTES."""
    html = _rendered_cleaner().clean(html_text)
    if "<img" not in html:
        return html
    # nh3 adds several attributes in a random order (a hash map): one pass per attribute keeps
    # the page byte for byte the same from build to build; only pages with images pay for it
    for name in PULLED_IMAGE_ATTRIBUTES:
        html = _rendered_cleaner(name).clean(html)
    return html
