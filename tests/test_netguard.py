"""The URL guard (exchange/netguard.py) against real sockets on 127.0.0.x only, no network.

Two loopback servers stand for the internet and the hub's own network: one on 127.0.0.2 that a
test's address rule calls "public", one on 127.0.0.1 that stays private. Each counts the
requests it receives, which is how the tests show a refused request never arrived; an injected
resolver plays DNS (including DNS that changes its answer between two lookups)."""

from __future__ import annotations

import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx2
import pytest

from exchange import feedcheck, netguard
from exchange.demo.replay import ReplayServer
from exchange.netguard import AddressNotAllowed, BadUrl, Guard

PUBLIC = ipaddress.ip_address("127.0.0.2")  # "public" for the tests' rule
PRIVATE = ipaddress.ip_address("127.0.0.1")


def pretend_public(address: netguard.IPAddress) -> str | None:
    """The default rule, except that 127.0.0.2 counts as a public address."""
    return None if address == PUBLIC else netguard.non_public(address)


def dns(table: dict[str, list[str]]) -> netguard.Resolver:
    """A resolver from a table (IP literals resolve to themselves)."""

    def resolve(host: str, port: int) -> list[netguard.IPAddress]:
        if host in table:
            return [ipaddress.ip_address(a) for a in table[host]]
        return netguard.resolve(host, port)

    return resolve


class Server:
    """A loopback HTTP server that counts requests: ``answer(handler)`` answers each (default:
    200 with an OAI-PMH-ish body); ``requests`` holds (path, Host header, local address)."""

    def __init__(self, host: str, port: int = 0, answer: Callable[[BaseHTTPRequestHandler], None] | None = None):
        self.requests: list[tuple[str, str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append((self.path, self.headers.get("Host", ""), self.connection.getsockname()[0]))
                (answer or _ok)(self)

            do_POST = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                pass

        try:
            self.httpd = ThreadingHTTPServer((host, port), Handler)
        except OSError as error:  # 127.0.0.2 is routed to loopback on Linux, not everywhere
            pytest.skip(f"cannot listen on {host}:{port}: {error}")
        self.httpd.daemon_threads = True
        self.host, self.port = host, self.httpd.server_address[1]
        self.url = f"http://{host}:{self.port}/oai"

    def __enter__(self) -> Server:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _ok(handler: BaseHTTPRequestHandler) -> None:
    body = b"<hello/>"
    handler.send_response(200)
    handler.send_header("Content-Type", "text/xml")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def redirect_to(location: str) -> Callable[[BaseHTTPRequestHandler], None]:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return answer


@pytest.fixture
def private() -> Iterator[Server]:
    """The hub's own network: a server on 127.0.0.1 that must never see a request."""
    with Server("127.0.0.1") as server:
        yield server


# ---------------------------------------------------------------------- the rules


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1/oai", "loopback"),
        ("http://127.1.2.3:8080/oai", "loopback"),
        ("http://localhost/oai", "loopback"),
        ("http://[::1]/oai", "loopback"),
        ("http://[::ffff:127.0.0.1]/oai", "loopback"),  # IPv4-mapped IPv6
        ("http://[::ffff:a00:1]/oai", "private"),  # ::ffff:10.0.0.1
        ("http://[2002:7f00:1::]/oai", "loopback"),  # 6to4 of 127.0.0.1
        ("http://2130706433/oai", "loopback"),  # 127.0.0.1 in decimal
        ("http://0177.0.0.1/oai", "loopback"),  # in octal
        ("http://0x7f.1/oai", "loopback"),  # in hex, short form
        ("http://10.1.2.3/oai", "private"),
        ("http://172.16.0.1/oai", "private"),
        ("http://192.168.0.1/oai", "private"),
        ("http://[fc00::1]/oai", "private"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),  # cloud metadata
        ("http://[fe80::1]/oai", "link-local"),
        ("http://224.0.0.1/oai", "multicast"),
        ("http://0.0.0.0/oai", "private"),
        ("http://100.64.0.1/oai", "non-global"),  # carrier-grade NAT
        ("http://240.0.0.1/oai", "private"),
    ],
)
def test_non_public_addresses_in_any_spelling_are_refused(url: str, kind: str) -> None:
    with pytest.raises(AddressNotAllowed, match=f"a {kind} address"):
        Guard().check_url(url)
    Guard(allow_private=True).check_url(url)  # the operator's CLI may fetch them


