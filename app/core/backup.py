"""Backups of the station database: created through SQLite's online backup API, verified,
rotated, restored, and written encrypted to a USB stick.

A backup is a plain SQLite file in the ``backups`` folder beside the database, with a small
JSON sidecar holding its SHA-256, why it was taken, and the sync high-water marks at that
moment. A backup only counts once it has been verified: the copy passes ``quick_check`` (every
page read and checked), is a ModelWard database of a known schema, and its hash is written
beside it; before a restore, ``verify_backup`` checks the hash and runs the full
``integrity_check``, so bit rot or a half-copied file is caught before anyone restores from it.
The officer waits only for the copy to be written and durable (:func:`write_backup`); the
check and the hash may then run in the background (``app.core.backup_verify``), the copy
listed as pending meanwhile and never counted in rotation until verified.

The files, sidecars and rotation are in ``app.core.backup_files``, the sync high-water marks in
``app.core.backup_marks``, the USB copy in ``app.core.backup_usb``; the role checks and who is
recorded, for the GUI and the command line, in ``app.core.backup_service``.

Restoring never reuses sync numbers: the restored database gets a new instance identity, and
its change counter, bundle sequence and bundle hash chain are carried forward to the highest
values known (from the database being replaced, the high-water file written at every export,
and every backup's sidecar), so the province never sees the same number twice with different
content.

Encryption at rest (``app.db.cipher``): a backup of an encrypted database is encrypted with the
same key (the backup API copies between two connections keyed alike), and every raw connection
here finds its key in the process's unlocked keys; without one an encrypted file is refused
with ``DatabaseLocked``. When a plaintext station is encrypted (:func:`encrypt_station`) its
plaintext backups are encrypted in place with the same key once the database itself has
verified, so restoring an older state stays possible and no plaintext copy stays in
``backups``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.core.backup_files import (
    FAILED,
    FORMAT,
    KEEP_DAILY,
    KEEP_OTHER,
    PENDING,
    SIDECAR,
    SUFFIX,
    VERIFIED,
    BackupInfo,
    ListedBackup,
    connect_read_only,
    fsync_file,
    fsync_folder,
    list_backups,
    read_sidecar,
    remove_stale_temp_files,
    rotate,
    sha256_of,
    temp_beside,
    update_sidecar,
    verify_backup,
    write_sidecar,
)
from app.core.backup_marks import (
    ACKED_COUNTER,
    ACKED_SEQ,
    INSTANCE_KEY,
    PREV_MANIFEST_FLOOR,
    RESTORED_KEY,
    SEQ_FLOOR,
    HighWater,
    high_water_file,
    meta,
    read_high_water,
    read_high_water_file,
    record_high_water,
)
from app.core.backup_usb import ENCRYPTED_SUFFIX, MIN_PASSPHRASE, export_encrypted, import_encrypted
from app.core.backup_verify import (
    finish_verification,
    verify_in_background,
    verify_pending,
    wait_for_verifications,
)
from app.core.errors import UserFacingError
from app.db import cipher
from app.db.errors import WrongDatabaseKey, database_errors
from app.i18n import _
from app.paths import backups_dir

__all__ = [
    "ACKED_COUNTER",
    "ACKED_SEQ",
    "ENCRYPTED_SUFFIX",
    "FAILED",
    "FORMAT",
    "INSTANCE_KEY",
    "KEEP_DAILY",
    "KEEP_OTHER",
    "MIN_PASSPHRASE",
    "PENDING",
    "PREV_MANIFEST_FLOOR",
    "RESTORED_KEY",
    "SEQ_FLOOR",
    "SIDECAR",
    "SUFFIX",
    "VERIFIED",
    "BackupInfo",
    "EncryptionResult",
    "HighWater",
    "ListedBackup",
    "RestoreResult",
    "age_of_newest",
    "automatic_backup",
    "connect_read_only",
    "create_backup",
    "daily_backup_if_due",
    "encrypt_station",
    "export_encrypted",
    "finish_verification",
    "high_water_file",
    "import_encrypted",
    "is_intact",
    "list_backups",
    "newest_verified",
    "plaintext_backups",
    "read_high_water",
    "record_high_water",
    "remove_stale_temp_files",
    "restore_backup",
    "rotate",
    "verify_backup",
    "verify_in_background",
    "verify_pending",
    "wait_for_verifications",
    "write_backup",
]

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RestoreResult:
    restored_from: Path
    safety_backup: Path | None
    old_instance_id: str
    new_instance_id: str
    high_water: HighWater


# -- create ------------------------------------------------------------------------------------


def write_backup(
    db_path: Path,
    reason: str,
    folder: Path | None = None,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
    taken_by: str = "",
) -> BackupInfo:
    """Copy the live database with the online backup API and make the copy durable (fsync, then
    renamed into place); it is listed as ``pending`` until :func:`finish_verification` (or
    :func:`verify_in_background`) has checked it. All the officer has to wait for.

    The copy is a consistent snapshot even while other connections write (WAL readers never
    block writers). Nothing appears under the final name unless the copy was written whole and
    is a ModelWard database of a known schema (read from it, not yet page by page).
    """
    folder = folder or backups_dir(db_path)
    moment = now or datetime.now(UTC)
    stamp = moment.strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"{db_path.stem}-{reason}-{stamp}{SUFFIX}"
    with temp_beside(folder, ".backup-") as temp:
        key = cipher.key_for_file(db_path)  # the copy is keyed like its source
        _snapshot_copy(db_path, temp, key, progress)
        with contextlib.closing(cipher.connect(temp, key=key)) as copy:
            copy.execute("PRAGMA journal_mode = DELETE")
            schema, instance, mark = _identity(copy)
        fsync_file(temp)
        size = temp.stat().st_size
        os.replace(temp, target)
        fsync_folder(folder)
    info = BackupInfo(
        target, reason, moment, size, "", schema, instance, mark, taken_by, state=PENDING
    )
    write_sidecar(info)
    return info


COPY_CHUNK = 8 << 20


def _snapshot_copy(db_path: Path, temp: Path, key: bytes | None, progress: Progress | None) -> None:
    """A consistent snapshot of the database written to ``temp``.

    Fast path, byte for byte: the WAL is checkpointed into the file and truncated (if no one
    is reading or writing at that moment; nobody is made to wait), then a read transaction is
    opened; if the WAL is still empty, that snapshot reads the file alone, and while the
    transaction stays open no checkpoint may write into the file (writers only append to the
    WAL), so the file's bytes are the snapshot. The pages
    are copied as they are: on an encrypted station none is decrypted and encrypted again,
    which made the backup API four times slower than a plaintext one. Otherwise (a write
    under way, the WAL not empty, a rollback-journal file) SQLite's online backup API copies
    the snapshot page by page.
    """
    in_wal = _checkpointed(db_path, key)
    wal = Path(f"{db_path}-wal")
    source = cipher.connect(db_path, readonly=True, key=key)
    try:
        source.execute("BEGIN")
        source.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the snapshot
        if in_wal and (not wal.exists() or wal.stat().st_size == 0):
            _copy_bytes(db_path, temp, progress)
            return
        with contextlib.closing(cipher.connect(temp, key=key)) as copy:
            if progress is None:
                source.backup(copy)
            else:
                source.backup(copy, pages=4096, progress=lambda _s, r, t: progress(t - r, t))
    finally:
        source.close()


def _checkpointed(db_path: Path, key: bytes | None) -> bool:
    """Whether the database is in WAL mode; its WAL is checkpointed and truncated unless
    someone is writing (then it stays as it is: the backup API will copy)."""
    try:
        with contextlib.closing(cipher.connect(db_path, key=key)) as raw:
            raw.execute("PRAGMA busy_timeout = 0")  # a writer or reader busy: the slow path
            mode = raw.execute("PRAGMA journal_mode").fetchone()
            if not mode or str(mode[0]).lower() != "wal":
                return False
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            return True
    except database_errors():  # a read-only folder, a busy writer: the slow path
        return False


def _copy_bytes(source: Path, target: Path, progress: Progress | None) -> None:
    total = source.stat().st_size
    done = 0
    with source.open("rb") as reader, target.open("wb") as writer:
        while chunk := reader.read(COPY_CHUNK):
            writer.write(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, total)


def _identity(copy: sqlite3.Connection) -> tuple[str, str, HighWater]:
    """Schema revision, instance id and high-water marks of a fresh copy (a known schema or
    the copy is refused)."""
    from app.db.migrate import known_revisions

    row = copy.execute("SELECT version_num FROM alembic_version").fetchone()
    if not row or str(row[0]) not in known_revisions():
        raise UserFacingError(
            _("The database was made by another version of ModelWard; no backup was taken.")
        )
    return str(row[0]), meta(copy, INSTANCE_KEY) or "", read_high_water(copy)


def create_backup(
    db_path: Path,
    reason: str,
    folder: Path | None = None,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
    taken_by: str = "",
) -> BackupInfo:
    """:func:`write_backup`, then its verification in this thread: a verified backup."""
    written = write_backup(db_path, reason, folder, now=now, progress=progress, taken_by=taken_by)
    return finish_verification(written)


def daily_backup_if_due(db_path: Path, now: datetime | None = None) -> BackupInfo | None:
    """Verify the copies a killed process left pending, then take today's automatic backup
    unless one exists; then rotate."""
    moment = now or datetime.now(UTC)
    if not db_path.exists():
        return None
    verify_pending(db_path)
    today = moment.date()
    if any(b.reason == "daily" and b.created_at.date() == today for b in list_backups(db_path)):
        return None
    info = create_backup(db_path, "daily", now=moment)
    rotate(db_path)
    return info


def automatic_backup(db_path: Path, reason: str) -> BackupInfo:
    """The backup taken before a risky operation (an import, a migration): written and durable
    when this returns, so the operation may go on (it is a separate transaction, and a restore
    checks the copy fully first); verified in the background, and rotated only once verified,
    so an older verified backup is never deleted for one still being checked."""
    info = write_backup(db_path, reason)
    verify_in_background(info, db_path)
    return info


# -- restore -----------------------------------------------------------------------------------


def _current_high_water(db_path: Path) -> HighWater:
    mark = read_high_water_file(high_water_file(db_path))
    if db_path.exists():
        try:
            with contextlib.closing(connect_read_only(db_path)) as raw:
                mark = mark.merged(read_high_water(raw))
        except database_errors(WrongDatabaseKey):
            pass  # a damaged database: the high-water file and the backups must do
    for listed in list_backups(db_path):
        with contextlib.suppress(UserFacingError):
            mark = mark.merged(HighWater.from_dict(read_sidecar(listed.path).get("high_water")))
    return mark


def is_intact(db_path: Path) -> bool:
    """SQLite's quick_check on the database file (False if it cannot even be opened, also with
    the unlocked keys; ``DatabaseLocked`` if it is encrypted and no key is unlocked at all)."""
    try:
        with contextlib.closing(connect_read_only(db_path)) as raw:
            row = raw.execute("PRAGMA quick_check(1)").fetchone()
            raw.execute("SELECT count(*) FROM app_meta").fetchone()
    except database_errors(WrongDatabaseKey, UnicodeDecodeError):
        return False
    return bool(row) and row[0] == "ok"


def _set_meta(raw: sqlite3.Connection, key: str, value: str) -> None:
    raw.execute(
        "INSERT INTO app_meta (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def restore_backup(
    db_path: Path,
    backup_path: Path,
    actor: str,
    now: datetime | None = None,
    *,
    username: str = "",
) -> RestoreResult:
    """Replace the (closed) database at ``db_path`` with a verified backup; ``actor`` is the
    name the audit entry records (``username``, the account's login, is kept beside it).

    The database being replaced is first backed up itself (or, if it cannot be read, its files
    are moved aside), so a restore can always be undone. The restored file is encrypted with
    the key unlocked for ``db_path`` (else with the backup's own key, or not at all).
    No role is checked here: the GUI and the command line restore through
    ``app.core.backup_service``, which does.
    """
    moment = now or datetime.now(UTC)
    wait_for_verifications()  # nothing of this process reads a backup while the file changes
    info = verify_backup(backup_path)
    backup_key = cipher.key_for_file(backup_path)
    key = cipher.key_for(db_path) or backup_key
    mark = _current_high_water(db_path).merged(info.high_water)
    folder = db_path.parent
    safety: Path | None = None
    if db_path.exists():
        if is_intact(db_path):
            safety = create_backup(db_path, "before-restore", now=moment, taken_by=actor).path
        else:
            safety = _move_damaged_aside(db_path, moment)
    new_instance = str(uuid.uuid4())
    with temp_beside(folder, ".restore-") as temp:
        if key == backup_key:
            shutil.copyfile(backup_path, temp)
        else:  # a plaintext (or differently keyed) backup into this station
            cipher.copy_database(backup_path, temp, source_key=backup_key, target_key=key)
        restored = {"file": backup_path.name, "at": moment.isoformat(), "by": actor}
        if username:
            restored["user"] = username
        old_instance = _give_new_identity(temp, key, mark, new_instance, restored)
        _audit_restore(temp, key, actor, backup_path.name, (old_instance, new_instance), moment)
        fsync_file(temp)
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{db_path}{suffix}").unlink()
        os.replace(temp, db_path)
        fsync_folder(folder)
    return RestoreResult(backup_path, safety, old_instance, new_instance, mark)


def _give_new_identity(
    path: Path, key: bytes | None, mark: HighWater, new_instance: str, restored: dict[str, str]
) -> str:
    """Carry the sync numbers forward in the restored copy at ``path`` and give it a new
    instance identity; return the old one."""
    with contextlib.closing(cipher.connect(path, key=key)) as raw, raw:
        old_instance = meta(raw, INSTANCE_KEY) or ""
        _set_meta(raw, INSTANCE_KEY, new_instance)
        raw.execute("UPDATE change_counter SET value = max(value, ?) WHERE id = 1", (mark.counter,))
        _set_meta(raw, ACKED_COUNTER, str(mark.acked_counter))
        _set_meta(raw, ACKED_SEQ, str(mark.acked_seq))
        _set_meta(raw, SEQ_FLOOR, str(mark.seq))
        _set_meta(raw, PREV_MANIFEST_FLOOR, mark.manifest)
        _set_meta(raw, RESTORED_KEY, json.dumps({**restored, "previous_instance": old_instance}))
    return old_instance


def _audit_restore(
    path: Path, key: bytes | None, actor: str, name: str, ids: tuple[str, str], moment: datetime
) -> None:
    from app.db import audit
    from app.db.engine import Database

    old, new = ids
    db = Database(path, key=key)
    try:
        with db.write() as session:
            changes = {"backup": (None, name), "instance_id": (old, new)}
            audit.append(session, [(actor, "restore-db", "database", new, changes)], at=moment)
    finally:
        db.close()


def _move_damaged_aside(db_path: Path, moment: datetime) -> Path:
    aside = backups_dir(db_path) / f"damaged-{moment.strftime('%Y%m%dT%H%M%SZ')}"
    aside.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{db_path}{suffix}")
        if source.exists():
            shutil.move(source, aside / source.name)
    return aside


# -- the move to encryption at rest ------------------------------------------------------------


@dataclass(frozen=True)
class EncryptionResult:
    rows: int  # rows carried over and checked in the database itself
    backups_encrypted: tuple[Path, ...]
    backups_left: tuple[Path, ...]  # plaintext files that could not be encrypted (damaged)


def plaintext_backups(db_path: Path) -> list[Path]:
    """The backups of ``db_path`` that are plaintext SQLite files (header check only)."""
    folder = backups_dir(db_path)
    if not folder.is_dir():
        return []
    return [
        path
        for path in sorted(folder.glob(f"{db_path.stem}-*{SUFFIX}"))
        if cipher.is_plaintext(path)
    ]


def encrypt_station(db_path: Path, key: bytes) -> EncryptionResult:
    """Encrypt the plaintext database at ``db_path``, then its plaintext backups; run again, it
    finishes a move that was interrupted. No ``Database`` of this process may have the file
    open (``RuntimeError``); another process holding it makes the instance lock refuse.

    The database goes first (``cipher.encrypt_plaintext``: exported, checked row for row,
    atomically replaced, the old file zeroed). Only once it is encrypted under ``key`` is each
    plaintext backup verified (hash and integrity_check, so damage is never re-signed) and
    encrypted in place the same way, its sidecar updated (size, SHA-256): every restore point
    stays usable and none stays readable. A backup that fails is left as it is and returned
    in ``backups_left``, as are damaged databases an earlier restore moved aside: the caller
    tells the administrator.
    """
    from app.db.engine import is_open

    if is_open(db_path):
        # its pooled connections would go on writing into the replaced plaintext file
        raise RuntimeError("close the database before encrypting it")
    wait_for_verifications()  # the backups are rewritten in place below
    rows = 0
    left: list[Path] = []
    folder = backups_dir(db_path)
    if not cipher.is_encrypted(db_path):
        rows = cipher.encrypt_plaintext(db_path, key)
        if folder.is_dir():
            left.extend(
                aside / db_path.name
                for aside in sorted(folder.glob("damaged-*"))
                if (aside / db_path.name).is_file()
                and not cipher.is_encrypted(aside / db_path.name)
            )
    elif cipher.key_for_file(db_path) != key:
        return EncryptionResult(0, (), ())  # another key: opening the database will say so
    done: list[Path] = []
    for path in plaintext_backups(db_path):
        try:
            verify_backup(path)
            cipher.encrypt_plaintext(path, key, lock=False)
        except database_errors(UserFacingError, cipher.CopyMismatch, ValueError, OSError):
            left.append(path)
            continue
        update_sidecar(path, size=path.stat().st_size, sha256=sha256_of(path), state=VERIFIED)
        done.append(path)
    return EncryptionResult(rows, tuple(done), tuple(left))


def newest_verified(db_path: Path) -> BackupInfo | None:
    """The newest backup that still verifies (used by the recovery mode)."""
    for listed in list_backups(db_path):
        if listed.state == FAILED:
            continue
        with contextlib.suppress(UserFacingError):
            return verify_backup(listed.path)
    return None


def age_of_newest(db_path: Path, now: datetime | None = None) -> timedelta | None:
    backups = list_backups(db_path)
    if not backups:
        return None
    return (now or datetime.now(UTC)) - backups[0].created_at
