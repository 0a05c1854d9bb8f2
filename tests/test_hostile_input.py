"""Hostile input everywhere (issue 10): XML, JSON-LD and HTTP requests a stranger controls.

Every document here is SYNTHETIC: written for the test to attack one rule (external entities
naming a local secret or a loopback port, entity bombs, oversized text nodes, deep nesting,
remote JSON-LD contexts, oversized requests, markup in titles). Real feeds never look like
this; the real-data tests are elsewhere. Network is 127.0.0.1 only: a :class:`Listener`
stands where a hostile document points, and must see no connection at all.

Memory is measured (peak RSS of this process, ``ru_maxrss``) where an expansion would show;
wall-clock time never is.
"""

from __future__ import annotations

import json
import resource
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit
from xml.sax.saxutils import escape

import httpx
import pyoxigraph as ox
import pytest
from lxml import etree
from pyld import jsonld

from exchange import coverage, crosswalks, jsonld_contexts
from exchange.api import security
from exchange.config import ConfigError, Settings
from exchange.crosswalks.base import CrosswalkError
from exchange.crosswalks.native import NativeCrosswalk
from exchange.feedcheck import check_feed, validate_response
from exchange.feedcheck.schemas import _LocalSchemas
from exchange.hub import Hub
from exchange.model import record_iri
from exchange.pipeline import RunSummary, harvest
from exchange.resources import schema_path
from exchange.store.base import StoreError
from exchange.store.embedded import EmbeddedStore
from harvesters import xml
from harvesters.http import RetryPolicy
from harvesters.oaipmh import OaiClient, parse_page
from tests.conftest import BASE, FIXTURES, Listener, LiveServer
from tests.test_crosswalks import context

SECRET = "TOP-SECRET-CONTENT-4f1c"
SOURCE = "hostile"
MIB = 1024 * 1024
OAI_DC_NS = 'xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/"'
XSS_TITLE = '<script>alert(1)</script> "><img src=x onerror=alert(1)>'
NAMESPACES = {"oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/"}
#: markup that must never reach an HTML page unescaped
RAW_MARKUP = ("<script>alert(", "<img src=x", "onerror=alert(1)>")


# ---------------------------------------------------------------------- loopback helpers


def oai_record(identifier: str, inner: str, datestamp: str = "2024-01-01T00:00:00Z") -> str:
    return (
        f"<record><header><identifier>{escape(identifier)}</identifier><datestamp>{datestamp}</datestamp></header>"
        f"<metadata><oai_dc:dc {OAI_DC_NS}>{inner}</oai_dc:dc></metadata></record>"
    )


def oai_page(records: str, doctype: str = "", verb: str = "ListRecords") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}'
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2024-01-02T00:00:00Z</responseDate>'
        f'<request verb="{verb}" metadataPrefix="oai_dc">http://feed.test/oai</request>'
        f"<{verb}>{records}</{verb}></OAI-PMH>"
    ).encode()


def oai_error(code: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        "<responseDate>2024-01-02T00:00:00Z</responseDate><request>http://feed.test/oai</request>"
        f'<error code="{code}">synthetic</error></OAI-PMH>'
    ).encode()


class Feed:
    """A minimal OAI-PMH server on 127.0.0.1 serving SYNTHETIC hostile pages: ``pages`` maps a
    metadataPrefix to its one ListRecords page; every other request gets an OAI error."""

    def __init__(self, pages: dict[str, bytes], repository_name: str = "Hostile feed") -> None:
        self.pages = pages
        self.repository_name = repository_name
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.answer(dict(parse_qsl(urlsplit(self.path).query)))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.answer(dict(parse_qsl(self.rfile.read(length).decode())))

            def answer(self, params: dict[str, str]) -> None:
                body = feed.answer(params)
                self.send_response(200)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/oai"

    def answer(self, params: dict[str, str]) -> bytes:
        verb = params.get("verb")
        if verb == "Identify":
            inner = (
                f"<repositoryName>{escape(self.repository_name)}</repositoryName><baseURL>{self.url}</baseURL>"
                "<protocolVersion>2.0</protocolVersion><adminEmail>a@example.org</adminEmail>"
                "<earliestDatestamp>2000-01-01T00:00:00Z</earliestDatestamp><deletedRecord>no</deletedRecord>"
                "<granularity>YYYY-MM-DDThh:mm:ssZ</granularity>"
            )
            return oai_page(inner, verb="Identify")
        if verb == "ListMetadataFormats":
            formats = "".join(
                f"<metadataFormat><metadataPrefix>{prefix}</metadataPrefix><schema>http://x.test/{prefix}.xsd</schema>"
                f"<metadataNamespace>{NAMESPACES.get(prefix, 'urn:x-' + prefix)}</metadataNamespace></metadataFormat>"
                for prefix in self.pages
            )
            return oai_page(formats, verb="ListMetadataFormats")
        if verb == "ListRecords" and params.get("metadataPrefix") in self.pages and "resumptionToken" not in params:
            return self.pages[params["metadataPrefix"]]
        if verb in ("ListRecords", "ListIdentifiers"):
            return oai_error("noRecordsMatch" if "resumptionToken" not in params else "badResumptionToken")
        if verb == "ListSets":
            return oai_error("noSetHierarchy")
        if verb == "GetRecord":
            return oai_error("idDoesNotExist")
        return oai_error("badVerb")

    def __enter__(self) -> Feed:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def harvest_feed(hub: Hub, feed: Feed, prefix: str = "oai_dc") -> RunSummary:
    hub.state.add_source(SOURCE, feed.url, metadata_prefix=prefix)
    policy = RetryPolicy(attempts=1, backoff=0.01, max_wait=0.1, timeout=30.0)
    with OaiClient(feed.url, policy=policy) as client:
        return harvest(hub, SOURCE, client=client)


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def path_of(identifier: str) -> str:
    return record_iri(BASE, SOURCE, identifier)[len(BASE) :]


