"""Bulk dumps: every live record of the hub (or of one source), streamed page by page.

A dump reads the publication log (:mod:`exchange.provider.log`) in its (datestamp, item) order,
one keyset page at a time, reads that page's graphs from the store, writes them and lets them
go before it reads the next page: memory stays at one page however many records the hub holds.
Deleted records (tombstones) are skipped. The same generator feeds ``eduhub export`` and
``GET /dumps/{name}`` (:mod:`exchange.api.dumps`), so both give the same bytes for the same data.

Formats (docs/export.md):

* ``nquads``: the record graphs as N-Quads, each record's quads followed by its assessments
  (quads of ``{base}/assessments/{source}``), after the sources graph: the whole-hub dump
  loaded into an empty store gives the hub's store without its vocabulary graphs (those ship
  with the hub, in ``vocabularies/``). A source's dump is the same slice for one source (its
  node of the sources graph, its records, its assessments).
* ``jsonld``: JSON Lines, one record per line: the JSON-LD its linked-data page serves
  (:func:`exchange.linkeddata.record_jsonld`: the hub record under the hub context, stating
  exactly the record graph, with its assessments), made from the same page reads as N-Quads.
* ``lom``, ``oai_dc``: one XML document, ``<records xmlns="https://w3id.org/eduhub/ns/dump/">``
  holding each record's payload element as the OAI-PMH provider writes it.

Lines within a record are sorted (N-Quads), and gzip output has no timestamp and no file name,
so a dump of unchanged data is byte for byte the same whoever makes it.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox
from lxml import etree

from exchange import linkeddata, runs, writers
from exchange.hub import Hub
from exchange.model import record_from_triples, source_iri
from exchange.namespaces import HUB, PROV
from exchange.provider.log import Item, Selection
from exchange.provider.publish import graph_of
from exchange.provider.sets import source_set
from exchange.tagging import assessments_graph

log = logging.getLogger(__name__)

#: the JSON-LD context every line of a ``jsonld`` dump names (schemas/hub-context.jsonld)
HUB_CONTEXT = linkeddata.HUB_CONTEXT
#: log items per page: one store read per page, and what stays in memory
PAGE_SIZE = 500
#: namespace of the wrapper element of the XML dumps
DUMP_NS = "https://w3id.org/eduhub/ns/dump/"
#: name of the whole-hub dumps (``all.nq``); a source's dumps are named after the source
ALL = "all"
GZIP_SUFFIX = ".gz"
GZIP_MEDIA_TYPE = "application/gzip"
#: gzip level: 6 compresses N-Quads within a few percent of 9, at about twice the speed
GZIP_LEVEL = 6


#: what a dump is made of: a generator of byte chunks, closed when its reader stops early
Chunks = Generator[bytes, None, None]


@dataclass(frozen=True)
class Format:
    name: str
    suffix: str
    media_type: str
    description: str


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("nquads", ".nq", "application/n-quads", "record graphs with their assessments, N-Quads"),
        Format("jsonld", ".jsonl", "application/x-ndjson", "one record per line, its linked-data JSON-LD (JSON Lines)"),
        Format("lom", ".lom.xml", "application/xml", "IEEE LOM records in one XML document"),
        Format("oai_dc", ".oai_dc.xml", "application/xml", "oai_dc records in one XML document"),
    )
}


class UnknownSource(LookupError):
    """The dump names a source the hub does not know; the message lists the known ones."""


@dataclass(frozen=True)
class Dump:
    """One dump: a format, the whole hub or one source, plain or gzip."""

    format: str
    source: str | None = None
    gzip: bool = False

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"no dump format {self.format!r}; known: {', '.join(FORMATS)}")

    @property
    def name(self) -> str:
        """The file name: ``all.nq``, ``edurep.lom.xml.gz``…"""
        return (self.source or ALL) + FORMATS[self.format].suffix + (GZIP_SUFFIX if self.gzip else "")

    @property
    def media_type(self) -> str:
        """Of the bytes as sent: a gzip dump is ``application/gzip`` (a file to save, not a
        ``Content-Encoding`` a client would undo)."""
        return GZIP_MEDIA_TYPE if self.gzip else FORMATS[self.format].media_type

    @classmethod
    def from_name(cls, name: str) -> Dump | None:
        """The dump a file name stands for (``all`` is the whole hub), or None."""
        compressed = name.endswith(GZIP_SUFFIX)
        stem = name[: -len(GZIP_SUFFIX)] if compressed else name
        # Longest suffix first: ``x.lom.xml`` is source x in lom, whatever other suffix also matches.
        for fmt in sorted(FORMATS.values(), key=lambda f: -len(f.suffix)):
            if stem.endswith(fmt.suffix) and len(stem) > len(fmt.suffix):
                owner = stem[: -len(fmt.suffix)]
                return cls(fmt.name, None if owner == ALL else owner, compressed)
        return None


def catalogue(sources: Iterable[str]) -> list[Dump]:
    """Every dump on offer: the whole hub, then each source; each format, plain then gzip."""
    # A source named "all" has no dumps of its own name: ``all.*`` are the whole hub's.
    owners = [None, *(source for source in sources if source != ALL)]
    return [Dump(fmt, owner, compressed) for owner in owners for fmt in FORMATS for compressed in (False, True)]


@dataclass
class Stats:
    """What a dump has written so far; ``seconds`` is set when it ends."""

    records: int = 0
    skipped: int = 0  # live in the log but unreadable, or not expressible in the format
    pages: int = 0
    bytes: int = 0
    seconds: float = 0.0
    done: bool = False
    started: float = field(default_factory=time.monotonic)

    def elapsed(self) -> float:
        return self.seconds if self.done else time.monotonic() - self.started

    def to_json(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "skipped": self.skipped,
            "pages": self.pages,
            "bytes": self.bytes,
            "seconds": round(self.elapsed(), 3),
        }


def check_source(hub: Hub, source: str) -> None:
    if source not in {s.name for s in hub.state.sources()}:
        known = ", ".join(s.name for s in hub.state.sources()) or "none yet"
        raise UnknownSource(f"no source named {source!r} (registered: {known})")


def stream(
    hub: Hub,
    dump: Dump,
    *,
    page_size: int = PAGE_SIZE,
    stats: Stats | None = None,
    progress: Callable[[Stats], None] | None = None,
) -> Chunks:
    """The dump's bytes, one chunk per page of the log (a few for the header and the end).

    Checks the source before anything is read (raises :class:`UnknownSource`), then returns a
    generator: nothing more happens until it is iterated. ``progress`` is called after every
    page with ``stats``."""
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    if dump.source is not None:
        check_source(hub, dump.source)
    stats = stats if stats is not None else Stats()
    body = _BODIES[dump.format](hub, dump.source, page_size, stats)
    return _counted(_gzipped(body) if dump.gzip else body, stats, progress)


def _counted(chunks: Chunks, stats: Stats, progress: Callable[[Stats], None] | None) -> Chunks:
    stats.started = time.monotonic()
    pages = stats.pages
    try:
        for chunk in chunks:
            if chunk:
                stats.bytes += len(chunk)
                yield chunk
            if progress is not None and stats.pages != pages:
                pages = stats.pages
                progress(stats)
    finally:
        chunks.close()
        stats.seconds = time.monotonic() - stats.started
        stats.done = True


# ---------------------------------------------------------------------- reading the log


def _pages(hub: Hub, source: str | None, page_size: int, stats: Stats) -> Iterator[list[Item]]:
    """The live items of the log, a page at a time (keyset on (datestamp, item))."""
    selection = Selection(set_spec=source_set(source) if source else None)
    after: tuple[str, str] | None = None
    while True:
        items = hub.publication.page(selection, after, page_size)
        if not items:
            return
        after = (items[-1].datestamp, items[-1].item)
        stats.pages += 1
        live = [item for item in items if not item.deleted and (source is None or item.source == source)]
        if live:
            yield live
        if len(items) < page_size:
            return


def _graphs(hub: Hub, items: Sequence[Item], stats: Stats) -> list[tuple[str, str, list[ox.Triple]]]:
    """(source, graph, triples) of each item in log order; an item without graph is skipped."""
    base = hub.settings.base
    found = hub.store.triples([graph_of(base, item.item) for item in items])
    graphs = []
    for item in items:
        graph = graph_of(base, item.item)
        triples = found.get(graph)
        if triples is None:
            log.warning("the log lists %s, the store has no graph for it: skipped", graph)
            stats.skipped += 1
            continue
        graphs.append((item.source, graph, triples))
    return graphs


def _read(
    hub: Hub, items: Sequence[Item], names: dict[str, str], stats: Stats
) -> list[tuple[str, str, list[ox.Triple], dict[str, Any]]]:
    """(source, graph, triples, hub record) of each item of a page, in log order: the record
    rebuilt from its graph as the OAI-PMH provider and the linked-data pages rebuild it."""
    read = []
    for source, graph, triples in _graphs(hub, items, stats):
        try:
            record = record_from_triples(graph, triples, names)
        except ValueError as error:  # a graph the reader does not understand is not dumped half
            log.warning("cannot dump %s: %s", graph, error)
            stats.skipped += 1
            continue
        read.append((source, graph, triples, record))
    return read


def _records(hub: Hub, items: Sequence[Item], names: dict[str, str], stats: Stats) -> list[dict[str, Any]]:
    """The hub records of a page, in log order (what the OAI-PMH provider serves)."""
    return [record for *_, record in _read(hub, items, names, stats)]


def _provider_names(hub: Hub) -> dict[str, str]:
    return {source_iri(hub.settings.base, s.name): s.name for s in hub.state.sources()}


# ---------------------------------------------------------------------- N-Quads


def _nquads(hub: Hub, source: str | None, page_size: int, stats: Stats) -> Chunks:
    yield _sources_quads(hub, source)
    for items in _pages(hub, source, page_size, stats):
        yield _nquads_page(hub, items, stats)
    yield _runs_quads(hub, source)


def _runs_quads(hub: Hub, source: str | None) -> bytes:
    """The harvest runs (PROV activities, exchange/runs.py), or the runs of one source."""
    graph = runs.graph(hub.settings.base)
    triples = hub.store.triples([graph]).get(graph, [])
    if source is not None:
        node = source_iri(hub.settings.base, source)
        mine = {t.subject for t in triples if t.predicate.value == f"{PROV}used" and t.object.value == node}
        triples = [t for t in triples if t.subject in mine]
    return _quad_lines(_ntriples(triples), graph)


def _sources_quads(hub: Hub, source: str | None) -> bytes:
    """The sources graph (the whole hub), or the source's own node in it."""
    graph = hub.sources_graph
    triples = hub.store.triples([graph]).get(graph, [])
    if source is not None:
        node = source_iri(hub.settings.base, source)
        triples = [t for t in triples if t.subject.value == node]
    return _quad_lines(_ntriples(triples), graph)


