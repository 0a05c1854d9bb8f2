"""The feed checker (`eduhub check`, `POST /api/feed-check`, `/feed-check`) against real HTTP servers
on 127.0.0.1: the replay server with recorded real feeds (tests/fixtures/oai), the hub's own
OAI-PMH provider, and small servers that misbehave on purpose. No mocks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from exchange import feedcheck
from exchange.api import create_app
from exchange.cli import main
from exchange.config import Settings
from exchange.demo.replay import ReplayServer
from exchange.hub import Hub
from exchange.pipeline import harvest
from exchange.provider.protocol import Provider
from tests.conftest import BASE, OAI_FEEDS, LiveServer, free_port

EDUHUB = str(Path(sys.executable).parent / "eduhub")
MALFORMED_ID = "surfsharekit:oai:surfsharekit.nl:b500d389-2fda-4696-ae51-9cd0603a48af"


def check(report: dict[str, Any], check_id: str) -> dict[str, Any]:
    """One check of a report by id (fails the test if it was not run)."""
    found = [c for c in report["checks"] if c["id"] == check_id]
    assert found, f"{check_id} not in report; skipped: {report['skipped']}"
    return found[0]


class HubServer(LiveServer):
    """The hub app on a port chosen before the hub is opened, so the hub's base IRI, and the
    baseURL its Identify announces, is the address the checker asks."""

    def __init__(self, hub: Hub, port: int, provider: Provider | None = None) -> None:
        self.port = port
        config = uvicorn.Config(create_app(hub, provider), host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)


@pytest.fixture(scope="module")
def own_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The hub's own OAI-PMH provider holding two real feeds, four records per page."""
    port = free_port()
    settings = Settings(data_dir=tmp_path_factory.mktemp("feedcheck") / "hub", base=f"http://127.0.0.1:{port}")
    with ReplayServer([OAI_FEEDS / "edurep", OAI_FEEDS / "tudelft"]) as replay, Hub.open(settings) as hub:
        for feed in ("edurep", "tudelft"):
            hub.state.add_source(feed, replay.url(feed))
            assert harvest(hub, feed).status == "ok"
        with HubServer(hub, port, Provider(hub, records_per_page=4)) as live:
            yield f"{live.url}/oai"


@pytest.fixture
def open_hub(tmp_path: Path) -> Iterator[Hub]:
    """A hub whose feed-check endpoint may fetch private addresses (the replay server is on loopback)."""
    with Hub.open(Settings(data_dir=tmp_path / "open", base=BASE, feedcheck_allow_private=True)) as opened:
        yield opened


# ---------------------------------------------------------------------- the hub's own provider


def test_the_hubs_own_provider_passes_every_check(own_provider: str) -> None:
    report = feedcheck.check_feed(own_provider)
    failing = [c for c in report["checks"] if c["status"] != "pass"]
    assert not failing, json.dumps(failing, indent=1)
    assert report["skipped"] == []
    assert {c["id"] for c in report["checks"]} == set(feedcheck.CHECKS)
    assert report["summary"] == {"pass": len(feedcheck.CHECKS), "warn": 0, "fail": 0}
    assert feedcheck.exit_status(report) == 0
    # the richest format, read back by the hub's own crosswalk; every record of both feeds stored
    assert report["chosen_format"] == "eduhub"
    assert {f["prefix"]: f["readable"] for f in report["formats"]} == {"oai_dc": True, "lom": True, "eduhub": True}
    sample = report["sample"]
    assert sample["pages"] == 5 and sample["records"] == 17  # 11 Edurep + 6 TU Delft records, 4 per page
    assert sample["stored"] == 17 and sample["quarantined"] == []
    # the payloads were validated against the native format's schema, not waved through
    assert "oai-native" in check(report, "payload-schemas")["message"]
    assert "cursor and completeListSize are consistent" in check(report, "resumption-token")["message"]
    # tiers, accessibility and sustainability come from the assessment rules run in the throwaway hub
    assert sum(t["records"] for t in sample["tiers"].values()) == 17
    assert sample["accessibility"]["metadata"]["none"]["records"] == 17
    assert sample["sustainability"]["open-licence"]["records"] == 8
    licence = next(p for p in sample["problems"] if p["problem"] == "Licence missing")
    assert (
        "oai:h127-0-0-1.eduhub.invalid:edurep/surfsharekit:oai:surfsharekit.nl:wrong-copyright" in licence["examples"]
    )


def test_pages_and_sample_are_bounded(own_provider: str) -> None:
    few = feedcheck.check_feed(own_provider, sample=3)
    assert few["sample"]["records"] == 3 and few["sample"]["stored"] == 3
    assert few["sample"]["pages"] == feedcheck.PROTOCOL_PAGES  # tokens are still followed a few pages
    capped = feedcheck.check_feed(own_provider, sample=100, max_pages=2)
    assert capped["sample"]["pages"] == 2 and capped["sample"]["records"] == 8
    assert "stopped after 2 pages" in check(capped, "list-records")["message"]
    protocol_only = feedcheck.check_feed(own_provider, sample=0)
    assert protocol_only["sample"]["records"] == 0 and protocol_only["summary"]["fail"] == 0


