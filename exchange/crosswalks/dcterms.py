"""Qualified Dublin Core and NSDL's nsdl_dc → hub record.

Both are DC plus DCMI Metadata Terms (https://www.dublincore.org/specifications/dublin-core/dcmi-terms/):
``dc:`` and ``dcterms:`` elements under a wrapper element, with encoding schemes named by
``xsi:type`` (``dcterms:W3CDTF``, ``dcterms:URI``, ``dcterms:DCMIType``, ``nsdl_dc:NSDLEdLevel``).
They extend the element handlers of :class:`~exchange.crosswalks.oai_dc.DublinCoreCrosswalk`.

Qualified DC has no standard wrapper; the namespaces below are those real repositories use:
STFC's ``qdc`` (Omeka DublinCoreExtended, OpenEdition, CONTENTdm sites), DSpace's qdc.xsl and
OCLC's CONTENTdm ``oai_qdc``. nsdl_dc (http://ns.nsdl.org/nsdl_dc_v1.02/) adds NSDL's
vocabularies and a few IEEE LOM elements (``ieee:interactivityType`` …).
"""

from __future__ import annotations

import re
from typing import ClassVar

from lxml import etree

from exchange.crosswalks import trace
from exchange.crosswalks.base import register
from exchange.crosswalks.concepts import add_concepts, controlled_value
from exchange.crosswalks.lom import XML_LANG
from exchange.crosswalks.oai_dc import (
    DC_DROPPED,
    DC_ELEMENTS,
    Draft,
    DublinCoreCrosswalk,
    Element,
    add_access_token,
    add_unique,
    dropped_paths,
    literal_concept,
    set_licence,
)
from exchange.model import concept
from exchange.model.record import join_text
from exchange.namespaces import DC
from exchange.normalize import clean_block, clean_line, language_tag, licence_uri, web_url

DCTERMS = "http://purl.org/dc/terms/"
DCMITYPE = "http://purl.org/dc/dcmitype/"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
NSDL_DC = "http://ns.nsdl.org/nsdl_dc_v1.02/"
#: NSDL's IEEE LOM elements: the NSDL schemas' namespace, and the LOM binding's that some providers used
IEEE = ("http://www.ieee.org/xsd/LOMv1p0", "http://ltsc.ieee.org/xsd/LOM")
NSDL_LAR = "http://ns.nsdl.org/schemas/dc/lar"

QDC_STFC = "http://epubs.cclrc.ac.uk/xmlns/qdc/"
QDC_DSPACE = "http://dspace.org/qualifieddc/"
QDC_OCLC = "http://worldcat.org/xmlschemas/qdc-1.0/"

#: DCMI Type Vocabulary terms (https://www.dublincore.org/specifications/dublin-core/dcmi-type-vocabulary/)
DCMI_TYPES = {
    name.lower(): name
    for name in (
        "Collection",
        "Dataset",
        "Event",
        "Image",
        "InteractiveResource",
        "MovingImage",
        "PhysicalObject",
        "Service",
        "Software",
        "Sound",
        "StillImage",
        "Text",
    )
}
#: subject schemes whose values are class numbers, not labels (DCMI encoding schemes DDC, LCC, UDC)
NOTATION_SCHEMES = {"dcterms:DDC", "dcterms:LCC", "dcterms:UDC"}
#: canonical prefixes for the encoding-scheme namespaces a source may spell as it likes (dct:, terms:)
_PREFIXES = {DCTERMS: "dcterms", NSDL_DC: "nsdl_dc"}
_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")