def _nquads_page(hub: Hub, items: Sequence[Item], stats: Stats) -> bytes:
    graphs = _graphs(hub, items, stats)
    assessments: dict[str, list[ox.Triple]] = {}
    unclaimed: dict[str, list[ox.Triple]] = {}
    for source, triples in _assessments(hub, graphs).items():
        claimed, rest = _claimed(triples, {graph for owner, graph, _ in graphs if owner == source})
        assessments.update(claimed)
        if rest:
            unclaimed[assessments_graph(hub.settings.base, source)] = rest
    out = []
    for source, graph, triples in graphs:
        out.append(_quad_lines(_ntriples(triples), graph))
        out.append(_quad_lines(_ntriples(assessments.get(graph, [])), assessments_graph(hub.settings.base, source)))
        stats.records += 1
    out += (_quad_lines(_ntriples(triples), graph) for graph, triples in unclaimed.items())
    return b"".join(out)


def _assessments(hub: Hub, graphs: Sequence[tuple[str, str, list[ox.Triple]]]) -> dict[str, list[ox.Triple]]:
    """The assessment triples of a page's records, by source: one CONSTRUCT per source (over
    its assessments graph), for both the N-Quads and the JSON-LD lines.

    An assessment graph holds, for each record, ``<record> hub:assessment <record#…>`` and the
    assessment nodes' own triples (docs/tagging.md). The query gives every triple of the graph
    whose subject is one of the records, and every triple of a node one of them links with
    ``hub:assessment``."""
    by_source: dict[str, list[str]] = {}
    for source, graph, _ in graphs:
        by_source.setdefault(source, []).append(graph)
    found: dict[str, list[ox.Triple]] = {}
    for source, records in by_source.items():
        graph = assessments_graph(hub.settings.base, source)
        query = (
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ VALUES ?r {{ "
            + " ".join(f"<{r}>" for r in records)
            + f" }} {{ ?r ?p ?o BIND(?r AS ?s) }} UNION {{ ?r <{HUB}assessment> ?s . ?s ?p ?o }} }} }}"
        )
        body = hub.store.query(query, graph_format="application/n-triples").body
        triples = [quad.triple for quad in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)]
        if triples:
            found[source] = triples
    return found


def _claimed(
    triples: Iterable[ox.Triple], records: Collection[str]
) -> tuple[dict[str, list[ox.Triple]], list[ox.Triple]]:
    """Assessment triples by the record of ``records`` their subject names (the record, or one
    of its nodes ``<{record}#…>``): a record's N-Quads block; and the triples whose subject
    names none of them (none, as the rules write them: kept all the same, after the page's
    records)."""
    claimed: dict[str, list[ox.Triple]] = {}
    rest: list[ox.Triple] = []
    for triple in triples:
        record = triple.subject.value.split("#", 1)[0] if isinstance(triple.subject, ox.NamedNode) else None
        if record in records:
            claimed.setdefault(record, []).append(triple)
        else:
            rest.append(triple)
    return claimed, rest


def _linked(triples: Iterable[ox.Triple], records: Iterable[str]) -> dict[str, set[ox.Triple]]:
    """The assessment triples of each of ``records`` as :func:`exchange.linkeddata.record_view`
    reads them: ``<record> hub:assessment ?a`` and the triples of ``?a``, for each ``?a`` that
    has some. A record without assessments is left out."""
    by_subject: dict[Any, list[ox.Triple]] = {}
    for triple in triples:
        by_subject.setdefault(triple.subject, []).append(triple)
    linked: dict[str, set[ox.Triple]] = {}
    for record in records:
        for link in by_subject.get(ox.NamedNode(record), ()):
            if link.predicate.value == HUB + "assessment" and link.object in by_subject:
                found = linked.setdefault(record, set())
                found.add(link)
                found.update(by_subject[link.object])
    return linked


def _ntriples(triples: Sequence[ox.Triple]) -> list[bytes]:
    if not triples:
        return []
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).splitlines(keepends=True)


