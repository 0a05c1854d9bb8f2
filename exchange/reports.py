"""Reading assessments back: one record's, explained in words, and a source's distribution.

Plain functions over the store (SPARQL aggregates, one query each), used by
``eduhub report`` and the API (``/api/resources/{…}/assessments``,
``/api/sources/{name}/report``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from exchange import tagging, vocabularies
from exchange.model import record_iri
from exchange.store.base import Store

DCT_CREATED = "http://purl.org/dc/terms/created"
#: report sections: tag scheme → heading in the report
SECTIONS = {
    "quality-tier": "tiers",
    "quality": "quality",
    "problem": "problems",
    "accessibility": "accessibility",
    "accessibility-metadata": "accessibility_metadata",
    "accessibility-warning": "accessibility_warnings",
    "sustainability": "sustainability",
}


class NotFound(LookupError):
    """No such record or source; the message says which."""


def source_of(base: str, record: str) -> str:
    """The source name in a record IRI ``{base}/resources/{source}/{id}``."""
    prefix = f"{base}/resources/"
    if not record.startswith(prefix) or "/" not in record[len(prefix) :]:
        raise NotFound(f"{record} is not a record IRI of this hub")
    return unquote(record[len(prefix) :].split("/", 1)[0])


def _label(iri: str) -> str:
    labels = vocabularies.labels(iri)
    return labels.get("en") or labels.get("en-US") or next(iter(labels.values()), iri.rsplit("/", 1)[-1])


def assessments(store: Store, base: str, record: str) -> dict[str, Any]:
    """Every assessment of ``record``: which rule gave which tag, with score and evidence, in words."""
    if not store.has_graph(record):
        raise NotFound(f"no record {record}")
    graph = tagging.assessments_graph(base, source_of(base, record))
    rows = store.select(
        f"""SELECT ?rule ?result ?score ?evidence ?created WHERE {{ GRAPH <{graph}> {{
  <{record}> <{tagging.HUB}assessment> ?a . ?a <{tagging.HUB}rule> ?rule ; <{tagging.HUB}result> ?result ;
     <{DCT_CREATED}> ?created .
  OPTIONAL {{ ?a <{tagging.HUB}score> ?score }} OPTIONAL {{ ?a <{tagging.HUB}evidence> ?evidence }} }} }}
ORDER BY ?rule ?result"""
    )
    rules = {rule.iri: rule for rule in tagging.shipped_rules()}
    out = []
    for row in rows:
        rule = rules.get(row["rule"])
        label = _label(row["result"])
        item: dict[str, Any] = {
            "tag": {"id": row["result"], "label": label},
            "rule": {
                "id": row["rule"],
                "label": rule.label if rule else None,
                "definition": rule.definition if rule else None,
            },
            "created": row["created"],
        }
        if row.get("score") is not None:
            item["score"] = float(row["score"])
        if row.get("evidence"):
            item["evidence"] = row["evidence"]
        rule_text = f" ({rule.definition})" if rule else ""
        item["explanation"] = f"{label}: {row.get('evidence') or 'rule matched'}{rule_text}"
        out.append(item)
    return {"record": record, "assessments": out}


def source_report(store: Store, base: str, source: str) -> dict[str, Any]:
    """Tier distribution, problem counts, accessibility and sustainability coverage of a source."""
    records = len(store.graphs(record_iri(base, source, "")))
    graph = tagging.assessments_graph(base, source)
    rows = store.select(
        f"""SELECT ?result (COUNT(DISTINCT ?record) AS ?n) WHERE {{ GRAPH <{graph}> {{
  ?record <{tagging.HUB}assessment> ?a . ?a <{tagging.HUB}result> ?result }} }} GROUP BY ?result"""
    )
    report: dict[str, Any] = {"source": source, "records": records}
    for heading in SECTIONS.values():
        report[heading] = {}
    for row in rows:
        iri, count = row["result"], int(row["n"])
        scheme, _, tag = iri.removeprefix(tagging.TAGS).rpartition("/")
        heading = SECTIONS.get(scheme)
        if heading is None:
            continue
        report[heading][tag] = {
            "id": iri,
            "label": _label(iri),
            "records": count,
            "share": round(count / records, 4) if records else None,
        }
    report["tagged_records"] = _tagged(store, graph)
    return report


def _tagged(store: Store, graph: str) -> int:
    rows = store.select(
        f"SELECT (COUNT(DISTINCT ?record) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?record <{tagging.HUB}assessment> ?a }} }}"
    )
    return int(rows[0]["n"]) if rows else 0


def render_report(report: dict[str, Any]) -> str:
    lines = [
        f"Source {report['source']}: {report['records']} records, {report['tagged_records']} with assessments",
    ]
    for heading in SECTIONS.values():
        tags = report[heading]
        lines.append("")
        lines.append(heading.replace("_", " ") + ":")
        if not tags:
            lines.append("  (none)")
        for data in sorted(tags.values(), key=lambda d: (-d["records"], d["label"])):
            share = f"{data['share']:.0%}" if data["share"] is not None else "-"
            lines.append(f"  {data['label']:<40} {data['records']:>7}  {share:>5}")
    return "\n".join(lines)
