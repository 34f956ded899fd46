"""Fetching feeds politely and safely: the HTTP layer of `channelhub pull`.

Owns the fetch policy (timeouts, a total deadline per feed, a cap on the decompressed body,
redirect limit, per-host and overall concurrency, User-Agent, address policy), conditional GET
with the validators exactly as received, hand-followed redirects (301/308 reported as moves),
the meaning of 304/410/404/5xx/429/503 (`FetchResult.outcome`), Retry-After, and reading the
bundled demo feeds from disk. It never raises for a network or HTTP problem: every failure is a
`FetchResult` with a one-line `error`. It does not parse feeds and stores no state: the caller
keeps `Validators`, `moved_to` and `retry_after` and passes them back next run.
"""

from __future__ import annotations

import asyncio
import mimetypes
import time
import zlib
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from channelhub import __version__
from channelhub.dates import utc_text
from channelhub.netguard import AddressRefused, GuardedBackend, ResolveError
from channelhub.urls import is_web_url


class FetchOutcome(StrEnum):
    """What one fetch came to (`FetchResult.outcome`)."""

    OK = "ok"  # a body to parse
    NOT_MODIFIED = "not_modified"  # HTTP 304: the validators still hold
    GONE = "gone"  # HTTP 410: never ask again
    ERROR = "error"
    REFUSED = "refused"  # the address policy said no
    DEFERRED = "deferred"  # not asked: its Retry-After has not passed yet


HUB_URL = "https://github.com/channelhub/channelhub"
MB = 1024 * 1024

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT = frozenset({301, 308})
_RETRY_AFTER_STATUSES = frozenset({429, 503})
_INFLATE_STEP = 64 * 1024  # most bytes one decompress call may produce: bounds memory per step
_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9,"
    " application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)


def default_user_agent(hub_url: str = HUB_URL) -> str:
    """The User-Agent naming the hub and where its operators can be found."""
    return f"channelhub/{__version__} (+{hub_url})"


@dataclass(frozen=True)
class FetchPolicy:
    """Limits and manners for one pull run; the defaults suit a few hundred feeds."""

    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    #: the whole fetch of one feed (every hop, headers and body): a server that drips bytes
    #: holds the run for no longer (Miniflux gives a whole request 20 s); a request may say less
    #: or more (a source's `timeout:`)
    deadline: float = 30.0
    max_bytes: int = 20 * MB  # counted after decompression
    max_redirects: int = 5
    per_host: int = 2
    concurrency: int = 16
    user_agent: str = field(default_factory=default_user_agent)
    allow_private: bool = False
    allow_hosts: frozenset[str] = frozenset()  # host names trusted past the address check
    max_retry_after: float = 7 * 86400.0  # a Retry-After further out is clamped to this

    def __post_init__(self) -> None:
        positive = {
            "connect_timeout": self.connect_timeout,
            "read_timeout": self.read_timeout,
            "deadline": self.deadline,
            "max_bytes": self.max_bytes,
            "per_host": self.per_host,
            "concurrency": self.concurrency,
        }
        for name, value in positive.items():
            if value <= 0:
                raise ValueError(f"FetchPolicy.{name} must be positive, got {value!r}")
        if self.max_redirects < 0:
            raise ValueError(f"FetchPolicy.max_redirects must be >= 0, got {self.max_redirects}")


