"""Backups of the station database: created through SQLite's online backup API, verified,
rotated, restored, and written encrypted to a USB stick.

A backup is a plain SQLite file in the ``backups`` folder beside the database, with a small
JSON sidecar holding its SHA-256, why it was taken, and the sync high-water marks at that
moment. A backup only counts once it has been verified: the copy passes ``quick_check`` (every
page read and checked), is a ModelWard database of a known schema, and its hash is written
beside it; before a restore, ``verify_backup`` checks the hash and runs the full
``integrity_check``, so bit rot or a half-copied file is caught before anyone restores from it.

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
``backups``. A copy for a USB stick must be restorable on a new computer, where the station's
key (wrapped in ``accounts.json`` beside the database) is gone with the old disk: it is
re-encrypted under a fresh one-off key that travels inside the age-encrypted envelope, so the
backup passphrase alone opens it and the station's own key never leaves the computer.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.core.errors import EnvironmentProblem, UserFacingError
from app.core.fileio import atomic_write_bytes
from app.db import cipher
from app.db.errors import DatabaseLocked, WrongDatabaseKey, database_errors, locked_database
from app.i18n import _
from app.paths import backups_dir

log = logging.getLogger(__name__)
FORMAT = "modelward.backup/1"
SUFFIX = ".sqlite"
SIDECAR = ".json"
ENCRYPTED_SUFFIX = ".mwbackup.age"
KEEP_DAILY = 14
KEEP_OTHER = 20
HIGH_WATER_NAME = "sync-high-water.json"

# app_meta keys shared with the sync and profile modules (kept as strings here so this module
# needs no ORM and can run while the database is closed)
INSTANCE_KEY = "instance_id"
ACKED_COUNTER = "sync_acked_counter"
ACKED_SEQ = "sync_acked_seq"
SEQ_FLOOR = "sync_seq_floor"
PREV_MANIFEST_FLOOR = "sync_prev_manifest_floor"
RESTORED_KEY = "restored_from"

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class HighWater:
    """The sync numbers a station must never hand out again."""

    counter: int = 0
    seq: int = 0
    manifest: str = ""  # the manifest hash of the bundle with sequence ``seq``
    acked_counter: int = 0
    acked_seq: int = 0

    def merged(self, other: HighWater) -> HighWater:
        newer = self if self.seq >= other.seq else other
        return HighWater(
            counter=max(self.counter, other.counter),
            seq=newer.seq,
            manifest=newer.manifest,
            acked_counter=max(self.acked_counter, other.acked_counter),
            acked_seq=max(self.acked_seq, other.acked_seq),
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "counter": self.counter,
            "seq": self.seq,
            "manifest": self.manifest,
            "acked_counter": self.acked_counter,
            "acked_seq": self.acked_seq,
        }

    @classmethod
    def from_dict(cls, data: object) -> HighWater:
        if not isinstance(data, dict):
            return cls()

        def number(key: str) -> int:
            value = data.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else 0

        manifest = data.get("manifest")
        return cls(
            counter=number("counter"),
            seq=number("seq"),
            manifest=manifest if isinstance(manifest, str) else "",
            acked_counter=number("acked_counter"),
            acked_seq=number("acked_seq"),
        )


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    reason: str
    created_at: datetime
    size: int
    sha256: str
    schema: str
    instance_id: str
    high_water: HighWater = field(default_factory=HighWater)


@dataclass(frozen=True)
class RestoreResult:
    restored_from: Path
    safety_backup: Path | None
    old_instance_id: str
    new_instance_id: str
    high_water: HighWater


# -- reading a database file without the ORM -----------------------------------------------------


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A read-only raw connection, keyed when the file is encrypted (``DatabaseLocked`` when
    no unlocked key opens it)."""
    return cipher.connect(path, readonly=True)


_connect_ro = connect_read_only


def _meta(raw: sqlite3.Connection, key: str) -> str | None:
    row = raw.execute("SELECT value FROM app_meta WHERE key = ?", (key,)).fetchone()
    return str(row[0]) if row else None


def _meta_int(raw: sqlite3.Connection, key: str) -> int:
    value = _meta(raw, key)
    try:
        return int(value) if value is not None else 0
    except ValueError:
        return 0


