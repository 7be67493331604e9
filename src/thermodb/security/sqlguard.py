"""The caller's side of the SQL check: which collections a principal may read with SQL.

There is one SQL checker (:mod:`thermodb.query.sql_check`); it resolves every table
reference exactly as the engine will (case, quoting, schema prefixes, CTE scope) and asks
this object about each collection it resolved. A collection is readable by SQL when the
caller has ``read`` on it and no row filter or field mask applies to them there: SQL is
arbitrary enough (joins, subqueries, expressions over masked columns) that rewriting it
safely is not worth the risk, so those callers use ``query`` or ``ask``, where the filter
and masks are compiled into the QuerySpec.
"""

from __future__ import annotations

from collections.abc import Iterable

from thermodb.errors import PermissionDeniedError
from thermodb.security.policy import Policy
from thermodb.security.principal import Principal

__all__ = ["PrincipalGrants"]


class PrincipalGrants:
    """:class:`~thermodb.query.sql_check.SQLGrants` for one principal under one policy."""

    def __init__(self, principal: Principal, policy: Policy) -> None:
        self.principal = principal
        self.policy = policy

    def check_read(self, collection: str) -> None:
        self.principal.require("read", collection)
        if self._restricted(collection):
            raise PermissionDeniedError(
                f"row filters or masks apply to you on {collection!r}, so it cannot be read "
                "with SQL",
                hint="use the query or ask endpoints, which apply them",
                code="restricted_sql",
            )

    def visible(self, names: Iterable[str]) -> list[str]:
        return self.principal.visible(names)

    def _restricted(self, collection: str) -> bool:
        try:
            return self.policy.restricted(self.principal, collection)
        except PermissionDeniedError:
            return True