@dataclass(frozen=True)
class Validators:
    """The conditional-GET validators of a feed, byte for byte as the server sent them."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FetchRequest:
    """One feed to fetch: an http(s) URL or a path relative to the repository root."""

    url: str
    validators: Validators = Validators()
    not_before: datetime | None = None  # a stored Retry-After: nothing is sent before it
    key: str = ""  # the caller's name for it (the source id), echoed in the result
    deadline: float | None = None  # seconds for the whole fetch; None: the policy's deadline


@dataclass(frozen=True)
class FetchResult:
    """What happened to one feed; `error` is a one-line reason whenever outcome is not ok."""

    outcome: FetchOutcome
    url: str
    final_url: str | None = None
    moved_to: str | None = None  # set only when every hop so far was a 301/308
    status: int | None = None
    body: bytes | None = None
    content_type: str | None = None
    validators: Validators = Validators()
    retry_after: datetime | None = None
    error: str | None = None
    elapsed: float = 0.0
    key: str = ""
    deadline: float = 0.0  # the deadline this fetch was given, in seconds
    timed_out: bool = False  # the deadline ended it


def parse_retry_after(value: str, now: datetime, cap: float) -> datetime | None:
    """Retry-After (delta seconds or HTTP date) as absolute UTC time, within [now, now + cap]."""
    text = value.strip()
    if text.isdigit():
        delay = float(text)
    else:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)  # HTTP dates are GMT by definition
        delay = (when - now).total_seconds()
    return (now + timedelta(seconds=min(max(delay, 0.0), cap))).astimezone(UTC)


def format_size(n: int) -> str:
    """A byte count for humans: 20 MB, 512 KB, 100 bytes."""
    if n >= MB and n % MB == 0:
        return f"{n // MB} MB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KB"
    return f"{n} bytes"


class FetchFailed(Exception):
    """A problem found while reading a response; the message is the result's error line."""


class _Inflater:
    """Incremental gzip/deflate decoding that never produces more than one step at a time."""

    def __init__(self, encoding: str) -> None:
        self._encoding = encoding
        self._wbits = 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS
        self._obj = zlib.decompressobj(self._wbits)
        self._started = False
        self._done = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        pending = data
        while pending and not self._done:
            try:
                out = self._obj.decompress(pending, _INFLATE_STEP)
            except zlib.error as exc:
                if self._encoding == "deflate" and not self._started:
                    # many servers send raw deflate under "deflate"; retry without the zlib header
                    self._wbits = -zlib.MAX_WBITS
                    self._obj = zlib.decompressobj(self._wbits)
                    self._started = True
                    continue
                raise FetchFailed(f"cannot decode {self._encoding} body: {exc}") from exc
            self._started = True
            if out:
                yield out
            if self._obj.eof:
                pending = self._next_member(self._obj.unused_data)
            else:
                pending = self._obj.unconsumed_tail

    def _next_member(self, rest: bytes) -> bytes:
        """Continue with a following gzip member; anything else after the end is ignored."""
        if self._encoding == "gzip" and rest.startswith(b"\x1f\x8b"):
            self._obj = zlib.decompressobj(self._wbits)
            return rest
        self._done = True
        return b""


