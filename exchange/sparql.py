"""SPARQL 1.1 Protocol logic, kept out of the HTTP handlers: negotiation and query policy.

https://www.w3.org/TR/sparql11-protocol/ — query via GET ``query=``, POST form
``query=`` or POST ``application/sparql-query``; results by content negotiation.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from exchange import netguard
from exchange.config import ConfigError

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


# The lexical pieces that matter for policy. Strings and comments are skipped (SERVICE may be
# written there as text); IRIs and names are kept. Anything else (punctuation) is a delimiter.
# SPARQL 1.1 Query §19.8 (grammar terminals), simplified in the safe direction: a string that is
# not closed is not skipped, and '.' always ends a name, so a keyword is never missed.
_LEX = re.compile(
    r"""(?P<skip>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*"|\#[^\n\r]*)"""
    r"""|(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)"""
    r"""|(?P<name>[^\s{}()<>"'`,;\[\]=!|&*+/^#.]+)"""
)
_UPDATE_KEYWORDS = {"insert", "delete", "load", "clear", "create", "drop", "copy", "move", "add", "with"}
_PN_LOCAL_ESCAPE = re.compile(r"\\([_~.\-!$&'()*+,;=/?#@%])")


@dataclass(frozen=True)
class ServicePolicy:
    """Which endpoints a query may federate to with ``SERVICE`` (SPARQL 1.1 Federated Query).

    Only the endpoints named here (``EDUHUB_SPARQL_SERVICES``: URLs separated by spaces or
    commas); and even those only while they resolve to public addresses, unless
    ``EDUHUB_SPARQL_SERVICE_ALLOW_PRIVATE=1`` (hubs on one private network). Everything is
    decided before the query runs, so a refused target receives no connection.
    """

    endpoints: frozenset[str] = frozenset()
    allow_private: bool = False

    @classmethod
    def from_env(cls) -> ServicePolicy:
        listed = re.split(r"[\s,]+", os.environ.get("EDUHUB_SPARQL_SERVICES", "").strip())
        allow = os.environ.get("EDUHUB_SPARQL_SERVICE_ALLOW_PRIVATE", "").strip().lower() in ("1", "true", "yes", "on")
        return cls.of([url for url in listed if url], allow_private=allow)

    @classmethod
    def of(cls, endpoints: Sequence[str], *, allow_private: bool = False) -> ServicePolicy:
        for url in endpoints:
            try:
                netguard.Guard(allow_private=True).check_form(url)
            except netguard.BadUrl as error:
                raise ConfigError(f"SPARQL SERVICE endpoint {url!r}: {error}") from None
        return cls(frozenset(_normal(url) for url in endpoints), allow_private)

    def check(self, target: str | None) -> None:
        if target is None:
            raise QueryRefused("service-not-allowed", "SERVICE needs a fixed endpoint IRI here, not a variable")
        if _normal(target) not in self.endpoints:
            named = ", ".join(sorted(self.endpoints)) or "none"
            raise QueryRefused(
                "service-not-allowed",
                f"SERVICE <{target}> is not allowed: this endpoint federates only to the hubs its operator "
                f"named ({named})",
            )
        try:
            netguard.Guard(allow_private=self.allow_private, purpose="SERVICE reaches public addresses only").check_url(
                target
            )
        except netguard.BadUrl as error:
            raise QueryRefused("service-not-allowed", f"SERVICE <{target}> is not allowed: {error}") from None


def _normal(url: str) -> str:
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    port = "" if parts.port in (None, default) else f":{parts.port}"
    host = f"[{host}]" if ":" in host else host
    return urlunsplit((parts.scheme.lower(), host + port, parts.path or "/", parts.query, ""))


def _tokens(query: str) -> list[tuple[str | None, str]]:
    """The query's IRIs and names in order (strings and comments left out), as ``(kind, text)``."""
    return [(m.lastgroup, m.group()) for m in _LEX.finditer(query) if m.lastgroup != "skip"]


