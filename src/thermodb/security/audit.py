"""A hash-chained, tamper-evident audit log with signed checkpoints.

Every entry stores ``hash = sha256(prev_hash || canonical JSON of the entry)``; editing,
removing or reordering any entry breaks the chain from there on, and :meth:`AuditLog.verify`
says at which sequence number. Every ``checkpoint_every`` entries a checkpoint signs the
head hash (HMAC-SHA256 with a shared key, or Ed25519 via ``cryptography``), so rewriting
the whole tail consistently is caught too, unless the signing key leaked as well.

The *head anchor* (one row, rewritten in the same transaction as every append) signs the
count and the hash of the newest entry, so cutting entries off the end, or cutting
entries and checkpoints together, or rewriting the tail after the last checkpoint, is
caught too. What stays undetectable from inside the database: putting back an *older*
anchor together with the log cut to match it (a replay). Keep a copy of the anchor
elsewhere (``thermodb audit verify --format json`` prints it) to catch that.

Writes, admin actions and denials are appended at once, in their own transaction;
successful reads are queued and appended in batches every ``flush_interval_s`` (50 ms) by
a background thread, which keeps reads fast; a crash can lose that last interval of read
entries, never a write's. The sequence number is the primary key, so two
writers (threads, workers, servers) racing for the same slot cannot fork the chain: the
loser retries on the new head.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from thermodb.errors import ConfigError, StorageError
from thermodb.storage.operational import OperationalStore

__all__ = ["AuditEntry", "AuditLog", "Signer", "VerifyReport"]

GENESIS = "0" * 64
_meta = sa.MetaData()
audit_table = sa.Table(
    "thermo_audit",
    _meta,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.String(300), nullable=False),
    sa.Column("outcome", sa.String(32), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)
anchor_table = sa.Table(
    "thermo_audit_anchor",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("alg", sa.String(16), nullable=False),
    sa.Column("signature", sa.Text, nullable=False),
    sa.Column("at", sa.String(40), nullable=False),
)
checkpoints_table = sa.Table(
    "thermo_audit_checkpoints",
    _meta,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("alg", sa.String(16), nullable=False),
    sa.Column("signature", sa.Text, nullable=False),
    sa.Column("at", sa.String(40), nullable=False),
)


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    actor: str
    action: str
    target: str
    outcome: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "outcome": self.outcome,
            "detail": self.detail,
            "hash": self.hash,
        }


def entry_hash(
    prev: str, seq: int, at: str, actor: str, action: str, target: str, outcome: str, detail: str
) -> str:
    body = orjson.dumps([seq, at, actor, action, target, outcome, detail])
    return hashlib.sha256(prev.encode() + body).hexdigest()


class Signer:
    """Signs and verifies checkpoint hashes with HMAC-SHA256 or Ed25519."""

    def __init__(self, hmac_key: bytes | None = None, ed25519_pem: str | None = None) -> None:
        self.hmac_key = hmac_key
        self._private: Any = None
        self._public: Any = None
        if ed25519_pem:
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
            from cryptography.hazmat.primitives.serialization import load_pem_private_key

            key = load_pem_private_key(ed25519_pem.encode(), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise ConfigError("audit_ed25519_key is not an Ed25519 private key")
            self._private = key
            self._public = key.public_key()

    @property
    def alg(self) -> Literal["ed25519", "hmac-sha256", "none"]:
        if self._private is not None:
            return "ed25519"
        return "hmac-sha256" if self.hmac_key else "none"

    def sign(self, digest: str) -> str:
        if self._private is not None:
            return str(self._private.sign(digest.encode()).hex())
        if self.hmac_key:
            return hmac.new(self.hmac_key, digest.encode(), hashlib.sha256).hexdigest()
        return ""

    def verify(self, alg: str, digest: str, signature: str) -> bool | None:
        """True/False, or None when this signer holds no key for ``alg``."""
        if alg == "ed25519" and self._public is not None:
            from cryptography.exceptions import InvalidSignature

            try:
                self._public.verify(bytes.fromhex(signature), digest.encode())
                return True
            except (InvalidSignature, ValueError):
                return False
        if alg == "hmac-sha256" and self.hmac_key:
            good = hmac.new(self.hmac_key, digest.encode(), hashlib.sha256).hexdigest()
            return hmac.compare_digest(good, signature)
        return None


@dataclass
class VerifyReport:
    ok: bool
    entries: int
    checkpoints: int
    checkpoints_verified: int
    problems: list[str] = field(default_factory=list)
    first_bad_seq: int | None = None
    anchor: dict[str, Any] | None = None
    """The signed head (seq, hash, signature): keep a copy elsewhere to catch a replay."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "checkpoints": self.checkpoints,
            "checkpoints_verified": self.checkpoints_verified,
            "first_bad_seq": self.first_bad_seq,
            "problems": self.problems,
            "anchor": self.anchor,
        }