def test_a_name_resolving_to_a_private_address_says_so() -> None:
    with pytest.raises(AddressNotAllowed) as refused:
        Guard(purpose="this hub fetches from public addresses only").check_url("http://2130706433/oai")
    assert str(refused.value) == (
        "2130706433 resolves to 127.0.0.1, a loopback address; this hub fetches from public addresses only"
    )


def test_one_private_address_among_public_ones_refuses_the_name() -> None:
    guard = Guard(resolver=dns({"mixed.test": ["93.184.215.14", "10.0.0.5"]}))
    with pytest.raises(AddressNotAllowed, match=r"resolves to 10\.0\.0\.5"):
        guard.check_url("https://mixed.test/oai")


@pytest.mark.parametrize(
    "url",
    [
        "http://user:secret@example.org/oai",
        "http://user@example.org/oai",
        "https://:secret@example.org/oai",
        "file:///etc/passwd",
        "gopher://example.org/",
        "ftp://example.org/oai",
        "http:///oai",
        "http://example.org:99999/oai",
    ],
)
def test_urls_that_are_not_plain_http_are_refused_even_when_private_addresses_are_allowed(url: str) -> None:
    with pytest.raises(BadUrl) as refused:
        Guard(allow_private=True).check_url(url)
    assert not isinstance(refused.value, AddressNotAllowed)
    assert "secret" not in str(refused.value)


def test_public_addresses_pass() -> None:
    for address in ("93.184.215.14", "2606:4700:4700::1111", "::ffff:93.184.215.14"):
        assert netguard.non_public(ipaddress.ip_address(address)) is None
    Guard().check_url("https://93.184.215.14/oai")  # IP literals: no DNS needed
    Guard(resolver=dns({"repository.test": ["93.184.215.14"]})).check_url("https://repository.test/oai")


def test_the_feed_checkers_guard_url_keeps_its_messages() -> None:
    with pytest.raises(AddressNotAllowed, match="this hub checks feeds on public addresses only"):
        feedcheck.guard_url("http://[::1]/oai", allow_private=False)
    with pytest.raises(BadUrl, match="only http and https URLs can be checked"):
        feedcheck.guard_url("ftp://example.org/", allow_private=True)


# ---------------------------------------------------------------------- nothing reaches a refused address


def test_the_default_guard_never_sends_a_request_to_loopback(private: Server) -> None:
    with Guard().client() as client, pytest.raises(AddressNotAllowed):
        client.get(private.url)  # the client alone refuses, without check_url first
    with pytest.raises(AddressNotAllowed):
        feedcheck.check_feed(private.url, allow_private=False)
    with pytest.raises(AddressNotAllowed):
        feedcheck.check_feed(f"http://localhost:{private.port}/oai", allow_private=False)
    assert private.requests == []
    # the operator's CLI (allow_private) does reach it: the server counts
    with Guard(allow_private=True).client() as client:
        assert client.get(private.url).status_code == 200
    assert len(private.requests) == 1


def test_a_redirect_to_a_private_address_is_refused_before_it_is_sent(private: Server) -> None:
    guard = Guard(rule=pretend_public, resolver=dns({"private.test": ["127.0.0.1"]}))
    for location in (
        private.url,
        f"http://private.test:{private.port}/oai",
        f"http://[::ffff:127.0.0.1]:{private.port}/",
    ):
        with Server("127.0.0.2", answer=redirect_to(location)) as public:
            with guard.client(follow_redirects=True) as client, pytest.raises(AddressNotAllowed):
                client.get(public.url)
            report = feedcheck.check_feed(public.url, guard=guard, sample=0)
            identify = next(c for c in report["checks"] if c["id"] == "identify")
            assert identify["status"] == "fail" and "redirect refused" in identify["message"]
            assert "loopback address" in identify["message"]
            assert len(public.requests) > 1  # the public server was asked, and answered with the redirect
    assert private.requests == []


def test_a_redirect_to_an_allowed_address_is_followed() -> None:
    guard = Guard(rule=pretend_public, resolver=dns({"repository.test": ["127.0.0.2"]}))
    with Server("127.0.0.2") as target:
        moved = f"http://repository.test:{target.port}/moved"
        with Server("127.0.0.2", answer=redirect_to(moved)) as first, guard.client(follow_redirects=True) as client:
            assert client.get(first.url).status_code == 200
    assert target.requests == [("/moved", f"repository.test:{target.port}", "127.0.0.2")]


