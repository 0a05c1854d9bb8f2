"""Schemathesis over the hub's own OpenAPI description: every operation of ``/openapi.json``,
fuzzed over real HTTP against the app under uvicorn on 127.0.0.1, over a hub holding real
harvested records (MIT DSpace, whose identifiers hold ``:`` and ``/``; Edurep harvested twice,
so deleted records exist).

What every response must be, decided by operation and content type:

- never a 5xx;
- as the description says: a documented status code, a documented media type, a body that
  validates against the documented schema (schemathesis' conformance checks). The description
  documents every 4xx in the hub's error shape (:func:`exchange.api.errors.document`), so for JSON
  errors the schema check is also a shape check; :func:`check_error_shape` checks it again by
  hand, with the status in the body equal to the HTTP status and a non-empty ``code``;
- a request that violates the description (schemathesis' negative mode) is refused with a 4xx,
  and one that keeps to it is not refused with a 400 (``/oai`` and the feed checker excepted, see
  ``EXCLUDED``: OAI-PMH's errors are HTTP 200, and the feed checker's URL rules are not JSON Schema);
- every 4xx is the JSON error shape, linked-data pages included (their 2xx are HTML, RDF or
  XML by negotiation, their errors JSON), except where a protocol or a person says otherwise:
  ``/oai`` answers OAI-PMH XML, protocol errors as ``<error>`` in HTTP 200 (OAI-PMH §3.6), so
  every ``/oai`` answer must be 200 ``text/xml`` valid against OAI-PMH.xsd, and a malformed
  request there is not refused with a 4xx; ``POST /feed-check`` is a web form, whose refusals
  are the form again (``text/html``).

Write operations (those the description marks with the bearer ``token`` scheme) are fuzzed
without a token (401, JSON shape, ``WWW-Authenticate``), with a token lacking the right (403) and
with a valid token, for random and for registered source names. The app's harvest pool is a
recorder: a triggered harvest is noted, never run. The feed checker gets a guard that looks no
name up and resolves no public address (so a fuzzed URL is unreachable, never fetched; private
ones are still refused with 403), and a tripwire on
``socket.connect``/``getaddrinfo`` fails the tests if anything tries to leave 127.0.0.1.

Deterministic: hypothesis runs derandomized, without an example database, with a bounded number
of examples per operation.

schemathesis' pytest plugin (``from_fixture``) is not used: schemathesis 4.32 sets
``Function._nodeid``, which pytest 9.2 no longer has. Each operation is fuzzed with its public
``as_strategy()`` under ``@given`` instead, and the failures of all operations are reported together.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from lxml import etree
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from exchange import tokens
from exchange.api.errors import ERROR_SCHEMA
from exchange.config import Settings
from exchange.demo.replay import ReplayServer
from exchange.demo.run import FEEDS as DEMO_FEEDS
from exchange.feedcheck import checker
from exchange.hub import Hub
from exchange.netguard import Guard, IPAddress, non_public
from exchange.pipeline import RunSummary, harvest
from exchange.sparql import ServicePolicy
from harvesters.scheduler import AlreadyRunning, Harvester
from tests.conftest import OAI_FEEDS, LiveServer
from tests.oai_xsd import problems

BASE = "http://hub.test"
#: examples per operation and generation mode; the whole file stays well under a minute and a half
EXAMPLES = {GenerationMode.POSITIVE: 50, GenerationMode.NEGATIVE: 20}
#: ``/oai`` carries the protocol's argument parser, the most input-hungry code behind the API
OAI_EXAMPLES = 150
SOURCES = ("mit", "edurep")

# Checks from schemathesis. Left out: use_after_free, ensure_resource_availability (stateful tests
# only); missing_required_header, unsupported_method (coverage phase only); max_response_time (no
# wall-clock assertions).
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    ignored_auth,
]
#: the feed checker refuses schema-valid URLs with 400 or 403: its URL rules (http or https, a host,
#: no credentials, a public address) are not JSON Schema
_URL_RULES = {positive_data_acceptance: "URL rules beyond JSON Schema"}
#: checks an operation is spared, and why
EXCLUDED: dict[tuple[str, str], dict[Callable[..., Any], str]] = {
    # OAI-PMH §3.6: a malformed request is answered badArgument/badVerb in HTTP 200, never 4xx
    ("GET", "/oai"): {negative_data_rejection: "protocol errors are HTTP 200"},
    ("POST", "/oai"): {negative_data_rejection: "protocol errors are HTTP 200"},
    # a query's SPARQL syntax is not JSON Schema: a string the description allows may not parse (400)
    ("GET", "/sparql"): {positive_data_acceptance: "SPARQL syntax is not JSON Schema"},
    ("POST", "/sparql"): {positive_data_acceptance: "SPARQL syntax is not JSON Schema"},
    ("POST", "/api/feed-check"): _URL_RULES,
    ("POST", "/feed-check"): _URL_RULES,
}
XML_ONLY = {("GET", "/oai"), ("POST", "/oai")}
HTML_ERRORS = {("POST", "/feed-check")}


# ---------------------------------------------------------------------- what must hold


def _header(response: httpx.Response | schemathesis.Response, name: str) -> str:
    """A header of an httpx response (a string) or of a schemathesis one (a list of strings)."""
    value = response.headers.get(name)
    return (value[0] if value else "") if isinstance(value, list) else value or ""


def check_error_shape(response: httpx.Response | schemathesis.Response, key: tuple[str, str]) -> None:
    """A 4xx is the hub's JSON error shape, or, for the web form, an HTML page."""
    media = _header(response, "content-type").split(";")[0].strip()
    if key in HTML_ERRORS and media == "text/html":
        assert b"<form" in response.content
        return
    assert media == "application/json", f"{response.status_code} as {media!r}, not the JSON error shape"
    body = json.loads(response.content)
    assert set(body) == {"error"} and set(body["error"]) == {"status", "code", "message"}, body
    error = body["error"]
    assert error["status"] == response.status_code, body
    assert isinstance(error["code"], str) and error["code"], body
    assert isinstance(error["message"], str), body


