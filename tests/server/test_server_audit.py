"""The audit chain: appends, tamper detection (edit, remove, reorder) and signed checkpoints."""

from __future__ import annotations

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from thermodb.database import Database
from thermodb.security.audit import AuditLog, Signer


def _log(db: Database, signer: Signer | None = None, n: int = 10) -> AuditLog:
    log = AuditLog(db.store, signer or Signer(b"k"), checkpoint_every=4)
    for i in range(n):
        log.append(f"user{i % 3}", "query", f"c{i}", detail={"i": i})
    return log


def test_chain_verifies_and_checkpoints_are_signed(db: Database) -> None:
    log = _log(db)
    report = log.verify()
    assert report.ok and report.entries == 10
    assert report.checkpoints == 2 and report.checkpoints_verified == 2


def test_edited_entry_is_found(db: Database) -> None:
    log = _log(db)
    with db.store.begin() as conn:
        conn.execute(
            sa.text("UPDATE thermo_audit SET outcome = 'ok', actor = 'mallory' WHERE seq = 6")
        )
    report = log.verify()
    assert not report.ok and report.first_bad_seq == 6
    assert "edited" in report.problems[0]


def test_removed_entry_is_found(db: Database) -> None:
    log = _log(db)
    with db.store.begin() as conn:
        conn.execute(sa.text("DELETE FROM thermo_audit WHERE seq = 3"))
    report = log.verify()
    assert not report.ok and report.first_bad_seq == 3


def test_reordered_entries_are_found(db: Database) -> None:
    log = _log(db)
    with db.store.begin() as conn:
        rows = {
            r["seq"]: dict(r)
            for r in conn.execute(
                sa.text("SELECT * FROM thermo_audit WHERE seq IN (4, 5)")
            ).mappings()
        }
        for seq, other in ((4, 5), (5, 4)):
            values = {k: v for k, v in rows[other].items() if k != "seq"}
            sets = ", ".join(f"{k} = :{k}" for k in values)
            conn.execute(
                sa.text(f"UPDATE thermo_audit SET {sets} WHERE seq = :seq"), {**values, "seq": seq}
            )
    report = log.verify()
    assert not report.ok and report.first_bad_seq == 4


def test_rewritten_tail_is_caught_by_checkpoint(db: Database) -> None:
    """Someone recomputes every hash after editing entry 2: only the signature catches it."""
    from thermodb.security.audit import GENESIS, entry_hash

    log = _log(db)
    with db.store.begin() as conn:
        conn.execute(sa.text("UPDATE thermo_audit SET actor = 'mallory' WHERE seq = 2"))
        prev = GENESIS
        for r in conn.execute(sa.text("SELECT * FROM thermo_audit ORDER BY seq")).mappings().all():
            h = entry_hash(
                prev,
                r["seq"],
                r["at"],
                r["actor"],
                r["action"],
                r["target"],
                r["outcome"],
                r["detail"],
            )
            conn.execute(
                sa.text("UPDATE thermo_audit SET prev_hash = :p, hash = :h WHERE seq = :s"),
                {"p": prev, "h": h, "s": r["seq"]},
            )
            prev = h
    report = log.verify()
    assert not report.ok and report.first_bad_seq == 4
    assert "checkpoint" in report.problems[0]


def test_forged_checkpoint_signature(sqlite_db: Database) -> None:
    log = _log(sqlite_db)
    with sqlite_db.store.begin() as conn:
        conn.execute(sa.text("UPDATE thermo_audit_checkpoints SET signature = 'ab' || signature"))
    report = log.verify()
    assert not report.ok and "signature" in report.problems[0]


def test_ed25519_checkpoints(sqlite_db: Database) -> None:
    pem = (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    log = _log(sqlite_db, Signer(ed25519_pem=pem), n=8)
    report = log.verify()
    assert report.ok and report.checkpoints_verified == 2
    other = AuditLog(sqlite_db.store, Signer(ed25519_pem=Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()))  # fmt: skip
    assert not other.verify().ok  # a different key does not vouch for these checkpoints


def test_concurrent_appends_keep_one_chain(sqlite_db: Database) -> None:
    import threading

    logs = [AuditLog(sqlite_db.store, Signer(b"k"), checkpoint_every=1000) for _ in range(3)]

    def work(log: AuditLog) -> None:
        for i in range(20):
            log.append("t", "query", str(i))

    threads = [threading.Thread(target=work, args=(log,)) for log in logs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = logs[0].verify()
    assert report.ok and report.entries == 60


def test_stripped_or_removed_signatures_are_found(db: Database) -> None:
    log = _log(db)
    with db.store.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE thermo_audit_checkpoints SET alg = 'none', signature = '' WHERE seq = 4"
            )
        )
    report = log.verify()
    assert not report.ok and report.first_bad_seq == 4 and "signature" in report.problems[0]
    log2 = _log(db, n=0)
    with db.store.begin() as conn:
        conn.execute(sa.text("DELETE FROM thermo_audit_checkpoints WHERE seq = 8"))
    report = log2.verify()
    assert not report.ok and any("missing" in p for p in report.problems)


# -- the head anchor (finding 10) ----------------------------------------------------------
def test_cut_tail_after_last_checkpoint_is_found(db: Database) -> None:
    log = _log(db)  # checkpoints at 4 and 8; entries 9 and 10 after the last one
    with db.store.begin() as conn:
        conn.execute(sa.text("DELETE FROM thermo_audit WHERE seq > 8"))
    report = log.verify()
    assert not report.ok and "cut from the end" in " ".join(report.problems)


def test_entries_and_checkpoints_cut_together_are_found(db: Database) -> None:
    log = _log(db)
    with db.store.begin() as conn:
        conn.execute(sa.text("DELETE FROM thermo_audit WHERE seq > 3"))
        conn.execute(sa.text("DELETE FROM thermo_audit_checkpoints WHERE seq > 3"))
    report = log.verify()
    assert not report.ok and report.first_bad_seq == 4


def test_rewritten_tail_is_found(db: Database) -> None:
    """Entries after the last checkpoint rewritten into a consistent chain of their own."""
    from thermodb.security.audit import entry_hash

    log = _log(db)
    with db.store.begin() as conn:
        rows = list(
            conn.execute(sa.text("SELECT * FROM thermo_audit WHERE seq >= 9 ORDER BY seq"))
            .mappings()
            .all()
        )
        prev = rows[0]["prev_hash"]
        for r in rows:
            digest = entry_hash(
                prev, r["seq"], r["at"], "mallory", r["action"], r["target"], "ok", r["detail"]
            )
            conn.execute(
                sa.text("UPDATE thermo_audit SET actor='mallory', hash=:h, prev_hash=:p "
                        "WHERE seq=:s"),
                {"h": digest, "p": prev, "s": r["seq"]},
            )  # fmt: skip
            prev = digest
    report = log.verify()
    assert not report.ok and "rewritten" in " ".join(report.problems)


def test_forged_or_removed_anchor_is_found(db: Database) -> None:
    log = _log(db)
    with db.store.begin() as conn:
        conn.execute(sa.text("UPDATE thermo_audit_anchor SET signature = '00'"))
    assert not log.verify().ok
    with db.store.begin() as conn:
        conn.execute(sa.text("DELETE FROM thermo_audit_anchor"))
    report = log.verify()
    assert not report.ok and "anchor is missing" in " ".join(report.problems)


def test_anchor_follows_every_append_and_is_reported(db: Database) -> None:
    log = _log(db, n=3)
    log.append("x", "query")
    report = log.verify()
    assert report.ok and report.anchor is not None and report.anchor["seq"] == 4