_RELATION = "relations to other resources are not in the hub record"
_NO_FIELD = "not in the hub model (schema.org/AMB has no property for it)"
#: DCMI terms the hub leaves out, by local name
DCTERMS_DROPPED: dict[str, str] = {
    **DC_DROPPED,
    **{
        name: _RELATION
        for name in (
            "isPartOf",
            "hasPart",
            "isVersionOf",
            "hasVersion",
            "isFormatOf",
            "hasFormat",
            "references",
            "isReferencedBy",
            "requires",
            "isRequiredBy",
            "replaces",
            "isReplacedBy",
            "conformsTo",
        )
    },
    "spatial": DC_DROPPED["coverage"],
    "temporal": DC_DROPPED["coverage"],
    "alternative": _NO_FIELD + ": alternative title",
    "extent": _NO_FIELD + ": size or duration of the resource",
    "medium": _NO_FIELD + ": physical medium",
    "instructionalMethod": _NO_FIELD + ": instructional method",
    "rightsHolder": _NO_FIELD + ": rights holder",
    "bibliographicCitation": _NO_FIELD + ": citation text",
    "provenance": _NO_FIELD + ": provenance of the resource",
    "accrualMethod": "describes a collection's accruals",
    "accrualPeriodicity": "describes a collection's accruals",
    "accrualPolicy": "describes a collection's accruals",
    "dateAccepted": "no matching date in the hub record (dateCreated/datePublished/dateModified)",
    "dateCopyrighted": "no matching date in the hub record (dateCreated/datePublished/dateModified)",
    "dateSubmitted": "no matching date in the hub record (dateCreated/datePublished/dateModified)",
    "valid": "no matching date in the hub record (dateCreated/datePublished/dateModified)",
}


def encoding_scheme(element: Element) -> str | None:
    """The element's ``xsi:type`` as ``prefix:Name``, with DCMI and NSDL prefixes made canonical.

    The value is a QName (XML Schema Part 1 §2.6.1), resolved against the namespaces in scope;
    NSDL declares ``xsi`` only on the OAI-PMH envelope, which lxml keeps in scope.
    """
    value = clean_line(element.get(XSI_TYPE))
    if not value:
        return None
    prefix, _, name = value.rpartition(":")
    namespace = element.nsmap.get(prefix or None)
    if namespace in _PREFIXES:
        return f"{_PREFIXES[namespace]}:{name}"
    if prefix in ("dct", "dcterms", "terms"):  # undeclared prefix: the usual spelling of DCMI terms
        return f"dcterms:{name}"
    return value


def _dc_and_dcterms(*names: str) -> dict[tuple[str, str], str]:
    """DCMI terms repeat the 15 DCMES elements (dcterms:title …): both spellings, one handler."""
    return {(namespace, name): f"dc_{name}" for namespace in (DC, DCTERMS) for name in names}


