"""Writing the demo data set: one NDJSON file per collection, deterministic per seed.

The record budget is split the way a real product's data splits: few users, more
sessions, many messages and log lines, and a steady stream of metric samples.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from thermodb.demo.activity import messages, sessions
from thermodb.demo.clock import Timeline
from thermodb.demo.operations import incidents, logs, metrics
from thermodb.demo.people import make_people

__all__ = ["COLLECTIONS", "SHARES", "write_demo_files"]

COLLECTIONS = ("users", "sessions", "messages", "logs", "metrics")
SHARES = {"users": 0.01, "sessions": 0.14, "messages": 0.33, "logs": 0.37, "metrics": 0.15}
"""Each collection's share of the records."""

Progress = Callable[[str, int], None]
"""Called with a collection's name and how many records were written for it."""


def write_demo_files(
    directory: Path,
    *,
    records: int = 200_000,
    seed: int = 7,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> dict[str, Path]:
    """Write about ``records`` demo records; return collection name → NDJSON file.

    Times fall in the 90 days before ``now`` (default: the current time), so questions
    such as "errors last week" have answers. The same seed and ``now`` give the same
    bytes. Files are returned in the order to ingest them (users first, so the other
    collections' ``user_id`` reads as a reference to them).
    """
    directory.mkdir(parents=True, exist_ok=True)
    timeline = Timeline.ending(now)
    budget = {name: max(1, round(records * share)) for name, share in SHARES.items()}

    def rng(name: str) -> random.Random:
        return random.Random(f"thermodb-demo:{seed}:{name}")

    people = make_people(rng("users"), budget["users"], timeline)
    found = incidents(rng("incidents"), timeline)
    streams: dict[str, Iterable[Any]] = {
        "sessions": sessions(rng("sessions"), budget["sessions"], timeline, people),
        "messages": messages(rng("messages"), budget["messages"], timeline, people),
        "logs": logs(rng("logs"), budget["logs"], timeline, people, found),
        "metrics": metrics(rng("metrics"), budget["metrics"], timeline, found),
    }
    paths = {name: directory / f"{name}.ndjson" for name in COLLECTIONS}
    for name, stream in streams.items():
        _write(paths[name], stream, name, progress)
    people.finish(timeline)  # last_active_at comes from the activity just generated
    _write(paths["users"], people.records, "users", progress)
    return paths


def _write(path: Path, stream: Iterable[Any], name: str, progress: Progress | None) -> None:
    dumps = orjson.dumps
    count = 0
    with path.open("wb") as out:
        chunk: list[bytes] = []
        for record in stream:
            chunk.append(dumps(record))
            if len(chunk) == 10_000:
                out.write(b"\n".join(chunk) + b"\n")
                count += len(chunk)
                chunk.clear()
        if chunk:
            out.write(b"\n".join(chunk) + b"\n")
            count += len(chunk)
    if progress is not None:
        progress(name, count)
