"""Which addresses the hub may fetch on behalf of a stranger (server-side request forgery).

When someone else names the URL and the hub fetches it (the feed checker's public endpoint;
later the SPARQL endpoint's ``SERVICE`` clause), the hub must not become a way to probe its
own network: the cloud metadata service at 169.254.169.254, an admin port on loopback, the
database on 10.0.0.5. The rules, in one place so every such fetch applies the same ones:

- only ``http`` and ``https``; a host is required; no user name or password in the URL;
- unless private addresses are allowed (the operator's own CLI, a hub on a private network),
  the host must be, and resolve only to, public addresses: loopback, private, link-local,
  multicast, unspecified, reserved and other non-global addresses are refused, also when
  spelled as IPv4-mapped IPv6 (``::ffff:127.0.0.1``), 6to4, or a decimal or octal IPv4 form
  (``2130706433``, ``0177.0.0.1``: these resolve to 127.0.0.1 and are vetted as such).

Checking the URL before fetching it is not enough: a name can resolve to a public address
when checked and to a private one a moment later when the HTTP client resolves it again to
connect (DNS rebinding). :meth:`Guard.client` therefore returns an ``httpx2`` client whose
connections are made by :class:`_VettedBackend`: it resolves the host once, vets every address,
and connects to a vetted IP itself; the HTTP client never resolves the name. The request still
carries the original ``Host`` header, and TLS still sends the name as SNI and verifies the
certificate against it (httpcore takes both from the URL, not from the socket). Every new
connection is vetted, so redirects followed to another host are too.

What counts as allowed is a function (:data:`AddressRule`) and how names resolve is another
(:data:`Resolver`), so tests can run real sockets on 127.0.0.x and call one of them "public".
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpcore2
import httpx2

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: why an address may not be reached (its kind: ``"loopback"``, ``"private"``...), or None when it may
AddressRule = Callable[[IPAddress], str | None]
#: host name (or IP literal) and port → the addresses to connect to; raises OSError when it does not resolve
Resolver = Callable[[str, int], list[IPAddress]]


class BadUrl(ValueError):
    """The URL cannot be fetched (not http(s), no host, credentials in it); the message says why."""


class AddressNotAllowed(BadUrl):
    """The URL's host is, or resolves to, an address that may not be reached (request forgery)."""


def non_public(address: IPAddress) -> str | None:
    """The default rule: what kind of non-public address this is, or None for a public one.

    IPv4 addresses embedded in IPv6 ones that a host or router would unwrap (IPv4-mapped
    ``::ffff:a.b.c.d``, 6to4 ``2002:abcd::``) are judged as the IPv4 address they carry."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            address = embedded
    for kind, flag in (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("private", address.is_private),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("reserved", address.is_reserved),
    ):
        if flag:
            return kind
    return None if address.is_global else "non-global"


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def resolve(host: str, port: int) -> list[IPAddress]:
    """The addresses ``host`` resolves to, in the resolver's order, without duplicates. An IP
    literal is itself; other numeric spellings (``2130706433``) go through getaddrinfo, which
    reads them as the C library does, so they are vetted as the address they mean."""
    literal = _literal(host)
    if literal is not None:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except UnicodeError as error:
        raise OSError(f"{host!r} is not a host name: {error}") from None
    found: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


@dataclass(frozen=True)
class Guard:
    """The rules for one kind of fetch. ``allow_private`` lifts the address rule (URLs must still
    be plain http(s)); ``rule`` and ``resolver`` are replaceable for tests; ``purpose`` ends the
    refusal message (``"...a loopback address; this hub fetches from public addresses only"``)."""

    allow_private: bool = False
    rule: AddressRule = non_public
    resolver: Resolver = resolve
    purpose: str = "this hub fetches from public addresses only"

    def check_form(self, url: str) -> tuple[str, int]:
        """Refuse what is never fetched, whatever the address: anything but http(s), no host,
        credentials in the URL, an invalid port. Returns the host and port. No DNS."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise BadUrl(f"only http and https URLs can be checked, not {url!r}")
        if not parts.hostname:
            raise BadUrl(f"the URL {url!r} names no host")
        if parts.username is not None or parts.password is not None:
            raise BadUrl("the URL must not carry a user name or password")
        try:
            port = parts.port
        except ValueError:
            raise BadUrl(f"the URL {url!r} has an invalid port") from None
        return parts.hostname, port or (443 if parts.scheme == "https" else 80)

    def check_url(self, url: str) -> None:
        """:meth:`check_form`, then, unless private addresses are allowed, every address the host
        resolves to now. An early refusal with a clear message (the HTTP API answers 403 before
        taking a slot); the fetch itself is guarded by :meth:`client`, which vets again when it
        connects. A host that does not resolve passes: the fetch fails and says so."""
        host, port = self.check_form(url)
        if self.allow_private:
            return
        try:
            self.vet(host, port)
        except OSError:
            return

    def vet(self, host: str, port: int) -> list[IPAddress]:
        """Resolve ``host`` once and return its addresses if every one of them is allowed; raise
        :class:`AddressNotAllowed` if one is not (a name with one private address among public
        ones is refused: any of them may be the one connected to), OSError if it does not resolve."""
        addresses = self.resolver(host, port)
        if not addresses:
            raise OSError(f"{host} resolves to no address")
        for address in addresses:
            kind = self.rule(address)
            if kind:
                raise AddressNotAllowed(
                    f"{host} {'is' if _literal(host) == address else f'resolves to {address},'} a {kind} address; "
                    f"{self.purpose}"
                )
        return addresses

    def client(self, **options: Any) -> httpx2.Client:
        """An ``httpx2.Client`` that fetches only what this guard allows, on every request and
        redirect hop: the URL's form is checked before each request is sent, and, unless private
        addresses are allowed, every connection goes to an address vetted as it is made.
        Environment proxies (and .netrc) are honoured only when private addresses are allowed:
        through a proxy the hub would not know which address it reaches."""
        hooks = options.pop("event_hooks", {})
        hooks = {**hooks, "request": [self._check_request, *hooks.get("request", [])]}
        if self.allow_private:
            return httpx2.Client(event_hooks=hooks, trust_env=True, **options)
        verify = options.pop("verify", True)
        return httpx2.Client(
            event_hooks=hooks, trust_env=False, transport=VettedTransport(self, verify=verify), **options
        )

    def _check_request(self, request: httpx2.Request) -> None:
        self.check_form(str(request.url))


