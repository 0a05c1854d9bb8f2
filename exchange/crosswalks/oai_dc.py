"""Simple Dublin Core (``oai_dc``, the OAI-PMH baseline format) → hub record.

:class:`DublinCoreCrosswalk` holds one handler per DC element, found through the
``HANDLERS`` table by (namespace, local name). The qualified formats (qualified DC,
nsdl_dc in :mod:`exchange.crosswalks.dcterms`) extend the table with DCMI terms instead
of copying the element handlers; the small helpers below are shared with DataCite.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from lxml import etree

from exchange.crosswalks import trace
from exchange.crosswalks.base import (
    Crosswalk,
    CrosswalkError,
    RecordContext,
    register,
)
from exchange.crosswalks.lom import XML_LANG
from exchange.model import Record, add_text, concept
from exchange.model.record import add_listed_text, join_text
from exchange.namespaces import DC, OAI_DC
from exchange.normalize import (
    clean_block,
    clean_line,
    iso_date,
    language_tag,
    licence_uri,
    looks_like_organization,
    web_url,
)

Element = etree._Element

_MIME = re.compile(r"^[a-z]+/[a-z0-9.+-]+$", re.IGNORECASE)
#: OpenAIRE access-rights tokens (info:eu-repo/semantics/openAccess ...), seen in dc:rights and DataCite rightsURI
EU_REPO_ACCESS = re.compile(r"^info:eu-repo/semantics/(openAccess|embargoedAccess|restrictedAccess|closedAccess)$")
#: key in :attr:`Draft.dates` for plain dc:date values: the earliest becomes dateCreated if nothing better says so
ANY_DATE = "date"


# ---------------------------------------------------------------- helpers shared by DC-like crosswalks


def agent(name: str, default: str = "Person") -> dict[str, str]:
    """A schema.org agent for a bare name; DC says nothing about the kind, so guess organizations."""
    kind = "Organization" if looks_like_organization(name) else default
    return {"type": kind, "name": name}


def add_unique(record: Record, key: str, value: Any) -> bool:
    """Append ``value`` to the list ``record[key]`` unless it is there; True if it was added."""
    values = record.setdefault(key, [])
    if value in values:
        return False
    values.append(value)
    return True


def add_language(record: Record, element: Element, text: str) -> None:
    """A language element's text as a BCP 47 tag; what the normalizer cannot read is reported dropped."""
    code = language_tag(text)
    if code:
        add_unique(record, "inLanguage", code)
    elif clean_line(text):
        trace.mark(element, trace.DROPPED, "not a language code")


def add_format(record: Record, element: Element, text: str) -> None:
    """Media types become encodingFormat; sizes and free text ('plain', '151500') do not."""
    value = clean_line(text)
    if _MIME.match(value):
        add_unique(record, "encodingFormat", value)
    elif value:
        trace.mark(element, trace.DROPPED, "not a media type (encodingFormat holds MIME types)")


def add_access_token(record: Record, value: str) -> bool:
    """An OpenAIRE access-rights token → conditionsOfAccess (and free access for openAccess)."""
    match = EU_REPO_ACCESS.match(value)
    if not match:
        return False
    add_unique(record, "conditionsOfAccess", concept(value, notation=match.group(1)))
    if match.group(1) == "openAccess":
        record.setdefault("isAccessibleForFree", True)
    return True


def set_licence(record: Record, element: Element | None, uri: str) -> None:
    """The first licence wins; a different later one is reported as dropped."""
    if "license" not in record:
        record["license"] = {"id": uri}
    elif record["license"]["id"] != uri:
        trace.mark(element, trace.DROPPED, "a second licence; the hub record holds one")


#: the DCMES elements with a handler (dc:source, dc:relation, dc:coverage are dropped with a reason)
DC_ELEMENTS = (
    "title",
    "description",
    "subject",
    "creator",
    "contributor",
    "publisher",
    "date",
    "type",
    "format",
    "identifier",
    "language",
    "rights",
)


def literal_concept(value: str, language: str | None, vocabulary: str | None) -> dict[str, Any]:
    """A controlled value the hub cannot map: an IRI as is, else the label and where it came from."""
    iri = web_url(value)
    if iri:
        return concept(iri, source_vocabulary=vocabulary)
    return concept(labels={language or "@none": value}, source_vocabulary=vocabulary)


def dropped_paths(roots: Iterable[str], reasons: dict[str, str]) -> dict[str, str]:
    """``dropped`` table entries under each payload root, in trace.xml_leaves' lower-case path form."""
    return {f"{root}/{name.lower()}": reason for root in roots for name, reason in reasons.items()}


@dataclass
class Draft:
    """A record being built, and what can only be decided once every element is read."""

    record: Record
    context: RecordContext
    #: hub date property (or ANY_DATE) → (ISO date, element) pairs seen
    dates: dict[str, list[tuple[str, Element]]] = field(default_factory=dict)

    def add_date(self, key: str, element: Element, text: str) -> None:
        date = iso_date(text)
        if date:
            self.dates.setdefault(key, []).append((date, element))
        elif clean_line(text):
            trace.mark(element, trace.DROPPED, "not an ISO 8601 date")

    def use_earliest(self, key: str, target: str) -> None:
        """``record[target]`` = the earliest date collected under ``key``, unless already set."""
        found = sorted(self.dates.pop(key, []), key=lambda pair: pair[0])
        if not found:
            return
        taken = target not in self.record
        if taken:
            self.record[target] = found[0][0]
        for index, (_, element) in enumerate(found):
            if not taken:
                trace.mark(element, trace.DROPPED, f"{target} comes from a more specific element")
            elif index:
                trace.mark(element, trace.DROPPED, f"a later date; {target} is the earliest")


