"""Cross-source duplicate clusters: records of one resource from several sources, linked (docs/clusters.md).

Each source's description stays its own record; what links them is derived data the hub can
rebuild from the store at any time:

- **keys**: each record's *match keys*, read from its graph: the DOI or Handle in any of its
  ``schema:identifier`` or ``schema:url`` values (``doi:10.5281/zenodo.1``, ``hdl:1721.1/140717``)
  and its landing URL (``schema:url``) normalized conservatively (``url:https://…``). They are
  kept per source in ``{base}/cluster-keys/{source}`` (``<record> hub:matchKey "doi:…"``), an index
  so that refreshing one source does not re-read every record of the hub.
- **clusters**: connected components of records sharing a key, kept only when their records come
  from at least two sources (one source repeating itself is the duplicate-title rule's business),
  in the graph ``{base}/clusters``: ``<record> hub:inCluster <cluster>``, and the cluster typed
  ``hub:Cluster`` with its linking keys (``hub:clusterKey``) and ``hub:memberCount``. A cluster's
  IRI is ``{base}/clusters/{16 hex digits of the SHA-1 of its smallest linking key}``.

:func:`refresh` recomputes only the components that touch the keys a source's harvest changed (and
the clusters those records were in); :func:`rebuild` recomputes everything. Both give the same
graphs (tests/test_clusters.py checks it).
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import pyoxigraph as ox

from exchange.hub import Hub
from exchange.model import record_iri
from exchange.model.rdf import literal
from exchange.namespaces import HUB, RDF_TYPE, SCHEMA, XSD

CLUSTER = HUB + "Cluster"
IN_CLUSTER = HUB + "inCluster"
CLUSTER_KEY = HUB + "clusterKey"
MEMBER_COUNT = HUB + "memberCount"
MATCH_KEY = HUB + "matchKey"

#: A key more records than this share names a portal or a placeholder, not one resource: it links
#: nothing (it is still indexed). Real feeds point whole collections at one address.
MAX_KEY_RECORDS = 100
#: Version of the key rules. The state remembers the version the index was built with; a refresh
#: over an index built by other rules (or none) rebuilds instead.
KEYS_VERSION = "1"
INDEX_SETTING = "cluster-keys"
#: VALUES rows per lookup query (one query per chunk keeps each request small for a remote store)
CHUNK = 400


# ---------------------------------------------------------------------- keys


_DOI = re.compile(r"10\.\d{4,9}/\S+")
_HANDLE = re.compile(r"(\d+(?:\.\d+)*)/(\S+)")
_DOI_HOSTS = frozenset({"doi.org", "dx.doi.org", "www.doi.org"})
_HANDLE_HOSTS = frozenset({"hdl.handle.net"})
#: written prefixes → the kind of name that follows
_NAME_PREFIXES = (("doi:", "doi"), ("info:doi/", "doi"), ("urn:doi:", "doi"), ("hdl:", "hdl"), ("info:hdl/", "hdl"))
#: DSpace's default Handle prefix: installations that never registered one all use it, so the same
#: handle names different items in different repositories.
_PLACEHOLDER_HANDLE_PREFIXES = frozenset({"123456789"})
#: RFC 2606 / RFC 6761 names: placeholders in examples and anonymized records, never a resource
_RESERVED_HOSTS = ("example.com", "example.net", "example.org", "example", "test", "invalid", "localhost")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
#: what stays unescaped when a URL part is written as ASCII (RFC 3986 reserved characters and '%')
_SAFE = "!#$&'()*+,/:;=?@[]~%"


def persistent_key(value: str) -> str | None:
    """``doi:…`` (lower case: DOIs are case-insensitive) or ``hdl:prefix/suffix`` for a DOI or Handle
    in any written form: bare ``10.…/…``, ``doi:``, ``info:doi/``, ``urn:doi:``, ``hdl:``,
    ``info:hdl/``, or a resolver URL (doi.org, dx.doi.org, hdl.handle.net). A Handle whose prefix is
    ``10.`` is a DOI. Anything else (including bare ``prefix/suffix`` text, which could be any
    path) is None."""
    text = value.strip()
    lower = text.lower()
    for prefix, kind in _NAME_PREFIXES:
        if lower.startswith(prefix):
            return _name_key(text[len(prefix) :].strip(), kind)
    if lower.startswith(("http://", "https://")):
        return _resolver_key(text) if ("doi.org/" in lower or "hdl.handle.net/" in lower) else None
    return _name_key(text, "doi") if _DOI.fullmatch(text) else None


def _name_key(name: str, kind: str) -> str | None:
    if _DOI.fullmatch(name):
        return "doi:" + name.lower()
    match = _HANDLE.fullmatch(name) if kind == "hdl" else None
    if match is None or match.group(1) in _PLACEHOLDER_HANDLE_PREFIXES:
        return None
    # Handles are case-sensitive unless their service says otherwise (RFC 3650 §3): kept as written.
    return f"hdl:{match.group(1)}/{match.group(2)}"


def _resolver_key(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").rstrip(".")
    if parts.query or parts.fragment or host not in _DOI_HOSTS | _HANDLE_HOSTS:
        return None  # with a query (?noredirect, ?locatt=…) it is a page of the resolver, not the name
    return _name_key(unquote(parts.path.lstrip("/")), "doi" if host in _DOI_HOSTS else "hdl")


def url_key(value: str) -> str | None:
    """``url:https://…``: a landing URL normalized so that the ways one address gets written meet,
    and nothing else does (docs/clusters.md lists each rule with its reason)."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in _DEFAULT_PORTS or not host or parts.username is not None or _reserved(host):
        return None
    if host in _DOI_HOSTS | _HANDLE_HOSTS:
        return None  # a resolver URL is its DOI or Handle, or nothing (placeholder prefix, resolver page)
    if host.startswith("www."):
        host = host[4:]
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    path = _escapes(_remove_dot_segments(parts.path)).rstrip("/")
    if not path:
        return None  # a site's home page is not a resource's landing page
    query = _escapes(parts.query)
    # A fragment is an anchor in one document, except a client-side route (#!… or #/…), which
    # selects what a single-page application shows (Wikiwijs's #!page-… in real Edurep records).
    fragment = _escapes(parts.fragment) if parts.fragment.startswith(("!", "/")) else ""
    return f"url:https://{netloc}{path}" + (f"?{query}" if query else "") + (f"#{fragment}" if fragment else "")


