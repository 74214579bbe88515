"""Encryption at rest (SQLCipher): no readable text on disk, a wrong or missing key refused
cleanly and without touching the file, plaintext stations migrated row for row with their
backups, backups and restores of encrypted databases, alembic on an encrypted database."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from app.core.domain.errors import EnvironmentProblem, UserFacingError
from app.core.services import backup_steps as backup
from app.core.services.audit import verify as verify_audit
from app.core.services.demo import DEMO_PROFILE
from app.core.services.profile import load as load_profile
from app.core.services.profile import set_up
from app.core.services.records import RecordService
from app.db import cipher
from app.db.engine import Database, make_engine
from app.db.errors import DatabaseLocked, WrongDatabaseKey
from app.db.migrate import current_revision, stored_revision
from app.db.open import open_database
from app.db.revisions import head_revision
from app.i18n import _
from tests.one_sqlite import stdlib_connect
from tests.sync.test_bundles import SESSION

ROOT = Path(__file__).resolve().parents[2]
FROZEN = ROOT / "tests" / "data" / "db"
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
# a value that must never be readable on disk, in any spelling the app stores it
SECRET_PLACE = "Nhà ông Nguyễn Thị Bích Ngọc, hẻm 42 Trường Vinh"
KEY = bytes(range(32))
OTHER_KEY = bytes(range(100, 132))


@pytest.fixture(autouse=True)
def _no_keys_left() -> Iterator[None]:
    cipher.forget_all()
    yield
    cipher.forget_all()


def _station(path: Path, key: bytes | None = KEY) -> Database:
    if key is not None:
        cipher.unlock(path, key)
    db = open_database(path)
    set_up(db, DEMO_PROFILE, today=date(2025, 7, 1))
    return db


def _checkpoint(db: Database) -> None:
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _listing(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): _sha(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def _readable(data: bytes) -> list[bytes]:
    """Which tell-tale strings of a plaintext ModelWard database occur in ``data``."""
    needles = [
        b"SQLite format 3",
        b"CREATE TABLE",
        b"outreach_sessions",
        b"app_meta",
        b"alembic_version",
        SECRET_PLACE.encode(),
        "Nguyễn Thị Bích Ngọc".encode(),
        "Nguyễn Thị Bích Ngọc".encode("utf-16-le"),
        b"nguyen thi bich ngoc",  # the folded search column
        "Trường Vinh".encode(),
    ]
    return [needle for needle in needles if needle in data]


def _contents(raw: sqlite3.Connection) -> dict[str, list[tuple[object, ...]]]:
    tables = [
        name
        for (name,) in raw.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {
        table: sorted((tuple(row) for row in raw.execute(f'SELECT * FROM "{table}"')), key=repr)
        for table in tables
    }


# -- the file on disk ----------------------------------------------------------------------


def test_encrypted_database_has_no_readable_text(tmp_path: Path) -> None:
    path = tmp_path / "station.sqlite"
    db = _station(path)
    try:
        assert db.encrypted and db.engine.dialect.driver == "pysqlcipher"
        service = RecordService(db, author="Nguyễn Văn An")
        for n in range(50):
            service.create("sessions", {**SESSION, "place": f"{SECRET_PLACE} {n}"})
        assert service.count("sessions") == 50
        # while open: the WAL holds the newest pages, encrypted too
        wal = Path(f"{path}-wal")
        assert wal.stat().st_size > 0
        assert _readable(wal.read_bytes()) == []
        with db.engine.connect() as connection:
            pragmas = {
                name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("foreign_keys", "journal_mode", "synchronous", "cipher_version")
            }
        assert pragmas["foreign_keys"] == 1 and pragmas["journal_mode"] == "wal"
        assert pragmas["synchronous"] == 2 and pragmas["cipher_version"]
        _checkpoint(db)
    finally:
        db.close()
    data = path.read_bytes()
    assert len(data) > 100_000
    assert _readable(data) == []
    assert cipher.is_encrypted(path) and cipher.looks_encrypted(path)
    # the standard module cannot read it at all
    with contextlib.closing(stdlib_connect(path)) as plain, pytest.raises(sqlite3.DatabaseError):
        plain.execute("SELECT count(*) FROM sqlite_master").fetchone()
    # and with the key every row is there
    cipher.unlock(path, KEY)
    with contextlib.closing(cipher.connect(path, readonly=True)) as raw:
        places = [p for (p,) in raw.execute("SELECT place FROM outreach_sessions")]
    assert sorted(places) == sorted(f"{SECRET_PLACE} {n}" for n in range(50))


def test_a_plaintext_station_without_key_stays_exactly_as_before(db: Database) -> None:
    assert not db.encrypted and db.engine.dialect.driver == "pysqlite"
    assert not cipher.is_encrypted(db.path)
    assert db.path.read_bytes().startswith(cipher.PLAINTEXT_HEADER)
    raw = cipher.connect(db.path, readonly=True)
    # one SQLite build for every connection, keyed or not: sqlcipher3's (issue 13, item 17)
    assert type(raw).__module__.startswith("sqlcipher3")
    assert raw.execute("PRAGMA cipher_version").fetchone()  # SQLCipher, used without a key
    assert raw.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
    raw.close()
    from sqlalchemy import text

    with db.engine.connect() as connection:
        version = connection.execute(text("SELECT sqlite_version()")).scalar_one()
    assert tuple(map(int, version.split("."))) >= (3, 51, 3)  # the WAL-reset fix applies


# -- wrong and missing keys ----------------------------------------------------------------


@pytest.mark.parametrize("unlocked", [None, OTHER_KEY], ids=["no-key", "wrong-key"])
def test_a_missing_or_wrong_key_is_refused_cleanly_and_changes_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, unlocked: bytes | None
) -> None:
    folder = tmp_path / "s"
    path = folder / "station.sqlite"
    db = _station(path)
    RecordService(db, author="Nguyễn Văn An").create("sessions", SESSION)
    taken = backup.create_backup(path, "manual", now=NOW)
    db.close()
    cipher.forget_all()
    if unlocked is not None:
        cipher.unlock(path, unlocked)
    before = _listing(folder)
    caplog.set_level(logging.DEBUG)

    expected = (
        _(
            "The database {name} could not be unlocked: the key of this account does not fit "
            "it, or the file is damaged."
        )
        if unlocked
        else _("The database {name} is encrypted and no one has logged in to unlock it.")
    ).format(name="station.sqlite")
    for attempt in (
        lambda: open_database(path),
        lambda: Database(path),
        lambda: stored_revision(path),
        lambda: backup.create_backup(path, "manual"),
    ):
        with pytest.raises(DatabaseLocked) as caught:
            attempt()
        assert caught.value.message == expected
        assert isinstance(caught.value, WrongDatabaseKey) == (unlocked is not None)
        assert "cơ sở dữ liệu" in caught.value.message.lower() and caught.value.hint
        assert "not a database" not in str(caught.value)
        for secret in (KEY, OTHER_KEY):
            assert secret.hex() not in str(caught.value) + repr(caught.value)
    # a backup of that station cannot be checked without its key either
    with pytest.raises(DatabaseLocked if unlocked is None else UserFacingError):
        backup.verify_backup(taken.path)
    assert _listing(folder) == before  # not a byte changed, no -wal/-shm/lock file made
    for secret in (KEY, OTHER_KEY):
        assert secret.hex() not in caplog.text


def test_the_command_line_reports_a_locked_database_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "station.sqlite"
    _station(path).close()
    cipher.forget_all()
    before = _sha(path)
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "--lang", "vi", "--db", str(path), "list", "sessions"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env={**os.environ, "MODELWARD_DATA_DIR": str(tmp_path / "data")},
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "not a database" not in result.stderr
    assert "đã được mã hoá" in result.stderr
    assert "ERROR CORE" not in result.stderr  # SQLCipher's own stderr logging is off
    assert _sha(path) == before


def test_a_file_that_is_no_database_is_still_called_damaged(tmp_path: Path) -> None:
    path = tmp_path / "photo.sqlite"
    data = b"\xff\xd8\xff\xe0 this is a JPEG, not a database" * 100
    path.write_bytes(data)
    cipher.unlock(tmp_path / "other.sqlite", KEY)  # keys unlocked for another file are tried
    with pytest.raises(Exception) as caught:
        open_database(path)
    assert not isinstance(caught.value, DatabaseLocked)
    assert isinstance(caught.value, EnvironmentProblem)
    assert caught.value.message == _("The database file is damaged or is not a ModelWard database.")
    assert path.read_bytes() == data


# -- plaintext to encrypted -----------------------------------------------------------------


@pytest.mark.parametrize("frozen", ["head", "0001"])
def test_a_plaintext_station_is_encrypted_on_open_keeping_every_row(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, frozen: str
) -> None:
    """head: the current schema; 0001 is encrypted first and then migrated by alembic."""
    folder = tmp_path / "s"
    folder.mkdir()
    path = folder / "station.sqlite"
    revision = head_revision() if frozen == "head" else frozen
    shutil.copy(FROZEN / f"{revision}.sqlite", path)
    with contextlib.closing(sqlite3.connect(path)) as raw:
        before = _contents(raw)
        assert sum(len(rows) for rows in before.values()) > 100
        raw.execute("PRAGMA journal_mode = WAL")
        raw.execute(  # a last change still in the WAL must be carried over too
            "INSERT INTO app_meta (key, value) VALUES ('wal_only', ?)", (SECRET_PLACE,)
        )
        raw.commit()
        before = _contents(raw)
    old_backup = backup.create_backup(path, "daily", now=NOW)  # a plaintext restore point
    assert not cipher.is_encrypted(old_backup.path)
    caplog.set_level(logging.DEBUG)

    cipher.unlock(path, KEY)
    db = open_database(path)
    try:
        assert db.encrypted
        assert current_revision(db.engine) == head_revision()
        _checkpoint(db)
    finally:
        db.close()
    assert KEY.hex() not in caplog.text
    assert cipher.is_encrypted(path)
    with contextlib.closing(cipher.connect(path, readonly=True)) as raw:
        after = _contents(raw)
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    if frozen == "head":
        assert after == before
    else:  # the migration may add tables and columns, never lose a row
        for table, rows in before.items():
            if table != "alembic_version":
                assert len(after[table]) == len(rows), table
        assert ("wal_only", SECRET_PLACE) in after["app_meta"]

    # no plaintext anywhere under the station folder: database, WAL, temp files, backups
    for file in sorted(folder.rglob("*")):
        if file.is_file() and file.suffix != ".json":
            assert _readable(file.read_bytes()) == [], file
    # the old backup was encrypted in place, and still verifies and restores
    assert cipher.is_encrypted(old_backup.path)
    sidecar = json.loads(old_backup.path.with_suffix(".json").read_text(encoding="utf-8"))
    assert sidecar["sha256"] == _sha(old_backup.path) != old_backup.sha256
    checked = backup.verify_backup(old_backup.path)
    assert checked.instance_id == old_backup.instance_id
    with contextlib.closing(cipher.connect(old_backup.path, readonly=True)) as raw:
        assert _contents(raw)["app_meta"] == before["app_meta"]


def test_encrypt_plaintext_checks_the_copy_and_leaves_nothing_behind(tmp_path: Path) -> None:
    path = tmp_path / "station.sqlite"
    shutil.copy(FROZEN / f"{head_revision()}.sqlite", path)
    with contextlib.closing(sqlite3.connect(path)) as raw:
        before = _contents(raw)
        rows = sum(len(r) for r in before.values())
    assert cipher.encrypt_plaintext(path, KEY) == rows
    assert sorted(p.name for p in tmp_path.iterdir()) == ["station.sqlite", "station.sqlite.lock"]
    with contextlib.closing(cipher.connect(path, readonly=True, key=KEY)) as raw:
        assert _contents(raw) == before
    with pytest.raises(ValueError):
        cipher.encrypt_plaintext(path, KEY)  # already encrypted: refused, untouched


def test_a_failed_check_leaves_the_plaintext_original_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "station.sqlite"
    shutil.copy(FROZEN / f"{head_revision()}.sqlite", path)
    before = _sha(path)

    def mismatch(_original: object, _copy: object) -> int:
        raise cipher.CopyMismatch("simulated")

    monkeypatch.setattr(cipher, "verify_same", mismatch)
    with pytest.raises(cipher.CopyMismatch):
        cipher.encrypt_plaintext(path, KEY)
    assert _sha(path) == before and not cipher.is_encrypted(path)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".encrypt-")]


# -- alembic ---------------------------------------------------------------------------------


def test_alembic_upgrades_an_encrypted_database_from_an_older_revision(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    shutil.copy(FROZEN / "0001.sqlite", path)
    with contextlib.closing(sqlite3.connect(path)) as raw:
        sessions = raw.execute("SELECT count(*) FROM outreach_sessions").fetchone()[0]
    cipher.encrypt_plaintext(path, KEY)
    cipher.unlock(path, KEY)
    assert stored_revision(path) == "0001"
    engine = make_engine(path)
    assert engine.dialect.driver == "pysqlcipher" and current_revision(engine) == "0001"
    engine.dispose()

    db = open_database(path)
    try:
        assert current_revision(db.engine) == head_revision()
        assert RecordService(db).count("sessions") == sessions > 0
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    finally:
        db.close()
    (before_migration,) = backup.list_backups(path)
    assert before_migration.reason == f"before-{head_revision()}"
    assert cipher.is_encrypted(before_migration.path)
    assert backup.verify_backup(before_migration.path).schema == "0001"
    assert _readable(path.read_bytes()) == []


# -- backups ---------------------------------------------------------------------------------


def test_backup_verify_restore_round_trip_on_an_encrypted_database(tmp_path: Path) -> None:
    path = tmp_path / "s" / "station.sqlite"
    db = _station(path)
    service = RecordService(db, author="Nguyễn Văn An")
    service.create("sessions", {**SESSION, "place": "Trước sao lưu"})
    before = load_profile(db).instance_id
    taken = backup.create_backup(path, "manual")
    assert cipher.is_encrypted(taken.path) and _readable(taken.path.read_bytes()) == []
    assert backup.verify_backup(taken.path).instance_id == before
    service.create("sessions", {**SESSION, "place": "Sau sao lưu"})
    db.close()

    result = backup.restore_backup(path, taken.path, actor="Quản trị")
    assert result.old_instance_id == before != result.new_instance_id
    assert result.safety_backup is not None and cipher.is_encrypted(result.safety_backup)
    assert cipher.is_encrypted(path) and _readable(path.read_bytes()) == []
    db = open_database(path)
    try:
        assert db.encrypted
        assert load_profile(db).instance_id == result.new_instance_id
        records = RecordService(db)
        places = [
            r.values["place"] for r in records.fetch("sessions", records.list_ids("sessions"))
        ]
        assert places == ["Trước sao lưu"]
        assert records.create("sessions", {**SESSION, "place": "Sau khôi phục"}).created
        assert verify_audit(db).ok
    finally:
        db.close()
    # the safety backup holds what was replaced
    with contextlib.closing(cipher.connect(result.safety_backup, readonly=True)) as raw:
        assert raw.execute("SELECT count(*) FROM outreach_sessions").fetchone()[0] == 2


def test_a_plaintext_backup_restored_into_an_encrypted_station_comes_back_encrypted(
    tmp_path: Path,
) -> None:
    plain = tmp_path / "plain" / "station.sqlite"
    db = _station(plain, key=None)
    RecordService(db, author="A").create("sessions", {**SESSION, "place": SECRET_PLACE})
    old = backup.create_backup(plain, "manual")
    db.close()
    path = tmp_path / "s" / "station.sqlite"
    _station(path).close()
    result = backup.restore_backup(path, old.path, actor="Quản trị")
    assert cipher.is_encrypted(path) and _readable(path.read_bytes()) == []
    assert not [p for p in path.parent.iterdir() if p.suffix == ".tmp"]
    db = open_database(path)
    try:
        assert load_profile(db).instance_id == result.new_instance_id
        assert RecordService(db).count("sessions") == 1
    finally:
        db.close()


def test_a_usb_copy_opens_on_a_new_computer_with_the_passphrase_alone(tmp_path: Path) -> None:
    import pyrage

    path = tmp_path / "old-pc" / "station.sqlite"
    db = _station(path)
    RecordService(db, author="A").create("sessions", {**SESSION, "place": SECRET_PLACE})
    db.close()
    info = backup.create_backup(path, "manual", now=NOW)
    stick = tmp_path / "usb"
    stick.mkdir()
    sealed = backup.export_encrypted(info.path, stick, "mật khẩu sao lưu dài")
    body = pyrage.passphrase.decrypt(sealed.read_bytes(), "mật khẩu sao lưu dài")
    assert KEY.hex() not in body.hex() and KEY.hex().encode() not in body
    assert _readable(body) == []  # the carried copy is encrypted too, under a one-off key
    assert not [p for p in info.path.parent.iterdir() if p.name.startswith(".usb-")]

    cipher.forget_all()  # the old computer (and its key) is gone
    new = tmp_path / "new-pc" / "station.sqlite"
    _station(new, key=OTHER_KEY).close()
    restored = backup.import_encrypted(sealed, new, "mật khẩu sao lưu dài")
    assert cipher.is_encrypted(restored.path) and _readable(restored.path.read_bytes()) == []
    assert cipher.key_for_file(restored.path) == OTHER_KEY
    assert restored.instance_id == info.instance_id
    backup.restore_backup(new, restored.path, actor="Quản trị")
    db = open_database(new)
    try:
        rows = RecordService(db).fetch("sessions", RecordService(db).list_ids("sessions"))
        assert [r.values["place"] for r in rows] == [SECRET_PLACE]
    finally:
        db.close()
    # into a locked station it is refused clearly
    cipher.forget_all()
    with pytest.raises(DatabaseLocked):
        backup.import_encrypted(sealed, new, "mật khẩu sao lưu dài")


def test_an_old_plaintext_usb_copy_is_imported_encrypted(tmp_path: Path) -> None:
    plain = tmp_path / "plain" / "station.sqlite"
    db = _station(plain, key=None)
    RecordService(db, author="A").create("sessions", {**SESSION, "place": SECRET_PLACE})
    db.close()
    info = backup.create_backup(plain, "manual", now=NOW)
    stick = tmp_path / "usb"
    stick.mkdir()
    sealed = backup.export_encrypted(info.path, stick, "mật khẩu sao lưu dài")

    path = tmp_path / "s" / "station.sqlite"
    _station(path).close()
    restored = backup.import_encrypted(sealed, path, "mật khẩu sao lưu dài")
    assert cipher.is_encrypted(restored.path)
    for file in path.parent.rglob("*"):
        if file.is_file() and file.suffix != ".json":
            assert _readable(file.read_bytes()) == [], file
    with contextlib.closing(cipher.connect(restored.path, readonly=True)) as raw:
        assert raw.execute("SELECT place FROM outreach_sessions").fetchall() == [(SECRET_PLACE,)]
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert restored.instance_id == info.instance_id


def test_backup_list_and_high_water_read_the_encrypted_file(tmp_path: Path) -> None:
    path = tmp_path / "station.sqlite"
    db = _station(path)
    try:
        RecordService(db, author="A").create("sessions", SESSION)
        with contextlib.closing(backup.connect_read_only(path)) as raw:
            mark = backup.read_high_water(raw)
        assert mark.counter > 0
        assert backup.is_intact(path)
    finally:
        db.close()
    cipher.forget_all()
    cipher.unlock(tmp_path / "elsewhere.sqlite", OTHER_KEY)
    assert not backup.is_intact(path)  # a key that does not fit: cannot be opened


def test_registry_keys_are_exactly_32_bytes(tmp_path: Path) -> None:
    with pytest.raises(ValueError) as caught:
        cipher.unlock(tmp_path / "x.sqlite", b"short")
    assert "short" not in str(caught.value)
    cipher.unlock(tmp_path / "x.sqlite", KEY)
    assert cipher.key_for(tmp_path / "." / "x.sqlite") == KEY  # resolved path
    cipher.forget(tmp_path / "x.sqlite")
    assert cipher.key_for(tmp_path / "x.sqlite") is None


def test_a_database_still_open_in_this_process_is_not_encrypted_under_it(
    db: Database,
) -> None:
    before = _sha(db.path)
    cipher.unlock(db.path, KEY)
    with pytest.raises(RuntimeError):
        open_database(db.path)
    assert not cipher.is_encrypted(db.path) and _sha(db.path) == before
    assert RecordService(db).count("sessions") == 0  # the open database goes on working


def test_an_interrupted_move_is_finished_and_damage_is_never_re_signed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "station.sqlite"
    db = _station(path, key=None)
    RecordService(db, author="A").create("sessions", {**SESSION, "place": SECRET_PLACE})
    db.close()
    good = backup.create_backup(path, "manual", now=NOW)
    bad = backup.create_backup(path, "daily", now=NOW.replace(hour=4))
    data = bytearray(bad.path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # bit rot after the sidecar was written
    bad.path.write_bytes(bytes(data))
    cipher.encrypt_plaintext(path, KEY)  # the database moved, then the power went
    assert backup.plaintext_backups(path) == sorted([good.path, bad.path])

    cipher.unlock(path, KEY)
    caplog.set_level(logging.INFO)
    open_database(path).close()
    assert cipher.is_encrypted(good.path) and backup.verify_backup(good.path)
    assert backup.plaintext_backups(path) == [bad.path]  # left as it was, and reported
    assert bad.path.read_bytes() == bytes(data)
    assert str(bad.path) in caplog.text
    with pytest.raises(UserFacingError):
        backup.verify_backup(bad.path)
