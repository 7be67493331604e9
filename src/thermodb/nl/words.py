"""Function words of questions about data: aggregates, comparisons, grouping, fillers.

These are English, not schema: they never name a collection, field or value.
"""

from __future__ import annotations

__all__ = [
    "AGG_WORDS",
    "BUCKETS",
    "BUCKET_ADVERBS",
    "CMP_PHRASES",
    "COUNT_WORDS",
    "DISTINCT_WORDS",
    "FILLER",
    "FOLLOW_UP_CUES",
    "GROUP_WORDS",
    "LATEST_WORDS",
    "LIST_WORDS",
    "NEG_WORDS",
    "NULL_WORDS",
    "ORDER_WORDS",
    "TEXT_VERBS",
]

AGG_WORDS: dict[str, str] = {
    "average": "avg", "avg": "avg", "mean": "avg", "sum": "sum", "total": "sum",
    "maximum": "max", "max": "max", "highest": "max", "largest": "max", "biggest": "max",
    "longest": "max", "peak": "max", "greatest": "max", "minimum": "min", "min": "min",
    "lowest": "min", "smallest": "min", "shortest": "min", "earliest": "min",
    "cheapest": "min", "priciest": "max", "costliest": "max", "heaviest": "max",
    "lightest": "min", "fastest": "max", "slowest": "min", "farthest": "max",
    "furthest": "max",
}  # fmt: skip
ORDER_WORDS: dict[str, bool] = {
    "most": True, "top": True, "highest": True, "largest": True, "biggest": True,
    "greatest": True, "busiest": True, "least": False, "fewest": False, "bottom": False,
    "lowest": False, "smallest": False, "quietest": False, "cheapest": False,
    "priciest": True, "costliest": True, "longest": True, "shortest": False,
    "heaviest": True, "lightest": False, "fastest": True, "slowest": False,
    "farthest": True, "furthest": True,
}  # fmt: skip
"""Word → descending order."""
LATEST_WORDS: dict[str, bool] = {
    "latest": True, "newest": True, "recent": True, "last": True, "oldest": False,
    "earliest": False, "first": False,
}  # fmt: skip
COUNT_WORDS = frozenset({"count", "many", "number", "tally"})
DISTINCT_WORDS = frozenset({"distinct", "different", "unique"})
GROUP_WORDS = frozenset({"per", "by", "each", "every"})
BUCKETS = {"minute": "minute", "hour": "hour", "day": "day", "date": "day", "week": "week",
           "month": "month", "year": "year", "quarter": "month"}  # fmt: skip
BUCKET_ADVERBS = {"hourly": "hour", "daily": "day", "weekly": "week", "monthly": "month",
                  "yearly": "year", "annually": "year"}  # fmt: skip
LIST_WORDS = frozenset({"list", "show", "find", "which", "display", "give", "get", "return",
                        "what", "who", "fetch", "print", "see", "all"})  # fmt: skip
NEG_WORDS = frozenset({"not", "no", "without", "never", "non", "excluding", "except", "nor"})
NULL_WORDS = frozenset({"null", "empty", "blank", "missing", "unset", "none", "nothing"})
TEXT_VERBS = frozenset({
    "mention", "mentions", "mentioning", "mentioned", "contain", "contains", "containing",
    "contained", "include", "includes", "including", "say", "says", "saying", "said",
    "match", "matches", "matching", "like", "about", "word", "phrase", "text",
})  # fmt: skip
# (phrase tokens, operator); longest first.
CMP_PHRASES: list[tuple[tuple[str, ...], str]] = [
    (("no", "more", "than"), "<="), (("no", "less", "than"), ">="),
    (("greater", "than", "or", "equal", "to"), ">="), (("less", "than", "or", "equal", "to"), "<="),
    (("more", "than"), ">"), (("greater", "than"), ">"), (("higher", "than"), ">"),
    (("larger", "than"), ">"), (("bigger", "than"), ">"), (("longer", "than"), ">"),
    (("at", "least"), ">="), (("at", "most"), "<="), (("less", "than"), "<"),
    (("fewer", "than"), "<"), (("lower", "than"), "<"), (("smaller", "than"), "<"),
    (("shorter", "than"), "<"), (("up", "to"), "<="), (("equal", "to"), "="),
    (("equals",), "="), (("exactly",), "="), (("over",), ">"), (("above",), ">"),
    (("exceeding",), ">"), (("exceeds",), ">"), (("exceed",), ">"), (("under",), "<"),
    (("below",), "<"), ((">",), ">"), (("<",), "<"), ((">=",), ">="), (("<=",), "<="),
    (("=",), "="), (("!=",), "!="), (("min",), ">="), (("max",), "<="),
]  # fmt: skip
FOLLOW_UP_CUES = frozenset(
    {"and", "what", "how", "only", "now", "just", "same", "also", "instead", "then", "but",
     "break", "that", "those", "it", "them"}
)  # fmt: skip
FILLER = frozenset(
    """
    a an the of in on at to for from with by as and or is are was were be been being has
    have had having do does did doing there their they them it its this that these those
    what which who whom whose how many much me us we our you your i my please can could
    would will shall should may might tell show list find give get display return all any
    some every each per than then so such only just also ever overall altogether total
    number count counts amount records record rows row entries entry lines line items item
    ones one things thing data set kind type value values where when while whether been
    into onto out up down over under about across among along around since until via
    versus vs same between both either neither whats here now sent send posted post
    written write wrote logged log recorded record reported report made make used use
    using created started start got get had seen happened happen occur occurred come came
    see saw stored exist exists existing registered currently current appear appeared
    belong belongs belonging done take took taken takes taking put placed recorded
    produced generated emitted
    raised fired noted registered logged signed new viewed visited clicked bought
    purchased ordered far given received marked based located flagged labelled labeled
    tagged classified still yet
    """.split()  # noqa: SIM905 - a word list reads best as text
)