# ---------------------------------------------------------------------- recorded real feeds


def test_edurep_formats_sample_and_unrecorded_requests(replay: ReplayServer) -> None:
    report = feedcheck.check_feed(replay.url("edurep"))
    formats = {f["prefix"]: f for f in report["formats"]}
    assert formats["lom"]["readable"] and formats["lom"]["crosswalk"] == "imsmd"
    assert formats["oai_dc"]["readable"] and formats["oai_dc"]["crosswalk"] == "oai_dc"
    assert report["chosen_format"] == "lom" and formats["lom"]["chosen"] and not formats["oai_dc"]["chosen"]
    assert check(report, "metadata-formats")["status"] == "pass"
    assert check(report, "token-reissue")["status"] == "pass"
    assert check(report, "deleted-records")["status"] == "pass"  # persistent, one deleted header
    sample = report["sample"]
    assert (sample["records"], sample["deleted"], sample["stored"]) == (12, 1, 11)
    assert {"Licence missing", "Missing URL"} <= {p["problem"] for p in sample["problems"]}
    # requests the recording does not hold are answered 404 by the replay server: failed checks, no crash
    no_verb = check(report, "no-verb")
    assert no_verb["status"] == "fail" and "HTTP 404" in no_verb["message"]
    assert check(report, "well-formed")["status"] == "fail"
    assert feedcheck.exit_status(report) == 1


def test_zenodo_422_is_a_warning_naming_the_status_and_the_error_is_still_read(replay: ReplayServer) -> None:
    report = feedcheck.check_feed(replay.url("zenodo-422"))
    status = check(report, "error-http-status")
    assert status["status"] == "warn" and "HTTP 422" in status["message"]
    assert all(item["status"] == 422 for item in status["evidence"])
    # the OAI error inside the 422 is read: Zenodo says badArgument where cannotDisseminateFormat is due
    unknown = check(report, "unknown-format")
    assert unknown["status"] == "warn" and "badArgument" in unknown["message"]
    listing = check(report, "list-records")
    assert listing["status"] == "warn" and "noRecordsMatch" in listing["message"]
    assert report["sample"]["records"] == 0 and report["sample"]["skipped"]
    # the hub would harvest DataCite, not MARC or DCAT
    assert report["chosen_format"] == "datacite"
    assert {f["prefix"] for f in report["formats"] if not f["readable"]} == {"marcxml", "marc21", "dcat"}


def test_zenodo_declares_no_deletions_but_sends_one_and_ends_without_a_token(replay: ReplayServer) -> None:
    report = feedcheck.check_feed(replay.url("zenodo"), metadata_prefix="oai_dc")
    deleted = check(report, "deleted-records")
    assert deleted["status"] == "fail" and "'no'" in deleted["message"] and deleted["evidence"]
    tokens = check(report, "resumption-token")
    assert tokens["status"] == "warn" and "no resumptionToken element" in tokens["message"]
    base = check(report, "base-url")
    assert base["status"] == "warn" and "https://zenodo.org/oai2d" in base["message"]


def test_tudelft_final_token_of_whitespace_is_a_warning(replay: ReplayServer) -> None:
    report = feedcheck.check_feed(replay.url("tudelft"))
    tokens = check(report, "resumption-token")
    assert tokens["status"] == "warn" and "whitespace" in tokens["message"]
    assert report["sample"]["stored"] == 6


def test_librecat_single_page_list_with_empty_token(replay: ReplayServer) -> None:
    report = feedcheck.check_feed(replay.url("librecat"), metadata_prefix="oai_dc", set_spec="patent")
    assert check(report, "resumption-token")["status"] == "pass"
    assert "token-reissue" in {s["id"] for s in report["skipped"]}
    assert report["sample"]["records"] == 94 and report["sample"]["pages"] == 1


def test_a_malformed_record_is_listed_with_its_identifier(replay: ReplayServer) -> None:
    report = feedcheck.check_feed(replay.url("malformed-record"))
    sample = report["sample"]
    assert sample["stored"] == 2
    assert [(q["identifier"], q["stage"]) for q in sample["quarantined"]] == [(MALFORMED_ID, "parse")]
    assert "bogus" in sample["quarantined"][0]["reason"]
    problem = next(p for p in sample["problems"] if p["problem"].startswith("quarantined (parse)"))
    assert problem["count"] == 1 and problem["examples"] == [MALFORMED_ID]
    assert check(report, "sample-records")["status"] == "warn"
    assert check(report, "list-records")["status"] == "warn"  # page read record by record
    assert check(report, "well-formed")["status"] == "fail"


