"""The layering rule (STYLE.md): layers import downward only, and the core never imports
the front ends or a network SDK at import time."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import thermodb

PACKAGE = Path(thermodb.__file__).parent
KERNEL = {
    "thermodb.errors",
    "thermodb.catalog.types",
    "thermodb.catalog.model",
    "thermodb.catalog.naming",
    "thermodb.catalog.describe",
    "thermodb.config",
}
FRONT_ENDS = ("thermodb.cli", "thermodb.server")


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every thermodb module a file imports, at any depth of the file (lazy imports too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m == "thermodb" or m.startswith("thermodb.")}


def all_modules() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in PACKAGE.rglob("*.py")}


def test_kernel_imports_only_kernel() -> None:
    for module, imported in all_modules().items():
        if module in KERNEL:
            assert imported <= KERNEL, f"{module} imports {imported - KERNEL}"


def test_core_never_imports_front_ends() -> None:
    for module, imported in all_modules().items():
        if module.startswith(FRONT_ENDS) or module in ("thermodb.__main__",):
            continue
        bad = {m for m in imported if m.startswith(FRONT_ENDS)}
        assert not bad, f"{module} imports the front end {bad}"


def test_importing_thermodb_loads_no_web_or_network_sdk() -> None:
    code = (
        "import sys, thermodb\n"
        "db_mods = [m for m in ('fastapi', 'starlette', 'uvicorn', 'mcp', 'redis', 'nats',"
        " 'boto3', 's3fs', 'psycopg', 'duckdb', 'pyarrow', 'thermodb.cli', 'thermodb.server')"
        " if m in sys.modules]\n"
        "print(','.join(db_mods))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"import thermodb loaded {out}"


def test_public_surface() -> None:
    assert set(thermodb.__all__) >= {
        "open",
        "Database",
        "ThermoError",
        "QueryError",
        "InputError",
        "suggest_types",
        "__version__",
    }
    for name in thermodb.__all__:
        assert hasattr(thermodb, name), name
