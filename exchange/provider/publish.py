"""Keeping the publication log in step with the store: called after every store commit.

The pipeline commits a page to the store, then records it here in the same SQLite transaction
as its quarantine and raw-payload bookkeeping. A crash between the two leaves the log behind
the store; :func:`reconcile` (run at the end of every harvest) closes the gap, and a rerun of
the harvest re-writes the records whose datestamps did not move.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from urllib.parse import quote

import pyoxigraph as ox

from exchange import tagging
from exchange.hub import Hub
from exchange.model import record_from_triples, record_iri, source_iri
from exchange.namespaces import HUB, XSD
from exchange.provider.log import Change, pack
from exchange.provider.sets import catalogue, membership_query, source_set
from exchange.state import now
from exchange.store import GraphWrite
from exchange.tagging import assessments_graph

_TAG_IRI = re.compile(r"<(https://w3id\.org/eduhub/vocab/tags/[^>]+)>")
#: graphs per membership query (the VALUES block of one SELECT)
CHUNK = 500


def item_of(base: str, graph: str) -> str:
    """A record graph's item in the log: its IRI without ``{base}/resources/``."""
    return graph[len(base) + len("/resources/") :]


def graph_of(base: str, item: str) -> str:
    return f"{base}/resources/{item}"


def digest(lines: Iterable[str]) -> str:
    """Order-free digest of a record graph's N-Triples lines."""
    return hashlib.blake2b("\n".join(sorted(lines)).encode(), digest_size=16).hexdigest()


def memberships(hub: Hub, source: str, graphs: Sequence[str]) -> dict[str, frozenset[str]]:
    """The sets of each record graph: its source's, its shared concepts', its tags'."""
    specs: dict[str, set[str]] = {graph: {source_set(source)} for graph in graphs}
    by_concept = catalogue().by_concept
    assessments = assessments_graph(hub.settings.base, source)
    for start in range(0, len(graphs), CHUNK):
        for row in hub.store.select(membership_query(graphs[start : start + CHUNK], assessments)):
            spec = by_concept.get(row["c"])
            if spec:
                specs[row["g"]].add(spec)
    return {graph: frozenset(found) for graph, found in specs.items()}


def page_changes(hub: Hub, source: str, puts: Sequence[GraphWrite], deletes: Sequence[str]) -> list[Change]:
    """The log entries for a committed page (query the sets after the page's tagging ran)."""
    base = hub.settings.base
    sets = memberships(hub, source, [write.graph for write in puts])
    records = served(puts, {source_iri(base, source): source})
    changes = [
        Change(item_of(base, w.graph), source, digest(w.lines), sets[w.graph], record=records.get(w.graph))
        for w in puts
    ]
    changes += [Change(item_of(base, graph), source, deleted=True) for graph in deletes]
    return changes


def served(puts: Sequence[GraphWrite], provider_names: dict[str, str]) -> dict[str, bytes]:
    """The records the provider serves for a page's graphs, packed for the log: made as they would
    be from the store (the graphs' lines parsed, typed literals in the store's canonical form),
    at a quarter of the cost of reading the graphs back. A graph the reader does not know gets
    no copy (the provider then reads the store, and skips it)."""
    triples: dict[str, list[ox.Triple]] = {}
    for write in puts:
        try:
            triples[write.graph] = list(ox.parse("\n".join(write.lines).encode(), format=ox.RdfFormat.N_TRIPLES))
        except SyntaxError:
            continue
    _as_stored(triples)
    packed = {}
    for graph, found in triples.items():
        try:
            packed[graph] = pack(record_from_triples(graph, found, provider_names))
        except ValueError:
            continue
    return packed


