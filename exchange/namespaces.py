"""IRIs of the vocabularies the hub writes. One place, so a typo cannot split the graph."""

from __future__ import annotations

SCHEMA = "http://schema.org/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"
PROV = "http://www.w3.org/ns/prov#"
# The hub's own terms (provenance details schema.org has no property for).
HUB = "https://w3id.org/eduhub/ns#"

OAI = "http://www.openarchives.org/OAI/2.0/"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
LOM = "http://ltsc.ieee.org/xsd/LOM"
IMSMD_V1P2 = "http://www.imsglobal.org/xsd/imsmd_v1p2"
EDUHUB_NATIVE = "https://w3id.org/eduhub/ns/oai-native/"
