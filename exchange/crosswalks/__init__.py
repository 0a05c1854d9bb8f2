"""Crosswalks: one small module per metadata format, found through a registry.

A crosswalk turns the payload of one harvested record (an lxml element) into a hub
record. Look one up by short name (:func:`get`), by OAI-PMH metadataPrefix
(:func:`for_prefix`) or by the namespace of the payload's root (:func:`for_namespace`);
an unknown name fails loudly with the list of known ones.
"""

from exchange.crosswalks.base import (
    Crosswalk,
    CrosswalkError,
    Payload,
    RecordContext,
    for_namespace,
    for_payload,
    for_prefix,
    get,
    known,
    register,
)

# Importing the modules registers their crosswalks.
from exchange.crosswalks import (  # noqa: F401  isort: skip
    datacite,
    dcterms,
    hs_oer_lom,
    imsmd,
    lom,
    lom_es,
    lomfr,
    lrmi,
    native,
    nl_lom,
    normetic,
    oai_dc,
)

__all__ = [
    "Crosswalk",
    "CrosswalkError",
    "Payload",
    "RecordContext",
    "for_namespace",
    "for_payload",
    "for_prefix",
    "get",
    "known",
    "register",
]
