"""Open (and create or migrate) the station database file."""

from __future__ import annotations

import logging
from pathlib import Path

from app.core.domain.errors import EnvironmentProblem
from app.db import cipher, storage
from app.db.engine import (
    BUSY_TIMEOUT_MS,
    Database,
    check_file_openable,
    mapped_errors,
    sqlite_is_affected_by_wal_reset,
)
from app.db.migrate import SCHEMA_HEAD, stored_revision, upgrade_to_head
from app.i18n import _

log = logging.getLogger(__name__)


MINIMUM_SQLITE = (3, 35)  # UPDATE … RETURNING hands out the change numbers


def open_database(path: Path, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Database:
    """Open ``path``, creating it or upgrading its schema (after a backup) as needed.

    With a key unlocked for ``path`` (``app.db.cipher.unlock``, done at login) a new database is
    created encrypted and a plaintext one is encrypted first, its backups with it. An encrypted
    file that no unlocked key opens is refused with ``DatabaseLocked`` before anything is
    written."""
    if cipher.sqlite_version_info() < MINIMUM_SQLITE:
        raise EnvironmentProblem(
            _("This computer's SQLite {version} is too old for ModelWard.").format(
                version=cipher.sqlite_version()
            ),
            hint=_(
                "Install the ModelWard package, which brings its own SQLite, or ask "
                "technical support."
            ),
        )
    check_file_openable(path)
    _check_storage(path)
    if sqlite_is_affected_by_wal_reset():
        log.warning(
            "SQLite %s predates the 3.51.3 WAL-reset fix; ModelWard keeps one writer connection",
            cipher.sqlite_version(),
        )
    _encrypt_if_unlocked(path)
    up_to_date = stored_revision(path) == SCHEMA_HEAD
    db = Database(path, busy_timeout_ms)
    if up_to_date:
        return db
    try:
        with mapped_errors():
            backup = upgrade_to_head(db.write_engine, path)
    except BaseException:
        db.close()
        raise
    if backup is not None:
        log.info("database %s migrated; backup at %s", path, backup)
    return db


def _encrypt_if_unlocked(path: Path) -> None:
    """A plaintext station database whose key is unlocked is encrypted now (the upgrade to
    encryption at rest), and so are its plaintext backups (app.db.backup_copy.encrypt_station),
    also when an earlier run was interrupted between the two."""
    key = cipher.key_for(path)
    if key is None or not path.is_file() or not path.stat().st_size:
        return
    from app.db.backup_copy import encrypt_station, plaintext_backups

    if cipher.is_encrypted(path) and not plaintext_backups(path):
        return
    with mapped_errors():
        result = encrypt_station(path, key)
    if result.rows:
        log.info("database %s encrypted at rest (%d rows checked)", path, result.rows)
    if result.backups_encrypted:
        log.info("%d plaintext backups encrypted", len(result.backups_encrypted))
    for left in result.backups_left:
        log.warning("plaintext copy left unencrypted (it does not verify): %s", left)


def _check_storage(path: Path) -> None:
    kind, fstype = storage.classify(path)
    if kind == storage.NETWORK:
        raise EnvironmentProblem(
            _("The database {path} is on a network share ({fstype}).").format(
                path=path, fstype=fstype or "?"
            ),
            hint=_(
                "SQLite cannot keep a database safe over the network. Copy the file to this "
                "computer's own disk and open it there."
            ),
        )
    if kind == storage.REMOVABLE:
        log.warning("database %s is on a removable drive (%s)", path, fstype)
