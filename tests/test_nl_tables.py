"""Questions about one table a user brought, read against its cells (``nl/tables.py``).

A small results table written as scraped data (numbers as text, a header with a space):
the table reader answers what the rules refuse, at its lower confidence, and says how it
read the question; with more than one collection it stays out of the way.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import thermodb
from thermodb.database import Database
from thermodb.errors import NotUnderstoodError
from thermodb.nl.tables import TABLE_CONFIDENCE

ROWS = [
    {"Rank": "1", "Nation": "Norway", "Gold": "12", "Silver": "4", "Venue": "Oslo"},
    {"Rank": "2", "Nation": "Sweden", "Gold": "9", "Silver": "7", "Venue": "Lahti"},
    {"Rank": "3", "Nation": "Finland", "Gold": "5", "Silver": "11", "Venue": "Oslo"},
    {"Rank": "4", "Nation": "Estonia", "Gold": "1", "Silver": "2", "Venue": "Falun"},
]


@pytest.fixture
def table(tmp_path: Path) -> Iterator[Database]:
    db = thermodb.open(tmp_path / "data")
    db.ingest(ROWS, collection="data")
    yield db
    db.close()


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("how many gold medals did sweden win?", 9),
        ("how many nations competed in oslo?", 2),
        ("which nation won the most silver medals?", "Finland"),
        ("who came after sweden?", "Finland"),
        ("who came before finland?", "Sweden"),
        ("how many more gold medals did norway win than estonia?", 11),
        ("how many nations won at least 5 gold medals?", 3),
        ("what was the last nation listed?", "Estonia"),
    ],
)
def test_table_questions(table: Database, question: str, answer: object) -> None:
    got = table.ask(question)
    assert [str(r[0]) for r in got.rows] == [str(answer)], got.reading
    assert got.confidence <= max(TABLE_CONFIDENCE, 1.0)
    assert got.reading


def test_table_reader_answers_are_marked(table: Database) -> None:
    got = table.ask("who came after sweden?")
    assert got.source == "table"
    assert got.confidence == TABLE_CONFIDENCE
    assert "row after" in got.reading


def test_table_reader_needs_a_single_collection(tmp_path: Path) -> None:
    db = thermodb.open(tmp_path / "data")
    db.ingest(ROWS, collection="data")
    db.ingest([{"id": 1, "name": "x"}], collection="other")
    with pytest.raises(NotUnderstoodError):
        db.ask("who came after sweden in data?")
    db.close()
