"""Shared fixtures: a replay OAI-PMH server of recorded real responses, a hub in a temp
folder, and the hub's own app served by uvicorn on 127.0.0.1 (real HTTP, no mocks)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from exchange.api import create_app
from exchange.config import Settings
from exchange.demo.replay import ReplayServer
from exchange.hub import Hub
from exchange.provider.protocol import Provider
from harvesters.scheduler import Harvester

FIXTURES = Path(__file__).parent / "fixtures"
OAI_FEEDS = FIXTURES / "oai"
BASE = "http://hub.test"


@pytest.fixture
def replay() -> Iterator[ReplayServer]:
    """All recorded feeds under tests/fixtures/oai, served fresh for each test."""
    with ReplayServer(sorted(p for p in OAI_FEEDS.iterdir() if (p / "manifest.json").exists())) as server:
        yield server


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "hub", base=BASE)


@pytest.fixture
def hub(settings: Settings) -> Iterator[Hub]:
    with Hub.open(settings) as opened:
        yield opened


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """The hub app under uvicorn in a thread, on a free loopback port."""

    def __init__(
        self, hub: Hub, provider: Provider | None = None, harvester: Harvester | None = None, **options: Any
    ) -> None:
        self.port = free_port()
        app = create_app(hub, provider, harvester, **options)
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live(hub: Hub) -> Iterator[LiveServer]:
    with LiveServer(hub) as server:
        yield server


def sparql_count(url: str, where: str = "?r a <http://schema.org/LearningResource>") -> int:
    """Count over HTTP through /sparql, as any client would."""
    query = f"SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE {{ {where} }}"
    response = httpx.get(
        f"{url}/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    response.raise_for_status()
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


class Listener:
    """A TCP port on 127.0.0.1 where a hostile document points: it accepts and closes every
    connection at once (so nothing can hang on it) and records each one."""

    def __enter__(self) -> Listener:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.seen: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self._record(conn)

    def _record(self, conn: socket.socket) -> None:
        conn.settimeout(0.2)
        try:
            self.seen.append(conn.recv(200))
        except OSError:
            self.seen.append(b"")
        conn.close()

    def connections(self) -> list[bytes]:
        """Every connection so far, those still waiting in the backlog included."""
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.setblocking(False)
        while True:
            try:
                conn, _ = self.sock.accept()
            except (BlockingIOError, OSError):
                break
            self._record(conn)
        return self.seen

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()
