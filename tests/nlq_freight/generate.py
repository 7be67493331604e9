#!/usr/bin/env python3
"""Generate the data of the blind NLQ set "freight": a parcel-delivery product ("Parcelo").

    python generate.py

Writes, next to this file:
    customers.ndjson   shipper accounts (entities)
    drivers.ndjson     couriers (entities)
    parcels.ndjson     parcels / shipments (events, dated by created_at)
    scans.ndjson       handheld tracking scans (events, dated by scanned_at; 40-day retention)
    incidents.ndjson   incident reports with free text (events, dated by reported_at)

Standard library only and deterministic: one fixed seed, no wall clock, no iteration over
hash-ordered sets, so every run writes byte-identical files. All times are UTC ISO-8601
strings ending in "Z" and lie in the 120 days before NOW (entity sign-up / hire dates may be
older).
"""
from __future__ import annotations

import datetime as dt
import json
import math
import random
from pathlib import Path

SEED = 51402026
NOW = dt.datetime(2026, 5, 14, 10, 45, 0)  # a Thursday
DAYS = 120
START = NOW - dt.timedelta(days=DAYS)
SPAN = (NOW - START).total_seconds()
SCAN_RETENTION_DAYS = 24
HERE = Path(__file__).resolve().parent

N_CUSTOMERS, N_DRIVERS, N_PARCELS = 320, 84, 3900

rng = random.Random(SEED)


# --------------------------------------------------------------------------- helpers
def iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def growth(t):  # volume grows by ~70% over the window
    return 0.6 + 0.4 * max(0.0, min(1.0, (t - START).total_seconds() / SPAN))


def business(t):  # parcels are booked mostly in UK business hours
    h = t.hour + t.minute / 60
    return 0.08 + 0.92 * math.exp(-(((h - 12.5) / 3.8) ** 2))


def w_booking(t):
    wd = t.weekday()
    return growth(t) * business(t) * (1.0 if wd < 5 else (0.45 if wd == 5 else 0.2))


def sample_time(lo: dt.datetime, hi: dt.datetime, weight) -> dt.datetime:
    span = (hi - lo).total_seconds()
    while True:
        t = lo + dt.timedelta(seconds=int(rng.random() * span))
        if rng.random() < weight(t):
            return t


def lognorm(median, sigma):
    return median * math.exp(rng.gauss(0, sigma))


def bounded_lognorm(median, sigma, lo, hi):
    while True:
        v = lognorm(median, sigma)
        if lo <= v <= hi:
            return v


def weighted(pairs):
    total = sum(w for _, w in pairs)
    x = rng.random() * total
    for v, w in pairs:
        x -= w
        if x <= 0:
            return v
    return pairs[-1][0]


def write(name, records):
    with (HERE / name).open("w", encoding="utf-8", newline="\n") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------- reference data
DEPOTS = [("London", 0.30), ("Manchester", 0.18), ("Birmingham", 0.16), ("Leeds", 0.14),
          ("Bristol", 0.12), ("Glasgow", 0.10)]
DEPOT_NAMES = [d for d, _ in DEPOTS]
# destination city -> depot that serves it
DEST_CITIES = [
    ("London", "London", 0.20), ("Croydon", "London", 0.04), ("Reading", "London", 0.04),
    ("Brighton", "London", 0.04), ("Cambridge", "London", 0.03), ("Oxford", "London", 0.03),
    ("Manchester", "Manchester", 0.08), ("Liverpool", "Manchester", 0.05), ("Stockport", "Manchester", 0.02),
    ("Birmingham", "Birmingham", 0.07), ("Coventry", "Birmingham", 0.03), ("Nottingham", "Birmingham", 0.03),
    ("Leicester", "Birmingham", 0.02),
    ("Leeds", "Leeds", 0.06), ("Sheffield", "Leeds", 0.04), ("York", "Leeds", 0.02), ("Bradford", "Leeds", 0.02),
    ("Bristol", "Bristol", 0.05), ("Bath", "Bristol", 0.02), ("Cardiff", "Bristol", 0.03),
    ("Exeter", "Bristol", 0.01),
    ("Glasgow", "Glasgow", 0.04), ("Edinburgh", "Glasgow", 0.04), ("Aberdeen", "Glasgow", 0.01),
]
POSTCODE_AREA = {"London": "E", "Croydon": "CR", "Reading": "RG", "Brighton": "BN", "Cambridge": "CB",
                 "Oxford": "OX", "Manchester": "M", "Liverpool": "L", "Stockport": "SK", "Birmingham": "B",
                 "Coventry": "CV", "Nottingham": "NG", "Leicester": "LE", "Leeds": "LS", "Sheffield": "S",
                 "York": "YO", "Bradford": "BD", "Bristol": "BS", "Bath": "BA", "Cardiff": "CF",
                 "Exeter": "EX", "Glasgow": "G", "Edinburgh": "EH", "Aberdeen": "AB"}

