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


ENGINE_NAMES = {"sqlite", "postgresql", "postgres", "duckdb"}
BACKENDS = "thermodb.storage.backends"


def _names_an_engine(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value in ENGINE_NAMES


def test_no_engine_name_checks_outside_the_backend_packages() -> None:
    """Engine differences live in storage/backends: callers ask capabilities, never compare
    a dialect's name (``== "sqlite"``, ``in ("postgresql", ...)``, a dict keyed by names)."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        module = module_name(path)
        if module.startswith(BACKENDS):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            hits: list[ast.AST] = []
            if isinstance(node, ast.Compare):
                for side in [node.left, *node.comparators]:
                    hits += [side] if _names_an_engine(side) else []
                    if isinstance(side, ast.Tuple | ast.List | ast.Set):
                        hits += [e for e in side.elts if _names_an_engine(e)]
            elif isinstance(node, ast.Dict):
                hits += [k for k in node.keys if k is not None and _names_an_engine(k)]
            elif isinstance(node, ast.Match):
                hits += [
                    c.pattern.value
                    for c in node.cases
                    if isinstance(c.pattern, ast.MatchValue) and _names_an_engine(c.pattern.value)
                ]
            found += [f"{module}:{getattr(h, 'lineno', '?')}" for h in hits]
    assert not found, f"engine-name checks outside {BACKENDS}: {found}"


def test_every_backend_declares_the_same_capabilities() -> None:
    from dataclasses import fields

    from thermodb.storage.backends.base import Capabilities
    from thermodb.storage.backends.duckdb import DuckDBBackend
    from thermodb.storage.backends.postgres import PostgresBackend
    from thermodb.storage.backends.sqlite import SQLiteBackend

    names = {f.name for f in fields(Capabilities)}
    for backend in (SQLiteBackend, PostgresBackend, DuckDBBackend):
        caps = backend.capabilities
        assert isinstance(caps, Capabilities)
        assert {f.name for f in fields(caps)} == names
        for method in ("quote", "json_leaf", "as_text", "percentile", "bucket", "widen_sql"):
            assert callable(getattr(backend, method)), (backend, method)


def _runtime_imports(path: Path) -> set[str]:
    """The thermodb modules a file imports when it runs (``if TYPE_CHECKING:`` left out:
    an annotation is no dependency)."""
    tree = ast.parse(path.read_text())
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for child in node.body for n in ast.walk(child))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m.startswith("thermodb.")}


def _package(module: str) -> str:
    return ".".join(module.split(".")[:2])


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        here = _package(module_name(path))
        if here == "thermodb":
            continue  # the package root re-exports the public surface
        for imported in _runtime_imports(path):
            there = _package(imported)
            if there not in (here, "thermodb"):
                graph.setdefault(here, set()).add(there)
    return graph


def test_no_two_packages_import_each_other() -> None:
    """No import cycle between packages (thermodb.catalog, .storage, .query, ...)."""
    graph = package_graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*trail[trail.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert not cycles, f"import cycles between packages: {cycles}"


def test_the_core_chain_imports_downward() -> None:
    """catalog ← storage ← query ← tiers ← database: each imports only those before it."""
    chain = [
        "thermodb.catalog",
        "thermodb.storage",
        "thermodb.query",
        "thermodb.tiers",
        "thermodb.database",
    ]
    graph = package_graph()
    for i, package in enumerate(chain):
        upward = graph.get(package, set()) & set(chain[i + 1 :])
        assert not upward, f"{package} imports {upward}, above it in the chain"