def test_dns_rebinding_cannot_reach_the_private_address() -> None:
    """The name resolves to the "public" address when the URL is checked, and to the private one
    when the client connects: the connection is vetted when it is made, and refused."""
    with Server("127.0.0.1") as private, Server("127.0.0.2", private.port) as public:
        lookups: list[str] = []

        def rebinding_guard() -> Guard:
            answers = iter([["127.0.0.2"]] + [["127.0.0.1"]] * 20)

            def resolve(host: str, port: int) -> list[netguard.IPAddress]:
                lookups.append(host)
                return [ipaddress.ip_address(a) for a in next(answers)]

            return Guard(rule=pretend_public, resolver=resolve)

        url = f"http://rebind.test:{private.port}/oai"
        guard = rebinding_guard()
        guard.check_url(url)  # the first answer is "public"
        with guard.client() as client, pytest.raises(AddressNotAllowed, match=r"resolves to 127\.0\.0\.1"):
            client.get(url)
        report = feedcheck.check_feed(url, guard=rebinding_guard(), sample=0)
        assert report["reachable"] is False
        identify = report["checks"][0]
        assert identify["id"] == "identify" and identify["status"] == "fail"
        assert "refused: rebind.test resolves to 127.0.0.1, a loopback address" in identify["message"]
        assert feedcheck.exit_status(report) == 2
        assert private.requests == [] and public.requests == []
        assert lookups and set(lookups) == {"rebind.test"}


def test_the_connection_goes_to_the_vetted_address_with_the_original_host_header() -> None:
    with Server("127.0.0.2") as public:
        guard = Guard(rule=pretend_public, resolver=dns({"repository.test": ["127.0.0.2"]}))
        with guard.client() as client:
            response = client.get(f"http://repository.test:{public.port}/oai?verb=Identify")
        assert response.status_code == 200 and response.url.host == "repository.test"
        assert public.requests == [("/oai?verb=Identify", f"repository.test:{public.port}", "127.0.0.2")]


def test_addresses_are_tried_in_order_and_unresolvable_names_fail_as_connection_errors() -> None:
    with Server("127.0.0.2") as public:
        closed = socket.socket()
        closed.bind(("127.0.0.3", public.port))  # bound, not listening: refuses connections
        try:
            guard = Guard(rule=lambda a: None, resolver=dns({"two.test": ["127.0.0.3", "127.0.0.2"]}))
            with guard.client() as client:
                assert client.get(f"http://two.test:{public.port}/").status_code == 200
        finally:
            closed.close()
    assert len(public.requests) == 1

    def nowhere(host: str, port: int) -> list[netguard.IPAddress]:
        raise OSError(f"{host}: Name or service not known")

    guard = Guard(resolver=nowhere)
    guard.check_url("http://nowhere.test/")  # passes: the fetch fails and says so
    with guard.client() as client, pytest.raises(httpx2.ConnectError, match="Name or service not known"):
        client.get("http://nowhere.test/")


def test_https_sends_the_name_as_sni_and_verifies_the_certificate_against_it(tmp_path: Path) -> None:
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=repository.test"),
            *("-addext", "subjectAltName=DNS:repository.test", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    names: list[str | None] = []
    server_context.sni_callback = lambda _sock, name, _context: names.append(name)
    public = Server("127.0.0.2")
    public.httpd.socket = server_context.wrap_socket(public.httpd.socket, server_side=True)
    with public:
        trust = ssl.create_default_context(cafile=str(cert))
        guard = Guard(rule=pretend_public, resolver=dns({"repository.test": ["127.0.0.2"]}))
        with guard.client(verify=trust) as client:
            assert client.get(f"https://repository.test:{public.port}/oai").status_code == 200
        assert names == ["repository.test"]
        assert public.requests == [("/oai", f"repository.test:{public.port}", "127.0.0.2")]
        # the certificate is checked against the name, not the address connected to
        wrong = Guard(rule=pretend_public, resolver=dns({"other.test": ["127.0.0.2"]}))
        with wrong.client(verify=trust) as client, pytest.raises(httpx2.ConnectError, match="certificate"):
            client.get(f"https://other.test:{public.port}/oai")
        assert len(public.requests) == 1


def test_a_feed_checked_through_the_vetted_transport_gives_the_same_report(replay: ReplayServer) -> None:
    everything = Guard(rule=lambda a: None)  # vets (and allows) every address, so the vetted transport is used
    direct = feedcheck.check_feed(replay.url("tudelft"), sample=5)
    vetted = feedcheck.check_feed(replay.url("tudelft"), sample=5, guard=everything)
    for report in (direct, vetted):
        del report["checked_at"], report["seconds"]
    assert vetted == direct