def check_oai(response: schemathesis.Response) -> None:
    """/oai answers every request, malformed or not, with HTTP 200 and a valid OAI-PMH document."""
    assert response.status_code == 200, response.status_code
    assert _header(response, "content-type").startswith("text/xml")
    document = etree.fromstring(response.content, etree.XMLParser(resolve_entities=False, no_network=True))
    assert problems(document) == [], response.content[:2000]


# ---------------------------------------------------------------------- the hub under test


class RecordingHarvester(Harvester):
    """The app's harvest pool, noting what it is asked to harvest and harvesting nothing: the
    fuzzer must not make the hub fetch, even from the loopback replay server."""

    def __init__(self, hub: Hub) -> None:
        super().__init__(hub, concurrency=1)
        self.submitted: list[tuple[str, bool, str]] = []

    def submit(self, name: str, *, full: bool = False, trigger: str = "cli") -> Future[RunSummary]:
        self.hub.state.source(name)  # unknown names fail as in the real pool
        if name in self.running():
            raise AlreadyRunning(f"a harvest of {name} is already queued or running")
        self.submitted.append((name, full, trigger))
        return Future()  # never done: the source stays "running", so the next trigger is a 409

    def running(self) -> list[str]:
        return sorted({name for name, _, _ in self.submitted})


@dataclass
class Served:
    live: LiveServer
    hub: Hub
    harvester: RecordingHarvester
    #: secret of a token with the ``harvest`` right, and of one without it
    token: str
    other_token: str
    runs: int
    outside: list[str] = field(default_factory=list)


