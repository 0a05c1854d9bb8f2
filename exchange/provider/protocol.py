"""The OAI-PMH 2.0 provider: a request's arguments in, the response document out.

Plain functions over the hub; :mod:`exchange.api.oai` only moves bytes. Section numbers are
those of the OAI-PMH 2.0 specification (openarchives.org/OAI/openarchivesprotocol.html).

- Protocol errors are exceptions, one class per error code carrying its wire code (§3.6);
  :func:`respond` renders any of them as an ``<error>`` in an HTTP 200 response.
- Identifiers are ``oai:{repositoryIdentifier}:{source}/{local-id}`` (the oai-identifier
  scheme), datestamps the hub's own (when it last changed the record), in seconds (§3.3).
- Lists page by a keyset on (datestamp, item) and carry it in signed resumption tokens
  (:mod:`exchange.provider.tokens`): a record changed while a harvester pages moves behind the
  cursor (its new datestamp is later), so it is sent again at the end, never skipped.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar
from urllib.parse import urlsplit

from lxml import etree

from exchange import writers
from exchange.hub import Hub
from exchange.model import record_from_triples, source_iri
from exchange.namespaces import OAI, OAI_DC
from exchange.provider import sets as oai_sets
from exchange.provider import tokens
from exchange.provider.log import Item, Selection
from exchange.provider.publish import graph_of

log = logging.getLogger(__name__)

XSI = "http://www.w3.org/2001/XMLSchema-instance"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_IDENTIFIER = "http://www.openarchives.org/OAI/2.0/oai-identifier"
OAI_IDENTIFIER_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"
DC = "http://purl.org/dc/elements/1.1/"
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
#: setting holding the resumption-token signing secret
TOKEN_SECRET_SETTING = "oai-token-secret"
_REPOSITORY_ID = re.compile(r"^[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+$")
# Matched with fullmatch (``$`` would let a final newline through); ASCII digits only (``\d`` takes
# any script's digits, and strptime reads fullwidth ones: ``２０２０-01-01`` was a valid ``from``).
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_SECOND = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", re.ASCII)
_METADATA_PREFIX = re.compile(r"[A-Za-z0-9\-_.!~*'()]+")
_SET_SPEC = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*")
#: §2.4: an identifier is a URI: a scheme, then path, query and at most one fragment of RFC 3986
#: pchars (IRI characters allowed, C1 controls not), percent signs starting %HH. (``[``, a second
#: ``#``, a stray ``%``: no anyURI, so no ``<request identifier>`` OAI-PMH.xsd accepts.)
_URI_CHAR = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2}|[^\x00-\x9f])"
_IDENTIFIER = re.compile(rf"[A-Za-z][A-Za-z0-9+\-.]*:{_URI_CHAR}*(?:#{_URI_CHAR}*)?")
#: a character XML 1.0 cannot carry (§2.2 Char): no legal argument value holds one, and the
#: ``<request>`` element echoes the arguments
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# ---------------------------------------------------------------------- errors (§3.6)


class OAIError(Exception):
    """An OAI-PMH protocol error; ``code`` is its wire code."""

    code: ClassVar[str]


class BadArgument(OAIError):
    code = "badArgument"


class BadResumptionToken(OAIError):
    code = "badResumptionToken"


class BadVerb(OAIError):
    code = "badVerb"


class CannotDisseminateFormat(OAIError):
    code = "cannotDisseminateFormat"


class IdDoesNotExist(OAIError):
    code = "idDoesNotExist"


class NoRecordsMatch(OAIError):
    code = "noRecordsMatch"


class NoMetadataFormats(OAIError):
    code = "noMetadataFormats"


class NoSetHierarchy(OAIError):
    code = "noSetHierarchy"


# ---------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class Provider:
    """One hub as an OAI-PMH repository, with its paging settings."""

    hub: Hub
    records_per_page: int = 100
    headers_per_page: int = 500
    token_lifetime: int = 24 * 3600
    #: without sets, ListSets and ``set`` answer noSetHierarchy (§4.6)
    sets: bool = True

    @property
    def base_url(self) -> str:
        return f"{self.hub.settings.base}/oai"

    @property
    def repository_identifier(self) -> str:
        """The base IRI's host when it is a domain name (oai-identifier scheme), else one made
        from it: ``127.0.0.1`` gives ``h127-0-0-1.eduhub.invalid``."""
        host = urlsplit(self.hub.settings.base).hostname or "localhost"
        if _REPOSITORY_ID.match(host):
            return host
        return "h" + re.sub(r"[^A-Za-z0-9]", "-", host) + ".eduhub.invalid"

    def identifier(self, item: str) -> str:
        return f"oai:{self.repository_identifier}:{item}"

    def item(self, identifier: str) -> str | None:
        prefix = f"oai:{self.repository_identifier}:"
        return identifier[len(prefix) :] if identifier.startswith(prefix) and len(identifier) > len(prefix) else None

    def secret(self) -> bytes:
        """The resumption-token signing key, made once per hub and kept in its state."""
        return bytes.fromhex(self.hub.state.setting_or_create(TOKEN_SECRET_SETTING, lambda: secrets.token_hex(32)))


# ---------------------------------------------------------------------- entry point

VERBS = {
    # verb: (required, optional, exclusive)
    "Identify": ((), (), None),
    "ListMetadataFormats": ((), ("identifier",), None),
    "ListSets": ((), (), "resumptionToken"),
    "GetRecord": (("identifier", "metadataPrefix"), (), None),
    "ListIdentifiers": (("metadataPrefix",), ("from", "until", "set"), "resumptionToken"),
    "ListRecords": (("metadataPrefix",), ("from", "until", "set"), "resumptionToken"),
}


def respond(provider: Provider, arguments: Sequence[tuple[str, str]]) -> bytes:
    """The response document for a request's arguments (query string or form body, in order,
    repeats kept so they can be refused)."""
    root, request = _envelope(provider)
    try:
        args = _check_arguments(arguments)
        root.append(_VERB_HANDLERS[args["verb"]](provider, args))
    except OAIError as error:
        _error(root, error)
        if isinstance(error, BadVerb | BadArgument):
            return _serialize(root)  # §3.2: the request element then carries no attributes
    for key, value in args.items():
        request.set(key, value)
    return _serialize(root)


def _check_arguments(arguments: Sequence[tuple[str, str]]) -> dict[str, str]:
    """§3.1.1, §3.6 and §4: one legal verb (else badVerb), checked first because which arguments
    are legal depends on it; then the verb's arguments once each, no others, each in its syntax
    (else badArgument), so a request that is both malformed and, say, for an unknown format is
    told it is malformed."""
    verbs = [value for key, value in arguments if key == "verb"]
    if not verbs:
        raise BadVerb(
            "no verb: add verb=Identify, ListMetadataFormats, ListSets, GetRecord, ListIdentifiers or ListRecords"
        )
    if len(verbs) > 1:
        raise BadVerb("the argument 'verb' is repeated")
    verb = verbs[0]
    if verb not in VERBS:
        raise BadVerb(f"{verb!r} is not an OAI-PMH verb (known: {', '.join(VERBS)})")
    seen: dict[str, str] = {}
    for key, value in arguments:
        if key in seen:
            raise BadArgument(f"the argument {key!r} is repeated")
        seen[key] = value
    del seen["verb"]
    required, optional, exclusive = VERBS[verb]
    allowed = {*required, *optional, *([exclusive] if exclusive else [])}
    unknown = sorted(set(seen) - allowed)
    if unknown:  # named as sent, unless XML cannot carry the name (repr escapes what is not printable)
        names = ", ".join(key if key.isprintable() else repr(key) for key in unknown)
        raise BadArgument(f"{verb} does not take {names}")
    for key in sorted(seen):
        if not seen[key]:
            raise BadArgument(f"the argument {key!r} is empty")
        if _NOT_XML.search(seen[key]):
            raise BadArgument(f"the argument {key!r} holds a character XML cannot carry")
    if exclusive and exclusive in seen:
        if len(seen) > 1:
            raise BadArgument(f"{exclusive} is an exclusive argument: send it alone with the verb")
        return {"verb": verb, **seen}
    missing = [key for key in required if key not in seen]
    if missing:
        raise BadArgument(f"{verb} needs {' and '.join(missing)}")
    _check_syntax(seen)
    return {"verb": verb, **seen}


def _check_syntax(args: Mapping[str, str]) -> None:
    """§2.4 identifier, §3.4 metadataPrefix, §2.7 setSpec, §3.3 from and until: UTC datestamps in either
    granularity (the same for both), ``until`` not before ``from``."""
    identifier = args.get("identifier")
    if identifier is not None and not _IDENTIFIER.fullmatch(identifier):
        raise BadArgument(f"identifier={identifier!r} is not a URI")
    prefix = args.get("metadataPrefix")
    if prefix is not None and not _METADATA_PREFIX.fullmatch(prefix):
        raise BadArgument(f"metadataPrefix={prefix!r} is not a metadataPrefix")
    set_spec = args.get("set")
    if set_spec is not None and not _SET_SPEC.fullmatch(set_spec):
        raise BadArgument(f"set={set_spec!r} is not a setSpec")
    from_, until = args.get("from"), args.get("until")
    for name, value in (("from", from_), ("until", until)):
        if value is not None and not ((_DAY.fullmatch(value) or _SECOND.fullmatch(value)) and _valid(value)):
            raise BadArgument(f"{name}={value!r} is not a UTC datestamp (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ)")
    if from_ and until:
        if len(from_) != len(until):
            raise BadArgument("from and until must have the same granularity")
        if until < from_:
            raise BadArgument(f"until ({until}) is before from ({from_})")


# ---------------------------------------------------------------------- verbs


def identify(provider: Provider, _args: Mapping[str, str]) -> etree._Element:
    """§4.2, with an oai-identifier description."""
    settings = provider.hub.settings
    element = etree.Element(f"{{{OAI}}}Identify")
    _text(element, "repositoryName", settings.name)
    _text(element, "baseURL", provider.base_url)
    _text(element, "protocolVersion", "2.0")
    _text(element, "adminEmail", settings.admin_email)
    _text(element, "earliestDatestamp", provider.hub.publication.earliest() or _now())
    _text(element, "deletedRecord", "persistent")
    _text(element, "granularity", GRANULARITY)
    description = etree.SubElement(element, f"{{{OAI}}}description")
    identifier = etree.SubElement(description, f"{{{OAI_IDENTIFIER}}}oai-identifier", nsmap={None: OAI_IDENTIFIER})
    identifier.set(f"{{{XSI}}}schemaLocation", f"{OAI_IDENTIFIER} {OAI_IDENTIFIER_SCHEMA}")
    for name, value in (
        ("scheme", "oai"),
        ("repositoryIdentifier", provider.repository_identifier),
        ("delimiter", ":"),
        ("sampleIdentifier", provider.identifier("source-name/oai%3Aexample.org%3A1")),
    ):
        etree.SubElement(identifier, f"{{{OAI_IDENTIFIER}}}{name}").text = value
    return element


def list_metadata_formats(provider: Provider, args: Mapping[str, str]) -> etree._Element:
    """§4.4: every format, or the formats one item can be disseminated in (a record a writer
    cannot express is left out of that format; none left is noMetadataFormats)."""
    formats = writers.formats()
    if "identifier" in args:
        item = _known_item(provider, args["identifier"])
        if not item.deleted:
            record = _records(provider, [item]).get(item.item)
            formats = [fmt for fmt in formats if record is not None and _write(fmt.prefix, record) is not None]
            if not formats:
                raise NoMetadataFormats(f"no format can express {args['identifier']}")
    element = etree.Element(f"{{{OAI}}}ListMetadataFormats")
    for fmt in formats:
        node = etree.SubElement(element, f"{{{OAI}}}metadataFormat")
        _text(node, "metadataPrefix", fmt.prefix)
        _text(node, "schema", fmt.schema)
        _text(node, "metadataNamespace", fmt.namespace)
    return element


def list_sets(provider: Provider, args: Mapping[str, str]) -> etree._Element:
    """§4.6: the top levels, one set per source, one per shared concept and tag; one page."""
    if not provider.sets:
        raise NoSetHierarchy("this hub is configured without sets")
    if "resumptionToken" in args:
        raise BadResumptionToken("ListSets fits one response; this hub never issues a ListSets token")
    element = etree.Element(f"{{{OAI}}}ListSets")
    for info in _described_sets(provider):
        node = etree.SubElement(element, f"{{{OAI}}}set")
        _text(node, "setSpec", info.spec)
        _text(node, "setName", info.name)
        if info.description:
            description = etree.SubElement(node, f"{{{OAI}}}setDescription")
            dc = etree.SubElement(description, f"{{{OAI_DC}}}dc", nsmap={"oai_dc": OAI_DC, "dc": DC})
            dc.set(f"{{{XSI}}}schemaLocation", f"{OAI_DC} http://www.openarchives.org/OAI/2.0/oai_dc.xsd")
            etree.SubElement(dc, f"{{{DC}}}description").text = info.description
    return element


def get_record(provider: Provider, args: Mapping[str, str]) -> etree._Element:
    """§4.1: the record, or its header with status="deleted" for a tombstone."""
    fmt = _format(args["metadataPrefix"])
    item = _known_item(provider, args["identifier"])
    element = etree.Element(f"{{{OAI}}}GetRecord")
    if item.deleted:
        _record(element, provider, item, None)
        return element
    record = _records(provider, [item]).get(item.item)
    payload = _write(fmt.prefix, record) if record is not None else None
    if payload is None:
        raise CannotDisseminateFormat(f"{args['identifier']} cannot be expressed in {fmt.prefix}")
    _record(element, provider, item, payload)
    return element


def list_identifiers(provider: Provider, args: Mapping[str, str]) -> etree._Element:
    """§4.3."""
    return _list(provider, args, "ListIdentifiers")


def list_records(provider: Provider, args: Mapping[str, str]) -> etree._Element:
    """§4.5."""
    return _list(provider, args, "ListRecords")


_VERB_HANDLERS = {
    "Identify": identify,
    "ListMetadataFormats": list_metadata_formats,
    "ListSets": list_sets,
    "GetRecord": get_record,
    "ListIdentifiers": list_identifiers,
    "ListRecords": list_records,
}


# ---------------------------------------------------------------------- lists


def _list(provider: Provider, args: Mapping[str, str], verb: str) -> etree._Element:
    now = time.time()
    if "resumptionToken" in args:
        try:
            token = tokens.decode(args["resumptionToken"], provider.secret(), now)
        except tokens.TokenError as error:
            raise BadResumptionToken(str(error)) from None
        if token.verb != verb:
            raise BadResumptionToken(f"the resumptionToken belongs to {token.verb}, not {verb}")
        fmt = _format(token.metadata_prefix)
        selection = Selection(token.from_, token.until, token.set_spec)
        after: tuple[str, str] | None = token.after
        cursor, complete = token.cursor, token.complete
    else:
        fmt = _format(args["metadataPrefix"])
        selection = _selection(provider, args)
        after, cursor, complete = None, 0, -1
    size = provider.records_per_page if verb == "ListRecords" else provider.headers_per_page
    publication = provider.hub.publication
    element = etree.Element(f"{{{OAI}}}{verb}")
    while True:
        items = publication.page(selection, after, size + 1)
        more = len(items) > size
        items = items[:size]
        if not items:
            if after is None:
                raise NoRecordsMatch("no record matches these arguments")
            raise BadResumptionToken("the list this token continues has no more records")  # emptied meanwhile
        if complete < 0:
            complete = publication.count(selection)
        _page(element, provider, verb, fmt.prefix, items)
        if len(element) or not more:
            break
        # Not one record of the page could be written (graphs the reader does not know): the
        # schema wants at least one, so go on to the next page.
        after, cursor = (items[-1].datestamp, items[-1].item), cursor + len(items)
    if not len(element):
        raise NoRecordsMatch("no record of this list can be expressed in " + fmt.prefix)
    if more or cursor > 0:
        resumption = etree.SubElement(element, f"{{{OAI}}}resumptionToken")
        resumption.set("completeListSize", str(max(complete, cursor + len(items))))
        resumption.set("cursor", str(cursor))
        if more:
            last = items[-1]
            expires = int(now) + provider.token_lifetime
            token = tokens.Token(
                verb, fmt.prefix, selection.set_spec, selection.from_, selection.until,
                (last.datestamp, last.item), cursor + len(items), complete, expires,
            )  # fmt: skip
            resumption.text = tokens.encode(token, provider.secret())
            resumption.set("expirationDate", _stamp(expires))
    return element


def _page(parent: etree._Element, provider: Provider, verb: str, prefix: str, items: Sequence[Item]) -> None:
    """The headers, or records, of ``items``; a record no writer expresses is left out."""
    if verb == "ListIdentifiers":
        for item in items:
            _header(parent, provider, item)
        return
    records = _records(provider, [item for item in items if not item.deleted])
    for item in items:
        if item.deleted:
            _record(parent, provider, item, None)
            continue
        record = records.get(item.item)
        payload = _write(prefix, record) if record is not None else None
        if payload is not None:
            _record(parent, provider, item, payload)


def _selection(provider: Provider, args: Mapping[str, str]) -> Selection:
    """§2.7.1 and §3.3: from/until inclusive (their syntax is checked with the arguments), a day
    ``until`` covering the whole day."""
    from_, until = args.get("from"), args.get("until")
    low = f"{from_}T00:00:00Z" if from_ and _DAY.fullmatch(from_) else from_
    high = f"{until}T23:59:59Z" if until and _DAY.fullmatch(until) else until
    set_spec = args.get("set")
    if set_spec is not None and not provider.sets:
        raise NoSetHierarchy("this hub is configured without sets")
    return Selection(low, high, set_spec)


def _valid(value: str) -> bool:
    try:
        datetime.strptime(value, "%Y-%m-%d" if len(value) == 10 else "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return False
    return True


def _format(prefix: str) -> writers.MetadataFormat:
    """The writer of a metadataPrefix (checked by :func:`_check_syntax`, or from a signed token)."""
    try:
        return writers.get(prefix)
    except writers.UnknownFormat as error:
        raise CannotDisseminateFormat(str(error)) from None


def _known_item(provider: Provider, identifier: str) -> Item:
    item = provider.item(identifier)
    found = provider.hub.publication.get(item) if item else None
    if found is None:
        raise IdDoesNotExist(f"{identifier!r} is not an identifier of this repository")
    return found


# ---------------------------------------------------------------------- records


def _records(provider: Provider, items: Sequence[Item]) -> dict[str, dict]:
    """Hub records of live items: the log's copies, else read from their graphs in one store call."""
    found = provider.hub.publication.records([item.item for item in items])
    base = provider.hub.settings.base
    graphs = {graph_of(base, item.item): item.item for item in items if item.item not in found}
    if not graphs:
        return found
    names = {source_iri(base, source.name): source.name for source in provider.hub.state.sources()}
    for graph, triples in provider.hub.store.triples(list(graphs)).items():
        try:
            found[graphs[graph]] = record_from_triples(graph, triples, names)
        except ValueError as error:  # a graph the reader does not understand is not served half
            log.warning("cannot publish %s: %s", graph, error)
    return found