COUNTRIES = [  # country, weight, currency, cities
    ("United Kingdom", 0.55, "GBP", ["London", "Manchester", "Leeds", "Bristol", "Glasgow", "Birmingham", "Nottingham"]),
    ("Ireland", 0.07, "EUR", ["Dublin", "Cork"]),
    ("Germany", 0.10, "EUR", ["Berlin", "Hamburg", "Munich"]),
    ("France", 0.08, "EUR", ["Paris", "Lyon"]),
    ("Netherlands", 0.07, "EUR", ["Amsterdam", "Rotterdam"]),
    ("Spain", 0.04, "EUR", ["Madrid", "Barcelona"]),
    ("United States", 0.09, "USD", ["New York", "Chicago", "Austin", "Seattle"]),
]
VAT_PREFIX = {"United Kingdom": "GB", "Ireland": "IE", "Germany": "DE", "France": "FR", "Netherlands": "NL",
              "Spain": "ES", "United States": "US"}
FX = {"GBP": 1.0, "EUR": 1.17, "USD": 1.27}

CO_FIRST = ["Northwind", "Bluebell", "Copper", "Harbour", "Oak & Ash", "Little", "Urban", "Green Leaf",
            "Summit", "Velvet", "Crafty", "Pebble", "Ironbridge", "Juniper", "Maple", "Nova", "Orbit",
            "Pixel", "Quayside", "Riverside", "Saffron", "Thistle", "Willow", "Zest", "Atlas", "Beacon",
            "Cedar", "Dove", "Ember", "Fable", "Granite", "Hollow", "Indigo", "Kestrel", "Lumen", "Meadow"]
CO_SECOND = ["Books", "Coffee", "Ceramics", "Outdoor", "Pet Supplies", "Electronics", "Apparel", "Home",
             "Toys", "Tea Co", "Bikes", "Beauty", "Prints", "Garden", "Wines", "Candles", "Audio", "Games"]
CO_SUFFIX = ["Ltd", "Ltd", "Ltd", "GmbH", "SAS", "BV", "Inc", "LLC", "", ""]

FIRST = ["Wei", "Amira", "Tom", "Priya", "James", "Olivia", "Mohammed", "Sophie", "Daniel", "Aisha",
         "Liam", "Grace", "Jakub", "Fatima", "Ryan", "Chloe", "Oluwaseun", "Emma", "Marek", "Hannah",
         "Kwame", "Lucy", "Arjun", "Megan", "Connor", "Zara", "Tomasz", "Niamh", "Ben", "Sana",
         "Callum", "Isla", "Hassan", "Ella", "Dev", "Rosie", "Ioana", "Jack", "Yusuf", "Freya"]
LAST = ["Chen", "Khan", "Smith", "Patel", "Murphy", "Jones", "Ali", "Williams", "Nowak", "Brown",
        "Okafor", "Taylor", "Singh", "Wilson", "Kowalski", "Evans", "Hussain", "Thomas", "Mensah",
        "Roberts", "Walker", "Campbell", "Ahmed", "Wright", "Popescu", "Hughes", "O'Neill", "Green",
        "Davies", "Clarke", "Robinson", "Lewis", "Kaur", "Hall", "Young", "Begum", "Harris", "Scott"]


