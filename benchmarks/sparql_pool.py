"""What the query workers of ``/sparql`` cost: the same queries in-process and through the pool.

``python -m benchmarks.sparql_pool --hub DIR`` opens a hub data folder (for instance the one
:mod:`benchmarks.sparql_peers` builds under its work folder; the folder must not be in use) and
times, for each query of the peers' mix, with the three ways taking turns in every round:

native
    ``pyoxigraph.Store.query`` in this process, serialized whole by pyoxigraph: the floor.
in-process
    :func:`exchange.sparql_run.run` in this process: the endpoint's caps and row-by-row writers,
    without a worker.
pool
    :meth:`exchange.sparql_pool.QueryPool.run` with one warm worker: the snapshot check, the
    round trip to the worker process, its evaluation and writing, the answer sent back.

Reported per query: p50 of each, and pool ÷ native and in-process ÷ native; geometric means over
the mix. Also the cost of a fresh snapshot: a query right after a write (new checkpoint, worker
reopens it) against the same query warm. No HTTP here: the peers benchmark has the whole path.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from benchmarks.sparql_peers import Query, parameters, queries
from exchange.sparql_pool import QueryLimits, QueryPool
from exchange.sparql_run import Job, run
from exchange.store.embedded import EmbeddedStore, evaluate


class _StoreAnswer:
    def __init__(self, content: bytes) -> None:
        self.content = content

    def raise_for_status(self) -> None:
        return None


class StoreClient:
    """Answers the peers benchmark's parameter queries from the store (it asks them over HTTP)."""

    def __init__(self, store: EmbeddedStore) -> None:
        self.store = store

    def post(self, _url: str, content: bytes, **_: Any) -> _StoreAnswer:
        return _StoreAnswer(run(self.store.raw, Job(content.decode())).body or b"")


def native(store: EmbeddedStore, query: Query) -> int:
    result = evaluate(store.raw, query.text)
    if isinstance(result, ox.QueryTriples):
        return len(result.serialize(format=ox.RdfFormat.N_TRIPLES))
    return len(result.serialize(format=ox.QueryResultsFormat.JSON))


def job(query: Query) -> Job:
    return Job(query.text, graph_format="application/n-triples")


def timed(step: Callable[[], Any]) -> float:
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def measure(hub_dir: Path, records: int, repeat: int, only: Sequence[str] | None) -> dict[str, Any]:
    store = EmbeddedStore(hub_dir / "store")
    work = Path(tempfile.mkdtemp(prefix="sparql-pool-"))
    pool = QueryPool(store, QueryLimits(timeout=600, workers=1), work)
    try:
        mix = [q for q in queries(parameters(StoreClient(store), "", records)) if not only or q.name in only]
        ways: dict[str, Callable[[Query], Any]] = {
            "native": lambda q: native(store, q),
            "in-process": lambda q: run(store.raw, job(q)),
            "pool": lambda q: pool.run(job(q)),
        }
        rows = []
        for query in mix:
            samples: dict[str, list[float]] = {name: [] for name in ways}
            for way in ways.values():  # warm-up
                way(query)
            for round_ in range(repeat):
                names = list(ways)
                names = names[round_ % len(names) :] + names[: round_ % len(names)]
                for name in names:
                    samples[name].append(timed(lambda name=name, query=query: ways[name](query)))
            p50 = {name: statistics.median(values) for name, values in samples.items()}
            rows.append(
                {
                    "query": query.name,
                    "p50_ms": {name: round(value * 1000, 3) for name, value in p50.items()},
                    "pool_vs_native": p50["pool"] / p50["native"],
                    "in_process_vs_native": p50["in-process"] / p50["native"],
                    "pool_minus_native_ms": round((p50["pool"] - p50["native"]) * 1000, 3),
                }
            )
            print(f"{query.name:24} {json.dumps(rows[-1]['p50_ms'])}", file=sys.stderr)
        fresh, warm = [], []
        probe = mix[0]
        for number in range(repeat):
            store.update(f'INSERT DATA {{ GRAPH <urn:bench:{number}> {{ <urn:bench:s> <urn:bench:p> "{number}" }} }}')
            fresh.append(timed(lambda: pool.run(job(probe))))
            warm.append(timed(lambda: pool.run(job(probe))))
        store.update(" ;\n".join(f"DROP SILENT GRAPH <urn:bench:{number}>" for number in range(repeat)))
    finally:
        pool.close()
        store.close()
    return {
        "hub": str(hub_dir),
        "records": records,
        "repeat": repeat,
        "queries": rows,
        "geomean_pool_vs_native": _geomean([r["pool_vs_native"] for r in rows]),
        "geomean_in_process_vs_native": _geomean([r["in_process_vs_native"] for r in rows]),
        "median_pool_minus_native_ms": statistics.median(r["pool_minus_native_ms"] for r in rows),
        "after_write_ms": {
            "query": probe.name,
            "fresh_snapshot_p50": round(statistics.median(fresh) * 1000, 3),
            "warm_p50": round(statistics.median(warm) * 1000, 3),
        },
    }


def _geomean(values: Sequence[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "| query | native p50 ms | in-process p50 ms | pool p50 ms | pool ÷ native | in-process ÷ native |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in report["queries"]:
        p50 = row["p50_ms"]
        lines.append(
            f"| {row['query']} | {p50['native']:.2f} | {p50['in-process']:.2f} | {p50['pool']:.2f} | "
            f"{row['pool_vs_native']:.2f} | {row['in_process_vs_native']:.2f} |"
        )
    lines.append(
        f"| **geometric mean** | | | | **{report['geomean_pool_vs_native']:.2f}** | "
        f"**{report['geomean_in_process_vs_native']:.2f}** |"
    )
    after = report["after_write_ms"]
    lines.append(
        f"\nMedian added by the pool: {report['median_pool_minus_native_ms']:.2f} ms per query. "
        f"First query after a write ({after['query']}): {after['fresh_snapshot_p50']:.2f} ms p50 "
        f"(new snapshot, worker reopens it) against {after['warm_p50']:.2f} ms warm."
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hub", type=Path, required=True, help="a hub data folder of benchmarks.feed records")
    parser.add_argument("--records", type=int, required=True, help="how many feed records the hub holds")
    parser.add_argument("--repeat", type=int, default=20, help="timed rounds per query (default 20)")
    parser.add_argument("--only", help="comma-separated query names")
    parser.add_argument("--json", type=Path, help="write the report here")
    args = parser.parse_args(argv)
    report = measure(args.hub, args.records, args.repeat, args.only.split(",") if args.only else None)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
