"""DataCite Metadata Schema (kernel 3 and 4, bare or in the ``oai_datacite`` wrapper) → hub record.

Repositories such as Zenodo or institutional ones mix research output and learning material
and often publish DataCite as their richest format. Every DataCite record becomes a hub record,
whatever its ``resourceTypeGeneral``: a Dataset or Software is described as a resource like any
other, and its type (kept as a DataCite concept) lets users filter. Element semantics follow the
DataCite Metadata Schema 4.5 documentation (https://schema.datacite.org/meta/kernel-4.5/); kernel 3
is a subset read the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar
from urllib.parse import quote

from lxml import etree

from exchange.crosswalks import trace
from exchange.crosswalks.base import Crosswalk, CrosswalkError, RecordContext, register
from exchange.crosswalks.lom import XML_LANG
from exchange.crosswalks.oai_dc import (
    Element,
    add_access_token,
    add_format,
    add_language,
    add_unique,
    dropped_paths,
    set_licence,
)
from exchange.model import Record, add_text, concept
from exchange.model.record import add_listed_text, join_text
from exchange.normalize import (
    byte_size,
    clean_block,
    clean_line,
    iso_date,
    language_tag,
    licence_uri,
    looks_like_organization,
    web_url,
)

KERNEL_3 = "http://datacite.org/schema/kernel-3"
KERNEL_4 = "http://datacite.org/schema/kernel-4"
OAI_DATACITE_1_0 = "http://schema.datacite.org/oai/oai-1.0/"
OAI_DATACITE_1_1 = "http://schema.datacite.org/oai/oai-1.1/"

RESOURCE_TYPE_GENERAL = "DataCite resourceTypeGeneral"
#: dateType → hub property; Available stands in for Issued (DataCite 4.5 appendix 1, table 7)
DATE_TYPES = {"Created": "dateCreated", "Issued": "datePublished", "Updated": "dateModified"}
#: descriptionTypes joined into the description, abstract first; SeriesInformation describes the series
DESCRIPTION_TYPES = ("Abstract", "Other", "TableOfContents", "Methods", "TechnicalInfo")

_DOI = re.compile(r"^(?:doi:|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+)$", re.IGNORECASE)
_ORCID = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$")
_ROR = re.compile(r"(0[a-z0-9]{6}\d{2})$")
#: nameIdentifierScheme (lower case) → (pattern of the bare identifier, IRI prefix)
_AGENT_IRIS: dict[str, tuple[re.Pattern[str], str]] = {
    "orcid": (_ORCID, "https://orcid.org/"),
    "ror": (_ROR, "https://ror.org/"),
    "isni": (re.compile(r"(\d{15}[\dX])$"), "https://isni.org/isni/"),
    "gnd": (re.compile(r"([\dX-]{7,12})$"), "https://d-nb.info/gnd/"),
}

_NO_FIELD = "not in the hub model (schema.org/AMB has no property for it)"
_RESOURCE_DROPPED = {
    "relatedIdentifiers": "relations to other resources are not in the hub record",
    "relatedItems": "relations to other resources are not in the hub record",
    "fundingReferences": _NO_FIELD + ": funding",
    "geoLocations": _NO_FIELD + ": spatial coverage (spatialCoverage wants a Place)",
}
_WRAPPER_DROPPED = {
    "schemaVersion": "describes the metadata record, not the resource",
    "datacentreSymbol": "describes the metadata record, not the resource",
    "isReferenceQuality": "describes the metadata record, not the resource",
}


@dataclass
class _Draft:
    record: Record
    context: RecordContext
    namespace: str
    doi_url: str | None = None
    landing_page: str | None = None
    dates: dict[str, list[str]] = field(default_factory=dict)

    def children(self, element: Element | None, name: str) -> list[Element]:
        if element is None:
            return []
        return list(element.iterchildren(f"{{{self.namespace}}}{name}"))

    def child(self, element: Element | None, name: str) -> Element | None:
        found = self.children(element, name)
        return found[0] if found else None

    def grandchildren(self, resource: Element, container: str, name: str) -> list[Element]:
        return [item for box in self.children(resource, container) for item in self.children(box, name)]


def text_with_breaks(element: Element) -> str:
    """Text of a description, whose ``<br/>`` children (kernel 3/4) are line breaks."""
    parts = [element.text or ""]
    for child in element.iterchildren():
        if isinstance(child.tag, str):  # comments and processing instructions add only their tail
            parts.append("\n" if etree.QName(child).localname == "br" else "".join(child.itertext()))
        parts.append(child.tail or "")
    return "".join(parts)


def doi(value: str) -> str | None:
    """The bare DOI in ``10.5281/zenodo.1``, ``doi:10.5281/…`` or a resolver URL."""
    match = _DOI.match(clean_line(value))
    return match.group(1) if match else None


def agent_iri(scheme: str, value: str, scheme_uri: str | None = None) -> str | None:
    """An IRI for a nameIdentifier: known schemes' resolver URLs, else a URL given as is."""
    value = clean_line(value)
    known = _AGENT_IRIS.get(scheme.strip().lower())
    if known:
        pattern, prefix = known
        match = pattern.search(value.rstrip("/").replace(" ", ""))  # ISNIs are often written in groups of 4
        return prefix + match.group(1) if match else None
    if web_url(value):
        return value
    if scheme_uri and web_url(scheme_uri):
        return web_url(scheme_uri.rstrip("/") + "/" + quote(value))
    return None


