"""Helpers of the console tests: a real server on loopback over seeded data, Debian's
headless Chromium driven by Playwright, screenshots and measured figures.

Playwright for Python drives the browser over CDP with Debian's /usr/bin/chromium
(``playwright install`` downloads browsers and cannot work here). Screenshots and the
measured figures go to ``THERMODB_CONSOLE_SHOTS`` (default: a temporary folder).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from gateway_env import LiveServer, make_env

from services import service_missing
from thermodb.database import Database

CHROMIUM = os.environ.get("THERMODB_CHROMIUM") or shutil.which("chromium") or ""
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
REPO = Path(__file__).resolve().parents[2]
AXE = REPO / "console" / "node_modules" / "axe-core" / "axe.min.js"

HOSTILE = [
    {"id": 20, "user_id": 2, "text": '<img src=x onerror="window.__pwned=1">'},
    {"id": 21, "user_id": 2, "text": "<script>window.__pwned=2</script><b>bold?</b>"},
]
STATUSES = ["paid", "refunded", "pending"]
DAYS = 45


def orders(now: datetime) -> list[dict[str, Any]]:
    """90 orders over 45 days (more on recent days), three statuses, so charts have known
    numbers of marks."""
    return [
        {
            "order_id": i,
            "placed_at": (now - timedelta(days=_day(i), hours=i % 5)).isoformat(),
            "status": STATUSES[i % 3],
            "amount": 10 + i,
            "note": f"order number {i}",
        }
        for i in range(1, 91)
    ]


def _day(i: int) -> int:
    """Days back of order ``i``: every one of the 45 days has an order, recent ones more."""
    return i - 1 if i <= DAYS else int((i - DAYS - 1) ** 2 / DAYS) % DAYS


@dataclass
class ConsoleEnv:
    db: Database
    url: str
    keys: dict[str, str]
    shots: Path
    figures: dict[str, Any] = field(default_factory=dict)

    def shot(self, page: Any, name: str) -> None:
        page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)

    def record(self, name: str, value: Any) -> None:
        self.figures[name] = value
        (self.shots / "figures.json").write_text(json.dumps(self.figures, indent=2))


def seed_console(db: Database) -> None:
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    db.ingest(HOSTILE, collection="messages")
    db.ingest(orders(now), collection="orders", key="order_id", time_field="placed_at")
    # old windows move to the cold tier, so the tier map has segments to draw
    db.migrate(now=datetime.now(UTC) + timedelta(hours=2))


def shots_dir(default: Path) -> Path:
    target = Path(os.environ.get("THERMODB_CONSOLE_SHOTS") or default)
    target.mkdir(parents=True, exist_ok=True)
    return target


def launch(playwright: Any) -> Any:
    if not CHROMIUM or not Path(CHROMIUM).exists():
        service_missing("headless Chromium", "install Debian's chromium (apt-get install chromium)")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def start(db: Database, shots: Path) -> tuple[ConsoleEnv, LiveServer, Any]:
    env = make_env(db)
    seed_console(db)
    gw = env.app.state.gateway
    keys = dict(env.keys)
    keys["ordersreader"] = gw.keys.create("reader", "orders,messages", label="orders")[0]
    live = LiveServer(env.app)
    live.__enter__()
    return ConsoleEnv(db, live.url, keys, shots), live, env.client
