"""The skip-or-fail rule for tests that need a server (importable from any test folder).

Without the server a test skips with the reason; with THERMODB_REQUIRE_SERVICES=1 (as
.ci/run sets) it fails instead, so CI can never pass by skipping it.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

REQUIRE_SERVICES = os.environ.get("THERMODB_REQUIRE_SERVICES") == "1"


def service_missing(name: str, reason: str) -> NoReturn:
    """Skip (on a user's machine) or fail (in CI) a test whose server is absent."""
    message = f"{name} is not reachable: {reason}"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message} (THERMODB_REQUIRE_SERVICES=1: CI must run these tests)")
    pytest.skip(message)
