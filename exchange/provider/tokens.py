"""Stateless, signed resumption tokens (OAI-PMH 2.0 §3.5).

A token carries everything the next page needs: the verb, the request's arguments, the keyset
position (datestamp, item) of the last record sent, the cursor, the list size and an expiry.
It is ``base64url(JSON).signature``; the HMAC-SHA256 signature (truncated to 128 bits) is made
with a secret kept in the hub's state, so any API process on the same hub accepts it and a
changed or forged token is refused. Nothing is stored server-side.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import asdict, dataclass


class TokenError(ValueError):
    """The token is malformed, forged, altered or expired; the message says which."""


@dataclass(frozen=True)
class Token:
    verb: str
    metadata_prefix: str
    set_spec: str | None
    from_: str | None
    until: str | None
    #: (datestamp, item) of the last record sent
    after: tuple[str, str]
    cursor: int
    complete: int
    #: seconds since the epoch, UTC
    expires: int


def encode(token: Token, secret: bytes) -> str:
    body = json.dumps(asdict(token), separators=(",", ":"), sort_keys=True).encode()
    payload = base64.urlsafe_b64encode(body).rstrip(b"=").decode()
    return f"{payload}.{_sign(payload, secret)}"


def decode(text: str, secret: bytes, now: float) -> Token:
    payload, dot, signature = text.partition(".")
    # A token is ASCII (base64url and a dot); anything else would make compare_digest raise TypeError.
    if not text.isascii() or not dot or not payload or not signature:
        raise TokenError("the resumptionToken is not one this hub issued")
    if not hmac.compare_digest(signature, _sign(payload, secret)):
        raise TokenError("the resumptionToken was altered or was not issued by this hub")
    try:
        fields = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        token = Token(**{**fields, "after": tuple(fields["after"])})
    except (binascii.Error, ValueError, TypeError, KeyError):
        raise TokenError("the resumptionToken cannot be read") from None
    if token.expires < now:
        raise TokenError("the resumptionToken has expired; restart the list (an incremental `from` keeps it short)")
    return token


def _sign(payload: str, secret: bytes) -> str:
    mac = hmac.new(secret, payload.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
