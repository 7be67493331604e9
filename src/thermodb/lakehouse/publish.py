"""Publishing a collection's cold tier as one Iceberg table: idempotent and crash-safe.

Each publish reads the segment catalog in one snapshot, works out the table's schema and
file list (segments by reference, conformed copies where needed), and changes the table in
ONE Iceberg commit, which the SQL catalog makes visible in one UPDATE of the table's
metadata pointer. Before that commit nothing a reader can see has changed (new copies and
manifests are files no snapshot names yet); a failure at any point, a crash included,
leaves the previous snapshot published, and the next publish converges. Publishing a state
that is already published commits nothing.

A new collection, or a column widened beyond what Iceberg can promote, gets a new table
*generation*: a complete table built under a staging name, then swapped in by one UPDATE of
the catalog row (readers see the old table or the new, never none). After a commit, old
snapshots are expired and copies that no remaining snapshot names are removed.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from thermodb.catalog.model import Collection
from thermodb.catalog.types import FieldType
from thermodb.errors import StorageError
from thermodb.lakehouse.catalog import NAMESPACE, open_catalog, table_identifier
from thermodb.lakehouse.conform import conform, copy_digest, copy_reasons
from thermodb.lakehouse.layout import Lake
from thermodb.lakehouse.schema import columns_of, fits, iceberg_schema
from thermodb.lakehouse.source import LakeSource
from thermodb.tiers.segments import Segment

if TYPE_CHECKING:
    from pyiceberg.catalog.sql import SqlCatalog
    from pyiceberg.manifest import DataFile
    from pyiceberg.table import Table, Transaction

__all__ = ["PublishReport", "publish", "publish_all"]

STAGING = "__publishing_"
"""Table names under which a new generation is built before it is swapped in."""
STAGING_ABANDONED = timedelta(minutes=30)
"""A staging table this old belongs to a publish that crashed (none runs that long)."""
RETAIN = timedelta(hours=1)
"""Snapshots younger than this stay readable (and their copies kept) for running readers."""
NAME_MAPPING = "schema.name-mapping.default"
COMMIT_TRIES = 3


@dataclass
class PublishReport:
    """What one publish did to one collection's table."""

    collection: str
    table: str
    changed: bool = False
    generation: bool = False
    """True when a new table generation was swapped in (new table, or a widened column)."""
    dropped: bool = False
    """True when the collection is gone and its table was dropped from the catalog."""
    snapshot_id: int | None = None
    metadata_location: str | None = None
    segments: int = 0
    rows: int = 0
    referenced: int = 0
    """Segments the table names where they lie (no bytes copied)."""
    copied: list[dict[str, Any]] = field(default_factory=list)
    """Segments published as conformed copies, with the reasons."""
    files_added: int = 0
    files_removed: int = 0
    copies_removed: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Plan:
    """The table as it should be: schema columns and one file per live segment."""

    columns: dict[str, FieldType]
    files: dict[str, Segment]
    """Data-file URI → the segment it shows."""
    copies: dict[str, tuple[Segment, str, set[Any]]]
    """Copy URI → (segment, lake location, hidden keys) for segments needing a copy."""


def publish_all(db: LakeSource, **options: Any) -> list[PublishReport]:
    """Publish every collection with cold segments or a published table.

    The table of a collection that no longer exists is dropped from the catalog (its
    segments went with the collection); its report says ``dropped``.
    """
    db.catalog.refresh()
    names = {s.collection for s in db.thermal.segments.segments()}
    with _storage_errors("every collection"):
        catalog = open_catalog(db)
    dropped: list[PublishReport] = []
    try:
        for _, name in catalog.list_tables(NAMESPACE):
            if STAGING in name:
                continue
            if db.catalog.find(name) is None:
                catalog.drop_table(table_identifier(name))
                dropped.append(
                    PublishReport(name, f"{NAMESPACE}.{name}", changed=True, dropped=True)
                )
            else:
                names.add(name)
    finally:
        catalog.engine.dispose()
    return [*(publish(db, name, **options) for name in sorted(names)), *dropped]