# --------------------------------------------------------------------------- customers
def make_customers():
    customers = []
    used_names = []
    for i in range(1, N_CUSTOMERS + 1):
        country, _, cur, cities = weighted([(c, c[1]) for c in COUNTRIES])
        while True:
            suffix = rng.choice(CO_SUFFIX)
            if country == "Germany" and rng.random() < 0.7:
                suffix = "GmbH"
            elif country == "France" and rng.random() < 0.7:
                suffix = "SAS"
            elif country == "Netherlands" and rng.random() < 0.7:
                suffix = "BV"
            elif country == "United States" and suffix in ("GmbH", "SAS", "BV", "Ltd"):
                suffix = "Inc"
            elif country in ("United Kingdom", "Ireland", "Spain") and suffix in ("GmbH", "SAS", "BV", "Inc", "LLC"):
                suffix = "Ltd"
            name = f"{rng.choice(CO_FIRST)} {rng.choice(CO_SECOND)}" + (f" {suffix}" if suffix else "")
            if name not in used_names:
                used_names.append(name)
                break
        tier_base = weighted([("gold", 0.14), ("silver", 0.33), ("bronze", 0.53)])
        tier = weighted([(tier_base.capitalize(), 0.7), (tier_base, 0.2), (tier_base.upper(), 0.1)])
        # most accounts are older than the window; some signed up inside it
        if rng.random() < 0.78:
            signed = START - dt.timedelta(days=rng.uniform(5, 900))
        else:
            signed = START + dt.timedelta(days=rng.uniform(0, DAYS - 2))
        signed = signed.replace(hour=rng.randint(8, 18), minute=rng.randint(0, 59), second=rng.randint(0, 59))
        city = rng.choice(cities)
        contact_first, contact_last = rng.choice(FIRST), rng.choice(LAST)
        rec = {
            "account_code": f"ACC-{i:04d}",
            "company_name": name,
            "country": country,
            "tier": tier,
            "is_verified": rng.random() < 0.82,
            "signed_up_at": iso(signed),
            "contact": {"name": f"{contact_first} {contact_last}",
                        "email": f"{contact_first.lower()}.{contact_last.lower().replace(chr(39), '')}@"
                                 f"{name.split()[0].lower().replace('&', 'and')}{i}.example"},
            "address": {"line1": f"{rng.randint(1, 240)} {rng.choice(['High St', 'Station Rd', 'Mill Lane', 'Church Rd', 'Park Ave', 'Market Sq'])}",
                        "city": city},
            "billing_currency": cur,
            "monthly_volume_estimate": rng.choice([50, 100, 200, 500, 1000, 2500]),
        }
        if rng.random() < 0.85:
            rec["address"]["postcode"] = (f"{city[:2].upper()}{rng.randint(1, 20)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRSTU')}"
                                          if country == "United Kingdom" else f"{rng.randint(10000, 99999)}")
        r = rng.random()
        if r < 0.12:
            rec["vat_number"] = None
        elif r < 0.17:
            rec["vat_number"] = ""
        elif r < 0.92:
            rec["vat_number"] = f"{VAT_PREFIX[country]}{rng.randint(100000000, 999999999)}"
        if rng.random() < 0.25:
            rec["account_manager"] = rng.choice(["Sarah Blake", "Imran Qureshi", "Tess Moreau", "Ollie Grant"])
        customers.append(rec)
    return customers


