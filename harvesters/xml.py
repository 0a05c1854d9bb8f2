"""Parsing XML from the network: hardened, and able to salvage the good records of a broken page.

DESIGN.md safety rules: no external entities, no DTD loading, no network access,
bounded sizes (lxml's defaults refuse text nodes over 10 MB and depth over 256).
"""

from __future__ import annotations

import re

from lxml import etree


def hardened_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


_PARSER = hardened_parser()


def parse(body: bytes) -> etree._Element:
    """Parse a whole document strictly; raises ``etree.XMLSyntaxError`` with lxml's message."""
    # A few servers emit whitespace before the XML declaration (PROVENANCE.md: Copac), which
    # is not well-formed; dropping leading whitespace loses nothing.
    return etree.fromstring(body.lstrip(), parser=_PARSER)


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
            records.append((chunk, str(error)))
    last = records[-1][0] if records else b""
    tail = body[body.rfind(last) + len(last) :] if last else body[root.end() :]
    token = _TOKEN.search(tail)
    return (token.group(2) if token and token.group(2) is not None else None), records


def identifier_in(chunk: bytes) -> str | None:
    """The OAI identifier inside a record that does not parse, found by pattern."""
    match = _IDENTIFIER.search(chunk)
    return match.group(1).decode("utf-8", "replace").strip() or None if match else None