def publish(
    db: LakeSource,
    collection: str,
    *,
    checkpoint: Callable[[str], None] | None = None,
    now: datetime | None = None,
) -> PublishReport:
    """Make the collection's Iceberg table show its live cold segments, exactly.

    ``checkpoint(step)`` is called before each visible step ("copies-written",
    "before-commit", "before-swap", "committed"); tests raise there to simulate a crash.
    """
    started = time.monotonic()
    db.catalog.refresh()
    coll = db.catalog.get(collection)
    lake = Lake.beside(db.thermal.cold)
    step = checkpoint or (lambda _step: None)
    moment = now or datetime.now(UTC)
    with _storage_errors(collection):
        catalog = open_catalog(db)
    try:
        for attempt in range(COMMIT_TRIES):
            report = PublishReport(collection=collection, table=f"{NAMESPACE}.{collection}")
            try:
                _publish_once(db, coll, lake, catalog, report, step, moment)
                break
            except _Conflict:
                if attempt == COMMIT_TRIES - 1:
                    raise StorageError(
                        f"the cold tier of {collection!r} kept changing under the publish",
                        hint="a migration pass or another publish is running; try again",
                    ) from None
        if report.changed:
            table = catalog.load_table(table_identifier(collection))
            report.copies_removed = _clean(table, lake, collection, moment)
    except (OSError, ValueError, SQLAlchemyError, pa.ArrowException) as exc:
        raise _storage_error(collection, exc) from exc
    finally:
        catalog.engine.dispose()
    report.seconds = round(time.monotonic() - started, 3)
    return report


@contextlib.contextmanager
def _storage_errors(collection: str) -> Iterator[None]:
    try:
        yield
    except (OSError, ValueError, SQLAlchemyError, pa.ArrowException) as exc:
        raise _storage_error(collection, exc) from exc


def _storage_error(collection: str, exc: BaseException) -> StorageError:
    text = str(exc).strip().splitlines()
    return StorageError(
        f"cannot publish {collection!r}: {text[0] if text else type(exc).__name__}",
        hint="the previously published snapshot stays; check that the cold store and the "
        "operational store are reachable, then publish again",
    )


class _Conflict(Exception):
    """Another publish committed first: plan again."""


def _publish_once(
    db: LakeSource,
    coll: Collection,
    lake: Lake,
    catalog: SqlCatalog,
    report: PublishReport,
    step: Callable[[str], None],
    now: datetime,
) -> None:
    from pyiceberg.exceptions import CommitFailedException, NoSuchTableError

    plan = _plan(db, coll, lake)
    report.segments = len(plan.files)
    report.rows = sum(s.rows for s in plan.files.values())
    report.referenced = len(plan.files) - len(plan.copies)
    report.copied = [
        {"segment": seg.id, "reasons": copy_reasons(seg, plan.columns, hidden)}
        for seg, _, hidden in plan.copies.values()
    ]
    identifier = table_identifier(coll.name)
    _drop_staging(catalog, coll.name, now)
    try:
        table: Table | None = catalog.load_table(identifier)
    except NoSuchTableError:
        table = None
    try:
        if table is not None and fits(table.schema(), plan.columns):
            _update(table, plan, lake, db, coll, report, step)
        else:
            _new_generation(catalog, table, plan, lake, db, coll, report, step)
    except (CommitFailedException, FileNotFoundError) as exc:
        raise _Conflict() from exc  # another publish, or a segment retired since the plan
    current = catalog.load_table(identifier)
    snap = current.current_snapshot()
    report.snapshot_id = snap.snapshot_id if snap is not None else None
    report.metadata_location = current.metadata_location


def _plan(db: LakeSource, coll: Collection, lake: Lake) -> _Plan:
    """The wanted table, from one consistent read of the segment catalog."""
    segments = db.thermal.segments
    with db.store.read() as conn:
        db.store.backend.snapshot(conn)
        segs = segments.segments(coll.name, conn=conn)
        hidden = segments.tombstones(conn, [s.id for s in segs])
    columns = columns_of(coll, segs)
    files: dict[str, Segment] = {}
    copies: dict[str, tuple[Segment, str, set[Any]]] = {}
    for seg in segs:
        keys = hidden.get(seg.id, set())
        if copy_reasons(seg, columns, keys):
            location = lake.copy_location(coll.name, seg.id, copy_digest(seg, columns, keys))
            uri = lake.uri(lake.store, location)
            copies[uri] = (seg, location, keys)
        else:
            uri = lake.segment_uri(seg.location)
        files[uri] = seg
    return _Plan(columns=columns, files=files, copies=copies)