# --------------------------------------------------------------------------- drivers
def make_drivers():
    drivers = []
    used = []
    for i in range(1, N_DRIVERS + 1):
        while True:
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            if name not in used:
                used.append(name)
                break
        depot = weighted(DEPOTS)
        vehicle = weighted([("Van", 0.62), ("E-bike", 0.14), ("Truck", 0.12), ("Motorbike", 0.12)])
        if i > N_DRIVERS - 7:  # new hires in the last 9 days: no parcels yet
            hired = NOW - dt.timedelta(days=rng.uniform(0.5, 9))
        elif rng.random() < 0.8:
            hired = START - dt.timedelta(days=rng.uniform(10, 1500))
        else:
            hired = START + dt.timedelta(days=rng.uniform(0, 90))
        hired = hired.replace(hour=rng.choice([7, 8, 9]), minute=0, second=0)
        if hired > NOW:
            hired = NOW - dt.timedelta(hours=5)
        rec = {
            "id": f"DRV-{i:03d}",
            "driver_name": name,
            "depot": depot,
            "vehicle_type": vehicle,
            "hired_at": iso(hired),
            "is_active": True,
            "employment": {"type": weighted([("employed", 0.6), ("contractor", 0.4)]),
                           "shift": weighted([("early", 0.5), ("late", 0.35), ("weekend", 0.15)])},
            "rating": None if hired > NOW - dt.timedelta(days=30) else round(min(5.0, max(2.5, rng.gauss(4.4, 0.35))), 2),
        }
        r = rng.random()
        if r < 0.08:
            rec["phone"] = ""
        elif r < 0.9:
            rec["phone"] = f"+44 7{rng.randint(100, 999)} {rng.randint(100000, 999999)}"
        if vehicle in ("Van", "Truck"):
            rec["vehicle_reg"] = f"{rng.choice(['LD', 'MA', 'BX', 'YK', 'WU', 'SG'])}{rng.randint(10, 75)} {''.join(rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ') for _ in range(3))}"
        drivers.append(rec)
    # a few drivers left the company during the window
    for d in drivers[:N_DRIVERS - 7]:
        if rng.random() < 0.07:
            d["is_active"] = False
            d["left_at"] = iso(START + dt.timedelta(days=rng.uniform(20, 100)))
    return drivers


# --------------------------------------------------------------------------- parcels
SERVICE = [("Standard", 0.6, 2, 30.0, 21), ("Express", 0.25, 1, 20.0, 21), ("Next day", 0.15, 1, 14.0, 12)]


