"""The core never imports the server stack: `import thermodb` stays light and headless."""

from __future__ import annotations

import subprocess
import sys


def test_importing_thermodb_does_not_import_server_stack() -> None:
    code = (
        "import sys, thermodb, thermodb.security.gateway, thermodb.cli.app\n"
        "bad = sorted(m for m in ('fastapi', 'mcp', 'uvicorn', 'starlette', 'thermodb.server')"
        " if m in sys.modules)\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
