"""The JSON-LD objects of a file or bytes, however the source packaged them.

Real sources package LRMI / AMB JSON-LD five ways (tests/fixtures/lrmi/PROVENANCE.md): one
object, a JSON array of objects, several documents back to back (OERSI's concatenated
output: read with :meth:`json.JSONDecoder.raw_decode`, never by splitting lines), JSON-LD in
the ``<script type="application/ld+json">`` elements of an HTML page (HOOU pages, the DCMI
examples) and ``@graph`` containers (JSON-LD 1.1 §4.9), whose nodes share the container's
``@context``.

Input that is not what it should be (malformed JSON, nesting deeper than ``max_depth``, a
document over ``max_document_bytes``, a value that is not an object, invalid UTF-8) raises
:class:`JsonLdSourceError` naming the file and the byte offset; the good documents before it
have been yielded by then. The whole input is read into memory.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lxml.html

#: deeper than any real LRMI/AMB record (they nest 4 levels); keeps recursive readers safe
MAX_DEPTH = 64
#: one record's JSON; the whole input (a dump) may be larger
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
#: what is read into memory at all
MAX_INPUT_BYTES = 1024 * 1024 * 1024

_BOM = b"\xef\xbb\xbf"
_JSON_SPACE = re.compile(r"[ \t\n\r]*")
# surrogateescape turns each byte that is not UTF-8 into one of these code points
_BAD_BYTE = re.compile("[\udc80-\udcff]")
_GRAPH_CONTAINER_KEYS = {"@context", "@graph", "@id"}


class JsonLdSourceError(ValueError):
    """The input holds something that is not a JSON-LD object; says where (file, byte offset)."""

    def __init__(self, origin: str, offset: int, reason: str) -> None:
        super().__init__(f"{origin}: byte {offset}: {reason}")
        self.origin = origin
        self.offset = offset
        self.reason = reason


@dataclass(frozen=True)
class Document:
    """One JSON-LD object and where it starts."""

    data: dict[str, Any]
    #: the file (or name given), plus ``<script> #n (line l)`` for JSON-LD in HTML
    origin: str
    #: byte offset of the JSON value it came from (in the file, or in the script's text)
    offset: int


def documents(
    source: bytes | str | os.PathLike[str],
    *,
    name: str | None = None,
    max_depth: int = MAX_DEPTH,
    max_document_bytes: int = MAX_DOCUMENT_BYTES,
    max_input_bytes: int = MAX_INPUT_BYTES,
) -> Iterator[Document]:
    """Every JSON-LD object in ``source``: the content as ``bytes``, or a path (``str`` or path-like)."""
    if isinstance(source, bytes):
        data, origin = source, name or "<bytes>"
    else:
        path = Path(source)
        origin = name or str(path)
        if path.stat().st_size > max_input_bytes:
            raise JsonLdSourceError(origin, max_input_bytes, f"input larger than {max_input_bytes} bytes")
        data = path.read_bytes()
    if len(data) > max_input_bytes:
        raise JsonLdSourceError(origin, max_input_bytes, f"input larger than {max_input_bytes} bytes")
    start = len(_BOM) if data.startswith(_BOM) else 0
    limits = _Limits(max_depth, max_document_bytes)
    if data[start:].lstrip()[:1] == b"<":
        yield from _html_documents(data, origin, limits)
    else:
        yield from _json_documents(data[start:], origin, start, limits)


def read_jsonld(source: bytes | str | os.PathLike[str], **options: Any) -> Iterator[dict[str, Any]]:
    """The JSON-LD objects of ``source`` (see :func:`documents` for the options)."""
    for document in documents(source, **options):
        yield document.data


@dataclass(frozen=True)
class _Limits:
    depth: int
    document_bytes: int


def _utf8_length(text: str) -> int:
    # surrogateescape gives back the original bytes, so this counts them exactly
    return len(text.encode("utf-8", "surrogateescape"))


def _json_documents(data: bytes, origin: str, base: int, limits: _Limits) -> Iterator[Document]:
    """The documents of a JSON text: one value, or several back to back (JSON Text Sequences aside)."""
    text = data.decode("utf-8", "surrogateescape")
    decoder = json.JSONDecoder()
    index, offset = 0, base
    while True:
        space = _JSON_SPACE.match(text, index)
        space_end = space.end() if space else index
        offset += space_end - index  # JSON whitespace is ASCII
        index = space_end
        if index >= len(text):
            return
        try:
            value, end = decoder.raw_decode(text, index)
        except json.JSONDecodeError as error:
            bad = _BAD_BYTE.search(text, index, error.pos + 1)
            if bad:
                raise JsonLdSourceError(
                    origin, offset + _utf8_length(text[index : bad.start()]), "invalid UTF-8"
                ) from None
            where = offset + _utf8_length(text[index : error.pos])
            raise JsonLdSourceError(origin, where, f"malformed JSON: {error.msg}") from None
        except RecursionError:
            raise JsonLdSourceError(origin, offset, f"JSON nested deeper than {limits.depth} levels") from None
        bad = _BAD_BYTE.search(text, index, end)
        if bad:
            raise JsonLdSourceError(origin, offset + _utf8_length(text[index : bad.start()]), "invalid UTF-8")
        size = _utf8_length(text[index:end])
        if size > limits.document_bytes:
            raise JsonLdSourceError(origin, offset, f"document of {size} bytes exceeds {limits.document_bytes}")
        if _deeper_than(value, limits.depth):
            raise JsonLdSourceError(origin, offset, f"JSON nested deeper than {limits.depth} levels")
        yield from _objects(value, origin, offset)
        offset += size
        index = end


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether containers nest more than ``limit`` levels (iterative: no recursion on hostile input)."""
    stack = [(value, 1)] if isinstance(value, (dict, list)) else []
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


def _objects(value: Any, origin: str, offset: int) -> Iterator[Document]:
    """A top-level value's objects: the value itself, an array's items, a @graph's nodes."""
    items = value if isinstance(value, list) else [value]
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            what = f"array item {number}" if isinstance(value, list) else "the value"
            raise JsonLdSourceError(origin, offset, f"{what} is a JSON {_json_type(item)}, not an object")
        yield from _graph_nodes(item, origin, offset)


def _graph_nodes(item: dict[str, Any], origin: str, offset: int) -> Iterator[Document]:
    graph = item.get("@graph")
    if not isinstance(graph, list) or not set(item) <= _GRAPH_CONTAINER_KEYS:
        yield Document(item, origin, offset)
        return
    context = item.get("@context")
    for number, node in enumerate(graph, start=1):
        if not isinstance(node, dict):
            raise JsonLdSourceError(origin, offset, f"@graph node {number} is a JSON {_json_type(node)}, not an object")
        if context is not None and "@context" not in node:
            node = {"@context": context, **node}
        yield Document(node, origin, offset)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), type(value).__name__)


def _html_documents(data: bytes, origin: str, limits: _Limits) -> Iterator[Document]:
    """JSON-LD in ``<script type="application/ld+json">`` elements (HTML 5 §4.12.1.2: the data block)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        parser = lxml.html.HTMLParser()  # let libxml2 follow the page's <meta charset>
    else:
        parser = lxml.html.HTMLParser(encoding="utf-8")
    root = lxml.html.document_fromstring(data, parser=parser)
    number = 0
    for script in root.iter("script"):
        kind = (script.get("type") or "").split(";")[0].strip().lower()
        if kind != "application/ld+json":
            continue
        number += 1
        where = f"{origin} <script> #{number} (line {script.sourceline})"
        yield from _json_documents((script.text or "").encode("utf-8", "surrogateescape"), where, 0, limits)
