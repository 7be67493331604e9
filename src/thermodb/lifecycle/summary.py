"""What a database holds, per collection: live records across tiers and one checksum.

The checksum is order-free (the sum of a 128-bit hash of each record's canonical JSON), so
the same records give the same figure whichever tier, segment or row order holds them:
a backup's manifest records it at the snapshot point, and a verify recomputes it from a
restored copy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import orjson
import pyarrow as pa
import sqlalchemy as sa

from thermodb.catalog.model import Collection
from thermodb.records import row_to_record
from thermodb.storage.operational import OperationalStore
from thermodb.tiers.rowsets import records_from_table
from thermodb.tiers.segments import SegmentCatalog

__all__ = ["collection_summaries", "load_collections", "record_digest"]

_MOD = 1 << 128
ReadSegment = Callable[[str], pa.Table]


def record_digest(record: dict[str, Any]) -> int:
    text = orjson.dumps(record, option=orjson.OPT_SORT_KEYS | orjson.OPT_UTC_Z, default=str)
    return int.from_bytes(hashlib.blake2b(text, digest_size=16).digest(), "big")


def load_collections(store: OperationalStore) -> list[Collection]:
    """The collections in a store's catalog table, read directly (no Database needed)."""
    from thermodb.catalog.store import collections_table

    with store.read() as conn:
        docs = conn.execute(sa.select(collections_table.c.doc)).scalars().all()
    return sorted((Collection.model_validate_json(d) for d in docs), key=lambda c: c.name)


def collection_summaries(
    store: OperationalStore, collections: list[Collection], read_segment: ReadSegment
) -> dict[str, dict[str, Any]]:
    """{collection: {rows, warm_rows, cold_rows, checksum}} in one read snapshot."""
    segments = SegmentCatalog(store)
    out: dict[str, dict[str, Any]] = {}
    with store.read() as conn:
        for coll in collections:
            total, warm = 0, 0
            table = store.table(coll)
            for row in conn.execute(sa.select(table)).mappings():
                total = (total + record_digest(row_to_record(coll, row))) % _MOD
                warm += 1
            segs = segments.segments(coll.name, conn=conn)
            hidden = segments.tombstones(conn, [s.id for s in segs])
            key = coll.key_field
            cold = 0
            for seg in segs:
                for record in records_from_table(coll, read_segment(seg.location)):
                    if key is not None and record.get(key) in hidden[seg.id]:
                        continue
                    total = (total + record_digest(record)) % _MOD
                    cold += 1
            out[coll.name] = {
                "rows": warm + cold,
                "warm_rows": warm,
                "cold_rows": cold,
                "checksum": f"{total:032x}",
            }
    return out
