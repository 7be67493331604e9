"""What the Gateway hands out and writes down: capped, masked answers and audit entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from thermodb.errors import AccessError, ThermoError
from thermodb.query.spec import QuerySpec
from thermodb.security.principal import Principal

if TYPE_CHECKING:
    from thermodb.security.gateway import Gateway

__all__ = ["Audited", "QueryAnswer", "explain_of", "jsonable"]


@dataclass
class QueryAnswer:
    """A result as the gateway hands it out: masked, capped and flagged."""

    columns: list[str]
    rows: list[list[Any]]
    truncated: bool
    explain: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "columns": self.columns,
            "rows": self.rows,
            "truncated": self.truncated,
            "explain": self.explain,
        }
        out.update(self.extra)
        return out


class Audited:
    """Appends one audit entry when the guarded block ends, with its outcome."""

    def __init__(
        self,
        gateway: Gateway,
        principal: Principal,
        action: str,
        target: str,
        read: bool,
        detail: dict[str, Any] | None,
    ) -> None:
        self.gateway = gateway
        self.principal = principal
        self.action = action
        self.target = target
        self.read = read
        self.detail = detail

    def __enter__(self) -> None:
        if self.target:
            self.gateway.note_hit(self.target.split("/", 1)[0])

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        if self.read and exc is None and not self.gateway.config.audit_reads:
            return
        if exc is None:
            outcome = "ok"
        elif isinstance(exc, AccessError):
            outcome = "denied"
        elif isinstance(exc, ThermoError):
            outcome = "error"
        else:
            outcome = "failed"
        detail = {k: jsonable(v) for k, v in (self.detail or {}).items()}
        if exc is not None:
            detail["error"] = str(exc)[:500]
        log = self.gateway.audit
        record = log.enqueue if self.read and outcome == "ok" else log.append
        record(self.principal.subject, self.action, self.target, outcome=outcome, detail=detail)


def jsonable(value: Any) -> Any:
    if isinstance(value, QuerySpec):
        return value.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, str | int | float | bool | type(None) | list | dict):
        return value
    return str(value)


def explain_of(result: Any) -> dict[str, Any]:
    explain = getattr(result, "explain", None)
    if explain is None:
        return {}
    value = jsonable(explain)
    return value if isinstance(value, dict) else {"text": value}
