"""OAI-PMH.xsd, offline: every answer is validated against the schema the specification points
to (§3.2.1), with the payload schemas the checker ships imported beside it, and schema problems
are sorted into the envelope's and the payloads'.

Schemas are local (``schemas/oai/``, see its PROVENANCE.md): imports and includes resolve inside
the shipped folder or fail, and ``xsi:schemaLocation`` hints in the answers are never followed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from lxml import etree

from exchange.feedcheck.fetch import OAI, OAI_NS
from exchange.resources import data_dir, schema_path

#: elements whose content is a payload in another namespace, checked by its own schema (§2.5, §3.4)
PAYLOAD_HOLDERS = {f"{OAI}metadata", f"{OAI}about", f"{OAI}description", f"{OAI}setDescription"}
_WILDCARD = "No matching global element declaration available, but demanded by the strict wildcard"


class _LocalSchemas(etree.Resolver):
    """Schema imports and includes resolve inside the shipped ``schemas/`` folder, or fail."""

    def resolve(self, url: str | None, pubid: str | None, context: object) -> Any:
        raw = url or ""
        parts = urlsplit(raw)
        if parts.scheme not in ("", "file"):
            raise ValueError(f"schema import {raw!r} is not local; the feed check never validates online")
        path = Path(url2pathname(parts.path) if parts.scheme == "file" else raw).resolve()
        folder = data_dir("schemas").resolve()
        if folder not in path.parents:
            raise ValueError(f"schema import {raw!r} is outside the shipped schemas folder")
        return self.resolve_filename(str(path), context)


#: namespace → schema, imported beside OAI-PMH.xsd, whose `##other` wildcards are strict
PAYLOAD_SCHEMAS = {
    OAI_NS: "oai/OAI-PMH.xsd",
    "http://www.openarchives.org/OAI/2.0/oai_dc/": "oai/oai_dc.xsd",
    "http://ltsc.ieee.org/xsd/LOM": "oai/ieee-lom-v1.0/lom.xsd",
    "http://www.openarchives.org/OAI/2.0/oai-identifier": "oai/oai-identifier.xsd",
    "https://w3id.org/eduhub/ns/oai-native/": "eduhub-native.xsd",
}
_SCHEMA_LOCK = threading.Lock()


@cache
def oai_schema() -> etree.XMLSchema:
    """OAI-PMH.xsd with the payload schemas the checker has, in one wrapper schema (§3.2.1)."""
    imports = "".join(
        f'<xs:import namespace="{namespace}" schemaLocation="{schema_path(path).resolve().as_uri()}"/>'
        for namespace, path in PAYLOAD_SCHEMAS.items()
    )
    wrapper = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:eduhub:feed-check:wrapper">'
        f"{imports}</xs:schema>"
    )
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_LocalSchemas())
    base = (data_dir("schemas") / "oai" / "wrapper.xsd").resolve().as_uri()
    return etree.XMLSchema(etree.ElementTree(etree.fromstring(wrapper.encode(), parser, base_url=base)))


@dataclass
class SchemaFinding:
    """One complaint of the schema: about the envelope, a payload, or a payload it has no schema for."""

    kind: str  # envelope | payload | unchecked
    line: int
    message: str
    namespace: str | None = None


def validate_response(root: etree._Element) -> list[SchemaFinding]:
    """Why a well-formed OAI-PMH response is not valid against OAI-PMH.xsd, sorted into envelope
    problems, payload problems (``<metadata>``, ``<about>``, ``<description>`` content in a
    namespace with a local schema) and payloads whose namespace has no local schema.

    A response with entity references (declared in its DOCTYPE; the hardened parser keeps them
    unexpanded, harvesters/xml.py) cannot be validated: libxml2's validator fails on them with an
    "internal error". That is reported as an envelope finding instead of ending the check."""
    entity = next(root.iter(etree.Entity), None)
    if entity is not None:
        return [
            SchemaFinding(
                "envelope",
                entity.sourceline or 0,
                f"entity reference {entity.text} (declared in the response's DOCTYPE): entities are never "
                "expanded, so the response cannot be validated against OAI-PMH.xsd; OAI-PMH responses need none",
            )
        ]
    schema = oai_schema()
    with _SCHEMA_LOCK:  # the error log lives on the schema object
        try:
            valid = schema.validate(root)
        except etree.XMLSchemaValidateError as error:  # libxml2 gave up; say so rather than end the check
            return [SchemaFinding("envelope", 0, f"the schema validator failed on this response: {error}")]
        errors = [] if valid else list(schema.error_log)
    if not errors:
        return []
    tree = root.getroottree()
    namespaces = {
        prefix: uri
        for element in root.iter()
        if isinstance(element.tag, str)
        for prefix, uri in element.nsmap.items()
        if prefix
    }
    findings = []
    for error in errors:
        payload = _payload_root(tree, error.path, namespaces)
        namespace = etree.QName(payload).namespace if payload is not None else None
        if payload is None:
            findings.append(SchemaFinding("envelope", error.line, error.message))
        elif _WILDCARD in error.message:
            findings.append(SchemaFinding("unchecked", error.line, error.message, namespace))
        else:
            findings.append(SchemaFinding("payload", error.line, error.message, namespace))
    return findings


def _payload_root(tree: etree._ElementTree, path: str | None, namespaces: dict[str, str]) -> etree._Element | None:
    """The element directly inside ``<metadata>``/``<about>``/``<description>`` that contains the
    element at ``path`` (libxml2's error location), or None for an error in the envelope."""
    if not path:
        return None
    try:
        found = tree.xpath(path, namespaces=namespaces)
    except etree.XPathError:
        return None
    element = found[0] if isinstance(found, list) and found and isinstance(found[0], etree._Element) else None
    while element is not None:
        parent = element.getparent()
        if parent is not None and parent.tag in PAYLOAD_HOLDERS:
            return element
        element = parent
    return None
