"""What read-only SQL may contain: the node, function and type allow-lists and the limits.

Allow-lists, not deny-lists: a function, a cast target or a statement kind that is not
named here is refused, so a new engine function (``version()``, ``current_user``,
``::regclass``, ``pg_*``...) can never answer just because nobody thought of it. The
limits bound what the statement timeout cannot: the checker's own work (text length,
tokens, nesting) and values that one function call could make huge (``repeat``,
``printf`` widths, padding).
"""

from __future__ import annotations

import re

from sqlglot import exp


def words(*groups: str) -> list[str]:
    """The space-separated names in ``groups`` (long allow-lists stay readable)."""
    return [name for group in groups for name in group.split()]


__all__ = [
    "ALLOWED_ANONYMOUS",
    "ALLOWED_FUNCTIONS",
    "ALLOWED_TYPES",
    "MAX_GENERATED_CHARS",
    "MAX_NESTING",
    "MAX_REPLACEMENT",
    "MAX_SQL_CHARS",
    "MAX_TOKENS",
    "MAX_WIDTH",
    "SESSION_WORDS",
    "SYSTEM_NAMES",
    "words",
]

MAX_SQL_CHARS = 20_000
"""Longest SQL text checked (the HTTP body allows the same)."""
MAX_TOKENS = 5_000
"""Most tokens in one statement: the checker's work is linear in them."""
MAX_NESTING = 32
"""Deepest parenthesis nesting (subqueries, expressions) a statement may have."""
MAX_GENERATED_CHARS = 100_000
"""The largest size a size argument (``repeat``, ``lpad``, ``printf`` width) may ask for."""

SYSTEM_NAMES = re.compile(
    r"^(thermo_|sqlite_|pg_|pragma_|information_schema$|_stage_|duckdb_)", re.IGNORECASE
)
"""Tables (and CTE names) that are never collections: catalog, system and staging."""

SESSION_WORDS = frozenset(
    {
        "user",
        "current_user",
        "session_user",
        "current_role",
        "current_schema",
        "current_catalog",
        "system_user",
        "current_database",
    }
)
"""Bare words the engines answer with server details (PostgreSQL's ``SELECT user``)."""

_FUNCTION_CLASSES = words(
    # aggregates
    "Count Sum Avg Min Max GroupConcat Stddev StddevPop StddevSamp Variance VariancePop "
    "PercentileCont PercentileDisc Median CountIf LogicalAnd LogicalOr ArrayAgg Corr "
    "CovarPop CovarSamp AnyValue ApproxDistinct Quantile "
    # window functions
    "RowNumber Rank DenseRank PercentRank CumeDist Ntile Lag Lead FirstValue LastValue "
    "NthValue "
    # conditionals and structure
    "Case If Coalesce Nullif Greatest Least And Or Xor Exists Cast TryCast Extract "
    # numbers
    "Abs Ceil Floor Round Sqrt Cbrt Exp Ln Log Pow Sign Trunc Pi Degrees Radians Sin Cos Tan "
    "Asin Acos Atan Atan2 Rand Mod "
    # text
    "Lower Upper Length Substring Trim Concat ConcatWs Replace StrPosition Left Right "
    "Initcap Reverse Pad Repeat Ascii Chr Unicode Hex Unhex StartsWith EndsWith Contains "
    "SplitPart Translate Typeof MD5 SHA SHA2 RegexpLike RegexpILike RegexpExtract "
    "RegexpReplace Collate Format GroupConcat "
    # dates and times
    "CurrentDate CurrentTimestamp CurrentTime CurrentDatetime Date Datetime Time Timestamp "
    "DateTrunc TimestampTrunc DatetimeTrunc TimeTrunc DateAdd DateSub DateDiff DatetimeAdd "
    "DatetimeSub DatetimeDiff TimestampAdd TimestampSub TimestampDiff TimeAdd TimeSub "
    "StrToTime StrToDate StrToUnix TimeToStr TimeToUnix TimeStrToTime TimeStrToDate "
    "TimeStrToUnix UnixToTime UnixToStr UnixToTimeStr DateStrToDate DateToDateStr "
    "TsOrDsToDate TsOrDsAdd TsOrDsDiff TsOrDsToTimestamp TsOrDsToDatetime TsOrDsToTime "
    "Year Quarter Month Week WeekOfYear Day DayOfMonth DayOfWeek DayOfWeekIso DayOfYear "
    "Hour Minute Second LastDay ToChar UnixSeconds UnixMillis UnixMicros "
    # JSON
    "JSONExtract JSONExtractScalar JSONBExtract JSONBExtractScalar JSONArray JSONObject "
    "JSONType ParseJSON JSONFormat "
    # table-valued functions the engines generate rows with
    "GenerateSeries ExplodingGenerateSeries Unnest"
)
ALLOWED_FUNCTIONS: tuple[type[exp.Expr], ...] = tuple(
    cls for cls in (getattr(exp, name, None) for name in _FUNCTION_CLASSES) if isinstance(cls, type)
)
"""sqlglot function classes that read only their arguments."""

ALLOWED_ANONYMOUS = frozenset(
    {
        # SQLite
        "strftime",
        "date",
        "time",
        "datetime",
        "julianday",
        "unixepoch",
        "json_extract",
        "json_each",
        "json_tree",
        "json_type",
        "json_array_length",
        "json_valid",
        "json_quote",
        "instr",
        "printf",
        "format",
        "ifnull",
        "iif",
        "ltrim",
        "rtrim",
        "substr",
        "char",
        "glob",
        "likelihood",
        "total",
        "percentile",
        # PostgreSQL
        "date_part",
        "to_timestamp",
        "to_date",
        "to_number",
        "age",
        "jsonb_extract_path_text",
        "json_extract_path_text",
        "jsonb_extract_path",
        "jsonb_typeof",
        "json_typeof",
        "jsonb_array_length",
        "btrim",
        "strpos",
        "position",
        "date_bin",
        "make_date",
        "make_timestamp",
        "make_interval",
        "justify_days",
        "width_bucket",
        "div",
        "bool_and",
        "bool_or",
        "every",
        "string_agg",
        "regexp_match",
        "split_part",
        "isfinite",
        "json_extract_string",
        "epoch",
        "epoch_ms",
    }
)
"""Functions sqlglot does not model, by name, that read only their arguments."""

ALLOWED_TYPES = frozenset(
    exp.DataType.Type[name]
    for name in words(
        "TEXT VARCHAR CHAR NCHAR NVARCHAR BPCHAR NAME INT TINYINT SMALLINT MEDIUMINT BIGINT "
        "UINT UTINYINT USMALLINT UBIGINT FLOAT DOUBLE DECIMAL BIGDECIMAL BOOLEAN DATE TIME "
        "TIMETZ DATETIME TIMESTAMP TIMESTAMPTZ TIMESTAMPLTZ TIMESTAMPNTZ INTERVAL JSON JSONB "
        "UUID VARBINARY BLOB"
    )
    if name in exp.DataType.Type.__members__
)
"""Types a CAST may convert to: values, never object identifiers (``regclass``, ``oid``)."""

MAX_WIDTH = 10_000
"""The widest ``printf`` / ``format`` field (width or precision) a format may ask for."""
MAX_REPLACEMENT = 100
"""The longest replacement text of a ``replace`` that makes its input longer."""
