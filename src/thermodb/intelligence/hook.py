"""`logged`: the one decorator that puts `Database.query`, `sql`, `ask` and `ingest` calls
into the query log.

On the read path it costs two clock reads and a deque append. A question (`ask`) is
logged through the QuerySpecs it runs, labelled ``ask``; the intelligence layer's own
queries (anomaly scans) run `unlogged` so they never count as workload.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

if TYPE_CHECKING:
    from thermodb.intelligence.insights import Insights

__all__ = ["logged", "unlogged"]

Interface = Literal["spec", "sql", "ask", "ingest"]
_UNLOGGED = "-"
_OUTER: ContextVar[str | None] = ContextVar("thermodb_query_interface", default=None)

F = TypeVar("F", bound=Callable[..., Any])


def logged(interface: Interface) -> Callable[[F], F]:
    """Log each call of the decorated Database method (its first argument is the query)."""

    def decorate(method: F) -> F:
        first = list(inspect.signature(method).parameters)[1]  # the one after self
        if interface == "ask":

            @wraps(method)
            def asking(db: Any, /, *args: Any, **kwargs: Any) -> Any:
                token = _OUTER.set(_OUTER.get() or "ask")
                try:
                    return method(db, *args, **kwargs)
                finally:
                    _OUTER.reset(token)

            return cast(F, asking)

        @wraps(method)
        def logging(db: Any, /, *args: Any, **kwargs: Any) -> Any:
            qlog = cast("Insights", db.insights).log
            label = _OUTER.get() or interface
            if not qlog.enabled or label == _UNLOGGED:
                return method(db, *args, **kwargs)
            query = args[0] if args else kwargs.get(first)
            started = time.perf_counter()
            try:
                result = method(db, *args, **kwargs)
            except Exception as exc:
                qlog.record(label, query, time.perf_counter() - started, exc)
                raise
            seconds = time.perf_counter() - started
            if interface == "ingest":
                _record_writes(qlog.record, seconds, result)
            else:
                qlog.record(label, query, seconds, result)
            return result

        return cast(F, logging)

    return decorate


def _record_writes(record: Callable[[str, Any, float, Any], None], s: float, report: Any) -> None:
    """An ingest call, as one write per collection it wrote to (dry runs write nothing)."""
    if getattr(report, "dry_run", False):
        return
    for name, written in (getattr(report, "collections", None) or {}).items():
        record("ingest", name, s, int(written))


@contextmanager
def unlogged() -> Iterator[None]:
    """Queries run inside are not logged (the intelligence layer's own reads)."""
    token = _OUTER.set(_UNLOGGED)
    try:
        yield
    finally:
        _OUTER.reset(token)
