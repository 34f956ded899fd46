"""Worker processes: the hub's one way to run work in another process, and its limits.

The policy, written down here and nowhere else: every worker is a fresh interpreter
(`python -c`) started by subprocess and spoken to over two pipes (`Child`). Never fork: the
hub's callers run threads (`mkdocs serve`, pull's fetches), and a forked child inherits their
locks mid-use. Not multiprocessing's "spawn" either: it re-imports the caller's __main__ (the
mkdocs or channelhub console script, or a script without a main guard) in every child. A
worker ignores Ctrl-C: the parent decides when it stops, and a closed pipe ends it quietly.

On top of `Child`: a `Sandbox` keeps a few long-lived workers for tasks, used for untrusted
bytes (issue 5, layer 1: each worker under `RLIMIT_AS`, each task under `RLIMIT_CPU`, plus a
wall-clock deadline kept by the parent; a task that exceeds a limit or kills its worker
raises `SandboxError` for that task only, and the worker is replaced) and for plain parallel
work (`map`, as `--retag` does). The search indexer is a `Child` of its own. It knows nothing
of feeds.
"""

from __future__ import annotations

import contextlib
import math
import os
import queue
import resource
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

DEFAULT_TIME_LIMIT = 10.0
DEFAULT_MEMORY_LIMIT = 512 * 2**20


class SandboxError(Exception):
    """A task did not finish inside its limits (or its worker died); the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Unavailable(SandboxError):
    """The task never reached the worker (it had died in between): safe to retry."""


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _limit_self(memory_limit: int) -> None:
    """Limits that hold for the worker's whole life: address space, no core files."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _worker_main(conn: _Duplex, memory_limit: int) -> None:
    """Run tasks from `conn` until it closes; SIGXCPU (default action) ends a runaway task.

    A memory limit of 0 and a task's time limit of None mean none (plain parallel work)."""
    if memory_limit:
        _limit_self(memory_limit)
    _, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        func, args, kwargs, time_limit = task
        if time_limit is not None:
            # RLIMIT_CPU counts the process's whole life, so each task gets "used so far + limit".
            soft = math.ceil(_cpu_seconds() + time_limit)
            if cpu_hard != resource.RLIM_INFINITY:
                soft = min(soft, cpu_hard)
            resource.setrlimit(resource.RLIMIT_CPU, (soft, cpu_hard))
        try:
            reply: tuple[str, Any] = ("ok", func(*args, **kwargs))
        except MemoryError:
            reply = ("memory", None)
        except Exception as exc:
            reply = ("raise", exc)
        try:
            conn.send(reply)
        except Exception as exc:  # an unpicklable value or exception
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
        if reply[0] == "memory":
            return  # a fresh process is cheaper than trusting a heap that ran out


class _Duplex:
    """Two one-way pipe connections used as one (the worker talks over inherited fds)."""

    def __init__(self, reader: Connection, writer: Connection) -> None:
        self.reader, self.writer = reader, writer

    def recv(self) -> Any:
        return self.reader.recv()

    def send(self, obj: Any) -> None:
        self.writer.send(obj)

    def poll(self, timeout: float | None) -> bool:
        return self.reader.poll(timeout)

    @property
    def closed(self) -> bool:
        return self.reader.closed or self.writer.closed

    def close(self) -> None:
        self.reader.close()
        self.writer.close()