def _reserved(host: str) -> bool:
    if host.startswith("127.") or host in ("::1", "0.0.0.0"):
        return True
    return any(host == name or host.endswith("." + name) for name in _RESERVED_HOSTS)


def _escapes(text: str) -> str:
    """Non-ASCII characters UTF-8 percent-encoded (RFC 3987 §3.1), escapes of unreserved characters
    decoded and the others' hex digits upper-cased (RFC 3986 §6.2.2.1-2)."""
    if not text:
        return text
    text = quote(text, safe=_SAFE)

    def one(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    return _ESCAPE.sub(one, text) if "%" in text else text


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4: ``/a/./b/../c`` is ``/a/c``."""
    if "." not in path:
        return path
    out: list[str] = []
    segments = path.split("/")
    for segment in segments:
        if segment == "..":
            if len(out) > 1:
                out.pop()
        elif segment != ".":
            out.append(segment)
    if segments[-1] in (".", ".."):
        out.append("")
    return "/".join(out)


def record_keys(urls: Iterable[str], identifiers: Iterable[str]) -> set[str]:
    """A record's match keys: persistent identifiers in its url and identifiers, and its landing URL.

    A web URL among the identifiers is not a landing-URL key: crosswalks put mirrors, other
    formats and related pages there (LOM technical/location, every dc:identifier)."""
    keys = set()
    for url in urls:
        key = persistent_key(url) or url_key(url)
        if key:
            keys.add(key)
    for identifier in identifiers:
        key = persistent_key(identifier)
        if key:
            keys.add(key)
    return keys


# ---------------------------------------------------------------------- names


def clusters_graph(base: str) -> str:
    return f"{base}/clusters"


def keys_graph(base: str, source: str) -> str:
    return f"{base}/cluster-keys/{quote(source, safe='')}"


_CLUSTER_ID = re.compile(r"[0-9a-f]{16}")


def cluster_iri(base: str, linking_keys: Iterable[str]) -> str:
    """``{base}/clusters/{id}``: the first 16 hex digits of the SHA-1 of the smallest linking key, so
    the IRI is the same whoever computes it, and stays while that key links the cluster (``doi:``
    sorts before ``hdl:`` before ``url:``: a persistent identifier names the cluster when there is one)."""
    digest = hashlib.sha1(min(linking_keys).encode("utf-8"), usedforsecurity=False).hexdigest()
    return f"{base}/clusters/{digest[:16]}"


def cluster_iri_of(base: str, cluster_id: str) -> str | None:
    """The cluster IRI for the last path segment of ``/clusters/{id}``; None if it cannot be one."""
    return f"{base}/clusters/{cluster_id}" if _CLUSTER_ID.fullmatch(cluster_id) else None


def _source_of(base: str, record: str) -> str:
    return unquote(record[len(base) + len("/resources/") :].split("/", 1)[0])


# ---------------------------------------------------------------------- results


@dataclass
class ClusterStats:
    """What one refresh or rebuild did; counts are of the part recomputed (the whole hub for rebuild)."""

    mode: str  # refresh | rebuild | unchanged
    source: str | None = None
    records_read: int = 0  # records read from their graphs that have a key
    records_changed: int = 0  # records whose keys differ from the index (refresh)
    records_recomputed: int = 0  # records whose cluster was recomputed
    clusters: int = 0  # clusters in the recomputed part, after
    members: int = 0  # their records
    created: int = 0
    removed: int = 0
    changed: int = 0  # clusters kept under their IRI whose members or keys changed
    common_keys: int = 0  # keys shared by more than MAX_KEY_RECORDS records (not linking)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------------- reading the store


def _rows(hub: Hub, query: str) -> list[dict[str, str]]:
    return hub.store.select(query)


def _chunks(items: Iterable[str], size: int = CHUNK) -> Iterable[list[str]]:
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def read_record_keys(hub: Hub, prefix: str) -> dict[str, set[str]]:
    """Match keys of every record whose IRI starts with ``prefix`` (one source, or all), from the
    record graphs; records without a key are left out."""
    values: dict[str, tuple[list[str], list[str]]] = {}
    rows = _rows(
        hub,
        f"""SELECT ?g ?p ?v WHERE {{
  VALUES ?p {{ <{SCHEMA}url> <{SCHEMA}identifier> }}
  GRAPH ?g {{ ?g ?p ?v }}
  FILTER(STRSTARTS(STR(?g), {literal(prefix)}))
}}""",
    )
    url = SCHEMA + "url"
    for row in rows:
        urls, identifiers = values.setdefault(row["g"], ([], []))
        (urls if row["p"] == url else identifiers).append(row["v"])
    found = {}
    for record, (urls, identifiers) in values.items():
        keys = record_keys(urls, identifiers)
        if keys:
            found[record] = keys
    return found


def _indexed_keys(hub: Hub, graph: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for row in _rows(hub, f"SELECT ?r ?k WHERE {{ GRAPH <{graph}> {{ ?r <{MATCH_KEY}> ?k }} }}"):
        found.setdefault(row["r"], set()).add(row["k"])
    return found


def _holders(hub: Hub, keys: Iterable[str]) -> dict[str, set[str]]:
    """key → records holding it, from the index (every source's graph)."""
    found: dict[str, set[str]] = {}
    for batch in _chunks(sorted(keys)):
        values = " ".join(literal(key) for key in batch)
        query = f"SELECT ?k ?r WHERE {{ VALUES ?k {{ {values} }} GRAPH ?g {{ ?r <{MATCH_KEY}> ?k }} }}"
        for row in _rows(hub, query):
            found.setdefault(row["k"], set()).add(row["r"])
    return found


def _keys_of(hub: Hub, records: Iterable[str]) -> dict[str, set[str]]:
    """record → its keys, from the index."""
    found: dict[str, set[str]] = {}
    for batch in _chunks(sorted(records)):
        values = " ".join(f"<{record}>" for record in batch)
        query = f"SELECT ?r ?k WHERE {{ VALUES ?r {{ {values} }} GRAPH ?g {{ ?r <{MATCH_KEY}> ?k }} }}"
        for row in _rows(hub, query):
            found.setdefault(row["r"], set()).add(row["k"])
    return found


def _clusters_of(hub: Hub, records: Iterable[str]) -> dict[str, str]:
    """record → the cluster it is in now."""
    graph = clusters_graph(hub.settings.base)
    found = {}
    for batch in _chunks(sorted(records)):
        values = " ".join(f"<{record}>" for record in batch)
        query = f"SELECT ?r ?c WHERE {{ VALUES ?r {{ {values} }} GRAPH <{graph}> {{ ?r <{IN_CLUSTER}> ?c }} }}"
        for row in _rows(hub, query):
            found[row["r"]] = row["c"]
    return found


def _cluster_triples(hub: Hub, clusters: Iterable[str]) -> set[ox.Triple]:
    """Every triple of the clusters graph about ``clusters``: their own and their members' links."""
    graph = clusters_graph(hub.settings.base)
    found: set[ox.Triple] = set()
    for batch in _chunks(sorted(clusters)):
        values = " ".join(f"<{cluster}>" for cluster in batch)
        found |= _construct(
            hub,
            f"""CONSTRUCT {{ ?c ?p ?o . ?m <{IN_CLUSTER}> ?c }} WHERE {{ VALUES ?c {{ {values} }}
  GRAPH <{graph}> {{ {{ ?c ?p ?o }} UNION {{ ?m <{IN_CLUSTER}> ?c }} }} }}""",
        )
    return found


def _construct(hub: Hub, query: str) -> set[ox.Triple]:
    body = hub.store.query(query, graph_format="application/n-triples").body
    return {quad.triple for quad in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)}


# ---------------------------------------------------------------------- components


class _Components:
    """Union-find over records, joined through the keys that link (held by at most MAX_KEY_RECORDS)."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        parent = self.parent.setdefault(item, item)
        while parent != item:
            grand = self.parent[parent]
            self.parent[item] = grand  # path halving
            item, parent = parent, grand
            parent = self.parent[item]
        return item

    def union(self, a: str, b: str) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[max(root_a, root_b)] = min(root_a, root_b)

    def groups(self) -> list[list[str]]:
        by_root: dict[str, list[str]] = {}
        for item in self.parent:
            by_root.setdefault(self.find(item), []).append(item)
        return list(by_root.values())


def _clusters(
    base: str, keys_of: dict[str, set[str]], holders: dict[str, set[str]], records: Iterable[str]
) -> dict[str, set[ox.Triple]]:
    """cluster IRI → its triples, for the components of ``records`` (``keys_of`` and ``holders`` must
    cover them: every key of theirs with every record holding it)."""
    components = _Components()
    for record in records:
        components.find(record)
        for key in keys_of.get(record, ()):
            found = holders.get(key, ())
            if 1 < len(found) <= MAX_KEY_RECORDS:
                for other in found:
                    components.union(record, other)
    out: dict[str, set[ox.Triple]] = {}
    for members in components.groups():
        if len(members) < 2 or len({_source_of(base, m) for m in members}) < 2:
            continue
        member_set = set(members)
        linking = sorted(
            key
            for m in members
            for key in keys_of.get(m, ())
            if 1 < len(holders.get(key, ())) <= MAX_KEY_RECORDS and len(holders[key] & member_set) > 1
        )
        iri = cluster_iri(base, linking)
        node = ox.NamedNode(iri)
        triples = {
            ox.Triple(node, ox.NamedNode(RDF_TYPE), ox.NamedNode(CLUSTER)),
            ox.Triple(
                node, ox.NamedNode(MEMBER_COUNT), ox.Literal(str(len(members)), datatype=ox.NamedNode(XSD + "integer"))
            ),
        }
        triples |= {ox.Triple(node, ox.NamedNode(CLUSTER_KEY), ox.Literal(key)) for key in set(linking)}
        triples |= {ox.Triple(ox.NamedNode(m), ox.NamedNode(IN_CLUSTER), node) for m in members}
        out[iri] = triples
    return out


# ---------------------------------------------------------------------- refresh and rebuild

_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock(hub: Hub) -> threading.Lock:
    """One refresh at a time per store (by its location, so two Hub objects on one store share it):
    two interleaved refreshes would each read the other's stale keys and miss a cluster their new
    records form together."""
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(str(hub.settings.store_dir), threading.Lock())


def refresh(hub: Hub, source: str | None = None) -> ClusterStats:
    """Bring the clusters up to date after ``source`` was harvested or removed.

    Reads the source's records, compares their keys with the index, and recomputes the components
    that touch a changed key, plus the clusters those records were in (a record that left or lost
    a key leaves its cluster; a cluster left with one source disappears). Without ``source``, or
    when the index was built by other key rules (or never), it rebuilds everything."""
    if source is None or hub.state.setting(INDEX_SETTING) != KEYS_VERSION:
        stats = rebuild(hub)
        if source is not None:
            stats.source = source
            stats.notes.append("no current key index: rebuilt")
        return stats
    with _lock(hub):
        return _refresh(hub, source)


def _refresh(hub: Hub, source: str) -> ClusterStats:
    started = time.monotonic()
    base = hub.settings.base
    prefix = record_iri(base, source, "")
    stats = ClusterStats("refresh", source)
    new = read_record_keys(hub, prefix)
    old = _indexed_keys(hub, keys_graph(base, source))
    stats.records_read = len(new)
    changed = {r for r in new.keys() | old.keys() if new.get(r, set()) != old.get(r, set())}
    stats.records_changed = len(changed)
    if not changed:
        stats.mode = "unchanged"
        stats.seconds = round(time.monotonic() - started, 3)
        return stats

    region = _Region(hub, prefix, new)
    region.explore(changed, {k for r in changed for k in old.get(r, set()) | new.get(r, set())})
    fresh = _clusters(base, region.keys_of, region.holders, region.keys_of)
    before = region.before
    after = set().union(*fresh.values()) if fresh else set()

    graph = keys_graph(base, source)
    key_out = _key_triples({r: old[r] for r in changed if r in old})
    key_in = _key_triples({r: new[r] for r in changed if r in new})
    operations = []
    if not new and hub.store.has_graph(graph):  # the source is gone, or has no key left
        operations.append(f"DROP SILENT GRAPH <{graph}>")
        key_out = key_in = set()
    deletes = _data_block(clusters_graph(base), before - after) + _data_block(graph, key_out - key_in)
    inserts = _data_block(clusters_graph(base), after - before) + _data_block(graph, key_in - key_out)
    if deletes:
        operations.append("DELETE DATA {\n" + deletes + "}")
    if inserts:
        operations.append("INSERT DATA {\n" + inserts + "}")
    if operations:
        hub.store.update(" ;\n".join(operations))

    stats.records_recomputed = len(region.keys_of)
    stats.clusters = len(fresh)
    stats.members = sum(1 for triples in fresh.values() for t in triples if t.predicate.value == IN_CLUSTER)
    stats.created, stats.removed, stats.changed = _changed(fresh, before)
    stats.common_keys = len(region.common)
    stats.seconds = round(time.monotonic() - started, 3)
    return stats


def _by_cluster(triples: set[ox.Triple]) -> dict[str, set[ox.Triple]]:
    """Triples of the clusters graph grouped by the cluster they are about (as :func:`_clusters` groups them)."""
    found: dict[str, set[ox.Triple]] = {}
    for t in triples:
        found.setdefault(t.object.value if t.predicate.value == IN_CLUSTER else t.subject.value, set()).add(t)
    return found


def _changed(fresh: dict[str, set[ox.Triple]], before: set[ox.Triple]) -> tuple[int, int, int]:
    """(created, removed, changed) clusters between the stored triples and the recomputed ones."""
    old = _by_cluster(before)
    changed = sum(1 for iri in fresh.keys() & old.keys() if fresh[iri] != old[iri])
    return len(fresh.keys() - old.keys()), len(old.keys() - fresh.keys()), changed


class _Region:
    """The records whose cluster a refresh recomputes, with every key of theirs and every holder of
    those keys: the closure of the changed keys under linking, plus the members of every cluster a
    reached record was in. The refreshed source's keys come from its graphs (``new``), the other
    sources' from the index."""

    def __init__(self, hub: Hub, prefix: str, new: dict[str, set[str]]) -> None:
        self.hub, self.prefix, self.new = hub, prefix, new
        self.new_holders: dict[str, set[str]] = {}
        for record, keys in new.items():
            for key in keys:
                self.new_holders.setdefault(key, set()).add(record)
        self.keys_of: dict[str, set[str]] = {}  # records recomputed → their keys
        self.holders: dict[str, set[str]] = {}  # keys seen → every record holding them
        self.common: set[str] = set()
        self.old_members: dict[str, set[str]] = {}  # clusters the region's records were in → members
        self.before: set[ox.Triple] = set()  # those clusters' triples, as stored
        self._looked_up: set[str] = set()

    def explore(self, records: set[str], keys: set[str]) -> None:
        pending_records, pending_keys = set(records), set(keys)
        touched: set[str] = set()  # records whose current cluster must be dissolved and recomputed
        while pending_records or pending_keys:
            for key, found in self._holders(pending_keys - self.holders.keys()).items():
                self.holders[key] = found
                if len(found) > MAX_KEY_RECORDS:
                    self.common.add(key)
                    touched |= found  # a key that stopped linking: its holders' clusters are redone
                else:
                    pending_records |= found
            pending_keys = set()
            fresh = pending_records - self.keys_of.keys()
            pending_records = set()
            for record, found in self._keys_of(fresh).items():
                self.keys_of[record] = found
                pending_keys |= found - self.holders.keys()
            touched |= fresh
            look = touched - self._looked_up
            self._looked_up |= look
            if look:
                current = set(_clusters_of(self.hub, look).values()) - self.old_members.keys()
                stored = _cluster_triples(self.hub, current)
                self.before |= stored
                for triple in stored:
                    if triple.predicate.value == IN_CLUSTER:
                        self.old_members.setdefault(triple.object.value, set()).add(triple.subject.value)
                for cluster in current:
                    self.old_members.setdefault(cluster, set())
                    pending_records |= self.old_members[cluster] - self.keys_of.keys()

    def _holders(self, keys: set[str]) -> dict[str, set[str]]:
        if not keys:
            return {}
        stored = _holders(self.hub, keys)
        return {
            key: {r for r in stored.get(key, ()) if not r.startswith(self.prefix)} | self.new_holders.get(key, set())
            for key in keys
        }

    def _keys_of(self, records: set[str]) -> dict[str, set[str]]:
        mine = {r for r in records if r.startswith(self.prefix)}
        stored = _keys_of(self.hub, records - mine)
        return {r: (self.new.get(r, set()) if r in mine else stored.get(r, set())) for r in records}


def rebuild(hub: Hub) -> ClusterStats:
    """Recompute the key index and every cluster from the record graphs, in one transaction.

    Only what differs from the stored graphs is written: a rebuild after a small change writes
    little (dropping and rewriting everything doubled the write at 100,000 records). The state
    marks the index stale until the update is in, so a rebuild cut short is redone by the next
    refresh."""
    with _lock(hub):
        started = time.monotonic()
        base = hub.settings.base
        stats = ClusterStats("rebuild")
        keys_of = read_record_keys(hub, f"{base}/resources/")
        stats.records_read = stats.records_recomputed = len(keys_of)
        holders: dict[str, set[str]] = {}
        for record, keys in keys_of.items():
            for key in keys:
                holders.setdefault(key, set()).add(record)
        fresh = _clusters(base, keys_of, holders, keys_of)
        by_source: dict[str, dict[str, set[str]]] = {}
        for record, keys in keys_of.items():
            by_source.setdefault(_source_of(base, record), {})[record] = keys
        wanted = {keys_graph(base, source): _key_triples(keys) for source, keys in by_source.items()}
        wanted[clusters_graph(base)] = set().union(*fresh.values()) if fresh else set()
        existing = set(hub.store.graphs(f"{base}/cluster-keys/"))
        existing |= hub.store.existing_graphs([clusters_graph(base)])
        graphs = sorted(existing | wanted.keys())
        stored = {graph: set(triples) for graph, triples in hub.store.triples(graphs).items()}

        operations = [f"DROP SILENT GRAPH <{g}>" for g in graphs if g in existing and not wanted.get(g)]
        deletes = "".join(_data_block(g, stored.get(g, set()) - wanted[g]) for g in graphs if wanted.get(g))
        inserts = "".join(_data_block(g, wanted[g] - stored.get(g, set())) for g in graphs if wanted.get(g))
        if deletes:
            operations.append("DELETE DATA {\n" + deletes + "}")
        if inserts:
            operations.append("INSERT DATA {\n" + inserts + "}")
        hub.state.set_setting(INDEX_SETTING, "")
        if operations:
            hub.store.update(" ;\n".join(operations))
        hub.state.set_setting(INDEX_SETTING, KEYS_VERSION)

        stats.clusters = len(fresh)
        stats.members = sum(1 for triples in fresh.values() for t in triples if t.predicate.value == IN_CLUSTER)
        stats.created, stats.removed, stats.changed = _changed(fresh, stored.get(clusters_graph(base), set()))
        stats.common_keys = sum(1 for found in holders.values() if len(found) > MAX_KEY_RECORDS)
        stats.seconds = round(time.monotonic() - started, 3)
        return stats


def _key_triples(keys_of: dict[str, set[str]]) -> set[ox.Triple]:
    predicate = ox.NamedNode(MATCH_KEY)
    return {ox.Triple(ox.NamedNode(r), predicate, ox.Literal(k)) for r, keys in keys_of.items() for k in keys}


def _data_block(graph: str, triples: set[ox.Triple]) -> str:
    """``GRAPH <g> { … }`` of a DELETE/INSERT DATA, in N-Triples (pyoxigraph writes the terms)."""
    if not triples:
        return ""
    return f"GRAPH <{graph}> {{\n" + "".join(f"{t} .\n" for t in sorted(triples, key=str)) + "}\n"


# ---------------------------------------------------------------------- reading clusters (linked data)


@dataclass(frozen=True)
class Member:
    """A record of a cluster: where it was harvested from, and its titles (language → text)."""

    iri: str
    source: str
    #: (page, provider) of each schema:mainEntityOfPage: the harvested record and its source node
    pages: tuple[tuple[str, str | None], ...]
    titles: dict[str, str]


@dataclass(frozen=True)
class ClusterView:
    """A cluster as served: its keys, its members, and the triples its RDF states."""

    iri: str
    keys: tuple[str, ...]
    member_count: int
    members: tuple[Member, ...]
    #: the cluster's own triples, its members' links to it, their pages and providers (with names)
    #: and their titles
    triples: frozenset[ox.Triple]
    #: provider IRI → name (the sources graph)
    provider_names: dict[str, str]

    @property
    def sources(self) -> list[str]:
        return sorted({m.source for m in self.members})

    def for_record(self, record: str) -> set[ox.Triple]:
        """What a member's own representation states about its cluster: the link, the cluster's own
        triples, and the other members with their pages, each page's provider (as the member's own
        graph says: two sources may share a page IRI) and the provider's name."""
        node = ox.NamedNode(self.iri)
        link, page_of, provider_of, name = (
            ox.NamedNode(IN_CLUSTER),
            ox.NamedNode(SCHEMA + "mainEntityOfPage"),
            ox.NamedNode(SCHEMA + "provider"),
            ox.NamedNode(SCHEMA + "name"),
        )
        out = {t for t in self.triples if t.subject == node}
        out.add(ox.Triple(ox.NamedNode(record), link, node))
        for member in self.members:
            if member.iri == record:
                continue
            out.add(ox.Triple(ox.NamedNode(member.iri), link, node))
            for page, provider in member.pages:
                out.add(ox.Triple(ox.NamedNode(member.iri), page_of, ox.NamedNode(page)))
                if provider:
                    out.add(ox.Triple(ox.NamedNode(page), provider_of, ox.NamedNode(provider)))
                    if provider in self.provider_names:
                        out.add(ox.Triple(ox.NamedNode(provider), name, ox.Literal(self.provider_names[provider])))
        return out


def cluster_of(hub: Hub, record: str) -> ClusterView | None:
    """The cluster ``record`` is in, or None."""
    rows = _rows(
        hub,
        f"SELECT ?c WHERE {{ GRAPH <{clusters_graph(hub.settings.base)}> {{ <{record}> <{IN_CLUSTER}> ?c }} }} LIMIT 1",
    )
    return cluster_view(hub, rows[0]["c"]) if rows else None


def cluster_view(hub: Hub, iri: str) -> ClusterView | None:
    """The cluster named ``iri`` with its members, or None if there is none."""
    base = hub.settings.base
    graph = clusters_graph(base)
    triples = _construct(
        hub,
        f"""CONSTRUCT {{
  <{iri}> ?p ?o . ?m <{IN_CLUSTER}> <{iri}> .
  ?m <{SCHEMA}mainEntityOfPage> ?page . ?page <{SCHEMA}provider> ?provider . ?provider <{SCHEMA}name> ?source .
  ?m <{SCHEMA}name> ?title .
}} WHERE {{
  {{ GRAPH <{graph}> {{ <{iri}> ?p ?o }} }}
  UNION
  {{ GRAPH <{graph}> {{ ?m <{IN_CLUSTER}> <{iri}> }}
     OPTIONAL {{ GRAPH ?m {{ ?m <{SCHEMA}mainEntityOfPage> ?page . ?page <{SCHEMA}provider> ?provider }}
                OPTIONAL {{ GRAPH <{hub.sources_graph}> {{ ?provider <{SCHEMA}name> ?source }} }} }} }}
  UNION
  {{ GRAPH <{graph}> {{ ?m <{IN_CLUSTER}> <{iri}> }} GRAPH ?m {{ ?m <{SCHEMA}name> ?title }} }}
}}""",
    )
    node = ox.NamedNode(iri)
    if ox.Triple(node, ox.NamedNode(RDF_TYPE), ox.NamedNode(CLUSTER)) not in triples:
        return None
    pages: dict[str, set[tuple[str, str | None]]] = {}
    for row in _rows(
        hub,
        f"""SELECT ?m ?page ?provider WHERE {{ GRAPH <{graph}> {{ ?m <{IN_CLUSTER}> <{iri}> }}
  GRAPH ?m {{ ?m <{SCHEMA}mainEntityOfPage> ?page OPTIONAL {{ ?page <{SCHEMA}provider> ?provider }} }} }}""",
    ):
        pages.setdefault(row["m"], set()).add((row["page"], row.get("provider")))
    keys = tuple(sorted(t.object.value for t in triples if t.subject == node and t.predicate.value == CLUSTER_KEY))
    counts = [t.object.value for t in triples if t.subject == node and t.predicate.value == MEMBER_COUNT]
    members = sorted(t.subject.value for t in triples if t.predicate.value == IN_CLUSTER and t.object == node)
    providers = {provider for found in pages.values() for _, provider in found if provider}
    names: dict[str, str] = {}
    titles: dict[str, dict[str, str]] = {}
    for t in triples:
        if t.predicate.value != SCHEMA + "name" or not isinstance(t.object, ox.Literal):
            continue
        if t.subject.value in providers:
            names[t.subject.value] = t.object.value
        elif t.subject.value in members:
            titles.setdefault(t.subject.value, {})[t.object.language or ""] = t.object.value
    return ClusterView(
        iri,
        keys,
        int(counts[0]) if counts else len(members),
        tuple(
            Member(m, _source_of(base, m), tuple(sorted(pages.get(m, ()), key=str)), titles.get(m, {})) for m in members
        ),
        frozenset(triples),
        names,
    )


def members_query(record: str) -> str:
    """SPARQL listing the other records of ``record``'s cluster with their sources (docs/clusters.md).

    The source is read inside each member's own graph: two sources harvested from one OAI-PMH
    base URL (different sets) share page IRIs, so in the union graph a page has both providers."""
    return f"""PREFIX hub: <{HUB}>
PREFIX schema: <{SCHEMA}>
SELECT ?other ?source WHERE {{
  <{record}> hub:inCluster ?cluster .
  ?other hub:inCluster ?cluster .
  GRAPH ?other {{ ?other schema:mainEntityOfPage/schema:provider ?source }}
  FILTER(?other != <{record}>)
}}"""


def cluster_counts(hub: Hub) -> tuple[int, int]:
    """(clusters, records in them) in the store."""
    graph = clusters_graph(hub.settings.base)
    rows = _rows(
        hub,
        f"SELECT (COUNT(DISTINCT ?c) AS ?n) (COUNT(?m) AS ?m) WHERE {{ GRAPH <{graph}> {{ ?m <{IN_CLUSTER}> ?c }} }}",
    )
    return (int(rows[0]["n"]), int(rows[0]["m"])) if rows else (0, 0)
