"""Simple Dublin Core (``oai_dc``, the OAI-PMH baseline format) → hub record."""

from __future__ import annotations

import re
from typing import ClassVar

from lxml import etree

from exchange.crosswalks.base import (
    Crosswalk,
    CrosswalkError,
    RecordContext,
    register,
)
from exchange.crosswalks.lom import XML_LANG
from exchange.model import Record, add_text, concept
from exchange.model.record import add_listed_text
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

_MIME = re.compile(r"^[a-z]+/[a-z0-9.+-]+$", re.IGNORECASE)


def _agent(name: str, default: str = "Person") -> dict[str, str]:
    kind = "Organization" if looks_like_organization(name) else default
    return {"type": kind, "name": name}


@register
class OaiDcCrosswalk(Crosswalk):
    name = "oai_dc"
    namespaces: ClassVar[tuple[str, ...]] = (OAI_DC,)
    prefixes: ClassVar[tuple[str, ...]] = ("oai_dc",)
    richness = 1

    def to_record(self, payload: etree._Element, context: RecordContext) -> Record:
        record = context.new_record()
        dates: list[str] = []
        for element in payload.iterchildren(tag=f"{{{DC}}}*"):
            field = element.tag[len(DC) + 2 :]
            language = language_tag(element.get(XML_LANG))
            text = element.text or ""
            if field == "title":
                add_text(record, "name", language, clean_line(text))
            elif field == "description":
                add_text(record, "description", language, clean_block(text))
            elif field == "subject":
                add_listed_text(record, "keywords", language, clean_line(text))
            elif field in ("creator", "contributor", "publisher"):
                name = clean_line(text)
                if name:
                    agent = _agent(name, "Organization" if field == "publisher" else "Person")
                    if agent not in record.get(field, []):
                        record.setdefault(field, []).append(agent)
            elif field == "date":
                date = iso_date(text)
                if date:
                    dates.append(date)
            elif field == "type":
                value = clean_line(text)
                if value:
                    kinds = record.setdefault("learningResourceType", [])
                    kind = concept(labels={language or "@none": value}, source_vocabulary="dc:type")
                    if kind not in kinds:
                        kinds.append(kind)
            elif field == "format":
                value = clean_line(text)
                if _MIME.match(value) and value not in record.get("encodingFormat", []):
                    record.setdefault("encodingFormat", []).append(value)
            elif field == "identifier":
                self.identifier(record, clean_line(text))
            elif field == "language":
                code = language_tag(text)
                if code and code not in record.get("inLanguage", []):
                    record.setdefault("inLanguage", []).append(code)
            elif field == "rights":
                uri = licence_uri(text)
                if uri:
                    record.setdefault("license", {"id": uri})
                add_text(record, "copyrightNotice", language, clean_block(text))
        if dates:
            # DSpace and others list accession dates beside the creation date; the earliest is the work's.
            record["dateCreated"] = min(dates)
        if "name" not in record:
            raise CrosswalkError("oai_dc record has no dc:title")
        return record

    @staticmethod
    def identifier(record: Record, value: str) -> None:
        if not value:
            return
        url = web_url(value)
        if url and "url" not in record:
            record["url"] = url
        if value not in record.get("identifier", []):
            record.setdefault("identifier", []).append(value)
