"""Hub record → the hub's native OAI-PMH format (metadataPrefix ``eduhub``): lossless, for hub-to-hub.

The payload is ``<eduhub:record about="{record IRI}">`` holding one ``<rdf:RDF>``: the record's
named graph, exactly the triples :func:`exchange.model.rdf.to_ntriples` writes, as RDF/XML
(schemas/eduhub-native.xsd). Another hub reads it back with :mod:`exchange.crosswalks.native`
(:func:`exchange.model.from_rdf.record_from_triples`), which gives the same graph.

What the graph does not hold is not in the payload either: a concept with an IRI is a link (its
labels live in the vocabulary graph), a provider is a link (its name lives in the sources graph).
Language tags are written in BCP 47 case (``fr-CA``, where pyoxigraph writes ``fr-ca``). A record
whose text holds a character XML 1.0 cannot carry (a C0 control other than tab and line breaks)
raises ValueError: it has no native payload.
"""

from __future__ import annotations

from lxml import etree
from pyoxigraph import RdfFormat, parse, serialize

from exchange.model import Record, to_ntriples
from exchange.model.from_rdf import language_case
from exchange.namespaces import EDUHUB_NATIVE, HUB, SCHEMA, SKOS
from harvesters import xml

NATIVE_SCHEMA = "https://w3id.org/eduhub/schemas/eduhub-native.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
RECORD = f"{{{EDUHUB_NATIVE}}}record"
#: prefixes of the RDF/XML (rdf: is always declared by the serializer)
PREFIXES = {"schema": SCHEMA, "skos": SKOS, "hub": HUB}


def record_graph_xml(record: Record) -> bytes:
    """The record's graph as an RDF/XML document (bytes)."""
    ntriples = "\n".join(to_ntriples(record)).encode("utf-8")
    data = serialize(parse(ntriples, format=RdfFormat.N_TRIPLES), format=RdfFormat.RDF_XML, prefixes=PREFIXES)
    # pyoxigraph (0.5) writes a carriage return in a literal as is, and XML parsers read it as a line
    # feed (XML 1.0 §2.11): as a character reference it stays. Only literals can hold one (IRIs cannot;
    # the serializer indents with line feeds).
    return data.replace(b"\r", b"&#13;") if b"\r" in data else data


def write_native(record: Record) -> etree._Element:
    """``record`` as ``<eduhub:record about="…"><rdf:RDF>…</rdf:RDF></eduhub:record>``."""
    root = etree.Element(RECORD, nsmap={"eduhub": EDUHUB_NATIVE, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{EDUHUB_NATIVE} {NATIVE_SCHEMA}")
    root.set("about", record["id"])
    # The serializer's output goes through the hardened parser like any XML the hub reads.
    try:
        graph = xml.parse(record_graph_xml(record))
    except etree.XMLSyntaxError as error:
        # Text with characters XML 1.0 cannot carry at all (C0 controls but tab and line breaks).
        raise ValueError(f"record {record['id']} cannot be written as XML: {error}") from None
    # pyoxigraph lower-cases language tags ("fr-ca"); readers of the XML get them in BCP 47 case.
    for element in graph.iter():
        language = element.get(XML_LANG)
        if language:
            element.set(XML_LANG, language_case(language))
    root.append(graph)
    return root
