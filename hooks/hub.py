"""MkDocs event glue for channelhub: MkDocs objects in, plain data to the package, results back.

No logic and no network here: everything lives in `channelhub.build` (the hub's part of a
build) and `channelhub.rebuild` (what a dirty build may reuse), so moving to another engine
only means rewriting this file. It runs unchanged under ProperDocs, which answers to `mkdocs`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from mkdocs.commands import build as engine_build
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import (
    Page,
    _ExtractAnchorsTreeprocessor,
    _ExtractTitleTreeprocessor,
    _RawHTMLPreprocessor,
    _RelativePathTreeprocessor,
)
from mkdocs.structure.toc import get_toc
from mkdocs.utils import clean_directory, get_build_date
from mkdocs.utils.meta import YAML_RE as FRONT_MATTER

from channelhub import build, engine, rebuild, search, theme
from channelhub.build import HubBuild
from channelhub.dates import NowError
from channelhub.search import SearchIndexError
from channelhub.settings import Settings
from channelhub.shared_markdown import SharedMarkdown

log = logging.getLogger("mkdocs.plugins.channelhub")

# Reset in on_config so that `mkdocs serve` rebuilds never see a previous build's state.
_build: HubBuild | None = None
_rebuild: rebuild.Rebuild | None = None
_config: MkDocsConfig | None = None
_markdown = SharedMarkdown()  # for the pages outside the nav


class _HtmlPage(Page):
    """A page outside the nav (a piece, a page the hub generates, a hand-written one): rendered
    as the engine's `Page.render` renders it, on the build's shared instance of Python-Markdown
    (`channelhub.shared_markdown`) with the engine's own per-page processors registered again;
    a blank text (a generated body that is all HTML) needs no instance at all."""

    def render(self, config: MkDocsConfig, files: Files) -> None:
        if self.markdown is None:
            super().render(config, files)  # the engine's error
            return
        if not self.markdown.strip():
            self.content = ""  # Markdown.convert of a blank text
            self.toc = get_toc([])
            self._title_from_render = None
            self.present_anchor_ids = set()
            self.links_to_anchors = {}
            return
        md = _markdown.instance(config["markdown_extensions"], config["mdx_configs"] or {})
        if md is None:
            super().render(config, files)
            return
        # Page.render's own steps (MkDocs 1.6.1, ProperDocs 1.6.7), on the shared instance
        raw_html_ext = _RawHTMLPreprocessor()
        raw_html_ext._register(md)
        extract_anchors_ext = _ExtractAnchorsTreeprocessor(self.file, files, config)
        extract_anchors_ext._register(md)
        relative_path_ext = _RelativePathTreeprocessor(self.file, files, config)
        relative_path_ext._register(md)
        extract_title_ext = _ExtractTitleTreeprocessor()
        extract_title_ext._register(md)
        try:
            self.content = md.convert(self.markdown)
        except BaseException:
            _markdown.drop()  # a failed page leaves no state to the next one
            raise
        self.toc = get_toc(getattr(md, "toc_tokens", []))
        self._title_from_render = extract_title_ext.title
        self.present_anchor_ids = (
            extract_anchors_ext.present_anchor_ids | raw_html_ext.present_anchor_ids
        )
        if not _MKDOCS or logging.getLogger(Page.__module__).getEffectiveLevel() > logging.DEBUG:
            self.links_to_anchors = relative_path_ext.links_to_anchors


#: MkDocs keeps a page's links to anchors only above DEBUG, ProperDocs always
_MKDOCS = Page.__module__.startswith("mkdocs.")


def _rendering() -> str | None:
    """The page the engine is reading or writing now (MkDocs and ProperDocs keep it there)."""
    page = getattr(_config, "_current_page", None)
    return page.file.src_uri if page is not None else None


def _settings(config: MkDocsConfig) -> Settings:
    try:
        return Settings.from_mapping(
            config.extra.get("hub"),
            site_url=config.site_url or "",
            title=config.site_name,
            description=config.site_description or "",
        )
    except ValueError as exc:
        raise PluginError(f"mkdocs.yml: {exc}") from None


def on_startup(*, command: str, dirty: bool) -> None:
    rebuild.started(command, dirty)  # `serve` previews drafts, scheduled and expired pieces


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    global _build, _config
    _stop()
    _build, _config = None, config
    _markdown.drop()
    rebuild.listen(logging.getLogger("mkdocs"), engine_build.log)  # warnings by page
    return config


def _stop(*, wait: bool = True) -> None:
    """Stop a build that did not finish: its search indexer (not waiting for an index being
    written at shutdown), then its cache."""
    global _rebuild
    kept = _build.stop_search(wait=wait) if _build is not None else ""
    if _rebuild is not None:
        _rebuild.search_saved(kept)
        _rebuild.abandon()
    _rebuild = None


def on_pre_build(*, config: MkDocsConfig) -> None:
    global _rebuild
    root = Path(config.config_file_path).parent
    switches = {"search": str(search.enabled()), "preview": str(rebuild.serving())}
    _rebuild = rebuild.Rebuild.open(
        root, Path(config.site_dir), config, extra=switches, today=get_build_date()
    )
    if _rebuild.must_clean:
        log.info(f"rebuild: building everything ({_rebuild.why})")
        clean_directory(config.site_dir)  # what the engine does itself when not dirty
    for line in build.pull_first(root, _settings(config)):
        log.info(line)  # info, not warning: a failing feed must not fail a strict build


def on_files(files: Files, /, *, config: MkDocsConfig) -> Files:
    global _build
    assert _rebuild is not None
    with rebuild.collector_paused():  # from reading every piece to the plan, which freezes
        try:
            _build = HubBuild.start(
                Path(config.config_file_path).parent,
                Path(config.docs_dir),
                _settings(config),
                preview=rebuild.serving(),
                reader=_rebuild.piece_reader,
                search_state=(*_rebuild.search_state(), Path(config.site_dir)),
            )
        except NowError as exc:
            raise PluginError(str(exc)) from None
        for problem in _build.problems:
            log.warning(str(problem)) if problem.is_error else log.info(str(problem))
        exists = lambda uri: files.get_file_from_path(uri) is not None  # noqa: E731
        for src_uri, content in _build.generated_files(exists=exists).items():
            files.append(File.generated(config, src_uri, content=content))
        for src_uri in _build.held_files():  # not rendered, not in the sitemap
            held = files.get_file_from_path(src_uri)
            if held is not None:
                held.inclusion = InclusionLevel.EXCLUDED
        _build.set_urls({f.src_uri: f.url for f in files if not f.inclusion.is_excluded()})
        _rebuild.plan(
            files, _build.page_parts, nav=config.nav, rendering=_rendering, keep=_build.can_keep
        )
        _build.planned(_rebuild.keys)
    today = get_build_date()
    for file, page in _rebuild.untouched_pages():  # what `Page(None, file, config)` would be
        page.file, file.page, page.update_date = file, page, today
    return files


def on_nav(nav: Any, /, *, config: MkDocsConfig, files: Files) -> Any:
    assert _rebuild is not None and _build is not None
    _rebuild.nav_pages(nav.pages)
    in_nav = {id(page) for page in nav.pages}
    for file in files.documentation_pages():  # each page outside the nav, as the engine made it
        if type(file.page) is Page and id(file.page) not in in_nav:  # not another plugin's
            file.page.__class__ = _HtmlPage  # only its render differs: no second __init__
    return nav


def on_page_read_source(*, page: Page, config: MkDocsConfig) -> str | None:
    assert _build is not None  # None: the engine reads the file itself
    return _build.engine_source(page.file.src_uri, lambda: page.file.content_string, FRONT_MATTER)


def on_page_markdown(markdown: str, /, *, page: Page, config: MkDocsConfig, files: Files) -> str:
    assert _build is not None
    src_uri = page.file.src_uri
    page.meta = _build.page_meta(src_uri, page.meta)
    page.canonical_url = _build.canonical_url(src_uri) or page.canonical_url
    found = _build.page_markdown(src_uri, markdown)
    return markdown if found is None else found  # "" for a generated body that is all HTML


def on_page_content(html: str, /, *, page: Page, config: MkDocsConfig, files: Files) -> str:
    assert _build is not None and _rebuild is not None
    _rebuild.rendered()  # every thousand pages, what they keep out of the collector's way
    final = _build.page_html(page.file.src_uri, html)
    for problem in _build.link_problems():
        log.warning(problem)  # what MkDocs' link check says of a Markdown link: strict fails
    if final is None:
        return html
    _build.index_page(page.file.src_uri, page.url)  # indexed in a child process
    if _build.piece(page.file.src_uri):
        page.markdown = ""  # read no more: the engine's title only asks whether it is None
    return final


def on_env(env: Any, /, *, config: MkDocsConfig, files: Files) -> Any:
    assert _build is not None and _rebuild is not None
    if env.bytecode_cache is None:  # templates compiled once, not in every build
        env.bytecode_cache = rebuild.template_cache(Path(config.config_file_path).parent)
    _markdown.drop()  # every page is rendered: the last one's objects are let go
    env.globals["hub_generator"] = engine.generator()  # MkDocs or ProperDocs, and Material
    # the nav, tabs and config script rendered once per place, not once per page
    env.globals.update(theme.template_globals(theme.config_files(config)))
    try:  # every page's content is rendered by now; templates and writing come next
        _build.write_search(Path(config.site_dir))
    except SearchIndexError as exc:
        raise PluginError(f"search index: {exc}") from None
    _rebuild.all_rendered()
    return env


def on_post_page(output: str, /, *, page: Page, config: MkDocsConfig) -> str:
    assert _build is not None and _rebuild is not None
    _rebuild.wrote(page.file.src_uri, output.encode("utf-8", errors="xmlcharrefreplace"))
    if _build.piece(page.file.src_uri):
        page.content = ""  # a piece is in no nav and on no other page: not needed again
    return output


def on_post_build(*, config: MkDocsConfig) -> None:
    global _rebuild
    assert _build is not None and _rebuild is not None
    site = Path(config.site_dir)
    try:
        report = _build.search_index(site)
    except SearchIndexError as exc:
        raise PluginError(f"search index: {exc}") from None
    if report:
        _rebuild.search_saved(report.fingerprint)  # for the cache, should the build fail still
        log.info(build.search_summary(report))
    templates = [*config.theme.static_templates, "sitemap.xml.gz"]  # the engine writes these
    written = (str(site / name) for name in templates)
    log.info(_rebuild.finish(written, search=report.fingerprint if report else ""))
    _rebuild = None


def on_build_error(*, error: Exception) -> None:
    _stop()


def on_shutdown() -> None:
    _stop(wait=False)