def _quad_lines(lines: Sequence[bytes], graph: str) -> bytes:
    """N-Triples lines (``s p o .``) as N-Quads lines of ``graph``, sorted: the same bytes
    whatever order a store gives the triples in."""
    if not lines:
        return b""
    tail = f"<{graph}> .\n".encode()
    return b"".join(sorted(line.rstrip()[:-1] + tail for line in lines))


# ---------------------------------------------------------------------- JSON-LD lines


def _jsonld(hub: Hub, source: str | None, page_size: int, stats: Stats) -> Chunks:
    names = _provider_names(hub)
    for items in _pages(hub, source, page_size, stats):
        yield _jsonld_page(hub, items, names, stats)


def _jsonld_page(hub: Hub, items: Sequence[Item], names: dict[str, str], stats: Stats) -> bytes:
    """Each readable record of the page as its linked-data page serves it in JSON-LD
    (:func:`exchange.linkeddata.record_jsonld` of the same :class:`~exchange.linkeddata.RecordView`),
    one per line."""
    read = _read(hub, items, names, stats)
    graphs = [(source, graph, triples) for source, graph, triples, _ in read]
    assessments: dict[str, set[ox.Triple]] = {}
    for source, triples in _assessments(hub, graphs).items():
        assessments.update(_linked(triples, [graph for owner, graph, _ in graphs if owner == source]))
    lines = []
    for source, graph, triples, record in read:
        view = linkeddata.RecordView(graph, source, triples, record, assessments.get(graph, set()))
        lines.append(json.dumps(linkeddata.record_jsonld(view), ensure_ascii=False, separators=(",", ":")))
        stats.records += 1
    return "".join(line + "\n" for line in lines).encode("utf-8")