def _decoder(content_encoding: str) -> Callable[[bytes], Iterator[bytes]]:
    """A chunk decoder for a Content-Encoding header (identity, gzip, x-gzip, deflate)."""
    codings = [c.strip().lower() for c in content_encoding.split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return lambda chunk: iter((chunk,))
    if len(codings) == 1 and codings[0] in ("gzip", "x-gzip", "deflate"):
        return _Inflater("deflate" if codings[0] == "deflate" else "gzip").feed
    raise FetchFailed(f"unsupported Content-Encoding {content_encoding!r}")


async def _read_capped(
    chunks: AsyncIterator[bytes], decode: Callable[[bytes], Iterator[bytes]], max_bytes: int
) -> bytes:
    """The decoded body, stopped as soon as it grows past max_bytes."""
    parts: list[bytes] = []
    total = 0
    async for chunk in chunks:
        for piece in decode(chunk):
            total += len(piece)
            if total > max_bytes:
                raise FetchFailed(f"body larger than {format_size(max_bytes)} after decompression")
            parts.append(piece)
    return b"".join(parts)


def _raw_header(response: httpx.Response, name: str) -> str | None:
    """A response header exactly as sent (latin-1 maps each byte to one character)."""
    wanted = name.lower().encode("ascii")
    for key, value in response.headers.raw:
        if key.lower() == wanted:
            return value.decode("latin-1")
    return None


def _conditional_headers(validators: Validators) -> dict[bytes, bytes]:
    """If-None-Match / If-Modified-Since carrying the stored validators byte for byte."""
    headers: dict[bytes, bytes] = {}
    if validators.etag is not None:
        headers[b"If-None-Match"] = validators.etag.encode("latin-1")
    if validators.last_modified is not None:
        headers[b"If-Modified-Since"] = validators.last_modified.encode("latin-1")
    return headers


def url_problem(url: str) -> str | None:
    """Why `url` cannot be fetched over HTTP (scheme, missing host), or None."""
    if not is_web_url(url, host=False):
        return f"refused: {url} is not an http or https URL"
    if not is_web_url(url):
        return f"refused: {url} has no host"
    return None


def is_local_path(url: str) -> bool:
    """True for a repository-relative path such as feeds/demo/x.xml (no scheme, no host)."""
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc and bool(parts.path)


def _timeout_message(exc: httpx.TimeoutException, policy: FetchPolicy) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return f"connect timeout after {policy.connect_timeout:g} s"
    if isinstance(exc, httpx.ReadTimeout):
        return f"read timeout after {policy.read_timeout:g} s"
    return f"timeout: {exc or type(exc).__name__}"


def read_local(url: str, root: Path, max_bytes: int) -> FetchResult:
    """Read a bundled feed from disk under `root`, with the same size cap as the network."""
    base = root.resolve()
    path = (base / url).resolve()
    if not path.is_relative_to(base):
        return FetchResult(
            FetchOutcome.REFUSED, url, error=f"refused: {url} is outside the repository"
        )
    try:
        with path.open("rb") as handle:
            body = handle.read(max_bytes + 1)
    except FileNotFoundError:
        return FetchResult(FetchOutcome.ERROR, url, error=f"{url}: no such file")
    except OSError as exc:
        return FetchResult(
            FetchOutcome.ERROR, url, error=f"{url}: cannot read: {exc.strerror or exc}"
        )
    if len(body) > max_bytes:
        return FetchResult(
            FetchOutcome.ERROR, url, error=f"{url}: larger than {format_size(max_bytes)}"
        )
    content_type, _ = mimetypes.guess_type(path.name)
    return FetchResult(FetchOutcome.OK, url, final_url=url, body=body, content_type=content_type)


@dataclass(frozen=True)
class _Redirect:
    status: int
    location: str


class _GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with its connection pool on the address-checking network backend."""

    def __init__(self, policy: FetchPolicy) -> None:
        super().__init__(trust_env=False)
        # httpx has no public hook for the network backend, so its pool is rebuilt with ours
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=policy.concurrency,
            max_keepalive_connections=policy.concurrency,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(
                allow_private=policy.allow_private, allow_hosts=policy.allow_hosts
            ),
        )


class _Deadline:
    """The time one feed may spend in requests; waiting for a free slot does not count."""

    def __init__(self, seconds: float) -> None:
        self.remaining = seconds

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        started = time.monotonic()
        try:
            async with asyncio.timeout(max(self.remaining, 0.0)):
                yield
        finally:
            self.remaining -= time.monotonic() - started


def _connect_message(url: str, exc: httpx.ConnectError) -> str:
    if isinstance(exc.__cause__, ResolveError):
        return str(exc)  # already names the host
    where = urlsplit(url).netloc.rpartition("@")[2]  # host[:port], never credentials
    return f"cannot connect to {where}: {exc}"


def _host_key(url: str) -> str:
    parts = urlsplit(url)
    return f"{(parts.hostname or '').lower()}:{parts.port or parts.scheme}"


class Fetcher:
    """Fetches many feeds with one client, bounded overall and per host. Use `async with`."""

    def __init__(
        self,
        policy: FetchPolicy,
        *,
        root: Path | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.policy = policy
        self._root = root if root is not None else Path.cwd()
        self._clock = clock
        self._overall = asyncio.Semaphore(policy.concurrency)
        self._per_host: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(policy.per_host)
        )
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Fetcher:
        policy = self.policy
        self._client = httpx.AsyncClient(
            transport=_GuardedTransport(policy),
            timeout=httpx.Timeout(
                connect=policy.connect_timeout,
                read=policy.read_timeout,
                write=policy.read_timeout,
                pool=policy.deadline,
            ),
            headers={
                "User-Agent": policy.user_agent,
                "Accept": _ACCEPT,
                "Accept-Encoding": "gzip, deflate",
            },
            follow_redirects=False,
            trust_env=False,
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def fetch(self, request: FetchRequest) -> FetchResult:
        """Fetch one feed; every problem comes back as a result, never as an exception."""
        started = time.monotonic()
        if request.not_before is not None and self._clock() < request.not_before:
            result = FetchResult(FetchOutcome.DEFERRED, request.url, retry_after=request.not_before)
        else:
            result = await self._fetch_guarded(request)
        deadline = request.deadline if request.deadline is not None else self.policy.deadline
        return replace(
            result, elapsed=time.monotonic() - started, key=request.key, deadline=deadline
        )

    async def _fetch_guarded(self, request: FetchRequest) -> FetchResult:
        seconds = request.deadline if request.deadline is not None else self.policy.deadline
        deadline = _Deadline(seconds)
        try:
            if not is_local_path(request.url):
                return await self._fetch_http(request, deadline)
            async with self._overall, deadline.running():
                return await asyncio.to_thread(
                    read_local, request.url, self._root, self.policy.max_bytes
                )
        except TimeoutError:
            message = f"deadline of {seconds:g} s exceeded"
            return FetchResult(
                FetchOutcome.ERROR, request.url, error=message, deadline=seconds, timed_out=True
            )
        except Exception as exc:  # one feed's surprise must never stop the run
            message = f"unexpected {type(exc).__name__}: {exc}"
            return FetchResult(FetchOutcome.ERROR, request.url, error=message)

    async def _fetch_http(self, request: FetchRequest, deadline: _Deadline) -> FetchResult:
        url = request.url
        seen = [url]
        moved_to: str | None = None
        permanent = True
        for _hop in range(self.policy.max_redirects + 1):
            outcome = await self._follow(request, url, seen, deadline)
            if isinstance(outcome, FetchResult):
                return replace(outcome, moved_to=moved_to)
            seen.append(outcome.location)
            # a temporary hop anywhere in the chain means the original URL stays the one to ask
            permanent = permanent and outcome.status in _PERMANENT
            if permanent:
                moved_to = outcome.location
            url = outcome.location
        message = f"more than {self.policy.max_redirects} redirects (last: {seen[-2]})"
        return FetchResult(
            FetchOutcome.ERROR, request.url, final_url=url, moved_to=moved_to, error=message
        )

    async def _follow(
        self, request: FetchRequest, url: str, seen: list[str], deadline: _Deadline
    ) -> FetchResult | _Redirect:
        """One hop: a final result, or the redirect with its absolute, unvisited target."""
        problem = url_problem(url)
        if problem is not None:
            return FetchResult(FetchOutcome.REFUSED, request.url, final_url=url, error=problem)
        outcome = await self._one_hop(request, url, deadline)
        if isinstance(outcome, FetchResult):
            return outcome
        target = urljoin(url, outcome.location)
        if target in seen:
            message = "redirect loop: " + " -> ".join([*seen, target])
            return FetchResult(FetchOutcome.ERROR, request.url, final_url=url, error=message)
        return _Redirect(outcome.status, target)

    async def _one_hop(
        self, request: FetchRequest, url: str, deadline: _Deadline
    ) -> FetchResult | _Redirect:
        """One request: a final result, or the redirect to follow."""
        assert self._client is not None, "use Fetcher inside `async with`"
        try:
            # host slot before the overall slot, so one busy host cannot hold every slot
            async with self._per_host[_host_key(url)], self._overall, deadline.running():
                http_request = self._client.build_request(
                    "GET", url, headers=_conditional_headers(request.validators)
                )
                response = await self._client.send(http_request, stream=True)
                try:
                    return await self._interpret(request, url, response)
                finally:
                    await response.aclose()
        except AddressRefused as exc:
            return FetchResult(FetchOutcome.REFUSED, request.url, final_url=url, error=str(exc))
        except httpx.TimeoutException as exc:
            message = _timeout_message(exc, self.policy)
            return FetchResult(FetchOutcome.ERROR, request.url, final_url=url, error=message)
        except httpx.ConnectError as exc:
            message = _connect_message(url, exc)
            return FetchResult(FetchOutcome.ERROR, request.url, final_url=url, error=message)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            message = f"{type(exc).__name__}: {exc}"
            return FetchResult(FetchOutcome.ERROR, request.url, final_url=url, error=message)

    async def _interpret(
        self, request: FetchRequest, url: str, response: httpx.Response
    ) -> FetchResult | _Redirect:
        status = response.status_code
        if status in _REDIRECTS:
            location = (_raw_header(response, "location") or "").strip()
            if not location:
                message = f"HTTP {status} redirect without a Location header"
                return FetchResult(
                    FetchOutcome.ERROR, request.url, final_url=url, status=status, error=message
                )
            return _Redirect(status, location)
        base = FetchResult(FetchOutcome.ERROR, request.url, final_url=url, status=status)
        if status == 304:
            validators = Validators(
                etag=_raw_header(response, "etag") or request.validators.etag,
                last_modified=_raw_header(response, "last-modified")
                or request.validators.last_modified,
            )
            return replace(base, outcome=FetchOutcome.NOT_MODIFIED, validators=validators)
        if status == 410:
            return replace(
                base, outcome=FetchOutcome.GONE, error=f"HTTP 410 {response.reason_phrase}"
            )
        if not 200 <= status < 300:
            return self._failure(base, response)
        return await self._success(base, response)

    def _failure(self, base: FetchResult, response: httpx.Response) -> FetchResult:
        status = response.status_code
        message = f"HTTP {status} {response.reason_phrase}".rstrip()
        retry_after = None
        header = _raw_header(response, "retry-after")
        if status in _RETRY_AFTER_STATUSES and header is not None:
            retry_after = parse_retry_after(header, self._clock(), self.policy.max_retry_after)
            if retry_after is not None:
                message += f"; retry after {utc_text(retry_after)}"
        return replace(base, error=message, retry_after=retry_after)

    async def _success(self, base: FetchResult, response: httpx.Response) -> FetchResult:
        try:
            body = await self._read_body(response)
        except FetchFailed as exc:
            return replace(base, error=str(exc))
        validators = Validators(
            etag=_raw_header(response, "etag"),
            last_modified=_raw_header(response, "last-modified"),
        )
        return replace(
            base,
            outcome=FetchOutcome.OK,
            body=body,
            content_type=response.headers.get("content-type"),
            validators=validators,
        )

    async def _read_body(self, response: httpx.Response) -> bytes:
        encoding = response.headers.get("content-encoding", "")
        length = response.headers.get("content-length", "")
        limit = self.policy.max_bytes
        if not encoding and length.isdigit() and int(length) > limit:
            raise FetchFailed(f"body larger than {format_size(limit)} (Content-Length {length})")
        return await _read_capped(response.aiter_raw(), _decoder(encoding), limit)


async def fetch_all(
    requests: Iterable[FetchRequest],
    policy: FetchPolicy,
    *,
    root: Path | None = None,
    on_done: Callable[[FetchResult], None] | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> list[FetchResult]:
    """Fetch every request concurrently within the policy's bounds; results in request order.

    `on_done` is called with each result as it finishes (for a progress display); it must not
    raise. `root` is the repository root for path sources (default: the current directory).
    """
    async with Fetcher(policy, root=root, clock=clock) as fetcher:

        async def one(request: FetchRequest) -> FetchResult:
            result = await fetcher.fetch(request)
            if on_done is not None:
                on_done(result)
            return result

        return list(await asyncio.gather(*(one(request) for request in requests)))


async def fetch_one(
    request: FetchRequest,
    policy: FetchPolicy,
    *,
    root: Path | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> FetchResult:
    """Fetch a single feed with its own client (use `Fetcher` or `fetch_all` for many)."""
    async with Fetcher(policy, root=root, clock=clock) as fetcher:
        return await fetcher.fetch(request)
