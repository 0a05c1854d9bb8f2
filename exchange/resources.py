"""Where the shipped data folders (schemas/, vocabularies/, rules/) live.

In a wheel they are copied into ``exchange/_data/``; in a source checkout (editable
install, tests) they are the top-level folders of the repository.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """Return the folder ``schemas``, ``vocabularies`` or ``rules``, wherever this install keeps it."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"data folder {name!r} is missing from this installation of eduhub-exchange")


def schema_path(filename: str) -> Path:
    return data_dir("schemas") / filename
