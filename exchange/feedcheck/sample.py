"""The "Sample" group: the records read, through the hub's normal harvest pipeline
(:func:`exchange.pipeline.harvest`: parsing, crosswalk, JSON Schema validation, quarantine,
assessments) into a throwaway hub in a temporary folder, read back as a report, then deleted
with the folder. The user's hub is never opened; nothing is fetched again (the pages already
read are handed to the pipeline by :class:`_Replayed`).
"""

from __future__ import annotations

import re
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import unquote

from exchange.feedcheck.identify import DAY, SECONDS, in_granularity
from exchange.feedcheck.report import Context, count

if TYPE_CHECKING:
    from exchange.feedcheck.lists import SeenPage

#: the throwaway hub the sample is harvested into
SAMPLE_SOURCE = "sample"
SAMPLE_BASE = "http://feed-check.invalid"
_POSITION = re.compile(r",? line \d+(?:, column \d+)?|\s*\(<string>(?:, line \d+)?\)")


def check_sample(ctx: Context) -> None:
    """``sample-records``: pass when every sampled record (not deleted) would be stored, warn when
    some would be quarantined, fail when none would; fills the report's ``sample``."""
    records = ctx.records()[: ctx.sample_size]
    ctx.sample.update(
        {
            "metadata_prefix": ctx.chosen,
            "set": ctx.set_spec,
            "requested": ctx.sample_size,
            "records": len(records),
            "deleted": sum(1 for r in records if r.deleted),
            "pages": len(ctx.pages),
        }
    )
    if not records:
        if ctx.sample_size == 0:
            reason = "no sample was asked for (sample 0)"
        elif ctx.no_records:
            reason = "the list is empty"
        else:
            reason = ctx.sample.get("skipped") or "no records could be read"
        ctx.sample["skipped"] = reason
        ctx.skip("sample-records", reason)
        return
    ctx.progress(f"harvesting {len(records)} sampled records into a throwaway hub")
    ctx.sample.update(analyse_sample(ctx.base_url, ctx.chosen or "", ctx.set_spec, ctx.identify, ctx.pages, records))
    quarantined = ctx.sample["quarantined"]
    stored = ctx.sample["stored"]
    if ctx.sample.get("error"):
        ctx.add("sample-records", "fail", f"the sample could not be harvested: {ctx.sample['error']}")
    elif not quarantined:
        ctx.add("sample-records", "pass", f"all {count(stored, 'sampled record')} (not deleted) would be stored")
    else:
        stages = Counter(q["stage"] for q in quarantined)
        ctx.add(
            "sample-records",
            "fail" if not stored else "warn",
            f"{len(quarantined)} of {count(stored + len(quarantined), 'sampled record')} would be quarantined ("
            + ", ".join(f"{stage} {n}" for stage, n in stages.most_common())
            + f"); {stored} would be stored",
            [{"identifier": q["identifier"], "stage": q["stage"], "reason": q["reason"]} for q in quarantined],
        )


class _Replayed:
    """A harvester client that hands the pipeline the pages the checker already read, so the
    sample goes through :func:`exchange.pipeline.harvest` exactly as a harvest would."""

    def __init__(self, base_url: str, identify: Any, pages: list[Any]) -> None:
        self.base_url = base_url
        self._identify = identify
        self._pages = pages
        #: what the transport had to insist on: nothing, the pages are in hand
        self.notes: list[str] = []

    def identify(self) -> Any:
        return self._identify

    def list_metadata_formats(self) -> list[Any]:
        return []

    def list_records(
        self, metadata_prefix: str, *, set_spec: str | None = None, from_: str | None = None
    ) -> Iterator[Any]:
        yield from self._pages

    def close(self) -> None:
        pass


