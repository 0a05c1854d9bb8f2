"""Parsing XML from the network: hardened, and able to salvage the good records of a broken page.

DESIGN.md safety rules: no external entities, no DTD loading, no network access, bounded
sizes. Every XML document the hub reads from outside (harvested pages, feed-check answers,
crosswalk-report files) goes through :func:`parse` (or :func:`salvage_records` /
:func:`recover` for a broken page), never through a parser of its own:

* entities are never expanded (``resolve_entities=False``): an entity reference stays an
  ``etree.Entity`` node, which the crosswalks skip or refuse. libxml2 also refuses a
  document whose entities would expand beyond its amplification limit ("billion laughs"),
  even unexpanded; :class:`LimitExceeded` says so in words;
* no DTD is loaded and nothing is fetched (``load_dtd=False``, ``no_network=True``), and as
  a second lock every parser carries :class:`_NothingFromOutside`, a resolver that answers
  every URL (DTD, external entity, XInclude) with an empty document, so not even a local
  file is opened should an option ever change;
* libxml2's limits stay on (``huge_tree=False``): a text node, attribute value, name,
  comment or CDATA section over :data:`MAX_TEXT_BYTES`, or elements nested deeper than
  :data:`MAX_DEPTH`, are refused with :class:`LimitExceeded`, whose message names the
  limit (libxml2's own says "try XML_PARSE_HUGE", which is not advice for a feed).

pyoxigraph's RDF/XML parser, unlike libxml2 here, *does* expand internal entities
(measured: a 7-level "lol" document became a 30 MB literal), so RDF/XML goes to it only
after :func:`refuse_entity_declarations`.
"""

from __future__ import annotations

import codecs
import re
from html.entities import name2codepoint
from typing import Any

from lxml import etree

#: libxml2's limit on one text node, attribute value, name, comment or CDATA section
#: without XML_PARSE_HUGE (XML_MAX_TEXT_LENGTH), which the hub keeps
MAX_TEXT_BYTES = 10_000_000
#: libxml2's limit on element nesting without XML_PARSE_HUGE (xmlParserMaxDepth)
MAX_DEPTH = 256


class _NothingFromOutside(etree.Resolver):
    """Every external resource a document names (DTD, entity, XInclude) resolves to nothing:
    no file is opened and no connection made, whatever the parser options."""

    def resolve(self, system_url: str | None, public_id: str | None, context: Any) -> Any:
        return self.resolve_string("", context)


class LimitExceeded(etree.XMLSyntaxError):
    """A document refused by one of the parser's bounds; the message names the bound and where."""

    def __str__(self) -> str:
        return str(self.msg)


#: libxml2 message fragments → what was refused, in words a repository manager can act on
_LIMITS = (
    (("Text node too long", "huge text node"), f"a text node is longer than {MAX_TEXT_BYTES:,} bytes"),
    (("Excessive depth in document",), f"elements are nested deeper than {MAX_DEPTH} levels"),
    (
        ("entity amplification", "entity reference loop", "Detected an entity reference loop"),
        "its entities would expand to far more text than the document holds (entity expansion attack); "
        "entities are never expanded",
    ),
    (
        ("Buffer size limit exceeded", "Name too long"),
        f"a name or attribute value is longer than {MAX_TEXT_BYTES:,} bytes",
    ),
    (("Comment too big",), f"a comment is longer than {MAX_TEXT_BYTES:,} bytes"),
    (("CData section too big",), f"a CDATA section is longer than {MAX_TEXT_BYTES:,} bytes"),
)


def explain(error: etree.XMLSyntaxError) -> etree.XMLSyntaxError:
    """``error`` itself, or a :class:`LimitExceeded` naming the bound it hit (same position)."""
    if isinstance(error, LimitExceeded):
        return error
    text = str(error.msg or error)
    for fragments, what in _LIMITS:
        if any(fragment in text for fragment in fragments):
            line, column = error.position
            where = f" (line {line}, column {column})" if line else ""
            refused = LimitExceeded(f"XML refused: {what}{where}", error.code, line, column, error.filename)
            refused.__cause__ = error
            return refused
    return error


def hardened_parser() -> etree.XMLParser:
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    parser.resolvers.add(_NothingFromOutside())
    return parser


_PARSER = hardened_parser()


