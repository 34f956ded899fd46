"""A source's `keep:` and `block:` rules: which of its entries the hub takes.

Owns how a rule matches (whole words and phrases, case-insensitive, any run of whitespace
between the words of a phrase) and the decision for one entry: `block` wins over `keep`, and
with `keep` an entry must contain one of its words. Pure and cheap: each source's rules are
compiled once into one regular expression per list (cached by the words), so an entry costs
one or two scans of its title, summary and categories. `require_topics` needs the tagger and
is decided where the entry is tagged (`ingest.prepare_feed`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

# Joins the fields: not whitespace and not a word character, so no phrase spans two fields.
_FIELD_SEPARATOR = "\n|\n"


@lru_cache(maxsize=512)
def _pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    """One expression for a list of words and phrases (longest first), or None for no words."""
    phrases = {r"\s+".join(re.escape(part) for part in word.split()) for word in words}
    phrases.discard("")
    if not phrases:
        return None
    alternatives = "|".join(sorted(phrases, key=lambda p: (-len(p), p)))
    # (?<!\w) and (?!\w) rather than \b: a word may begin or end with a symbol ("C++", ".NET").
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class EntryRules:
    """One source's compiled keep and block lists."""

    keep: re.Pattern[str] | None
    block: re.Pattern[str] | None
    keep_words: tuple[str, ...] = ()

    @classmethod
    def of(cls, keep: tuple[str, ...], block: tuple[str, ...]) -> EntryRules | None:
        """The compiled rules, or None when the source has neither list."""
        if not keep and not block:
            return None
        return cls(_pattern(keep), _pattern(block), keep)

    def drop_reason(self, title: str, summary: str, categories: Iterable[str]) -> str | None:
        """Why the entry is dropped, or None to keep it."""
        text = _FIELD_SEPARATOR.join((title, summary, *categories))
        if self.block is not None:
            found = self.block.search(text)
            if found is not None:
                return f"block rule: contains '{' '.join(found.group(0).split())}'"
        if self.keep is not None and self.keep.search(text) is None:
            words = ", ".join(f"'{w}'" for w in self.keep_words[:5])
            more = ", ..." if len(self.keep_words) > 5 else ""
            return f"keep rule: none of {words}{more} in its title, summary or categories"
        return None