def every_output(url: str, hub: Hub, identifiers: list[str]) -> str:
    """Everything the hub publishes about the harvest, over real HTTP, plus its state: SPARQL,
    linked-data pages in every format, OAI-PMH in every format, harvest runs, quarantine, archive."""
    texts = []
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"
    texts.append(httpx.get(f"{url}/sparql", params={"query": construct, "format": "ntriples"}).text)
    for identifier in identifiers:
        for fmt in ("html", "jsonld", "turtle", "lom", "eduhub"):
            texts.append(httpx.get(url + path_of(identifier), params={"format": fmt}).text)
    for prefix in ("oai_dc", "lom", "eduhub"):
        texts.append(httpx.get(f"{url}/oai", params={"verb": "ListRecords", "metadataPrefix": prefix}).text)
    texts.append(httpx.get(f"{url}/api/harvests").text)
    texts.append(httpx.get(f"{url}/sources/{SOURCE}").text)
    texts += [f"{q.reason} {q.raw}" for q in hub.state.quarantined()]
    texts += [raw.xml for raw in hub.state.raw_records(SOURCE)]
    return "\n".join(texts)


# ---------------------------------------------------------------------- XML: entities


def xxe_doctype(secret: Path, listener: Listener) -> str:
    return (
        f'<!DOCTYPE OAI-PMH SYSTEM "{listener.url}/oai.dtd" [\n'
        f'  <!ENTITY secret SYSTEM "file://{secret}">\n'
        f'  <!ENTITY remote SYSTEM "{listener.url}/entity">\n'
        f'  <!ENTITY % parameter SYSTEM "{listener.url}/parameter.dtd">\n'
        "  %parameter;\n"
        "]>\n"
    )


@pytest.mark.parametrize("in_attribute", [False, True], ids=["entities-in-text", "entity-in-attribute"])
def test_xxe_page_leaks_nothing_through_harvest_store_and_outputs(tmp_path: Path, hub: Hub, in_attribute: bool) -> None:
    """SYNTHETIC page naming a local secret file and a loopback port through external entities,
    an external DTD and a parameter entity: harvested for real over HTTP, the secret appears in
    no output (SPARQL, linked data, OAI-PMH, runs, quarantine, archive) and the port sees nothing.
    With the entity in an attribute the page is not well-formed (XML 1.0 §3.1: no external
    entity in attribute values) and is salvaged record by record; the good record still arrives."""
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    with Listener() as listener:
        hostile = (
            oai_record("oai:x:attr", '<dc:title xml:lang="&secret;">Attribute</dc:title>')
            if in_attribute
            else oai_record(
                "oai:x:text", "<dc:title>Title &secret; &remote;</dc:title><dc:description>&secret;</dc:description>"
            )
        )
        page = oai_page(
            oai_record("oai:x:good", "<dc:title>Good record</dc:title>") + hostile, xxe_doctype(secret, listener)
        )
        with Feed({"oai_dc": page}) as feed:
            summary = harvest_feed(hub, feed)
        assert summary.status == "ok", summary.error
        stored = ["oai:x:good"] if in_attribute else ["oai:x:good", "oai:x:text"]
        assert summary.added == len(stored)
        assert summary.quarantined == (1 if in_attribute else 0)
        with LiveServer(hub) as live:
            published = every_output(live.url, hub, stored)
            assert "Good record" in published  # the outputs were really read
            if not in_attribute:
                title = httpx.get(live.url + path_of("oai:x:text"), params={"format": "jsonld"}).json()["name"]
                assert title == {"@none": "Title"}  # the references are dropped, never replaced by content
        assert SECRET not in published
        assert listener.connections() == []


