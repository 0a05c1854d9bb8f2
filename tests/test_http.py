"""The harvester's HTTP layer and lossless XML repairs, in isolation.

Whole-harvest behaviour under faults (against a misbehaving loopback server) is in
tests/test_faults.py; these pin the rules the transport and the repairs follow.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx2
import pytest
from lxml import etree

from exchange.demo.replay import ReplayServer
from harvesters import xml
from harvesters.http import BodyTooLarge, Fetcher, FetchError, RetryPolicy, read_body, retry_after
from harvesters.oaipmh import OaiClient, OaiError, Response, unusable
from tests.conftest import OAI_FEEDS

NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after("120", NOW) == 120
    assert retry_after("Sat, 28 Nov 2026 12:00:30 GMT", NOW) == 30  # RFC 9110 §10.2.3 HTTP-date
    assert retry_after("Sat, 28 Nov 2026 11:00:00 GMT", NOW) == 0  # a date in the past: now
    assert retry_after("soon", NOW) is None
    assert retry_after(None, NOW) is None and retry_after("  ", NOW) is None


def test_backoff_doubles_within_the_cap() -> None:
    policy = RetryPolicy(backoff=1.0, max_wait=5.0)
    for retry, ceiling in ((0, 1.0), (1, 2.0), (2, 4.0), (3, 5.0), (8, 5.0)):
        wait = policy.backoff_for(retry)
        assert ceiling / 2 <= wait <= ceiling


def response(body: bytes, status: int = 200) -> Response:
    return Response(status, {}, body, "http://127.0.0.1/oai")


def test_a_200_that_cannot_be_oai_pmh_is_worth_another_try() -> None:
    assert unusable(response(b"")) == "HTTP 200 with an empty body"
    assert "HTML page" in unusable(response(b"<!DOCTYPE html><html><body>Maintenance</body></html>"))
    assert "HTML page" in unusable(response(b"\n<!-- proxy --><html><p>busy</p></html>"))
    assert "cut short" in unusable(response(b'<?xml version="1.0"?><OAI-PMH><ListRecords><record>'))
    assert unusable(response(b"<OAI-PMH><Identify/></OAI-PMH>\n")) is None
    assert unusable(response(b"<oai:OAI-PMH xmlns:oai='x'></oai:OAI-PMH>")) is None
    assert unusable(response(b"", status=422)) is None  # not a 200: the caller reads the status


def test_a_retry_after_longer_than_the_policy_allows_ends_the_run_at_once() -> None:
    waits: list[float] = []
    with ReplayServer([OAI_FEEDS / "edurep"]) as server:
        feed = server.feeds["edurep"]
        from exchange.demo.replay import Rule

        feed.rules.append(Rule({"verb": "Identify"}, body="busy", status=503, headers={"Retry-After": "3600"}))
        fetcher = Fetcher(RetryPolicy(attempts=5, max_wait=60), sleep=waits.append)
        with pytest.raises(FetchError, match="retry after 3600 s"):
            fetcher.get(server.url("edurep"), {"verb": "Identify"})
        fetcher.close()
        assert waits == [] and len(server.requests) == 1  # asked once, did not wait an hour


def test_retries_wait_what_the_server_asks_then_give_up_with_the_history() -> None:
    waits: list[float] = []
    with ReplayServer([OAI_FEEDS / "edurep"]) as server:
        from exchange.demo.replay import Rule

        server.feeds["edurep"].rules.append(
            Rule({"verb": "Identify"}, body="", status=503, headers={"Retry-After": "7"})
        )
        fetcher = Fetcher(RetryPolicy(attempts=3, max_wait=60), sleep=waits.append)
        with pytest.raises(FetchError) as failed:
            fetcher.get(server.url("edurep"), {"verb": "Identify"})
        fetcher.close()
    assert waits == [7.0, 7.0]  # two waits between three tries, as Retry-After says
    assert "after 3 tries" in str(failed.value) and str(failed.value).count("HTTP 503") == 3


def test_an_oai_error_served_with_a_client_error_status_is_read_as_the_error() -> None:
    """Zenodo's recorded answers: badArgument and noRecordsMatch with HTTP 422."""
    with ReplayServer([OAI_FEEDS / "zenodo-422"]) as server, OaiClient(server.url("zenodo-422")) as client:
        try:
            list(client.list_records("XXX"))
        except OaiError as error:
            assert error.code == "badArgument"
        else:
            raise AssertionError("badArgument with HTTP 422 was not raised")
        assert list(client.list_records("oai_dc")) == []  # noRecordsMatch is an empty list


# ---------------------------------------------------------------------- lossless repairs


def repaired_text(body: bytes) -> tuple[str, list[str]]:
    fixed, notes = xml.repair(body)
    return xml.parse(fixed).text or "", notes


def test_control_characters_are_removed_raw_and_as_references() -> None:
    text, notes = repaired_text(b'<?xml version="1.0" encoding="UTF-8"?><t>a\x01b&#x1;c&#11;d&#9;e</t>')
    assert text == "abcd\te"  # a tab is legal and stays
    assert notes == ["removed 3 control characters XML 1.0 forbids"]


def test_html_entities_and_bare_ampersands_are_made_xml() -> None:
    text, notes = repaired_text(b"<t>Caf&eacute; &amp; Tom & Jerry&nbsp;&#233;&lt;</t>")
    assert text == "Café & Tom & Jerry\u00a0é<"
    assert "replaced 2 HTML entities XML does not define" in notes and "escaped 1 bare '&'" in notes


def test_an_entity_nobody_defines_stays_broken() -> None:
    fixed, _ = xml.repair(b"<t>&bogus;</t>")
    with pytest.raises(etree.XMLSyntaxError, match="bogus"):
        xml.parse(fixed)


def test_encoding_declared_one_way_and_sent_another_is_read_right() -> None:
    utf8_as_latin = '<?xml version="1.0" encoding="ISO-8859-1"?><t>Ångström</t>'.encode()
    assert xml.suspicious_encoding(utf8_as_latin)
    assert repaired_text(utf8_as_latin)[0] == "Ångström"
    latin_as_utf8 = '<?xml version="1.0" encoding="UTF-8"?><t>Ångström</t>'.encode("latin-1")
    assert not xml.suspicious_encoding(latin_as_utf8)
    text, notes = repaired_text(latin_as_utf8)
    assert text == "Ångström" and "Windows-1252" in notes[0]
    honest_latin = '<?xml version="1.0" encoding="ISO-8859-1"?><t>Ångström</t>'.encode("latin-1")
    assert not xml.suspicious_encoding(honest_latin)  # declared right: parsed as it is
    assert xml.parse(honest_latin).text == "Ångström"


def test_a_body_is_read_whole_within_its_size_and_deadline() -> None:
    """The one body reader of the harvester and the feed checker (harvesters.http.read_body)."""
    page = (OAI_FEEDS / "edurep" / "page1.xml").read_bytes()
    with ReplayServer([OAI_FEEDS / "edurep"]) as server, httpx2.Client() as client:
        url = server.url("edurep")
        params = {"verb": "ListRecords", "metadataPrefix": "lom", "set": "surf"}
        with client.stream("GET", url, params=params) as answer:
            assert read_body(answer, len(page), time.monotonic() + 60) == page
        with client.stream("GET", url, params=params) as answer, pytest.raises(BodyTooLarge):
            read_body(answer, len(page) - 1, time.monotonic() + 60)
        with client.stream("GET", url, params=params) as answer, pytest.raises(TimeoutError):
            read_body(answer, len(page), time.monotonic() - 1)
