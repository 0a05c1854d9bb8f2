"""Writers: hub record → the XML payload of an OAI-PMH metadata format, looked up by metadataPrefix.

The reverse of :mod:`exchange.crosswalks`, for the hub's OAI-PMH provider. Each format names
the namespace and schema location that ListMetadataFormats announces (OAI-PMH 2.0 §4.4). An
unknown prefix fails loudly with :class:`UnknownFormat` naming the known ones; the provider
answers it with ``cannotDisseminateFormat`` (OAI-PMH 2.0 §3.6).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from exchange.model import Record
from exchange.namespaces import EDUHUB_NATIVE, LOM, OAI_DC
from exchange.writers.lom import LOM_SCHEMA, write_lom
from exchange.writers.native import NATIVE_SCHEMA, write_native
from exchange.writers.oai_dc import OAI_DC_SCHEMA, write_oai_dc


class UnknownFormat(LookupError):
    """No writer for this metadataPrefix; the message lists the prefixes the hub can write."""


@dataclass(frozen=True)
class MetadataFormat:
    """One format the hub disseminates: what ListMetadataFormats lists, and how to write it."""

    prefix: str
    namespace: str
    schema: str
    write: Callable[[Record], etree._Element]


_FORMATS: dict[str, MetadataFormat] = {
    fmt.prefix: fmt
    for fmt in (
        MetadataFormat("oai_dc", OAI_DC, OAI_DC_SCHEMA, write_oai_dc),
        MetadataFormat("lom", LOM, LOM_SCHEMA, write_lom),
        MetadataFormat("eduhub", EDUHUB_NATIVE, NATIVE_SCHEMA, write_native),
    )
}


def formats() -> list[MetadataFormat]:
    """Every format the hub can write, oai_dc (mandatory in OAI-PMH, §3.4) first."""
    return list(_FORMATS.values())


def get(prefix: str) -> MetadataFormat:
    try:
        return _FORMATS[prefix]
    except KeyError:
        raise UnknownFormat(f"no writer for metadataPrefix {prefix!r}; known: {', '.join(_FORMATS)}") from None


def write(prefix: str, record: Record) -> etree._Element:
    """``record`` as the payload of format ``prefix``."""
    return get(prefix).write(record)


__all__ = ["MetadataFormat", "UnknownFormat", "formats", "get", "write", "write_lom", "write_native", "write_oai_dc"]