class Child:
    """One worker process (a fresh interpreter) and the parent's ends of its pipes.

    `target` is "module:function"; the child imports it and calls `function(conn, *args)`
    (`args` are integers), where `conn` has `send`, `recv` and `poll` over the pipes.
    """

    def __init__(self, target: str, *args: int) -> None:
        module, _, function = target.partition(":")
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        env = dict(os.environ)
        package_root = str(Path(__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        code = (
            "import sys; from channelhub.sandbox import _enter; "
            f"from {module} import {function}; _enter({function}, sys.argv[1:])"
        )
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", code, str(to_child_r), str(from_child_w), *map(str, args)],
                pass_fds=(to_child_r, from_child_w),
                stdin=subprocess.DEVNULL,
                env=env,
                close_fds=True,
            )
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self.conn = _Duplex(
            Connection(from_child_r, writable=False), Connection(to_child_w, readable=False)
        )

    @property
    def alive(self) -> bool:
        return self.process.poll() is None and not self.conn.closed

    @property
    def exitcode(self) -> int | None:
        return self.process.poll()

    def wait(self, timeout: float) -> int | None:
        """The exit code once the child has ended, or None if it is still running."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            return self.process.wait(timeout=timeout)
        return None

    def kill(self) -> None:
        """End the child now (safe to call on one that has ended) and close the pipes."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=5)
        self.conn.close()


def _enter(function: Callable[..., None], argv: list[str]) -> None:
    """A child's start: the policy's signal handling, then `function(conn, *args)`."""
    # Ctrl-C in a terminal reaches the whole process group: the parent stops and closes the
    # pipe, and the child ends on that, without a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    read_fd, write_fd, *args = map(int, argv)
    conn = _Duplex(Connection(read_fd, writable=False), Connection(write_fd, readable=False))
    function(conn, *args)


class _Worker:
    """A Sandbox worker: a `Child` that runs tasks under the limits."""

    def __init__(self, memory_limit: int | None) -> None:
        self.child = Child("channelhub.sandbox:_worker_main", memory_limit or 0)
        self.conn = self.child.conn

    def run(self, func: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any],
            time_limit: float | None, memory_limit: int | None) -> T:  # fmt: skip
        try:
            self.conn.send((func, args, kwargs, time_limit))
        except (OSError, ValueError) as exc:
            self.stop(force=True)
            raise _Unavailable(f"worker unavailable: {exc}") from None
        wall = None if time_limit is None else max(2 * time_limit, time_limit + 5)
        if not self.conn.poll(wall):
            self.stop(force=True)
            raise SandboxError(f"no result within {wall:g} s of wall time; worker killed")
        try:
            kind, payload = self.conn.recv()
        except (EOFError, OSError):
            raise SandboxError(self._death_reason(time_limit, memory_limit)) from None
        if kind == "ok":
            return payload  # type: ignore[no-any-return]
        if kind == "memory":
            self.stop(force=True)  # the worker exits after a MemoryError anyway
            raise SandboxError(f"memory limit of {(memory_limit or 0) // 2**20} MB exceeded")
        if kind == "raise":
            raise payload
        raise SandboxError(str(payload))

    def _death_reason(self, time_limit: float | None, memory_limit: int | None) -> str:
        code = self.child.wait(timeout=5)
        if code is None:
            return "worker stopped answering"
        if code == -signal.SIGXCPU:
            return f"CPU time limit of {time_limit or 0:g} s exceeded"
        if code == -signal.SIGKILL and memory_limit:
            return f"worker killed (memory limit {memory_limit // 2**20} MB?)"
        if code is not None and code < 0:
            return f"worker crashed ({signal.Signals(-code).name})"
        return f"worker exited with status {code}"

    @property
    def alive(self) -> bool:
        return self.child.alive

    def stop(self, *, force: bool = False) -> None:
        if not force:
            with contextlib.suppress(OSError, ValueError):
                self.conn.send(None)
            self.child.wait(timeout=2)
        self.child.kill()


class Sandbox:
    """A fixed number of limited worker processes; `run` is blocking and thread-safe.

    Workers start lazily on first use and are replaced after one dies, so a pull of 500 feeds
    starts `workers` processes, not 500.
    """

    def __init__(
        self,
        workers: int | None = None,
        *,
        time_limit: float | None = DEFAULT_TIME_LIMIT,
        memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
    ) -> None:
        self.size = max(1, workers or os.cpu_count() or 1)
        self.time_limit = time_limit
        self.memory_limit = memory_limit
        self._idle: queue.Queue[_Worker | None] = queue.Queue()
        for _ in range(self.size):
            self._idle.put(None)
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False

    def run(self, func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """`func(*args, **kwargs)` in a worker; its exceptions are re-raised here.

        `func`, its arguments and its result must pickle (a module-level function does).
        Raises SandboxError when a limit is exceeded or the worker dies.
        """
        if self._closed:
            raise SandboxError("sandbox is closed")
        worker = self._idle.get()
        try:
            if worker is None or not worker.alive:
                worker = self._start()
            try:
                return worker.run(func, args, kwargs, self.time_limit, self.memory_limit)
            except _Unavailable:
                self._forget(worker)
                worker = self._start()
                return worker.run(func, args, kwargs, self.time_limit, self.memory_limit)
        finally:
            if worker is not None and not worker.alive:
                self._forget(worker)
                worker = None
            self._idle.put(worker)

    def map(self, calls: Iterable[Callable[[], T]]) -> Iterator[T | Exception]:
        """Run each call (a `functools.partial` of a module-level function) in a worker, spread
        over the workers; the results in order, a call that raised (or failed its limits:
        `SandboxError`) as that exception, so one failure never hides the others."""
        if self._closed:
            raise SandboxError("sandbox is closed")
        with ThreadPoolExecutor(self.size, thread_name_prefix="channelhub-sandbox") as threads:
            futures = [threads.submit(self.run, call) for call in calls]
            for future in futures:
                try:
                    yield future.result()
                except Exception as exc:
                    yield exc

    def _start(self) -> _Worker:
        worker = _Worker(self.memory_limit)
        with self._lock:
            self._all.append(worker)
        return worker

    def _forget(self, worker: _Worker) -> None:
        worker.stop(force=True)
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)

    @property
    def pids(self) -> list[int]:
        """The process ids of the workers running now (for measuring them, as bench-pull does)."""
        with self._lock:
            return [w.child.process.pid for w in self._all if w.alive]

    def close(self) -> None:
        """Stop every worker (politely, then by force)."""
        self._closed = True
        with self._lock:
            workers, self._all = self._all, []
        for worker in workers:
            worker.stop()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
