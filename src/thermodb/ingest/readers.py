"""Reading records from files, globs, stdin and Python iterables, streamed.

Each reader yields :class:`Item`: a position (the line of an NDJSON or CSV file, the index
of a JSON array element, counting from 1), the decoded record or the reason it could not be
decoded, and its size in bytes where the source knows it. Memory stays flat: nothing reads
a whole file except a single JSON document that is not an array.
"""

from __future__ import annotations

import csv
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
from thermodb.ingest.guards import GZIP_MAGIC, BoundedGzip, DepthLimited

__all__ = ["Format", "Item", "read_records"]

Format = Literal["auto", "ndjson", "json", "csv"]
_WHOLE_DOCUMENT_LIMIT = 256 * 1024 * 1024
_BLOCK_BYTES = 1 << 20
"""NDJSON is decoded in blocks of lines of about this many bytes."""
MAX_LINE_BYTES = 16 * 1024 * 1024
"""The longest NDJSON line read (a record may be 1 MiB; JSON text of it a few times more)."""
MAX_DEPTH = 33
"""Nesting a JSON array of records may reach: the array, then 32 levels of a record."""


@dataclass(slots=True)
class Item:
    position: int
    record: Any = None
    error: str | None = None
    size: int = 0
    text: bytes | None = None
    """The line as it was read, for a line that could not be decoded (the reject file)."""
    line: bool = True
    """Whether ``position`` is a line number (NDJSON, CSV) or a record's index."""

    @property
    def where(self) -> str:
        """``line 3`` or ``record 3``."""
        return f"{'line' if self.line else 'record'} {self.position}"


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
        yield Item(1, source, line=False)
        return
    if isinstance(source, Iterable):
        for position, record in enumerate(source, 1):
            yield Item(position, record, line=False)
        return
    raise InputError(
        f"cannot read records from a {type(source).__name__}",
        hint="pass a path, a stream or an iterable of dicts",
    )