def test_schema_problems_in_the_envelope_and_in_payloads_are_told_apart(replay: ReplayServer) -> None:
    report = feedcheck.check_feed(replay.url("sickle-missing-identifier"))
    envelope = check(report, "xsd")
    assert envelope["status"] == "fail" and "identifier" in envelope["evidence"][0]["message"]
    payload = check(report, "payload-schemas")
    assert payload["status"] == "warn"
    assert payload["evidence"][0]["namespace"] == "http://www.openarchives.org/OAI/2.0/oai_dc/"
    # LOM in the IMS namespace has no local schema: named as not checked, not as invalid
    edurep = feedcheck.check_feed(replay.url("edurep"), sample=0)
    unchecked = check(edurep, "payload-schemas")
    assert unchecked["status"] == "pass" and "not checked" in unchecked["message"]
    assert "http://www.imsglobal.org/xsd/imsmd_v1p2" in unchecked["message"]


# ---------------------------------------------------------------------- misbehaving servers


class Misbehaving:
    """A loopback server whose every answer is ``answer(handler)``; ``arrived`` is set at the first request."""

    def __init__(self, answer: Any) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.arrived.set()
                answer(self, outer)

            do_POST = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/oai"

    def __enter__(self) -> Misbehaving:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def _hang(handler: BaseHTTPRequestHandler, server: Misbehaving) -> None:
    server.release.wait(60)
    handler.send_response(404)
    handler.send_header("Content-Length", "0")
    handler.end_headers()


def _redirect_to_file(handler: BaseHTTPRequestHandler, _: Misbehaving) -> None:
    handler.send_response(302)
    handler.send_header("Location", "file:///etc/passwd")
    handler.send_header("Content-Length", "0")
    handler.end_headers()


def test_a_hung_server_ends_the_check_as_unreachable() -> None:
    with Misbehaving(_hang) as server:
        report = feedcheck.check_feed(server.url, budget=1.0)
    assert report["reachable"] is False
    assert check(report, "identify")["status"] == "fail"
    assert {s["id"] for s in report["skipped"]} >= {"metadata-formats", "list-records", "no-verb"}
    assert feedcheck.exit_status(report) == 2


def test_redirects_are_guarded_like_the_url_given() -> None:
    with Misbehaving(_redirect_to_file) as server:
        report = feedcheck.check_feed(server.url, sample=0)
    identify = check(report, "identify")
    assert identify["status"] == "fail" and "redirect refused" in identify["message"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/oai",
        "http://localhost/oai",
        "http://[::1]/oai",
        "http://[::ffff:127.0.0.1]/oai",
        "http://10.1.2.3/oai",
        "http://192.168.0.1/oai",
        "http://169.254.169.254/latest/meta-data",
        "http://0.0.0.0/oai",
    ],
)
def test_private_loopback_and_link_local_addresses_are_refused(url: str) -> None:
    with pytest.raises(feedcheck.AddressNotAllowed):
        feedcheck.guard_url(url, allow_private=False)
    feedcheck.guard_url(url, allow_private=True)  # the operator's CLI may check them


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://example.org/", "http://user:secret@example.org/oai"])
def test_urls_that_are_not_plain_http_are_refused(url: str) -> None:
    with pytest.raises(feedcheck.BadUrl):
        feedcheck.guard_url(url, allow_private=True)


def test_a_public_address_passes_the_guard() -> None:
    feedcheck.guard_url("https://93.184.215.14/oai", allow_private=False)  # an IP literal: no DNS needed


# ---------------------------------------------------------------------- HTTP API and page


def test_api_refuses_bad_and_loopback_urls_in_the_error_shape(hub: Hub, replay: ReplayServer) -> None:
    with LiveServer(hub) as live:
        bad = httpx.post(f"{live.url}/api/feed-check", json={"url": "ftp://example.org/oai"})
        assert bad.status_code == 400
        assert bad.json()["error"]["status"] == 400 and bad.json()["error"]["code"] == "bad-url"
        assert set(bad.json()) == {"error"} and set(bad.json()["error"]) == {"status", "code", "message"}
        loopback = httpx.post(f"{live.url}/api/feed-check", json={"url": replay.url("edurep")})
        assert loopback.status_code == 403
        assert loopback.json()["error"]["code"] == "address-not-allowed"
        assert "loopback" in loopback.json()["error"]["message"]
        too_many = httpx.post(f"{live.url}/api/feed-check", json={"url": "https://example.org/oai", "sample": 10_000})
        assert too_many.status_code == 400 and too_many.json()["error"]["code"] == "bad-parameter"
        missing = httpx.post(f"{live.url}/api/feed-check", json={})
        assert missing.status_code == 400
    assert replay.requests == []  # nothing was fetched for a refused URL


