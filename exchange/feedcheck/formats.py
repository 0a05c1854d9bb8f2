"""The "Metadata formats" group (§3.4, §4.4): which formats the feed offers, which of them the
hub reads, and the one it would harvest, chosen by :func:`exchange.pipeline.choose_prefix`, the
harvester's own choice (the richest format the hub reads)."""

from __future__ import annotations

from typing import Any, cast

from exchange.feedcheck.fetch import OAI
from exchange.feedcheck.report import Context, count, worst
from exchange.feedcheck.sample import SAMPLE_SOURCE


def check_formats(ctx: Context) -> None:
    """``metadata-formats``; fills ``ctx.formats`` and ``ctx.chosen`` (the format listed next)."""
    from exchange.pipeline import choose_prefix
    from exchange.state import Source
    from harvesters.oaipmh import HarvestError, MetadataFormat

    ctx.progress("ListMetadataFormats")
    exchange = ctx.fetch.get({"verb": "ListMetadataFormats"})
    oai = exchange.oai()
    if oai.root is None or oai.error_code:
        why = oai.problem or f"the error {oai.error_code}: {oai.error_message}"
        ctx.add("metadata-formats", "fail", f"ListMetadataFormats was not answered: {why}")
        ctx.chosen = ctx.requested_prefix
        return
    offered: list[MetadataFormat] = []
    for node in oai.root.iter(f"{OAI}metadataFormat"):
        prefix = (node.findtext(f"{OAI}metadataPrefix") or "").strip()
        namespace = (node.findtext(f"{OAI}metadataNamespace") or "").strip() or None
        schema = (node.findtext(f"{OAI}schema") or "").strip() or None
        offered.append(MetadataFormat(prefix, namespace, schema))
        crosswalk = _crosswalk_for(prefix, namespace)
        ctx.formats.append(
            {
                "prefix": prefix,
                "namespace": namespace,
                "schema": schema,
                "readable": crosswalk is not None,
                "crosswalk": crosswalk.name if crosswalk is not None else None,
            }
        )
    prefixes = [f.prefix for f in offered]
    readable = [f["prefix"] for f in ctx.formats if f["readable"]]
    automatic: str | None = None
    try:
        automatic = choose_prefix(Source(SAMPLE_SOURCE, ctx.base_url), cast(Any, _Offered(offered)))
    except HarvestError:
        automatic = None
    ctx.chosen = ctx.requested_prefix or automatic
    for entry in ctx.formats:
        entry["chosen"] = entry["prefix"] == ctx.chosen

    problems: list[tuple[str, str]] = []
    if not offered:
        problems.append(("fail", "no metadata format is offered"))
    elif "oai_dc" not in prefixes:
        problems.append(("fail", "oai_dc is not offered; every repository must disseminate it"))
    if offered and not readable:
        problems.append(("fail", f"the hub reads none of the formats offered ({', '.join(prefixes)})"))
    if ctx.requested_prefix and ctx.requested_prefix not in prefixes:
        problems.append(("warn", f"{ctx.requested_prefix} was asked for but is not offered"))
    summary = (
        f"{count(len(offered), 'format')} offered ({', '.join(prefixes) or 'none'}); the hub reads "
        f"{', '.join(readable) or 'none of them'}"
    )
    if automatic:
        crosswalk = next(f["crosswalk"] for f in ctx.formats if f["prefix"] == automatic)
        summary += f" and would harvest {automatic} (crosswalk {crosswalk})"
    if problems:
        ctx.add("metadata-formats", worst(s for s, _ in problems), "; ".join(m for _, m in problems) + f". {summary}")
    else:
        ctx.add("metadata-formats", "pass", summary)


class _Offered:
    """The formats already read from ListMetadataFormats, for :func:`exchange.pipeline.choose_prefix`
    (which asks a client for them): the hub's own choice, without asking the feed twice."""

    def __init__(self, formats: list[Any]) -> None:
        self._formats = formats

    def list_metadata_formats(self) -> list[Any]:
        return self._formats


def _crosswalk_for(prefix: str, namespace: str | None) -> Any:
    """The crosswalk the harvester would use for a format: by namespace, else by prefix (as
    :func:`exchange.pipeline.choose_prefix` decides)."""
    from exchange import crosswalks

    if namespace:
        try:
            return crosswalks.for_namespace(namespace)
        except LookupError:
            pass
    return crosswalks.for_prefix(prefix)
