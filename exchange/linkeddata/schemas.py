"""The shipped schemas/ folder over HTTP: its files by exact name, and the hub's JSON-LD context."""

from __future__ import annotations

from pathlib import Path

from exchange.resources import data_dir

_SCHEMA_MEDIA = {
    ".jsonld": "application/ld+json",
    ".json": "application/schema+json",
    ".xsd": "application/xml",
}


def schema_file(name: str) -> tuple[Path, str] | None:
    """A file of the shipped schemas/ folder by its exact name, with its media type; None for
    anything else (other folders, ``..``, hidden files): the name is looked up, never joined."""
    folder = data_dir("schemas")
    files = {p.name: p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")}
    path = files.get(name)
    if path is None:
        return None
    media = next((m for suffix, m in _SCHEMA_MEDIA.items() if name.endswith(suffix)), "application/octet-stream")
    return path, media


def schema_files() -> list[str]:
    folder = data_dir("schemas")
    return sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def context_document() -> bytes:
    return data_dir("schemas").joinpath("hub-context.jsonld").read_bytes()
