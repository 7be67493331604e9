"""Bounds on input checked while it is read, before a parser can spend memory on it.

A streaming JSON parser builds whatever nesting it is given (a 40 KB array nested 20,000
deep took a gigabyte before the record's depth was checked), and a small gzip file can
expand to gigabytes. These stream wrappers refuse such input as it arrives, at C speed:
:class:`DepthLimited` tracks bracket depth outside strings a chunk at a time (regular
expressions and ``itertools.accumulate``, no Python loop per byte); :class:`BoundedGzip`
counts decompressed bytes against the compressed ones.
"""

from __future__ import annotations

import gzip
import io
import re
from itertools import accumulate
from typing import IO

from thermodb.errors import InputError

__all__ = ["GZIP_MAGIC", "MAX_EXPANSION", "BoundedGzip", "DepthLimited"]

GZIP_MAGIC = b"\x1f\x8b"
MAX_EXPANSION = 200
"""Most a gzip input may expand (decompressed / compressed bytes), past a first 64 MiB."""
_FREE_BYTES = 64 * 1024 * 1024

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_STRING_REST = re.compile(rb'(?:[^"\\]|\\.)*"', re.S)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = [0] * 256
for _b in b"[{":
    _STEP[_b] = 1
for _b in b"]}":
    _STEP[_b] = -1


class DepthLimited(io.RawIOBase):
    """A binary stream that raises InputError once JSON nests deeper than ``max_depth``."""

    def __init__(self, stream: IO[bytes], max_depth: int, label: str) -> None:
        self._stream = stream
        self._max = max_depth
        self._label = label
        self._depth = 0
        self._in_string = False
        self._escaped = False
        """The chunk ended inside a string on a backslash that escapes the next byte."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._stream.read(len(buffer))
        if data:
            self._scan(data)
        n = len(data)
        buffer[:n] = data
        return n

    def _scan(self, data: bytes) -> None:
        start = 0
        if self._in_string:
            if self._escaped:
                start, self._escaped = 1, False
            m = _STRING_REST.match(data, start)
            if m is None:
                self._escaped = _odd_backslashes(data, start)
                return
            start, self._in_string = m.end(), False
        outside = _STRING.sub(b"", data[start:] if start else data)
        quote = outside.find(b'"')
        if quote >= 0:  # a string runs on into the next chunk
            tail = outside[quote + 1 :]
            self._in_string, self._escaped = True, _odd_backslashes(tail, 0)
            outside = outside[:quote]
        brackets = outside.translate(None, _NOT_BRACKETS)
        if not brackets:
            return
        depths = list(accumulate(map(_STEP.__getitem__, brackets), initial=self._depth))
        if max(depths) > self._max:
            raise InputError(
                f"{self._label} nests deeper than {self._max} levels",
                hint="a record may nest at most 32 levels (objects and lists); flatten it",
            )
        self._depth = depths[-1]


def _odd_backslashes(data: bytes, start: int) -> bool:
    stripped = data.rstrip(b"\\")
    return (len(data) - max(len(stripped), start)) % 2 == 1


class BoundedGzip(io.RawIOBase):
    """Decompressed gzip input that refuses to expand past :data:`MAX_EXPANSION` times
    the compressed bytes read (after a first 64 MiB, which any input may use)."""

    def __init__(self, raw: IO[bytes], label: str, *, owns: bool = False) -> None:
        self._raw = raw
        self._owns = owns
        """Close ``raw`` too (a file this reader opened)."""
        self._counted = _Counting(raw)
        self._gzip = gzip.GzipFile(fileobj=self._counted, mode="rb")
        self._label = label
        self._out = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        try:
            n = self._gzip.readinto(buffer)
        except (OSError, EOFError) as exc:
            raise InputError(f"{self._label} is not valid gzip: {exc}") from None
        self._out += n
        if self._out > _FREE_BYTES and self._out > MAX_EXPANSION * max(self._counted.read_bytes, 1):
            raise InputError(
                f"{self._label} expands more than {MAX_EXPANSION}× when decompressed "
                f"({self._counted.read_bytes:,} bytes became over {self._out:,})",
                hint="this looks like a decompression bomb; send the data uncompressed or split it",
            )
        return n

    def close(self) -> None:
        self._gzip.close()
        if self._owns:
            self._raw.close()
        super().close()


class _Counting(io.RawIOBase):
    """Counts the bytes read from a stream."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        self.read_bytes += len(data)
        buffer[: len(data)] = data
        return len(data)
