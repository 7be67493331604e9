"""Running the `thermodb` command as a person does: a real process, its output and exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(*args: str, data: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m thermodb --data DATA ARGS...`` with a wide, colourless terminal."""
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "thermodb", "--data", str(data), *args],
        capture_output=True,
        text=True,
        input=stdin,
        env=env,
        timeout=120,
        check=False,
    )
