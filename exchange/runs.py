"""Harvest runs as PROV activities in the store, so they can be queried next to the records.

The state file (exchange/state.py) is where a run is written while it happens; when it
ends, this module publishes it into the graph ``{base}/harvests`` (DESIGN.md: "Harvest runs
themselves are PROV activities in a hub graph"). One node per run, ``{base}/harvests/{id}``::

    <run> a prov:Activity, hub:HarvestRun ;
        prov:used <source> ; prov:wasAssociatedWith <{base}/harvester> ;
        prov:startedAtTime ... ; prov:endedAtTime ... ;
        hub:status "ok" ; hub:mode "incremental" ; hub:metadataFormat "lom" ;
        hub:from ... ; hub:sourceResponseDate ... ;
        hub:added 3 ; hub:updated 0 ; hub:deleted 1 ; hub:quarantined 0 ; hub:recovered 0 ;
        hub:pages 2 ; hub:records 4 ; hub:seconds 1.2 ; hub:trigger "schedule" ;
        hub:error "..." ; hub:note "..." .

Record graphs do not name the run that wrote them: a record's graph must stay byte-equal
when a re-harvest brings the same content, or every harvest would move its OAI-PMH datestamp.
"""

from __future__ import annotations

from typing import Any

from exchange.hub import Hub
from exchange.model import source_iri
from exchange.model.rdf import literal
from exchange.namespaces import HUB, PROV, RDF_TYPE, XSD

COUNTS = ("added", "updated", "deleted", "quarantined", "recovered", "pages", "records")


def graph(base: str) -> str:
    return f"{base}/harvests"


def run_iri(base: str, run_id: int) -> str:
    return f"{base}/harvests/{run_id}"


def _stamp(value: str) -> str:
    return literal(value, datatype=f"{XSD}dateTime")


def lines(base: str, run: dict[str, Any]) -> list[str]:
    """The N-Triples of one run (a row of ``HubState.runs``)."""
    node = f"<{run_iri(base, run['id'])}>"
    out = [
        f"{node} <{RDF_TYPE}> <{PROV}Activity> .",
        f"{node} <{RDF_TYPE}> <{HUB}HarvestRun> .",
        f"{node} <{PROV}used> <{source_iri(base, run['source'])}> .",
        f"{node} <{PROV}wasAssociatedWith> <{base}/harvester> .",
        f"{node} <{PROV}startedAtTime> {_stamp(run['started_at'])} .",
        f"{node} <{HUB}status> {literal(run['status'])} .",
        f"{node} <{HUB}mode> {literal(run['mode'])} .",
    ]
    if run.get("ended_at"):
        out.append(f"{node} <{PROV}endedAtTime> {_stamp(run['ended_at'])} .")
    for key, predicate in (("metadata_prefix", "metadataFormat"), ("trigger", "trigger"), ("error", "error")):
        if run.get(key):
            out.append(f"{node} <{HUB}{predicate}> {literal(str(run[key]))} .")
    for key, predicate in (("from_date", "from"), ("response_date", "sourceResponseDate")):
        if run.get(key):
            out.append(f"{node} <{HUB}{predicate}> {literal(run[key])} .")
    for key in COUNTS:
        out.append(f"{node} <{HUB}{key}> {literal(str(int(run.get(key) or 0)), datatype=f'{XSD}integer')} .")
    out.append(f"{node} <{HUB}seconds> {literal(repr(float(run.get('seconds') or 0)), datatype=f'{XSD}double')} .")
    for note in run.get("notes") or ():
        out.append(f"{node} <{HUB}note> {literal(note)} .")
    return out


def publish(hub: Hub, run_id: int) -> None:
    """Replace the run's node in the harvests graph with what the state file says now."""
    run = hub.state.run(run_id)
    if run is None:
        return
    base, target = hub.settings.base, graph(hub.settings.base)
    node = run_iri(base, run_id)
    data = "\n".join(lines(base, run))
    hub.store.update(
        f"DELETE WHERE {{ GRAPH <{target}> {{ <{node}> ?p ?o }} }} ;\nINSERT DATA {{ GRAPH <{target}> {{\n{data}\n}} }}"
    )


def to_json(base: str, run: dict[str, Any]) -> dict[str, Any]:
    """A run as the API and ``eduhub harvests --json`` give it."""
    return {"id": run["id"], "iri": run_iri(base, run["id"]), **{k: v for k, v in run.items() if k != "id"}}
