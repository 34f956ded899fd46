"""MkDocs event glue for channelhub: MkDocs objects in, plain data to the package, results back.

No logic and no network here: everything lives in `channelhub.build`, so moving to another
engine only means rewriting this file.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page

from channelhub import engine
from channelhub.build import HubBuild
from channelhub.dates import NowError
from channelhub.search import SearchIndexError
from channelhub.settings import Settings

log = logging.getLogger("mkdocs.plugins.channelhub")

# Reset in on_config so that `mkdocs serve` rebuilds never see a previous build's state.
_build: HubBuild | None = None
# Set once per command: `mkdocs serve` previews drafts, scheduled and expired pieces.
_preview = False


def on_startup(*, command: str, dirty: bool) -> None:
    global _preview
    _preview = command == "serve"


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    global _build
    _stop()
    _build = None
    return config


def _stop() -> None:
    """Stop a previous build's search indexer (a failed build, a `mkdocs serve` rebuild)."""
    if _build is not None:
        _build.stop_search()


def on_pre_build(*, config: MkDocsConfig) -> None:
    # Off by default: a normal build never touches the network.
    from channelhub.pull import pull_before_build, pull_enabled

    if not pull_enabled(config.extra.get("hub")):
        return
    info, warnings = pull_before_build(Path(config.config_file_path).parent)
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
    root = Path(config.config_file_path).parent
    try:
        _build = HubBuild.start(root, Path(config.docs_dir), _settings(config), preview=_preview)
    except NowError as exc:
        raise PluginError(str(exc)) from None
    try:
        _build.start_search()
    except SearchIndexError as exc:
        raise PluginError(f"search index: {exc}") from None
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
    return files


def on_page_markdown(markdown: str, /, *, page: Page, config: MkDocsConfig, files: Files) -> str:
    assert _build is not None
    src_uri = page.file.src_uri
    title = _build.page_title(src_uri)
    if title and "title" not in page.meta:
        page.meta["title"] = title
    canonical = _build.canonical_url(src_uri)
    if canonical:
        page.canonical_url = canonical
    return _build.page_markdown(src_uri, markdown) or markdown


def on_page_content(html: str, /, *, page: Page, config: MkDocsConfig, files: Files) -> str:
    assert _build is not None
    final = _build.page_html(page.file.src_uri, html)
    for problem in _build.link_problems():
        log.warning(problem)  # what MkDocs' link check says of a Markdown link: strict fails
    if final is None:
        return html
    _build.index_page(page.file.src_uri, page.url)  # indexed in a child process, on the other core
    return final


def on_env(env: Any, /, *, config: MkDocsConfig, files: Files) -> Any:
    assert _build is not None
    env.globals["hub_generator"] = engine.generator()  # MkDocs or ProperDocs, and Material
    try:  # every page's content is rendered by now; templates and writing come next
        _build.write_search(Path(config.site_dir))
    except SearchIndexError as exc:
        raise PluginError(f"search index: {exc}") from None
    return env


def on_post_page(output: str, /, *, page: Page, config: MkDocsConfig) -> str:
    assert _build is not None
    if _build.piece(page.file.src_uri):
        # A piece is in no nav and on no other page: once written, its text is not needed again.
        page.markdown, page.content = "", ""
    return output


def on_post_build(*, config: MkDocsConfig) -> None:
    assert _build is not None
    try:
        report = _build.search_index(Path(config.site_dir))
    except SearchIndexError as exc:
        raise PluginError(f"search index: {exc}") from None
    if report:
        log.info(
            f"search: indexed {report.pages} pages ({report.words} words, {report.terms} distinct, "
            f"{report.shards} shards); wrote it in {report.seconds:.1f} s, the build waited {report.waited:.1f} s for it"
        )


def on_build_error(*, error: Exception) -> None:
    _stop()


def on_shutdown() -> None:
    _stop()