def make_parcels(customers, drivers):
    # customers who never ship: a fixed set of 17 accounts
    never = set(rng.sample(range(len(customers)), 17))
    shipping = [c for k, c in enumerate(customers) if k not in never]
    # heavy-tailed activity: a few big shippers
    cust_w = {c["account_code"]: (1.0 / (k + 3) ** 0.9) for k, c in enumerate(rng.sample(shipping, len(shipping)))}
    drv_w = {d["id"]: lognorm(1.0, 0.5) for d in drivers}
    for d in drivers[N_DRIVERS - 7:N_DRIVERS - 4]:
        drv_w[d["id"]] = 6.0
    newbies = {d["id"] for d in drivers[N_DRIVERS - 7:]}
    late_starters = {d["id"] for d in drivers[N_DRIVERS - 7:N_DRIVERS - 4]}  # got their first parcels yesterday

    times = sorted(sample_time(START, NOW - dt.timedelta(minutes=20), w_booking) for _ in range(N_PARCELS))
    parcels = []
    for i, created in enumerate(times, start=1):
        eligible = [c for c in shipping if c["signed_up_at"] <= iso(created)]
        cust = weighted([(c, cust_w[c["account_code"]]) for c in eligible])
        origin = weighted(DEPOTS)
        dest_city, dest_depot, _ = weighted([(x, x[2]) for x in DEST_CITIES])
        svc, _, days, transit_median, due_hour = weighted([(s, s[1]) for s in SERVICE])
        promised = (created + dt.timedelta(days=days)).replace(hour=due_hour, minute=0, second=0)
        weight = round(bounded_lognorm(2.2, 0.9, 0.1, 30.0), 2)
        if origin == dest_depot:
            dist = int(bounded_lognorm(9000, 0.7, 700, 60000))
        else:
            dist = int(bounded_lognorm(260000, 0.45, 40000, 720000))
        cur = cust["billing_currency"]
        base_gbp = 3.2 + 0.55 * weight + dist / 100000 * 1.1
        base_gbp *= {"Standard": 1.0, "Express": 1.45, "Next day": 1.9}[svc]
        price = int(round(base_gbp * FX[cur] * 100 * rng.uniform(0.93, 1.08)))
        # a driver of the origin depot, hired before the booking, not a brand-new hire
        pool = [d for d in drivers if d["depot"] == origin and d["hired_at"] <= iso(created)
                and (d["id"] not in newbies or (created > NOW - dt.timedelta(hours=30) and d["id"] in late_starters)) and (d.get("left_at") is None or d["left_at"] > iso(created))]
        driver = weighted([(d, drv_w[d["id"]]) for d in pool])
        pickup = created + dt.timedelta(hours=bounded_lognorm(3.5, 0.7, 0.4, 30.0))
        transit = dt.timedelta(hours=bounded_lognorm(transit_median, 0.5, 2.5, 160.0))
        delivered = pickup + transit
        rec = {
            "id": f"PCL-{i:06d}",
            "customer_code": cust["account_code"],
            "created_at": iso(created),
            "status": None,
            "service_level": svc,
            "origin_city": origin,
            "destination": {"city": dest_city, "postcode": f"{POSTCODE_AREA[dest_city]}{rng.randint(1, 28)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
                            "country": "United Kingdom"},
            "driver_id": driver["id"],
            "picked_up_at": None,
            "delivered_at": None,
            "promised_by": iso(promised),
            "weight_kg": weight,
            "distance_m": dist,
            "price_cents": price,
            "currency": cur,
        }
        r = rng.random()
        if r < 0.12:
            rec["is_fragile"] = True
        elif r < 0.82:
            rec["is_fragile"] = False
        rec["signature_required"] = rng.random() < (0.35 if svc != "Standard" else 0.15)
        if rng.random() < 0.75:
            rec["dimensions_cm"] = {"length": rng.randint(10, 120), "width": rng.randint(8, 80), "height": rng.randint(2, 60)}
        if rng.random() < 0.6:
            rec["reference"] = f"ORD-{rng.randint(10000, 99999)}"

        r = rng.random()
        if r < 0.03:
            rec["status"] = "Cancelled"
            if rng.random() < 0.5:
                rec["driver_id"] = None
        elif pickup > NOW:
            rec["status"] = "Awaiting pickup"
            if rng.random() < 0.6:
                rec["driver_id"] = None
        else:
            rec["picked_up_at"] = iso(pickup)
            if delivered > NOW:
                rec["status"] = "Out for delivery" if (delivered - NOW) < dt.timedelta(hours=9) else "In transit"
            else:
                r2 = rng.random()
                if r2 < 0.035:
                    rec["status"] = "Returned"
                elif r2 < 0.05:
                    rec["status"] = "Lost"
                else:
                    rec["status"] = "Delivered"
                    rec["delivered_at"] = iso(delivered)
        rec["_dest_depot"] = dest_depot
        rec["_pickup"] = pickup
        rec["_delivered"] = delivered
        parcels.append(rec)
    return parcels


# --------------------------------------------------------------------------- scans
def battery(t: dt.datetime) -> int:
    h = max(0.0, t.hour + t.minute / 60 - 6.0)
    return int(max(2, min(100, round(100 - 6.2 * h + rng.gauss(0, 6)))))