Handler = Callable[[Any, Draft, Element], None]

#: DCMES 1.1 elements (https://www.dublincore.org/specifications/dublin-core/dces/) the hub has no field for
DC_DROPPED: dict[str, str] = {
    "relation": "relations to other resources are not in the hub record",
    "source": "the resource this one derives from is not in the hub record",
    "coverage": "spatial/temporal coverage is not in the hub record",
}


class DublinCoreCrosswalk(Crosswalk):
    """Shared reader of DC-based payloads: every child element goes to the handler its name selects.

    Elements without a handler are left unread, so the coverage report shows them unless the
    subclass's ``dropped`` table gives the reason they are left out.
    """

    #: (namespace, local name) → name of the method that reads such an element
    HANDLERS: ClassVar[dict[tuple[str, str], str]] = {(DC, name): f"dc_{name}" for name in DC_ELEMENTS}
    #: what the payload root is called in the coverage report (lower-case local name)
    ROOTS: ClassVar[tuple[str, ...]] = ()

    def to_record(self, payload: Element, context: RecordContext) -> Record:
        draft = Draft(context.new_record(), context)
        for element in payload.iterchildren(etree.Element):
            qname = etree.QName(element)
            method = self.HANDLERS.get((qname.namespace or "", qname.localname))
            if method is not None:
                handler: Handler = getattr(type(self), method)
                handler(self, draft, element)
                trace.mark(element)  # a handler's kept/dropped verdict stays
        self.finish(draft)
        if "name" not in draft.record:
            raise CrosswalkError(f"{self.name} record has no dc:title")
        return draft.record

    def finish(self, draft: Draft) -> None:
        """Dates: each property's earliest; plain dc:date values only fill dateCreated.

        DSpace and others list accession dates beside the creation date; the earliest is the work's.
        """
        for key in [key for key in draft.dates if key != ANY_DATE]:
            draft.use_earliest(key, key)
        draft.use_earliest(ANY_DATE, "dateCreated")

    # ------------------------------------------------------------------ DCMES elements

    def dc_title(self, draft: Draft, element: Element) -> None:
        language = language_tag(element.get(XML_LANG))
        title = clean_line(element.text)
        names = draft.record.get("name", {})
        if title and names.get(language or "@none", title) != title:
            trace.mark(element, trace.DROPPED, "another title in this language came first (name holds one)")
        add_text(draft.record, "name", language, title)

    def dc_description(self, draft: Draft, element: Element) -> None:
        # dc:description repeats (abstract, thesis note, table of contents): joined, not dropped.
        join_text(draft.record, "description", language_tag(element.get(XML_LANG)), clean_block(element.text))

    def dc_subject(self, draft: Draft, element: Element) -> None:
        add_listed_text(draft.record, "keywords", language_tag(element.get(XML_LANG)), clean_line(element.text))

    def dc_creator(self, draft: Draft, element: Element) -> None:
        self.add_agent(draft, element, "creator")

    def dc_contributor(self, draft: Draft, element: Element) -> None:
        self.add_agent(draft, element, "contributor")

    def dc_publisher(self, draft: Draft, element: Element) -> None:
        self.add_agent(draft, element, "publisher", "Organization")

    def add_agent(self, draft: Draft, element: Element, key: str, default: str = "Person") -> None:
        name = clean_line(element.text)
        if name:
            add_unique(draft.record, key, agent(name, default))

    def dc_date(self, draft: Draft, element: Element) -> None:
        draft.add_date(ANY_DATE, element, element.text or "")

    def dc_type(self, draft: Draft, element: Element) -> None:
        value = clean_line(element.text)
        if value:
            language = language_tag(element.get(XML_LANG))
            add_unique(
                draft.record,
                "learningResourceType",
                concept(labels={language or "@none": value}, source_vocabulary="dc:type"),
            )
            trace.mark(element, trace.KEPT, "dc:type is free text; literal kept")

    def dc_format(self, draft: Draft, element: Element) -> None:
        add_format(draft.record, element, element.text or "")

    def dc_identifier(self, draft: Draft, element: Element) -> None:
        self.identifier(draft.record, clean_line(element.text))

    @staticmethod
    def identifier(record: Record, value: str) -> None:
        """Every identifier is kept; the first web URL is also the resource's url."""
        if not value:
            return
        url = web_url(value)
        if url and "url" not in record:
            record["url"] = url
        add_unique(record, "identifier", value)

    def dc_language(self, draft: Draft, element: Element) -> None:
        add_language(draft.record, element, element.text or "")

    def dc_rights(self, draft: Draft, element: Element) -> None:
        text = clean_block(element.text)
        if not text or add_access_token(draft.record, text):
            return
        uri = licence_uri(text)
        if uri:
            set_licence(draft.record, element, uri)
            if web_url(text):
                return  # the statement is just the licence URL, already in `license`
        join_text(draft.record, "copyrightNotice", language_tag(element.get(XML_LANG)), text)


@register
class OaiDcCrosswalk(DublinCoreCrosswalk):
    name = "oai_dc"
    namespaces: ClassVar[tuple[str, ...]] = (OAI_DC,)
    prefixes: ClassVar[tuple[str, ...]] = ("oai_dc",)
    richness = 1
    ROOTS: ClassVar[tuple[str, ...]] = ("dc",)
    dropped: ClassVar[dict[str, str]] = dropped_paths(ROOTS, DC_DROPPED)
