"""channelhub.theme.PageTexts: the title, description and "is a piece" the overrides print,
the same as the Jinja macros they replaced (partials/hub.html until round 5), for every case."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from jinja2 import Environment

from channelhub.theme import PageTexts

#: the macros as they were in overrides/partials/hub.html
MACROS = """
{% macro title(page) -%}
  {%- if page and page.meta and page.meta.title -%}
    {{- page.meta.title | string | e -}}
  {%- elif page and page.title -%}
    {{- page.title | string | striptags | e -}}
  {%- endif -%}
{%- endmacro %}
{% macro description(page, config) -%}
  {%- if page and page.meta and page.meta.description -%}
    {{- page.meta.description | string | e -}}
  {%- elif page and page.meta and page.meta.summary -%}
    {{- page.meta.summary | string | e -}}
  {%- elif config.site_description -%}
    {{- config.site_description | e -}}
  {%- endif -%}
{%- endmacro %}
{% macro is_piece(page) -%}
  {%- if page and page.meta and page.meta.date and (page.meta.editor or page.meta.source) -%}
    yes
  {%- endif -%}
{%- endmacro %}
"""


@dataclass
class _Page:
    meta: dict[str, Any] = field(default_factory=dict)
    title: str | None = None


@dataclass
class _Config:
    site_description: str | None = None


PAGES = [
    None,
    _Page(),
    _Page(meta={"title": 'A <b>bold</b> "claim" & more'}, title="ignored"),
    _Page(meta={"title": 2026}),
    _Page(meta={"title": ""}, title="From <em>the</em> heading &amp; more"),
    _Page(title="Plain & simple <script>x</script>"),
    _Page(meta={"description": "Desc <i>", "summary": "Sum"}),
    _Page(meta={"summary": "Only a summary & <tags>"}),
    _Page(meta={"date": date(2026, 3, 1), "editor": ["ann"]}),
    _Page(meta={"date": date(2026, 3, 1), "source": "northwind"}),
    _Page(meta={"date": date(2026, 3, 1)}),
    _Page(meta={"editor": "ann"}),
]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("site_description", [None, "", "The hub & its <readers>"])
def test_page_texts_are_what_the_macros_printed(
    page: _Page | None, site_description: str | None
) -> None:
    macros = Environment().from_string(MACROS).module
    config = _Config(site_description)
    texts = PageTexts()
    assert str(texts.title(page)) == str(macros.title(page))  # type: ignore[attr-defined]
    assert str(texts.description(page, config)) == str(macros.description(page, config))  # type: ignore[attr-defined]
    assert texts.is_piece(page) == bool(str(macros.is_piece(page)).strip())  # type: ignore[attr-defined]
