"""One public SPARQL query, evaluated under caps and written out row by row as it is produced.

The same function runs in a query worker process (:mod:`exchange.sparql_pool`) and, for a
store no worker can open, in the serving process. Results are written through a :class:`Sink`
that keeps the first megabyte in memory and spools the rest to a file, so a large result
never sits in memory and the HTTP status is known before the first byte is sent: a result
over the row or byte cap is an error (``result-too-large``), not a silently cut document.

SELECT results are written by this module (SPARQL 1.1 Query Results JSON, XML, CSV and TSV
formats), because a cap on rows needs the rows one at a time and pyoxigraph serializes only a
whole result. CONSTRUCT/DESCRIBE results are serialized by pyoxigraph in chunks (N-Triples,
Turtle: chunks concatenate into one valid document) or whole once the cap is known to hold
(JSON-LD, RDF/XML).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from exchange.store.base import QueryKind
from exchange.store.embedded import evaluate

#: results up to this size stay in memory and travel back in one message; larger ones are spooled
IN_MEMORY_BYTES = 1024 * 1024
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_CHUNK = 1000  # triples serialized by pyoxigraph at a time
_CHECK_EVERY = 256  # rows between deadline checks (in-process evaluation only)


class ResultTooLarge(ValueError):
    """The result has more rows or bytes than this endpoint serves in one answer."""


class QueryTimeout(TimeoutError):
    """The query ran past its time budget and was stopped."""


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to answer one query (sent between processes: plain data only)."""

    query: str
    results_format: str = "application/sparql-results+json"
    graph_format: str = "text/turtle"
    default_graph_uris: tuple[str, ...] = ()
    named_graph_uris: tuple[str, ...] = ()
    max_rows: int = 100_000
    max_bytes: int = 64 * 1024 * 1024
    #: where a result larger than :data:`IN_MEMORY_BYTES` is spooled
    spool_dir: str = ""
    #: ``time.monotonic()`` after which evaluation stops between rows; a worker process is
    #: stopped from outside instead, so it leaves this None
    deadline: float | None = None


@dataclass(frozen=True)
class Answer:
    kind: QueryKind
    media_type: str
    rows: int
    #: the whole result when it is small, else None and the result is in the file at ``path``
    body: bytes | None
    path: str | None = None


def run(store: ox.Store, job: Job) -> Answer:
    """Evaluate and serialize ``job`` within its caps. Raises ``SyntaxError`` for a malformed
    query, :class:`ResultTooLarge`, :class:`QueryTimeout` (in-process only) or ``ValueError``
    for an unknown format or a bad graph IRI."""
    result = evaluate(store, job.query, job.default_graph_uris, job.named_graph_uris)
    try:
        return _serialize(result, job)
    except Exception as error:
        # pyoxigraph results must be freed on the thread that made them; the traceback's frames
        # would carry this one to whichever thread handles the error
        error.__traceback__ = None
        raise
    finally:
        del result


def _serialize(result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples, job: Job) -> Answer:
    sink = Sink(job.max_bytes, job.spool_dir)
    try:
        if isinstance(result, ox.QueryBoolean):
            fmt = _results_format(job.results_format)
            sink.write(result.serialize(format=fmt))
            kind, media_type, rows = QueryKind.ASK, fmt.media_type, 1
        elif isinstance(result, ox.QuerySolutions):
            fmt = _results_format(job.results_format)
            rows = _write_solutions(result, fmt, sink, job)
            kind, media_type = QueryKind.SELECT, fmt.media_type
        else:
            rdf = ox.RdfFormat.from_media_type(job.graph_format)
            if rdf is None:
                raise ValueError(f"unsupported RDF format {job.graph_format!r}")
            rows = _write_triples(result, rdf, sink, job)
            kind, media_type = QueryKind.GRAPH, rdf.media_type
        body, path = sink.finish()
    except BaseException:
        sink.discard()
        raise
    return Answer(kind, media_type, rows, body, path)


