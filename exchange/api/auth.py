"""Bearer tokens for write endpoints: 401 without a valid token, 403 without the right (RFC 6750 §3.1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from exchange import tokens
from exchange.api.errors import ApiError
from exchange.tokens import Token

#: reads ``Authorization: Bearer``; never refuses by itself (``check`` answers in the hub's error shape),
#: but puts the scheme in the OpenAPI description, so clients and fuzzers know which operations need it
_BEARER = HTTPBearer(scheme_name="token", description="An API token (`eduhub tokens create NAME`)", auto_error=False)


def require(right: str) -> Callable[..., Token]:
    """A FastAPI dependency: the request's token, which must carry ``right``."""
    assert right in tokens.RIGHTS, right

    def check(request: Request, bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)]) -> Token:
        secret = bearer.credentials if bearer is not None else ""
        challenge = {"WWW-Authenticate": 'Bearer realm="eduhub"'}
        if not secret.strip():
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