def analyse_sample(
    base_url: str,
    prefix: str,
    set_spec: str | None,
    identify: dict[str, Any],
    seen_pages: list[SeenPage],
    records: list[Any],
) -> dict[str, Any]:
    """Harvest ``records`` into a hub in a temporary folder with the normal pipeline (crosswalk,
    validate, quarantine, assess), read its report, and delete the folder. The user's hub is
    never opened."""
    from dataclasses import replace

    from exchange import coverage, reports, tagging
    from exchange.config import Settings
    from exchange.hub import Hub
    from exchange.model import record_iri
    from exchange.pipeline import harvest
    from harvesters.oaipmh import Identify

    # The pages as the pipeline receives them, cut to the sample.
    pages, left = [], len(records)
    for seen in seen_pages:
        if left <= 0:
            break
        kept = seen.page.records[:left]
        left -= len(kept)
        pages.append(replace(seen.page, records=kept))
    client = _Replayed(
        base_url,
        Identify(
            repository_name=identify.get("repositoryName"),
            granularity=identify.get("granularity") or DAY,
            earliest_datestamp=identify.get("earliestDatestamp"),
            deleted_record=identify.get("deletedRecord"),
            response_date=identify.get("responseDate"),
        ),
        pages,
    )
    result: dict[str, Any] = {}
    with (
        tempfile.TemporaryDirectory(prefix="eduhub-feed-check-") as folder,
        Hub.open(Settings(data_dir=Path(folder) / "hub", base=SAMPLE_BASE)) as hub,
    ):
        hub.state.add_source(SAMPLE_SOURCE, base_url, prefix, set_spec)
        summary = harvest(hub, SAMPLE_SOURCE, client=cast(Any, client))
        result["stored"] = summary.added + summary.updated
        result["notes"] = summary.notes
        if summary.status != "ok":
            result["error"] = summary.error
        quarantined = hub.state.quarantined(SAMPLE_SOURCE)
        result["quarantined"] = [
            {"identifier": q.oai_identifier, "stage": q.stage, "reason": q.reason} for q in quarantined
        ]
        report = reports.source_report(hub.store, hub.settings.base, SAMPLE_SOURCE)
        shown = {
            section: {
                tag: {"label": data["label"], "records": data["records"], "share": data["share"]}
                for tag, data in report[section].items()
            }
            for section in reports.SECTIONS.values()
        }
        result["tiers"] = shown["tiers"]
        result["quality"] = shown["quality"]
        result["accessibility"] = {
            "features": shown["accessibility"],
            "metadata": shown["accessibility_metadata"],
            "warnings": shown["accessibility_warnings"],
        }
        result["sustainability"] = shown["sustainability"]
        identifiers = {
            record_iri(hub.settings.base, SAMPLE_SOURCE, r.identifier): r.identifier for r in records if r.identifier
        }
        tagged = _tagged_records(hub, tagging.assessments_graph(hub.settings.base, SAMPLE_SOURCE))
    items = [
        coverage.Item(r.identifier or f"(record {n})", r.payload, prefix)
        for n, r in enumerate(records, start=1)
        if r.payload is not None and not r.deleted and not r.error
    ]
    covered = coverage.build(items).to_json()
    result["coverage"] = {key: value for key, value in covered.items() if key != "failed"}
    result["problems"] = _problems(result["quarantined"], tagged, identifiers, report_labels(), records, identify)
    return result


def _tagged_records(hub: Any, graph: str) -> dict[str, list[str]]:
    """Problem and warning tags → the records that carry them (IRIs), from the assessments graph."""
    from exchange import tagging

    prefixes = (f"{tagging.TAGS}problem/", f"{tagging.TAGS}accessibility-warning/")
    tier_zero = f"{tagging.TAGS}quality-tier/0"
    rows = hub.store.select(
        f"""SELECT ?record ?result WHERE {{ GRAPH <{graph}> {{
  ?record <{tagging.HUB}assessment> ?a . ?a <{tagging.HUB}result> ?result }} }} ORDER BY ?record"""
    )
    found: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        result = row["result"]
        if result.startswith(prefixes) or result == tier_zero:
            found[result].append(row["record"])
    return dict(found)


def report_labels() -> Callable[[str], str]:
    """Tag IRI → its label as ``eduhub report`` shows it (English when the vocabulary has it)."""
    from exchange import vocabularies

    def label(iri: str) -> str:
        labels = vocabularies.labels(iri)
        return labels.get("en") or next(iter(labels.values()), iri.rsplit("/", 1)[-1])

    return label


def _problems(
    quarantined: list[dict[str, str]],
    tagged: dict[str, list[str]],
    identifiers: dict[str, str],
    label: Callable[[str], str],
    records: list[Any],
    identify: dict[str, Any],
) -> list[dict[str, Any]]:
    """The sample's problems, most frequent first, each with up to five example identifiers:
    why records would be quarantined, the problem and warning tags of the stored ones."""
    groups: dict[str, list[str]] = defaultdict(list)
    for item in quarantined:
        reason = _POSITION.sub("", item["reason"]).strip()
        groups[f"quarantined ({item['stage']}): {reason[:200]}"].append(item["identifier"])
    for result, graphs in tagged.items():
        groups[label(result)].extend(identifiers.get(g, unquote(g.rsplit("/", 1)[-1])) for g in graphs)
    granularity = identify.get("granularity")
    if granularity in (DAY, SECONDS):
        wrong = [r.identifier or "?" for r in records if r.datestamp and not in_granularity(r.datestamp, granularity)]
        if wrong:
            groups[f"header datestamp not in the declared granularity {granularity}"].extend(wrong)
    ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return [{"problem": problem, "count": len(ids), "examples": ids[:5]} for problem, ids in ranked[:15]]
