"""The address policy of the fetcher: which IP addresses a feed may reach, enforced at connect time.

Owns the classification of an address (loopback, private, link-local, ...) and `GuardedBackend`,
an httpcore network backend that resolves a host itself (getaddrinfo in a thread), refuses the
connection when any resolved address is not public, and then connects to the very address it
checked, so a second DNS answer cannot slip a private address in (no DNS-rebinding gap). TLS is
started by httpcore afterwards with the original host name, so SNI and certificate checks keep
the name, and the Host header is untouched. Every redirect hop that opens a connection passes
through here.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
from collections.abc import Iterable

import httpcore

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")

_PRIVATE_HINT = "(use --allow-private)"


class AddressRefused(Exception):
    """A connection was refused by the address policy; the message is the one-line reason."""


class ResolveError(httpcore.ConnectError):
    """A host name did not resolve; the message names the host."""


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, 6to4, NAT64), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_problem(address: str) -> str | None:
    """Why `address` must not be reached ("a loopback address", ...), or None if it is public."""
    try:
        ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        ip = _embedded_ipv4(ip) or ip
    checks = (
        (ip.is_unspecified, "the unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_private, "a private address"),
        (ip.is_reserved, "a reserved address"),
        (not ip.is_global, "not a public address"),
    )
    return next((label for flagged, label in checks if flagged), None)


def refusal_message(host: str, address: str, problem: str) -> str:
    """The one-line error for a refused address, naming the host when it is a name."""
    if host.strip("[]").lower() == address.lower():
        return f"refused: {address} is {problem} {_PRIVATE_HINT}"
    return f"refused: {host} resolves to {address}, {problem} {_PRIVATE_HINT}"


def check_addresses(host: str, addresses: Iterable[str]) -> None:
    """Raise AddressRefused if any address `host` resolved to is not public."""
    for address in addresses:
        problem = address_problem(address)
        if problem is not None:
            raise AddressRefused(refusal_message(host, address, problem))


async def resolve(host: str, port: int, timeout: float | None) -> list[str]:
    """The addresses of `host`, in the resolver's order, without duplicates."""
    loop = asyncio.get_running_loop()
    try:
        # loop.getaddrinfo runs the blocking resolver in the default thread pool
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout
        )
    except TimeoutError as exc:
        raise httpcore.ConnectTimeout(f"cannot resolve {host}: timed out") from exc
    except socket.gaierror as exc:
        raise ResolveError(f"cannot resolve {host}: {exc.strerror}") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _os_reason(exc: BaseException) -> str:
    """The operating system's words for a failed connect ("Connection refused"), if any."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, OSError) and cause.errno:
            return os.strerror(cause.errno)  # asyncio's own text repeats the address
        cause = cause.__cause__ or cause.__context__
    return str(exc)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that refuses non-public addresses and connects by checked IP."""

    def __init__(self, *, allow_private: bool, allow_hosts: frozenset[str] = frozenset()) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._allow_private = allow_private
        self._allow_hosts = frozenset(host.lower() for host in allow_hosts)

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await resolve(host, port, timeout)
        if not (self._allow_private or host.lower() in self._allow_hosts):
            check_addresses(host, addresses)
        last_error: Exception = ResolveError(f"cannot resolve {host}: no address")
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:
                last_error = httpcore.ConnectError(_os_reason(exc))  # try the next address
            except httpcore.ConnectTimeout as exc:
                last_error = exc
        raise last_error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused(f"refused: unix socket {path} is not a feed address")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