_PLAIN = frozenset({XSD + "string", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"})


def _as_stored(triples: dict[str, list[ox.Triple]]) -> None:
    """Typed literals as the store gives them back: it keeps values, not lexical forms
    (``…T13:09:34.0Z`` → ``…T13:09:34Z``, ``PT120M`` → ``PT2H``). An in-memory store of the
    page's typed literals does the same conversion, so the copy cannot drift from the store."""
    memory, places = ox.Store(), []
    predicate = ox.NamedNode("urn:eduhub:value")
    for graph, found in triples.items():
        for index, triple in enumerate(found):
            value = triple.object
            if isinstance(value, ox.Literal) and value.datatype.value not in _PLAIN:
                memory.add(ox.Quad(ox.NamedNode(f"urn:eduhub:literal:{len(places)}"), predicate, value))
                places.append((graph, index))
    for quad in memory.quads_for_pattern(None, predicate, None, None):
        graph, index = places[int(quad.subject.value.rsplit(":", 1)[1])]
        old = triples[graph][index]
        triples[graph][index] = ox.Triple(old.subject, old.predicate, quad.object)


def record(hub: Hub, changes: Sequence[Change]) -> int:
    """Apply ``changes`` at the current time; the caller holds the SQLite transaction."""
    return hub.publication.apply(changes, now())


def reconcile(hub: Hub, source: str) -> int:
    """Make the log's live items of ``source`` equal the record graphs in the store.

    Graphs the log lacks are added with an unknown digest (their next re-harvest refreshes
    them); live items without a graph become tombstones. Returns how many items changed."""
    base = hub.settings.base
    stored = set(hub.store.graphs(record_iri(base, source, "")))
    live = {graph_of(base, item) for item in hub.publication.live_items(source)}
    missing = sorted(stored - live)
    gone = sorted(live - stored)
    if missing or gone:
        sets = memberships(hub, source, missing)
        changes = [Change(item_of(base, g), source, "", sets[g]) for g in missing]
        changes += [Change(item_of(base, g), source, deleted=True) for g in gone]
        with hub.state.transaction():
            record(hub, changes)
    keep_copies(hub, source)
    return len(missing) + len(gone)


def keep_copies(hub: Hub, source: str) -> int:
    """Give live items without a kept record (added by :func:`reconcile`, or logged before the
    log kept records) their copy, read from the store. Returns how many were filled."""
    base = hub.settings.base
    names = {source_iri(base, source): source}
    items = hub.publication.without_copy(source)
    for start in range(0, len(items), CHUNK):
        chunk = items[start : start + CHUNK]
        graphs = hub.store.triples([graph_of(base, item) for item in chunk])
        copies = {}
        for item in chunk:
            triples = graphs.get(graph_of(base, item))
            if triples is not None:
                try:
                    copies[item] = pack(record_from_triples(graph_of(base, item), triples, names))
                except ValueError:
                    continue  # not a graph the reader knows: the provider reads the store, and skips it
        with hub.state.transaction():
            hub.publication.keep(copies)
    return len(items)


def refresh_sets(hub: Hub, source: str) -> int:
    """After a retag: new tag sets move the datestamps of the records whose sets changed."""
    base = hub.settings.base
    graphs = sorted(graph_of(base, item) for item in hub.publication.live_items(source))
    sets = memberships(hub, source, graphs)
    with hub.state.transaction():
        return hub.publication.update_sets({item_of(base, g): s for g, s in sets.items()}, now())


def refresh_source_wide(hub: Hub, source: str) -> int:
    """After a harvest's source-wide rules (docs/tagging.md: duplicate titles), the sets those
    rules give: only their tags are compared, so the cost follows the tagged records, not the
    source's size."""
    by_concept = catalogue().by_concept
    rules = [rule for rule in tagging.shipped_rules() if rule.scope == "source"]
    concepts = sorted({iri for rule in rules for iri in _TAG_IRI.findall(rule.select)} & set(by_concept))
    if not concepts:
        return 0
    specs = {by_concept[concept] for concept in concepts}
    base, graph = hub.settings.base, assessments_graph(hub.settings.base, source)
    values = " ".join(f"<{concept}>" for concept in concepts)
    rows = hub.store.select(
        f"SELECT ?g ?c WHERE {{ VALUES ?c {{ {values} }} GRAPH <{graph}> "
        f"{{ ?g <{HUB}assessment> ?a . ?a <{HUB}result> ?c }} }}"
    )
    now_in = {(item_of(base, row["g"]), by_concept[row["c"]]) for row in rows}
    was_in = hub.publication.members(specs, prefix=f"{quote(source, safe='')}/")
    changed = {item for item, _ in now_in ^ was_in}
    live = hub.publication.live_items(source)
    sets = {
        item: frozenset((hub.publication.sets_of(item) - specs) | {spec for i, spec in now_in if i == item})
        for item in sorted(changed & live)
    }
    with hub.state.transaction():
        return hub.publication.update_sets(sets, now())


def forget_source(hub: Hub, source: str) -> int:
    """A removed source's records become tombstones (harvesters of the hub see them go)."""
    changes = [Change(item, source, deleted=True) for item in sorted(hub.publication.live_items(source))]
    with hub.state.transaction():
        return record(hub, changes)
