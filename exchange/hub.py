"""One open hub: its settings, its store and its operational state, opened together."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from exchange.config import ConfigError, Settings
from exchange.model import source_iri
from exchange.model.rdf import literal
from exchange.namespaces import RDF_TYPE, SCHEMA
from exchange.normalize import web_url
from exchange.state import HubState
from exchange.store import GraphWrite, Store, open_store
from exchange.vocabularies import schemes


@dataclass
class Hub:
    settings: Settings
    store: Store
    state: HubState

    @classmethod
    def open(cls, settings: Settings, *, read_only: bool = False) -> Hub:
        state = HubState(settings.state_path)
        try:
            base = _fix_base(state, settings)
            settings = Settings(data_dir=settings.data_dir, base=base, base_explicit=settings.base_explicit)
            store = open_store(settings.store_dir, read_only=read_only)
        except Exception:
            state.close()
            raise
        hub = cls(settings=settings, store=store, state=state)
        if not read_only:
            hub.load_vocabularies()
        return hub

    def close(self) -> None:
        self.store.close()
        self.state.close()

    def __enter__(self) -> Hub:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def sources_graph(self) -> str:
        """The graph describing the registered sources (record graphs link to these nodes)."""
        return f"{self.settings.base}/sources"

    def publish_sources(self) -> None:
        """Write the source registry into the store: each source a ``schema:Service`` with its
        name and OAI-PMH base URL. Called whenever the registry or a harvest changes it."""
        lines = []
        for source in self.state.sources():
            node = f"<{source_iri(self.settings.base, source.name)}>"
            lines.append(f"{node} <{RDF_TYPE}> <{SCHEMA}Service> .")
            lines.append(f"{node} <{SCHEMA}name> {literal(source.name)} .")
            if web_url(source.base_url):
                lines.append(f"{node} <{SCHEMA}url> <{source.base_url}> .")
        # A put with no lines just drops the graph (the last source was removed).
        self.store.write_page([GraphWrite(self.sources_graph, lines)])

    def load_vocabularies(self) -> list[str]:
        """Load each shipped concept scheme into the graph named by its IRI, when it changed."""
        loaded = []
        for iri, scheme in schemes().items():
            digest = hashlib.sha256(scheme.path.read_bytes()).hexdigest()
            key = f"vocabulary:{iri}"
            if self.state.setting(key) == digest and self.store.has_graph(iri):
                continue
            self.store.replace_graph_from_file(iri, scheme.path, "text/turtle")
            self.state.set_setting(key, digest)
            loaded.append(iri)
        return loaded


def _fix_base(state: HubState, settings: Settings) -> str:
    """The base IRI is fixed by the first command that opens a data folder: record IRIs depend on it."""
    stored = state.setting("base")
    if stored is None:
        state.set_setting("base", settings.base)
        return settings.base
    if settings.base != stored and settings.base_explicit:
        raise ConfigError(
            f"{settings.data_dir} was created with base IRI {stored}; record IRIs depend on it, "
            f"so it cannot change to {settings.base} (use another --data folder)"
        )
    return stored
