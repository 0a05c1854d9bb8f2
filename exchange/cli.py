"""The ``eduhub`` command.

Every subcommand takes ``--data DIR`` (default ``./hub-data`` or ``$EDUHUB_DATA``) and
``--base IRI`` (default ``http://127.0.0.1:8000`` or ``$EDUHUB_BASE``; fixed when the
data folder is created). Progress goes to stderr, results to stdout.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from exchange import __version__, clusters
from exchange.config import ConfigError, Settings
from exchange.hub import Hub
from exchange.model import record_iri
from exchange.provider import publish
from exchange.state import StateError
from exchange.store import StoreError
from exchange.tagging import assessments_graph

if TYPE_CHECKING:  # the pipeline is imported lazily: `eduhub --help` should not load lxml and httpx
    from exchange.pipeline import RunSummary
    from harvesters.oaipmh import Page

EPILOG = "Docs: README.md. Exit status: 0 success, 1 a source or query failed, 2 usage error."


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if getattr(args, "verbose", False) else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except (ConfigError, StateError, StoreError) as error:
        print(f"eduhub: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("eduhub: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        sys.stderr.close()
        return 0


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data", default=argparse.SUPPRESS, help="hub data folder (default ./hub-data or $EDUHUB_DATA)"
    )
    common.add_argument(
        "--base", default=argparse.SUPPRESS, help="base IRI of record IRIs (default http://127.0.0.1:8000)"
    )
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log details")

    parser = argparse.ArgumentParser(
        prog="eduhub",
        description="EduHub Exchange: harvest learning-resource metadata over OAI-PMH, normalize it to "
        "schema.org/LRMI and republish it (SPARQL).",
        epilog=EPILOG,
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"eduhub-exchange {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    sources = commands.add_parser("sources", help="register, list and remove OAI-PMH sources", parents=[common])
    source_commands = sources.add_subparsers(title="sources commands", metavar="ACTION", required=True)
    add = source_commands.add_parser("add", help="register an OAI-PMH source", parents=[common])
    add.add_argument("name", help="short name, used in record IRIs (letters, digits, . _ -)")
    add.add_argument("base_url", help="OAI-PMH base URL, e.g. https://example.org/oai")
    add.add_argument("--metadata-prefix", help="harvest this format (default: the richest one the hub reads)")
    add.add_argument("--set", dest="set_spec", help="harvest only this OAI-PMH set")
    add.add_argument("--interval", type=interval, help=INTERVAL_HELP)
    add.set_defaults(run=cmd_sources_add)
    change = source_commands.add_parser("set", help="change a source's schedule", parents=[common])
    change.add_argument("name")
    change.add_argument("--interval", type=interval, required=True, help=INTERVAL_HELP)
    change.set_defaults(run=cmd_sources_set)
    listing = source_commands.add_parser("list", help="list registered sources", parents=[common])
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=cmd_sources_list)
    remove = source_commands.add_parser("remove", help="remove a source and its records", parents=[common])
    remove.add_argument("name")
    remove.set_defaults(run=cmd_sources_remove)

    harvest = commands.add_parser(
        "harvest",
        help="harvest sources (incrementally after the first run)",
        description="Harvest registered sources. After a successful run the next one asks only for "
        "records changed since (OAI-PMH `from`); --full fetches everything and removes records the "
        "source no longer lists. Records that fail to parse, crosswalk or validate are quarantined "
        "(see `eduhub quarantine`) and retried on the next run.",
        parents=[common],
    )
    harvest.add_argument("names", nargs="*", metavar="NAME", help="sources to harvest")
    harvest.add_argument("--all", action="store_true", help="harvest every registered source")
    harvest.add_argument("--full", action="store_true", help="full harvest instead of incremental")
    harvest.add_argument("--json", action="store_true", help="print the run summaries as JSON on stdout")
    harvest.add_argument(
        "--no-tag", action="store_true", help="skip the assessments (faster); run `eduhub retag` afterwards"
    )
    add_harvest_options(harvest)
    harvest.set_defaults(run=cmd_harvest)

    harvests = commands.add_parser(
        "harvests",
        help="list harvest runs, newest first",
        description="Harvest runs with their counts, the source's responseDate, notes and errors. The same "
        "runs are PROV activities in the graph {base}/harvests (SPARQL) and at /api/harvests.",
        parents=[common],
    )
    harvests.add_argument("name", nargs="?", help="only this source")
    harvests.add_argument("--status", help="only runs with this status (ok, failed, interrupted, abandoned, running)")
    harvests.add_argument("--limit", type=int, default=20, help="how many runs (default 20)")
    harvests.add_argument("--json", action="store_true", help="print JSON")
    harvests.set_defaults(run=cmd_harvests)

    cluster = commands.add_parser(
        "clusters",
        help="cross-source duplicates: how many, or rebuild them",
        description="Records of the same resource from several sources (same DOI, Handle or landing URL) "
        "are linked as one cluster after every harvest (docs/clusters.md). This prints how many clusters "
        "there are; --rebuild recomputes them all from the record graphs.",
        parents=[common],
    )
    cluster.add_argument("--rebuild", action="store_true", help="recompute every cluster from the records")
    cluster.add_argument("--json", action="store_true", help="print JSON")
    cluster.set_defaults(run=cmd_clusters)

    tokens = commands.add_parser("tokens", help="API tokens for the write endpoints", parents=[common])
    token_commands = tokens.add_subparsers(title="tokens commands", metavar="ACTION", required=True)
    create = token_commands.add_parser(
        "create", help="make a token; the secret is printed once, only its hash is kept", parents=[common]
    )
    create.add_argument("name", help="who or what uses the token (shown in the write log)")
    create.add_argument(
        "--right",
        action="append",
        dest="rights",
        help="what the token may do (repeatable; default all): harvest, vocabularies, sources",
    )
    create.set_defaults(run=cmd_tokens_create)
    token_list = token_commands.add_parser("list", help="list tokens (never their secrets)", parents=[common])
    token_list.add_argument("--json", action="store_true", help="print JSON")
    token_list.set_defaults(run=cmd_tokens_list)
    revoke = token_commands.add_parser("revoke", help="revoke a token", parents=[common])
    revoke.add_argument("name")
    revoke.set_defaults(run=cmd_tokens_revoke)

    quarantine = commands.add_parser("quarantine", help="list records kept aside, with reasons", parents=[common])
    quarantine.add_argument("name", nargs="?", help="only this source")
    quarantine.add_argument("--json", action="store_true", help="print JSON (raw payloads included)")
    quarantine.set_defaults(run=cmd_quarantine)

    raw = commands.add_parser(
        "raw", help="print a record's payload as the source sent it (the harvest archive)", parents=[common]
    )
    raw.add_argument("name", help="source name")
    raw.add_argument("identifier", help="the record's OAI identifier")
    raw.set_defaults(run=cmd_raw)

    query = commands.add_parser("query", help="run a SPARQL query against the store", parents=[common])
    query.add_argument("sparql", help="the query, or - to read it from stdin")
    query.add_argument(
        "--format",
        default=None,
        help="json, csv, tsv or xml for SELECT/ASK (default json); turtle, ntriples, jsonld or rdfxml "
        "for CONSTRUCT/DESCRIBE (default turtle)",
    )
    query.set_defaults(run=cmd_query)

    retag = commands.add_parser(
        "retag",
        help="re-run the assessment rules (rules/) over the stored records",
        description="Drops the assessments of each source (or of --source NAME) and runs every rule of "
        "rules/ over its records, one set-at-a-time SPARQL update per rule (docs/tagging.md). Use it after "
        "adding or changing a rule, or after `harvest --no-tag`.",
        parents=[common],
    )
    retag.add_argument("--source", help="only this source")
    retag.add_argument("--json", action="store_true", help="print JSON")
    retag.set_defaults(run=cmd_retag)

    source_report = commands.add_parser(
        "report",
        help="quality, accessibility and sustainability of a source's records",
        description="Tier distribution, problem-pattern counts, accessibility and sustainability coverage "
        "of a source's records, from their assessments (the same as GET /api/sources/NAME/report).",
        parents=[common],
    )
    source_report.add_argument("name", help="source name")
    source_report.add_argument("--json", action="store_true", help="print JSON")
    source_report.set_defaults(run=cmd_report)

    report = commands.add_parser(
        "crosswalk-report",
        help="show what the crosswalks map, keep or drop, per source element",
        description="Runs the crosswalks over FILE (an OAI-PMH or SRU response, one XML metadata record, "
        "or a JSON-LD file or dump) or over the payloads archived for a harvested source, and counts for "
        "each source element/path how many values were mapped to the model, kept unmapped (a literal "
        "or a concept with no mapping onto the shared scheme), or dropped, with the reason and examples. "
        "Exit status 1 if any value was dropped without a reason.",
        parents=[common],
    )
    what = report.add_mutually_exclusive_group(required=True)
    what.add_argument("file", nargs="?", type=Path, help="file to read")
    what.add_argument("--source", help="a registered source: its archived payloads")
    report.add_argument("--crosswalk", help="use this crosswalk instead of choosing one per record")
    report.add_argument("--json", action="store_true", help="print JSON")
    report.set_defaults(run=cmd_crosswalk_report)

    export = commands.add_parser(
        "export",
        help="write a bulk dump of the records (N-Quads, JSON-LD lines, LOM or oai_dc XML)",
        description="Streams every live record (deleted ones are left out) page by page, so memory stays "
        "flat however large the hub: nquads (record graphs with their assessments, plus the sources graph; "
        "reloads into an equal store), jsonld (JSON Lines, one hub record per line), lom or oai_dc (one XML "
        "document). Works while `eduhub serve` runs (the store is opened read-only). Progress and a summary "
        "go to stderr. The same dumps are served at /dumps/. See docs/export.md.",
        parents=[common],
    )
    export.add_argument("--format", required=True, choices=["nquads", "jsonld", "lom", "oai_dc"], help="dump format")
    export.add_argument("--gzip", action="store_true", help="gzip the output (implied by an --output ending in .gz)")
    export.add_argument("--source", help="only this source's records")
    export.add_argument("--output", "-o", help="file to write (default: stdout; - is stdout)")
    export.add_argument("--page-size", type=int, default=500, help="records read per page (default 500)")
    export.set_defaults(run=cmd_export)

    serve = commands.add_parser("serve", help="serve the hub over HTTP (SPARQL at /sparql)", parents=[common])
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument(
        "--no-schedule", action="store_true", help="do not harvest sources on their intervals (API triggers still work)"
    )
    serve.add_argument(
        "--default-interval",
        type=interval,
        default=86_400,
        help="interval of sources that have none of their own (default 1d; off: only sources with one)",
    )
    add_harvest_options(serve)
    limits = serve.add_argument_group(
        "SPARQL endpoint limits", "each overrides its environment variable (docs/sparql.md); defaults in brackets"
    )
    limits.add_argument(
        "--query-timeout",
        type=float,
        help="seconds a /sparql query may run before it is stopped [5; EDUHUB_QUERY_TIMEOUT]",
    )
    limits.add_argument("--query-max-rows", type=int, help="rows or triples in one answer [100000]")
    limits.add_argument("--query-max-bytes", type=int, help="bytes in one answer [67108864]")
    limits.add_argument("--query-workers", type=int, help="queries run at once, one process each [2]")
    limits.add_argument("--query-queue", type=int, help="queries waiting for a worker before 503 too-busy [16]")
    limits.add_argument(
        "--query-max-memory", type=int, help="bytes of address space per worker process, 0 for no cap [4294967296]"
    )
    limits.add_argument(
        "--sparql-service",
        action="append",
        metavar="URL",
        help="a hub's SPARQL endpoint that SERVICE may query (repeatable; EDUHUB_SPARQL_SERVICES); "
        "no other SERVICE target is allowed",
    )
    serve.set_defaults(run=cmd_serve)

    demo = commands.add_parser(
        "demo",
        help="harvest bundled real records from a loopback OAI-PMH server, then serve the hub",
        description="Starts a replay OAI-PMH server on 127.0.0.1 with recorded real responses "
        "(Edurep LOM, MIT DSpace oai_dc), registers and harvests them into ./hub-demo (or --data), "
        "then serves the hub and prints URLs to try. Ctrl-C stops it.",
        parents=[common],
    )
    demo.add_argument("--host", default="127.0.0.1", help="interface for the hub (default 127.0.0.1)")
    demo.add_argument("--port", type=int, default=8000, help="port for the hub (default 8000)")
    demo.add_argument("--no-serve", action="store_true", help="harvest and exit without serving")
    demo.set_defaults(run=cmd_demo)

    check = commands.add_parser(
        "check",
        help="check an OAI-PMH feed before it joins: protocol, formats, a sample of records (stores nothing)",
        description="Asks the feed at BASE_URL what a harvester asks, and a few requests that must fail, and "
        "reports protocol conformance (Identify, OAI-PMH.xsd, resumption tokens, from/until, deleted records, "
        "error codes), the formats the hub reads and the one it would harvest, and what the hub would make of "
        "a sample of records (quarantine with reasons, crosswalk coverage, quality tiers, accessibility, "
        "sustainability, top problems). The sample goes through the normal pipeline in a throwaway hub in a "
        "temporary folder; --data is not touched. See docs/feed-check.md. Progress goes to stderr. "
        "Exit status: 0 no check failed, 1 some check failed, 2 the feed could not be reached (or bad usage).",
        parents=[common],
    )
    check.add_argument("base_url", metavar="BASE_URL", help="the feed's OAI-PMH base URL, e.g. https://example.org/oai")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.add_argument(
        "--sample",
        type=_sample_size,
        default=100,
        metavar="N",
        help="how many records to analyse, the first ones listed (default 100, at most 1000; 0: protocol only)",
    )
    check.add_argument("--metadata-prefix", help="sample this format (default: the one the hub would choose)")
    check.add_argument("--set", dest="set_spec", help="sample only this OAI-PMH set")
    check.add_argument(
        "--budget", type=float, default=180.0, metavar="SECONDS", help="time for the whole check (default 180)"
    )
    check.set_defaults(run=cmd_check)
    return parser


def _sample_size(text: str) -> int:
    from exchange.feedcheck import MAX_SAMPLE

    try:
        size = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= size <= MAX_SAMPLE:
        raise argparse.ArgumentTypeError(f"the sample must be 0 to {MAX_SAMPLE} records")
    return size


INTERVAL_HELP = "how often `eduhub serve` harvests it: 30m, 6h, 1d, seconds, or off (default: the hub's, 1d)"


def interval(text: str) -> int:
    """``30m``, ``6h``, ``1d``, ``90`` (seconds) or ``off`` as seconds (0 = never)."""
    text = text.strip().lower()
    if text in ("off", "never", "0"):
        return 0
    units = {"s": 1, "m": 60, "h": 3600, "d": 86_400}
    number, unit = (text[:-1], units[text[-1]]) if text and text[-1] in units else (text, 1)
    try:
        value = float(number) * unit
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an interval (30m, 6h, 1d, seconds or off)") from None
    if value < 60:
        raise argparse.ArgumentTypeError(f"{text!r} is shorter than a minute; harvesting that often is not polite")
    return int(value)


def add_harvest_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("harvesting")
    group.add_argument("--concurrency", type=int, default=4, help="sources harvested at once (default 4)")
    group.add_argument("--per-host", type=int, default=1, help="requests at once to one server (default 1)")
    group.add_argument("--delay", type=float, default=0.0, help="seconds between requests to one server (default 0)")
    group.add_argument("--timeout", type=float, default=120.0, help="seconds for one request, body included (120)")
    group.add_argument("--retries", type=int, default=4, help="retries of a failed request (default 4)")
    group.add_argument(
        "--max-wait", type=float, default=300.0, help="longest wait between tries, Retry-After included (300 s)"
    )


def harvester_of(hub: Hub, args: argparse.Namespace, progress=None):  # type: ignore[no-untyped-def]
    from harvesters.http import HostGate, RetryPolicy
    from harvesters.scheduler import Harvester

    if args.concurrency < 1 or args.per_host < 1 or args.retries < 0 or args.timeout <= 0:
        raise ConfigError("--concurrency and --per-host must be at least 1, --retries at least 0, --timeout above 0")
    policy = RetryPolicy(attempts=args.retries + 1, max_wait=args.max_wait, timeout=args.timeout)
    gate = HostGate(per_host=args.per_host, delay=args.delay)
    return Harvester(
        hub, concurrency=args.concurrency, gate=gate, policy=policy, tag=getattr(args, "tag", True), progress=progress
    )


def settings_of(args: argparse.Namespace, default_data: str | None = None) -> Settings:
    return Settings.resolve(getattr(args, "data", None) or default_data, getattr(args, "base", None))


# ---------------------------------------------------------------------- sources


def cmd_sources_add(args: argparse.Namespace) -> int:
    with Hub.open(settings_of(args)) as hub:
        source = hub.state.add_source(args.name, args.base_url, args.metadata_prefix, args.set_spec)
        if args.interval is not None:
            hub.state.update_source(source.name, harvest_interval=args.interval)
        hub.publish_sources()
    print(f"added source {source.name} ({source.base_url}); harvest it with: eduhub harvest {source.name}")
    return 0


def cmd_sources_list(args: argparse.Namespace) -> int:
    with Hub.open(settings_of(args)) as hub:
        sources = hub.state.sources()
    if args.json:
        print(json.dumps([s.to_json() for s in sources], indent=2))
        return 0
    if not sources:
        print("no sources yet; add one with: eduhub sources add NAME BASE_URL")
        return 0
    for s in sources:
        detail = ", ".join(
            part
            for part in (
                f"prefix {s.metadata_prefix or s.harvest_prefix or 'auto'}",
                f"set {s.set_spec}" if s.set_spec else "",
                f"last run {s.last_run_at} {s.last_status}" if s.last_run_at else "never harvested",
            )
            if part
        )
        print(f"{s.name}\t{s.base_url}\t{detail}")
    return 0


def cmd_sources_set(args: argparse.Namespace) -> int:
    with Hub.open(settings_of(args)) as hub:
        hub.state.source(args.name)
        hub.state.update_source(args.name, harvest_interval=args.interval)
    every = f"every {args.interval} s" if args.interval else "never (only when triggered)"
    print(f"{args.name} is harvested {every} by `eduhub serve`")
    return 0


def cmd_sources_remove(args: argparse.Namespace) -> int:
    with Hub.open(settings_of(args)) as hub:
        hub.state.source(args.name)
        graphs = hub.store.graphs(record_iri(hub.settings.base, args.name, ""))
        hub.store.write_page([], graphs, then=f"DROP SILENT GRAPH <{assessments_graph(hub.settings.base, args.name)}>")
        clusters.refresh(hub, args.name)
        publish.forget_source(hub, args.name)
        hub.state.remove_source(args.name)
        hub.publish_sources()
    print(f"removed source {args.name} and its {len(graphs)} records")
    return 0


# ---------------------------------------------------------------------- harvest


def cmd_harvest(args: argparse.Namespace) -> int:
    with Hub.open(settings_of(args)) as hub:
        if args.all:
            names = [s.name for s in hub.state.sources()]
        elif args.names:
            names = list(args.names)
            for name in names:
                hub.state.source(name)  # unknown names fail before anything is fetched
        else:
            print("eduhub harvest: name sources to harvest, or use --all", file=sys.stderr)
            return 2
        if not names:
            print("eduhub harvest: no sources registered; add one with `eduhub sources add`", file=sys.stderr)
            return 1
        args.tag = not args.no_tag
        harvester = harvester_of(hub, args, progress=_print_progress)
        try:
            summaries = harvester.run(names, full=args.full)
        except KeyboardInterrupt:  # running sources end after their current page, recorded as interrupted
            print("eduhub harvest: stopping after the pages in hand...", file=sys.stderr)
            harvester.close(wait=False)
            raise
        harvester.close()
    if args.json:
        print(json.dumps([s.to_json() for s in summaries], indent=2))
    else:
        print_summaries(summaries)
    for s in summaries:
        if s.status != "ok":
            print(f"eduhub harvest: {s.source} could not be harvested: {s.error}", file=sys.stderr)
    return 0 if all(s.status == "ok" for s in summaries) else 1


def cmd_harvests(args: argparse.Namespace) -> int:
    from exchange import runs

    with Hub.open(settings_of(args)) as hub:
        if args.name:
            hub.state.source(args.name)
        found = hub.state.runs(args.name, args.limit, status=args.status)
        base = hub.settings.base
    if args.json:
        print(json.dumps([runs.to_json(base, run) for run in found], indent=2))
        return 0
    if not found:
        print("no harvest runs yet")
        return 0
    for run in found:
        counts = f"+{run['added']} ~{run['updated']} -{run['deleted']} !{run['quarantined']}"
        line = (
            f"{run['id']}\t{run['source']}\t{run['status']}\t{run['mode']}\t{run['started_at']}\t"
            f"{run['pages']} pages\t{counts}\t{run['seconds']:.1f} s\t{run.get('trigger') or '-'}"
        )
        print(line)
        if run.get("error"):
            print(f"\terror: {run['error']}")
        for note in run.get("notes") or ():
            print(f"\tnote: {note}")
    return 0


def cmd_clusters(args: argparse.Namespace) -> int:
    with Hub.open(settings_of(args)) as hub:
        stats = clusters.rebuild(hub).to_json() if args.rebuild else None
        count, members = clusters.cluster_counts(hub)
    result = {"clusters": count, "records": members, **({"rebuild": stats} if stats else {})}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{count} clusters of the same resource in several sources, {members} records in them")
        if stats:
            print(
                f"rebuilt from {stats['records_read']} records with keys in {stats['seconds']:.1f} s", file=sys.stderr
            )
    return 0


def cmd_tokens_create(args: argparse.Namespace) -> int:
    from exchange import tokens

    with Hub.open(settings_of(args)) as hub:
        secret = tokens.create(hub.state, args.name, tuple(args.rights or tokens.RIGHTS))
    print(secret)
    print(
        f"token {args.name!r} created; it is shown only now. Send it as: Authorization: Bearer TOKEN", file=sys.stderr
    )
    return 0


def cmd_tokens_list(args: argparse.Namespace) -> int:
    from exchange import tokens

    with Hub.open(settings_of(args)) as hub:
        found = tokens.tokens(hub.state)
    if args.json:
        print(json.dumps([t.to_json() for t in found], indent=2))
        return 0
    for t in found:
        state = f"revoked {t.revoked_at}" if t.revoked_at else f"last used {t.last_used_at or 'never'}"
        print(f"{t.name}\t{','.join(t.rights)}\tcreated {t.created_at}\t{state}")
    return 0


def cmd_tokens_revoke(args: argparse.Namespace) -> int:
    from exchange import tokens

    with Hub.open(settings_of(args)) as hub:
        tokens.revoke(hub.state, args.name)
    print(f"token {args.name!r} revoked")
    return 0


def _print_progress(summary: RunSummary, page: Page) -> None:
    total = f" of {page.complete_list_size}" if page.complete_list_size else ""
    print(
        f"[{summary.source}] page {page.number}: {summary.records}{total} records "
        f"(+{summary.added} ~{summary.updated} -{summary.deleted} !{summary.quarantined})",
        file=sys.stderr,
        flush=True,
    )


def print_summaries(summaries: Sequence[RunSummary]) -> None:
    header = ("source", "status", "mode", "prefix", "added", "updated", "deleted", "quarantined", "pages", "seconds")
    rows = [header] + [
        (
            s.source,
            s.status,
            s.mode,
            s.metadata_prefix or "-",
            s.added,
            s.updated,
            s.deleted,
            s.quarantined,
            s.pages,
            f"{s.seconds:.2f}",
        )
        for s in summaries
    ]
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def cmd_quarantine(args: argparse.Namespace) -> int:
    with Hub.open(settings_of(args)) as hub:
        if args.name:
            hub.state.source(args.name)
        items = hub.state.quarantined(args.name)
    if args.json:
        print(json.dumps([vars(i) for i in items], indent=2, ensure_ascii=False))
        return 0
    if not items:
        print("no records in quarantine")
    for item in items:
        print(f"{item.source}\t{item.oai_identifier}\t{item.stage}\t{item.reason}")
    return 0


def cmd_raw(args: argparse.Namespace) -> int:
    with Hub.open(settings_of(args)) as hub:
        hub.state.source(args.name)
        found = hub.state.raw(args.name, args.identifier)
    if found is None:
        print(f"eduhub raw: no stored record {args.identifier!r} from {args.name}", file=sys.stderr)
        return 1
    print(found.xml)
    return 0


# ---------------------------------------------------------------------- assessments


def cmd_retag(args: argparse.Namespace) -> int:
    from exchange import tagging

    with Hub.open(settings_of(args)) as hub:
        names = [hub.state.source(args.source).name] if args.source else [s.name for s in hub.state.sources()]
        results = []
        for name in names:
            started = time.monotonic()
            prefix = record_iri(hub.settings.base, name, "")
            # One update per rule: a single transaction over a large source costs 3x the time and memory.
            for operation in tagging.source_operations(hub.settings.base, name, prefix, separately=True):
                hub.store.update(operation)
            publish.refresh_sets(hub, name)  # tag sets of the OAI-PMH provider
            records = len(hub.store.graphs(prefix))
            seconds = round(time.monotonic() - started, 3)
            results.append(
                {"source": name, "records": records, "rules": len(tagging.shipped_rules()), "seconds": seconds}
            )
    if args.json:
        print(json.dumps(results, indent=2))
    for result in [] if args.json else results:
        rate = result["records"] / result["seconds"] if result["seconds"] else 0
        print(
            f"{result['source']}: {result['records']} records, {result['rules']} rules, "
            f"{result['seconds']} s ({rate:,.0f} records/s)"
        )
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from exchange import reports

    with Hub.open(settings_of(args), read_only=True) as hub:
        hub.state.source(args.name)
        report = reports.source_report(hub.store, hub.settings.base, args.name)
    print(json.dumps(report, indent=2, ensure_ascii=False) if args.json else reports.render_report(report))
    return 0


# ---------------------------------------------------------------------- crosswalk report


def cmd_crosswalk_report(args: argparse.Namespace) -> int:
    from exchange import coverage

    try:
        if args.file is not None:
            if not args.file.is_file():
                print(f"eduhub crosswalk-report: no such file: {args.file}", file=sys.stderr)
                return 2
            title = str(args.file)
            report = coverage.build(coverage.items_from_file(args.file), args.crosswalk)
        else:
            title = f"source {args.source}"
            with Hub.open(settings_of(args), read_only=True) as hub:
                hub.state.source(args.source)
                report = coverage.build(coverage.items_from_source(hub.state, args.source), args.crosswalk)
    except LookupError as error:  # unknown crosswalk name
        print(f"eduhub crosswalk-report: {error}", file=sys.stderr)
        return 2
    except (ValueError, OSError) as error:  # unreadable or malformed input
        print(f"eduhub crosswalk-report: cannot read {args.file or args.source}: {error}", file=sys.stderr)
        return 1
    print(coverage.render_json(report, title) if args.json else coverage.render_text(report, title))
    return 1 if report.unexplained() else 0


# ---------------------------------------------------------------------- query and serve


def cmd_query(args: argparse.Namespace) -> int:
    from exchange import sparql

    text = sys.stdin.read() if args.sparql == "-" else args.sparql
    settings = settings_of(args)
    if not settings.store_dir.exists():
        print(f"eduhub query: no hub data in {settings.data_dir} (harvest something first)", file=sys.stderr)
        return 1
    try:
        chosen = sparql.negotiate(None, args.format)
    except sparql.FormatUnknown as error:
        print(f"eduhub query: {error}", file=sys.stderr)
        return 2
    with Hub.open(settings, read_only=True) as hub:
        try:
            result = hub.store.query(text, results_format=chosen.results_format, graph_format=chosen.graph_format)
        except SyntaxError as error:
            print(f"eduhub query: malformed query: {error}", file=sys.stderr)
            return 1
    sys.stdout.buffer.write(result.body)
    if not result.body.endswith(b"\n"):
        sys.stdout.buffer.write(b"\n")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from exchange import export

    settings = settings_of(args)
    if not settings.store_dir.exists():
        print(f"eduhub export: no hub data in {settings.data_dir} (harvest something first)", file=sys.stderr)
        return 1
    if args.page_size < 1:
        print("eduhub export: --page-size must be at least 1", file=sys.stderr)
        return 2
    compressed = args.gzip or (args.output or "").endswith(".gz")
    dump = export.Dump(args.format, args.source, gzip=compressed)

    def progress(stats: export.Stats) -> None:
        if stats.pages % 10 == 0:  # every 10 pages: 5,000 records at the default page size
            print(f"eduhub {export.render_progress(stats)}", file=sys.stderr, flush=True)

    with Hub.open(settings, read_only=True) as hub:
        try:
            stats = export.write(hub, dump, args.output, page_size=args.page_size, progress=progress)
        except export.UnknownSource as error:
            print(f"eduhub export: {error}", file=sys.stderr)
            return 2
        except OSError as error:  # the output cannot be written (broken pipes are main's)
            if isinstance(error, BrokenPipeError):
                raise
            print(f"eduhub export: cannot write {args.output}: {error}", file=sys.stderr)
            return 1
    print(f"eduhub {export.render_summary(dump, stats)}", file=sys.stderr)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from exchange.sparql import ServicePolicy
    from exchange.sparql_pool import QueryLimits
    from harvesters.scheduler import Scheduler

    limits = QueryLimits.from_env(
        timeout=args.query_timeout,
        max_rows=args.query_max_rows,
        max_bytes=args.query_max_bytes,
        workers=args.query_workers,
        queue=args.query_queue,
        max_memory=args.query_max_memory,
    )
    services = ServicePolicy.from_env()
    if args.sparql_service:
        services = ServicePolicy.of(args.sparql_service, allow_private=services.allow_private)
    with Hub.open(settings_of(args)) as hub:
        harvester = harvester_of(hub, args)
        scheduler = None if args.no_schedule else Scheduler(harvester, default_interval=args.default_interval)
        serve(
            hub, args.host, args.port, harvester=harvester, scheduler=scheduler, query_limits=limits, services=services
        )
    return 0


def serve(hub: Hub, host: str, port: int, *, harvester=None, scheduler=None, **options) -> None:  # type: ignore[no-untyped-def]
    import uvicorn

    from exchange.api import create_app

    schedule = "; sources are harvested on their intervals" if scheduler is not None else ""
    print(
        f"EduHub Exchange serving {hub.settings.data_dir} at http://{host}:{port}/{schedule} (Ctrl-C stops)",
        file=sys.stderr,
    )
    app = create_app(hub, harvester=harvester, scheduler=scheduler, **options)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def cmd_demo(args: argparse.Namespace) -> int:
    from exchange.demo.run import run_demo

    return run_demo(settings_of(args, default_data="hub-demo"), args.host, args.port, serve=not args.no_serve)


def cmd_check(args: argparse.Namespace) -> int:
    """The operator's feed check: any URL may be checked, loopback and private addresses included."""
    from exchange import feedcheck

    def progress(message: str) -> None:
        print(f"eduhub check: {message}", file=sys.stderr, flush=True)

    try:
        report = feedcheck.check_feed(
            args.base_url,
            sample=args.sample,
            metadata_prefix=args.metadata_prefix,
            set_spec=args.set_spec,
            allow_private=True,
            budget=args.budget,
            progress=progress,
        )
    except feedcheck.BadUrl as error:
        print(f"eduhub check: {error}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2, ensure_ascii=False) if args.json else feedcheck.render_text(report))
    status = feedcheck.exit_status(report)
    if status == 2:
        print(f"eduhub check: {args.base_url} could not be reached", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