def test_external_dtd_and_entities_naming_a_loopback_port_make_no_connection(tmp_path: Path) -> None:
    """SYNTHETIC documents pointing at a listening loopback port through every XML door the hub
    has: strict parse, salvage, recover mode, a ListRecords page, the feed checker's schema
    validation (an ``xsi:schemaLocation`` hint and a schema import), a crosswalk-report file
    and an HTML page with JSON-LD. The port receives no connection."""
    with Listener() as listener:
        doctype = (
            f'<!DOCTYPE OAI-PMH PUBLIC "-//x//y" "{listener.url}/dtd" [<!ENTITY e SYSTEM "{listener.url}/e">'
            f'<!ENTITY % p SYSTEM "{listener.url}/p"> %p;]>'
        )
        page = oai_page(oai_record("oai:x:1", "<dc:title>T &e;</dc:title>"), doctype).replace(
            b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">',
            b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" '
            b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xi="http://www.w3.org/2001/XInclude" '
            b'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ ' + listener.url.encode() + b'/OAI-PMH.xsd">'
            b'<xi:include href="' + listener.url.encode() + b'/xinclude"/>',
        )
        root = xml.parse(page)
        assert b"T &e;" in etree.tostring(root)  # kept as an unexpanded reference
        xml.recover(page)
        xml.salvage_records(page)
        [record] = parse_page(page, 1).records
        assert record.error is None and record.payload is not None
        [finding] = validate_response(root)
        assert finding.kind == "envelope" and "entity reference &e;" in finding.message
        with pytest.raises(ValueError, match="not local"):
            _LocalSchemas().resolve(f"{listener.url}/evil.xsd", None, None)
        report_file = tmp_path / "page.xml"
        report_file.write_bytes(page)
        assert [item.identifier for item in coverage.items_from_file(report_file)] == ["oai:x:1"]
        html_file = tmp_path / "page.html"
        html_file.write_text(
            f'<!DOCTYPE html SYSTEM "{listener.url}/html.dtd"><html><head>'
            f'<link rel="stylesheet" href="{listener.url}/s">'
            f'<script src="{listener.url}/x.js"></script><script type="application/ld+json">'
            f'{{"@context": "{listener.url}/ctx", "@type": "LearningResource", "name": "From HTML"}}</script>'
            f'</head><body><img src="{listener.url}/i"></body></html>'
        )
        [item] = coverage.items_from_file(html_file)
        assert item.payload["name"] == "From HTML"
        assert listener.connections() == []


def test_entity_references_never_reach_a_record_as_text(tmp_path: Path) -> None:
    """SYNTHETIC: an internal entity with ordinary text is not expanded either; a crosswalk sees
    the text around the reference only (the hub stores what the source wrote, not what a DTD it
    cannot trust says it means)."""
    page = oai_page(
        oai_record("oai:x:1", "<dc:title>A &word; B</dc:title>"), '<!DOCTYPE OAI-PMH [<!ENTITY word "WORD">]>'
    )
    [record] = parse_page(page, 1).records
    hub_record = crosswalks.get("oai_dc").to_record(record.payload, context("oai_dc"))
    assert "WORD" not in json.dumps(hub_record) and hub_record["name"]["@none"].startswith("A")


# ---------------------------------------------------------------------- XML: entity bombs


def billion_laughs(levels: int = 10) -> str:
    """The classic: each entity is ten of the one before; ``&lol{levels-1};`` is 3 x 10^(levels-1) bytes."""
    entities = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, levels)]
    return "<!DOCTYPE OAI-PMH [\n" + "\n".join(entities) + "\n]>\n"


def quadratic_blowup() -> tuple[str, str]:
    """One 100 kB entity referenced 20,000 times: 2 GB if expanded, no nesting at all."""
    return f'<!DOCTYPE OAI-PMH [<!ENTITY big "{"A" * 100_000}">]>\n', "&big;" * 20_000