class Sink:
    """Bytes written so far: in memory up to :data:`IN_MEMORY_BYTES`, then in a spool file.
    Refuses to grow past ``max_bytes``."""

    def __init__(self, max_bytes: int, spool_dir: str, in_memory: int = IN_MEMORY_BYTES) -> None:
        self.max_bytes = max_bytes
        self.spool_dir = spool_dir or None
        self.in_memory = in_memory
        self.size = 0
        self._buffer = bytearray()
        self._file: io.BufferedWriter | None = None
        self._path: str | None = None

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.max_bytes:
            raise ResultTooLarge(
                f"the result is larger than {self.max_bytes} bytes, this endpoint's limit; page through it with "
                "LIMIT and OFFSET, or use the bulk dumps at /dumps/"
            )
        if self._file is None:
            self._buffer += data
            if len(self._buffer) > self.in_memory:
                handle, self._path = tempfile.mkstemp(prefix="result-", dir=self.spool_dir)
                self._file = os.fdopen(handle, "wb")
                self._file.write(self._buffer)
                self._buffer = bytearray()
        else:
            self._file.write(data)

    def finish(self) -> tuple[bytes | None, str | None]:
        if self._file is None:
            return bytes(self._buffer), None
        self._file.close()
        return None, self._path

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
        if self._path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._path)


def _results_format(media_type: str) -> ox.QueryResultsFormat:
    fmt = ox.QueryResultsFormat.from_media_type(media_type)
    if fmt is None:
        raise ValueError(f"unsupported results format {media_type!r}")
    return fmt


class _Rows:
    """Counts rows against the cap and, in-process, checks the deadline every few rows."""

    def __init__(self, job: Job, what: str) -> None:
        self.job = job
        self.what = what
        self.count = 0

    def __call__(self) -> None:
        self.count += 1
        if self.count > self.job.max_rows:
            raise ResultTooLarge(
                f"the result has more than {self.job.max_rows} {self.what}, this endpoint's limit; page through it "
                "with LIMIT and OFFSET, or use the bulk dumps at /dumps/"
            )
        if self.job.deadline is not None and self.count % _CHECK_EVERY == 0 and time.monotonic() > self.job.deadline:
            raise QueryTimeout("the query ran past its time budget and was stopped")


# ---------------------------------------------------------------------- SELECT results


def _write_solutions(result: ox.QuerySolutions, fmt: ox.QueryResultsFormat, sink: Sink, job: Job) -> int:
    names = [variable.value for variable in result.variables]
    writer = _WRITERS[fmt.media_type.split(";")[0]](names)
    count = _Rows(job, "rows")
    sink.write(writer.head())
    batch: list[str] = []
    for solution in result:
        count()
        batch.append(writer.row([solution[i] for i in range(len(names))]))
        if len(batch) >= _CHUNK:
            sink.write("".join(batch).encode())
            batch = []
    sink.write(("".join(batch) + writer.tail()).encode())
    return count.count