@register
class QualifiedDcCrosswalk(DublinCoreCrosswalk):
    """DC elements and DCMI terms under a qualified-DC wrapper; encoding schemes from ``xsi:type``."""

    name = "qdc"
    namespaces: ClassVar[tuple[str, ...]] = (QDC_STFC, QDC_DSPACE, QDC_OCLC)
    prefixes: ClassVar[tuple[str, ...]] = ("qdc", "oai_qdc", "dcterms", "qualified-dublin-core")
    richness = 5
    ROOTS: ClassVar[tuple[str, ...]] = ("qualifieddc",)
    dropped: ClassVar[dict[str, str]] = dropped_paths(ROOTS, DCTERMS_DROPPED)

    HANDLERS: ClassVar[dict[tuple[str, str], str]] = {
        **_dc_and_dcterms(*DC_ELEMENTS),
        (DCTERMS, "abstract"): "dc_description",
        (DCTERMS, "tableOfContents"): "dc_description",
        (DCTERMS, "created"): "dcterms_created",
        (DCTERMS, "issued"): "dcterms_issued",
        (DCTERMS, "modified"): "dcterms_modified",
        (DCTERMS, "available"): "dcterms_available",
        (DCTERMS, "educationLevel"): "dcterms_education_level",
        (DCTERMS, "audience"): "dcterms_audience",
        (DCTERMS, "mediator"): "dcterms_audience",
        (DCTERMS, "license"): "dcterms_license",
        (DCTERMS, "accessRights"): "dcterms_access_rights",
    }

    #: xsi:type of an identifier naming the metadata record rather than the resource → why it is dropped
    METADATA_IDENTIFIERS: ClassVar[dict[str, str]] = {}

    # ------------------------------------------------------------------ the hook for controlled values

    def controlled(self, draft: Draft, key: str, element: Element, vocabulary: str | None) -> None:
        """A controlled value of ``element`` → ``record[key]``: the literal with its vocabulary.

        No DCMI-term vocabulary (NSDL's, LCSH, …) has a mapping in the hub yet, so the value is kept.
        """
        value = clean_line(element.text)
        if not value:
            return
        language = language_tag(element.get(XML_LANG))
        add_unique(draft.record, key, literal_concept(value, language, vocabulary))
        if web_url(value):
            return
        if vocabulary:
            trace.mark(element, trace.KEPT, f"no mapping for vocabulary {vocabulary!r}; literal kept")
        else:
            trace.mark(element, trace.KEPT, "uncontrolled value (no xsi:type); literal kept")

    # ------------------------------------------------------------------ DCMES elements with encoding schemes

    def dc_subject(self, draft: Draft, element: Element) -> None:
        """Subjects in a named scheme (LCSH, DDC, nsdl_dc:GEM) are concepts; free ones keywords."""
        vocabulary = encoding_scheme(element)
        if vocabulary is None:
            super().dc_subject(draft, element)
            return
        value = clean_line(element.text)
        if not value:
            return
        if vocabulary in NOTATION_SCHEMES:
            add_unique(draft.record, "about", concept(notation=value, source_vocabulary=vocabulary))
            trace.mark(element, trace.KEPT, f"no mapping for vocabulary {vocabulary!r}; literal kept")
        else:
            self.controlled(draft, "about", element, vocabulary)

    def dc_type(self, draft: Draft, element: Element) -> None:
        """DCMI Type values are concepts with IRIs; NSDL's and other typed values are kept as literals."""
        vocabulary = encoding_scheme(element)
        value = clean_line(element.text)
        if vocabulary is None or not value:
            super().dc_type(draft, element)
            return
        name = DCMI_TYPES.get(value.replace(" ", "").lower()) if vocabulary == "dcterms:DCMIType" else None
        if name:
            kind = concept(DCMITYPE + name, notation=name, source_vocabulary=vocabulary)
            add_unique(draft.record, "learningResourceType", kind)
        else:
            self.controlled(draft, "learningResourceType", element, vocabulary)

    def dc_identifier(self, draft: Draft, element: Element) -> None:
        reason = self.METADATA_IDENTIFIERS.get(encoding_scheme(element) or "")
        if reason and clean_line(element.text):
            trace.mark(element, trace.DROPPED, reason)
            return
        super().dc_identifier(draft, element)

    # ------------------------------------------------------------------ DCMI terms

    def dcterms_created(self, draft: Draft, element: Element) -> None:
        draft.add_date("dateCreated", element, element.text or "")

    def dcterms_issued(self, draft: Draft, element: Element) -> None:
        draft.add_date("datePublished", element, element.text or "")

    def dcterms_modified(self, draft: Draft, element: Element) -> None:
        draft.add_date("dateModified", element, element.text or "")

    def dcterms_available(self, draft: Draft, element: Element) -> None:
        # Availability stands in for publication when the source gives no dcterms:issued.
        draft.add_date("available", element, element.text or "")

    def finish(self, draft: Draft) -> None:
        available = draft.dates.pop("available", [])
        super().finish(draft)
        draft.dates["available"] = available  # only after dcterms:issued had its say
        draft.use_earliest("available", "datePublished")

    def dcterms_education_level(self, draft: Draft, element: Element) -> None:
        self.controlled(draft, "educationalLevel", element, encoding_scheme(element))

    def dcterms_audience(self, draft: Draft, element: Element) -> None:
        self.controlled(draft, "audience", element, encoding_scheme(element))

    def dcterms_license(self, draft: Draft, element: Element) -> None:
        """dcterms:license names a licence: a URL of any licence is its IRI, text may name a CC one."""
        text = clean_block(element.text)
        uri = licence_uri(text) or web_url(text)
        if uri:
            set_licence(draft.record, element, uri)
        elif text:
            join_text(draft.record, "copyrightNotice", language_tag(element.get(XML_LANG)), text)

    def dcterms_access_rights(self, draft: Draft, element: Element) -> None:
        value = clean_line(element.text)
        if value and not add_access_token(draft.record, value):
            self.controlled(draft, "conditionsOfAccess", element, encoding_scheme(element))
            self.free_access(draft, value)

    def free_access(self, draft: Draft, value: str) -> None:
        """Hook: what an access-rights value says about cost (NSDL's vocabulary says it)."""


