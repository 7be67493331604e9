#!/usr/bin/env python3
"""Generate the data of the blind NLQ set: an outpatient clinic network ("Northbridge Health").

    python generate.py

Writes, next to this file:
    patients.ndjson       patient profiles (entity, key patient_id)
    doctors.ndjson        doctors (entity, key doctor_id)
    appointments.ndjson   appointments (events, key appointment_id)
    prescriptions.ndjson  prescriptions written at completed visits (events, key prescription_id)
    messages.ndjson       patient portal / SMS / email messages (events, key message_id)

Standard library only and deterministic: one fixed seed, no wall clock, no iteration over
hash-ordered sets, so every run writes byte-identical files. All times are UTC ISO-8601
strings ending in "Z". Events lie in the 120 days before NOW (2026-05-14T16:45:00Z, a
Thursday); only appointments that are still upcoming have scheduled_for after NOW.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import random
from pathlib import Path

SEED = 5142026
NOW = dt.datetime(2026, 5, 14, 16, 45, 0)
DAYS = 120
START = NOW - dt.timedelta(days=DAYS)
HERE = Path(__file__).resolve().parent

N_PATIENTS = 460
N_NEVER_BOOKED = 37
N_APPOINTMENTS = 4200
N_MESSAGES = 2600


def iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def pick(rng, table):
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def growth(t):
    return 0.6 + 0.4 * max(0.0, min(1.0, (t - START).total_seconds() / (NOW - START).total_seconds()))


def booking_weight(t):
    h = t.hour + t.minute / 60
    office = 0.1 + 0.9 * math.exp(-(((h - 11.5) / 4.0) ** 2))
    return growth(t) * office * (1.0 if t.weekday() < 5 else 0.25)


def rand_time(rng, lo, hi, weight):
    span = (hi - lo).total_seconds()
    t = lo
    for _ in range(3000):
        t = lo + dt.timedelta(seconds=rng.random() * span)
        if rng.random() < weight(t):
            break
    return t.replace(microsecond=0)


# --------------------------------------------------------------------------- vocabulary
SITES = {  # site: (currency, patient home cities around it)
    "London": ("GBP", [("London", 70), ("Croydon", 12), ("Watford", 8), ("Reading", 6)]),
    "Manchester": ("GBP", [("Manchester", 70), ("Salford", 15), ("Stockport", 12)]),
    "Dublin": ("EUR", [("Dublin", 75), ("Bray", 10), ("Swords", 10)]),
    "Amsterdam": ("EUR", [("Amsterdam", 72), ("Haarlem", 14), ("Utrecht", 10)]),
    "Boston": ("USD", [("Boston", 68), ("Cambridge", 18), ("Quincy", 10)]),
}
SITE_WEIGHT = [("London", 30), ("Manchester", 17), ("Dublin", 20), ("Amsterdam", 15), ("Boston", 18)]

DOCTORS = [  # first, last, department, site, hired_on, years_experience, accepting
    ("Amara", "Okafor", "Cardiology", "London", "2017-09-04", 19, True),
    ("Henrik", "Lindqvist", "Dermatology", "Dublin", "2019-02-11", 14, True),
    ("Claire", "Moreau", "General Practice", "Amsterdam", "2016-05-02", 22, False),
    ("Rohan", "Patel", "General Practice", "London", "2018-01-15", 12, True),
    ("Yuki", "Nakamura", "Neurology", "Boston", "2020-08-24", 11, True),
    ("Lena", "Schneider", "Orthopedics", "Amsterdam", "2015-03-09", 25, True),
    ("Siobhan", "Byrne", "Pediatrics", "Dublin", "2021-06-07", 8, True),
    ("Marcus", "Whitfield", "Cardiology", "Boston", "2014-10-20", 27, False),
    ("Priya", "Raman", "Dermatology", "London", "2022-01-10", 7, True),
    ("Tomasz", "Kowalski", "Orthopedics", "Manchester", "2019-11-04", 13, True),
    ("Fatima", "Haddad", "General Practice", "Manchester", "2017-04-18", 16, True),
    ("Daniel", "Brennan", "General Practice", "Dublin", "2020-03-02", 9, True),
    ("Ingrid", "Vos", "Pediatrics", "Amsterdam", "2018-07-16", 15, True),
    ("Samuel", "Adeyemi", "General Practice", "Boston", "2016-09-12", 18, True),
    ("Grace", "Thornton", "Neurology", "London", "2013-02-25", 29, False),
    ("Luca", "Bianchi", "Cardiology", "Dublin", "2021-09-13", 10, True),
    ("Hannah", "Cole", "Pediatrics", "Boston", "2019-05-20", 12, True),
    ("Oliver", "Hughes", "General Practice", "London", "2015-08-03", 21, True),
    ("Mei", "Chen", "Dermatology", "Boston", "2020-10-05", 9, True),
    ("Aidan", "Murphy", "Orthopedics", "Dublin", "2017-12-04", 17, True),
    ("Sara", "Jansen", "General Practice", "Amsterdam", "2022-04-19", 6, True),
    ("Kwame", "Mensah", "Pediatrics", "Manchester", "2018-03-26", 14, True),
    ("Eleanor", "Price", "Cardiology", "Manchester", "2012-06-11", 30, True),
    ("Nadia", "Rahimi", "Neurology", "Manchester", "2026-05-04", 5, True),  # new: starts 4 May 2026
]
ON_LEAVE = "DR-15"  # Dr Thornton: nothing scheduled from 2026-04-01 on
NEW_DOCTOR = "DR-24"
NEW_DOCTOR_START = dt.datetime(2026, 5, 4)
LEAVE_START = dt.datetime(2026, 4, 1)

FIRST = ["Olivia", "Liam", "Emma", "Noah", "Ava", "James", "Sophie", "Jack", "Mia", "Ethan", "Chloe",
         "Lucas", "Aoife", "Sean", "Niamh", "Conor", "Fleur", "Daan", "Sanne", "Bram", "Isla", "Harry",
         "Amelia", "George", "Zara", "Mohammed", "Aisha", "Omar", "Maya", "Leo", "Ruby", "Oscar",
         "Grace", "Finn", "Ella", "Jonas", "Lotte", "Emily", "Michael", "Sarah", "David", "Laura",
         "Daniel", "Anna", "Patrick", "Ciara", "Joseph", "Hannah", "Thomas", "Eva", "Ravi", "Ana",
         "Carlos", "Lucia", "Wei", "Jun", "Kofi", "Ama", "Tariq", "Layla"]
FIRST_F = [n for i, n in enumerate(FIRST) if n in (
    "Olivia", "Emma", "Ava", "Sophie", "Mia", "Chloe", "Aoife", "Niamh", "Fleur", "Sanne", "Isla", "Amelia",
    "Zara", "Aisha", "Maya", "Ruby", "Grace", "Ella", "Lotte", "Emily", "Sarah", "Laura", "Anna", "Ciara",
    "Hannah", "Eva", "Ana", "Lucia", "Ama", "Layla", "Jun")]
FIRST_M = [n for n in FIRST if n not in FIRST_F]
LAST = ["Smith", "Jones", "Williams", "Brown", "Taylor", "Davies", "Evans", "Murphy", "Kelly",
        "O'Sullivan", "Walsh", "de Vries", "van Dijk", "Bakker", "Visser", "Smit", "Johnson",
        "Miller", "Garcia", "Martinez", "Wilson", "Anderson", "Khan", "Ali", "Hussain", "Singh",
        "Nguyen", "Kim", "Wright", "Robinson", "Clarke", "Ryan", "Doyle", "Mulder", "Jacobs",
        "Thompson", "White", "Harris", "Lewis", "Walker", "Hall", "Young", "King", "Scott",
        "Green", "Baker", "Adams", "Mitchell", "Turner", "Carter"]
INSURERS = {"GBP": ["Bupa", "AXA Health", "Vitality"], "EUR": ["VHI", "Laya", "Zilveren Kruis", "CZ"],
            "USD": ["Blue Cross", "Aetna", "Cigna"]}
PLANS = [("Basic", 34), ("Plus", 28), ("Premium", 18), ("Self-pay", 20)]

VISIT_TYPES = [("Follow-up", 38), ("Check-up", 20), ("New patient", 16), ("Telehealth", 18), ("Procedure", 8)]
DURATION = {"Follow-up": [15, 20, 30], "Check-up": [20, 30], "New patient": [30, 45],
            "Telehealth": [15, 20], "Procedure": [45, 60, 90]}
BASE_FEE = {"General Practice": 6500, "Cardiology": 14500, "Dermatology": 11000, "Neurology": 16000,
            "Orthopedics": 13000, "Pediatrics": 7500}
CURRENCY_FACTOR = {"GBP": 1.0, "EUR": 1.15, "USD": 1.6}
NO_SHOW_FEE = {"GBP": 2500, "EUR": 3000, "USD": 4000}
REASONS = {
    "Cardiology": ["chest pain", "palpitations", "high blood pressure", "shortness of breath", "ECG review"],
    "Dermatology": ["rash", "acne", "mole check", "eczema flare", "psoriasis"],
    "General Practice": ["cough", "sore throat", "annual physical", "back pain", "fatigue", "fever",
                         "medication review", "headache"],
    "Neurology": ["migraine", "numbness in hands", "seizure follow-up", "dizziness", "memory concerns"],
    "Orthopedics": ["knee pain", "shoulder injury", "ankle sprain", "hip pain", "fracture follow-up"],
    "Pediatrics": ["ear infection", "vaccination", "fever", "growth check", "asthma review"],
}
MEDS = {  # department: [(medication, doses_mg, times_per_day, controlled)]
    "Cardiology": [("Atorvastatin", [10, 20, 40, 80], [1], False), ("Amlodipine", [5, 10], [1], False),
                   ("Bisoprolol", [1.25, 2.5, 5, 10], [1], False), ("Aspirin", [75], [1], False),
                   ("Ramipril", [2.5, 5, 10], [1], False)],
    "Dermatology": [("Doxycycline", [100], [1, 2], False), ("Isotretinoin", [20, 40], [1], False),
                    ("Prednisolone", [5, 20, 30], [1], False), ("Cetirizine", [10], [1], False)],
    "General Practice": [("Amoxicillin", [250, 500], [3], False), ("Ibuprofen", [200, 400], [3], False),
                         ("Paracetamol", [500, 1000], [4], False), ("Omeprazole", [20, 40], [1], False),
                         ("Sertraline", [50, 100], [1], False), ("Metformin", [500, 850, 1000], [2], False),
                         ("Codeine", [30], [4], True)],
    "Neurology": [("Sumatriptan", [50, 100], [1], False), ("Gabapentin", [300, 600], [3], False),
                  ("Levetiracetam", [500, 1000], [2], False), ("Diazepam", [2, 5], [2], True)],
    "Orthopedics": [("Naproxen", [250, 500], [2], False), ("Tramadol", [50, 100], [3], True),
                    ("Ibuprofen", [400, 600], [3], False), ("Diclofenac", [50], [2, 3], False)],
    "Pediatrics": [("Amoxicillin", [125, 250], [3], False), ("Ibuprofen", [100, 200], [3], False),
                   ("Salbutamol", [0.1], [4], False), ("Paracetamol", [120, 250], [4], False)],
}
PHARMACIES = {"London": ["Boots Oxford St", "Well Pharmacy Camden"], "Manchester": ["Boots Piccadilly"],
              "Dublin": ["Hickeys Pharmacy", "McCabes Pharmacy"], "Amsterdam": ["Apotheek Jordaan"],
              "Boston": ["CVS Beacon Hill", "Walgreens Back Bay"]}


def main():
    rng = random.Random(SEED)

    # ------------------------------------------------------------------ doctors
    doctors = []
    for i, (first, last, dept, site, hired, years, accepting) in enumerate(DOCTORS, 1):
        d = {"doctor_id": f"DR-{i:02d}", "full_name": f"{first} {last}", "last_name": last, "title": "Dr",
             "department": dept, "site": site,
             "email": f"{first.lower()}.{last.lower()}@northbridge.health",
             "hired_on": hired, "years_experience": years, "accepting_new_patients": accepting,
             "languages": ["English"] + (["Dutch"] if site == "Amsterdam" else [])
             + (["Irish"] if site == "Dublin" and rng.random() < 0.4 else [])
             + (["Spanish"] if rng.random() < 0.15 else [])}
        if rng.random() < 0.7:
            d["room"] = f"{site[0]}{rng.randint(1, 3)}{rng.randint(0, 2)}{rng.randint(1, 9)}"
        doctors.append(d)
    by_site = {s: [d for d in doctors if d["site"] == s] for s in SITES}

    # ------------------------------------------------------------------ patients
    patients = []
    never = set(rng.sample(range(1, N_PATIENTS + 1), N_NEVER_BOOKED))
    for i in range(1, N_PATIENTS + 1):
        site = pick(rng, SITE_WEIGHT)
        currency, cities = SITES[site]
        city = pick(rng, cities)
        sex = pick(rng, [("F", 50), ("M", 48), ("X", 2)])
        first, last = rng.choice(FIRST_M if sex == "M" else FIRST_F if sex == "F" else FIRST_F + FIRST_M), rng.choice(LAST)
        kid = rng.random() < 0.16
        if kid:
            dob = dt.date(2026, 1, 1) - dt.timedelta(days=rng.randint(200, 17 * 365))
        else:
            dob = dt.date(2007, 1, 1) - dt.timedelta(days=int(abs(rng.gauss(0, 1)) * 20 * 365) + rng.randint(0, 365))
        # signup: long history, more recent signups; never-booked patients skew recent
        if i in never and rng.random() < 0.6:
            su = rand_time(rng, START, NOW - dt.timedelta(hours=2), lambda t: 1.0)
        else:
            frac = rng.random() ** 0.6
            su = dt.datetime(2019, 1, 7) + dt.timedelta(seconds=frac * (NOW - dt.timedelta(days=3) - dt.datetime(2019, 1, 7)).total_seconds())
            su = su.replace(microsecond=0)
        plan = pick(rng, PLANS)
        p = {"patient_id": f"PT-{i:04d}", "name": f"{first} {last}", "first_name": first, "last_name": last,
             "date_of_birth": dob.isoformat(), "sex": sex}
        r = rng.random()
        if r < 0.06:
            pass  # no email field at all
        elif r < 0.10:
            p["email"] = None
        else:
            p["email"] = f"{first.lower()}.{last.lower().replace(' ', '').replace(chr(39), '')}{rng.randint(1, 99)}@{rng.choice(['gmail.com', 'outlook.com', 'icloud.com', 'proton.me'])}"
        r = rng.random()
        p["phone"] = None if r < 0.08 else "" if r < 0.11 else f"+{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(100000, 999999)}"
        if rng.random() < 0.95:
            p["address"] = {"street": f"{rng.randint(1, 240)} {rng.choice(['High St', 'Church Rd', 'Main St', 'Park Ave', 'Station Rd', 'Canal St', 'Elm Grove'])}",
                            "city": city, "postcode": f"{rng.choice('ABCDEFGHJKLMN')}{rng.randint(1, 20)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJ')}{rng.choice('LMNPQRST')}"}
        p["home_site"] = site
        p["insurance_plan"] = plan
        if plan != "Self-pay":
            p["insurer"] = rng.choice(INSURERS[currency])
        p["is_active"] = rng.random() < 0.9
        p["verified"] = rng.random() < 0.76
        p["signed_up_at"] = iso(su)
        if rng.random() < 0.88:
            if kid:
                age = (dt.date(2026, 5, 14) - dob).days / 365.25
                w = max(4.0, min(75.0, 3.5 + age * 3.2 + rng.gauss(0, 3)))
                h = max(60, min(185, 55 + age * 6.5 + rng.gauss(0, 5)))
            else:
                w = max(42.0, rng.gauss(79, 15) + (8 if p["sex"] == "M" else 0))
                h = rng.gauss(176 if p["sex"] == "M" else 164, 7)
            p["weight_kg"] = round(w, 1)
            p["height_cm"] = int(round(h))
        p["allergies"] = [] if rng.random() < 0.7 else rng.sample(["penicillin", "peanuts", "latex", "ibuprofen", "shellfish", "pollen"], rng.randint(1, 2))
        p["marketing_opt_in"] = rng.random() < 0.35
        p["_kid"] = kid
        p["_w"] = rng.lognormvariate(0, 0.9)
        patients.append(p)
    # one record-breaking patient for the "heaviest" questions keeps ties away
    weights_seen = {}
    for p in patients:
        if "weight_kg" in p:
            while p["weight_kg"] in weights_seen:
                p["weight_kg"] = round(p["weight_kg"] + 0.1, 1)
            weights_seen[p["weight_kg"]] = 1

    bookable = [p for p in patients if int(p["patient_id"][3:]) not in never]
    # inactive patients book rarely
    pw = [p["_w"] * (0.25 if not p["is_active"] else 1.0) for p in bookable]

    def primary_doctor(p):
        ds = [d for d in by_site[p["home_site"]] if (d["department"] == ("Pediatrics" if p["_kid"] else "General Practice"))]
        if not ds:
            ds = by_site[p["home_site"]]
        return ds[int(p["patient_id"][3:]) % len(ds)]

    for p in patients:
        p["primary_doctor_id"] = primary_doctor(p)["doctor_id"]
    doc_by_id = {d["doctor_id"]: d for d in doctors}

    # ------------------------------------------------------------------ appointments
    appts = []
    for k in range(N_APPOINTMENTS):
        booked = rand_time(rng, START, NOW - dt.timedelta(minutes=20), booking_weight)
        for _ in range(200):
            p = rng.choices(bookable, weights=pw)[0]
            if p["signed_up_at"] < iso(booked):
                break
        # doctor
        if rng.random() < 0.55:
            d = doc_by_id[p["primary_doctor_id"]]
        else:
            site = p["home_site"] if rng.random() < 0.9 else pick(rng, SITE_WEIGHT)
            pool = by_site[site]
            if p["_kid"]:
                pool = [x for x in pool if x["department"] in ("Pediatrics", "Dermatology", "Orthopedics")] or pool
            else:
                pool = [x for x in pool if x["department"] != "Pediatrics"] or pool
            d = rng.choice(pool)
        # when
        r = rng.random()
        lead_days = 0 if r < 0.14 else min(42, int(rng.expovariate(1 / 8.0)) + 1)
        day = booked.date() + dt.timedelta(days=lead_days)
        if day.weekday() >= 5:  # weekend: the next free weekday slot, spread over the week
            day += dt.timedelta(days=7 - day.weekday() + rng.choice([0, 0, 1, 1, 2, 3, 4]))
        slot = None
        for _ in range(30):
            minute = rng.randrange(8 * 60, 17 * 60 + 40, 10)
            cand = dt.datetime(day.year, day.month, day.day) + dt.timedelta(minutes=minute)
            if cand > booked + dt.timedelta(minutes=45):
                slot = cand
                break
        if slot is None:
            day += dt.timedelta(days=1)
            while day.weekday() >= 5:
                day += dt.timedelta(days=1)
            slot = dt.datetime(day.year, day.month, day.day) + dt.timedelta(minutes=rng.randrange(8 * 60, 17 * 60 + 40, 10))
        # doctor availability: on leave / not started yet
        if (d["doctor_id"] == ON_LEAVE and slot >= LEAVE_START) or (d["doctor_id"] == NEW_DOCTOR and slot < NEW_DOCTOR_START):
            alts = [x for x in by_site[d["site"]] if x["doctor_id"] not in (ON_LEAVE, NEW_DOCTOR)]
            d = rng.choice(alts)
        vt = pick(rng, VISIT_TYPES)
        dur = rng.choice(DURATION[vt])
        site = d["site"]
        currency = SITES[site][0]
        a = {"appointment_id": None, "patient_id": p["patient_id"], "doctor_id": d["doctor_id"],
             "doctor_name": d["last_name"], "department": d["department"], "site": site,
             "visit_type": vt, "booked_via": pick(rng, [("Phone", 38), ("Online", 34), ("App", 20), ("Walk-in", 8)]),
             "reason": rng.choice(REASONS[d["department"]]),
             "booked_at": iso(booked), "scheduled_for": iso(slot), "duration_min": dur,
             "checked_in_at": None, "completed_at": None, "cancelled_at": None,
             "status": None, "currency": currency}
        if lead_days == 0 and rng.random() < 0.5:
            a["booked_via"] = "Walk-in"
        fee = None
        if slot < NOW:
            r = rng.random()
            if r < 0.105:
                lo = booked + dt.timedelta(minutes=5)
                c = rand_time(rng, lo, max(lo + dt.timedelta(minutes=10), slot - dt.timedelta(minutes=30)), lambda t: 1.0)
                a["status"], a["cancelled_at"] = "Cancelled", iso(c)
                if rng.random() < 0.6:
                    a["cancellation_reason"] = rng.choice(["Feeling better", "Work conflict", "Illness", "Travel", "Booked elsewhere"])
            elif r < 0.165:
                a["status"] = "No-show"
                fee = NO_SHOW_FEE[currency]
            else:
                cin = slot + dt.timedelta(minutes=rng.randint(-20, 12), seconds=rng.randint(0, 59))
                wait = int(round(min(95, rng.lognormvariate(2.4, 0.65))))
                if vt == "Telehealth":
                    wait = min(wait, rng.randint(0, 12))
                consult = max(5.0, dur * rng.uniform(0.7, 1.35))
                done = cin + dt.timedelta(minutes=wait + consult)
                done = done.replace(microsecond=0)
                a["checked_in_at"] = iso(cin)
                if done > NOW:
                    a["status"] = "Checked in"
                else:
                    a["status"] = "Completed"
                    a["completed_at"] = iso(done)
                    a["wait_minutes"] = wait
                    fee = int(round(BASE_FEE[d["department"]] * CURRENCY_FACTOR[currency]
                                    * (1.6 if vt == "Procedure" else 0.75 if vt == "Telehealth" else 1.25 if vt == "New patient" else 1.0)
                                    / 100.0)) * 100
                    if rng.random() < 0.12:
                        fee = int(fee * 0.8)  # loyalty / insurer discount
                    if vt != "Telehealth" and rng.random() < 0.82:
                        age = (slot.date() - dt.date.fromisoformat(p["date_of_birth"])).days / 365.25
                        fever = rng.random() < (0.12 if a["reason"] in ("fever", "ear infection", "cough", "sore throat") else 0.02)
                        v = {"temperature_c": round(rng.uniform(38.1, 39.8) if fever else rng.gauss(36.8, 0.3), 1),
                             "heart_rate_bpm": int(rng.gauss(100 if age < 10 else 74, 10))}
                        if age >= 12:
                            v["systolic_mmhg"] = int(rng.gauss(128 + (14 if d["department"] == "Cardiology" else 0), 14))
                            v["diastolic_mmhg"] = int(rng.gauss(80, 9))
                        a["vitals"] = v
        else:
            if rng.random() < 0.08:
                c = rand_time(rng, booked + dt.timedelta(minutes=5), NOW, lambda t: 1.0)
                a["status"], a["cancelled_at"] = "Cancelled", iso(c)
            else:
                a["status"] = "Scheduled"
        a["fee_cents"] = fee
        if fee is None and rng.random() < 0.5:
            del a["fee_cents"]  # unbilled appointments: field sometimes absent, sometimes null
        appts.append(a)
    appts.sort(key=lambda a: (a["booked_at"], a["patient_id"]))
    for i, a in enumerate(appts, 1):
        a["appointment_id"] = f"APT-{i:05d}"

    # ------------------------------------------------------------------ prescriptions
    rx = []
    for a in appts:
        if a["status"] != "Completed":
            continue
        n = 0
        r = rng.random()
        if r < 0.42:
            n = 1
        elif r < 0.50:
            n = 2
        meds = MEDS[a["department"]]
        for m in rng.sample(meds, n):
            name, doses, tpd, controlled = m
            done = dt.datetime.strptime(a["completed_at"], "%Y-%m-%dT%H:%M:%SZ")
            pres = done - dt.timedelta(minutes=rng.randint(1, 6))
            days_supply = rng.choice([5, 7, 10, 14, 28, 30, 56, 90]) if name not in ("Amoxicillin", "Doxycycline") else rng.choice([5, 7, 10])
            e = {"prescription_id": None, "appointment_id": a["appointment_id"], "patient_id": a["patient_id"],
                 "doctor_id": a["doctor_id"], "medication": name, "dose_mg": rng.choice(doses),
                 "times_per_day": rng.choice(tpd), "days_supply": days_supply,
                 "refills": 0 if controlled else rng.choice([0, 0, 0, 1, 2, 3, 5]),
                 "is_controlled": controlled, "prescribed_at": iso(pres)}
            disp = pres + dt.timedelta(hours=rng.lognormvariate(1.5, 1.1))
            e["dispensed_at"] = iso(disp) if (disp < NOW and rng.random() < 0.88) else None
            if rng.random() < 0.9:
                e["pharmacy"] = {"name": rng.choice(PHARMACIES[a["site"]]), "city": a["site"]}
            rx.append(e)
    rx.sort(key=lambda e: (e["prescribed_at"], e["appointment_id"], e["medication"]))
    for i, e in enumerate(rx, 1):
        e["prescription_id"] = f"RX-{i:05d}"

    # ------------------------------------------------------------------ messages
    pat_by_id = {p["patient_id"]: p for p in patients}
    appts_by_patient = {}
    for a in appts:
        appts_by_patient.setdefault(a["patient_id"], []).append(a)
    rx_by_patient = {}
    for e in rx:
        rx_by_patient.setdefault(e["patient_id"], []).append(e)
    inbound_tpl = [
        ("Hi, could I get a refill of my {med} please? Running low.", 12, False),
        ("Can I reschedule my appointment? Something came up at work.", 14, False),
        ("The rash on my {part} is getting worse, should I come in sooner?", 5, True),
        ("Is there parking near the {site} clinic?", 4, False),
        ("Thanks, feeling much better now.", 10, False),
        ("I still have a fever since {weekday}, what should I do?", 5, True),
        ("Could you send me my lab results?", 9, False),
        ("My insurance changed, I'm now with {insurer}. Please update my file.", 4, False),
        ("I'm getting dizziness and nausea since starting {med}. Is that normal?", 5, True),
        ("Chest pain again last night, not severe but worried.", 2, True),
        ("Can I get a sick note for work for last week?", 5, False),
        ("Please cancel my appointment, I can't make it.", 6, False),
    ]
    outbound_tpl = [
        ("Reminder: you have an appointment at our {site} clinic. Reply C to cancel.", 30),
        ("Your prescription for {med} is ready to collect at your pharmacy.", 12),
        ("Your lab results are back and look normal. No action needed.", 8),
        ("We missed you today. Please call us to rebook your missed appointment.", 5),
        ("Your refill request has been approved.", 6),
        ("Please fill in the pre-visit questionnaire before your appointment.", 7),
    ]
    active_pats = [p for p in bookable]
    msgs = []
    for k in range(N_MESSAGES):
        p = rng.choices(active_pats, weights=[x["_w"] for x in active_pats])[0]
        lo = max(START, dt.datetime.strptime(p["signed_up_at"], "%Y-%m-%dT%H:%M:%SZ"))
        if lo >= NOW - dt.timedelta(hours=1):
            continue
        t = rand_time(rng, lo, NOW - dt.timedelta(minutes=1), lambda t: growth(t) * (0.3 + 0.7 * math.exp(-(((t.hour - 14) / 5.0) ** 2))))
        inbound = rng.random() < 0.55
        pa = appts_by_patient.get(p["patient_id"], [])
        doc = rng.choice(pa)["doctor_id"] if pa and rng.random() < 0.75 else None
        meds = [e["medication"] for e in rx_by_patient.get(p["patient_id"], [])] or ["Paracetamol"]
        fill = {"med": rng.choice(meds), "part": rng.choice(["arm", "neck", "back", "leg", "face"]),
                "site": p["home_site"], "weekday": rng.choice(["Monday", "Tuesday", "Wednesday", "the weekend"]),
                "insurer": rng.choice(INSURERS[SITES[p["home_site"]][0]])}
        if inbound:
            tpl, w, urgent_hint = pick(rng, [((a, b, c), b) for a, b, c in inbound_tpl])
            body = tpl.format(**fill)
            urgent = urgent_hint and rng.random() < 0.6
        else:
            tpl = pick(rng, outbound_tpl)
            body = tpl.format(**fill)
            urgent = False
        m = {"message_id": None, "patient_id": p["patient_id"], "doctor_id": doc,
             "direction": "Inbound" if inbound else "Outbound",
             "channel": pick(rng, [("Portal", 50), ("SMS", 30), ("Email", 20)]) if inbound else pick(rng, [("SMS", 55), ("Email", 30), ("Portal", 15)]),
             "sent_at": iso(t), "body": body, "is_urgent": urgent}
        if inbound:
            read = t + dt.timedelta(minutes=rng.lognormvariate(4.5, 1.2))
            m["read_at"] = iso(read.replace(microsecond=0)) if (read < NOW and rng.random() > 0.03) else None
        msgs.append(m)
    msgs.sort(key=lambda m: (m["sent_at"], m["patient_id"]))
    for i, m in enumerate(msgs, 1):
        m["message_id"] = f"MSG-{i:05d}"

    for p in patients:
        del p["_kid"], p["_w"]

    def write(name, rows):
        with open(HERE / f"{name}.ndjson", "w", encoding="utf-8", newline="\n") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(f"{name}.ndjson: {len(rows)} records")

    write("patients", patients)
    write("doctors", doctors)
    write("appointments", appts)
    write("prescriptions", rx)
    write("messages", msgs)


if __name__ == "__main__":
    main()
