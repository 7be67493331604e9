"""Settings from files and the environment, and clear errors for bad ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from thermodb.config import load_settings
from thermodb.errors import ConfigError


def test_defaults_live_in_the_data_directory(tmp_path: Path) -> None:
    s = load_settings(tmp_path, environ={})
    assert s.operational_url == str(tmp_path)
    assert s.cold_url == f"file://{(tmp_path / 'cold').resolve()}"
    assert s.cache == "memory" and s.is_embedded


def test_file_then_environment(tmp_path: Path) -> None:
    (tmp_path / "thermodb.toml").write_text(
        'cold = "s3://bucket/x"\ncache = "memory"\n[llm]\nmodel = "m1"\n'
    )
    s = load_settings(
        tmp_path,
        environ={
            "THERMODB_CACHE": "redis://127.0.0.1:6379/0",
            "THERMODB_LLM_URL": "http://127.0.0.1:1/v1",
            "THERMODB_SECURITY__AUDIENCE": "api",
            "THERMODB_SOMETHING_ELSE": "ignored",
        },
    )
    assert s.cold == "s3://bucket/x"
    assert s.cache == "redis://127.0.0.1:6379/0"
    assert (s.llm.url, s.llm.model) == ("http://127.0.0.1:1/v1", "m1")
    assert s.security["audience"] == "api"


def test_database_url_target() -> None:
    s = load_settings("postgresql://u@127.0.0.1/db", environ={})
    assert s.operational_url == "postgresql://u@127.0.0.1/db" and not s.is_embedded


@pytest.mark.parametrize(
    ("text", "message"),
    [("cache = ", "cannot read"), ("nonsense = 1", "nonsense"), ("max_rows = 'many'", "max_rows")],
)
def test_bad_files_are_refused_with_the_key(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "thermodb.toml").write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_settings(tmp_path, environ={})
