"""One JSON error shape for the whole API.

Every error answer is ``{"error": {"status": 400, "code": "malformed-query", "message": "..."}}``
with the HTTP status repeated in the body, so clients branch on ``code``. The OpenAPI description
says so too (:func:`document`): clients and schema-driven fuzzers see the shape of every 4xx.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


class ApiError(Exception):
    """Raise from a handler to answer with the project's error shape."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def error_body(status: int, code: str, message: str) -> dict[str, dict[str, object]]:
    return {"error": {"status": status, "code": code, "message": message}}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(status, code, message), status_code=status, headers=headers)


#: the error shape as JSON Schema, the component ``Error`` of the OpenAPI description
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "code", "message"],
            "additionalProperties": False,
            "properties": {
                "status": {"type": "integer", "minimum": 400, "maximum": 599, "description": "the HTTP status"},
                "code": {"type": "string", "minLength": 1, "description": "what went wrong, for programs"},
                "message": {"type": "string", "description": "what went wrong, for people"},
            },
        }
    },
}
_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def document(schema: dict[str, Any]) -> dict[str, Any]:
    """Make an OpenAPI description tell the truth about errors: FastAPI documents a 422 with its own
    body, but :func:`install` answers validation errors with 400 in our shape; and any operation may
    answer a 4xx in our shape (``4XX``). A 4xx a route documents without a body gets the shape; one
    documented with another media type (the feed-check form answers HTML) is left as it is."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in _METHODS:  # a path item may also hold its summary or shared parameters
                continue
            responses = operation.setdefault("responses", {})
            if responses.pop("422", None) is not None and "400" not in responses:
                responses["400"] = {"description": "A parameter or the body is malformed (`bad-parameter`)."}
            responses.setdefault("4XX", {"description": "Any other client error, in the hub's error shape."})
            for status, response in responses.items():
                if status.startswith("4"):
                    body = response.setdefault("content", {"application/json": {}}).get("application/json")
                    if body is not None:
                        body.setdefault("schema", dict(_ERROR_REF))
    if "#/components/schemas/HTTPValidationError" not in json.dumps(schema.get("paths", {})):
        for name in ("HTTPValidationError", "ValidationError"):  # FastAPI's, unused once its 422s are gone
            schema["components"]["schemas"].pop(name, None)
    return schema


def install(app: FastAPI) -> None:
    """The error handlers, and an OpenAPI description that documents their answers."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, error: ApiError) -> JSONResponse:
        return error_response(error.status, error.code, error.message, error.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        code = {404: "not-found", 405: "method-not-allowed"}.get(error.status_code, "http-error")
        return error_response(error.status_code, code, str(error.detail))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors())
        return error_response(400, "bad-parameter", problems)

    @app.exception_handler(Exception)
    async def _bug(_: Request, error: Exception) -> JSONResponse:
        # A bug: the shape stays the same, the details go to the server's log (Starlette re-raises
        # it after this answer), never to the client.
        return error_response(500, "internal-error", "the hub failed to answer this request; the error is logged")