@pytest.mark.parametrize("bomb", ["billion-laughs", "quadratic-blowup"])
def test_entity_bombs_are_refused_without_expansion_and_the_good_records_kept(bomb: str) -> None:
    """SYNTHETIC entity bombs (3 GB and 2 GB if expanded) in one record of a page: the strict parse
    refuses the page naming the attack, the page is salvaged record by record (without the DTD,
    so the bomb record's references are undefined and it is quarantined) and the good records
    are kept. Peak memory grows by far less than the expansion would need."""
    if bomb == "billion-laughs":
        doctype, payload = billion_laughs(), "&lol9;"
    else:
        doctype, payload = quadratic_blowup()
    page = oai_page(
        oai_record("oai:x:before", "<dc:title>Before</dc:title>")
        + oai_record("oai:x:bomb", f"<dc:title>{payload}</dc:title>")
        + oai_record("oai:x:after", "<dc:title>After</dc:title>"),
        doctype,
    )
    before = peak_rss_bytes()
    with pytest.raises(xml.LimitExceeded, match="expand") as refused:
        xml.parse(page)
    assert "XML_PARSE_HUGE" not in str(refused.value)
    parsed = parse_page(page, 1)
    grown = peak_rss_bytes() - before
    assert parsed.salvaged
    good = {r.identifier: r for r in parsed.records if r.error is None}
    assert set(good) == {"oai:x:before", "oai:x:after"}
    [broken] = [r for r in parsed.records if r.error is not None]
    assert broken.identifier == "oai:x:bomb" and "not defined" in (broken.error or "")
    assert all("lollol" not in (r.raw or "") and "A" * 200_000 not in (r.raw or "") for r in parsed.records)
    assert grown < 64 * MIB, f"peak memory grew by {grown / MIB:.0f} MiB"


def test_pyoxigraph_rdfxml_expands_entities_so_declarations_never_reach_it(tmp_path: Path) -> None:
    """SYNTHETIC RDF/XML: pyoxigraph's RDF/XML parser expands internal entities (shown here on a
    harmless 3-level bomb: 300 bytes), which is why RDF/XML declaring entities is refused before
    it is parsed, in the native crosswalk and in the store's file loader. A 9-level bomb in a
    vocabulary file leaves the graph as it was and memory flat."""
    rdf = (
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:s="http://schema.org/">'
        '<rdf:Description rdf:about="http://x.test/a"><s:name>{}</s:name></rdf:Description></rdf:RDF>'
    )
    small = billion_laughs(3).replace("OAI-PMH", "rdf:RDF") + rdf.format("&lol2;")
    [triple] = ox.parse(small.encode(), format=ox.RdfFormat.RDF_XML)
    assert triple.object.value == "lol" * 100  # expanded: the hazard is real

    bomb = tmp_path / "bomb.rdf"
    bomb.write_text(billion_laughs(10).replace("OAI-PMH", "rdf:RDF") + rdf.format("&lol9;"))
    store = EmbeddedStore(None)
    store.update('INSERT DATA { GRAPH <http://x.test/g> { <http://x.test/a> <http://x.test/p> "kept" } }')
    before = peak_rss_bytes()
    with pytest.raises(StoreError, match="declares XML entities"):
        store.replace_graph_from_file("http://x.test/g", bomb, "application/rdf+xml")
    assert peak_rss_bytes() - before < 64 * MIB
    assert [t.object.value for t in store.triples(["http://x.test/g"])["http://x.test/g"]] == ["kept"]

    plain = tmp_path / "plain.rdf"
    plain.write_text(rdf.format("no entities"))
    store.replace_graph_from_file("http://x.test/g", plain, "application/rdf+xml")
    assert [t.object.value for t in store.triples(["http://x.test/g"])["http://x.test/g"]] == ["no entities"]

    for hidden in ("<!entity x 'y'>", '<!-- --><!DOCTYPE r [ <!ENTITY  x "y"> ]>'):
        assert xml.declares_entities(hidden.encode()) and xml.declares_entities(hidden.encode("utf-16"))
    assert not xml.declares_entities(rdf.format("&amp; &lt;").encode())


def test_native_crosswalk_refuses_rdfxml_declaring_entities() -> None:
    """SYNTHETIC: the native crosswalk parses the serialized ``rdf:RDF`` element with pyoxigraph;
    a payload whose serialization would carry an entity declaration (a CDATA-like smuggle in a
    comment kept by a parser other than the hardened one) is refused before pyoxigraph sees it."""
    payload = etree.fromstring(
        '<e:record xmlns:e="https://w3id.org/eduhub/ns/oai-native/" about="http://hub.test/resources/s/1">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><!-- <!ENTITY lol "lol"> --></rdf:RDF>'
        "</e:record>"
    )
    with pytest.raises(CrosswalkError, match="declares XML entities"):
        NativeCrosswalk().to_record(payload, context("eduhub"))


# ---------------------------------------------------------------------- XML: size and depth limits


def huge_text_record(identifier: str) -> str:
    return oai_record(
        identifier, f"<dc:title>Huge</dc:title><dc:description>{'x' * (xml.MAX_TEXT_BYTES + 1)}</dc:description>"
    )


def deep_record(identifier: str, depth: int = xml.MAX_DEPTH + 50) -> str:
    nested = "<x:n>" * depth + "deep" + "</x:n>" * depth
    return oai_record(identifier, f'<dc:title>Deep</dc:title><dc:description xmlns:x="urn:x">{nested}</dc:description>')


