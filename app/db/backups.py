"""The files of a backup: the copy and its JSON sidecar, how a copy is checked, listed and
rotated, and the one way a temp file is written beside its target (errors mapped to clear
messages, the temp file always removed).

A sidecar records the copy's SHA-256, why and when it was taken, by whom, the sync high-water
marks, and its ``state``: ``pending`` from the moment the copy is written and durable until its
``quick_check`` and hash are done (possibly in the background, ``app.db.backup_verify``),
then ``verified``, or ``failed``. Only verified copies count in rotation, so an older verified
backup is never deleted to make room for one that is still being checked.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.core.domain.errors import EnvironmentProblem, UserFacingError
from app.db import cipher
from app.db.errors import (
    SQLITE_BUSY,
    SQLITE_CORRUPT,
    SQLITE_FULL,
    SQLITE_LOCKED,
    SQLITE_NOTADB,
    WrongDatabaseKey,
    database_errors,
    sqlite_code,
)
from app.db.high_water import INSTANCE_KEY, HighWater, meta, read_high_water
from app.db.revisions import known_revisions
from app.fileio import atomic_write_bytes
from app.i18n import _
from app.paths import backups_dir

log = logging.getLogger(__name__)
FORMAT = "modelward.backup/1"
SUFFIX = ".sqlite"
SIDECAR = ".json"
KEEP_DAILY = 14
KEEP_OTHER = 20
STALE_TEMP = timedelta(hours=1)

PENDING, VERIFIED, FAILED = "pending", "verified", "failed"
# sidecars are rewritten by the background verification and read by rotation at the same time
sidecar_lock = threading.RLock()


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    reason: str
    created_at: datetime
    size: int
    sha256: str  # "" until verified
    schema: str
    instance_id: str
    high_water: HighWater = field(default_factory=HighWater)
    taken_by: str = ""  # the logged-in user who took or brought it ("" for automatic ones)
    state: str = VERIFIED

    @property
    def verified(self) -> bool:
        return self.state == VERIFIED


@dataclass(frozen=True)
class ListedBackup:
    path: Path
    reason: str
    created_at: datetime
    size: int
    state: str = VERIFIED
    taken_by: str = ""


# -- errors ------------------------------------------------------------------------------------


def os_problem(error: OSError, folder: Path) -> EnvironmentProblem:
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


def sqlite_problem(error: Exception, folder: Path) -> EnvironmentProblem:
    code = sqlite_code(error)  # the one map of SQLite's result codes: app.db.errors
    if code == SQLITE_FULL:
        return os_problem(OSError(errno.ENOSPC, "disk full"), folder)
    if code in (SQLITE_BUSY, SQLITE_LOCKED):
        return EnvironmentProblem(
            _("The database is in use by another program; the backup was not taken."),
            hint=_("Close other programs that opened the file, then try again."),
        )
    if code in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return EnvironmentProblem(
            _("The database file is damaged, so no backup can be taken from it."),
            hint=_("Restore the latest verified backup or call technical support."),
        )
    return EnvironmentProblem(
        _("The backup could not be written: {reason}.").format(reason=str(error)),
        hint=_("Check that the drive is still connected, then try again."),
    )


def not_a_backup(path: Path, reason: str) -> UserFacingError:
    return UserFacingError(
        _("{name} is not a usable ModelWard backup: {reason}.").format(
            name=path.name, reason=reason
        ),
        hint=_("Choose another backup file; nothing was changed."),
    )


@contextlib.contextmanager
def temp_beside(
    folder: Path,
    prefix: str,
    on_database_error: Callable[[Exception], Exception] | None = None,
) -> Iterator[Path]:
    """A new empty temp file in ``folder`` (created if missing), removed when the block ends
    whatever happens. OS errors become :func:`os_problem`, database errors
    ``on_database_error(error)`` (default :func:`sqlite_problem`); errors already meant for
    the officer pass unchanged. A killed process leaves it for
    :func:`remove_stale_temp_files`."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=folder)
        os.close(handle)
    except OSError as error:
        raise os_problem(error, folder) from error
    temp = Path(name)
    try:
        yield temp
    except database_errors() as error:
        mapped = on_database_error(error) if on_database_error else sqlite_problem(error, folder)
        raise mapped from error
    except OSError as error:
        raise os_problem(error, folder) from error
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


# -- bytes on disk -----------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def connect_read_only(path: Path, key: cipher.KeyArg = cipher.REGISTERED) -> sqlite3.Connection:
    """A read-only raw connection, keyed when the file is encrypted (``DatabaseLocked`` when
    no unlocked key opens it); ``key`` forces one (a background check that may outlive the
    login)."""
    return cipher.connect(path, readonly=True, key=key)


# -- the sidecar -------------------------------------------------------------------------------


def write_sidecar(info: BackupInfo) -> None:
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
        "taken_by": info.taken_by,
        "state": info.state,
    }
    with sidecar_lock:
        atomic_write_bytes(
            info.path.with_suffix(SIDECAR), json.dumps(document, indent=1).encode(), verify=True
        )


