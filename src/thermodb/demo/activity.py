"""Demo sessions and chat messages: what people do, on the human rhythm of the timeline."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from typing import Any

from thermodb.demo.clock import HOUR, Timeline, iso_s
from thermodb.demo.people import People
from thermodb.demo.vocabulary import (
    AUTH_METHODS,
    CLIENTS,
    COUNTRIES,
    DAYS,
    LEARN_TOPICS,
    MESSAGE_LINES,
    ORGS,
    PLATFORMS,
    REACTIONS,
    SPACES,
    THINGS,
    VERSIONS,
)

__all__ = ["messages", "sessions"]

_PLATFORMS = [p for p, _ in PLATFORMS]
_PLATFORM_WEIGHTS = [w for _, w in PLATFORMS]
_AUTH = [a for a, _ in AUTH_METHODS]
_AUTH_WEIGHTS = [w for _, w in AUTH_METHODS]
_SPACES = [s for s, _ in SPACES]
_SPACE_WEIGHTS = [w for _, w in SPACES]
_SERVICE_WORDS = ("sync", "search", "billing", "identity", "exporter")


def sessions(rng: random.Random, n: int, timeline: Timeline, people: People) -> Iterator[Any]:
    """Sign-ins: log-normal durations (a few marathons), pages viewed, client and place."""
    cumulative = timeline.weights(timeline.human)
    for moment in timeline.times(rng, n, cumulative):
        user = people.pick(rng, moment)
        profile = people.records[user]
        platform = rng.choices(_PLATFORMS, weights=_PLATFORM_WEIGHTS)[0]
        duration = int(rng.lognormvariate(6.3, 1.05))  # median ~9 minutes
        ended = moment + duration
        still_open = ended > timeline.end
        record: dict[str, Any] = {
            "session_id": f"s_{rng.getrandbits(48):012x}",
            "user_id": people.id_of(user),
            "started_at": iso_s(moment),
            "ended_at": None if still_open else iso_s(ended),
            "duration_s": None if still_open else duration,
            "platform": platform,
            "app_version": rng.choice(VERSIONS),
            "pages": max(1, int(duration / rng.uniform(25, 90))),
            "ip": f"{rng.choice((10, 172, 100))}.{rng.randrange(256)}.{rng.randrange(256)}."
            f"{rng.randrange(1, 255)}",
            "geo": _geo(rng, profile),
            "auth": {
                "method": rng.choices(_AUTH, weights=_AUTH_WEIGHTS)[0],
                "mfa": rng.random() < 0.46,
            },
        }
        if platform == "web":
            record["browser"] = rng.choice(("Firefox 131", "Chrome 130", "Safari 18", "Edge 130"))
        if rng.random() < 0.04:
            del record["geo"]  # lookups fail now and then
        yield record


def _geo(rng: random.Random, profile: dict[str, Any]) -> dict[str, Any]:
    if rng.random() < 0.9:  # mostly at home, sometimes travelling
        return dict(profile["address"])
    country, _, _, cities = rng.choice(COUNTRIES)
    return {"country": country, "city": rng.choice(cities)}


def messages(rng: random.Random, n: int, timeline: Timeline, people: People) -> Iterator[Any]:
    """Chat in spaces: threads of replies, mentions, reactions, a few edits and files."""
    cumulative = timeline.weights(timeline.human)
    recent: dict[str, list[tuple[str, float]]] = {s: [] for s in _SPACES}
    for seq, moment in enumerate(timeline.times(rng, n, cumulative), 1):
        user = people.pick(rng, moment)
        space = rng.choices(_SPACES, weights=_SPACE_WEIGHTS)[0]
        message_id = f"m_{seq:07d}"
        body = _line(rng, people)
        record: dict[str, Any] = {
            "id": message_id,
            "user_id": people.id_of(user),
            "space": space,
            "body": body,
            "sent_at": iso_s(moment),
            "client": rng.choice(CLIENTS),
            "chars": len(body),
        }
        thread = recent[space]
        if thread and rng.random() < 0.3 and moment - thread[-1][1] < 6 * HOUR:
            record["reply_to"] = rng.choice(thread)[0]
        if rng.random() < 0.18:
            record["mentions"] = [
                people.records[people.pick(rng, moment, active=False)]["handle"]
                for _ in range(rng.randint(1, 3))
            ]
        if rng.random() < 0.22:
            picks = rng.sample(REACTIONS, k=rng.randint(1, 3))
            record["reactions"] = {r: 1 + int(rng.expovariate(0.6)) for r in picks}
        if rng.random() < 0.06:
            record["edited_at"] = iso_s(min(moment + rng.expovariate(1 / 600), timeline.end))
        if rng.random() < 0.05:
            record["attachments"] = [_attachment(rng) for _ in range(rng.randint(1, 2))]
        thread.append((message_id, moment))
        if len(thread) > 8:
            del thread[0]
        yield record


def _line(rng: random.Random, people: People) -> str:
    template = rng.choice(MESSAGE_LINES)
    return template.format(
        thing=rng.choice(THINGS),
        day=rng.choice(DAYS),
        hh=rng.randint(8, 18),
        svc=rng.choice(_SERVICE_WORDS),
        ver=rng.choice(VERSIONS),
        org=rng.choice(ORGS),
        name=rng.choice(people.records)["display_name"].split()[0],
        topic=rng.choice(LEARN_TOPICS),
        space=rng.choice(_SPACES),
    )


def _attachment(rng: random.Random) -> dict[str, Any]:
    kind = rng.choices(("image", "pdf", "sheet", "link"), weights=(50, 20, 15, 15))[0]
    item: dict[str, Any] = {"kind": kind}
    if kind != "link":
        item["bytes"] = int(math.exp(rng.gauss(11.5, 1.3)))
    return item