def test_text_node_and_nesting_over_the_limits_are_refused_by_name_and_the_page_salvaged() -> None:
    """SYNTHETIC page with a 10 MB + 1 byte text node in one record and elements nested 306 deep in
    another: each of those records is refused with a message naming the limit it broke, the
    other records of the page are kept."""
    page = oai_page(
        oai_record("oai:x:1", "<dc:title>One</dc:title>")
        + huge_text_record("oai:x:huge")
        + deep_record("oai:x:deep")
        + oai_record("oai:x:2", "<dc:title>Two</dc:title>")
    )
    with pytest.raises(xml.LimitExceeded, match="longer than 10,000,000 bytes"):
        xml.parse(page)
    with pytest.raises(xml.LimitExceeded, match=f"nested deeper than {xml.MAX_DEPTH} levels"):
        xml.parse(oai_page(deep_record("oai:x:deep")))
    parsed = parse_page(page, 1)
    assert [r.identifier for r in parsed.records if r.error is None] == ["oai:x:1", "oai:x:2"]
    errors = {r.identifier: r.error or "" for r in parsed.records if r.error is not None}
    assert set(errors) == {"oai:x:huge", "oai:x:deep"}
    assert "a text node is longer than 10,000,000 bytes" in errors["oai:x:huge"]
    assert f"elements are nested deeper than {xml.MAX_DEPTH} levels" in errors["oai:x:deep"]
    assert not any("XML_PARSE_HUGE" in error for error in errors.values())
    assert all(len(r.raw or "") < xml.MAX_TEXT_BYTES * 2 for r in parsed.records)


def test_limits_in_a_real_harvest_quarantine_with_the_reason_and_store_the_rest(hub: Hub) -> None:
    """The same SYNTHETIC records harvested over HTTP: two stored, two quarantined at the parse
    stage with reasons that name the limits, the run itself ok."""
    page = oai_page(
        oai_record("oai:x:1", "<dc:title>One</dc:title>")
        + huge_text_record("oai:x:huge")
        + deep_record("oai:x:deep")
        + oai_record("oai:x:2", "<dc:title>Two</dc:title>")
    )
    with Feed({"oai_dc": page}) as feed:
        summary = harvest_feed(hub, feed)
    assert summary.status == "ok", summary.error
    assert (summary.added, summary.quarantined) == (2, 2)
    reasons = {q.oai_identifier: (q.stage, q.reason) for q in hub.state.quarantined(SOURCE)}
    assert reasons["oai:x:huge"][0] == "parse" and "longer than 10,000,000 bytes" in reasons["oai:x:huge"][1]
    assert reasons["oai:x:deep"][0] == "parse" and f"deeper than {xml.MAX_DEPTH} levels" in reasons["oai:x:deep"][1]


# ---------------------------------------------------------------------- the feed checker


def test_feed_check_of_a_hostile_feed_fetches_nothing_else_and_leaks_nothing(tmp_path: Path) -> None:
    """SYNTHETIC feed whose pages carry an XXE DOCTYPE naming a secret file and a loopback port:
    the checker's report holds neither the secret nor any sign of a fetch, and the port is quiet."""
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    with Listener() as listener:
        page = oai_page(oai_record("oai:x:1", "<dc:title>Checked &secret;</dc:title>"), xxe_doctype(secret, listener))
        with Feed({"oai_dc": page}) as feed:
            report = check_feed(feed.url, sample=5, budget=60, max_pages=2)
        assert report["sample"]["records"] == 1
        assert SECRET not in json.dumps(report)
        assert listener.connections() == []
    # libxml2's schema validator fails with an "internal error" on entity references; that ended
    # the whole check (a 500 over the API) before validate_response reported it as a finding
    [xsd] = [check for check in report["checks"] if check["id"] == "xsd"]
    assert xsd["status"] == "fail"
    assert any("entity reference &secret;" in item["message"] for item in xsd["evidence"])


# ---------------------------------------------------------------------- JSON-LD


def lrmi_document(context_url: str) -> dict[str, Any]:
    return {
        "@context": [context_url, {"@language": "de"}],
        "id": "https://example.org/oer/1",
        "type": ["LearningResource"],
        "name": "Remote context",
        "license": {"id": "https://creativecommons.org/licenses/by/4.0/"},
        "provider": {"@context": context_url, "type": "Organization", "name": "P"},
    }


