"""SPARQL 1.1 Protocol logic, kept out of the HTTP handlers: negotiation and query policy.

https://www.w3.org/TR/sparql11-protocol/ — query via GET ``query=``, POST form
``query=`` or POST ``application/sparql-query``; results by content negotiation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RESULTS_FORMATS = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_FORMATS = {
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}
FORMAT_ALIASES = {"nt": "ntriples", "ttl": "turtle", "json-ld": "jsonld", "rdf": "rdfxml", "srj": "json", "srx": "xml"}
# Media types clients send for the same formats.
_MEDIA_ALIASES = {
    "application/json": "application/sparql-results+json",
    "text/xml": "application/sparql-results+xml",
    "application/xml": "application/sparql-results+xml",
    "text/plain": "application/n-triples",
    "application/x-turtle": "text/turtle",
}


class QueryRefused(ValueError):
    """The query is well-formed but this endpoint does not run it; ``code`` names the rule."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class FormatUnknown(ValueError):
    pass


@dataclass(frozen=True)
class Negotiated:
    results_format: str
    graph_format: str


def negotiate(accept: str | None, format_param: str | None) -> Negotiated:
    """Pick a results format (SELECT/ASK) and a graph format (CONSTRUCT/DESCRIBE).

    An explicit ``format`` parameter wins over ``Accept``; within ``Accept`` the highest
    q-value among formats we serve wins, and anything unserved falls back to the
    defaults (SPARQL JSON, Turtle) rather than failing the request.
    """
    results, graph = RESULTS_FORMATS["json"], GRAPH_FORMATS["turtle"]
    if format_param:
        name = FORMAT_ALIASES.get(format_param.lower(), format_param.lower())
        media = RESULTS_FORMATS.get(name) or GRAPH_FORMATS.get(name) or _MEDIA_ALIASES.get(name, name)
        if media in RESULTS_FORMATS.values():
            return Negotiated(media, graph)
        if media in GRAPH_FORMATS.values():
            return Negotiated(results, media)
        known = ", ".join([*RESULTS_FORMATS, *GRAPH_FORMATS])
        raise FormatUnknown(f"unknown format {format_param!r}; use one of {known} or a media type")
    best_results: tuple[float, int, str] | None = None
    best_graph: tuple[float, int, str] | None = None
    for position, (media, quality) in enumerate(_accept_items(accept or "")):
        media = _MEDIA_ALIASES.get(media, media)
        rank = (quality, -position, media)
        if media in RESULTS_FORMATS.values() and (best_results is None or rank > best_results):
            best_results = rank
        if media in GRAPH_FORMATS.values() and (best_graph is None or rank > best_graph):
            best_graph = rank
    return Negotiated(best_results[2] if best_results else results, best_graph[2] if best_graph else graph)


def _accept_items(accept: str) -> list[tuple[str, float]]:
    items = []
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        media, quality = fields[0].lower(), 1.0
        for param in fields[1:]:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        if media and quality > 0:
            items.append((media, quality))
    return items


# Comments, string literals (all four SPARQL forms) and IRIs: where SERVICE may appear
# as text without being the keyword.
_NOT_CODE = re.compile(
    r"""'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*"|<[^<>"{}|^`\\\s]*>|\#[^\n\r]*""",
)
_SERVICE = re.compile(r"(?<![\w:?$])SERVICE\b(?!\s*:)", re.IGNORECASE)
_PROLOGUE = re.compile(r"^\s*(?:PREFIX\s+[\w.\-]*:\s*|BASE\s*)", re.IGNORECASE)
_UPDATE = re.compile(r"\s*(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b(?!\s*:)", re.IGNORECASE)


def check_query(query: str) -> None:
    """Refuse what this public endpoint never runs.

    ``SERVICE`` would make pyoxigraph open HTTP connections to any address a visitor
    names (request forgery); federation comes later behind an allowlist. Updates are
    refused outright (they would also fail to parse as a query; this gives the reason).
    """
    code = _NOT_CODE.sub(" ", query)
    if _SERVICE.search(code):
        raise QueryRefused("service-not-allowed", "SERVICE (federated query) is not allowed on this endpoint")
    body = code
    while (prologue := _PROLOGUE.match(body)) is not None:
        body = body[prologue.end() :]
    if _UPDATE.match(body):
        raise QueryRefused("update-not-allowed", "SPARQL Update is not allowed on this endpoint; it is read-only")


SERVICE_DESCRIPTION = """@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix fmt: <http://www.w3.org/ns/formats/> .

[] a sd:Service ;
   sd:endpoint <{endpoint}> ;
   sd:supportedLanguage sd:SPARQL11Query ;
   sd:feature sd:UnionDefaultGraph ;
   sd:resultFormat fmt:SPARQL_Results_JSON, fmt:SPARQL_Results_XML, fmt:SPARQL_Results_CSV,
       fmt:SPARQL_Results_TSV, fmt:Turtle, fmt:N-Triples, fmt:JSON-LD, fmt:RDF_XML ;
   sd:defaultDataset [ a sd:Dataset ; sd:defaultGraph [ a sd:Graph ] ] .
"""