def test_allow_private_setting_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EDUHUB_FEEDCHECK_ALLOW_PRIVATE", raising=False)
    assert Settings.resolve().feedcheck_allow_private is False
    monkeypatch.setenv("EDUHUB_FEEDCHECK_ALLOW_PRIVATE", "1")
    assert Settings.resolve().feedcheck_allow_private is True


def test_api_checks_a_feed_and_stores_nothing(open_hub: Hub, replay: ReplayServer) -> None:
    with LiveServer(open_hub) as live:
        response = httpx.post(
            f"{live.url}/api/feed-check",
            json={"url": replay.url("tudelft"), "sample": 4, "metadata_prefix": "oai_dc"},
            timeout=120,
        )
        assert response.status_code == 200
        report = response.json()
        assert report["base_url"] == replay.url("tudelft") and report["checked_at"].endswith("Z")
        assert report["chosen_format"] == "oai_dc" and report["sample"]["records"] == 4
        assert set(report["summary"]) == {"pass", "warn", "fail"}
        assert all(set(c) >= {"id", "title", "status", "message"} for c in report["checks"])
        schema = httpx.get(f"{live.url}/openapi.json").json()
        body = schema["components"]["schemas"]["FeedCheckRequest"]["properties"]
        assert {"url", "sample", "metadata_prefix", "set"} <= set(body)
        assert all(body[name].get("description") for name in ("url", "sample", "metadata_prefix", "set"))
    assert open_hub.state.sources() == []
    assert open_hub.store.graphs(f"{BASE}/resources/") == []


def test_api_runs_one_check_at_a_time(open_hub: Hub) -> None:
    with Misbehaving(_hang) as slow, LiveServer(open_hub) as live:
        first: dict[str, httpx.Response] = {}
        thread = threading.Thread(
            target=lambda: first.update(
                response=httpx.post(f"{live.url}/api/feed-check", json={"url": slow.url, "sample": 0}, timeout=120)
            )
        )
        thread.start()
        assert slow.arrived.wait(30)  # the first check is waiting on the slow feed
        busy = httpx.post(f"{live.url}/api/feed-check", json={"url": slow.url})
        assert busy.status_code == 429
        assert busy.json()["error"]["code"] == "busy" and busy.headers["retry-after"]
        slow.release.set()
        thread.join(120)
    assert first["response"].status_code == 200


def test_page_form_and_report_escape_what_the_feed_sends(open_hub: Hub, replay: ReplayServer) -> None:
    with LiveServer(open_hub) as live:
        form = httpx.get(f"{live.url}/feed-check")
        assert form.status_code == 200 and form.headers["content-type"].startswith("text/html")
        assert '<label for="fc-url">' in form.text and 'id="fc-url"' in form.text
        assert 'href="/feed-check"' in httpx.get(f"{live.url}/").text
        page = httpx.post(f"{live.url}/feed-check", data={"url": replay.url("feedcheck-script"), "sample": "10"})
        assert page.status_code == 200
        assert "<script" not in page.text.lower()
        assert "&lt;script&gt;alert(&#x27;repositoryName&#x27;)&lt;/script&gt;" in page.text
        assert "oai:synthetic.example:&lt;script&gt;alert(&#x27;identifier&#x27;)&lt;/script&gt;" in page.text
        refused = httpx.post(f"{live.url}/feed-check", data={"url": "javascript:alert(1)"})
        assert refused.status_code == 400 and 'role="alert"' in refused.text
        assert "<script" not in refused.text.lower()


# ---------------------------------------------------------------------- CLI


def test_cli_exit_statuses(own_provider: str, replay: ReplayServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", own_provider, "--sample", "5"]) == 0
    out = capsys.readouterr()
    assert "Result: 26 passed, 0 warnings, 0 failed" in out.out
    assert "Identify\n  PASS  Identify answers" in out.out and "eduhub check: ListRecords page 1" in out.err

    assert main(["check", replay.url("malformed-record"), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [q["identifier"] for q in report["sample"]["quarantined"]] == [MALFORMED_ID]

    assert main(["check", f"http://127.0.0.1:{free_port()}/oai"]) == 2  # nothing listens there
    assert "could not be reached" in capsys.readouterr().err
    assert main(["check", "ftp://example.org/oai"]) == 2
    assert "only http and https" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["check", own_provider, "--sample", "5000"])
    assert usage.value.code == 2


def test_cli_as_a_subprocess(own_provider: str, tmp_path: Path) -> None:
    env = {**os.environ, "EDUHUB_DATA": str(tmp_path / "untouched")}
    result = subprocess.run(
        [EDUHUB, "check", own_provider, "--json", "--sample", "2"], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["summary"]["fail"] == 0
    assert not (tmp_path / "untouched").exists()  # the check never opens the user's hub
