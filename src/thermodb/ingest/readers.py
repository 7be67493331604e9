"""Reading records from files, globs, stdin and Python iterables, streamed.

Each reader yields :class:`Item`: a position (the line of an NDJSON or CSV file, the index
of a JSON array element, counting from 1), the decoded record or the reason it could not be
decoded, and its size in bytes where the source knows it. Memory stays flat: nothing reads
a whole file except a single JSON document that is not an array.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import IO, Any, Literal

import orjson

from thermodb.errors import InputError

__all__ = ["Format", "Item", "read_records"]

Format = Literal["auto", "ndjson", "json", "csv"]
_WHOLE_DOCUMENT_LIMIT = 256 * 1024 * 1024
_BLOCK_BYTES = 1 << 20
"""NDJSON is decoded in blocks of lines of about this many bytes."""


@dataclass(slots=True)
class Item:
    position: int
    record: Any = None
    error: str | None = None
    size: int = 0


def read_records(source: Any, fmt: Format = "auto") -> Iterator[Item]:
    """Records from a path ('-' for stdin), an open binary/text stream or an iterable."""
    if isinstance(source, str | Path):
        path = str(source)
        if path == "-":
            yield from _read_stream(sys.stdin.buffer, fmt, "stdin")
            return
        p = Path(path)
        if not p.is_file():
            raise InputError(
                f"no such file: {path}",
                hint="check the path (globs are expanded "
                "by the CLI; quote them to let thermodb expand them)",
            )
        if fmt == "auto":
            fmt = _format_from_name(p.name)
        try:
            with _open_binary(p) as stream:
                yield from _read_stream(stream, fmt, path)
        except (OSError, EOFError) as exc:
            raise InputError(f"cannot read {path}: {exc}") from exc
        return
    if isinstance(source, io.IOBase):
        yield from _read_stream(source, fmt, "stream")  # type: ignore[arg-type]
        return
    if isinstance(source, Mapping):
        yield Item(1, source)
        return
    if isinstance(source, Iterable):
        for position, record in enumerate(source, 1):
            yield Item(position, record)
        return
    raise InputError(
        f"cannot read records from a {type(source).__name__}",
        hint="pass a path, a stream or an iterable of dicts",
    )


def _open_binary(path: Path) -> IO[bytes]:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def _format_from_name(name: str) -> Format:
    lowered = name.lower().removesuffix(".gz")
    if lowered.endswith((".csv", ".tsv")):
        return "csv"
    if lowered.endswith((".ndjson", ".jsonl")):
        return "ndjson"
    return "auto"


def _read_stream(stream: IO[bytes], fmt: Format, label: str) -> Iterator[Item]:
    buffered: Any = stream if hasattr(stream, "peek") else io.BufferedReader(stream)
    if fmt == "csv":
        yield from _read_csv(buffered)
        return
    if fmt == "auto":
        head = buffered.peek(4096)[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
        if head[:1] == b"[":
            fmt = "json"
        elif head[:1] in (b"{", b""):
            fmt = "ndjson"
        else:
            raise InputError(
                f"{label} is neither JSON nor NDJSON (it starts with {head[:20]!r})",
                hint="use .csv for CSV files, or --format csv",
            )
    if fmt == "json":
        yield from _read_json_array(buffered, label)
    else:
        yield from _read_ndjson(buffered, label)


def _read_ndjson(stream: IO[bytes], label: str) -> Iterator[Item]:
    """Lines decoded a block at a time: one ``map(orjson.loads, ...)`` per block when all
    of its lines are valid, line by line (for blank lines, errors and a whole JSON
    document spread over lines) when one is not."""
    loads, invalid = orjson.loads, orjson.JSONDecodeError
    first = 1
    while lines := stream.readlines(_BLOCK_BYTES):
        try:
            records = list(map(loads, lines))  # orjson skips surrounding whitespace itself
        except invalid:
            for offset, line in enumerate(lines):
                line_no = first + offset
                try:
                    record = loads(line)
                except invalid as exc:
                    text = line.strip()
                    if not text:
                        continue
                    if line_no == 1 and text in (b"{", b"["):
                        rest = b"".join(lines[offset + 1 :])
                        document = text + rest + stream.read(_WHOLE_DOCUMENT_LIMIT)
                        yield from _read_whole_document(document, label)
                        return
                    yield Item(line_no, error=f"invalid JSON: {exc}", size=len(line))
                    continue
                yield Item(line_no, record, None, len(line))
        else:
            if _LONG_NUMBER.search(b"".join(lines)):
                yield from _exact_lines(lines, records, first)
            else:
                positions = range(first, first + len(lines))
                yield from map(Item, positions, records, repeat(None), map(len, lines))
        first += len(lines)


_LONG_NUMBER = re.compile(rb"\d{19,}")
"""A run of digits that may be an integer beyond 64 bits, which orjson turns into a float."""


def _exact_lines(lines: list[bytes], records: list[Any], first: int) -> Iterator[Item]:
    """The block's items, with lines holding long numbers decoded exactly (stdlib json), so
    an integer beyond 64 bits is refused by validation instead of silently rounded."""
    for offset, (line, record) in enumerate(zip(lines, records, strict=True)):
        if not _LONG_NUMBER.search(line):
            yield Item(first + offset, record, None, len(line))
            continue
        exact = json.loads(line)
        if _has_huge_int(exact):
            yield Item(
                first + offset,
                error="an integer beyond 64 bits, which no column "
                "stores exactly: send it as a string",
                size=len(line),
            )
            continue
        yield Item(first + offset, exact, None, len(line))


def _has_huge_int(value: Any) -> bool:
    if type(value) is int:
        return not -(2**63) <= value < 2**63
    if isinstance(value, dict):
        return any(map(_has_huge_int, value.values()))
    if isinstance(value, list):
        return any(map(_has_huge_int, value))
    return False


def _read_whole_document(data: bytes, label: str) -> Iterator[Item]:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"{label} is not valid JSON: {exc}") from exc
    docs = doc if isinstance(doc, list) else [doc]
    for position, record in enumerate(docs, 1):
        yield Item(position, record)


def _read_json_array(stream: IO[bytes], label: str) -> Iterator[Item]:
    import ijson

    position = 0
    try:
        for position, record in enumerate(ijson.items(stream, "item", use_float=True), 1):
            yield Item(position, record)
    except ijson.JSONError as exc:
        raise InputError(
            f"{label} is not a valid JSON array after record {position}: {exc}",
            hint="fix the JSON, or write one record a line (NDJSON)",
        ) from exc


def _read_csv(stream: IO[bytes]) -> Iterator[Item]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        yield from _csv_items(text)
    except UnicodeDecodeError as exc:  # found by tests/test_fuzz_bounded.py
        raise InputError(
            f"the CSV is not UTF-8 text (byte {exc.start} of a block: {exc.reason})",
            hint="save the file as UTF-8",
        ) from None
    finally:
        text.detach()  # the caller owns (and closes) the byte stream


def _csv_items(text: io.TextIOWrapper) -> Iterator[Item]:
    sample = text.read(8192)
    if text.seekable():
        text.seek(0)
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|") if sample else csv.excel
    except csv.Error:
        dialect = csv.excel
    rest: Iterable[str] = text if text.seekable() else _chain(sample, text)
    reader = csv.DictReader(rest, dialect=dialect)
    for row in reader:
        position = reader.line_num
        if None in row:
            yield Item(position, error="more values than header columns")
            continue
        yield Item(position, {k: _csv_value(v) for k, v in row.items()})


def _chain(first: str, rest: IO[str]) -> Iterator[str]:
    yield from io.StringIO(first + rest.readline())
    yield from rest


def _csv_value(text: str | None) -> Any:
    """CSV cells are text; give numbers, booleans and empty cells their JSON meaning."""
    if text is None or text == "":
        return None
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if text[0] in "-+0123456789." and not (len(text) > 1 and text[0] == "0" and text[1] != "."):
        try:
            return int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                return text
            return number if math.isfinite(number) else text
    return text