def guard_url(url: str, *, allow_private: bool, purpose: str = Guard.purpose) -> None:
    """:meth:`Guard.check_url` with the default rules."""
    Guard(allow_private=allow_private, purpose=purpose).check_url(url)


# ---------------------------------------------------------------------- connecting to vetted addresses only


class _VettedBackend(httpcore2.NetworkBackend):
    """httpcore's network backend, connecting only to addresses the guard vetted in the same
    call: no second resolution between the check and the connection, so no rebinding window.
    Nothing is sent before this returns."""

    def __init__(self, guard: Guard) -> None:
        self.guard = guard
        self.direct = httpcore2.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.NetworkStream:
        try:
            addresses = self.guard.vet(host, port)
        except AddressNotAllowed:
            raise
        except OSError as error:  # does not resolve: what httpcore says when it resolves itself
            raise httpcore2.ConnectError(str(error)) from None
        failure: Exception | None = None
        for address in addresses:  # as socket.create_connection does: each address in turn
            try:
                return self.direct.connect_tcp(str(address), port, timeout, local_address, socket_options)
            except (httpcore2.ConnectError, httpcore2.ConnectTimeout) as error:
                failure = error
        assert failure is not None
        raise failure

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore2.NetworkStream:
        raise AddressNotAllowed("a Unix socket is not a public address")

    def sleep(self, seconds: float) -> None:
        self.direct.sleep(seconds)


class VettedTransport(httpx2.HTTPTransport):
    """``httpx2.HTTPTransport`` whose connection pool connects through :class:`_VettedBackend`.

    httpx2 has no option for a network backend, so the pool it builds is replaced by the same
    kind of pool with the backend. Should a later httpx2 build its pool differently, this
    raises rather than fetch unguarded."""

    def __init__(self, guard: Guard, *, verify: Any = True, limits: httpx2.Limits | None = None) -> None:
        limits = limits or httpx2.Limits(max_connections=100, max_keepalive_connections=20)
        super().__init__(verify=verify, trust_env=False, limits=limits)
        built = getattr(self, "_pool", None)
        if not isinstance(built, httpcore2.ConnectionPool):
            raise RuntimeError("httpx2.HTTPTransport changed: cannot install the address guard; not fetching")
        built.close()
        self._pool = httpcore2.ConnectionPool(
            ssl_context=httpx2.create_ssl_context(verify=verify, trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_VettedBackend(guard),
        )