def read_sidecar(path: Path) -> dict[str, object]:
    sidecar = path.with_suffix(SIDECAR)
    try:
        document = json.loads(sidecar.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise not_a_backup(path, _("its description file is damaged")) from error
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise not_a_backup(path, _("its description file is damaged"))
    return document


def update_sidecar(path: Path, **fields: object) -> None:
    """Rewrite some fields of a backup's sidecar (its size and hash after an in-place
    encryption, its state after the verification)."""
    with sidecar_lock:
        try:
            document = read_sidecar(path)
        except UserFacingError:
            return
        if not document:
            return
        document.update(fields)
        atomic_write_bytes(
            path.with_suffix(SIDECAR), json.dumps(document, indent=1).encode(), verify=True
        )


def _text(document: dict[str, object], key: str, default: str = "") -> str:
    value = document.get(key)
    return value if isinstance(value, str) else default


def _created(document: dict[str, object], path: Path) -> datetime:
    created = document.get("created_at")
    try:
        if isinstance(created, str):
            return datetime.fromisoformat(created)
    except ValueError:
        pass
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def state_of(document: dict[str, object]) -> str:
    """A sidecar from before the background verification was written only once verified."""
    return _text(document, "state", VERIFIED)


# -- checking a copy ---------------------------------------------------------------------------


def check_database(
    path: Path, *, full: bool = True, key: cipher.KeyArg = cipher.REGISTERED
) -> tuple[str, str, HighWater]:
    """integrity_check (quick_check unless ``full``), schema and identity of a database copy;
    raise if any is wrong."""
    try:
        with contextlib.closing(connect_read_only(path, key)) as raw:
            check = "integrity_check" if full else "quick_check"
            result = raw.execute(f"PRAGMA {check}(1)").fetchone()
            if not result or result[0] != "ok":
                raise not_a_backup(path, _("the file is damaged (integrity check failed)"))
            row = raw.execute("SELECT version_num FROM alembic_version").fetchone()
            instance = meta(raw, INSTANCE_KEY) or ""
            mark = read_high_water(raw)
    except WrongDatabaseKey as error:
        raise not_a_backup(
            path, _("it is encrypted with a key this account does not hold, or it is damaged")
        ) from error
    except UnicodeDecodeError as error:  # integrity_check quoting a mangled name
        raise not_a_backup(path, _("the file is damaged (integrity check failed)")) from error
    except database_errors() as error:
        raise not_a_backup(path, _("it is not a ModelWard database")) from error
    if not row or str(row[0]) not in known_revisions():
        raise not_a_backup(path, _("it was made by another version of ModelWard"))
    return str(row[0]), instance, mark


def verify_backup(path: Path) -> BackupInfo:
    """Check a backup file completely (hash against its sidecar, when verified, and the full
    integrity_check); return what it holds or raise a clear error."""
    if not path.is_file():
        raise UserFacingError(
            _("The backup file {name} was not found.").format(name=path.name),
            hint=_("Check that the USB stick is connected and choose the file again."),
        )
    document = read_sidecar(path)
    digest = sha256_of(path)
    recorded = document.get("sha256")
    if document and recorded and recorded != digest:  # a pending copy has no hash yet
        raise not_a_backup(path, _("the file changed after it was written"))
    schema, instance, mark = check_database(path)
    return BackupInfo(
        path,
        _text(document, "reason"),
        _created(document, path),
        path.stat().st_size,
        digest,
        schema,
        instance,
        mark,
        _text(document, "taken_by"),
    )


# -- the folder --------------------------------------------------------------------------------


def list_backups(db_path: Path) -> list[ListedBackup]:
    """The backups kept for ``db_path``, newest first (from the sidecars; not re-verified)."""
    folder = backups_dir(db_path)
    found: list[ListedBackup] = []
    if not folder.is_dir():
        return found
    for path in folder.glob(f"{db_path.stem}-*{SUFFIX}"):
        try:
            document = read_sidecar(path)
            found.append(
                ListedBackup(
                    path,
                    _text(document, "reason"),
                    _created(document, path),
                    path.stat().st_size,
                    state_of(document),
                    _text(document, "taken_by"),
                )
            )
        except (UserFacingError, OSError, ValueError):
            continue
    return sorted(found, key=lambda b: b.created_at, reverse=True)


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
    """Delete the oldest verified backups beyond the limits (daily ones and the rest counted
    apart), the copies whose verification failed, and the temp files interrupted backups left
    behind. A copy still being verified is neither counted nor deleted: until it is verified
    the older ones stay."""
    remove_stale_temp_files(db_path)
    removed = 0
    with sidecar_lock:
        backups = list_backups(db_path)
        verified = [b for b in backups if b.state == VERIFIED]
        daily = [b for b in verified if b.reason == "daily"]
        other = [b for b in verified if b.reason != "daily"]
        failed = [b for b in backups if b.state == FAILED]
        for old in daily[keep_daily:] + other[keep_other:] + failed:
            for path in (old.path, old.path.with_suffix(SIDECAR)):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
            removed += 1
    return removed