def _loopback(host: object) -> bool:
    if host in (None, "localhost"):
        return True
    try:
        return ipaddress.ip_address(str(host).strip("[]").split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _offline_resolver(host: str, port: int) -> list[IPAddress]:
    """The feed checker's resolver in these tests: an IP literal the guard would refuse is itself
    (so the refusal is tested), every name and every other address does not resolve."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        raise OSError(f"{host}: the tests look no name up") from None
    if non_public(address) is None:
        raise OSError(f"{host}: the tests connect to nothing outside 127.0.0.1")
    return [address]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("fuzz") / "hub", base=BASE)
    with ReplayServer([DEMO_FEEDS / "mit-ems", OAI_FEEDS / "edurep"]) as replay, Hub.open(settings) as hub:
        hub.state.add_source("mit", replay.url("mit-ems"))
        hub.state.add_source("edurep", replay.url("edurep"))
        for name in ("mit", "edurep", "edurep"):  # edurep's second run is the delta that deletes records
            assert harvest(hub, name).status == "ok"
        token = tokens.create(hub.state, "fuzzer", ("harvest",))
        other = tokens.create(hub.state, "editor", ("vocabularies",))
        runs = len(hub.state.runs(None, 100))
    outside: list[str] = []
    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def connect(sock: socket.socket, address: Any) -> None:
        if isinstance(address, tuple) and not _loopback(address[0]):
            outside.append(f"connect {address!r}")
            raise OSError("the tests stay on 127.0.0.1")
        return real_connect(sock, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _loopback(host):
            outside.append(f"getaddrinfo {host!r}")
            raise socket.gaierror(socket.EAI_NONAME, "the tests stay on 127.0.0.1")
        return real_getaddrinfo(host, *args, **kwargs)

    def offline_guard(allow_private: bool) -> Guard:
        return Guard(allow_private=allow_private, resolver=_offline_resolver, purpose=checker.PURPOSE)

    # served without the replay server: nothing the hub could harvest from is listening
    with pytest.MonkeyPatch.context() as patch, Hub.open(settings) as hub:
        patch.setattr(socket.socket, "connect", connect)
        patch.setattr(socket, "getaddrinfo", getaddrinfo)
        patch.setattr(checker, "feed_guard", offline_guard)
        recorder = RecordingHarvester(hub)
        # no SERVICE target is allowed: a fuzzed query must never make the store fetch anything
        with LiveServer(hub, harvester=recorder, services=ServicePolicy()) as live:
            yield Served(live, hub, recorder, token, other, runs, outside)


@pytest.fixture(scope="module")
def api(served: Served) -> schemathesis.BaseSchema:
    """The description as any client gets it."""
    return schemathesis.openapi.from_url(f"{served.live.url}/openapi.json")


# ---------------------------------------------------------------------- fuzzing


def _secured(operation: schemathesis.APIOperation) -> bool:
    return bool(operation.definition.raw.get("security"))


def fuzz(
    served: Served,
    operation: schemathesis.APIOperation,
    mode: GenerationMode,
    headers: dict[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
    examples: int | None = None,
) -> int:
    """Run ``operation`` through hypothesis; returns how many requests were sent. Raises the
    first failure hypothesis found (shrunk)."""
    key = (operation.method.upper(), operation.path)
    excluded = EXCLUDED.get(key, {})
    checks = [check for check in CHECKS if check not in excluded]
    sent = 0
    count = examples or (OAI_EXAMPLES if key in XML_ONLY and mode.is_positive else EXAMPLES[mode])

    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    def run(case: schemathesis.Case) -> None:
        nonlocal sent
        response = case.call(base_url=served.live.url, headers=headers, timeout=60)
        sent += 1
        case.validate_response(response, checks=checks, headers=headers)
        if key in XML_ONLY:
            check_oai(response)
        elif 400 <= response.status_code < 500:
            check_error_shape(response, key)
        if _secured(operation) and not headers:
            assert response.status_code == 401 and _header(response, "www-authenticate").startswith("Bearer")

    run()
    return sent


def _run_all(
    served: Served, operations: list[schemathesis.APIOperation], **options: Any
) -> tuple[list[str], dict[str, int]]:
    failures: list[str] = []
    sent: dict[str, int] = {}
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                sent[f"{operation.label} {mode.value}"] = fuzz(served, operation, mode, **options)
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE, operation.label  # nothing in it can be invalid
            except (Exception, BaseExceptionGroup) as error:  # every operation's failures, then fail
                failures.append(f"{operation.label} ({mode.value}):\n{''.join(traceback.format_exception(error))}")
    return failures, sent


def _operations(api: schemathesis.BaseSchema) -> list[schemathesis.APIOperation]:
    return [result.ok() for result in api.get_all_operations()]


def test_the_description_documents_errors_auth_and_the_oai_arguments(served: Served) -> None:
    """What the fuzzer relies on, and what was wrong: FastAPI documented a 422 with its own body
    that the app never sends (it answers 400 in the hub's shape), and no 400, 404 or 401 at all;
    the token was invisible; /oai took no arguments; a harvest ``status`` was any string."""
    spec = httpx.get(f"{served.live.url}/openapi.json").json()
    error = {"$ref": "#/components/schemas/Error"}
    assert spec["components"]["schemas"]["Error"] == ERROR_SCHEMA
    assert "HTTPValidationError" not in json.dumps(spec)
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert "422" not in responses, (method, path)
            assert responses["4XX"]["content"]["application/json"]["schema"] == error, (method, path)
    harvest = spec["paths"]["/api/sources/{name}/harvest"]["post"]
    assert harvest["security"] == [{"token": []}]
    assert spec["components"]["securitySchemes"]["token"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token (`eduhub tokens create NAME`)",
    }
    assert harvest["responses"]["401"]["content"]["application/json"]["schema"] == error
    assert set(spec["paths"]["/feed-check"]["post"]["responses"]["400"]["content"]) == {"text/html"}
    oai = spec["paths"]["/oai"]
    assert {p["name"] for p in oai["get"]["parameters"]} == set(oai["post"]["requestBody"]["content"][
        "application/x-www-form-urlencoded"]["schema"]["properties"]) == {
        "verb", "identifier", "metadataPrefix", "from", "until", "set", "resumptionToken"
    }  # fmt: skip
    assert set(oai["get"]["responses"]["200"]["content"]) == {"text/xml"}
    status = next(p for p in spec["paths"]["/api/harvests"]["get"]["parameters"] if p["name"] == "status")
    assert "ok" in json.dumps(status["schema"]) and "abandoned" in json.dumps(status["schema"])


def test_nothing_leaves_loopback(served: Served) -> None:
    """The tripwire notes and refuses an outside connection; the feed checker, given names and
    public addresses, makes none (the feed is unreachable) and still refuses loopback (403)."""
    with socket.socket() as sock, pytest.raises(OSError):
        sock.connect(("203.0.113.9", 80))
    assert served.outside == ["connect ('203.0.113.9', 80)"]
    served.outside.clear()
    for url, status in (("http://example.org/oai", 200), ("http://8.8.8.8/oai", 200), ("http://127.0.0.1:9/", 403)):
        response = httpx.post(f"{served.live.url}/api/feed-check", json={"url": url, "sample": 0}, timeout=60)
        assert response.status_code == status, response.text
        if status == 200:
            assert response.json()["reachable"] is False
        else:
            check_error_shape(response, ("POST", "/api/feed-check"))
    assert served.outside == []


def test_every_operation_holds_up_to_the_fuzzer(served: Served, api: schemathesis.BaseSchema) -> None:
    """Without a token: what the description allows, and what it does not."""
    operations = _operations(api)
    submitted = list(served.harvester.submitted)
    failures, sent = _run_all(served, operations)
    assert not failures, "\n\n".join(failures)
    assert {f"{op.label} positive" for op in operations} <= set(sent)  # every operation, none skipped
    assert all(sent[f"{op.label} positive"] > 0 for op in operations)
    assert served.harvester.submitted == submitted  # nothing was triggered without a token
    assert served.outside == []


def test_write_operations_with_tokens(served: Served, api: schemathesis.BaseSchema) -> None:
    """With a token lacking the right (403) and a valid one: random names (404), then the
    registered sources, whose first trigger is queued (202) and the next ones refused (409)."""
    secured = [operation for operation in _operations(api) if _secured(operation)]
    assert {(op.method.upper(), op.path) for op in secured} >= {("POST", "/api/sources/{name}/harvest")}
    wrong = {"Authorization": f"Bearer {served.other_token}"}
    for operation in secured:
        refused = httpx.request(operation.method, served.live.url + operation.path.format(name="mit"), headers=wrong)
        assert refused.status_code == 403
        check_error_shape(refused, (operation.method.upper(), operation.path))
    valid = {"Authorization": f"Bearer {served.token}"}
    failures, _ = _run_all(served, secured, headers=valid)
    for name in SOURCES:
        pinned, _ = _run_all(served, secured, headers=valid, path_parameters={"name": name}, examples=5)
        failures += pinned
    assert not failures, "\n\n".join(failures)
    assert {name for name, _, _ in served.harvester.submitted} == set(SOURCES)
    assert all(trigger == "api:fuzzer" for _, _, trigger in served.harvester.submitted)
    assert len(served.hub.state.runs(None, 100)) == served.runs  # noted, never run
    assert served.outside == []
