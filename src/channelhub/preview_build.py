"""The preview's builds, in a worker process of their own so that the server answers while
they run (`channelhub.preview.worker` starts them; `channelhub.preview_server` asks).

A preview build is the engine's build of mkdocs.yml, never strict (a content problem must
not stop it: it is shown on the page instead), with every problem it logs collected into a
`Report`; whatever it raises becomes the report too. It is incremental as `channelhub build`
is (dirty, the hub deciding page by page: `channelhub.rebuild`), into a build folder of its
own kept between sessions (`<site>.build`, whose build cache is keyed on it); the server
answers from the served folder, which a build that worked then brings up to date
(`channelhub.preview_site.Mirror`) and a build that failed leaves as it was. The worker lives
as long as the preview, so the hub's in-memory state survives from one build to the next.
Import this module only after `engine.Engine.activate()`.
"""

from __future__ import annotations

import logging
import os
import posixpath
import shutil
import sys
import threading
import traceback
from pathlib import Path
from urllib.parse import urlsplit

from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import MkDocsException
from mkdocs.structure.files import File
from mkdocs.structure.pages import Page

from channelhub import engine
from channelhub.preview import Collector, Ready, Report, Start
from channelhub.preview_site import Mirror
from channelhub.rebuild.session import make_pages, settle

log = logging.getLogger("mkdocs.channelhub.serve")

#: rebuild the build folder in place, the hub's hooks deciding which pages to render again
#: (issue 19); off, every build is whole (MkDocs' own dirty mode, without the hub's keys,
#: trusts file times, which miss a page whose listing or topic changed)
INCREMENTAL = True


class ConfigError(Exception):
    """mkdocs.yml cannot be read at the start; the message says why."""


class Builds:
    """The preview's builds of one config, from the first to the last."""

    def __init__(self, start: Start) -> None:
        self.start = start
        self.root = start.config_file.parent
        self.site_dir = start.site_dir
        #: where the builds write, kept between sessions; the served folder mirrors it
        self.build_dir = self.site_dir.with_name(self.site_dir.name + ".build")
        self.mirror = Mirror(self.build_dir, self.site_dir)
        for pattern in (".next", ".old*"):  # the folders of earlier versions' whole builds
            for stale in self.site_dir.parent.glob(self.site_dir.name + pattern):
                _delete_later(stale)
        try:
            self.config = self.load()
        except MkDocsException as exc:
            raise ConfigError(f"{start.config_file.name}: {exc}") from None
        self.first: MkDocsConfig | None = self.config
        host, port = self.config.dev_addr
        mount = "/" + urlsplit(self.config.site_url or "/").path.strip("/")
        self.url = f"http://{host}:{port}{mount.rstrip('/')}/"
        self.config.site_url = self.url
        # As `mkdocs serve` says it: hooks/hub.py then previews drafts, scheduled and expired
        # pieces with their banners (tests/test_publication.py checks it under channelhub serve).
        self.config.plugins.on_startup(command="serve", dirty=INCREMENTAL)
        watch = [self.config.docs_dir, self.config.config_file_path, self.config.theme.custom_dir]
        self.ready = Ready(
            url=self.url,
            host=host,
            port=port,
            mount_path=mount,
            watch=tuple(str(path) for path in [*watch, *self.config.watch] if path),
        )

    def load(self) -> MkDocsConfig:
        """mkdocs.yml as the preview builds it: never strict, into the preview's folder (the
        hub's hooks keep the theme's templates compiled between builds, in .cache/)."""
        return load_config(
            config_file=str(self.start.config_file),
            site_dir=str(self.build_dir),
            dev_addr=self.start.dev_addr,
            strict=False,
        )

    def build(self) -> Report:
        """One build and what it reported; nothing it raises escapes."""
        collector = Collector(self.root, self._page_of)
        for logger in engine.loggers():
            logger.addHandler(collector)
        failure = None
        crashed = ""
        try:
            config = self.first or self.load()
            self.first = None
            config.site_url = self.url
            self.config = config
            collector.current = lambda: self._current(config)
            build(config, serve_url=self.url, dirty=INCREMENTAL)
            try:
                log.info(str(self.mirror.update()))
            except OSError as exc:  # e.g. a full disk: the next update compares everything
                failure = f"could not update the preview's folder {self.site_dir}: {exc}"
        except MkDocsException as exc:  # its messages are logged already
            failure = str(exc)
        except Exception as exc:  # a bug in a hook or an extension: the preview carries on
            failure = f"the build failed: {type(exc).__name__}: {exc}"
            crashed = traceback.format_exc()
        finally:
            for logger in engine.loggers():
                logger.removeHandler(collector)
        report = collector.report(failure)
        if crashed and report.notices[-1].text == failure:  # nothing said why: a bug
            sys.stderr.write(crashed)
        if failure is not None:
            log.error(
                f"{failure}\nThe preview shows the last build that worked, with the problems on every page."
            )
        return report

    def tidy(self) -> None:
        """Between builds, while the browsers reload: the engine's page objects of the pages
        the last build rendered made anew for the next (`rebuild.session.make_pages`: 10,000
        after a whole build, out of the way of the next save), then the last build's garbage
        collected and what is left frozen (`rebuild.session.settle`)."""
        config = self.config
        make_pages(lambda file: Page(None, file, config))
        settle()

    def shutdown(self) -> None:
        self.config.plugins.on_shutdown()

    def _page_of(self, path: str) -> str | None:
        """The output path of the page built from `path` (from the repository root), if any."""
        config = self.config
        try:
            docs = Path(config.docs_dir).resolve()
            src_uri = (self.root / path).resolve().relative_to(docs).as_posix()
        except ValueError:
            return None
        file = File(src_uri, config.docs_dir, config.site_dir, config.use_directory_urls)
        return file.dest_uri if file.is_documentation_page() else None

    def _current(self, config: MkDocsConfig) -> str | None:
        """The file of the page being built, from the repository root."""
        page = getattr(config, "_current_page", None)
        if page is None:
            return None
        docs = Path(os.path.relpath(config.docs_dir, self.root)).as_posix()
        return posixpath.join(docs, page.file.src_uri)


def _delete_later(folder: Path) -> None:
    """Delete `folder` in the background; what a worker that stops leaves, the next removes."""
    threading.Thread(
        target=shutil.rmtree, args=(folder,), kwargs={"ignore_errors": True}, daemon=True
    ).start()
