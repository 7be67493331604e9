"""Errors as RFC 9457 ``application/problem+json``, mapped from the one exception tree.

Each :class:`~thermodb.errors.ThermoError` subclass carries its HTTP status; this module
only renders it. 401 answers carry ``WWW-Authenticate: Bearer`` with the reason code, and
429 answers carry ``Retry-After`` and the ``RateLimit-*`` headers.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from thermodb.errors import AuthError, ThermoError

__all__ = ["PROBLEM", "install_problem_handlers", "json_response", "problem_response"]

PROBLEM = "application/problem+json"
_log = logging.getLogger("thermodb.server")
_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal error",
    501: "Not implemented",
    503: "Service unavailable",
}


def json_response(payload: Any) -> Response:
    """JSON bytes straight from orjson: hot routes return this, which skips FastAPI's
    re-validation of the answer (the route's ``response_model`` still documents it)."""
    return Response(
        orjson.dumps(payload, default=str, option=orjson.OPT_NON_STR_KEYS),
        media_type="application/json",
    )


def problem_response(
    status: int,
    detail: str,
    *,
    type_: str = "about:blank",
    hint: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {"type": type_, "title": _TITLES.get(status, "Error"), "status": status}
    body["detail"] = detail
    if hint:
        body["hint"] = hint
    body.update({k: v for k, v in extra.items() if v is not None})
    return Response(
        orjson.dumps(body, default=str), status_code=status, media_type=PROBLEM, headers=headers
    )


def thermo_problem(exc: ThermoError) -> Response:
    headers: dict[str, str] = {}
    code = exc.details.get("code")
    if isinstance(exc, AuthError):
        error = "invalid_request" if code == "missing" else "invalid_token"
        headers["WWW-Authenticate"] = (
            f'Bearer realm="thermodb", error="{error}", error_description="{code}"'
        )
    rate = getattr(exc, "rate", None)
    if rate is not None:
        headers.update(rate.headers())
    extra = {k: v for k, v in exc.details.items() if isinstance(v, str | int | float | bool | list)}
    extra.pop("code", None)
    return problem_response(
        exc.http_status,
        exc.message,
        type_=f"https://thermodb.dev/problems/{type(exc).__name__}",
        hint=exc.hint,
        headers=headers,
        error=type(exc).__name__,
        code=code,
        **extra,
    )


def install_problem_handlers(app: FastAPI) -> None:
    async def on_thermo(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ThermoError)
        return thermo_problem(exc)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        return problem_response(
            422,
            f"invalid request at {'.'.join(first['loc'])}: {first['msg']}",
            hint="check the request against the OpenAPI schema at /openapi.json",
            errors=errors,
        )

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return problem_response(exc.status_code, str(exc.detail), headers=dict(exc.headers or {}))

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        _log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem_response(
            500,
            "thermodb hit an internal error; it was logged",
            hint="report it with the server log if it repeats",
        )

    app.add_exception_handler(Exception, on_unexpected)
    app.add_exception_handler(ThermoError, on_thermo)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
