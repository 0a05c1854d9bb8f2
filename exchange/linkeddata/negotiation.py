"""Content negotiation: format names and media types, ``?format=`` and ``Accept``, and the errors
the routes turn into status codes.

``?format=`` wins; otherwise ``Accept`` with q-values, where the most specific media range that
matches a representation gives its quality (RFC 9110 §12.5.1), ties go to an exact match, then to
the client's order, then to the resource's own order (:func:`negotiate`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

# ---------------------------------------------------------------------- formats

#: format name → media type (the ``format`` parameter takes the name)
MEDIA_TYPES = {
    "html": "text/html",
    "jsonld": "application/ld+json",
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "rdfxml": "application/rdf+xml",
    "lom": "application/xml",
    "oai_dc": "application/xml",
    "eduhub": "application/xml",
}
RDF_FORMATS = ("jsonld", "turtle", "ntriples", "rdfxml")
XML_FORMATS = ("lom", "oai_dc", "eduhub")
#: what a resource with an HTML page offers by Accept, in its order of preference
PAGE_FORMATS = ("html", *RDF_FORMATS)
#: what the dataset descriptions offer (Turtle first: no HTML page)
DESCRIPTION_FORMATS = ("turtle", "jsonld", "ntriples", "rdfxml")
#: other spellings of a format name in ``?format=``
FORMAT_ALIASES = {"ttl": "turtle", "nt": "ntriples", "json-ld": "jsonld", "rdf": "rdfxml"}
#: media types clients also send for a format
_ACCEPT_ALIASES = {
    "application/xhtml+xml": "html",
    "application/json": "jsonld",
    "application/x-turtle": "turtle",
}


# ---------------------------------------------------------------------- errors


class UnknownFormat(ValueError):
    """``?format=`` names no format the hub has (400)."""


class NotAcceptable(ValueError):
    """No representation of the resource is acceptable (406)."""


class NotFound(LookupError):
    """No such resource (404)."""


class Gone(LookupError):
    """The record was published and then deleted; its tombstone remains (410)."""


# ---------------------------------------------------------------------- negotiation


def format_name(value: str) -> str:
    """The format a ``?format=`` value names: a name, an alias or a media type."""
    key = value.strip().lower()
    key = FORMAT_ALIASES.get(key, key)
    if key in MEDIA_TYPES:
        return key
    by_media = {media: name for name, media in MEDIA_TYPES.items() if name not in XML_FORMATS}
    by_media.update(_ACCEPT_ALIASES)
    if key in by_media:
        return by_media[key]
    raise UnknownFormat(f"unknown format {value!r}; use one of {', '.join(MEDIA_TYPES)}")


def negotiate(
    accept: str | None, format_param: str | None, offered: Sequence[str], explicit: Sequence[str] = ()
) -> str:
    """The format to answer with: ``format_param`` if given (among ``offered`` or ``explicit``,
    the formats only ``?format=`` reaches), else the best of ``offered`` for ``accept``.

    Raises :class:`UnknownFormat` for a format name the hub does not know and
    :class:`NotAcceptable` when nothing offered is acceptable.
    """
    if format_param is not None:
        name = format_name(format_param)
        if name not in offered and name not in explicit:
            raise NotAcceptable(
                f"this resource has no {name} representation; it has {', '.join([*offered, *explicit])}"
            )
        return name
    ranges = _accept_ranges(accept)
    if not ranges:
        return offered[0]
    best: tuple[float, int, int, int] | None = None
    chosen = None
    for rank, name in enumerate(offered):
        medias = [MEDIA_TYPES[name], *(m for m, n in _ACCEPT_ALIASES.items() if n == name)]
        quality = _quality(medias, ranges)
        if quality is None or quality[0] <= 0:
            continue
        score = (quality[0], quality[1], -quality[2], -rank)
        if best is None or score > best:
            best, chosen = score, name
    if chosen is None:
        wanted = ", ".join(f"{m}/{s}" for m, s, _, _ in ranges)
        media = ", ".join(MEDIA_TYPES[name] for name in offered)
        raise NotAcceptable(f"nothing here matches Accept: {wanted}; this resource comes as {media}")
    return chosen


def _accept_ranges(accept: str | None) -> list[tuple[str, str, float, int]]:
    """(type, subtype, q, position) of each media range of an Accept header."""
    ranges = []
    for position, part in enumerate((accept or "").split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if "/" not in media:
            continue
        kind, _, subtype = media.partition("/")
        quality = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
                quality = min(max(quality, 0.0), 1.0) if math.isfinite(quality) else 0.0
        ranges.append((kind.strip(), subtype.strip(), quality, position))
    return ranges


def _quality(medias: Sequence[str], ranges: Sequence[tuple[str, str, float, int]]) -> tuple[float, int, int] | None:
    """(q, specificity, position) of the most specific range matching any of ``medias``."""
    found = None
    for media in medias:
        kind, _, subtype = media.partition("/")
        for r_kind, r_subtype, quality, position in ranges:
            if (r_kind, r_subtype) == (kind, subtype):
                specificity = 2
            elif r_kind == kind and r_subtype == "*":
                specificity = 1
            elif r_kind == "*" and r_subtype == "*":
                specificity = 0
            else:
                continue
            candidate = (specificity, quality, position)
            if found is None or candidate[0] > found[0] or (candidate[0] == found[0] and quality > found[1]):
                found = candidate
    return None if found is None else (found[1], found[0], found[2])