# ---------------------------------------------------------------------- XML (lom, oai_dc)


class _Sink:
    """A file object that keeps what is written until it is taken."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def _xml(prefix: str) -> Callable[[Hub, str | None, int, Stats], Chunks]:
    def body(hub: Hub, source: str | None, page_size: int, stats: Stats) -> Chunks:
        names = _provider_names(hub)
        attributes = {"format": prefix, **({"source": source} if source else {})}
        sink = _Sink()
        with etree.xmlfile(sink, encoding="UTF-8") as xf:
            xf.write_declaration()
            with xf.element(f"{{{DUMP_NS}}}records", attributes, nsmap={None: DUMP_NS}):
                xf.write("\n")
                for items in _pages(hub, source, page_size, stats):
                    _xml_page(xf, prefix, _records(hub, items, names, stats), stats)
                    xf.flush()
                    yield sink.take()
        yield sink.take() + b"\n"

    return body


def _xml_page(xf: Any, prefix: str, records: list[dict[str, Any]], stats: Stats) -> None:
    for record in records:
        try:
            payload = writers.write(prefix, record)
        except (ValueError, KeyError) as error:  # as the OAI-PMH provider: leave the record out
            log.warning("cannot write %s as %s: %s", record.get("id"), prefix, error)
            stats.skipped += 1
            continue
        xf.write(payload)
        xf.write("\n")
        stats.records += 1


_BODIES: dict[str, Callable[[Hub, str | None, int, Stats], Chunks]] = {
    "nquads": _nquads,
    "jsonld": _jsonld,
    "lom": _xml("lom"),
    "oai_dc": _xml("oai_dc"),
}


# ---------------------------------------------------------------------- gzip


def _gzipped(chunks: Chunks) -> Chunks:
    """gzip of ``chunks`` with no file name and mtime 0: the same input gives the same bytes."""
    sink = _Sink()
    try:
        with gzip.GzipFile(filename="", mode="wb", fileobj=sink, compresslevel=GZIP_LEVEL, mtime=0) as packed:  # type: ignore[arg-type]
            for chunk in chunks:
                packed.write(chunk)
                yield sink.take()
        yield sink.take()
    finally:
        chunks.close()


# ---------------------------------------------------------------------- writing a file


def write(
    hub: Hub,
    dump: Dump,
    output: str | None = None,
    *,
    page_size: int = PAGE_SIZE,
    progress: Callable[[Stats], None] | None = None,
) -> Stats:
    """Write ``dump`` to ``output`` (a path; None or ``-`` is stdout) and return what was written.

    A regular file is written next to its final name and moved there when complete, so an
    interrupted export never leaves a truncated dump under the name; anything else (a pipe, a
    device) is written as it is. Raises :class:`UnknownSource` before anything is written."""
    stats = Stats()
    chunks = stream(hub, dump, page_size=page_size, stats=stats, progress=progress)
    if output in (None, "-"):
        _copy(chunks, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return stats
    target = Path(output)
    if target.exists() and not target.is_file():
        with target.open("wb") as out:
            _copy(chunks, out)
        return stats
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            _copy(chunks, out)
        umask = os.umask(0o022)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # as a file opened for writing would be
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return stats


def _copy(chunks: Chunks, out: IO[bytes]) -> None:
    try:
        for chunk in chunks:
            out.write(chunk)
    finally:
        chunks.close()


def render_progress(stats: Stats) -> str:
    return f"export: {stats.records:,} records, {_size(stats.bytes)}, {stats.elapsed():.1f} s"


def render_summary(dump: Dump, stats: Stats) -> str:
    seconds = stats.elapsed()
    rate = stats.records / seconds if seconds > 0 else 0.0
    skipped = f" ({stats.skipped} skipped, each logged above)" if stats.skipped else ""
    return (
        f"export: {dump.name}: {stats.records} records{skipped}, {stats.bytes} bytes ({_size(stats.bytes)}), "
        f"{seconds:.2f} s ({rate:,.0f} records/s)"
    )


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    size = count / 1024
    for unit in ("KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            break
        size /= 1024
    return f"{size:.1f} {unit}"
