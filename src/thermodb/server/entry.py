"""The app factory uvicorn imports in each worker of `thermodb serve`.

Settings arrive through environment variables set by the CLI, because uvicorn starts
workers as fresh processes that cannot receive Python objects.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from thermodb.database import Database
from thermodb.security.config import SecurityConfig
from thermodb.server.app import LOOPBACK_HOSTS, create_app

__all__ = ["app_from_env"]


def app_from_env() -> FastAPI:
    db = Database(os.environ.get("THERMODB_SERVE_DATA", "thermodb-data"))
    config = SecurityConfig.from_settings(getattr(db, "settings", None))
    if os.environ.get("THERMODB_SERVE_NO_AUTH") == "1":
        config = config.model_copy(update={"required": False})
    host = os.environ.get("THERMODB_SERVE_HOST", "127.0.0.1")
    loopback = host in ("127.0.0.1", "localhost", "::1")
    return create_app(db, config, allowed_hosts=LOOPBACK_HOSTS if loopback else None)