def _write(prefix: str, record: dict | None) -> etree._Element | None:
    if record is None:
        return None
    try:
        return writers.write(prefix, record)
    except (ValueError, KeyError) as error:
        log.warning("cannot write %s as %s: %s", record.get("id"), prefix, error)
        return None


def _header(parent: etree._Element, provider: Provider, item: Item) -> None:
    header = etree.SubElement(parent, f"{{{OAI}}}header")
    if item.deleted:
        header.set("status", "deleted")
    _text(header, "identifier", provider.identifier(item.item))
    _text(header, "datestamp", item.datestamp)
    if provider.sets:
        for spec in item.sets:
            _text(header, "setSpec", spec)


def _record(parent: etree._Element, provider: Provider, item: Item, payload: etree._Element | None) -> None:
    record = etree.SubElement(parent, f"{{{OAI}}}record")
    _header(record, provider, item)
    if payload is not None:
        etree.SubElement(record, f"{{{OAI}}}metadata").append(payload)


def _described_sets(provider: Provider) -> list[oai_sets.SetInfo]:
    catalogue = oai_sets.catalogue()
    infos = oai_sets.all_sets([source.name for source in provider.hub.state.sources()], catalogue)
    rows = provider.hub.store.select(oai_sets.description_query(infos))
    return oai_sets.describe(infos, rows)


# ---------------------------------------------------------------------- XML


def _envelope(provider: Provider) -> tuple[etree._Element, etree._Element]:
    root = etree.Element(f"{{{OAI}}}OAI-PMH", nsmap={None: OAI, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{OAI} {OAI_SCHEMA}")
    _text(root, "responseDate", _now())
    request = _text(root, "request", provider.base_url)
    return root, request


def _error(root: etree._Element, error: OAIError) -> None:
    node = etree.SubElement(root, f"{{{OAI}}}error", code=error.code)
    node.text = str(error)


def _text(parent: etree._Element, name: str, text: str) -> etree._Element:
    node = etree.SubElement(parent, f"{{{OAI}}}{name}")
    node.text = text
    return node


def _serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _now() -> str:
    return _stamp(time.time())


def _stamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
