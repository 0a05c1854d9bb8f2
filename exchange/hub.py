"""One open hub: its settings, its store and its operational state, opened together."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field

from exchange.config import ConfigError, Settings
from exchange.model import source_iri
from exchange.model.rdf import literal
from exchange.namespaces import RDF_TYPE, SCHEMA
from exchange.normalize import web_url
from exchange.provider.log import PublicationLog
from exchange.state import HubState
from exchange.store import GraphWrite, Store, open_store
from exchange.vocabularies import Index
from exchange.vocabularies import index as vocabulary_index

#: State setting holding {graph IRI: sha256 of the file} of the vocabulary graphs in the store.
VOCABULARY_GRAPHS_SETTING = "vocabulary-graphs"


@dataclass
class Hub:
    settings: Settings
    store: Store
    state: HubState

    @classmethod
    def open(cls, settings: Settings, *, read_only: bool = False) -> Hub:
        if read_only and not settings.state_path.exists():  # reading must not create a hub
            raise ConfigError(f"{settings.data_dir} holds no hub (no {settings.state_path.name}); check --data")
        state = HubState(settings.state_path)
        try:
            base = _fix_base(state, settings)
            settings = dataclasses.replace(settings, base=base)
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

    #: what the OAI-PMH provider serves: datestamps, tombstones and sets (in the state's SQLite file)
    publication: PublicationLog = field(init=False)

    def __post_init__(self) -> None:
        self.publication = PublicationLog(lambda: self.state.db)

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

    def load_vocabularies(self, vocabularies: Index | None = None) -> list[str]:
        """Load each vocabulary file into its named graph (see :class:`VocabularyFile`) when the file
        changed, and drop the graphs of files that are gone. Returns the graphs (re)loaded.

        The digests of what was loaded are kept in one state setting, so a removed or renamed
        file is noticed: its graph is not in the current index but is in that setting. Graphs
        about to be written are recorded first (without digest), so a crash in between leaves
        them to be reloaded or dropped next time, never orphaned."""
        files = (vocabularies or vocabulary_index()).files
        loaded: dict[str, str] = json.loads(self.state.setting(VOCABULARY_GRAPHS_SETTING) or "{}")
        current = {file.graph: hashlib.sha256(file.path.read_bytes()).hexdigest() for file in files}
        stale = [f for f in files if loaded.get(f.graph) != current[f.graph] or not self.store.has_graph(f.graph)]
        gone = sorted(set(loaded) - set(current))
        if not stale and not gone:
            return []
        pending = {**loaded, **{file.graph: "" for file in stale}}
        self.state.set_setting(VOCABULARY_GRAPHS_SETTING, json.dumps(pending, sort_keys=True))
        for file in stale:
            self.store.replace_graph_from_file(file.graph, file.path, "text/turtle")
        if gone:
            self.store.write_page([], deletes=gone)
        self.state.set_setting(VOCABULARY_GRAPHS_SETTING, json.dumps(current, sort_keys=True))
        return [file.graph for file in stale]


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
