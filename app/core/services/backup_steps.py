"""Backups of the station database, the use cases above the storage: the daily backup, a
restore (which gives the restored file a new identity and carries the sync numbers forward),
the newest backup that still verifies; and, re-exported so that callers need one module, the
storage half below them in ``app.db``.

Where things are: the copy and its verification, rotation and sidecars in ``app.db.backups``,
``app.db.backup_copy`` (taking a copy; encrypting plaintext backups) and
``app.db.backup_verify`` (the background check); the sync high-water marks in
``app.db.high_water``; the USB copy in ``app.core.services.backup_usb`` (its sealed format in
``app.sync.backup_envelope``). Who may do what: ``app.core.services.backups`` checks the acting
user's role (only the administrator restores) and is what the GUI and the command line call;
nothing in this module checks a role (in-process code: migrations, imports, tests).

A backup only counts once it has been verified: the copy passes ``quick_check``, is a ModelWard
database of a known schema, and its hash is written beside it; before a restore,
``verify_backup`` checks the hash and runs the full ``integrity_check``, so bit rot or a
half-copied file is caught before anyone restores from it.

Restoring never reuses sync numbers: the restored database gets a new instance identity, and
its change counter, bundle sequence and bundle hash chain are carried forward to the highest
values known (from the database being replaced, the high-water file written at every export,
and every backup's sidecar), so the province never sees the same number twice with different
content. Encryption at rest (``app.db.cipher``): a backup of an encrypted database is encrypted
with the same key; a restore re-keys a plaintext or differently keyed backup to this station's.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app.core.domain.errors import UserFacingError
from app.core.services.backup_usb import (
    ENCRYPTED_SUFFIX,
    MIN_PASSPHRASE,
    export_encrypted,
    import_encrypted,
)
from app.db import cipher
from app.db.backup_copy import (
    EncryptionResult,
    Progress,
    automatic_backup,
    create_backup,
    encrypt_station,
    plaintext_backups,
    write_backup,
)
from app.db.backup_verify import (
    finish_verification,
    verify_in_background,
    verify_pending,
    wait_for_verifications,
)
from app.db.backups import (
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
    list_backups,
    read_sidecar,
    remove_stale_temp_files,
    rotate,
    temp_beside,
    verify_backup,
)
from app.db.errors import WrongDatabaseKey, database_errors
from app.db.high_water import (
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
from app.fileio import fsync_file, fsync_folder
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
    "Progress",
    "RestoreResult",
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


@dataclass(frozen=True)
class RestoreResult:
    restored_from: Path
    safety_backup: Path | None
    old_instance_id: str
    new_instance_id: str
    high_water: HighWater


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
    ``app.core.services.backups``, which does.
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


def newest_verified(db_path: Path) -> BackupInfo | None:
    """The newest backup that still verifies (used by the recovery mode)."""
    for listed in list_backups(db_path):
        if listed.state == FAILED:
            continue
        with contextlib.suppress(UserFacingError):
            return verify_backup(listed.path)
    return None
