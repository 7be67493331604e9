"""Stateful API runs (schemathesis): sequences of calls chained by the links schemathesis
infers from the OpenAPI document (create a collection, then read, write, delete and drop
through it), as an admin and as a tenant-bound reader. No sequence may answer 5xx, and
the reader must never see another tenant's rows.

Bounded (a few sequences of a few steps each), so the module runs in well under a minute.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from gateway_env import make_env, security_config
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

import thermodb


@pytest.mark.parametrize("who", ["admin", "reader"])
def test_stateful_sequences_never_fail_the_server(tmp_path: Path, who: str) -> None:
    db = thermodb.open(tmp_path / "data")
    env = make_env(db, security_config(max_body_bytes=64 * 1024))
    headers = env.h(who)
    schema = schemathesis.openapi.from_asgi("/openapi.json", env.app)
    base = schema.as_state_machine()

    class Workflow(base):  # type: ignore[misc,valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=[not_a_server_error])
            if who == "reader" and response.status_code == 200:
                assert "globex" not in response.text and "cyd@other.org" not in response.text

    Workflow.run(
        settings=settings(
            max_examples=8,
            stateful_step_count=5,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
    db.close()
