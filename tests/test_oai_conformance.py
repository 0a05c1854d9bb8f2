"""OAI-PMH conformance rows: one request per line, each with its expected response.

``tests/fixtures/oai_conformance/requests.jsonl`` holds one request per line (every verb,
every error code, resumption-token paths, set and date selections); ``expected/{name}.xml``
holds its response after canonicalization. A request may continue an earlier row's list with
``{token:NAME}``, replaced by the resumptionToken that row's response carried. Each response
must equal its expected file and validate against OAI-PMH.xsd (payload schemas included).

The hub: two recorded real feeds harvested from the replay server (Edurep LOM with an
incremental delta that deletes records, TU Delft oai_dc), datestamps then set to fixed values
so the rows do not depend on when they run, plus one SYNTHETIC record graph no writer can
express (a graph another program wrote into a shared store) for noMetadataFormats.

Canonical form: C14N 2.0 without comments; responseDate, resumptionToken text (and the
request's echo of it), expirationDate and the replay server's port replaced by fixed text.
Regenerate after a deliberate change, and review:

    python -m tests.test_oai_conformance --update     # then: git diff tests/fixtures/oai_conformance/
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from lxml import etree

from exchange.config import Settings
from exchange.demo.replay import ReplayServer
from exchange.hub import Hub
from exchange.pipeline import harvest
from exchange.provider.log import Change
from exchange.provider.protocol import Provider, respond
from exchange.store import GraphWrite
from tests.conftest import OAI_FEEDS
from tests.oai_xsd import problems

FOLDER = Path(__file__).parent / "fixtures" / "oai_conformance"
ROWS = FOLDER / "requests.jsonl"
EXPECTED = FOLDER / "expected"
OAI = "{http://www.openarchives.org/OAI/2.0/}"
PAGE = 5
#: datestamps the hub's items get, in item order, cycling (so date selections have something to cut)
STAMPS = ("2026-01-05T08:00:00Z", "2026-01-05T08:00:00Z", "2026-01-06T12:30:00Z", "2026-02-01T00:00:01Z")
UNREADABLE = "synthetic/unreadable"


def rows() -> list[dict]:
    return [json.loads(line) for line in ROWS.read_text(encoding="utf-8").splitlines() if line.strip()]


def build_hub(folder: Path) -> Hub:
    hub = Hub.open(Settings(data_dir=folder, base="http://hub.test"))
    with ReplayServer([OAI_FEEDS / "edurep", OAI_FEEDS / "tudelft"]) as replay:
        for feed in ("edurep", "tudelft"):
            hub.state.add_source(feed, replay.url(feed))
            assert harvest(hub, feed).status == "ok"
        assert harvest(hub, "edurep").deleted > 0  # incremental: the delta page deletes records
    graph = f"{hub.settings.base}/resources/{UNREADABLE}"
    hub.store.write_page([GraphWrite(graph, [f"<{graph}> <http://example.org/unknown> <http://example.org/x> ."])])
    with hub.state.transaction():
        hub.publication.apply([Change(UNREADABLE, "synthetic", "x", frozenset({"source:synthetic"}))], STAMPS[0])
        items = [row[0] for row in hub.publication.db.execute("SELECT item FROM oai_items ORDER BY item")]
        for number, item in enumerate(items):
            hub.publication.db.execute(
                "UPDATE oai_items SET datestamp = ? WHERE item = ?", (STAMPS[number % len(STAMPS)], item)
            )
    return hub


def canonical(document: bytes) -> str:
    root = etree.fromstring(document)
    root.find(f"{OAI}responseDate").text = "RESPONSE-DATE"
    for token in root.iter(f"{OAI}resumptionToken"):
        if token.text:
            token.text = "TOKEN"
        if token.get("expirationDate"):
            token.set("expirationDate", "EXPIRATION-DATE")
    request = root.find(f"{OAI}request")
    if request.get("resumptionToken"):
        request.set("resumptionToken", "TOKEN")
    text = etree.tostring(root, method="c14n2", strip_text=True).decode()
    text = re.sub(r"//127\.0\.0\.1:\d+/", "//127.0.0.1:PORT/", text)  # the replay server's port, in source URLs
    # one element per line, so a failing row shows a readable diff
    return re.sub(r"><", ">\n<", text) + "\n"


def answers(hub: Hub) -> Iterator[tuple[dict, bytes]]:
    """Each row with the hub's raw response, token references resolved in order."""
    issued: dict[str, str] = {}
    for row in rows():
        query = re.sub(r"\{token:([^}]+)\}", lambda m: issued[m.group(1)], row["query"])
        provider = Provider(hub, records_per_page=PAGE, headers_per_page=PAGE, **row.get("provider", {}))
        body = respond(provider, parse_qsl(query, keep_blank_values=True))
        token = etree.fromstring(body).find(f".//{OAI}resumptionToken")
        if token is not None and token.text:
            issued[row["name"]] = token.text
        yield row, body


@pytest.fixture(scope="module")
def responses(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    with build_hub(tmp_path_factory.mktemp("conformance") / "hub") as hub:
        return {row["name"]: body for row, body in answers(hub)}


def test_rows_cover_every_verb_and_error_code() -> None:
    texts = {path.stem: path.read_text(encoding="utf-8") for path in EXPECTED.glob("*.xml")}
    assert {row["name"] for row in rows()} == set(texts)
    codes = {code for text in texts.values() for code in re.findall(r'<error code="([A-Za-z]+)"', text)}
    assert codes == {
        "badArgument",
        "badResumptionToken",
        "badVerb",
        "cannotDisseminateFormat",
        "idDoesNotExist",
        "noMetadataFormats",
        "noRecordsMatch",
        "noSetHierarchy",
    }
    verbs = {verb for text in texts.values() for verb in re.findall(r'<request [^>]*verb="([A-Za-z]+)"', text)}
    assert verbs == {"Identify", "ListMetadataFormats", "ListSets", "GetRecord", "ListIdentifiers", "ListRecords"}


@pytest.mark.parametrize("name", [row["name"] for row in rows()])
def test_row(responses: dict[str, bytes], name: str) -> None:
    body = responses[name]
    assert not problems(body), "\n".join(problems(body))
    assert canonical(body) == (EXPECTED / f"{name}.xml").read_text(encoding="utf-8")


def update(folder: Path) -> None:
    EXPECTED.mkdir(parents=True, exist_ok=True)
    for old in EXPECTED.glob("*.xml"):
        old.unlink()
    with build_hub(folder) as hub:
        for row, body in answers(hub):
            (EXPECTED / f"{row['name']}.xml").write_text(canonical(body), encoding="utf-8")
            print(row["name"])


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python -m tests.test_oai_conformance --update")
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        update(Path(scratch) / "hub")