def _open_binary(path: Path) -> IO[bytes]:
    if path.name.endswith(".gz"):
        return io.BufferedReader(BoundedGzip(path.open("rb"), str(path), owns=True))
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
    if buffered.peek(2)[:2] == GZIP_MAGIC:  # gzip on stdin or in a request body
        buffered = io.BufferedReader(BoundedGzip(buffered, label))
    if fmt == "csv":
        yield from _read_csv(buffered)
        return
    head = buffered.peek(4096)[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if fmt == "auto":
        if head[:1] == b"[":
            fmt = "json"
        elif head[:1] in (b"{", b""):
            fmt = "ndjson"
        else:
            _refuse_start(head, label)
    if fmt == "json":
        if head[:1] == b"{":  # one object: one record
            yield from _read_whole_document(_read_up_to(buffered), label)
            return
        if head[:1] not in (b"[", b""):
            _refuse_start(head, label)
        yield from _read_json_array(buffered, label)
    else:
        yield from _read_ndjson(buffered, label)


def _refuse_start(head: bytes, label: str) -> None:
    """An InputError saying what the input starts with instead of records."""
    first = head.split(b"\n", 1)[0].strip()
    try:
        value = orjson.loads(first)
    except orjson.JSONDecodeError:
        raise InputError(
            f"{label} is neither JSON nor NDJSON (it starts with {head[:20]!r})",
            hint="for CSV, name the file .csv or pass --input-format csv",
        ) from None
    kind = {bool: "boolean", int: "number", float: "number", str: "string"}.get(type(value), "null")
    raise InputError(
        f"{label} holds a bare JSON {kind} ({first[:20].decode(errors='replace')}), "
        "which is not a record",
        hint='a record is a JSON object such as {"n": 5}: one a line (NDJSON) or in an array',
    )


def _read_ndjson(stream: IO[bytes], label: str) -> Iterator[Item]:
    """Lines decoded a block at a time: one ``map(orjson.loads, ...)`` per block when all
    of its lines are valid, line by line (for blank lines, errors and a whole JSON
    document spread over lines) when one is not. A block of blank lines is skipped whole;
    a line longer than :data:`MAX_LINE_BYTES` is refused without being kept."""
    loads, invalid = orjson.loads, orjson.JSONDecodeError
    first = 1
    blocks = _Blocks(stream)
    for lines in blocks:
        if isinstance(lines, int):  # blank lines, or a line too long to read
            if lines < 0:
                yield Item(first, error=_too_long(), size=MAX_LINE_BYTES, text=b"")
            first += max(lines, 1)
            continue
        try:
            records = list(map(loads, lines))  # orjson skips surrounding whitespace itself
        except invalid:
            for offset, line in enumerate(lines):
                line_no = first + offset
                if line.isspace() or not line:
                    continue
                try:
                    record = loads(line)
                except invalid as exc:
                    text = line.strip()
                    if line_no == 1 and text in (b"{", b"["):
                        rest = b"".join(lines[offset + 1 :])
                        document = text + rest + blocks.carry + _read_up_to(stream)
                        yield from _read_whole_document(document, label)
                        return
                    yield Item(line_no, error=_invalid(exc), size=len(line), text=text)
                    continue
                if _LONG_NUMBER.search(line):
                    yield from _exact_lines([line], [record], line_no)
                    continue
                yield Item(line_no, record, None, len(line))
        else:
            joined = b"".join(lines)
            if _LONG_NUMBER.search(joined) or b"\\u0000" in joined:
                yield from _exact_lines(lines, records, first)
            else:
                positions = range(first, first + len(lines))
                yield from map(Item, positions, records, repeat(None), map(len, lines))
        first += len(lines)


class _Blocks:
    """Lines of about :data:`_BLOCK_BYTES` at a time; an int for lines not worth a list:
    N blank lines, or -1 for one line beyond :data:`MAX_LINE_BYTES` (read past, not kept).
    ``carry`` is the start of a line not yet yielded."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.carry = b""

    def __iter__(self) -> Iterator[list[bytes] | int]:
        stream = self.stream
        while True:
            chunk = stream.read(_BLOCK_BYTES)
            if not chunk:
                break
            data = self.carry + chunk if self.carry else chunk
            self.carry = b""
            end = data.rfind(b"\n") + 1
            if not end:
                if len(data) > MAX_LINE_BYTES:
                    yield -1
                    _skip_line(stream)
                    continue
                self.carry = data
                continue
            block = data[:end] if end < len(data) else data
            self.carry = data[end:]
            if block.isspace():
                yield block.count(b"\n")
                continue
            yield block.splitlines(keepends=True)
        carry, self.carry = self.carry, b""
        if carry:
            yield 1 if carry.isspace() else [carry]


def _skip_line(stream: IO[bytes]) -> None:
    """Read past the rest of an over-long line, a block at a time."""
    while chunk := stream.read(_BLOCK_BYTES):
        if b"\n" in chunk:
            rest = chunk[chunk.index(b"\n") + 1 :]
            if rest and hasattr(stream, "seek") and stream.seekable():
                stream.seek(-len(rest), io.SEEK_CUR)
            elif rest:
                raise InputError(
                    f"a line is longer than {MAX_LINE_BYTES:,} bytes",
                    hint="write one record a line, each at most 1 MiB",
                )
            return


def _too_long() -> str:
    return f"the line is longer than {MAX_LINE_BYTES:,} bytes, so it cannot be one record"


def _invalid(exc: orjson.JSONDecodeError) -> str:
    """The parser's message, with its position as a column of this line."""
    return f"invalid JSON at column {exc.pos + 1}: {exc.msg}"


_LONG_NUMBER = re.compile(rb"\d{19,}")
"""A run of digits that may be an integer beyond 64 bits, which orjson turns into a float."""


def _exact_lines(lines: list[bytes], records: list[Any], first: int) -> Iterator[Item]:
    """The block's items, with lines holding long numbers decoded exactly (stdlib json), so
    an integer beyond 64 bits is refused by validation instead of silently rounded."""
    for offset, (line, record) in enumerate(zip(lines, records, strict=True)):
        if b"\\u0000" in line and _has_nul(record):
            yield Item(
                first + offset,
                error="a string holds a NUL character (\\u0000), which is not text a "
                "store can keep; remove it",
                size=len(line),
                text=line.strip(),
            )
            continue
        if not _LONG_NUMBER.search(line):
            yield Item(first + offset, record, None, len(line))
            continue
        exact = json.loads(line)
        if _has_lone_surrogate(exact):
            yield Item(first + offset, error="a string holds a lone surrogate", size=len(line))
            continue
        if _has_huge_int(exact):
            yield Item(
                first + offset,
                error="an integer beyond 64 bits, which no column "
                "stores exactly: send it as a string",
                size=len(line),
                text=line.strip(),
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


def _has_nul(value: Any) -> bool:
    if type(value) is str:
        return "\x00" in value
    if isinstance(value, dict):
        return any(map(_has_nul, value)) or any(map(_has_nul, value.values()))
    if isinstance(value, list):
        return any(map(_has_nul, value))
    return False


def _has_lone_surrogate(value: Any) -> bool:
    if type(value) is str:
        return not value.isascii() and any("\ud800" <= c <= "\udfff" for c in value)
    if isinstance(value, dict):
        return any(map(_has_lone_surrogate, value)) or any(map(_has_lone_surrogate, value.values()))
    if isinstance(value, list):
        return any(map(_has_lone_surrogate, value))
    return False


def _read_up_to(stream: IO[bytes]) -> bytes:
    """The rest of a stream, up to one byte past the whole-document limit, a block at a
    time (``read(limit)`` on a buffered stream would allocate the limit up front)."""
    parts: list[bytes] = []
    size = 0
    while size <= _WHOLE_DOCUMENT_LIMIT and (part := stream.read(_BLOCK_BYTES)):
        parts.append(part)
        size += len(part)
    return b"".join(parts)


def _read_whole_document(data: bytes, label: str) -> Iterator[Item]:
    if len(data) > _WHOLE_DOCUMENT_LIMIT:
        raise InputError(
            f"{label} is one JSON document of more than {_WHOLE_DOCUMENT_LIMIT:,} bytes",
            hint="write one record a line (NDJSON), or a JSON array of records",
        )
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InputError(
            f"{label} is not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}"
        ) from None
    docs = doc if isinstance(doc, list) else [doc]
    for position, record in enumerate(docs, 1):
        yield Item(position, record, line=False)


def _read_json_array(stream: IO[bytes], label: str) -> Iterator[Item]:
    import ijson

    position = 0
    guarded = io.BufferedReader(DepthLimited(stream, MAX_DEPTH, label))
    try:
        for position, record in enumerate(ijson.items(guarded, "item", use_float=True), 1):
            yield Item(position, record, line=False)
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