def test_lrmi_with_remote_contexts_makes_no_connection_through_any_path(tmp_path: Path, hub: Hub) -> None:
    """SYNTHETIC LRMI/AMB JSON-LD whose ``@context`` (top level and nested) points at a listening
    loopback port: through the LRMI crosswalk, the crosswalk report, a real harvest of an OAI-PMH
    payload, pyoxigraph's JSON-LD parser and the store's file loader, the port sees nothing."""
    with Listener() as listener:
        document = lrmi_document(f"{listener.url}/ctx")
        record = crosswalks.get("lrmi").to_record(document, context("amb"))
        assert record["name"] == {"de": "Remote context"}

        dump = tmp_path / "dump.json"
        dump.write_text(json.dumps([document, {**document, "id": "https://example.org/oer/2"}]))
        assert coverage.build(coverage.items_from_file(dump)).to_json()["records"] == 2

        payload = f"<amb:json xmlns:amb='urn:x-amb'>{escape(json.dumps(document))}</amb:json>"
        page = oai_page(
            "<record><header><identifier>oai:x:amb</identifier><datestamp>2024-01-01T00:00:00Z</datestamp>"
            f"</header><metadata>{payload}</metadata></record>"
        )
        with Feed({"amb": page}) as feed:
            summary = harvest_feed(hub, feed, prefix="amb")
        assert (summary.status, summary.added) == ("ok", 1), (summary.error, hub.state.quarantined())

        with pytest.raises((ValueError, SyntaxError), match="LoadDocumentCallback"):
            list(ox.parse(json.dumps(document).encode(), format=ox.RdfFormat.JSON_LD))
        ld_file = tmp_path / "doc.jsonld"
        ld_file.write_text(json.dumps(document))
        with pytest.raises((ValueError, SyntaxError), match="LoadDocumentCallback"):
            EmbeddedStore(None).replace_graph_from_file("http://x.test/g", ld_file, "application/ld+json")

        with pytest.raises(jsonld_contexts.ContextNotCached):
            jsonld_contexts.to_rdf(document)
        assert listener.connections() == []


def test_the_loader_serves_schema_org_amb_and_hub_contexts_from_the_cache() -> None:
    """The known contexts come from schemas/ (no network): AMB byte-for-byte as shipped, schema.org
    in every spelling documents use, the hub's own context; a real AMB example expands offline."""
    amb = json.loads(schema_path("contexts/amb-context.jsonld").read_text(encoding="utf-8"))
    for url in (jsonld_contexts.AMB_CONTEXT, "http://w3id.org/kim/amb/context.jsonld"):
        assert jsonld_contexts.load_document(url)["document"] == amb
    for url in ("https://schema.org/", "http://schema.org", "https://schema.org/docs/jsonldcontext.jsonld"):
        assert jsonld_contexts.load_document(url)["document"]["@context"]["@vocab"] == "http://schema.org/"
    from exchange.linkeddata import HUB_CONTEXT

    assert jsonld_contexts.HUB_CONTEXT == HUB_CONTEXT
    assert jsonld_contexts.load_document(HUB_CONTEXT)["document"] == json.loads(
        schema_path("hub-context.jsonld").read_text(encoding="utf-8")
    )
    example = json.loads(
        (FIXTURES / "lrmi" / "amb" / "20231019" / "examples" / "valid" / "schemaorg-context.json").read_text()
    )
    [node] = [n for n in jsonld_contexts.expand(example) if "http://schema.org/name" in n]
    assert node["http://schema.org/name"]
    hoou = json.loads((FIXTURES / "lrmi" / "hoou_ifm-erzaehlung-wie_creativework.jsonld").read_text())
    assert any("http://schema.org/name" in n for n in jsonld_contexts.expand(hoou))


def test_an_unknown_context_is_refused_with_a_clear_error_and_no_connection() -> None:
    """SYNTHETIC documents naming a context the cache does not hold: refused with an error that
    names the URL and says it is never fetched, by the module's helpers and by pyld's default
    loader (set on import), without a connection."""
    with Listener() as listener:
        url = f"{listener.url}/unknown-context.jsonld"
        with pytest.raises(jsonld_contexts.ContextNotCached, match="never fetched") as refused:
            jsonld_contexts.load_document(url)
        assert url in str(refused.value)
        with pytest.raises(jsonld_contexts.ContextNotCached, match="unknown-context"):
            jsonld_contexts.expand({"@context": url, "name": "x"})
        with pytest.raises(jsonld.JsonLdError) as default:
            jsonld.expand({"@context": url, "name": "x"})  # no documentLoader given
        assert isinstance(default.value.__cause__, jsonld_contexts.ContextNotCached)
        assert listener.connections() == []


