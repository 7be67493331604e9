"""The NL engine on the repository's own blind sets, in-process through ``db.ask``.

Each set was written in a domain the engine had not seen, with gold computed by DuckDB,
and scored once before any change (first-sight scores are in docs/nl.md): the fleet set
(an e-scooter service: unit suffixes, currency names, open/closed times, people's names)
first scored 28/65, the vet set (a clinic group, written after the fleet round) 43/61.
After the rounds of general fixes they prompted, these thresholds hold the gains; the
bar on wrong answers is the issue's: at most 3% (a refusal is far better than a guess).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nlq_sets import run_set

HERE = Path(__file__).parent


@pytest.mark.parametrize(("name", "total", "bar"), [("nlq_fleet", 65, 0.92), ("nlq_vet", 61, 0.9)])
def test_blind_set(name: str, total: int, bar: float) -> None:
    score = run_set(HERE / name)
    assert score.total == total
    detail = score.table() + "\n" + "\n".join(score.misses)
    assert score.accuracy >= bar, detail
    assert score.wrong <= 0.03 * score.total, detail


@pytest.mark.parametrize(
    ("name", "total", "right", "wrong"),
    [("nlq_clinic", 134, 52, 15), ("nlq_freight", 128, 55, 10)],
)
def test_independent_blind_set_holds_its_floor(
    name: str, total: int, right: int, wrong: int
) -> None:
    """Sets written by other authors who never saw the engine (first sight: clinic 48 right
    and 35 wrong, freight 48 right and 24 wrong, of 134 and 128). freight was held out of
    every change. Far from issue 9's targets; these floors only keep the gains of the first
    round (right at least, wrong at most) while the reader is rebuilt."""
    score = run_set(HERE / name)
    assert score.total == total
    detail = score.table() + "\n" + "\n".join(score.misses)
    assert score.right >= right, detail
    assert score.wrong <= wrong, detail
