"""Taking a backup copy of the station database, and the move of its plaintext backups to
encryption at rest: the storage half of backups, with no role and no user (the use cases that
check the acting user's role are in ``app.core.services.backups``).

:func:`write_backup` copies the live database (byte for byte while the WAL is empty, else with
SQLite's online backup API) and makes the copy durable; the officer waits only for that. The
check and the hash then run in this thread (:func:`create_backup`) or in the background
(:func:`automatic_backup`, ``app.db.backup_verify``), the copy listed as pending meanwhile.
When a plaintext station is encrypted (:func:`encrypt_station`) its plaintext backups are
encrypted in place with the same key once the database itself has verified.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app.core.domain.errors import UserFacingError
from app.db import cipher
from app.db.backup_verify import finish_verification, verify_in_background, wait_for_verifications
from app.db.backups import (
    PENDING,
    SUFFIX,
    VERIFIED,
    BackupInfo,
    sha256_of,
    temp_beside,
    update_sidecar,
    verify_backup,
    write_sidecar,
)
from app.db.errors import database_errors
from app.db.high_water import INSTANCE_KEY, HighWater, meta, read_high_water
from app.db.revisions import known_revisions
from app.fileio import fsync_file, fsync_folder
from app.i18n import _
from app.paths import backups_dir

Progress = Callable[[int, int], None]


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


def automatic_backup(db_path: Path, reason: str) -> BackupInfo:
    """The backup taken before a risky operation (an import, a migration): written and durable
    when this returns, so the operation may go on (it is a separate transaction, and a restore
    checks the copy fully first); verified in the background, and rotated only once verified,
    so an older verified backup is never deleted for one still being checked."""
    info = write_backup(db_path, reason)
    verify_in_background(info, db_path)
    return info


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
