"""Store backends by kind; ``open_store`` reads a location such as ``./hub-data/store``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from exchange.store.base import Store, StoreError
from exchange.store.embedded import EmbeddedStore


def _embedded(location: str, read_only: bool) -> Store:
    return EmbeddedStore(Path(location) if location != ":memory:" else None, read_only=read_only)


#: kind → factory(location, read_only). A location ``kind:rest`` selects ``kind``; a bare path is embedded.
BACKENDS: dict[str, Callable[[str, bool], Store]] = {"oxigraph": _embedded}


def open_store(location: str | Path, *, read_only: bool = False) -> Store:
    text = str(location)
    kind, sep, rest = text.partition(":")
    if sep and kind in BACKENDS:
        return BACKENDS[kind](rest, read_only)
    if sep and len(kind) > 1 and "/" not in kind and "\\" not in kind and kind != ":memory":
        raise StoreError(f"unknown store kind {kind!r} in {text!r}; known: {', '.join(sorted(BACKENDS))}")
    return _embedded(text, read_only)