def make_scans(parcels):
    cutoff = NOW - dt.timedelta(days=SCAN_RETENTION_DAYS)
    scans = []
    for p in parcels:
        if p["picked_up_at"] is None:
            continue
        pickup = p["_pickup"]
        if pickup < cutoff - dt.timedelta(days=6):
            continue
        origin, dest_depot = p["origin_city"], p["_dest_depot"]
        drv = p["driver_id"]
        end = p["_delivered"]
        ev = [(pickup, "pickup", origin, drv)]
        t = pickup + dt.timedelta(hours=rng.uniform(0.5, 3.0))
        ev.append((t, "depot_in", origin, None))
        t2 = t + dt.timedelta(hours=rng.uniform(1.0, 6.0))
        if dest_depot != origin:
            ev.append((t2, "depot_out", origin, None))
            t3 = t2 + dt.timedelta(hours=rng.uniform(3.0, 9.0))
            ev.append((t3, "depot_in", dest_depot, None))
        last_depot_t = ev[-1][0]
        ofd = max(last_depot_t + dt.timedelta(minutes=20), end - dt.timedelta(hours=rng.uniform(1.0, 7.0)))
        status = p["status"]
        if status in ("Delivered", "Out for delivery", "In transit"):
            if rng.random() < 0.07 and status == "Delivered" and (end - last_depot_t) > dt.timedelta(hours=30):
                fa = end - dt.timedelta(hours=rng.uniform(20, 26))
                ev.append((fa - dt.timedelta(hours=rng.uniform(1, 4)), "out_for_delivery", dest_depot, drv))
                ev.append((fa, "failed_attempt", dest_depot, drv))
            if ofd < end:
                ev.append((ofd, "out_for_delivery", dest_depot, drv))
            if status == "Delivered":
                ev.append((end, "delivery", dest_depot, drv))
        elif status == "Returned":
            ev.append((ofd, "out_for_delivery", dest_depot, drv))
            ev.append((end, "failed_attempt", dest_depot, drv))
            ev.append((end + dt.timedelta(hours=rng.uniform(20, 40)), "return_to_sender", dest_depot, None))
        elif status == "Lost":
            pass  # trail stops after the last depot scan
        if rng.random() < 0.025:
            ev.append((ev[1][0] + dt.timedelta(minutes=rng.randint(5, 90)), "exception", ev[1][2], None))
        for (t, kind, depot, d) in ev:
            if t > NOW or t < cutoff:
                continue
            s = {"parcel_id": p["id"], "scanned_at": iso(t), "scan_type": kind, "depot": depot}
            if d is not None:
                s["driver_id"] = d
            if rng.random() > 0.04:
                s["battery_pct"] = battery(t)
            s["device"] = {"serial": f"HH-{rng.randint(1000, 1400)}", "firmware": rng.choice(["4.2.1", "4.2.1", "4.3.0", "4.3.2"])}
            if d is not None and kind in ("pickup", "delivery", "failed_attempt") and rng.random() < 0.9:
                s["gps"] = {"lat": round(51.0 + rng.random() * 4.5, 5), "lon": round(-4.0 + rng.random() * 4.2, 5)}
            scans.append(s)
    scans.sort(key=lambda s: (s["scanned_at"], s["parcel_id"], s["scan_type"]))
    out = []
    for k, s in enumerate(scans, start=1):
        out.append({"scan_id": f"SCN-{k:06d}", **s})
    return out


# --------------------------------------------------------------------------- incidents
TEXTS = {
    "Damaged": [
        "Box arrived crushed on one corner, contents {x}.",
        "Customer reports water damage, outer carton soaked. {y}",
        "Parcel leaking when unloaded at depot, {x}.",
        "Fragile label ignored, glass item broken in transit. {y}",
        "Torn packaging, item scratched. {y}",
    ],
    "Lost": [
        "No scan since depot arrival, parcel cannot be located. {y}",
        "Customer says parcel never arrived; last seen at sorting. {y}",
        "Parcel missing from cage during depot audit.",
    ],
    "Delayed": [
        "Missed the trunking van, rolled over to next day. {y}",
        "Van breakdown on the motorway, delivery pushed back.",
        "Heavy traffic and road closure, driver ran out of time. {y}",
        "Sorting backlog at hub after system outage.",
        "Snow and ice on route, delivery postponed.",
    ],
    "Not home": [
        "Nobody home, card left. {z}",
        "Recipient not in, left with neighbour at number {n}.",
        "No answer at door, parcel taken back to depot. {z}",
        "Customer not available, safe place not specified.",
    ],
    "Address issue": [
        "Wrong flat number on label, driver could not find recipient.",
        "Gate code missing, could not access building. {z}",
        "Postcode does not match street, address incomplete.",
        "Business closed at delivery address, wrong address given.",
    ],
    "Refused": [
        "Recipient refused the parcel, said it was not ordered.",
        "Refused on delivery because the box was damaged. {y}",
        "Customer refused to pay the customs fee.",
    ],
    "Driver safety": [
        "Aggressive dog at property, driver did not approach. {z}",
        "Driver slipped on wet steps, minor injury reported.",
        "Unsafe parking at address, driver skipped the stop.",
    ],
}
X_BITS = ["partly broken", "intact but box unusable", "badly damaged", "dented"]
Y_BITS = ["Photos attached.", "Customer wants a refund.", "Claim opened.", "Escalated to depot manager.", ""]
Z_BITS = ["Will retry tomorrow.", "Customer called back.", "Second attempt booked.", ""]


