"""Bearer tokens for write endpoints: 401 without a valid token, 403 without the right (RFC 6750 §3.1)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from exchange import tokens
from exchange.api.errors import ApiError
from exchange.tokens import Token


def require(right: str) -> Callable[[Request], Token]:
    """A FastAPI dependency: the request's token, which must carry ``right``."""
    assert right in tokens.RIGHTS, right

    def check(request: Request) -> Token:
        header = request.headers.get("authorization", "")
        scheme, _, secret = header.partition(" ")
        challenge = {"WWW-Authenticate": 'Bearer realm="eduhub"'}
        if scheme.lower() != "bearer" or not secret.strip():
            raise ApiError(
                401,
                "unauthorized",
                "this endpoint needs an API token: Authorization: Bearer TOKEN "
                "(create one with `eduhub tokens create NAME`)",
                challenge,
            )
        token = tokens.authenticate(request.app.state.hub.state, secret.strip())
        if token is None:
            challenge["WWW-Authenticate"] += ', error="invalid_token"'
            raise ApiError(401, "unauthorized", "the API token is unknown or revoked", challenge)
        if right not in token.rights:
            raise ApiError(
                403,
                "forbidden",
                f"token {token.name!r} lacks the right {right!r} (it has: {', '.join(token.rights) or 'none'})",
            )
        return token

    return check