def service_targets(query: str) -> list[str | None]:
    """The endpoint of every ``SERVICE`` in ``query``: an absolute IRI, or None when it is a
    variable or cannot be resolved (both refused). Prefixed names are resolved with the query's
    own PREFIX declarations."""
    return _service_targets(_tokens(query))


def _service_targets(tokens: list[tuple[str | None, str]]) -> list[str | None]:
    prefixes: dict[str, str] = {}
    targets: list[str | None] = []
    for index, (kind, text) in enumerate(tokens):
        if kind != "name":
            continue
        word = text.lower()
        if word == "prefix" and index + 2 < len(tokens):
            (_, name), (iri_kind, iri) = tokens[index + 1], tokens[index + 2]
            if name.endswith(":") and iri_kind == "iri":
                prefixes[name[:-1]] = iri[1:-1]
        elif word == "service":
            following = tokens[index + 1 : index + 3]
            if following and following[0][0] == "name" and following[0][1].lower() == "silent":
                following = following[1:]
            targets.append(_target(following[0] if following else None, prefixes))
    return targets


def _target(token: tuple[str | None, str] | None, prefixes: dict[str, str]) -> str | None:
    if token is None:
        return None
    kind, text = token
    if kind == "iri":
        iri = text[1:-1]
        return iri if urlsplit(iri).scheme else None  # relative (against BASE): refused
    prefix, colon, local = text.partition(":")
    if not colon or prefix.startswith(("?", "$")) or prefix not in prefixes:
        return None
    return prefixes[prefix] + _PN_LOCAL_ESCAPE.sub(r"\1", local)


def check_query(query: str, services: ServicePolicy | None = None) -> None:
    """Refuse what this public endpoint never runs, before it runs.

    ``SERVICE`` would make the store open HTTP connections to any address a visitor names
    (request forgery); only the endpoints of ``services`` are allowed. Updates are refused
    outright (they would also fail to parse as a query; this gives the reason).
    """
    policy = services or ServicePolicy()
    tokens = _tokens(query)
    for target in _service_targets(tokens):
        policy.check(target)
    words = [(kind, text.lower()) for kind, text in tokens]
    position = 0
    while position < len(words) and words[position][1] in ("prefix", "base"):  # the prologue
        position += 3 if words[position][1] == "prefix" else 2
    if position < len(words) and words[position] in {("name", word) for word in _UPDATE_KEYWORDS}:
        raise QueryRefused("update-not-allowed", "SPARQL Update is not allowed on this endpoint; it is read-only")


def service_description(endpoint: str, limits: Any, services: ServicePolicy) -> str:
    """The SPARQL 1.1 Service Description (https://www.w3.org/TR/sparql11-service-description/),
    answered at the endpoint for a request without a query; the limits as a comment for people."""
    federation = " ;\n   sd:feature sd:BasicFederatedQuery" if services.endpoints else ""
    comment = (
        f"Read-only. Each query may run {limits.timeout:g} s and return {limits.max_rows} rows or triples and "
        f"{limits.max_bytes} bytes; SERVICE only to: {', '.join(sorted(services.endpoints)) or 'none'}."
    )
    return f"""@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix fmt: <http://www.w3.org/ns/formats/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

[] a sd:Service ;
   sd:endpoint <{endpoint}> ;
   sd:supportedLanguage sd:SPARQL11Query ;
   sd:feature sd:UnionDefaultGraph{federation} ;
   sd:resultFormat fmt:SPARQL_Results_JSON, fmt:SPARQL_Results_XML, fmt:SPARQL_Results_CSV,
       fmt:SPARQL_Results_TSV, fmt:Turtle, fmt:N-Triples, fmt:JSON-LD, fmt:RDF_XML ;
   sd:defaultDataset [ a sd:Dataset ; sd:defaultGraph [ a sd:Graph ] ] ;
   rdfs:comment {json.dumps(comment)} .
"""