def make_incidents(parcels):
    incidents = []
    for p in parcels:
        if p["picked_up_at"] is None:
            continue
        pickup, end = p["_pickup"], p["_delivered"]
        st = p["status"]
        if st == "Lost":
            cat = "Lost"
        elif st == "Returned":
            cat = weighted([("Refused", 0.5), ("Address issue", 0.3), ("Not home", 0.2)])
        else:
            fragile = p.get("is_fragile") is True
            r = rng.random()
            if r > (0.34 if fragile else 0.22):
                continue
            cat = weighted([("Delayed", 0.30), ("Not home", 0.22), ("Address issue", 0.14),
                            ("Damaged", 0.40 if fragile else 0.15), ("Refused", 0.06),
                            ("Driver safety", 0.04)])
            if cat == "Refused" and st != "Delivered":
                cat = "Delayed"
        lo = pickup + dt.timedelta(hours=1)
        hi = min(NOW, end + dt.timedelta(hours=30))
        if hi <= lo:
            hi = lo + dt.timedelta(minutes=30)
            if hi > NOW:
                continue
        reported = lo + dt.timedelta(seconds=int(rng.random() * (hi - lo).total_seconds()))
        text = rng.choice(TEXTS[cat]).format(x=rng.choice(X_BITS), y=rng.choice(Y_BITS),
                                             z=rng.choice(Z_BITS), n=rng.randint(2, 120)).strip()
        sev = {"Damaged": [("High", 0.4), ("Medium", 0.45), ("Low", 0.15)],
               "Lost": [("High", 0.85), ("Medium", 0.15)],
               "Driver safety": [("High", 0.5), ("Medium", 0.5)]}.get(cat, [("Low", 0.55), ("Medium", 0.35), ("High", 0.10)])
        rec = {"parcel_id": p["id"], "reported_at": iso(reported), "category": cat,
               "severity": weighted(sev),
               "reported_by": weighted([("customer", 0.45), ("driver", 0.35), ("depot", 0.20)]),
               "description": text}
        res_after = dt.timedelta(hours=bounded_lognorm(20.0, 1.0, 0.3, 400.0))
        if reported + res_after < NOW and rng.random() < 0.93:
            rec["resolved"] = True
            rec["resolved_at"] = iso(reported + res_after)
        else:
            rec["resolved"] = False
            rec["resolved_at"] = None
        if cat in ("Damaged", "Lost") and rec["resolved"]:
            rec["compensation_cents"] = int(round(min(p["price_cents"] * rng.uniform(1, 6), 25000)))
        elif cat in ("Damaged", "Lost"):
            rec["compensation_cents"] = None
        incidents.append(rec)
    incidents.sort(key=lambda r: (r["reported_at"], r["parcel_id"]))
    return [{"id": f"INC-{k:05d}", **r} for k, r in enumerate(incidents, start=1)]


def main():
    customers = make_customers()
    drivers = make_drivers()
    parcels = make_parcels(customers, drivers)
    scans = make_scans(parcels)
    incidents = make_incidents(parcels)
    clean = [{k: v for k, v in p.items() if not k.startswith("_")} for p in parcels]
    write("customers.ndjson", customers)
    write("drivers.ndjson", drivers)
    write("parcels.ndjson", clean)
    write("scans.ndjson", scans)
    write("incidents.ndjson", incidents)
    print(f"customers {len(customers)}, drivers {len(drivers)}, parcels {len(clean)}, "
          f"scans {len(scans)}, incidents {len(incidents)}")


if __name__ == "__main__":
    main()
