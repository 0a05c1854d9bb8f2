"""``eduhub demo``: the whole path on bundled real data, in one command."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from urllib.parse import quote

from exchange.config import Settings
from exchange.demo.replay import ReplayServer
from exchange.hub import Hub
from exchange.pipeline import harvest
from exchange.state import StateError

FEEDS = Path(__file__).resolve().parent / "feeds"
COUNT = "SELECT (COUNT(?r) AS ?n) WHERE { ?r a <http://schema.org/LearningResource> }"
EXAMPLE = """PREFIX schema: <http://schema.org/>
SELECT ?resource ?title ?source WHERE {
  ?resource a schema:LearningResource ; schema:name ?title ;
            schema:mainEntityOfPage/schema:provider/schema:name ?source .
} LIMIT 10"""


def feed_folders() -> list[Path]:
    return sorted(p for p in FEEDS.iterdir() if (p / "manifest.json").is_file())


def run_demo(settings: Settings, host: str, port: int, *, serve: bool = True) -> int:
    from exchange.cli import print_summaries
    from exchange.cli import serve as serve_hub

    if not settings.base_explicit:
        # Record IRIs, OAI-PMH baseURL and linked-data links name the address being served
        # (a data folder keeps the base it was created with, see exchange.hub._fix_base).
        settings = dataclasses.replace(settings, base=f"http://{host}:{port}")
    with ReplayServer(feed_folders()) as replay, Hub.open(settings) as hub:
        print(
            f"Replay OAI-PMH server with recorded real responses at http://{replay.host}:{replay.port}/",
            file=sys.stderr,
        )
        summaries = []
        for name in replay.feeds:
            url = replay.url(name)
            try:
                hub.state.source(name)
                hub.state.update_source(name, base_url=url)
            except StateError:
                hub.state.add_source(name, url)
            # The replay server's port changes on every run, so harvest in full each time.
            summaries.append(harvest(hub, name, full=True))
        print_summaries(summaries)
        failed = [s for s in summaries if s.status != "ok"]
        if failed:
            for s in failed:
                print(f"eduhub demo: {s.source} failed: {s.error}", file=sys.stderr)
            return 1
        count = hub.store.select(COUNT)[0]["n"]
        base = f"http://{host}:{port}"
        print(f"\n{count} learning resources in {settings.data_dir}.")
        if not serve:
            return 0
        print("Try:")
        print(f"  {base}/sparql?query={quote(COUNT)}")
        print(f"  {base}/sparql?query={quote(EXAMPLE)}&format=csv")
        print(f"  {base}/oai?verb=ListRecords&metadataPrefix=oai_dc")
        print(f"  {base}/.well-known/void")
        print(f"  {base}/dumps/")
        print(f"  {base}/docs")
        print(f"  eduhub --data {settings.data_dir} query '{COUNT}'  (in another shell, while this runs)")
        sys.stdout.flush()
        serve_hub(hub, host, port)
    return 0
