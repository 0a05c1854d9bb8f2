"""The Store seam: one protocol, backends found by name.

Protocol code (harvest pipeline, SPARQL endpoint, later OAI-PMH and search) talks to
:class:`Store` only. ``open_store`` picks a backend from a location: a folder path (or
``oxigraph:PATH``) is the embedded pyoxigraph store; further kinds register in
``BACKENDS`` and an unknown kind fails loudly.
"""

from exchange.store.base import (
    GraphWrite,
    QueryKind,
    QueryResult,
    Store,
    StoreBusy,
    StoreError,
    update_for_page,
)
from exchange.store.registry import BACKENDS, open_store

__all__ = [
    "BACKENDS",
    "GraphWrite",
    "QueryKind",
    "QueryResult",
    "Store",
    "StoreBusy",
    "StoreError",
    "open_store",
    "update_for_page",
]
