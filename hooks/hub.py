"""MkDocs event glue for channelhub: MkDocs objects in, plain data to the package, results back.

No logic and no network here: everything lives in `channelhub.build` (the hub's part of a
build) and `channelhub.rebuild` (what a dirty build may reuse), so moving to another engine
only means rewriting this file. It runs unchanged under ProperDocs, which answers to `mkdocs`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import markdown
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

from channelhub import engine, rebuild, search, theme
from channelhub.build import HubBuild
from channelhub.dates import NowError
from channelhub.search import SearchIndexError
from channelhub.settings import Settings, pull_enabled

log = logging.getLogger("mkdocs.plugins.channelhub")

# Reset in on_config so that `mkdocs serve` rebuilds never see a previous build's state.
_build: HubBuild | None = None
_rebuild: rebuild.Rebuild | None = None
_config: MkDocsConfig | None = None
#: pieces' front matter as the engine reads it, from the hub's own reading, until the page is read
_meta: dict[str, dict[str, Any]] = {}
#: the build's one Python-Markdown instance for pages outside the nav (`_shared_markdown`)
_markdown: list[markdown.Markdown | None] = []

#: Markdown extensions whose whole state of one page Python-Markdown's `reset()` clears (their
#: source read for that: footnotes, toc, superfences, details, snippets and md_in_html reset
#: theirs; the others keep none). With any other extension every page gets its own instance.
_RESETTABLE = frozenset(
    {
        "abbr", "admonition", "attr_list", "def_list", "fenced_code", "footnotes", "md_in_html",
        "tables", "toc", "pymdownx.details", "pymdownx.superfences", "pymdownx.snippets",
    }
)  # fmt: skip


class _HtmlPage(Page):
    """A page outside the nav: a piece, a page the hub generates, a hand-written one.

    MkDocs makes a Python-Markdown instance with every extension for each page it renders
    (0.3 ms a page, as much as the rest of a listing page's Markdown); these share one a build,
    reset between pages as Python-Markdown provides for, with the engine's own per-page
    processors registered again on it (`_shared_markdown`), and render exactly as the engine's
    `Page.render`. A blank text (a generated body that is all HTML, `pages.Body.markdown`)
    needs no instance: it gets what Python-Markdown makes of one at once."""

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
        md = _shared_markdown(config)
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
            _markdown.clear()  # a failed page leaves no state to the next one: a new instance
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


def _shared_markdown(config: MkDocsConfig) -> markdown.Markdown | None:
    """The build's Python-Markdown instance, reset for the next page; None when an extension
    is not known to let `reset()` clear its state (the engine's own instance a page then)."""
    if not _markdown:
        extensions = config["markdown_extensions"]
        configs = config["mdx_configs"] or {}
        known = all(isinstance(e, str) and e in _RESETTABLE for e in extensions)
        if known and configs.get("footnotes", {}).get("UNIQUE_IDS"):
            known = False  # its ids count the documents an instance has seen
        _markdown.append(
            markdown.Markdown(extensions=extensions, extension_configs=configs) if known else None
        )
    md = _markdown[0]
    if md is None:
        return None
    md.reset()
    return md


def _rendering() -> str | None:
    """The page the engine is reading or writing now (MkDocs and ProperDocs keep it there)."""
    page = getattr(_config, "_current_page", None)
    return page.file.src_uri if page is not None else None


def on_startup(*, command: str, dirty: bool) -> None:
    # kept in the package (hooks may be loaded again); `serve` previews drafts, scheduled and
    # expired pieces (`rebuild.serving`)
    rebuild.started(command, dirty)


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    global _build, _config
    _stop()
    _build, _config = None, config
    _meta.clear()
    _markdown.clear()
    rebuild.listen(logging.getLogger("mkdocs"), engine_build.log)  # warnings by page
    return config


def _stop(*, wait: bool = True) -> None:
    """Stop a previous build's search indexer and release its cache (a failed build, a
    `mkdocs serve` rebuild; at shutdown without waiting for an index being written)."""
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
    # Off by default: a normal build never touches the network, nor imports the pull's
    # modules (numpy, httpx: 0.3 s).
    if not pull_enabled(_settings(config)):
        return
    from channelhub.pull import pull_before_build

    info, warnings = pull_before_build(root)
    for line in info + warnings:
        log.info(line)  # info, not warning: a failing feed must not fail a strict build


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


def on_files(files: Files, /, *, config: MkDocsConfig) -> Files:
    global _build
    assert _rebuild is not None
    root = Path(config.config_file_path).parent
    try:
        with rebuild.collector_paused():  # reading every piece: no garbage cycles
            _build = HubBuild.start(
                root,
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
    generated = _build.generated_files(exists=lambda uri: files.get_file_from_path(uri) is not None)
    for src_uri, content in generated.items():
        files.append(File.generated(config, src_uri, content=content))
    for src_uri in _build.held_files():  # not rendered, not in the sitemap; a link to one is info
        held = files.get_file_from_path(src_uri)
        if held is not None:
            held.inclusion = InclusionLevel.EXCLUDED
    _build.set_urls({f.src_uri: f.url for f in files if not f.inclusion.is_excluded()})
    _rebuild.plan(
        files, _build.page_parts, nav=config.nav, rendering=_rendering, keep=_build.can_keep
    )
    _build.planned(_rebuild.keys)
    return files


def on_nav(nav: Any, /, *, config: MkDocsConfig, files: Files) -> Any:
    assert _rebuild is not None and _build is not None
    _rebuild.nav_pages(nav.pages)
    in_nav = {id(page) for page in nav.pages}
    for file in files.documentation_pages():  # each page outside the nav, as the engine made it
        if type(file.page) is Page and id(file.page) not in in_nav:
            file.page.__class__ = _HtmlPage  # only its render differs: no second __init__
    return nav


def on_page_read_source(*, page: Page, config: MkDocsConfig) -> str | None:
    """A piece's text with its front matter already read: the engine gets an empty one and
    the hub's reading of it (`on_page_markdown`), so it does not parse each piece's YAML again."""
    assert _build is not None
    found = _build.engine_source(page.file.src_uri, lambda: page.file.content_string, FRONT_MATTER)
    if found is None:
        return None  # the engine reads the file itself
    # new objects on every read: the engine may change them
    source, _meta[page.file.src_uri] = found
    return source


def on_page_markdown(markdown: str, /, *, page: Page, config: MkDocsConfig, files: Files) -> str:
    assert _build is not None
    src_uri = page.file.src_uri
    meta = _meta.pop(src_uri, None)
    if meta is not None:
        page.meta = meta
    title = _build.page_title(src_uri)
    if title and "title" not in page.meta:
        page.meta["title"] = title
    canonical = _build.canonical_url(src_uri)
    if canonical:
        page.canonical_url = canonical
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
    _build.index_page(page.file.src_uri, page.url)  # indexed in a child process, on the other core
    if _build.piece(page.file.src_uri):
        # Rendered: its Markdown is read no more (the engine's page title, from the meta or the
        # rendered heading, only asks whether it is None), and every piece's would otherwise
        # wait for the templates (3.7 KB a piece at the build's peak).
        page.markdown = ""
    return final


def on_env(env: Any, /, *, config: MkDocsConfig, files: Files) -> Any:
    assert _build is not None
    if env.bytecode_cache is None:  # templates compiled once, not in every build
        env.bytecode_cache = rebuild.template_cache(Path(config.config_file_path).parent)
    _markdown.clear()  # every page is rendered: the last one's objects are let go
    env.globals["hub_generator"] = engine.generator()  # MkDocs or ProperDocs, and Material
    # the nav, tabs and config script rendered once per place, not once per page
    env.globals.update(theme.template_globals(theme.config_files(config)))
    try:  # every page's content is rendered by now; templates and writing come next
        _build.write_search(Path(config.site_dir))
    except SearchIndexError as exc:
        raise PluginError(f"search index: {exc}") from None
    if _rebuild is not None:
        _rebuild.all_rendered()
    return env


def on_post_page(output: str, /, *, page: Page, config: MkDocsConfig) -> str:
    assert _build is not None and _rebuild is not None
    _rebuild.wrote(page.file.src_uri, output.encode("utf-8", errors="xmlcharrefreplace"))
    if _build.piece(page.file.src_uri):
        # A piece is in no nav and on no other page: once written, its text is not needed again.
        page.content = ""
    return output


def on_post_build(*, config: MkDocsConfig) -> None:
    global _rebuild
    assert _build is not None and _rebuild is not None
    try:
        report = _build.search_index(Path(config.site_dir))
    except SearchIndexError as exc:
        raise PluginError(f"search index: {exc}") from None
    if report:
        _rebuild.search_saved(report.fingerprint)  # for the cache, should the build fail still
        log.info(
            f"search: indexed {report.pages} pages ({report.words} words, {report.terms} distinct, "
            f"{report.shards} shards); wrote it in {report.seconds:.1f} s, the build waited {report.waited:.1f} s for it"
        )
    site = Path(config.site_dir)
    templates = [*config.theme.static_templates, "sitemap.xml.gz"]  # the engine writes these
    log.info(
        _rebuild.finish(
            (str(site / name) for name in templates), search=report.fingerprint if report else ""
        )
    )
    _rebuild = None


def on_build_error(*, error: Exception) -> None:
    _stop()


def on_shutdown() -> None:
    _stop(wait=False)
