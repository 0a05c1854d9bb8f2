"""The hub's native format (metadataPrefix ``eduhub``, another EduHub's OAI-PMH provider) → hub record.

The payload is ``<eduhub:record about="{record IRI}">`` with the record graph as one ``<rdf:RDF>``
(schemas/eduhub-native.xsd, written by :mod:`exchange.writers.native`). The graph is read back
with :func:`exchange.model.from_rdf.record_from_triples`, so nothing the other hub holds is lost,
and every triple is either read or refused: a graph with a triple no hub record has (an unknown
property, a blank node, a literal of another type) raises :class:`CrosswalkError` naming it,
since a native record is all or nothing.

The record then becomes this hub's: it is renamed to this hub's record IRI (nodes named after
the record, ``{record}#creator-1``, follow), its provenance pages are kept (where the other hub
got it from, and so on: the chain; in IRI order, as RDF keeps none), and this hub's own page is
appended. Providers of the kept pages are named by the last path segment of their IRI (the
source name under ``{base}/sources/``): the record graph links providers without their names.

The RDF/XML is taken from the element the hardened parser made (harvesters/xml.py: no DTD,
no entities) and parsed by pyoxigraph without a base IRI: nothing is fetched, and relative
IRIs, which a hub never writes, fail. An entity reference left unexpanded in the payload is
refused, and so is RDF/XML declaring entities (:func:`harvesters.xml.refuse_entity_declarations`:
pyoxigraph's RDF/XML parser expands them recursively, so it must never see a declaration).
"""

from __future__ import annotations

from typing import ClassVar

from lxml import etree
from pyoxigraph import RdfFormat, parse

from exchange.crosswalks import trace
from exchange.crosswalks.base import Crosswalk, CrosswalkError, RecordContext, register
from exchange.model import Record, RecordInvalid, validate
from exchange.model.from_rdf import NotARecordGraph, record_from_triples
from exchange.namespaces import EDUHUB_NATIVE
from harvesters import xml

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RECORD = f"{{{EDUHUB_NATIVE}}}record"
RDF = f"{{{RDF_NS}}}RDF"


@register
class NativeCrosswalk(Crosswalk):
    name = "eduhub"
    namespaces: ClassVar[tuple[str, ...]] = (EDUHUB_NATIVE,)
    prefixes: ClassVar[tuple[str, ...]] = ("eduhub",)
    #: lossless: above every other format a source may offer
    richness = 100

    def to_record(self, payload: etree._Element, context: RecordContext) -> Record:
        if payload.tag != RECORD:
            raise CrosswalkError(f"eduhub payload must be <eduhub:record> in {EDUHUB_NATIVE}, not <{payload.tag}>")
        about = (payload.get("about") or "").strip()
        if not about:
            raise CrosswalkError("eduhub:record has no about attribute (the record IRI)")
        children = [child for child in payload if isinstance(child.tag, str)]
        if len(children) != 1 or children[0].tag != RDF:
            found = ", ".join(f"<{child.tag}>" for child in children) or "nothing"
            raise CrosswalkError(f"eduhub:record <{about}> must hold exactly one rdf:RDF element, it holds {found}")
        [graph] = children
        entity = next(graph.iter(etree.Entity), None)
        if entity is not None:
            raise CrosswalkError(
                f"eduhub:record <{about}>: entity reference {entity.text} in the RDF/XML (not expanded)"
            )
        data = etree.tostring(graph)
        try:
            # pyoxigraph expands internal entities (billion laughs); a serialized element never holds
            # a DOCTYPE, and this keeps it so should the payload ever come from elsewhere
            xml.refuse_entity_declarations(data, f"eduhub:record <{about}>")
            triples = list(parse(data, format=RdfFormat.RDF_XML))
        except xml.EntityDeclarations as error:
            raise CrosswalkError(str(error)) from None
        except (SyntaxError, ValueError) as error:
            raise CrosswalkError(f"eduhub:record <{about}>: the RDF/XML does not parse: {error}") from None
        try:
            record = record_from_triples(about, triples)
        except NotARecordGraph as error:
            raise CrosswalkError(f"eduhub:record <{about}> is not a hub record graph: {error}") from None

        record["id"] = context.record_iri
        record["mainEntityOfPage"] = [*record.get("mainEntityOfPage", ()), *context.new_record()["mainEntityOfPage"]]
        try:
            validate(record)
        except RecordInvalid as error:
            raise CrosswalkError(f"eduhub:record <{about}> is not a valid hub record: {error}") from None
        # Every value reached the record (anything else raised above).
        trace.mark(payload)
        return record
