"""Write the vet question set's data: a veterinary clinic group (standard library only).

    python tests/nlq_vet/generate.py [OUT_DIR]

Five collections: owners, pets, visits, prescriptions and reminders (text messages sent to
owners). One fixed seed, so every run writes byte-identical files. Written as a blind set,
after the fleet set had been tuned on: a new domain with its own naming (``fee_pence``,
``weight_kg``, ``dose_mg``, ``wait_min``), people's names as values, check-in and
check-out times, and nulls that mean "not yet". NOW is 2026-11-18T17:00:00Z, a Wednesday.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOW = dt.datetime(2026, 11, 18, 17, 0, tzinfo=dt.UTC)
CLINICS = ["Northside", "Riverside", "Old Town"]
VETS = ["Dr Patel", "Dr Moreau", "Dr Kowalski", "Dr Adeyemi", "Dr Lind"]
SPECIES = {"dog": ["Labrador", "Beagle", "Collie", "Poodle", "Mixed"],
           "cat": ["Siamese", "Maine Coon", "Persian", "Mixed"],
           "rabbit": ["Lop", "Rex"], "parrot": ["African Grey", "Macaw"]}  # fmt: skip
REASONS = ["vaccination", "check-up", "dental", "injury", "surgery", "skin"]
DRUGS = ["amoxicillin", "meloxicam", "prednisolone", "gabapentin", "metronidazole"]
FIRST = ["Alice", "Ben", "Carla", "Dev", "Ella", "Finn", "Grace", "Hugo", "Isla", "Jack",
         "Kira", "Leo", "Maya", "Nils", "Olga", "Pia"]  # fmt: skip
LAST = ["Brown", "Jones", "Taylor", "Wilson", "Evans", "Hughes", "Clarke", "Shah"]
PETNAMES = ["Max", "Bella", "Luna", "Charlie", "Milo", "Coco", "Rocky", "Daisy", "Simba",
            "Nala", "Oscar", "Ruby", "Pepper", "Ziggy"]  # fmt: skip


def iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def main(out: Path = HERE) -> None:
    rnd = random.Random(20261118)
    start = NOW - dt.timedelta(days=180)
    owners = []
    for i in range(1, 181):
        owners.append(
            {
                "owner_id": f"O{i:03d}",
                "full_name": f"{rnd.choice(FIRST)} {rnd.choice(LAST)}",
                "postcode_area": rnd.choice(["N1", "N4", "E8", "SE1", "W2"]),
                "registered_at": iso(start + dt.timedelta(seconds=rnd.randrange(170 * 86400))),
                "sms_opt_in": rnd.random() < 0.6,
                "loyalty": rnd.choices(["none", "bronze", "platinum"], [6, 3, 1])[0],
            }
        )
    pets = []
    for i in range(1, 301):
        species = rnd.choices(list(SPECIES), [5, 4, 1, 1])[0]
        ranges = {"dog": (4, 40), "cat": (2.5, 7), "rabbit": (1, 3), "parrot": (0.3, 0.6)}
        weights = {kind: rnd.uniform(lo, hi) for kind, (lo, hi) in ranges.items()}
        weight = weights[species]
        pets.append(
            {
                "pet_id": i,
                "owner_id": rnd.choice(owners)["owner_id"],
                "name": rnd.choice(PETNAMES),
                "species": species,
                "breed": rnd.choice(SPECIES[species]),
                "weight_kg": round(weight, 1),
                "born_on": (NOW - dt.timedelta(days=rnd.randrange(90, 5500))).date().isoformat(),
                "microchipped": rnd.random() < 0.7,
                "insured_with": rnd.choice(["PetSure", "Animal Friends", None, None]),
            }
        )
    visits = []
    for i in range(1, 1201):
        pet = rnd.choice(pets)
        booked = start + dt.timedelta(seconds=rnd.randrange(180 * 86400))
        booked = booked.replace(minute=rnd.choice([0, 15, 30, 45]), second=0)
        if booked >= NOW:
            continue
        no_show = rnd.random() < 0.08
        wait = None if no_show else int(rnd.lognormvariate(2.3, 0.6))
        checked_in = None if no_show else booked + dt.timedelta(minutes=rnd.randrange(-10, 10))
        seen = None if no_show else checked_in + dt.timedelta(minutes=wait or 0)
        out_t = None if no_show else seen + dt.timedelta(minutes=int(rnd.uniform(10, 50)))
        if out_t is not None and out_t > NOW:
            out_t = None
        visits.append(
            {
                "visit_id": f"V{i:05d}",
                "pet_id": pet["pet_id"],
                "clinic": rnd.choice(CLINICS),
                "vet": rnd.choice(VETS),
                "reason": rnd.choices(REASONS, [5, 6, 2, 2, 1, 2])[0],
                "booked_for": iso(booked),
                "checked_in_at": iso(checked_in) if checked_in else None,
                "checked_out_at": iso(out_t) if out_t else None,
                "wait_min": wait,
                "fee_pence": 0 if no_show else rnd.randrange(3500, 40000, 50),
                "no_show": no_show,
                "follow_up_needed": rnd.random() < 0.2,
            }
        )
    visits.sort(key=lambda v: v["booked_for"])
    prescriptions = []
    for i in range(1, 401):
        v = rnd.choice([x for x in visits if not x["no_show"]])
        prescriptions.append(
            {
                "rx_id": i,
                "visit_id": v["visit_id"],
                "pet_id": v["pet_id"],
                "drug": rnd.choice(DRUGS),
                "dose_mg": rnd.choice([5, 10, 25, 50, 100, 250]),
                "prescribed_at": v["checked_in_at"],
                "refills": rnd.choice([0, 0, 1, 2, 3]),
                "prescriber": v["vet"],
            }
        )
    reminders = []
    for _ in range(1, 901):
        o = rnd.choice(owners)
        t = NOW - dt.timedelta(seconds=rnd.randrange(60 * 86400))
        reminders.append(
            {
                "owner_id": o["owner_id"],
                "sent_at": iso(t),
                "channel": rnd.choice(["sms", "email"]),
                "kind": rnd.choice(["vaccination due", "appointment", "prescription refill"]),
                "delivered": rnd.random() < 0.93,
            }
        )
    reminders.sort(key=lambda r: r["sent_at"])
    files = {"owners": owners, "pets": pets, "visits": visits, "prescriptions": prescriptions,
             "reminders": reminders}  # fmt: skip
    manifest = {"now": iso(NOW), "collections": {k: f"{k}.ndjson" for k in files}}
    for name, rows in files.items():
        with (out / f"{name}.ndjson").open("w", encoding="utf-8", newline="\n") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