@register
class DataCiteCrosswalk(Crosswalk):
    name = "datacite"
    namespaces: ClassVar[tuple[str, ...]] = (KERNEL_4, KERNEL_3, OAI_DATACITE_1_1, OAI_DATACITE_1_0)
    prefixes: ClassVar[tuple[str, ...]] = ("datacite", "oai_datacite", "datacite3", "datacite4", "oai_datacite4")
    richness = 10
    dropped: ClassVar[dict[str, str]] = {
        **dropped_paths(("resource", "oai_datacite/payload/resource"), _RESOURCE_DROPPED),
        **dropped_paths(("oai_datacite",), _WRAPPER_DROPPED),
    }

    def resource(self, payload: Element) -> Element:
        """The kernel ``<resource>``: the payload, or inside the oai_datacite ``<payload>``."""
        if etree.QName(payload).localname == "resource":
            return payload
        for element in payload.iter("{*}resource"):
            if etree.QName(element).namespace in (KERNEL_3, KERNEL_4):
                return element
        raise CrosswalkError("oai_datacite payload has no DataCite <resource>")

    def to_record(self, payload: Element, context: RecordContext) -> Record:
        resource = self.resource(payload)
        draft = _Draft(context.new_record(), context, etree.QName(resource).namespace or "")
        self.titles(draft, resource)
        for creator in draft.grandchildren(resource, "creators", "creator"):
            self.agent(draft, creator, "creator")
        for contributor in draft.grandchildren(resource, "contributors", "contributor"):
            self.agent(draft, contributor, "contributor")
        self.publisher(draft, draft.child(resource, "publisher"))
        self.identifiers(draft, resource)
        self.dates(draft, resource)
        for subject in draft.grandchildren(resource, "subjects", "subject"):
            self.subject(draft, subject)
        self.resource_type(draft, draft.child(resource, "resourceType"))
        for rights in draft.grandchildren(resource, "rightsList", "rights"):
            self.rights(draft, rights)
        self.descriptions(draft, resource)
        for language in draft.children(resource, "language"):
            add_language(draft.record, language, language.text or "")
            trace.mark(language)
        for element in draft.grandchildren(resource, "formats", "format"):
            add_format(draft.record, element, element.text or "")
            trace.mark(element)
        for size in draft.grandchildren(resource, "sizes", "size"):
            found = byte_size(size.text)
            if found is not None and "contentSize" not in draft.record:
                draft.record["contentSize"] = found
                trace.mark(size)
            else:
                trace.mark(
                    size,
                    trace.DROPPED,
                    "not a size in bytes (pages, durations …)" if found is None else "one size is kept",
                )
        version = draft.child(resource, "version")
        if version is not None and clean_line(version.text):
            draft.record["version"] = clean_line(version.text)
            trace.mark(version)
        url = draft.landing_page or draft.doi_url
        if url:
            draft.record["url"] = url
        if "name" not in draft.record:
            raise CrosswalkError("DataCite record has no title")
        return draft.record

    # ------------------------------------------------------------------ properties

    def titles(self, draft: _Draft, resource: Element) -> None:
        """Untyped and translated titles are the name (one per language); the others have no field."""
        for title in draft.grandchildren(resource, "titles", "title"):
            text = clean_line(title.text)
            if not text:
                continue
            kind = title.get("titleType")
            language = language_tag(title.get(XML_LANG))
            if kind in (None, "TranslatedTitle") and language not in draft.record.get("name", {}):
                add_text(draft.record, "name", language, text)
                trace.mark(title)
            elif kind in (None, "TranslatedTitle"):
                trace.mark(title, trace.DROPPED, "another title in this language came first (name holds one)")
            else:
                trace.mark(title, trace.DROPPED, f"{_NO_FIELD}: {kind}")
        if "name" not in draft.record:  # only typed titles: the first still names the resource
            for title in draft.grandchildren(resource, "titles", "title"):
                if clean_line(title.text):
                    add_text(draft.record, "name", language_tag(title.get(XML_LANG)), clean_line(title.text))
                    trace.mark(title, trace.MAPPED)
                    break

    def agent(self, draft: _Draft, element: Element, key: str) -> None:
        """A creator or contributor: nameType decides the kind; a known nameIdentifier gives the id."""
        name_element = draft.child(element, "creatorName" if key == "creator" else "contributorName")
        parts = [
            part for part in (draft.child(element, "givenName"), draft.child(element, "familyName")) if part is not None
        ]
        name = clean_line(name_element.text if name_element is not None else "")
        for part in parts:
            if name:
                trace.mark(part, trace.DROPPED, "the name is taken whole; given/family names have no field")
            else:
                trace.mark(part)
        name = name or " ".join(clean_line(part.text) for part in parts if clean_line(part.text))
        if not name:
            return
        trace.mark(name_element)
        kind = name_element.get("nameType") if name_element is not None else None
        organization = kind == "Organizational" or (not kind and not parts and looks_like_organization(name))
        agent = {"type": "Organization" if organization else "Person", "name": name}
        for identifier in draft.children(element, "nameIdentifier"):
            scheme = identifier.get("nameIdentifierScheme", "")
            iri = agent_iri(scheme, identifier.text or "", identifier.get("schemeURI"))
            if iri and "id" not in agent:
                agent["id"] = iri
                trace.mark(identifier)
            elif clean_line(identifier.text):
                trace.mark(identifier, trace.DROPPED, "no IRI for this identifier, or the agent already has one")
        for affiliation in draft.children(element, "affiliation"):
            trace.mark(affiliation, trace.DROPPED, "affiliations are not in the hub record (AMB has them)")
        add_unique(draft.record, key, agent)

    def publisher(self, draft: _Draft, element: Element | None) -> None:
        name = clean_line(element.text if element is not None else "")
        if not name:
            return
        agent: dict[str, str] = {"type": "Organization", "name": name}
        scheme = element.get("publisherIdentifierScheme")  # kernel 4.5
        iri = agent_iri(scheme, element.get("publisherIdentifier", ""), element.get("schemeURI")) if scheme else None
        if iri:
            agent["id"] = iri
        add_unique(draft.record, "publisher", agent)
        trace.mark(element)

    def identifiers(self, draft: _Draft, resource: Element) -> None:
        """The DOI as a resolver URL; alternate identifiers as given (a URL one is the landing page)."""
        identifier = draft.child(resource, "identifier")
        value = clean_line(identifier.text if identifier is not None else "")
        if value:
            bare = doi(value) if (identifier.get("identifierType") or "DOI").upper() == "DOI" else None
            url = web_url("https://doi.org/" + quote(bare, safe="/:;()[]._-~!$&'*+,=@")) if bare else None
            if url:
                draft.doi_url = url
                add_unique(draft.record, "identifier", url)
            else:
                add_unique(draft.record, "identifier", value)
                draft.landing_page = draft.landing_page or web_url(value)
            trace.mark(identifier)
        for alternate in draft.grandchildren(resource, "alternateIdentifiers", "alternateIdentifier"):
            value = clean_line(alternate.text)
            if not value:
                continue
            if value == draft.context.oai_identifier:
                trace.mark(alternate, trace.DROPPED, "the record's own OAI identifier (in mainEntityOfPage)")
                continue
            add_unique(draft.record, "identifier", value)
            if (alternate.get("alternateIdentifierType") or "").upper() == "URL" and web_url(value):
                draft.landing_page = draft.landing_page or web_url(value)
            trace.mark(alternate)

    def dates(self, draft: _Draft, resource: Element) -> None:
        found: dict[str, list[str]] = {}
        for element in draft.grandchildren(resource, "dates", "date"):
            kind = element.get("dateType", "")
            key = DATE_TYPES.get(kind) or ("available" if kind == "Available" else None)
            date = iso_date(element.text)
            if key and date:
                found.setdefault(key, []).append(date)
                trace.mark(element)
            elif key and clean_line(element.text):
                trace.mark(element, trace.DROPPED, "not a single ISO 8601 date")
            elif clean_line(element.text):
                trace.mark(element, trace.DROPPED, f"no matching date in the hub record for dateType {kind!r}")
        for key in ("dateCreated", "datePublished", "dateModified"):
            if key in found:
                draft.record[key] = min(found[key])
        if "datePublished" not in draft.record and "available" in found:
            draft.record["datePublished"] = min(found["available"])
        year = draft.child(resource, "publicationYear")
        if year is None or not clean_line(year.text):
            return
        if "datePublished" in draft.record:
            trace.mark(year, trace.DROPPED, "datePublished comes from an Issued or Available date")
        elif iso_date(year.text):
            draft.record["datePublished"] = iso_date(year.text)
            trace.mark(year)
        else:
            trace.mark(year, trace.DROPPED, "not a year")

    def subject(self, draft: _Draft, element: Element) -> None:
        """A subject with a valueURI is a concept; one in a named scheme a literal concept; others keywords."""
        text = clean_line(element.text)
        language = language_tag(element.get(XML_LANG))
        labels = {language or "@none": text} if text else None
        iri = web_url(element.get("valueURI"))
        scheme_name = clean_line(element.get("subjectScheme"))
        if iri:
            value = concept(iri, labels=labels, scheme=web_url(element.get("schemeURI")))
            add_unique(draft.record, "about", value)
            trace.mark(element)
        elif scheme_name and text:
            code = clean_line(element.get("classificationCode"))  # kernel 4.4
            value = concept(notation=code or None, labels=labels, source_vocabulary=scheme_name)
            add_unique(draft.record, "about", value)
            trace.mark(element, trace.KEPT, f"no IRI for this subject of scheme {scheme_name!r}; literal kept")
        else:
            add_listed_text(draft.record, "keywords", language, text)
            trace.mark(element)

    def resource_type(self, draft: _Draft, element: Element | None) -> None:
        """resourceTypeGeneral (controlled, no hub mapping yet) and the free-text resourceType, kept."""
        if element is None:
            return
        general = clean_line(element.get("resourceTypeGeneral"))
        if general:
            kind = concept(notation=general, source_vocabulary=RESOURCE_TYPE_GENERAL)
            add_unique(draft.record, "learningResourceType", kind)
        text = clean_line(element.text)
        if text:
            label = concept(labels={"@none": text}, source_vocabulary="DataCite resourceType")
            add_unique(draft.record, "learningResourceType", label)
            trace.mark(element, trace.KEPT, "no mapping for DataCite resource types; literals kept")

    def rights(self, draft: _Draft, element: Element) -> None:
        """rightsList: an SPDX id or rightsURI gives the licence, an OpenAIRE token the access rights."""
        uri_attribute = clean_line(element.get("rightsURI"))
        spdx = (
            clean_line(element.get("rightsIdentifier"))
            if element.get("rightsIdentifierScheme", "").lower() == "spdx"
            else ""
        )
        text = clean_block(element.text)
        if uri_attribute and add_access_token(draft.record, uri_attribute):
            trace.mark(element)
            return
        uri = licence_uri(spdx) or licence_uri(uri_attribute) or licence_uri(text) or web_url(uri_attribute)
        if uri:
            set_licence(draft.record, element, uri)
        elif text and not add_access_token(draft.record, text):
            join_text(draft.record, "copyrightNotice", language_tag(element.get(XML_LANG)), text)
        trace.mark(element)

    def descriptions(self, draft: _Draft, resource: Element) -> None:
        elements = draft.grandchildren(resource, "descriptions", "description")
        order = {kind: rank for rank, kind in enumerate(DESCRIPTION_TYPES)}
        for element in sorted(elements, key=lambda e: order.get(e.get("descriptionType", "Other"), len(order))):
            text = clean_block(text_with_breaks(element))
            if not text:
                continue
            kind = element.get("descriptionType", "Other")
            if kind in order:
                join_text(draft.record, "description", language_tag(element.get(XML_LANG)), text)
                trace.mark(element)
            else:
                trace.mark(element, trace.DROPPED, f"{_NO_FIELD}: {kind}")
