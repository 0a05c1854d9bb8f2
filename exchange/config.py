"""Hub settings: where the data lives and which base IRI names its records.

Precedence: command-line flag, then environment (``EDUHUB_DATA``, ``EDUHUB_BASE``,
``EDUHUB_ADMIN_EMAIL``, ``EDUHUB_NAME``, ``EDUHUB_FEEDCHECK_ALLOW_PRIVATE``,
``EDUHUB_MAX_BODY_BYTES``, ``EDUHUB_MAX_URL_BYTES``), then the default. The base IRI is fixed
when a data folder is first created, because every record IRI (and named graph) is built from it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_DATA = "hub-data"
DEFAULT_BASE = "http://127.0.0.1:8000"


class ConfigError(ValueError):
    """A setting is missing or malformed; the message says which and why."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    base: str
    #: True when the base came from a flag or the environment, not the default
    base_explicit: bool = False
    #: who answers for the hub (OAI-PMH Identify adminEmail)
    admin_email: str = "admin@example.org"
    #: the hub's name (OAI-PMH Identify repositoryName, dataset titles)
    name: str = "EduHub Exchange"
    #: whether ``POST /api/feed-check`` may fetch URLs whose host is private, loopback, link-local or
    #: reserved (``EDUHUB_FEEDCHECK_ALLOW_PRIVATE=1``); off by default: a stranger must not make the
    #: hub request its own network (docs/feed-check.md)
    feedcheck_allow_private: bool = False
    #: bytes a request body may have (``EDUHUB_MAX_BODY_BYTES``); a larger one is answered 413
    #: before it is read (exchange/api/security.py, docs/security.md)
    max_body_bytes: int = 1024 * 1024
    #: bytes of a request's path and query string (``EDUHUB_MAX_URL_BYTES``); a longer one gets 414
    max_url_bytes: int = 8 * 1024

    @classmethod
    def resolve(cls, data: str | None = None, base: str | None = None) -> Settings:
        data_dir = Path(data or os.environ.get("EDUHUB_DATA") or DEFAULT_DATA)
        explicit = base or os.environ.get("EDUHUB_BASE")
        email = os.environ.get("EDUHUB_ADMIN_EMAIL") or cls.admin_email
        if not re.match(r"^\S+@(\S+\.)+\S+$", email):
            raise ConfigError(f"EDUHUB_ADMIN_EMAIL must be an email address, got {email!r}")
        return cls(
            data_dir=data_dir,
            base=normalize_base(explicit or DEFAULT_BASE),
            base_explicit=bool(explicit),
            admin_email=email,
            name=os.environ.get("EDUHUB_NAME") or cls.name,
            feedcheck_allow_private=_flag("EDUHUB_FEEDCHECK_ALLOW_PRIVATE"),
            max_body_bytes=_size("EDUHUB_MAX_BODY_BYTES", cls.max_body_bytes),
            max_url_bytes=_size("EDUHUB_MAX_URL_BYTES", cls.max_url_bytes),
        )

    @property
    def store_dir(self) -> Path:
        return self.data_dir / "store"

    @property
    def state_path(self) -> Path:
        return self.data_dir / "hub.sqlite"


def _flag(name: str) -> bool:
    """A boolean environment variable: ``1``, ``true``, ``yes`` or ``on`` (any case) is true."""
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _size(name: str, default: int) -> int:
    """A positive byte count from the environment: ``65536``, or with a unit ``64k``, ``1m``
    (KiB, MiB); unset or empty gives ``default``."""
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    match = re.fullmatch(r"(\d+)\s*(?:([km])(?:i?b)?|b)?", raw)
    if match is None or int(match.group(1)) <= 0:
        raise ConfigError(f"{name} must be a positive number of bytes (e.g. 1048576, 64k, 1m), got {raw!r}")
    return int(match.group(1)) * {None: 1, "k": 1024, "m": 1024 * 1024}[match.group(2)]


def normalize_base(base: str) -> str:
    """Check that the base is an absolute http(s) IRI and drop a trailing slash."""
    parts = urlsplit(base.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"base IRI must be an absolute http(s) URL, got {base!r}")
    if parts.query or parts.fragment:
        raise ConfigError(f"base IRI must not carry a query or fragment, got {base!r}")
    return base.strip().rstrip("/")
