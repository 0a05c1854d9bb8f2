"""Offline validation of OAI-PMH responses: OAI-PMH.xsd with every payload schema beside it.

OAI-PMH.xsd validates ``<metadata>`` and ``<description>`` content strictly (``##other``,
``processContents="strict"``), so the schemas of oai_dc, IEEE LOM, oai-identifier and the
hub's native format are imported into one wrapper schema. Imports resolve inside
tests/fixtures/xsd/ and schemas/ or fail: validation never goes online.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
XSD = ROOT / "tests" / "fixtures" / "xsd"
SCHEMAS = ROOT / "schemas"

IMPORTS = {
    "http://www.openarchives.org/OAI/2.0/": XSD / "OAI-PMH.xsd",
    "http://www.openarchives.org/OAI/2.0/oai_dc/": XSD / "oai_dc.xsd",
    "http://ltsc.ieee.org/xsd/LOM": XSD / "ieee-lom-v1.0" / "lom.xsd",
    "http://www.openarchives.org/OAI/2.0/oai-identifier": XSD / "oai-identifier.xsd",
    "https://w3id.org/eduhub/ns/oai-native/": SCHEMAS / "eduhub-native.xsd",
}


class LocalSchemasOnly(etree.Resolver):
    """Schema imports and includes resolve inside tests/fixtures/xsd/ or schemas/, or fail."""

    def resolve(self, url: str | None, pubid: str | None, context: object) -> Any:
        path = Path((url or "").removeprefix("file://")).resolve()
        allowed = (XSD.resolve(), SCHEMAS.resolve())
        if "://" in (url or "").removeprefix("file://") or not any(folder in path.parents for folder in allowed):
            raise AssertionError(f"schema wanted {url!r}, which is not a local test schema")
        return self.resolve_filename(str(path), context)


def _parser() -> etree.XMLParser:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(LocalSchemasOnly())
    return parser


@cache
def oai_schema() -> etree.XMLSchema:
    imports = "".join(
        f'<xs:import namespace="{namespace}" schemaLocation="{path.as_uri()}"/>' for namespace, path in IMPORTS.items()
    )
    wrapper = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:eduhub:tests:oai-wrapper">'
        f"{imports}</xs:schema>"
    )
    document = etree.fromstring(wrapper.encode(), _parser(), base_url=(XSD / "wrapper.xsd").as_uri())
    return etree.XMLSchema(etree.ElementTree(document))


def problems(document: bytes | etree._Element) -> list[str]:
    """Why ``document`` is not a valid OAI-PMH response (empty when it is)."""
    root = document if isinstance(document, etree._Element) else etree.fromstring(document, _parser())
    schema = oai_schema()
    if schema.validate(root):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]
