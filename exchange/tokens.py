"""API tokens for the write endpoints, and the log of what was written with them.

DESIGN.md: "Writes (sources, vocabularies, re-harvest) need an API token." A token is
``eduhub_`` plus 32 random bytes (URL-safe base64), shown once at creation; the state file
keeps only its SHA-256. A fast hash is enough here: the secret is random and 256 bits long,
so there is nothing to guess by brute force (unlike a password, which needs a slow KDF).

Rights name what a token may do; a token lacking a right gets 403, a missing or unknown
token 401 (RFC 6750 §3.1).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass

from exchange.state import NAME, HubState, StateError, now

#: What a token may be allowed: trigger harvests, edit vocabularies (issue 7), manage sources.
RIGHTS = ("harvest", "vocabularies", "sources")
PREFIX = "eduhub_"


@dataclass(frozen=True)
class Token:
    name: str
    rights: tuple[str, ...]
    created_at: str
    last_used_at: str | None
    revoked_at: str | None

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "rights": list(self.rights),
            "created_at": self.created_at,
            "last_used_at": self.last_used_at,
            "revoked_at": self.revoked_at,
        }


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create(state: HubState, name: str, rights: tuple[str, ...] = RIGHTS) -> str:
    """Make a token named ``name``; returns the secret, which is not stored and cannot be shown again."""
    if not NAME.match(name):
        raise StateError(
            f"token name {name!r} must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    unknown = sorted(set(rights) - set(RIGHTS))
    if unknown:
        raise StateError(f"unknown rights {unknown}; known: {', '.join(RIGHTS)}")
    secret = PREFIX + secrets.token_urlsafe(32)
    with state.transaction() as db:
        if db.execute("SELECT 1 FROM tokens WHERE name = ?", (name,)).fetchone():
            raise StateError(f"a token named {name!r} exists already; revoke it or pick another name")
        db.execute(
            "INSERT INTO tokens (name, hash, rights, created_at) VALUES (?, ?, ?, ?)",
            (name, digest(secret), json.dumps(sorted(set(rights))), now()),
        )
    return secret


def tokens(state: HubState) -> list[Token]:
    rows = state.db.execute("SELECT * FROM tokens ORDER BY name").fetchall()
    return [_token(row) for row in rows]


def revoke(state: HubState, name: str) -> None:
    cursor = state.db.execute("UPDATE tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL", (now(), name))
    if cursor.rowcount == 0:
        raise StateError(f"no active token named {name!r}")


def authenticate(state: HubState, secret: str) -> Token | None:
    """The live token whose secret this is, or None; notes when it was last used."""
    row = state.db.execute("SELECT * FROM tokens WHERE hash = ? AND revoked_at IS NULL", (digest(secret),)).fetchone()
    if row is None:
        return None
    state.db.execute("UPDATE tokens SET last_used_at = ? WHERE name = ?", (now(), row["name"]))
    return _token(row)


def audit(state: HubState, token: str, action: str, target: str | None = None, detail: str | None = None) -> None:
    """Log a write: who (the token's name), when, what."""
    state.db.execute(
        "INSERT INTO audit (at, token, action, target, detail) VALUES (?, ?, ?, ?, ?)",
        (now(), token, action, target, detail),
    )


def audit_log(state: HubState, limit: int = 100) -> list[dict[str, object]]:
    rows = state.db.execute("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,))
    return [dict(row) for row in rows]


def _token(row) -> Token:  # type: ignore[no-untyped-def]
    return Token(
        row["name"], tuple(json.loads(row["rights"])), row["created_at"], row["last_used_at"], row["revoked_at"]
    )
