"""Run one migration pass and SIGKILL this process right after a given step.

Usage: python kill_during_move.py DATA_DIR STEP NOW_ISO. Used by test_tiers_faults.py; the
kill is real (no clean-up, no finally blocks, no flushed buffers).
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import datetime

import thermodb


def main() -> None:
    data, step, now_text = sys.argv[1:4]
    now = datetime.fromisoformat(now_text)
    db = thermodb.open(data)

    def checkpoint(reached: str) -> None:
        if reached == step:
            os.kill(os.getpid(), signal.SIGKILL)

    db.thermal.migrator.checkpoint = checkpoint
    db.thermal.clock = lambda: now
    db.migrate(now)
    print("pass finished without reaching", step)


if __name__ == "__main__":
    main()
