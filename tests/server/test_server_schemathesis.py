"""Property-based requests from the OpenAPI document: no operation may answer 5xx.

Bounded to a few examples per operation so the module runs in well under a minute. The
operations are driven with Hypothesis directly (schemathesis strategies), because the
pytest plugin's lazy fixtures do not work with this pytest version.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import schemathesis
from gateway_env import make_env, security_config
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

import thermodb


def test_no_server_errors(tmp_path: Path) -> None:
    db = thermodb.open(tmp_path / "data")
    env = make_env(db, security_config(max_body_bytes=64 * 1024))
    headers = {"Authorization": f"Bearer {env.keys['admin']}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", env.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=4, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def check(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        check()
    db.close()
