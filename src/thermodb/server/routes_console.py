"""The web console at ``/`` and the API docs at ``/docs``, served from packaged files.

The console is a static page built from ``console/`` at the repository root and committed
under ``thermodb/server/console/``, so nothing is fetched from the internet at run time and
``pip install thermodb[server]`` needs no Node. The page is sent with a Content-Security-
Policy that allows scripts from this server only: stored data rendered by the console can
never run as code, even if a rendering bug let it through as HTML.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from thermodb.errors import NotFoundError

__all__ = ["CONSOLE_CSP", "router"]

router = APIRouter(include_in_schema=False)

CONSOLE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_SECURITY_HEADERS = {
    "Content-Security-Policy": CONSOLE_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".txt": "text/plain",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}


class _Files:
    """Packaged files read once, each with its ETag and gzip form (made on first use)."""

    def __init__(self) -> None:
        self._root = resources.files("thermodb.server.console")
        self._cache: dict[str, tuple[bytes, bytes | None, str]] = {}
        self._lock = threading.Lock()

    def get(self, relpath: str) -> tuple[bytes, bytes | None, str]:
        with self._lock:
            hit = self._cache.get(relpath)
        if hit is not None:
            return hit
        parts = relpath.split("/")
        bad = any(p in ("", ".", "..") or p.startswith(".") or "\\" in p for p in parts)
        if bad or ("." + relpath.rsplit(".", 1)[-1]) not in _TYPES:
            raise NotFoundError(f"no console file {relpath!r}")
        node = self._root
        for p in parts:
            node = node.joinpath(p)
        if not node.is_file():
            raise NotFoundError(f"no console file {relpath!r}")
        body = node.read_bytes()
        zipped = gzip.compress(body, 6, mtime=0) if len(body) > 1024 else None
        entry = (body, zipped, '"' + hashlib.sha256(body).hexdigest()[:20] + '"')
        with self._lock:
            self._cache[relpath] = entry
        return entry


_files = _Files()


def _send(request: Request, relpath: str, media_type: str | None = None) -> Response:
    body, zipped, etag = _files.get(relpath)
    media = media_type or _TYPES.get("." + relpath.rsplit(".", 1)[-1])
    headers = dict(_SECURITY_HEADERS)
    headers["ETag"] = etag
    headers["Vary"] = "Accept-Encoding"
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if zipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        body = zipped
    return Response(body, media_type=media or "application/octet-stream", headers=headers)


@router.get("/", response_class=HTMLResponse)
def console(request: Request) -> Response:
    """The web console: a static page that calls this API with your key."""
    return _send(request, "index.html", "text/html; charset=utf-8")


@router.get("/console/{relpath:path}")
def console_file(
    request: Request, relpath: Annotated[str, Path(min_length=1, max_length=200)]
) -> Response:
    """The console's scripts, styles and the Swagger UI files of /docs."""
    return _send(request, relpath)


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> Response:
    """Swagger UI over /openapi.json, from packaged files (works offline)."""
    return _send(request, "docs/index.html", "text/html; charset=utf-8")
