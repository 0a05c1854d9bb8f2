"""What every store backend offers, and the SPARQL Update that writes a page."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox


class StoreError(RuntimeError):
    """The store failed; the message says what the caller can do about it."""


class StoreBusy(StoreError):
    """Another process holds the embedded store open for writing."""


class QueryKind(StrEnum):
    SELECT = "select"
    ASK = "ask"
    GRAPH = "graph"  # CONSTRUCT and DESCRIBE


@dataclass(frozen=True)
class QueryResult:
    kind: QueryKind
    media_type: str
    body: bytes


@dataclass(frozen=True)
class GraphWrite:
    """The complete new content of one named graph, as N-Triples lines."""

    graph: str
    lines: Sequence[str]


class Store(Protocol):
    """A quad store holding one named graph per record."""

    def write_page(self, puts: Sequence[GraphWrite], deletes: Sequence[str] = (), then: str = "") -> set[str]:
        """Replace the graphs in ``puts`` and drop the graphs in ``deletes``, all in one transaction.

        ``then`` is more SPARQL Update operations run in the same transaction after the writes
        (the page's tagging). Returns which of those graphs existed before (the pipeline counts
        updates by it)."""

    def update(self, sparql: str) -> None:
        """Run a SPARQL 1.1 Update request as one transaction (retagging a source)."""

    def query(
        self,
        sparql: str,
        *,
        results_format: str = "application/sparql-results+json",
        graph_format: str = "text/turtle",
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
    ) -> QueryResult:
        """Run a read-only SPARQL query; the default graph is the union of all graphs unless
        ``default_graph_uris`` names some. Results come serialized in ``results_format``
        (SELECT, ASK) or ``graph_format`` (CONSTRUCT, DESCRIBE). Raises ``SyntaxError`` for a
        malformed query."""

    def select(self, sparql: str) -> list[dict[str, str]]:
        """Convenience for internal callers: SELECT rows as ``{variable: lexical value}``."""

    def triples(self, graphs: Sequence[str]) -> dict[str, list[ox.Triple]]:
        """The triples of each of ``graphs`` that exists (publishing reads a page of records)."""

    def has_graph(self, graph: str) -> bool: ...

    def existing_graphs(self, graphs: Sequence[str]) -> set[str]:
        """Which of ``graphs`` the store holds (one round trip for a remote store)."""

    def graphs(self, prefix: str) -> list[str]:
        """Names of all graphs starting with ``prefix`` (a source's records)."""

    def replace_graph_from_file(self, graph: str, path: Path, media_type: str) -> None:
        """Load an RDF file (a vocabulary) into ``graph``, replacing what was there."""

    def close(self) -> None: ...


_PROLOGUE_LINE = re.compile(r"^\s*(PREFIX|BASE)\b", re.IGNORECASE)


def join_updates(*parts: str) -> str:
    """Several update requests as one (one transaction), each request's PREFIX lines moved first.

    Oxigraph reads a prologue only at the start of a request; the parts' own operations use
    full IRIs or the hoisted prefixes, so moving them is safe unless two parts bind one prefix
    differently (the tagging engine refuses that when it reads the rules).
    """
    prologue: list[str] = []
    bodies: list[str] = []
    for part in parts:
        lines = part.splitlines()
        while lines and _PROLOGUE_LINE.match(lines[0]):
            line = lines.pop(0).strip()
            if line not in prologue:
                prologue.append(line)
        body = "\n".join(lines).strip()
        if body:
            bodies.append(body)
    if not bodies:
        return ""
    return "\n".join([*prologue, " ;\n".join(bodies)])


def update_for_page(
    puts: Sequence[GraphWrite], deletes: Sequence[str] = (), existing: Collection[str] | None = None
) -> str:
    """One SPARQL 1.1 Update that replaces and drops graphs atomically (SPARQL 1.1 Update §3:
    a request is a sequence of operations applied as one unit by the stores we target).

    ``existing``, when the caller knows it, limits the drops to graphs that exist: a DROP
    costs as much as an insert in pyoxigraph even for a missing graph.
    """
    operations = [f"DROP SILENT GRAPH <{graph}>;" for graph in deletes if existing is None or graph in existing]
    operations += [
        f"DROP SILENT GRAPH <{write.graph}>;" for write in puts if existing is None or write.graph in existing
    ]
    body = [f"GRAPH <{w.graph}> {{\n" + "\n".join(w.lines) + "\n}" for w in puts if w.lines]
    if body:
        operations.append("INSERT DATA {\n" + "\n".join(body) + "\n}")
    elif operations:
        operations[-1] = operations[-1].rstrip(";")
    return "\n".join(operations)