def parse(body: bytes) -> etree._Element:
    """Parse a whole document strictly; raises ``etree.XMLSyntaxError`` with lxml's message, or
    :class:`LimitExceeded` (a subclass) naming the bound a hostile or broken document hit."""
    # A few servers emit whitespace before the XML declaration (PROVENANCE.md: Copac), which
    # is not well-formed; dropping leading whitespace loses nothing.
    try:
        return etree.fromstring(body.lstrip(), parser=_PARSER)
    except etree.XMLSyntaxError as error:
        raise explain(error) from None


# ---------------------------------------------------------------------- entity declarations

# Deliberately cruder than the grammar (XML 1.0 §2.8, §4.2): '<!ENTITY' anywhere, in any case, is
# taken as a declaration. A scanner that skipped quoted literals could disagree with the parser it
# guards about where the DOCTYPE ends, which is how such guards are bypassed; outside a DOCTYPE the
# text can only stand in a comment or CDATA section, which the hub never writes.
_ENTITY_DECLARATION = re.compile(rb"<!\s*ENTITY", re.IGNORECASE)


class EntityDeclarations(ValueError):
    """An XML document declares entities, which the parser it is meant for would expand."""


def declares_entities(data: bytes) -> bool:
    """Whether the document (UTF-8, or UTF-16 with a byte order mark) holds ``<!ENTITY``."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        data = data.decode("utf-16", "replace").encode("utf-8")
    return _ENTITY_DECLARATION.search(data) is not None


def refuse_entity_declarations(data: bytes, what: str) -> None:
    """Raise :class:`EntityDeclarations` if ``data`` declares entities: for parsers that expand
    them (pyoxigraph's RDF/XML parser does, recursively: "billion laughs")."""
    if declares_entities(data):
        raise EntityDeclarations(
            f"{what} declares XML entities in its DOCTYPE; refused, since entity expansion can blow "
            "up memory (billion laughs) and the hub never writes entities"
        )


_ROOT_START = re.compile(rb"<(?:[\w.-]+:)?OAI-PMH\b[^>]*>", re.DOTALL)
_RECORD = re.compile(rb"<((?:[\w.-]+:)?record)\b[^>]*>.*?</\1\s*>", re.DOTALL)
_IDENTIFIER = re.compile(rb"<(?:[\w.-]+:)?identifier\b[^>]*>\s*([^<]*?)\s*</", re.DOTALL)
_TOKEN = re.compile(
    rb"<(?:[\w.-]+:)?resumptionToken\b([^>]*?)(?:/>|>([^<]*)</(?:[\w.-]+:)?resumptionToken\s*>)", re.DOTALL
)


def salvage_records(body: bytes) -> tuple[bytes | None, list[tuple[bytes, etree._Element | str]]]:
    """Cut a page that is not well-formed into its ``<record>`` elements and parse each alone.

    Returns the page's resumption token (or None) and, per record, either its parsed
    element or lxml's message for why it does not parse. Each record is parsed inside
    a copy of the root start tag, so namespace declarations on the envelope still apply.
    """
    root = _ROOT_START.search(body)
    if root is None:
        return None, []
    start_tag = root.group(0)
    close_tag = b"</" + start_tag[1:].split(None, 1)[0].rstrip(b">") + b">"
    records: list[tuple[bytes, etree._Element | str]] = []
    for match in _RECORD.finditer(body, root.end()):
        chunk = match.group(0)
        try:
            wrapper = etree.fromstring(start_tag + chunk + close_tag, parser=_PARSER)
            records.append((chunk, wrapper[0]))
        except etree.XMLSyntaxError as error:
            records.append((chunk, str(explain(error))))
    last = records[-1][0] if records else b""
    tail = body[body.rfind(last) + len(last) :] if last else body[root.end() :]
    token = _TOKEN.search(tail)
    return (token.group(2) if token and token.group(2) is not None else None), records


def identifier_in(chunk: bytes) -> str | None:
    """The OAI identifier inside a record that does not parse, found by pattern."""
    match = _IDENTIFIER.search(chunk)
    return match.group(1).decode("utf-8", "replace").strip() or None if match else None


# ---------------------------------------------------------------------- lossless repairs
#
# Faults seen in real feeds (PROVENANCE.md) that can be undone without guessing: control
# characters XML 1.0 forbids (§2.2), HTML entities used in XML (§4.1: only five are
# predefined), a bare '&' in text, and text in another encoding than the one declared.
# lxml's recover mode is not used on content: it drops what it cannot read ("Tom & Jerry"
# becomes "Tom  Jerry"), which would store a silently damaged record.

_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CONTROL_REF = re.compile(rb"&#(?:0*(?:[0-8]|1[124-9]|2\d|3[01])|x0*(?:[0-8]|[bcef]|1[0-9a-f]));", re.IGNORECASE)
_ENTITY = re.compile(rb"&(?:([A-Za-z][A-Za-z0-9]*);|#[0-9]+;|#x[0-9A-Fa-f]+;)?")
_PREDEFINED = {b"amp", b"lt", b"gt", b"quot", b"apos"}
_DECLARED = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']", re.IGNORECASE)
_LATIN = {"iso-8859-1", "latin-1", "latin1", "iso8859-1", "windows-1252", "cp1252", "us-ascii", "ascii"}


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    return error.object[error.start : error.end].decode("cp1252", "replace"), error.end


codecs.register_error("eduhub-cp1252-fallback", _cp1252_fallback)


def declared_encoding(body: bytes) -> str | None:
    match = _DECLARED.match(body[:200])
    return match.group(1).decode("ascii").lower() if match else None


def repair(body: bytes) -> tuple[bytes, list[str]]:
    """Undo the lossless-to-undo faults of a document that does not parse; returns the repaired
    bytes (UTF-8, declaration adjusted) and one note per kind of repair made."""
    notes: list[str] = []
    text = fix_encoding(body, notes)
    raw = text.encode("utf-8")
    stripped, count = _CONTROL.subn(b"", raw)
    stripped, refs = _CONTROL_REF.subn(b"", stripped)
    if count or refs:
        notes.append(f"removed {count + refs} control characters XML 1.0 forbids")
    entities = {"named": 0, "bare": 0}

    def entity(match: re.Match[bytes]) -> bytes:
        name = match.group(1)
        whole = match.group(0)
        if whole == b"&":
            entities["bare"] += 1
            return b"&amp;"
        if name is None or name in _PREDEFINED:
            return whole
        code = name2codepoint.get(name.decode("ascii"))
        if code is None:  # a name nobody defines: its meaning is unknown, so the record stays broken
            return whole
        entities["named"] += 1
        return f"&#{code};".encode("ascii")

    repaired = _ENTITY.sub(entity, stripped)
    if entities["named"]:
        notes.append(f"replaced {entities['named']} HTML entities XML does not define")
    if entities["bare"]:
        notes.append(f"escaped {entities['bare']} bare '&'")
    return repaired, notes


def fix_encoding(body: bytes, notes: list[str]) -> str:
    """The document as text, whatever it declares: bytes that are not UTF-8 where UTF-8 is
    declared (or implied) are read as Windows-1252, and a Latin-1 declaration over bytes that
    are UTF-8 is believed only as far as the bytes allow. The declaration is rewritten to UTF-8."""
    declared = declared_encoding(body) or "utf-8"
    if body.startswith(codecs.BOM_UTF8):
        body = body[len(codecs.BOM_UTF8) :]
    if declared in _LATIN:
        try:
            text = body.decode("utf-8")
            if any(ord(c) > 127 for c in text):
                notes.append(f"declared {declared} but the bytes are UTF-8; read as UTF-8")
        except UnicodeDecodeError:
            text = body.decode("cp1252", "replace")
    else:
        text = body.decode("utf-8", "eduhub-cp1252-fallback")
        if text.encode("utf-8") != body:
            notes.append(f"declared {declared} but some bytes are not; read those as Windows-1252")
    return _DECLARED_TEXT.sub(r"\1UTF-8\2", text, count=1)


_DECLARED_TEXT = re.compile(r"^(\s*<\?xml[^>]*?encoding\s*=\s*[\"'])[A-Za-z0-9._-]+([\"'])", re.IGNORECASE)


def suspicious_encoding(body: bytes) -> bool:
    """A document that parses but declares Latin-1 over UTF-8 bytes would be stored as mojibake
    ("Ã©" for "é"); the caller repairs it before parsing."""
    declared = declared_encoding(body)
    if declared not in _LATIN:
        return False
    try:
        return any(b > 127 for b in body) and bool(body.decode("utf-8"))
    except UnicodeDecodeError:
        return False


_RECOVER = etree.XMLParser(
    recover=True, resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_pis=True
)
_RECOVER.resolvers.add(_NothingFromOutside())


def recover(body: bytes) -> etree._Element | None:
    """lxml's recover mode: only to read the headers and the token of a page that is broken,
    never to store a record's content (see above)."""
    try:
        return etree.fromstring(body.lstrip(), parser=_RECOVER)
    except etree.XMLSyntaxError:
        return None