class AuditLog:
    """Append, read and verify the audit chain of one operational store."""

    def __init__(
        self,
        store: OperationalStore,
        signer: Signer | None = None,
        checkpoint_every: int = 1000,
        flush_interval_s: float = 0.05,
    ) -> None:
        self.store = store
        self.signer = signer or Signer()
        self.checkpoint_every = checkpoint_every
        self.flush_interval_s = flush_interval_s
        self._lock = threading.Lock()
        self._queue_lock = threading.Lock()
        self._queue: list[tuple[str, str, str, str, str]] = []
        self._flusher: threading.Thread | None = None
        with store.begin() as conn:
            _meta.create_all(conn)

    def append(
        self,
        actor: str,
        action: str,
        target: str = "",
        outcome: str = "ok",
        detail: dict[str, Any] | None = None,
    ) -> int:
        """Append one entry now (with any queued ones before it); returns its number."""
        return self._write([_pending(actor, action, target, outcome, detail)])

    def enqueue(
        self,
        actor: str,
        action: str,
        target: str = "",
        outcome: str = "ok",
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Queue an entry; a background thread appends the queue in one transaction within
        ``flush_interval_s``. Used for successful reads, whose entries may lag (and, on a
        crash, lose up to that interval); writes, admin actions and denials use append()."""
        with self._queue_lock:
            self._queue.append(_pending(actor, action, target, outcome, detail))
            if self._flusher is None:
                self._flusher = threading.Thread(
                    target=self._flush_loop, name="thermodb-audit", daemon=True
                )
                self._flusher.start()

    def flush(self) -> None:
        """Append every queued entry now."""
        self._write([])

    def _flush_loop(self) -> None:
        while True:
            time.sleep(self.flush_interval_s)
            try:
                self.flush()
            except StorageError:  # pragma: no cover - retried on the next tick
                continue

    def _write(self, entries: list[tuple[str, str, str, str, str]]) -> int:
        with self._lock:
            with self._queue_lock:
                batch, self._queue = self._queue + entries, []
            if not batch:
                return 0
            for _attempt in range(20):
                try:
                    return self._insert(batch)
                except StorageError as exc:
                    if not isinstance(exc.__cause__, IntegrityError):
                        raise
            raise StorageError("could not append to the audit log: too much contention")

    def _insert(self, batch: list[tuple[str, str, str, str, str]]) -> int:
        with self.store.begin() as conn:
            head = conn.execute(
                sa.select(audit_table.c.seq, audit_table.c.hash)
                .order_by(audit_table.c.seq.desc())
                .limit(1)
            ).first()
            seq = int(head[0]) if head else 0
            prev = head[1] if head else GENESIS
            rows = []
            checkpoints = []
            for actor, action, target, outcome, text in batch:
                seq += 1
                at = datetime.now(UTC).isoformat(timespec="microseconds")
                digest = entry_hash(prev, seq, at, actor, action, target, outcome, text)
                rows.append(
                    {
                        "seq": seq,
                        "at": at,
                        "actor": actor,
                        "action": action,
                        "target": target,
                        "outcome": outcome,
                        "detail": text,
                        "prev_hash": prev,
                        "hash": digest,
                    }
                )
                if seq % self.checkpoint_every == 0 and self.signer.alg != "none":
                    checkpoints.append((seq, digest))
                prev = digest
            conn.execute(audit_table.insert(), rows)
            for cp_seq, digest in checkpoints:
                self._checkpoint(conn, cp_seq, digest)
            self._anchor(conn, seq, prev, update=head is not None)
            return seq

    def _anchor(self, conn: Any, seq: int, digest: str, *, update: bool) -> None:
        """Sign the new head (count and hash) in the appending transaction."""
        values = {
            "seq": seq,
            "hash": digest,
            "alg": self.signer.alg,
            "signature": self.signer.sign(_anchor_text(seq, digest)),
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        if update:
            done = conn.execute(
                anchor_table.update().where(anchor_table.c.id == 1).values(**values)
            )
            if done.rowcount:
                return
        conn.execute(anchor_table.insert().values(id=1, **values))

    def _checkpoint(self, conn: Any, seq: int, digest: str) -> None:
        conn.execute(
            checkpoints_table.insert().values(
                seq=seq,
                hash=digest,
                alg=self.signer.alg,
                signature=self.signer.sign(digest),
                at=datetime.now(UTC).isoformat(timespec="seconds"),
            )
        )

    def checkpoint(self) -> int | None:
        """Sign the current head now (also done every ``checkpoint_every`` entries)."""
        self.flush()
        with self._lock, self.store.begin() as conn:
            head = conn.execute(
                sa.select(audit_table.c.seq, audit_table.c.hash)
                .order_by(audit_table.c.seq.desc())
                .limit(1)
            ).first()
            if head is None:
                return None
            exists = conn.execute(
                sa.select(checkpoints_table.c.seq).where(checkpoints_table.c.seq == head[0])
            ).first()
            if exists is None:
                self._checkpoint(conn, head[0], head[1])
            return int(head[0])

    def tail(self, n: int = 20) -> list[AuditEntry]:
        self.flush()
        with self.store.read() as conn:
            rows = conn.execute(
                audit_table.select().order_by(audit_table.c.seq.desc()).limit(n)
            ).mappings()
            return [_entry(r) for r in reversed(list(rows))]

    def entries(self) -> Iterator[AuditEntry]:
        self.flush()
        with self.store.read() as conn:
            for r in conn.execute(audit_table.select().order_by(audit_table.c.seq)).mappings():
                yield _entry(r)

    def verify(self) -> VerifyReport:
        """Walk the chain and the checkpoints; report the first place it breaks."""
        self.flush()
        report = VerifyReport(ok=True, entries=0, checkpoints=0, checkpoints_verified=0)
        prev, expected_seq = GENESIS, 1
        hashes: dict[int, str] = {}

        def bad(seq: int, message: str) -> None:
            report.ok = False
            report.problems.append(message)
            if report.first_bad_seq is None:
                report.first_bad_seq = seq

        with self.store.read() as conn:
            for r in conn.execute(audit_table.select().order_by(audit_table.c.seq)).mappings():
                report.entries += 1
                seq = int(r["seq"])
                if seq != expected_seq:
                    bad(expected_seq, f"entry {expected_seq} is missing (next is {seq})")
                if r["prev_hash"] != prev:
                    bad(
                        seq,
                        f"entry {seq} does not follow the entry before it (removed or reordered)",
                    )
                digest = entry_hash(
                    r["prev_hash"], seq, r["at"], r["actor"], r["action"], r["target"],
                    r["outcome"], r["detail"],
                )  # fmt: skip
                if digest != r["hash"]:
                    bad(seq, f"entry {seq} was edited (its hash does not match its content)")
                hashes[seq] = r["hash"]
                prev, expected_seq = r["hash"], seq + 1
            signed = self.signer.alg != "none"
            seen: set[int] = set()
            for c in conn.execute(
                checkpoints_table.select().order_by(checkpoints_table.c.seq)
            ).mappings():
                report.checkpoints += 1
                seq = int(c["seq"])
                seen.add(seq)
                if hashes.get(seq) != c["hash"]:
                    bad(seq, f"checkpoint {seq} does not match the chain (entries rewritten)")
                verdict = self.signer.verify(c["alg"], c["hash"], c["signature"])
                if verdict is False or (signed and c["alg"] != self.signer.alg):
                    # with a key in hand, an unsigned or differently signed checkpoint is a
                    # stripped signature, not one we merely cannot check
                    bad(seq, f"checkpoint {seq} has a bad or missing signature (forged)")
                elif verdict:
                    report.checkpoints_verified += 1
            last = max(hashes, default=0)
            anchor = conn.execute(anchor_table.select()).mappings().first()
            if anchor is None:
                if hashes:
                    bad(last, "the signed head anchor is missing (removed to hide a cut)")
            else:
                a_seq, a_hash = int(anchor["seq"]), anchor["hash"]
                report.anchor = {
                    "seq": a_seq,
                    "hash": a_hash,
                    "alg": anchor["alg"],
                    "signature": anchor["signature"],
                }
                if a_seq > last:
                    bad(
                        last + 1,
                        f"the log ends at entry {last} but its signed head is entry {a_seq}: "
                        "entries were cut from the end",
                    )
                elif hashes.get(a_seq) != a_hash:
                    bad(a_seq, f"entry {a_seq}, the signed head, was rewritten")
                elif a_seq < last:
                    bad(
                        a_seq + 1,
                        f"entries {a_seq + 1}..{last} were added after the signed head "
                        "(written outside the audit log)",
                    )
                verdict = self.signer.verify(
                    anchor["alg"], _anchor_text(a_seq, a_hash), anchor["signature"]
                )
                if verdict is False or (signed and anchor["alg"] != self.signer.alg):
                    bad(a_seq, "the head anchor has a bad or missing signature (forged)")
            if signed and seen:
                # from the first checkpoint on, every checkpoint_every-th entry has one (a
                # log signed only later has none before; deleting all of them is caught
                # only by a copy kept elsewhere: see docs/security.md)
                every = self.checkpoint_every
                first = -(-min(seen) // every) * every
                for seq in range(first, max(hashes, default=0) + 1, every):
                    if seq not in seen:
                        bad(seq, f"checkpoint {seq} is missing (removed to hide a rewrite)")
        return report


def _anchor_text(seq: int, digest: str) -> str:
    return f"head:{seq}:{digest}"


def _pending(
    actor: str, action: str, target: str, outcome: str, detail: dict[str, Any] | None
) -> tuple[str, str, str, str, str]:
    try:
        text = orjson.dumps(detail or {}, default=str, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError:  # e.g. an integer beyond 64 bits: the entry is still written
        text = orjson.dumps({"unserializable": str(detail)[:2000]}).decode()
    return (actor[:200], action[:64], target[:300], outcome[:32], text)


def _entry(r: Any) -> AuditEntry:
    return AuditEntry(
        seq=int(r["seq"]),
        at=r["at"],
        actor=r["actor"],
        action=r["action"],
        target=r["target"],
        outcome=r["outcome"],
        detail=orjson.loads(r["detail"]),
        prev_hash=r["prev_hash"],
        hash=r["hash"],
    )