def _write_copies(
    plan: _Plan, wanted: set[str], lake: Lake, db: LakeSource, coll: Collection
) -> None:
    """Write the conformed copies the new snapshot needs (any earlier attempt overwritten)."""
    key = coll.fields.get(coll.key_field or "")
    key_column = key.column if key is not None else None
    for uri in sorted(wanted):
        seg, location, hidden = plan.copies[uri]
        table = conform(db.thermal.cold.read(seg.location), seg, plan.columns, hidden, key_column)
        lake.store.write(location, table)


def _update(
    table: Table,
    plan: _Plan,
    lake: Lake,
    db: LakeSource,
    coll: Collection,
    report: PublishReport,
    step: Callable[[str], None],
) -> None:
    """Add new columns and swap the changed files, in one commit (or none if unchanged)."""
    current = _data_files(table)
    schema = iceberg_schema(plan.columns, table.schema())
    existing_names = {f.name for f in table.schema().fields}
    added_fields = [f for f in schema.fields if f.name not in existing_names]
    to_add = sorted(set(plan.files) - set(current))
    to_remove = [current[uri] for uri in sorted(set(current) - set(plan.files))]
    if not added_fields and not to_add and not to_remove:
        return
    _write_copies(plan, set(to_add) & set(plan.copies), lake, db, coll)
    step("copies-written")
    tx = table.transaction()
    if added_fields:
        with tx.update_schema() as update:
            for f in added_fields:
                update.add_column(f.name, f.field_type, required=False)
    _set_name_mapping(tx)
    _replace_files(tx, to_add, to_remove)
    step("before-commit")
    tx.commit_transaction()
    step("committed")
    report.changed = True
    report.files_added, report.files_removed = len(to_add), len(to_remove)


def _new_generation(
    catalog: SqlCatalog,
    old: Table | None,
    plan: _Plan,
    lake: Lake,
    db: LakeSource,
    coll: Collection,
    report: PublishReport,
    step: Callable[[str], None],
) -> None:
    """Build the whole table under a staging name, then swap it in with one UPDATE."""
    generation = uuid.uuid4().hex[:12]
    staging = (NAMESPACE, f"{coll.name}{STAGING}{int(time.time())}_{generation}")
    schema = iceberg_schema(plan.columns, None)
    _write_copies(plan, set(plan.copies), lake, db, coll)
    step("copies-written")
    tx = catalog.create_table_transaction(
        staging,
        schema,
        location=lake.table_location(coll.name, generation),
        properties={
            NAME_MAPPING: schema.name_mapping.model_dump_json(),
            "format-version": "2",
            "thermodb.collection": coll.name,
        },
    )
    _replace_files(tx, sorted(plan.files), [])
    step("before-commit")
    tx.commit_transaction()
    step("before-swap")
    _swap(catalog, coll.name, staging[1], old.metadata_location if old is not None else None)
    step("committed")
    report.changed = report.generation = True
    report.files_added = len(plan.files)
    report.files_removed = len(_data_files(old)) if old is not None else 0


def _swap(catalog: SqlCatalog, name: str, staging: str, expected: str | None) -> None:
    """Point the collection's catalog row at the staged table, in one transaction."""
    from pyiceberg.catalog.sql import IcebergTables
    from pyiceberg.exceptions import CommitFailedException

    rows = cast(sa.Table, IcebergTables.__table__)
    where = sa.and_(rows.c.catalog_name == catalog.name, rows.c.table_namespace == NAMESPACE)
    with catalog.engine.begin() as conn:
        staged = conn.execute(
            sa.select(rows.c.metadata_location).where(where, rows.c.table_name == staging)
        ).scalar_one_or_none()
        if staged is None:
            raise CommitFailedException(f"the staged table {staging} is gone")
        if expected is None:
            conn.execute(
                rows.update()
                .where(where, rows.c.table_name == staging)
                .values(table_name=name, previous_metadata_location=None)
            )
            return
        swapped = conn.execute(
            rows.update()
            .where(where, rows.c.table_name == name, rows.c.metadata_location == expected)
            .values(metadata_location=staged, previous_metadata_location=expected)
        ).rowcount
        if swapped != 1:
            raise CommitFailedException(f"the table {name} changed during the publish")
        conn.execute(rows.delete().where(where, rows.c.table_name == staging))