#: NSDL_DC's access vocabulary (nsdl_dc:NSDLAccess) → schema:isAccessibleForFree
NSDL_ACCESS_FREE = {
    "free access": True,
    "free access with registration": True,
    "available by subscription": False,
    "available for purchase": False,
}


@register
class NsdlDcCrosswalk(QualifiedDcCrosswalk):
    """NSDL_DC 1.02: qualified DC with NSDL vocabularies, IEEE LOM educational elements and LAR terms."""

    name = "nsdl_dc"
    namespaces: ClassVar[tuple[str, ...]] = (NSDL_DC,)
    prefixes: ClassVar[tuple[str, ...]] = ("nsdl_dc",)
    richness = 5
    ROOTS: ClassVar[tuple[str, ...]] = ("nsdl_dc",)
    dropped: ClassVar[dict[str, str]] = dropped_paths(
        ROOTS,
        {
            **DCTERMS_DROPPED,
            "interactivityLevel": _NO_FIELD + ": LOM interactivity level",
            "readiness": "NSDL Learning Application Readiness flag: about the metadata record, not the resource",
            "metadataTerms": "terms of use of the metadata record, not of the resource",
        },
    )

    HANDLERS: ClassVar[dict[tuple[str, str], str]] = {
        **QualifiedDcCrosswalk.HANDLERS,
        **{(namespace, "interactivityType"): "ieee_interactivity_type" for namespace in IEEE},
        **{(namespace, "intendedEndUserRole"): "ieee_intended_end_user_role" for namespace in IEEE},
        **{(namespace, "typicalLearningTime"): "ieee_typical_learning_time" for namespace in IEEE},
    }
    METADATA_IDENTIFIERS: ClassVar[dict[str, str]] = {
        "nsdl_dc:MetadataHandle": "identifies NSDL's metadata record, not the resource",
        "nsdl_dc:NSDLPartnerID": "the partner's OAI identifier of its metadata record, not the resource's",
    }

    def free_access(self, draft: Draft, value: str) -> None:
        free = NSDL_ACCESS_FREE.get(value.lower())
        if free is not None:
            draft.record.setdefault("isAccessibleForFree", free)

    @staticmethod
    def lom_value(element: Element) -> str:
        """The value of an IEEE element: its text, or the last string of a LOM (source, value) pair."""
        own = clean_line(element.text)
        if own:
            return own
        texts = [clean_line(child.text) for child in element.iterchildren(etree.Element)]
        for child in element.iterchildren(etree.Element):
            trace.mark(child)
        texts = [text for text in texts if text]
        return texts[-1] if texts else ""

    def lom_vocabulary(self, draft: Draft, key: str, lom_element: str, element: Element) -> None:
        """IEEE LOM vocabulary values (LOMv1.0 tokens such as 'active'), mapped like LOM's own."""
        value = self.lom_value(element)
        if value:
            found = controlled_value(key, value, source="LOMv1.0", lom_element=lom_element, nodes=[element])
            add_concepts(draft.record, key, found)

    def ieee_interactivity_type(self, draft: Draft, element: Element) -> None:
        self.lom_vocabulary(draft, "interactivityType", "educational/interactivityType", element)

    def ieee_intended_end_user_role(self, draft: Draft, element: Element) -> None:
        self.lom_vocabulary(draft, "audience", "educational/intendedEndUserRole", element)

    def ieee_typical_learning_time(self, draft: Draft, element: Element) -> None:
        value = self.lom_value(element)
        if _DURATION.match(value):
            draft.record.setdefault("timeRequired", value)
        elif value:
            trace.mark(element, trace.DROPPED, "not an ISO 8601 duration")
