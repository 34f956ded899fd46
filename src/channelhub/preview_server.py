"""`channelhub serve`: the engine's live-reload server, with a build loop that never hangs.

MkDocs' own `serve` builds into a new temporary folder each time, holds every request until a
rebuild succeeds, and stays stuck after a failed one ("The server will appear stuck until build
errors are resolved"): with `strict: true`, any content problem did that. Here the engine's
`LiveReloadServer` (the same class in MkDocs and ProperDocs) runs a loop of our own:

- the builds run in a worker process (`channelhub.preview.worker`, kept for the whole
  session), so the server answers while they run, from what is on disk (the last build's
  pages); browsers reload when each build ends, whether it worked or not;
- each build's problems come back as a `Report` and show over the page they belong to, or
  over every page when they concern the whole site or the build stopped;
- the builds are incremental, into a folder of their own; the server answers from the
  served folder (`.cache/channelhub/serve-site/`), which only a build that worked updates
  (`channelhub.preview_build`); both are kept between sessions, so a session answers at once
  with the last one's pages and its first build reuses the last one's;
- Ctrl-C, SIGTERM and SIGHUP stop the server, the watcher and the worker (which stops the
  hub's search indexer) before the process ends.

Import this module only after `engine.Engine.activate()`: it imports the running engine's
`mkdocs.*`. It replaces `LiveReloadServer`'s build loop and reads its epochs, which are
private; both engines are MkDocs 1.6 code, pinned below 2, and tests/test_serve.py runs each.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import posixpath
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, ClassVar

import watchdog.events
import watchdog.observers
import watchdog.observers.polling
from mkdocs.livereload import LiveReloadServer

from channelhub.preview import Notice, Ready, Report, Start, decorate, interrupt, placeholder
from channelhub.sandbox import Child

log = logging.getLogger("mkdocs.channelhub.serve")

#: how long the worker has to stop (it stops the hub's search indexer) before it is killed
STOP = 3.0


class PreviewError(Exception):
    """The preview cannot start; the message says why and what to do."""


def serve(engine_name: str, config_file: Path, dev_addr: str, site_dir: Path) -> None:
    """Preview the hub of `config_file` on `dev_addr` until Ctrl-C, SIGTERM or SIGHUP (unless
    its caller ignores SIGHUP, as `nohup` does)."""
    # SIGHUP ignored stays ignored: `nohup channelhub serve` outlives its terminal. SIGTERM
    # always stops it (an ignored SIGTERM is a launcher's accident: `kill` must stop a preview,
    # and its build worker stops on SIGTERM whatever it inherited).
    stopping = [signal.SIGTERM]
    if signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:
        stopping.append(signal.SIGHUP)
    old = {sig: signal.signal(sig, interrupt) for sig in stopping}
    try:
        with (
            _only_preview(site_dir),
            Worker(Start(engine_name, config_file, dev_addr, site_dir)) as worker,
        ):
            ready = worker.ready
            server = PreviewServer(worker, ready, root=str(site_dir))
            for path in ready.watch:
                server.watch(path)
            try:
                server.serve()
            except OSError as exc:
                if exc.errno not in (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES):
                    raise
                raise PreviewError(f"cannot serve on {dev_addr}: {exc.strerror}") from None
            finally:
                server.shutdown()
    except KeyboardInterrupt:
        log.info("Shutting down...")
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


class Worker:
    """The build worker, seen from the server: start it, ask for builds, stop it. A worker
    that dies is reported as a failed build and replaced at the next one."""

    def __init__(self, start: Start) -> None:
        self.start = start
        self.child: Child | None = None
        self.stopped = False  # set for good when the preview stops (`close`)
        try:
            self.ready = self._launch()
        except BaseException:
            self.stop()
            raise

    def _launch(self) -> Ready:
        self.child = Child("channelhub.preview:worker")
        self.child.conn.send(self.start)
        kind, answer = self._answer(self.child)
        if kind == "error":
            raise PreviewError(answer)
        assert kind == "ready"
        return answer  # type: ignore[no-any-return]

    def build(self) -> Report:
        """Ask for a build and wait for its report (Ctrl-C and SIGTERM get through)."""
        if self.stopped:  # the preview is stopping: no new worker, no build
            return Report(failed=True)
        try:
            if self.child is None or not self.child.alive:
                self._launch()
            assert self.child is not None
            self.child.conn.send(True)
            kind, report = self._answer(self.child)
            assert kind == "built"
            return report  # type: ignore[no-any-return]
        except (EOFError, OSError, PreviewError) as exc:
            code = self.child.wait(timeout=1) if self.child is not None else None
            self.stop()
            reason = f"exit status {code}" if code is not None else str(exc) or type(exc).__name__
            message = f"the build process ended ({reason}); the next save starts a new one"
            log.error(message)
            return Report((Notice(message, "error"),), failed=True)

    @staticmethod
    def _answer(child: Child) -> tuple[str, Any]:
        while not child.conn.poll(0.25):  # wake now and then so that signals get through
            if not child.alive:
                raise EOFError
        return child.conn.recv()  # type: ignore[no-any-return]

    def stop(self) -> None:
        """Stop the worker: SIGTERM stops a build in progress and lets it stop the indexer."""
        child, self.child = self.child, None
        if child is None:
            return
        with contextlib.suppress(ProcessLookupError):
            child.process.terminate()
        if child.wait(timeout=STOP) is None:
            log.warning("The build process did not stop in time; killed it")
        child.kill()

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stopped = True
        self.stop()


class PreviewServer(LiveReloadServer):
    """The engine's server with a build loop that never holds a request, and the last
    build's problems over the pages it sends."""

    def __init__(self, worker: Worker, ready: Ready, *, root: str) -> None:
        super().__init__(
            builder=lambda: None,
            host=ready.host,
            port=ready.port,
            root=root,
            mount_path=ready.mount_path,
        )
        self.worker = worker
        self.observer = _Observer()  # type: ignore[assignment]
        self.error_handler = self._error_page
        self.report = Report()
        self.building = False
        self._want_rebuild = True  # the first build starts as soon as the port answers

    def _build_loop(self) -> None:
        first = True
        while True:
            with self._rebuild_cond:
                while not self._rebuild_cond.wait_for(
                    lambda: self._want_rebuild or self._shutdown, timeout=self.shutdown_delay
                ):
                    pass  # wake now and then so that Ctrl-C gets through
                if self._shutdown:
                    break
                if not first:
                    log.info("Detected file changes")
                first = False
                while not self._shutdown and self._rebuild_cond.wait(timeout=self.build_delay):
                    pass  # until the files stop changing
                if self._shutdown:
                    break  # a change seen as the preview stops is not built
                self._want_rebuild = False
            with self._epoch_cond:
                self.building = True
            try:
                self.report = self.worker.build()
            finally:
                with self._epoch_cond:
                    # Requests never wait on the epochs: they move together, after each build.
                    epoch = max(self._visible_epoch + 1, round(time.monotonic() * 1000))
                    self._visible_epoch = self._wanted_epoch = epoch
                    self.building = False
                    self._epoch_cond.notify_all()
            log.info("Reloading browsers")

    def serve_request(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ["PATH_INFO"].encode("latin-1").decode("utf-8", "ignore")
        response: list[Any] = []

        def keep(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            response[:] = [status, headers]
            return lambda data: None

        body = super().serve_request(environ, keep)
        status, headers = response
        if not dict(headers).get("Content-Type", "").startswith("text/html"):
            start_response(status, headers)
            return body
        try:
            content = b"".join(body)
        finally:
            with contextlib.suppress(AttributeError):
                body.close()  # type: ignore[attr-defined]
        report = self.report
        content = decorate(content, report.for_page(self._page(path)), failed=report.failed)
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        start_response(status, [*headers, ("Content-Length", str(len(content)))])
        return [content]

    def _page(self, path: str) -> str:
        """The file under the site a request path names, as the server resolves it."""
        rel = path[len(self.mount_path) :] if (path + "/").startswith(self.mount_path) else path
        if path.endswith("/"):
            rel += "index.html"
        return posixpath.normpath("/" + rel).lstrip("/")

    def _error_page(self, code: int) -> bytes:
        """What a missing page shows: that the preview is building, the site's 404 page, or
        a page of our own; it reloads when the next build ends."""
        not_found = Path(self.root) / "404.html"
        if self.building:
            content = placeholder(
                "Building the preview", "This page reloads by itself when the build is done."
            )
        elif code == 404 and not_found.is_file():
            content = not_found.read_bytes()
        elif self.report.failed:  # e.g. a change that rebuilds everything, then failed
            content = placeholder(
                "The preview could not be built", "Fix the problems below and save: it reloads."
            )
        else:
            content = placeholder("Nothing here yet", "The preview has no page at this address.")
        return self._inject_js_into_html(content, self._visible_epoch)  # type: ignore[no-any-return]


class _Observer:
    """Watches files with the system's notifications (inotify), or by polling as MkDocs does
    when the system refuses (too many watches): a save is noticed at once, without stat-ing
    every file of a 10,000-piece hub twice a second. Only changes count: the build's own
    reads (opened, closed unchanged) would start the next build."""

    CHANGES: ClassVar[list[type[watchdog.events.FileSystemEvent]]] = [
        watchdog.events.FileCreatedEvent,
        watchdog.events.FileModifiedEvent,
        watchdog.events.FileClosedEvent,
        watchdog.events.FileDeletedEvent,
        watchdog.events.FileMovedEvent,
    ]

    def __init__(self) -> None:
        self.active: Any = watchdog.observers.Observer()
        self.watches: list[tuple[watchdog.events.FileSystemEventHandler, str, bool]] = []

    def schedule(
        self, handler: watchdog.events.FileSystemEventHandler, path: str, *, recursive: bool = False
    ) -> Any:
        self.watches.append((handler, path, recursive))
        return self.active.schedule(handler, path, recursive=recursive, event_filter=self.CHANGES)

    def unschedule(self, watch: Any) -> None:
        self.active.unschedule(watch)

    def start(self) -> None:
        try:
            self.active.start()
        except OSError as exc:
            log.info(f"Watching files by polling ({exc.strerror})")
            self.active = watchdog.observers.polling.PollingObserver(timeout=0.5)
            for handler, path, recursive in self.watches:
                self.active.schedule(handler, path, recursive=recursive)
            self.active.start()

    def stop(self) -> None:
        self.active.stop()

    def join(self, timeout: float | None = None) -> None:
        self.active.join(timeout)


@contextlib.contextmanager
def _only_preview(site_dir: Path) -> Iterator[None]:
    """One preview per repository: a second would build into the same folder."""
    site_dir.mkdir(parents=True, exist_ok=True)
    lock: IO[str] = open(site_dir.with_name(site_dir.name + ".lock"), "w")  # noqa: SIM115
    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise PreviewError(
                "another channelhub serve is previewing this repository; stop it first"
            ) from None
        yield