def _drop_staging(catalog: SqlCatalog, name: str, now: datetime) -> None:
    """Forget tables crashed publishes left under staging names (their files are unnamed).

    Only old ones: a younger staging table may be another publish's, about to be swapped in.
    """
    prefix = f"{name}{STAGING}"
    for _, table_name in catalog.list_tables(NAMESPACE):
        started = table_name.removeprefix(prefix).partition("_")[0]
        if table_name.startswith(prefix) and started.isdigit():
            age = now - datetime.fromtimestamp(int(started), UTC)
            if age > STAGING_ABANDONED:
                with contextlib.suppress(Exception):
                    catalog.drop_table((NAMESPACE, table_name))


def _set_name_mapping(tx: Transaction) -> None:
    """Files carry no Iceberg field ids: readers map their columns by these names."""
    tx.set_properties({NAME_MAPPING: tx.table_metadata.schema().name_mapping.model_dump_json()})


def _replace_files(tx: Transaction, add: list[str], remove: list[DataFile]) -> None:
    if not add and not remove:
        return
    io = tx._table.io
    metadata = tx.table_metadata  # computed once: each access replays the staged updates
    checked: set[str] = set()
    data_files = [_data_file(io, metadata, uri, checked) for uri in add]
    with tx.update_snapshot().overwrite() as overwrite:
        for data_file in remove:
            overwrite.delete_data_file(data_file)
        for data_file in data_files:
            overwrite.append_data_file(data_file)


def _data_file(io: Any, metadata: Any, uri: str, checked: set[str]) -> DataFile:
    """pyiceberg's ``parquet_file_to_data_file``: footer statistics of one file, by
    reference; the schema check is skipped for a Parquet schema already checked."""
    import pyarrow.parquet as pq
    from pyiceberg.io import pyarrow as piopa
    from pyiceberg.manifest import DataFile, DataFileContent, FileFormat

    input_file = io.new_input(uri)
    with input_file.open() as stream:
        parquet = pq.read_metadata(stream)
    schema = metadata.schema()
    arrow_schema = parquet.schema.to_arrow_schema()
    key = arrow_schema.to_string()
    if key not in checked:
        piopa._check_pyarrow_schema_compatible(
            schema, arrow_schema, format_version=metadata.format_version
        )
        checked.add(key)
    statistics = piopa.data_file_statistics_from_parquet_metadata(
        parquet_metadata=parquet,
        stats_columns=piopa.compute_statistics_plan(schema, metadata.properties),
        parquet_column_mapping=piopa.parquet_path_to_id_mapping(schema),
    )
    return DataFile.from_args(
        content=DataFileContent.DATA,
        file_path=uri,
        file_format=FileFormat.PARQUET,
        partition=statistics.partition(metadata.spec(), schema),
        file_size_in_bytes=len(input_file),
        sort_order_id=None,
        spec_id=metadata.default_spec_id,
        equality_ids=None,
        key_metadata=None,
        **statistics.to_serialized_dict(),
    )


def _data_files(table: Table) -> dict[str, DataFile]:
    """The data files of the table's current snapshot, by URI."""
    if table.current_snapshot() is None:
        return {}
    return {task.file.file_path: task.file for task in table.scan().plan_files()}


def _clean(table: Table, lake: Lake, collection: str, now: datetime) -> int:
    """Expire snapshots older than RETAIN; remove copies no remaining snapshot names."""
    current = table.current_snapshot()
    old = [
        s.snapshot_id
        for s in table.snapshots()
        if current is not None
        and s.snapshot_id != current.snapshot_id
        and datetime.fromtimestamp(s.timestamp_ms / 1000, UTC) < now - RETAIN
    ]
    if old:
        table.maintenance.expire_snapshots().by_ids(old).commit()
        table.refresh()
    named: set[str] = set()
    for snap in table.snapshots():
        for manifest in snap.manifests(table.io):
            named.update(e.data_file.file_path for e in manifest.fetch_manifest_entry(table.io))
    prefix = lake.copies_prefix(collection)
    removed = 0
    for location in list(lake.store.files()):
        uri = lake.uri(lake.store, location)
        if uri.startswith(prefix) and uri not in named:
            lake.store.delete(location)
            removed += 1
    return removed