class _JsonRows:
    """SPARQL 1.1 Query Results JSON Format (https://www.w3.org/TR/sparql11-results-json/)."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.first = True
        self.dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

    def head(self) -> bytes:
        return ('{"head":{"vars":' + self.dumps(self.names) + '},"results":{"bindings":[').encode()

    def row(self, terms: list[Any]) -> str:
        binding = {name: _json_term(term) for name, term in zip(self.names, terms, strict=True) if term is not None}
        text = self.dumps(binding)
        if self.first:
            self.first = False
            return text
        return "," + text

    def tail(self) -> str:
        return "]}}"


def _json_term(term: Any) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != _XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    return {  # RDF 1.2 triple term
        "type": "triple",
        "value": {
            "subject": _json_term(term.subject),
            "predicate": _json_term(term.predicate),
            "object": _json_term(term.object),
        },
    }


class _XmlRows:
    """SPARQL Query Results XML Format (https://www.w3.org/TR/rdf-sparql-XMLres/)."""

    def __init__(self, names: list[str]) -> None:
        self.names = names

    def head(self) -> bytes:
        variables = "".join(f"<variable name={quoteattr(name)}/>" for name in self.names)
        return (
            '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
            f"<head>{variables}</head><results>"
        ).encode()

    def row(self, terms: list[Any]) -> str:
        bindings = "".join(
            f"<binding name={quoteattr(name)}>{_xml_term(term)}</binding>"
            for name, term in zip(self.names, terms, strict=True)
            if term is not None
        )
        return f"<result>{bindings}</result>"

    def tail(self) -> str:
        return "</results></sparql>"


def _xml_term(term: Any) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != _XSD_STRING:
            return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    return (
        f"<triple><subject>{_xml_term(term.subject)}</subject><predicate>{_xml_term(term.predicate)}</predicate>"
        f"<object>{_xml_term(term.object)}</object></triple>"
    )


class _CsvRows:
    """SPARQL 1.1 Query Results CSV (https://www.w3.org/TR/sparql11-results-csv-tsv/ §2): plain
    values, RFC 4180 quoting, CRLF line ends; blank nodes as ``_:label``."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\r\n")

    def _line(self, values: Iterable[str]) -> str:
        self.buffer.seek(0)
        self.buffer.truncate()
        self.writer.writerow(values)
        return self.buffer.getvalue()

    def head(self) -> bytes:
        return self._line(self.names).encode()

    def row(self, terms: list[Any]) -> str:
        return self._line("" if term is None else _csv_value(term) for term in terms)

    def tail(self) -> str:
        return ""


def _csv_value(term: Any) -> str:
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.NamedNode | ox.Literal):
        return term.value
    return str(term)


class _TsvRows:
    """SPARQL 1.1 Query Results TSV (§3): terms in their SPARQL/Turtle syntax, ``?name`` header."""

    def __init__(self, names: list[str]) -> None:
        self.names = names

    def head(self) -> bytes:
        return ("\t".join(f"?{name}" for name in self.names) + "\n").encode()

    def row(self, terms: list[Any]) -> str:
        return "\t".join("" if term is None else _tsv_term(term) for term in terms) + "\n"

    def tail(self) -> str:
        return ""


_XSD = "http://www.w3.org/2001/XMLSchema#"
# Turtle's short forms (Turtle §2.5.2), which TSV allows for numbers and booleans
_BARE = {
    f"{_XSD}integer": re.compile(r"[+-]?\d+"),
    f"{_XSD}decimal": re.compile(r"[+-]?\d*\.\d+"),
    f"{_XSD}double": re.compile(r"[+-]?(?:\d+\.\d*|\.\d+|\d+)[eE][+-]?\d+"),
    f"{_XSD}boolean": re.compile(r"true|false"),
}


def _tsv_term(term: Any) -> str:
    if isinstance(term, ox.Literal) and not term.language:
        bare = _BARE.get(term.datatype.value)
        if bare is not None and bare.fullmatch(term.value):
            return term.value
    # pyoxigraph's str() of a term is its N-Triples form: tabs and line ends are escaped
    return str(term)


_WRITERS: dict[str, Callable[[list[str]], Any]] = {
    "application/sparql-results+json": _JsonRows,
    "application/sparql-results+xml": _XmlRows,
    "text/csv": _CsvRows,
    "text/tab-separated-values": _TsvRows,
}


# ---------------------------------------------------------------------- CONSTRUCT / DESCRIBE results

_CONCATENABLE = {"application/n-triples", "text/turtle"}


def _write_triples(result: ox.QueryTriples, fmt: ox.RdfFormat, sink: Sink, job: Job) -> int:
    count = _Rows(job, "triples")
    batch: list[ox.Triple] = []
    if fmt.media_type in _CONCATENABLE:
        for triple in result:
            count()
            batch.append(triple)
            if len(batch) >= _CHUNK:
                sink.write(ox.serialize(batch, format=fmt))
                batch = []
        if batch:
            sink.write(ox.serialize(batch, format=fmt))
        return count.count
    for triple in result:  # JSON-LD, RDF/XML: one document, made once the cap is known to hold
        count()
        batch.append(triple)
    sink.write(ox.serialize(batch, format=fmt))
    return count.count