def test_only_the_context_module_imports_pyld_and_nothing_imports_rdflib() -> None:
    """rdflib's JSON-LD parser fetches remote contexts by default, and pyld without our loader
    would too: no code of the hub imports either, except exchange/jsonld_contexts.py for pyld."""
    import ast

    root = Path(__file__).resolve().parent.parent
    offenders = []
    for path in sorted([*(root / "exchange").rglob("*.py"), *(root / "harvesters").rglob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                top = name.split(".")[0]
                if top == "rdflib" or (top == "pyld" and path.name != "jsonld_contexts.py"):
                    offenders.append(f"{path.relative_to(root)}: {name}")
    assert offenders == []


# ---------------------------------------------------------------------- HTTP hardening


def raw_request(port: int, head: bytes, body: bytes = b"") -> bytes:
    """Send a request head and part of a body on a raw socket; everything the server answers
    until it closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head + body)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def json_error(answer: bytes) -> dict[str, Any]:
    return json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]


def test_security_headers_on_json_html_docs_and_linked_data(live: LiveServer) -> None:
    for path in ("/health", "/nope", "/", "/feed-check", "/docs", "/openapi.json", "/vocab/"):
        response = httpx.get(live.url + path)
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["referrer-policy"] == "no-referrer", path
        assert response.headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path
    assert httpx.get(live.url + "/health").headers["content-security-policy"] == security.API_POLICY
    for page in ("/", "/feed-check"):
        assert httpx.get(live.url + page).headers["content-security-policy"] == security.PAGE_POLICY
    vocab = httpx.get(live.url + "/vocab/").headers["content-security-policy"]  # linked data sets its own: kept
    assert vocab.startswith("default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'")
    docs = httpx.get(live.url + "/docs")
    policy = docs.headers["content-security-policy"]
    script_src = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "https://cdn.jsdelivr.net" in script_src
    assert security.docs_policy(docs.content) == policy and "'sha256-" in script_src
    for page in ("/redoc", "/docs/oauth2-redirect"):  # ReDoc has no inline script, the redirect page one
        response = httpx.get(live.url + page)
        assert response.headers["content-security-policy"] == security.docs_policy(response.content), page
        assert "'unsafe-inline'" not in response.headers["content-security-policy"].split("; style-src")[0], page
    assert "strict-transport-security" not in docs.headers  # plain http here


def test_cors_is_open_for_reads_only(live: LiveServer) -> None:
    origin = {"Origin": "https://elsewhere.example"}
    get = httpx.get(f"{live.url}/sparql", params={"query": "ASK {}"}, headers=origin)
    assert get.status_code == 200 and get.headers["access-control-allow-origin"] == "*"
    assert httpx.head(f"{live.url}/health", headers=origin).headers["access-control-allow-origin"] == "*"
    assert httpx.get(f"{live.url}/nope", headers=origin).headers["access-control-allow-origin"] == "*"
    posted = httpx.post(f"{live.url}/sparql", data={"query": "ASK {}"}, headers=origin)
    assert posted.status_code == 200 and "access-control-allow-origin" not in posted.headers
    oai = httpx.post(f"{live.url}/oai", data={"verb": "Identify"}, headers=origin)
    assert oai.status_code == 200 and not any(k.startswith("access-control-") for k in oai.headers)

    preflight = httpx.options(f"{live.url}/sparql", headers={**origin, "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert preflight.headers["access-control-allow-methods"] == "GET, HEAD"
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        refused = httpx.options(f"{live.url}/sparql", headers={**origin, "Access-Control-Request-Method": method})
        assert refused.status_code == 403, method
        assert refused.json()["error"]["code"] == "cors-not-allowed"
        assert not any(k.startswith("access-control-") for k in refused.headers)


def test_oversized_bodies_get_413_in_the_json_shape_without_being_read(live: LiveServer) -> None:
    """By Content-Length: 100 MiB announced, 6 bytes sent, the 413 comes anyway (so nothing more
    was waited for) and the connection is closed. Chunked: 1 MiB + 1 byte in 64 KiB chunks
    without the closing chunk, the 413 comes and the connection is closed."""
    head = (
        b"POST /sparql HTTP/1.1\r\nHost: hub\r\nContent-Type: application/sparql-query\r\n"
        b"Content-Length: %d\r\n\r\n" % (100 * MIB)
    )
    answer = raw_request(live.port, head, b"ASK {}")
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"\r\nconnection: close\r\n" in answer.lower()
    assert json_error(answer) == {
        "status": 413,
        "code": "body-too-large",
        "message": f"a body of {100 * MIB} bytes is over the limit of {MIB} bytes; it was not read",
    }

    head = b"POST /oai HTTP/1.1\r\nHost: hub\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    head += b"Transfer-Encoding: chunked\r\n\r\n"
    chunks, sent = [], 0
    while sent <= MIB:
        size = min(64 * 1024, MIB + 1 - sent)
        chunks.append(b"%x\r\n%s\r\n" % (size, b"a" * size))
        sent += size
    answer = raw_request(live.port, head, b"".join(chunks))
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert json_error(answer)["code"] == "body-too-large" and "chunked" in json_error(answer)["message"]


def test_bodies_under_the_limit_pass_chunked_or_not(live: LiveServer) -> None:
    chunked = httpx.post(
        f"{live.url}/oai",
        content=iter([b"verb=", b"Identify"]),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert chunked.status_code == 200 and "<Identify>" in chunked.text
    form = b"verb=Identify&padding=" + b"x" * (MIB - 100)
    sized = httpx.post(f"{live.url}/oai", content=form, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert sized.status_code == 200 and "badArgument" in sized.text  # read whole: the provider saw the padding


def test_overlong_urls_get_414_in_the_json_shape(live: LiveServer) -> None:
    query = "ASK { FILTER(" + " || ".join(["true"] * 1200) + ") }"
    long = httpx.get(f"{live.url}/sparql", params={"query": query})
    assert long.status_code == 414
    error = long.json()["error"]
    assert error["code"] == "url-too-long" and "8192" in error["message"] and "POST" in error["message"]
    assert long.headers["access-control-allow-origin"] == "*"
    assert httpx.get(f"{live.url}/sparql", params={"query": "ASK { FILTER(true) }"}).status_code == 200


def test_limits_follow_the_settings_and_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDUHUB_MAX_BODY_BYTES", "2k")
    monkeypatch.setenv("EDUHUB_MAX_URL_BYTES", "300")
    resolved = Settings.resolve(str(tmp_path / "hub"), BASE)
    assert (resolved.max_body_bytes, resolved.max_url_bytes) == (2048, 300)
    monkeypatch.setenv("EDUHUB_MAX_BODY_BYTES", "lots")
    with pytest.raises(ConfigError, match="EDUHUB_MAX_BODY_BYTES"):
        Settings.resolve(str(tmp_path / "hub"), BASE)
    monkeypatch.delenv("EDUHUB_MAX_BODY_BYTES")
    assert Settings.resolve(str(tmp_path / "hub"), BASE).max_body_bytes == MIB

    with Hub.open(resolved) as hub, LiveServer(hub) as live:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        assert (
            httpx.post(f"{live.url}/oai", content=b"verb=Identify&x=" + b"a" * 1000, headers=headers).status_code == 200
        )
        head = b"POST /oai HTTP/1.1\r\nHost: hub\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        answer = raw_request(live.port, head + b"Content-Length: 3000\r\n\r\n", b"verb=")
        assert answer.startswith(b"HTTP/1.1 413 ") and "2048" in json_error(answer)["message"]
        assert httpx.get(f"{live.url}/health", params={"x": "a" * 400}).status_code == 414


def test_harvested_markup_is_shown_as_text_on_every_html_page(tmp_path: Path) -> None:
    """SYNTHETIC record whose title, description, creator, keyword and identifier carry script and
    attribute-breaking markup, harvested for real: its linked-data page, its source's page and the
    feed-check page (whose report quotes the feed's repository name and record identifiers) show
    the markup as text, never as elements."""
    landing = 'https://example.org/x?a="><script>alert(4)</script>'
    hostile = oai_record(
        "oai:x:xss",
        f"<dc:title>{escape(XSS_TITLE)}</dc:title><dc:description>{escape(XSS_TITLE)} description</dc:description>"
        f"<dc:creator>{escape('<script>alert(2)</script>')}</dc:creator>"
        f"<dc:subject>{escape('<img src=x onerror=alert(1)>')}</dc:subject>"
        f"<dc:identifier>{escape(landing)}</dc:identifier>",
    )
    no_title = oai_record('oai:x:"><script>alert(5)</script>', "<dc:description>no title</dc:description>")
    page = oai_page(hostile + no_title)
    settings = Settings(data_dir=tmp_path / "hub", base=BASE, feedcheck_allow_private=True)
    with Hub.open(settings) as hub, Feed({"oai_dc": page}, repository_name=XSS_TITLE) as feed:
        summary = harvest_feed(hub, feed)
        assert (summary.added, summary.quarantined) == (1, 1)
        with LiveServer(hub) as live:
            pages = {
                "record": httpx.get(live.url + path_of("oai:x:xss"), headers={"Accept": "text/html"}),
                "source": httpx.get(f"{live.url}/sources/{SOURCE}", headers={"Accept": "text/html"}),
                "feed-check": httpx.post(f"{live.url}/feed-check", data={"url": feed.url, "sample": "5"}),
            }
    for name, response in pages.items():
        assert response.status_code == 200, (name, response.text[:300])
        assert response.headers["content-type"].startswith("text/html"), name
        for markup in RAW_MARKUP:
            assert markup not in response.text, (name, markup)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in pages["record"].text
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in pages["record"].text
    check = pages["feed-check"].text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in check  # the repository name, as text
    assert quote('"><script>', safe="") in check or "&quot;&gt;&lt;script&gt;alert(5)" in check
