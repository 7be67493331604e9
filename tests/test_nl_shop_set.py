"""The NL engine on question sets it was not written for, in-process through ``db.ask``.

Two sets: the public dev set (a team-chat product, ``nlq/dev``) and the shop set in
``tests/nlq_shop`` (an online shop: customers, orders, page views, tickets, invoices), which
shares no collection or field name with the dev set and phrases things differently
("clients", "purchases", "revenue", "order value", "so far this week"...). Both are scored
with the matching rule of ``nlq/CONVENTIONS.md``. A question the data cannot answer must be
refused with a message naming what was not understood, never answered by a guess.

Thresholds: the dev set must stay at the issue's bar (97%). The shop set scored 138/138
after the general fixes it prompted; it was written in three batches, each before the
engine saw it (97 questions: 70 right with the engine as it was; 23 more: 18; 18 more: 12),
so the first reading of unseen questions is nearer 70-80% than 100%. 0.95 leaves room for
six questions to change reading while catching a real regression in any category.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import thermodb
from nlq_sets import run_set
from thermodb.database import Database
from thermodb.errors import NotUnderstoodError

SHOP_SET = Path(__file__).parent / "nlq_shop"
SHOP_THRESHOLD = 0.95
DEV_THRESHOLD = 0.97
NOW = datetime(2026, 5, 20, 10, 0, tzinfo=UTC)


def test_shop_set_accuracy() -> None:
    score = run_set(SHOP_SET)
    assert score.total == 138
    assert score.accuracy >= SHOP_THRESHOLD, score.table() + "\n" + "\n".join(score.misses)


def test_dev_set_accuracy(dev_set: Path) -> None:
    score = run_set(dev_set)
    assert score.total == 100
    assert score.accuracy >= DEV_THRESHOLD, score.table() + "\n" + "\n".join(score.misses)


def test_shop_data_is_what_the_generator_writes(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("shop_generate", SHOP_SET / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    manifest = json.loads((SHOP_SET / "manifest.json").read_text())
    for file in [*manifest["collections"].values(), "manifest.json"]:
        assert (tmp_path / file).read_bytes() == (SHOP_SET / file).read_bytes(), file


@pytest.fixture(scope="module")
def shop_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    db = thermodb.open(str(tmp_path_factory.mktemp("shop") / "data"))
    manifest = json.loads((SHOP_SET / "manifest.json").read_text())
    for name, file in manifest["collections"].items():
        lines = (SHOP_SET / file).read_text().splitlines()
        db.ingest([json.loads(x) for x in lines if x.strip()], collection=name)
    yield db
    db.close()


@pytest.mark.parametrize(
    ("question", "says"),
    [
        ("average salary of customers", "salary"),
        ("how many customers churned last week", "churned"),
        ("How many orders were returned by gold customers?", "returned"),
        ("list orders with a discount over 10", "over 10"),
        ("show customers whose loyalty points exceed 100", "exceed 100"),
        ("How many refunds were issued in the last fortnight?", "time phrase"),
        ("what's the weather in Paris", "which collection"),
        ("How many abandoned carts were there yesterday?", "abandoned"),
        ("how many unverified customers are there", "unverified"),
        ("average delivery time of orders", "delivery"),
    ],
)
def test_unanswerable_questions_are_refused(shop_db: Database, question: str, says: str) -> None:
    with pytest.raises(NotUnderstoodError) as info:
        shop_db.ask(question, now=NOW)
    assert says in info.value.message


@pytest.mark.parametrize(
    ("question", "field"),
    [
        ("How many tickets were closed yesterday?", "closed_at"),
        ("how many invoices have been paid since May 1?", "paid_at"),
        ("How many tickets did maria close last week?", "closed_at"),
    ],
)
def test_a_verb_that_is_also_a_status_names_the_time(
    shop_db: Database, question: str, field: str
) -> None:
    spec = shop_db.ask(question, now=NOW).spec
    assert spec.time is not None and spec.time.field == field
    assert "status" not in json.dumps(spec.model_dump(mode="json"))