def read_high_water(raw: sqlite3.Connection) -> HighWater:
    """The sync numbers recorded in an open database (zeros where a table is missing)."""
    counter = raw.execute("SELECT value FROM change_counter WHERE id = 1").fetchone()
    tables = {n for (n,) in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    seq, manifest = 0, ""
    if "sync_outbox" in tables:
        last = raw.execute(
            "SELECT seq, manifest_sha256 FROM sync_outbox WHERE state != 'failed' "
            "ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        top = raw.execute("SELECT max(seq) FROM sync_outbox").fetchone()
        if last:
            seq, manifest = int(last[0]), str(last[1])
        if top and top[0] is not None:
            seq = max(seq, int(top[0]))  # a failed bundle's number is used up too
    floor = _meta_int(raw, SEQ_FLOOR)
    if floor > seq:
        seq, manifest = floor, _meta(raw, PREV_MANIFEST_FLOOR) or ""
    return HighWater(
        counter=int(counter[0]) if counter else 0,
        seq=seq,
        manifest=manifest,
        acked_counter=_meta_int(raw, ACKED_COUNTER),
        acked_seq=_meta_int(raw, ACKED_SEQ),
    )


def high_water_file(db_path: Path) -> Path:
    """Beside the station keys: written at every export, read when restoring."""
    return db_path.parent / "keys" / db_path.stem / HIGH_WATER_NAME


def record_high_water(db_path: Path, mark: HighWater) -> None:
    """Remember ``mark`` outside the database (merged with what is there already)."""
    path = high_water_file(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    merged = _read_high_water_file(path).merged(mark)
    atomic_write_bytes(path, json.dumps(merged.as_dict()).encode(), verify=False)


def _read_high_water_file(path: Path) -> HighWater:
    try:
        return HighWater.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return HighWater()


# -- create and verify ---------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _os_problem(error: OSError, folder: Path) -> EnvironmentProblem:
    if error.errno == errno.ENOSPC:
        return EnvironmentProblem(
            _("There is no space left for the backup in {folder}.").format(folder=folder),
            hint=_("Free some disk space or choose another drive. The database was not changed."),
        )
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return EnvironmentProblem(
            _("No permission to write the backup to {folder}.").format(folder=folder),
            hint=_("Choose another folder, or check that the USB stick is not write-protected."),
        )
    return EnvironmentProblem(
        _("The backup could not be written: {reason}.").format(reason=error.strerror),
        hint=_("Check that the drive is still connected, then try again."),
    )


def _sqlite_problem(error: Exception, folder: Path) -> EnvironmentProblem:
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF
    if code == 13:  # SQLITE_FULL
        return _os_problem(OSError(errno.ENOSPC, "disk full"), folder)
    if code in (5, 6):  # BUSY, LOCKED
        return EnvironmentProblem(
            _("The database is in use by another program; the backup was not taken."),
            hint=_("Close other programs that opened the file, then try again."),
        )
    if code in (11, 26):  # CORRUPT, NOTADB
        return EnvironmentProblem(
            _("The database file is damaged, so no backup can be taken from it."),
            hint=_("Restore the latest verified backup or call technical support."),
        )
    return EnvironmentProblem(
        _("The backup could not be written: {reason}.").format(reason=str(error)),
        hint=_("Check that the drive is still connected, then try again."),
    )


def create_backup(
    db_path: Path,
    reason: str,
    folder: Path | None = None,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> BackupInfo:
    """Copy the live database with the online backup API, verify the copy, then keep it.

    The copy is a consistent snapshot even while other connections write (WAL readers never
    block writers). Nothing appears under the final name unless the copy verified.
    """
    folder = folder or backups_dir(db_path)
    moment = now or datetime.now(UTC)
    stamp = moment.strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"{db_path.stem}-{reason}-{stamp}{SUFFIX}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(prefix=".backup-", suffix=".tmp", dir=folder)
        os.close(handle)
    except OSError as error:
        raise _os_problem(error, folder) from error
    temp = Path(temp_name)
    try:
        try:
            key = cipher.key_for_file(db_path)  # the copy is keyed like its source
            source = cipher.connect(db_path, readonly=True, key=key)
            try:
                with contextlib.closing(cipher.connect(temp, key=key)) as copy:
                    if progress is None:
                        source.backup(copy)
                    else:
                        source.backup(
                            copy, pages=4096, progress=lambda _s, r, t: progress(t - r, t)
                        )
                    copy.execute("PRAGMA journal_mode = DELETE")
            finally:
                source.close()
            _fsync(temp)
        except database_errors() as error:
            raise _sqlite_problem(error, folder) from error
        except OSError as error:
            raise _os_problem(error, folder) from error
        # quick_check reads every page of the new copy (a tenth of integrity_check's time on a
        # large ward); verify_backup, before any restore, runs the full integrity_check
        schema, instance, mark = _check_database(temp, full=False)
        size = temp.stat().st_size
        digest = _sha256(temp)
        try:
            os.replace(temp, target)
        except OSError as error:
            raise _os_problem(error, folder) from error
        info = BackupInfo(target, reason, moment, size, digest, schema, instance, mark)
        _write_sidecar(info)
        return info
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def _write_sidecar(info: BackupInfo) -> None:
    document = {
        "format": FORMAT,
        "file": info.path.name,
        "reason": info.reason,
        "created_at": info.created_at.isoformat(),
        "size": info.size,
        "sha256": info.sha256,
        "schema": info.schema,
        "instance_id": info.instance_id,
        "high_water": info.high_water.as_dict(),
    }
    atomic_write_bytes(
        info.path.with_suffix(SIDECAR), json.dumps(document, indent=1).encode(), verify=True
    )


def _not_a_backup(path: Path, reason: str) -> UserFacingError:
    return UserFacingError(
        _("{name} is not a usable ModelWard backup: {reason}.").format(
            name=path.name, reason=reason
        ),
        hint=_("Choose another backup file; nothing was changed."),
    )


def _check_database(path: Path, *, full: bool = True) -> tuple[str, str, HighWater]:
    """integrity_check (quick_check unless ``full``), schema and identity of a database copy;
    raise if any is wrong."""
    from app.db.migrate import known_revisions

    try:
        with contextlib.closing(_connect_ro(path)) as raw:
            check = "integrity_check" if full else "quick_check"
            result = raw.execute(f"PRAGMA {check}(1)").fetchone()
            if not result or result[0] != "ok":
                raise _not_a_backup(path, _("the file is damaged (integrity check failed)"))
            row = raw.execute("SELECT version_num FROM alembic_version").fetchone()
            instance = _meta(raw, INSTANCE_KEY) or ""
            mark = read_high_water(raw)
    except WrongDatabaseKey as error:
        raise _not_a_backup(
            path, _("it is encrypted with a key this account does not hold, or it is damaged")
        ) from error
    except UnicodeDecodeError as error:  # integrity_check quoting a mangled name
        raise _not_a_backup(path, _("the file is damaged (integrity check failed)")) from error
    except database_errors() as error:
        raise _not_a_backup(path, _("it is not a ModelWard database")) from error
    if not row or str(row[0]) not in known_revisions():
        raise _not_a_backup(path, _("it was made by another version of ModelWard"))
    return str(row[0]), instance, mark


def _read_sidecar(path: Path) -> dict[str, object]:
    sidecar = path.with_suffix(SIDECAR)
    try:
        document = json.loads(sidecar.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise _not_a_backup(path, _("its description file is damaged")) from error
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise _not_a_backup(path, _("its description file is damaged"))
    return document


def verify_backup(path: Path) -> BackupInfo:
    """Check a backup file completely; return what it holds or raise a clear error."""
    if not path.is_file():
        raise UserFacingError(
            _("The backup file {name} was not found.").format(name=path.name),
            hint=_("Check that the USB stick is connected and choose the file again."),
        )
    document = _read_sidecar(path)
    digest = _sha256(path)
    if document and document.get("sha256") != digest:
        raise _not_a_backup(path, _("the file changed after it was written"))
    schema, instance, mark = _check_database(path)
    created = document.get("created_at")
    try:
        moment = (
            datetime.fromisoformat(created)
            if isinstance(created, str)
            else datetime.fromtimestamp(path.stat().st_mtime, UTC)
        )
    except ValueError:
        moment = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    reason = document.get("reason")
    return BackupInfo(
        path,
        reason if isinstance(reason, str) else "",
        moment,
        path.stat().st_size,
        digest,
        schema,
        instance,
        mark,
    )


@dataclass(frozen=True)
class ListedBackup:
    path: Path
    reason: str
    created_at: datetime
    size: int


def list_backups(db_path: Path) -> list[ListedBackup]:
    """The backups kept for ``db_path``, newest first (from the sidecars; not re-verified)."""
    folder = backups_dir(db_path)
    found: list[ListedBackup] = []
    if not folder.is_dir():
        return found
    for path in folder.glob(f"{db_path.stem}-*{SUFFIX}"):
        try:
            document = _read_sidecar(path)
            created = document.get("created_at")
            moment = (
                datetime.fromisoformat(created)
                if isinstance(created, str)
                else datetime.fromtimestamp(path.stat().st_mtime, UTC)
            )
            reason = document.get("reason")
            found.append(
                ListedBackup(
                    path, reason if isinstance(reason, str) else "", moment, path.stat().st_size
                )
            )
        except (UserFacingError, OSError, ValueError):
            continue
    return sorted(found, key=lambda b: b.created_at, reverse=True)


STALE_TEMP = timedelta(hours=1)


def remove_stale_temp_files(db_path: Path, now: datetime | None = None) -> int:
    """Delete the temp files a killed backup, restore or copy left in the backups folder (a
    full-size database copy each). Only files older than an hour: one being written right
    now by this process is never touched (one process per database: app.db.instance_lock)."""
    folder = backups_dir(db_path)
    if not folder.is_dir():
        return 0
    limit = (now or datetime.now(UTC)).timestamp() - STALE_TEMP.total_seconds()
    removed = 0
    for path in folder.glob(".*.tmp"):
        with contextlib.suppress(OSError):
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
    if removed:
        log.warning("removed %d temp files left by interrupted backups in %s", removed, folder)
    return removed


def rotate(db_path: Path, keep_daily: int = KEEP_DAILY, keep_other: int = KEEP_OTHER) -> int:
    """Delete the oldest backups beyond the limits (daily ones and the rest counted apart),
    and the temp files interrupted backups left behind."""
    remove_stale_temp_files(db_path)
    removed = 0
    backups = list_backups(db_path)
    daily = [b for b in backups if b.reason == "daily"]
    other = [b for b in backups if b.reason != "daily"]
    for old in daily[keep_daily:] + other[keep_other:]:
        for path in (old.path, old.path.with_suffix(SIDECAR)):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        removed += 1
    return removed


def daily_backup_if_due(db_path: Path, now: datetime | None = None) -> BackupInfo | None:
    """Take today's automatic backup unless one exists; then rotate."""
    moment = now or datetime.now(UTC)
    if not db_path.exists():
        return None
    today = moment.date()
    if any(b.reason == "daily" and b.created_at.date() == today for b in list_backups(db_path)):
        return None
    info = create_backup(db_path, "daily", now=moment)
    rotate(db_path)
    return info


def automatic_backup(db_path: Path, reason: str) -> BackupInfo:
    """The backup taken before a risky operation (an import, a restore, a migration)."""
    info = create_backup(db_path, reason)
    rotate(db_path)
    return info


# -- restore -----------------------------------------------------------------------------------


def _current_high_water(db_path: Path) -> HighWater:
    mark = _read_high_water_file(high_water_file(db_path))
    if db_path.exists():
        try:
            with contextlib.closing(_connect_ro(db_path)) as raw:
                mark = mark.merged(read_high_water(raw))
        except database_errors(WrongDatabaseKey):
            pass  # a damaged database: the high-water file and the backups must do
    for listed in list_backups(db_path):
        with contextlib.suppress(UserFacingError):
            mark = mark.merged(HighWater.from_dict(_read_sidecar(listed.path).get("high_water")))
    return mark


def is_intact(db_path: Path) -> bool:
    """SQLite's quick_check on the database file (False if it cannot even be opened, also with
    the unlocked keys; ``DatabaseLocked`` if it is encrypted and no key is unlocked at all)."""
    try:
        with contextlib.closing(_connect_ro(db_path)) as raw:
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
    db_path: Path, backup_path: Path, actor: str, now: datetime | None = None
) -> RestoreResult:
    """Replace the (closed) database at ``db_path`` with a verified backup.

    The database being replaced is first backed up itself (or, if it cannot be read, its files
    are moved aside), so a restore can always be undone. The restored file is encrypted with
    the key unlocked for ``db_path`` (else with the backup's own key, or not at all).
    """
    moment = now or datetime.now(UTC)
    info = verify_backup(backup_path)
    backup_key = cipher.key_for_file(backup_path)
    key = cipher.key_for(db_path) or backup_key
    mark = _current_high_water(db_path).merged(info.high_water)
    folder = db_path.parent
    safety: Path | None = None
    if db_path.exists():
        if is_intact(db_path):
            safety = create_backup(db_path, "before-restore", now=moment).path
        else:
            safety = _move_damaged_aside(db_path, moment)
    try:
        handle, temp_name = tempfile.mkstemp(prefix=".restore-", suffix=".tmp", dir=folder)
        os.close(handle)
        if key == backup_key:
            shutil.copyfile(backup_path, temp_name)
    except OSError as error:
        raise _os_problem(error, folder) from error
    temp = Path(temp_name)
    new_instance = str(uuid.uuid4())
    try:
        if key != backup_key:  # a plaintext (or differently keyed) backup into this station
            cipher.copy_database(backup_path, temp, source_key=backup_key, target_key=key)
        with contextlib.closing(cipher.connect(temp, key=key)) as raw, raw:
            old_instance = _meta(raw, INSTANCE_KEY) or ""
            _set_meta(raw, INSTANCE_KEY, new_instance)
            raw.execute(
                "UPDATE change_counter SET value = max(value, ?) WHERE id = 1", (mark.counter,)
            )
            _set_meta(raw, ACKED_COUNTER, str(mark.acked_counter))
            _set_meta(raw, ACKED_SEQ, str(mark.acked_seq))
            _set_meta(raw, SEQ_FLOOR, str(mark.seq))
            _set_meta(raw, PREV_MANIFEST_FLOOR, mark.manifest)
            _set_meta(
                raw,
                RESTORED_KEY,
                json.dumps(
                    {
                        "file": backup_path.name,
                        "at": moment.isoformat(),
                        "by": actor,
                        "previous_instance": old_instance,
                    }
                ),
            )
        _audit_restore(temp, key, actor, backup_path.name, (old_instance, new_instance), moment)
        _fsync(temp)
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{db_path}{suffix}").unlink()
        os.replace(temp, db_path)
        _fsync_folder(folder)
    except database_errors() as error:
        raise _sqlite_problem(error, folder) from error
    except OSError as error:
        raise _os_problem(error, folder) from error
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    return RestoreResult(backup_path, safety, old_instance, new_instance, mark)


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


def _fsync_folder(folder: Path) -> None:
    if os.name == "posix":
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# -- encrypted copy for a USB stick ------------------------------------------------------------


MIN_PASSPHRASE = 10


def _carried_copy(backup_path: Path, key: bytes) -> tuple[bytes, bytes]:
    """The encrypted backup re-encrypted under a fresh one-off key: (that key, the file)."""
    one_off = os.urandom(cipher.KEY_BYTES)
    folder = backup_path.parent
    handle, temp_name = tempfile.mkstemp(prefix=".usb-", suffix=".tmp", dir=folder)
    os.close(handle)
    temp = Path(temp_name)
    try:
        cipher.copy_database(backup_path, temp, source_key=key, target_key=one_off)
        return one_off, temp.read_bytes()
    except database_errors() as error:
        raise _sqlite_problem(error, folder) from error
    except OSError as error:
        raise _os_problem(error, folder) from error
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def export_encrypted(backup_path: Path, out_dir: Path, passphrase: str) -> Path:
    """Write a verified backup to ``out_dir`` encrypted with age (scrypt passphrase).

    An encrypted backup travels under a fresh one-off key held in the age-encrypted envelope
    (see the module docstring), never under the station's key."""
    import pyrage

    if len(passphrase) < MIN_PASSPHRASE:
        raise UserFacingError(
            _("The passphrase must have at least {n} characters.").format(n=MIN_PASSPHRASE)
        )
    info = verify_backup(backup_path)
    key = cipher.key_for_file(backup_path)
    document: dict[str, object] = {
        "format": FORMAT,
        "file": info.path.name,
        "reason": info.reason,
        "created_at": info.created_at.isoformat(),
        "sha256": info.sha256,
    }
    if key is None:
        content = backup_path.read_bytes()
    else:
        one_off, content = _carried_copy(backup_path, key)
        document["sha256"] = hashlib.sha256(content).hexdigest()
        document["key"] = one_off.hex()
    envelope = json.dumps(document).encode()
    body = len(envelope).to_bytes(4, "big") + envelope + content
    target = out_dir / f"{backup_path.stem}{ENCRYPTED_SUFFIX}"
    atomic_write_bytes(target, pyrage.passphrase.encrypt(body, passphrase))
    return target


def import_encrypted(source: Path, db_path: Path, passphrase: str) -> BackupInfo:
    """Decrypt a USB backup into the backups folder and verify it (ready to restore)."""
    import pyrage

    try:
        data = source.read_bytes()
    except OSError as error:
        raise UserFacingError(
            _("The file {name} could not be read.").format(name=source.name),
            hint=_("Check that the USB stick is connected and choose the file again."),
        ) from error
    try:
        body = pyrage.passphrase.decrypt(data, passphrase)
    except pyrage.DecryptError as error:
        raise UserFacingError(
            _("The encrypted backup could not be opened: wrong passphrase or damaged file."),
            hint=_("Check the passphrase; if it is right, the file on the stick is damaged."),
        ) from error
    try:
        size = int.from_bytes(body[:4], "big")
        envelope = json.loads(body[4 : 4 + size])
        name = Path(str(envelope["file"])).name
        content = body[4 + size :]
        carried = envelope.get("key")
        carried_key = bytes.fromhex(carried) if carried is not None else None
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise _not_a_backup(source, _("its description is damaged")) from error
    if not name.endswith(SUFFIX) or hashlib.sha256(content).hexdigest() != envelope.get("sha256"):
        raise _not_a_backup(source, _("the file changed after it was written"))
    if carried_key is not None and len(carried_key) != cipher.KEY_BYTES:
        raise _not_a_backup(source, _("its description is damaged"))
    key = cipher.key_for(db_path)
    if key is None and cipher.is_encrypted(db_path):
        raise locked_database(db_path.name)
    folder = backups_dir(db_path)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{db_path.stem}-usb-{name.removeprefix(db_path.stem + '-')}"
    if carried_key == key:
        atomic_write_bytes(target, content, verify=False)
    else:
        _write_rekeyed(content, carried_key, target, key)
    try:
        info = replace(verify_backup(target), reason="usb")
    except UserFacingError:
        target.unlink()
        raise
    _write_sidecar(info)
    return info


def _write_rekeyed(
    content: bytes, carried_key: bytes | None, target: Path, key: bytes | None
) -> None:
    """Put the database ``content`` (plaintext, or encrypted under ``carried_key``) at
    ``target`` encrypted under ``key`` (None: plaintext), with no plaintext written on the way
    when ``key`` is set."""
    folder = target.parent
    temps: list[Path] = []
    try:
        for _n in range(2):
            handle, name = tempfile.mkstemp(prefix=".usb-", suffix=".tmp", dir=folder)
            os.close(handle)
            temps.append(Path(name))
        carried, rekeyed = temps
        if carried_key is None:
            assert key is not None
            cipher.load_image(content, rekeyed, key)  # the plaintext image stays in memory
        else:
            atomic_write_bytes(carried, content, verify=False)
            cipher.copy_database(carried, rekeyed, source_key=carried_key, target_key=key)
        _fsync(rekeyed)
        os.replace(rekeyed, target)
    except DatabaseLocked as error:
        raise _not_a_backup(target, _("its description is damaged")) from error
    except database_errors() as error:
        raise _not_a_backup(target, _("it is not a ModelWard database")) from error
    except OSError as error:
        raise _os_problem(error, folder) from error
    finally:
        for temp in temps:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()


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
        _update_sidecar(path)
        done.append(path)
    return EncryptionResult(rows, tuple(done), tuple(left))


def _update_sidecar(path: Path) -> None:
    """Record the new size and hash of a backup that was encrypted in place."""
    try:
        document = _read_sidecar(path)
    except UserFacingError:
        return
    if not document:
        return
    document["size"] = path.stat().st_size
    document["sha256"] = _sha256(path)
    atomic_write_bytes(
        path.with_suffix(SIDECAR), json.dumps(document, indent=1).encode(), verify=True
    )


def newest_verified(db_path: Path) -> BackupInfo | None:
    """The newest backup that still verifies (used by the recovery mode)."""
    for listed in list_backups(db_path):
        with contextlib.suppress(UserFacingError):
            return verify_backup(listed.path)
    return None


def age_of_newest(db_path: Path, now: datetime | None = None) -> timedelta | None:
    backups = list_backups(db_path)
    if not backups:
        return None
    return (now or datetime.now(UTC)) - backups[0].created_at
