"""The crosswalk registry and the helpers every crosswalk shares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from lxml import etree

from exchange.model import Record, record_iri, source_iri


class CrosswalkError(ValueError):
    """The payload cannot be turned into a hub record; the message says what is missing."""


class UnknownCrosswalk(LookupError):
    pass


@dataclass(frozen=True)
class RecordContext:
    """What the harvester knows about a record besides its payload."""

    base: str
    source: str
    oai_identifier: str
    datestamp: str | None
    metadata_prefix: str
    source_record_url: str

    @property
    def record_iri(self) -> str:
        return record_iri(self.base, self.source, self.oai_identifier)

    def new_record(self) -> Record:
        """The skeleton every crosswalk fills: identity and provenance (AMB's mainEntityOfPage)."""
        page: dict[str, object] = {
            "id": self.source_record_url,
            "type": "WebContent",
            "provider": {"id": source_iri(self.base, self.source), "name": self.source},
            "oaiIdentifier": self.oai_identifier,
            "metadataFormat": self.metadata_prefix,
        }
        if self.datestamp:
            page["dateModified"] = self.datestamp
        return {"id": self.record_iri, "type": ["LearningResource"], "mainEntityOfPage": [page]}


#: What a crosswalk reads: an XML element (LOM, DC, DataCite) or a parsed JSON object (LRMI, AMB).
Payload = Any


class Crosswalk:
    """Base class: subclasses set the class attributes and implement :meth:`to_record`.

    A national profile subclasses the crosswalk of its base format and overrides
    :meth:`claims` to recognise its own records; :func:`for_payload` asks the most
    specific crosswalk first.
    """

    #: short name, used in configuration and messages
    name: ClassVar[str]
    #: namespaces of the payload root element this crosswalk reads
    namespaces: ClassVar[tuple[str, ...]]
    #: metadataPrefixes under which sources usually publish this format
    prefixes: ClassVar[tuple[str, ...]]
    #: how much a record in this format usually says; the harvester prefers higher
    richness: ClassVar[int] = 0
    #: True for crosswalks that read parsed JSON (dict) payloads instead of XML elements
    reads_json: ClassVar[bool] = False
    #: source paths a crosswalk leaves out on purpose → why (coverage report, :mod:`exchange.crosswalks.trace`)
    dropped: ClassVar[dict[str, str]] = {}

    def claims(self, payload: Payload) -> bool:
        """Whether this crosswalk is the right reader for ``payload`` among those of its namespace."""
        return True

    def to_record(self, payload: Payload, context: RecordContext) -> Record:
        raise NotImplementedError


_BY_NAME: dict[str, Crosswalk] = {}


def register(cls: type[Crosswalk]) -> type[Crosswalk]:
    """Class decorator: make a crosswalk findable by name, prefix and namespace."""
    if cls.name in _BY_NAME:
        raise ValueError(f"crosswalk name {cls.name!r} registered twice")
    _BY_NAME[cls.name] = cls()
    return cls


def known() -> list[Crosswalk]:
    """Registered crosswalks, richest first."""
    return sorted(_BY_NAME.values(), key=lambda c: (-c.richness, c.name))


def get(name: str) -> Crosswalk:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UnknownCrosswalk(f"unknown crosswalk {name!r}; known: {', '.join(sorted(_BY_NAME))}") from None


def for_namespace(namespace: str) -> Crosswalk:
    for crosswalk in _BY_NAME.values():
        if namespace in crosswalk.namespaces:
            return crosswalk
    raise UnknownCrosswalk(f"no crosswalk reads payloads in namespace {namespace!r}")


def for_payload(payload: Payload, prefix: str = "") -> Crosswalk:
    """The crosswalk for one record: by the payload's namespace (or JSON), the most specific profile
    that claims it first; the metadataPrefix only when the namespace names none."""
    if isinstance(payload, dict):
        candidates = [c for c in _BY_NAME.values() if c.reads_json]
    else:
        namespace = etree.QName(payload).namespace or ""
        candidates = [c for c in _BY_NAME.values() if namespace in c.namespaces]
    # Subclasses (national profiles) before the crosswalk they extend.
    candidates.sort(key=lambda c: (-len(type(c).__mro__), c.name))
    for crosswalk in candidates:
        if crosswalk.claims(payload):
            return crosswalk
    by_prefix = for_prefix(prefix) if prefix else None
    # A JSON-reading crosswalk also takes an XML element whose text is the JSON (an OAI-PMH payload).
    if by_prefix is not None and (by_prefix.reads_json or not isinstance(payload, dict)):
        return by_prefix
    what = "JSON payload" if isinstance(payload, dict) else f"payload <{payload.tag}>"
    raise UnknownCrosswalk(
        f"no crosswalk reads {what} (metadataPrefix {prefix!r}); known: {', '.join(sorted(_BY_NAME))}"
    )


def for_prefix(prefix: str) -> Crosswalk | None:
    """The crosswalk usually behind a metadataPrefix, or None if the hub cannot read it."""
    for crosswalk in known():
        if prefix in crosswalk.prefixes:
            return crosswalk
    return None


# ---------------------------------------------------------------- helpers for XML payloads


def local_name(tag: str) -> str:
    return tag[tag.rfind("}") + 1 :]
