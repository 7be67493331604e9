"""Write the fleet question set's data: an e-scooter sharing service (standard library only).

    python tests/nlq_fleet/generate.py [OUT_DIR]

Five collections: riders, scooters, trips, pings (sensor pings of the scooters) and
repairs. One fixed seed, so every run writes byte-identical files. The set was written as
a blind set for the NL engine: a domain and field-naming style (unit suffixes such as
``_cents``, ``_m``, ``_pct``; open/closed times; person names as values) the engine was
not built around. NOW is 2026-09-16T12:00:00Z, a Wednesday.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOW = dt.datetime(2026, 9, 16, 12, 0, tzinfo=dt.UTC)
CITIES = ["London", "Paris", "Berlin", "Lisbon", "Austin"]
CURRENCY = {"London": "GBP", "Paris": "EUR", "Berlin": "EUR", "Lisbon": "EUR", "Austin": "USD"}
FIRST = ["Ava", "Noah", "Mia", "Liam", "Zoe", "Omar", "Lena", "Ivan", "Sara", "Tom", "Yuki",
         "Ines", "Raj", "Elif", "Marta", "Jonas", "Chloe", "Diego", "Nora", "Femi"]  # fmt: skip
LAST = ["Smith", "Dubois", "Müller", "Santos", "Garcia", "Khan", "Rossi", "Berg", "Ito", "Ward"]
MECHANICS = ["Chen", "Okafor", "Silva", "Novak"]
ISSUES = ["brakes", "battery", "tyre", "display", "bell"]


def iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def main(out: Path = HERE) -> None:
    rnd = random.Random(20260916)
    start = NOW - dt.timedelta(days=150)
    riders = []
    for i in range(1, 251):
        city = rnd.choice(CITIES)
        signed = start + dt.timedelta(seconds=rnd.randrange(150 * 86400))
        r = {
            "rider_id": i,
            "name": f"{rnd.choice(FIRST)} {rnd.choice(LAST)}",
            "email": f"rider{i}@example.com",
            "tier": rnd.choices(["basic", "silver", "gold"], [6, 3, 1])[0],
            "home_city": city,
            "currency": CURRENCY[city],
            "signed_up_at": iso(signed),
            "is_student": rnd.random() < 0.3,
            "referred_by": rnd.randrange(1, i) if i > 5 and rnd.random() < 0.25 else None,
        }
        riders.append(r)
    scooters = []
    for i in range(1, 81):
        scooters.append(
            {
                "scooter_id": f"SC-{i:04d}",
                "model": rnd.choice(["Glide", "Bolt X", "Nimbus"]),
                "city": rnd.choice(CITIES),
                "battery_pct": rnd.randrange(3, 101),
                "commissioned_on": (NOW - dt.timedelta(days=rnd.randrange(200, 900)))
                .date()
                .isoformat(),
                "status": rnd.choices(["active", "maintenance", "retired"], [8, 2, 1])[0],
            }
        )
    trips = []
    n = 0
    for r in riders:
        signed = dt.datetime.fromisoformat(r["signed_up_at"].replace("Z", "+00:00"))
        if rnd.random() < 0.12:
            continue  # riders who never took a trip
        for _ in range(int(rnd.expovariate(1 / 9)) + 1):
            t0 = signed + dt.timedelta(
                seconds=rnd.randrange(max(60, int((NOW - signed).total_seconds())))
            )
            if t0 >= NOW:
                continue
            n += 1
            cancelled = rnd.random() < 0.1
            minutes = rnd.lognormvariate(2.5, 0.5)
            dist = 0 if cancelled else int(minutes * rnd.uniform(150, 280))
            sc = rnd.choice(scooters)
            trips.append(
                {
                    "trip_id": f"T{n:05d}",
                    "rider_id": r["rider_id"],
                    "scooter_id": sc["scooter_id"],
                    "city": sc["city"],
                    "started_at": iso(t0),
                    "ended_at": None if cancelled else iso(t0 + dt.timedelta(minutes=minutes)),
                    "distance_m": dist,
                    "fare_cents": 0 if cancelled else 100 + int(minutes * 25),
                    "currency": CURRENCY[sc["city"]],
                    "status": "cancelled" if cancelled else "completed",
                    "rating": None
                    if cancelled or rnd.random() < 0.3
                    else rnd.choices([1, 2, 3, 4, 5], [1, 1, 3, 6, 8])[0],
                }
            )
    trips.sort(key=lambda t: t["started_at"])
    pings = []
    for _ in range(3000):
        sc = rnd.choice(scooters)
        t = NOW - dt.timedelta(seconds=rnd.randrange(30 * 86400))
        pings.append(
            {
                "scooter_id": sc["scooter_id"],
                "ts": iso(t),
                "battery_pct": rnd.randrange(0, 101),
                "speed_kmh": round(rnd.uniform(0, 25), 1) if rnd.random() < 0.7 else 0.0,
                "firmware": rnd.choice(["4.2.0", "4.2.1", "4.3.0"]),
            }
        )
    pings.sort(key=lambda p: p["ts"])
    repairs = []
    for i in range(1, 121):
        sc = rnd.choice(scooters)
        opened = NOW - dt.timedelta(seconds=rnd.randrange(120 * 86400))
        open_still = rnd.random() < 0.15
        hours = rnd.lognormvariate(3, 0.8)
        resolved = None if open_still else opened + dt.timedelta(hours=hours)
        if resolved is not None and resolved > NOW:
            resolved = None
        repairs.append(
            {
                "repair_id": i,
                "scooter_id": sc["scooter_id"],
                "opened_at": iso(opened),
                "resolved_at": iso(resolved) if resolved else None,
                "mechanic": rnd.choice(MECHANICS) if rnd.random() < 0.9 else None,
                "issue": rnd.choice(ISSUES),
                "cost_cents": rnd.randrange(500, 15000),
            }
        )
    repairs.sort(key=lambda r: r["opened_at"])
    files = {
        "riders": riders,
        "scooters": scooters,
        "trips": trips,
        "pings": pings,
        "repairs": repairs,
    }
    manifest = {"now": iso(NOW), "collections": {k: f"{k}.ndjson" for k in files}}
    for name, rows in files.items():
        with (out / f"{name}.ndjson").open("w", encoding="utf-8", newline="\n") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
