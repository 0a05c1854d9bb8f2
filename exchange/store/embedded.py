"""The default backend: pyoxigraph on disk. Nothing to install or start."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import pyoxigraph as ox

from exchange.store.base import GraphWrite, QueryKind, QueryResult, StoreBusy, StoreError, join_updates, update_for_page
from harvesters import xml

#: Flush RocksDB's memtables after this many bytes of updates. Without it, memory grows
#: with everything written since the store was opened (measured: ~55 KB per LOM record).
FLUSH_EVERY_BYTES = 8 * 1024 * 1024


class EmbeddedStore:
    def __init__(self, path: Path | None, *, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        self._unflushed = 0
        #: counts writes, so a snapshot can tell whether it is still current (exchange/sparql_pool.py)
        self.generation = 0
        # Harvests of several sources write from their own threads. Each update is one
        # transaction; the lock keeps two of them (and the flush counter) from meeting, and
        # makes write_page's existence check and its update one step. Reads do not take it.
        self._write_lock = threading.RLock()
        if path is None:
            self._store = ox.Store()
            return
        path.mkdir(parents=True, exist_ok=True)
        try:
            self._store = ox.Store.read_only(str(path)) if read_only else ox.Store(str(path))
        except OSError as error:
            if "lock" in str(error).lower():
                raise StoreBusy(
                    f"the store in {path} is open in another process (is `eduhub serve` or a harvest "
                    "running?); stop it first, or run read-only commands such as `eduhub query`"
                ) from None
            raise StoreError(f"cannot open the store in {path}: {error}") from error

    # ------------------------------------------------------------------ writes

    def write_page(self, puts: Sequence[GraphWrite], deletes: Sequence[str] = (), then: str = "") -> set[str]:
        with self._write_lock:
            existing = self.existing_graphs([w.graph for w in puts] + list(deletes))
            update = join_updates(update_for_page(puts, deletes, existing=existing), then)
            if update:
                self.update(update)
            return existing

    def update(self, sparql: str) -> None:
        with self._write_lock:
            self._store.update(sparql)
            self.generation += 1
            self._unflushed += len(sparql)
            if self.path is not None and self._unflushed > FLUSH_EVERY_BYTES:
                self._store.flush()
                self._unflushed = 0

    def replace_graph_from_file(self, graph: str, path: Path, media_type: str) -> None:
        fmt = ox.RdfFormat.from_media_type(media_type)
        if fmt is None:
            raise StoreError(f"unsupported RDF media type {media_type!r}")
        node = ox.NamedNode(graph)
        if fmt == ox.RdfFormat.RDF_XML:
            # pyoxigraph's RDF/XML parser expands internal entities recursively (billion laughs):
            # refuse declarations before it sees them (docs/security.md). JSON-LD needs no such
            # check: pyoxigraph has no document loader, so a remote @context fails instead of loading.
            data = path.read_bytes()
            try:
                xml.refuse_entity_declarations(data, str(path))
            except xml.EntityDeclarations as error:
                raise StoreError(str(error)) from None
            parsed = ox.parse(data, format=fmt)
        else:
            parsed = ox.parse(path=str(path), format=fmt)
        # Parse first, so a broken file leaves the old graph in place.
        quads = [ox.Quad(t.subject, t.predicate, t.object, node) for t in parsed]
        with self._write_lock:
            self._store.remove_graph(node)
            self._store.extend(quads)
            self.generation += 1

    def snapshot(self, folder: Path) -> int:
        """Write a consistent copy of the store into ``folder`` (a new folder), for processes that
        read it while this one writes: a RocksDB checkpoint, hard links to the table files on the
        same file system. Returns the write generation it holds."""
        with self._write_lock:
            self._store.backup(str(folder))
            return self.generation

    # ------------------------------------------------------------------ reads

    def query(
        self,
        sparql: str,
        *,
        results_format: str = "application/sparql-results+json",
        graph_format: str = "text/turtle",
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
    ) -> QueryResult:
        result = self._run(sparql, default_graph_uris, named_graph_uris)
        if isinstance(result, ox.QueryTriples):
            fmt = ox.RdfFormat.from_media_type(graph_format)
            if fmt is None:
                raise ValueError(f"unsupported RDF format {graph_format!r}")
            return QueryResult(QueryKind.GRAPH, fmt.media_type, result.serialize(format=fmt))
        results_fmt = ox.QueryResultsFormat.from_media_type(results_format)
        if results_fmt is None:
            raise ValueError(f"unsupported results format {results_format!r}")
        kind = QueryKind.ASK if isinstance(result, ox.QueryBoolean) else QueryKind.SELECT
        return QueryResult(kind, results_fmt.media_type, result.serialize(format=results_fmt))

    def select(self, sparql: str) -> list[dict[str, str]]:
        result = self._run(sparql, (), ())
        if not isinstance(result, ox.QuerySolutions):
            raise ValueError("select() needs a SELECT query")
        names = [v.value for v in result.variables]
        return [{name: term.value for name in names if (term := row[name]) is not None} for row in result]

    def triples(self, graphs: Sequence[str]) -> dict[str, list[ox.Triple]]:
        found: dict[str, list[ox.Triple]] = {}
        for graph in graphs:
            quads = self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
            triples = [quad.triple for quad in quads]
            if triples:
                found[graph] = triples
        return found

    def has_graph(self, graph: str) -> bool:
        return self._store.contains_named_graph(ox.NamedNode(graph))

    def existing_graphs(self, graphs: Sequence[str]) -> set[str]:
        return {g for g in graphs if self._store.contains_named_graph(ox.NamedNode(g))}

    def graphs(self, prefix: str) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs() if g.value.startswith(prefix))

    def _run(self, sparql: str, default_graph_uris: Sequence[str], named_graph_uris: Sequence[str]):
        return evaluate(self._store, sparql, default_graph_uris, named_graph_uris)

    @property
    def raw(self) -> ox.Store:
        """The pyoxigraph store, for code that evaluates queries under its own caps (sparql_run)."""
        return self._store

    def close(self) -> None:
        # pyoxigraph closes the store when the object goes; flush so nothing waits in memory.
        if self.path is not None and not self.read_only:
            self._store.flush()
        del self._store


def evaluate(
    store: ox.Store, query: str, default_graph_uris: Sequence[str] = (), named_graph_uris: Sequence[str] = ()
) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
    """Evaluate ``query``: the default graph is the union of all graphs unless the request names
    graphs (SPARQL 1.1 Protocol §2.1.4, ``default-graph-uri`` / ``named-graph-uri``)."""
    options: dict[str, object] = {}
    if default_graph_uris:
        options["default_graph"] = [ox.NamedNode(g) for g in default_graph_uris]
    else:
        options["use_default_graph_as_union"] = True
    if named_graph_uris:
        options["named_graphs"] = [ox.NamedNode(g) for g in named_graph_uris]
    return store.query(query, **options)
