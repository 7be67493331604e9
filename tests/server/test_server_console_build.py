"""The console's committed assets are what its sources build to, so an edit under
console/src cannot ship without its build (needs Node and `npm ci` in console/, as
.ci/run does; elsewhere it skips with the reason)."""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
from pathlib import Path

from services import service_missing

REPO = Path(__file__).resolve().parents[2]
SOURCES = REPO / "console"
BUILT = REPO / "src" / "thermodb" / "server" / "console"


def _files(root: Path) -> set[str]:
    return {
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_committed_console_build_is_current(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        service_missing("Node.js", "install node to rebuild the console")
    if not (SOURCES / "node_modules" / "esbuild").exists():
        service_missing("the console's npm packages", "run `npm ci` in console/")
    out = tmp_path / "console"
    env = {**os.environ, "THERMODB_CONSOLE_OUT": str(out)}
    run = subprocess.run(
        [node, "build.mjs"],
        check=False,
        cwd=SOURCES,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert _files(out) == _files(BUILT), "rebuild: cd console && npm run build"
    stale = [f for f in sorted(_files(out)) if not filecmp.cmp(out / f, BUILT / f, shallow=False)]
    assert not stale, f"built assets differ from console/src; rebuild them: {stale}"
