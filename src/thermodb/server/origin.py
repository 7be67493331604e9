"""Refuse requests a browser was tricked into sending: foreign Hosts and cross-site writes.

Two attacks reach a server on loopback from a web page the user merely visits:

* DNS rebinding: ``rebind.evil.example`` resolves to 127.0.0.1, so the page's requests
  reach the server with ``Host: rebind.evil.example`` and the page can read the answers.
  With an allow-list of hosts (loopback binds), any other Host is refused on every route.
* Cross-site requests: a form or ``fetch`` on another site POSTs to 127.0.0.1; the page
  cannot read the answer, but the write happens. A state-changing request (anything but
  GET, HEAD, OPTIONS) is refused when its ``Origin`` is not the server's own, when
  ``Sec-Fetch-Site`` says ``cross-site`` or ``same-site``, or when it carries a body in a
  type an HTML form can send (``text/plain``, form encodings), which the API never reads.

The checks matter most with ``--no-auth`` (no credentials for the page to lack) and cost
a few header lookups per request.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from thermodb.server.problems import problem_response

__all__ = ["SameOriginMiddleware"]

_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")


def host_allowed(host: str, patterns: list[str]) -> bool:
    """``host`` (``name:port``) against patterns like ``127.0.0.1:*`` or ``example.org``."""
    host = host.lower()
    for pattern in (p.lower() for p in patterns):
        if pattern.endswith(":*"):
            base = pattern[:-2]
            if host == base or (host.startswith(base + ":") and host[len(base) + 1 :].isdigit()):
                return True
        elif host == pattern:
            return True
    return False


class SameOriginMiddleware:
    """Host allow-list on every route; same-origin only for state-changing requests."""

    def __init__(self, app: ASGIApp, allowed_hosts: list[str] | None = None) -> None:
        self.app = app
        self.allowed_hosts = allowed_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = self._problem(scope)
        if problem is None:
            await self.app(scope, receive, send)
            return
        status, detail = problem
        response = problem_response(
            status,
            detail,
            hint="call the API from the server's own origin (or a program, not a web page)",
        )
        await response(scope, receive, send)

    def _problem(self, scope: Scope) -> tuple[int, str] | None:
        host = origin = fetch_site = ctype = ""
        for name, value in scope["headers"]:
            if name == b"host":
                host = value.decode("latin-1")
            elif name == b"origin":
                origin = value.decode("latin-1")
            elif name == b"sec-fetch-site":
                fetch_site = value.decode("latin-1").lower()
            elif name == b"content-type":
                ctype = value.decode("latin-1").split(";", 1)[0].strip().lower()
        if self.allowed_hosts is not None and not host_allowed(host, self.allowed_hosts):
            return 421, f"requests for the host {host[:100]!r} are not served here"
        if scope["method"] in _SAFE:
            return None
        if fetch_site in ("cross-site", "same-site"):
            return 403, "a cross-site request cannot change anything here"
        if origin:
            _scheme, sep, rest = origin.partition("://")
            if origin == "null" or not sep or rest.rstrip("/").lower() != host.lower():
                return 403, f"a request from {origin[:100]!r} cannot change anything here"
        if ctype in _FORM_TYPES:
            return 415, f"the API does not read {ctype} bodies (what an HTML form sends)"
        return None
