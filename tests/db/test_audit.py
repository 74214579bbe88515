"""The hash-chained audit trail: what it records, and that any tampering is found."""

from __future__ import annotations

import json
import sqlite3

from app.core.services.audit import verify
from app.core.services.records import RecordService
from app.db import audit
from app.db.engine import Database
from tests.core.test_records import VALID
from tests.sync.bundle_pairs import Pair


def _log(db: Database) -> list[tuple[int, str, str, str, dict[str, list[object]]]]:
    with db.read() as session:
        return [
            (e.id, e.actor, e.action, e.table_name, json.loads(e.changes))
            for e in reversed(audit.entries(session))
        ]


def _raw(db: Database, sql: str, *args: object) -> None:
    connection = sqlite3.connect(db.path)
    with connection:
        connection.execute(sql, args)
    connection.close()


def _filled(service: RecordService) -> int:
    record = service.create("sessions", VALID["sessions"]).created[0]
    service.update("sessions", record, {**VALID["sessions"], "attendance": 120})
    service.delete("sessions", record)
    service.restore("sessions", record)
    service.create("teams", VALID["teams"])
    return record


def test_every_change_is_logged_with_who_and_old_to_new(
    db: Database, service: RecordService
) -> None:
    _filled(service)
    log = _log(db)
    assert [(a, t) for _n, _who, a, t, _c in log] == [
        ("create", "outreach_sessions"),
        ("update", "outreach_sessions"),
        ("delete", "outreach_sessions"),
        ("restore", "outreach_sessions"),
        ("create", "fire_safety_teams"),
    ]
    assert {who for _n, who, *_rest in log} == {"Nguyễn Văn An"}
    assert log[0][4]["attendance"] == [None, 85] and log[0][4]["held_on"] == [None, "2026-11-02"]
    assert log[1][4] == {"attendance": [85, 120]}
    assert list(log[2][4]) == ["deleted_at"] and log[2][4]["deleted_at"][0] is None
    assert verify(db).ok and verify(db).entries == 5


def test_an_edited_entry_is_found(db: Database, service: RecordService) -> None:
    _filled(service)
    _raw(db, "UPDATE audit_log SET changes = ? WHERE id = 2", '{"attendance": [85, 12]}')
    check = verify(db)
    assert not check.ok and check.broken_at == 2 and "2" in check.problem


def test_a_deleted_entry_is_found(db: Database, service: RecordService) -> None:
    _filled(service)
    _raw(db, "DELETE FROM audit_log WHERE id = 3")
    check = verify(db)
    assert not check.ok and check.broken_at == 3


def test_reordered_entries_are_found(db: Database, service: RecordService) -> None:
    _filled(service)
    _raw(db, "UPDATE audit_log SET id = 100 WHERE id = 2")
    _raw(db, "UPDATE audit_log SET id = 2 WHERE id = 3")
    _raw(db, "UPDATE audit_log SET id = 3 WHERE id = 100")
    check = verify(db)
    assert not check.ok and check.broken_at == 2


def test_entries_cut_off_the_end_are_found(db: Database, service: RecordService) -> None:
    _filled(service)
    _raw(db, "DELETE FROM audit_log WHERE id >= 4")
    check = verify(db)
    assert not check.ok and check.broken_at == 4 and check.entries == 3


def test_a_rewritten_chain_without_the_head_is_found(db: Database, service: RecordService) -> None:
    """Re-hashing every entry after an edit still leaves the stored head behind."""
    _filled(service)
    connection = sqlite3.connect(db.path)
    with connection:
        rows = connection.execute(
            "SELECT id, at, actor, action, table_name, record_uuid, changes FROM audit_log "
            "ORDER BY id"
        ).fetchall()
        previous = audit.GENESIS
        from datetime import UTC, datetime

        for number, at, actor, action, table, record, changes in rows:
            if number == 2:
                changes = '{"attendance": [85, 12]}'
            moment = datetime.fromisoformat(at).replace(tzinfo=UTC)
            digest = audit.entry_hash(
                number, moment, actor, action, table, record, changes, previous
            )
            connection.execute(
                "UPDATE audit_log SET changes = ?, prev_hash = ?, hash = ? WHERE id = ?",
                (changes, previous, digest, number),
            )
            previous = digest
    connection.close()
    assert not verify(db).ok


def test_the_province_logs_each_imported_bundle(pair: Pair) -> None:
    (report,) = pair.import_(pair.export())
    with pair.province_db.read() as session:
        entry, *earlier = audit.entries(session)  # newest first
        assert entry.action == "import" and entry.record_uuid == report.bundle_id
        # before it, the province's own decisions: the ward enrolled, the trust list published
        assert [e.action for e in earlier] == ["publish", "enroll"]
    assert verify(pair.province_db).ok
