"""Backups: taken with the online backup API while writes go on, verified, rotated, restored
with a new instance identity, and carried encrypted on a USB stick."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.domain.errors import UserFacingError
from app.core.services import backup_steps as backup
from app.core.services.audit import verify as verify_audit
from app.core.services.profile import load as load_profile
from app.core.services.records import RecordService
from app.core.services.sync.ward import WardSync
from app.db.engine import Database
from app.db.open import open_database
from app.paths import backups_dir
from tests.sync.bundle_pairs import Pair, receipt_bytes
from tests.sync.helpers import ward_state
from tests.sync.test_bundles import SESSION, records

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def _count(path: Path, table: str = "outreach_sessions") -> int:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as raw:
        return int(raw.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_backup_is_verified_and_holds_every_row(service: RecordService, db: Database) -> None:
    for n in range(5):
        service.create("sessions", {**SESSION, "place": f"Buổi {n}"})
    info = backup.create_backup(db.path, "manual", now=NOW)
    assert info.path.parent == db.path.parent / "backups"
    assert info.path.name.startswith("station-manual-20261123T030000")
    sidecar = json.loads(info.path.with_suffix(".json").read_text(encoding="utf-8"))
    assert sidecar["sha256"] == info.sha256 and sidecar["reason"] == "manual"
    assert sidecar["high_water"]["counter"] == info.high_water.counter > 0
    assert _count(info.path) == 5 == _count(db.path)
    again = backup.verify_backup(info.path)
    assert again.sha256 == info.sha256 and again.instance_id == load_profile(db).instance_id
    assert [b.path for b in backup.list_backups(db.path)] == [info.path]
    # no temp file is left behind
    assert sorted(p.name for p in info.path.parent.iterdir()) == sorted(
        [info.path.name, info.path.with_suffix(".json").name]
    )


def test_backup_during_writes_is_a_consistent_snapshot(
    service: RecordService, db: Database
) -> None:
    """T59: the copy passes integrity_check and holds whole transactions only."""
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:
        n = 0
        while not stop.is_set():
            # two rows per transaction: a snapshot must never hold an odd number of them
            service.create_many(
                "sessions", [{**SESSION, "place": f"Đôi {n} a"}, {**SESSION, "place": f"Đôi {n} b"}]
            )
            n += 1
            written.append(n)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        copies = [
            backup.create_backup(db.path, "manual", now=NOW + timedelta(seconds=i))
            for i in range(6)
        ]
    finally:
        stop.set()
        thread.join()
    assert written, "the writer never ran"
    counts = [_count(c.path) for c in copies]
    assert all(count % 2 == 0 for count in counts), counts
    assert counts == sorted(counts)
    for copy in copies:
        with sqlite3.connect(copy.path) as raw:
            assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage", "sidecar"])
def test_a_damaged_backup_is_refused_clearly(db: Database, damage: str) -> None:
    info = backup.create_backup(db.path, "manual", now=NOW)
    data = info.path.read_bytes()
    if damage == "flip":
        info.path.write_bytes(data[:5000] + bytes([data[5000] ^ 0xFF]) + data[5001:])
    elif damage == "truncate":
        info.path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        info.path.write_bytes(b"not a database at all" * 100)
        info.path.with_suffix(".json").unlink()
    else:
        info.path.with_suffix(".json").write_text("{", encoding="utf-8")
    with pytest.raises(UserFacingError) as raised:
        backup.verify_backup(info.path)
    assert "không dùng được" in raised.value.message
    assert backup.newest_verified(db.path) is None


def test_a_missing_backup_says_so(tmp_path: Path) -> None:
    with pytest.raises(UserFacingError) as raised:
        backup.verify_backup(tmp_path / "none.sqlite")
    assert "Không tìm thấy" in raised.value.message


def test_daily_backup_once_a_day_and_rotation(db: Database) -> None:
    first = backup.daily_backup_if_due(db.path, now=NOW)
    assert first is not None
    assert backup.daily_backup_if_due(db.path, now=NOW + timedelta(hours=3)) is None
    for day in range(1, 20):
        assert backup.daily_backup_if_due(db.path, now=NOW + timedelta(days=day)) is not None
    for n in range(25):
        backup.create_backup(db.path, "before-import", now=NOW + timedelta(minutes=n))
    backup.rotate(db.path)
    kept = backup.list_backups(db.path)
    daily = [b for b in kept if b.reason == "daily"]
    assert len(daily) == backup.KEEP_DAILY
    assert daily[0].created_at == NOW + timedelta(days=19)  # the newest are kept
    assert len([b for b in kept if b.reason != "daily"]) == backup.KEEP_OTHER
    files = list((db.path.parent / "backups").iterdir())
    assert len(files) == 2 * (backup.KEEP_DAILY + backup.KEEP_OTHER)


def test_restore_round_trip_gives_a_new_instance(tmp_path: Path) -> None:
    path = tmp_path / "s" / "station.sqlite"
    db = open_database(path)
    from app.core.services.demo import DEMO_PROFILE
    from app.core.services.profile import set_up

    set_up(db, DEMO_PROFILE)
    service = RecordService(db, author="Nguyễn Văn An")
    service.create("sessions", {**SESSION, "place": "Trước sao lưu"})
    before = load_profile(db).instance_id
    taken = backup.create_backup(path, "manual")
    service.create("sessions", {**SESSION, "place": "Sau sao lưu"})
    with db.read() as session:
        from app.db.models import ChangeCounter

        counter = session.get(ChangeCounter, 1)
        assert counter is not None
        counter_before = counter.value
    db.close()

    result = backup.restore_backup(path, taken.path, actor="Quản trị")
    assert result.old_instance_id == before != result.new_instance_id
    assert result.safety_backup is not None and _count(result.safety_backup) == 2
    db = open_database(path)
    try:
        assert load_profile(db).instance_id == result.new_instance_id
        titles = [
            r.values["place"]
            for r in RecordService(db).fetch("sessions", RecordService(db).list_ids("sessions"))
        ]
        assert titles == ["Trước sao lưu"]
        # the change counter never goes back, so new edits are newer than anything sent
        change = RecordService(db).create("sessions", {**SESSION, "place": "Sau khôi phục"})
        with db.read() as session:
            from app.db.models import ChangeCounter

            counter = session.get(ChangeCounter, 1)
            assert counter is not None and counter.value > counter_before
        assert change.created
        audit = verify_audit(db)
        assert audit.ok, audit
        from app.db import audit as audit_log

        with db.read() as session:
            actions = [e.action for e in audit_log.entries(session)]
        assert "restore-db" in actions
    finally:
        db.close()


def test_restore_over_a_damaged_database_moves_it_aside(tmp_path: Path) -> None:
    path = tmp_path / "station.sqlite"
    db = open_database(path)
    from app.core.services.demo import DEMO_PROFILE
    from app.core.services.profile import set_up

    set_up(db, DEMO_PROFILE)
    taken = backup.create_backup(path, "manual")
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    data = bytearray(path.read_bytes())
    data[4096 : 4096 * 3] = b"\xa5" * (4096 * 2)  # wreck some pages
    path.write_bytes(bytes(data))
    assert not backup.is_intact(path)
    result = backup.restore_backup(path, taken.path, actor="Quản trị")
    assert result.safety_backup is not None and result.safety_backup.is_dir()
    assert (result.safety_backup / "station.sqlite").read_bytes() == bytes(data)
    assert backup.is_intact(path)


def test_restored_ward_never_reuses_sync_numbers(pair: Pair) -> None:
    """T36: after a restore from an old backup the ward goes on with new numbers: the province
    applies the new change, sees no fork and no break in the hash chain."""
    ward_path = pair.ward_db.path
    old = backup.create_backup(ward_path, "manual")
    first = pair.export()
    (report,) = pair.import_(first)
    pair.ward.import_receipt(receipt_bytes(report))
    records(pair).create("sessions", {**SESSION, "place": "Sau gói 1"})
    second = pair.ward.export(pair.stick, pair.ward_keys)
    (report,) = pair.import_(second.path)
    assert report.outcome == "new"
    pair.ward_db.close()

    result = backup.restore_backup(ward_path, old.path, actor="Quản trị")
    pair.ward_db = open_database(ward_path)
    pair.ward = WardSync(pair.ward_db, now=pair.clock, author="Nguyễn Văn An")
    records(pair).create("sessions", {**SESSION, "place": "Sau khôi phục"})
    third = pair.ward.export(pair.stick, pair.ward_keys)
    assert third.seq == 3  # never 1 or 2 again
    # only the change made after the restore travels: the rest was acknowledged before
    assert third.records == 1
    (report,) = pair.import_(third.path)
    assert report.outcome == "new", report.reason
    assert report.summary["new"] == 1 and report.summary["conflict"] == 0
    overview = pair.province.overview()[0]
    assert overview.forks == 0 and overview.chain_breaks == () and overview.missing_seqs == ()
    assert result.new_instance_id != result.old_instance_id


def test_encrypted_usb_copy_round_trip(db: Database, tmp_path: Path) -> None:
    info = backup.create_backup(db.path, "manual", now=NOW)
    stick = tmp_path / "usb"
    stick.mkdir()
    sealed = backup.export_encrypted(info.path, stick, "mật khẩu sao lưu dài")
    data = sealed.read_bytes()
    assert data.startswith(b"age-encryption.org/v1")
    assert b"SQLite format 3" not in data and b"app_meta" not in data
    with pytest.raises(UserFacingError) as raised:
        backup.import_encrypted(sealed, db.path, "sai mật khẩu rồi")
    assert "mật khẩu" in raised.value.message
    for old in backup.list_backups(db.path):
        old.path.unlink()
        old.path.with_suffix(".json").unlink()
    restored = backup.import_encrypted(sealed, db.path, "mật khẩu sao lưu dài")
    assert restored.sha256 == info.sha256
    assert backup.verify_backup(restored.path).instance_id == info.instance_id
    with pytest.raises(UserFacingError):
        backup.export_encrypted(info.path, stick, "ngắn")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    edits=st.lists(
        st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)),
        min_size=1,
        max_size=8,
    ),
    keep_sidecar=st.booleans(),
    cut=st.one_of(st.none(), st.integers(min_value=0, max_value=200_000)),
)
def test_fuzzed_backups_give_clear_errors(
    db: Database,
    tmp_path_factory: pytest.TempPathFactory,
    edits: list[tuple[int, int]],
    keep_sidecar: bool,
    cut: int | None,
) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    info = backup.create_backup(db.path, "manual", folder=folder, now=NOW)
    data = bytearray(info.path.read_bytes())
    for position, value in edits:
        data[position % len(data)] = value
    info.path.write_bytes(bytes(data[:cut] if cut is not None else data))
    if not keep_sidecar:
        info.path.with_suffix(".json").unlink()
    try:
        checked = backup.verify_backup(info.path)
    except UserFacingError as error:
        assert error.message
    else:
        # accepted only if the file is really whole
        if keep_sidecar:
            assert checked.sha256 == info.sha256
        with sqlite3.connect(info.path) as raw:
            assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(blob=st.binary(max_size=3000))
def test_fuzzed_encrypted_backups_give_clear_errors(
    db: Database, tmp_path_factory: pytest.TempPathFactory, blob: bytes
) -> None:
    folder = tmp_path_factory.mktemp("usb")
    path = folder / "x.mwbackup.age"
    path.write_bytes(blob)
    with pytest.raises(UserFacingError):
        backup.import_encrypted(path, db.path, "mật khẩu sao lưu dài")


def test_ward_state_survives_backup(pair: Pair) -> None:
    taken = backup.create_backup(pair.ward_db.path, "manual")
    copy = Database(taken.path)
    try:
        assert ward_state(copy) == ward_state(pair.ward_db)
    finally:
        copy.close()


def test_temp_files_of_killed_backups_are_removed_once_stale(tmp_path: Path) -> None:
    """A backup killed mid-copy leaves a full-size temp file; rotation removes it after an
    hour, never one being written now."""
    import os
    import time

    path = tmp_path / "station.sqlite"
    db = open_database(path)
    db.close()
    folder = backups_dir(path)
    folder.mkdir(parents=True, exist_ok=True)
    stale = folder / ".backup-abc123.tmp"
    fresh = folder / ".backup-def456.tmp"
    usb = folder / ".usb-zzz.tmp"
    for file in (stale, fresh, usb):
        file.write_bytes(b"\0" * 4096)
    two_hours_ago = time.time() - 7200
    for file in (stale, usb):
        os.utime(file, (two_hours_ago, two_hours_ago))
    backup.create_backup(path, "manual")
    backup.rotate(path)
    assert not stale.exists() and not usb.exists()
    assert fresh.exists()  # maybe being written right now
    assert len(backup.list_backups(path)) == 1


# -- the officer waits for the copy only; the check runs after (issue 13.14) ---------------------


def _sidecar(info: backup.BackupInfo) -> dict[str, object]:
    return dict(json.loads(info.path.with_suffix(".json").read_text(encoding="utf-8")))


def test_a_written_copy_is_pending_until_checked_then_verified(db: Database) -> None:
    written = backup.write_backup(db.path, "manual", now=NOW, taken_by="Nguyễn Văn An")
    assert written.state == backup.PENDING and not written.verified and written.sha256 == ""
    assert _sidecar(written)["state"] == "pending" and _sidecar(written)["taken_by"]
    assert [b.state for b in backup.list_backups(db.path)] == [backup.PENDING]
    verified = backup.finish_verification(written)
    assert verified.verified and _sidecar(written)["state"] == "verified"
    assert (
        _sidecar(written)["sha256"] == verified.sha256 == backup.verify_backup(written.path).sha256
    )
    assert [b.state for b in backup.list_backups(db.path)] == [backup.VERIFIED]


def test_rotation_keeps_the_verified_backups_until_the_new_one_is_verified(db: Database) -> None:
    old = backup.create_backup(db.path, "before-import", now=NOW)
    pending = backup.write_backup(db.path, "before-import", now=NOW + timedelta(minutes=1))
    assert backup.rotate(db.path, keep_other=1) == 0  # the new one is not verified yet
    assert old.path.exists() and pending.path.exists()
    backup.finish_verification(pending)
    assert backup.rotate(db.path, keep_other=1) == 1
    assert not old.path.exists() and pending.path.exists()


def test_a_damaged_copy_fails_its_check_and_the_verified_ones_stay(db: Database) -> None:
    old = backup.create_backup(db.path, "daily", now=NOW)
    pending = backup.write_backup(db.path, "before-import", now=NOW + timedelta(minutes=1))
    data = bytearray(pending.path.read_bytes())
    data[4096:8192] = b"\x0d" + b"\xee" * 4095  # a b-tree page of the copy overwritten
    pending.path.write_bytes(bytes(data))
    with pytest.raises(UserFacingError):
        backup.finish_verification(pending)
    assert [b.state for b in backup.list_backups(db.path)] == [backup.FAILED, backup.VERIFIED]
    assert backup.newest_verified(db.path) == backup.verify_backup(old.path)
    backup.rotate(db.path)  # a failed copy is removed; the verified one stays
    assert [b.path for b in backup.list_backups(db.path)] == [old.path]


def test_the_automatic_backup_is_verified_in_the_background(db: Database) -> None:
    for n in range(12):
        backup.create_backup(db.path, "before-import", now=NOW + timedelta(minutes=n))
    taken = backup.automatic_backup(db.path, "before-import")
    assert taken.path.exists() and _sidecar(taken)["high_water"]  # durable and described
    backup.wait_for_verifications()
    listed = backup.list_backups(db.path)
    assert listed[0].path == taken.path and listed[0].state == backup.VERIFIED
    assert backup.verify_backup(taken.path).sha256 == _sidecar(taken)["sha256"]


def test_a_copy_left_pending_by_a_killed_process_is_checked_at_the_daily_check(
    db: Database,
) -> None:
    left = backup.write_backup(db.path, "before-import", now=NOW - timedelta(days=1))
    backup.daily_backup_if_due(db.path, now=NOW)
    states = {b.path: b.state for b in backup.list_backups(db.path)}
    assert states[left.path] == backup.VERIFIED and set(states.values()) == {backup.VERIFIED}


def test_a_quiet_encrypted_station_is_copied_page_for_page(tmp_path: Path) -> None:
    """With the WAL empty the snapshot is the file itself: its encrypted pages are copied as
    they are (the backup API would have decrypted and re-encrypted each with a new IV)."""
    import os

    from app.db import cipher

    path = tmp_path / "station.sqlite"
    cipher.unlock(path, os.urandom(cipher.KEY_BYTES))
    db = open_database(path)
    try:
        from app.core.services.demo import DEMO_PROFILE
        from app.core.services.profile import set_up

        set_up(db, DEMO_PROFILE)
        RecordService(db, author="Nguyễn Văn An").create_many(
            "sessions", [{**SESSION, "place": f"Tổ {n}"} for n in range(300)]
        )
        info = backup.create_backup(db.path, "manual", now=NOW)
    finally:
        db.close()
    assert cipher.is_encrypted(info.path)
    assert info.path.read_bytes()[4096:] == path.read_bytes()[4096:]
    assert _count_encrypted(info.path) == 300


def _count_encrypted(path: Path) -> int:
    import contextlib

    from app.db import cipher

    with contextlib.closing(cipher.connect(path, readonly=True)) as raw:
        return int(raw.execute("SELECT count(*) FROM outreach_sessions").fetchone()[0])


def test_a_wal_that_cannot_be_emptied_is_copied_by_the_backup_api(
    service: RecordService, db: Database
) -> None:
    """A reader holding the WAL keeps it from being truncated: the copy is then the backup
    API's snapshot, whole and verified, with every committed row."""
    from app.db import cipher

    service.create("sessions", {**SESSION, "place": "Trước"})
    reader = cipher.connect(db.path, readonly=True)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM outreach_sessions").fetchone()
        service.create("sessions", {**SESSION, "place": "Sau"})  # a frame the reader pins
        assert Path(f"{db.path}-wal").stat().st_size > 0
        info = backup.create_backup(db.path, "manual", now=NOW)
    finally:
        reader.close()
    assert info.verified and _count(info.path) == _count(db.path) == 2
