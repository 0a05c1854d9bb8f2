"""The crosswalk coverage report: for each source path, what was mapped, kept or dropped.

``eduhub crosswalk-report`` runs the crosswalks over a file (an OAI-PMH response, an SRU
response, a single metadata record, a JSON-LD file or dump) or over the payloads the hub
archived for a source, with tracing on (:mod:`exchange.crosswalks.trace`), and adds up
the verdicts per path. A standards expert reads it to see what the hub loses.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exchange import crosswalks
from exchange.crosswalks import CrosswalkError, RecordContext, trace
from exchange.model import RecordInvalid, validate
from harvesters import xml

#: base IRI of records built only for a report; they are never stored
REPORT_BASE = "http://report.invalid"


@dataclass
class Item:
    """One payload to report on, with the identifier it is listed under."""

    identifier: str
    payload: Any
    prefix: str = ""


@dataclass
class Report:
    records: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # identifier -> reason
    crosswalks: dict[str, int] = field(default_factory=dict)
    paths: dict[str, trace.PathCoverage] = field(default_factory=dict)

    def totals(self) -> dict[str, int]:
        return {
            status: sum(getattr(p, status) for p in self.paths.values())
            for status in (trace.MAPPED, trace.KEPT, trace.DROPPED)
        }

    def unexplained(self) -> int:
        """Values dropped without a reason (the crosswalk never read them): silent drops."""
        return sum(p.reasons.get(trace.UNREAD, 0) for p in self.paths.values())

    def to_json(self) -> dict[str, Any]:
        totals = self.totals()
        values = sum(totals.values())
        return {
            "records": self.records,
            "failed": self.failed,
            "crosswalks": self.crosswalks,
            "values": values,
            **totals,
            "mapped_share": round(totals[trace.MAPPED] / values, 4) if values else None,
            "unexplained_drops": self.unexplained(),
            "paths": [
                {
                    "path": p.path,
                    "mapped": p.mapped,
                    "kept": p.kept,
                    "dropped": p.dropped,
                    "reasons": p.reasons,
                    "examples": p.examples,
                }
                for p in sorted(self.paths.values(), key=lambda p: p.path)
            ],
        }


def build(items: Iterable[Item], crosswalk_name: str | None = None) -> Report:
    """Crosswalk every item with tracing on and add up what happened to each source value."""
    report = Report()
    chosen = crosswalks.get(crosswalk_name) if crosswalk_name else None
    for item in items:
        try:
            crosswalk = chosen or crosswalks.for_payload(item.payload, item.prefix)
        except LookupError as error:
            report.failed[item.identifier] = str(error)
            continue
        context = RecordContext(
            base=REPORT_BASE,
            source="report",
            oai_identifier=item.identifier,
            datestamp=None,
            metadata_prefix=item.prefix or crosswalk.name,
            source_record_url=f"{REPORT_BASE}/payload",
        )
        with trace.tracing() as marks:
            try:
                validate(crosswalk.to_record(item.payload, context))
            except (CrosswalkError, RecordInvalid) as error:
                report.failed[item.identifier] = f"{type(error).__name__}: {error}"
                continue
        report.records += 1
        report.crosswalks[crosswalk.name] = report.crosswalks.get(crosswalk.name, 0) + 1
        if crosswalk.reads_json:
            leaves = trace.json_leaves(item.payload, marks, crosswalk.dropped)
        else:
            leaves = trace.xml_leaves(item.payload, marks, crosswalk.dropped)
        for leaf in leaves:
            report.paths.setdefault(leaf.path, trace.PathCoverage(leaf.path)).add(leaf)
    return report


# ---------------------------------------------------------------------- where payloads come from


def items_from_file(path: Path) -> Iterator[Item]:
    """The payloads in a file: OAI-PMH response, SRU response, one XML record, or JSON-LD."""
    data = path.read_bytes()
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        yield from _json_items(path)
        return
    if path.suffix.lower() in (".html", ".htm"):
        yield from _json_items(path)
        return
    root = xml.parse(data)
    name = root.tag.rsplit("}", 1)[-1]
    if name == "OAI-PMH":
        from harvesters.oaipmh import parse_page

        prefix = _request_prefix(root)
        for record in parse_page(data, 1).records:
            if record.payload is not None and not record.deleted:
                yield Item(record.identifier or "?", record.payload, prefix)
    elif name == "searchRetrieveResponse":  # SRU: records under recordData
        holders = [record.find("{*}recordData") for record in root.iter("{*}record")]
        for number, holder in enumerate((h for h in holders if h is not None), start=1):
            lom = next(holder.iter("{*}lom"), None)
            payload = lom if lom is not None else next(holder.iterchildren("*"), None)
            if payload is not None:
                yield Item(f"{path.name}#{number}", payload)
    else:
        yield Item(path.name, root)


def _request_prefix(root: Any) -> str:
    for request in root.iter("{*}request"):
        return request.get("metadataPrefix") or ""
    return ""


def _json_items(path: Path) -> Iterator[Item]:
    from exchange.crosswalks import jsonld_source

    for number, document in enumerate(jsonld_source.read_jsonld(path), start=1):
        identifier = str(document.get("id") or document.get("@id") or f"{path.name}#{number}")
        yield Item(identifier, document, "lrmi")


def items_from_source(state: Any, name: str) -> Iterator[Item]:
    """The payloads the hub archived for a registered source (``raw_records``)."""
    for raw in state.raw_records(name):
        try:
            payload = xml.parse(raw.xml.encode("utf-8"))
        except Exception:
            payload = None
        if payload is not None:
            yield Item(raw.oai_identifier, payload, raw.metadata_prefix or "")


# ---------------------------------------------------------------------- rendering


def render_text(report: Report, title: str) -> str:
    data = report.to_json()
    lines = [
        f"Crosswalk coverage: {title}",
        f"records: {data['records']} read, {len(data['failed'])} failed; "
        + ", ".join(f"{name} {count}" for name, count in sorted(data["crosswalks"].items())),
    ]
    if data["values"]:
        lines.append(
            f"values: {data['values']}: mapped {data['mapped']} ({data['mapped_share']:.1%}), "
            f"kept {data['kept']}, dropped {data['dropped']} (without a reason: {data['unexplained_drops']})"
        )
    lines.append("")
    width = max((len(p["path"]) for p in data["paths"]), default=10)
    lines.append(f"{'path'.ljust(width)}  mapped    kept  dropped  reason / example")
    for p in data["paths"]:
        note = ""
        if p["reasons"]:
            reason, _ = max(p["reasons"].items(), key=lambda kv: kv[1])
            note = reason
        example = next((v[0] for s, v in p["examples"].items() if s != trace.MAPPED and v), "")
        if example:
            note = f"{note} (e.g. {example!r})" if note else f"e.g. {example!r}"
        lines.append(f"{p['path'].ljust(width)}  {p['mapped']:6}  {p['kept']:6}  {p['dropped']:7}  {note}".rstrip())
    for identifier, reason in list(data["failed"].items())[:20]:
        lines.append(f"failed: {identifier}: {reason}")
    return "\n".join(lines)


def render_json(report: Report, title: str) -> str:
    return json.dumps({"input": title, **report.to_json()}, indent=2, ensure_ascii=False)
