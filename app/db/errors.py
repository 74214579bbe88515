"""Maps SQLite failures to ``EnvironmentProblem`` with a message the officer can act on."""

from __future__ import annotations

import sqlite3
import sys

from sqlalchemy.exc import DBAPIError

from app.core.domain.errors import EnvironmentProblem
from app.db.keyring import unlocked_keys
from app.i18n import _

# SQLite primary result codes (https://sqlite.org/rescode.html)
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26


class DatabaseLocked(EnvironmentProblem):
    """The database file is encrypted and no key unlocked in this process opens it: someone
    has to log in (``app.db.cipher``). Raised before anything on disk is touched."""


class WrongDatabaseKey(DatabaseLocked):
    """Keys are unlocked, but none of them opens the file (another station's, or damage)."""


def database_errors(*also: type[Exception]) -> tuple[type[Exception], ...]:
    """What a raw DB-API connection may raise (and ``also``), for ``except``: sqlcipher3's
    exceptions do not derive from sqlite3's, and sqlcipher3 is only imported once a key is
    used."""
    module = sys.modules.get("sqlcipher3.dbapi2")
    found: tuple[type[Exception], ...] = (
        (sqlite3.Error,)
        if module is None
        else (
            sqlite3.Error,
            module.Error,
        )
    )
    return (*also, *found)


def _sqlcipher_error(error: BaseException) -> bool:
    module = sys.modules.get("sqlcipher3.dbapi2")
    return module is not None and isinstance(error, module.Error)


# SQLite's own texts of its primary result codes (sqlite3_errstr): sqlcipher3 leaves
# ``sqlite_errorcode`` unset on some errors (those of the online backup API among them)
_CODE_OF_TEXT = {
    "database is locked": SQLITE_BUSY,
    "database table is locked": SQLITE_LOCKED,
    "attempt to write a readonly database": SQLITE_READONLY,
    "disk I/O error": SQLITE_IOERR,
    "database disk image is malformed": SQLITE_CORRUPT,
    "database or disk is full": SQLITE_FULL,
    "unable to open database file": SQLITE_CANTOPEN,
    "file is not a database": SQLITE_NOTADB,
}


def sqlite_code(error: BaseException) -> int:
    """The primary SQLite result code of a DB-API error (0 when unknown)."""
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF
    return _CODE_OF_TEXT.get(str(error).strip(), 0)


def _keyed(error: BaseException, original: BaseException) -> bool:
    """Whether the failing connection had a key applied. Every connection is sqlcipher3's,
    keyed or not (``app.db.cipher.dbapi``): keyed engines mark their errors
    (``app.db.engine.make_engine``); a raw connection's error counts as keyed when any key is
    unlocked."""
    if isinstance(error, DBAPIError):
        return bool(getattr(original, "keyed_connection", False))
    return bool(unlocked_keys(None))


def locked_database(name: str) -> DatabaseLocked:
    return DatabaseLocked(
        _("The database {name} is encrypted and no one has logged in to unlock it.").format(
            name=name
        ),
        hint=_("Log in with an account of this station; the file was not changed."),
    )


def wrong_database_key(name: str | None = None) -> WrongDatabaseKey:
    message = (
        _(
            "The database {name} could not be unlocked: the key of this account does not fit "
            "it, or the file is damaged."
        ).format(name=name)
        if name
        else _(
            "The database could not be unlocked: the key of this account does not fit it, or "
            "the file is damaged."
        )
    )
    return WrongDatabaseKey(
        message,
        hint=_(
            "Log in with an account of this station. If that does not help, restore the latest "
            "backup or call technical support. The file was not changed."
        ),
    )


def damaged_database() -> EnvironmentProblem:
    return EnvironmentProblem(
        _("The database file is damaged or is not a ModelWard database."),
        hint=_("Do not write to it. Restore the latest backup or call technical support."),
    )


def environment_problem(error: BaseException) -> EnvironmentProblem | None:
    """Return the officer-facing problem behind a database error, or None for a bug."""
    original = error.orig if isinstance(error, DBAPIError) else error
    if original is None:
        return None
    encrypted = _sqlcipher_error(original)
    if not (encrypted or isinstance(original, sqlite3.Error)):
        return None
    primary = sqlite_code(original)
    if primary in (SQLITE_BUSY, SQLITE_LOCKED):
        return EnvironmentProblem(
            _("The database is in use by another program."),
            hint=_(
                "Close other copies of ModelWard or any program that opened the file, "
                "then try again."
            ),
        )
    if primary == SQLITE_FULL:
        return EnvironmentProblem(
            _("The disk is full; the change was not saved."),
            hint=_("Free some disk space, then try again. Nothing was lost."),
        )
    if primary == SQLITE_READONLY:
        return EnvironmentProblem(
            _("The data folder is read-only; the change was not saved."),
            hint=_("Ask the administrator to give this account write permission on the folder."),
        )
    if primary == SQLITE_NOTADB and encrypted and _keyed(error, original):
        # with a key applied, "not a database" means the key did not decrypt page 1
        return wrong_database_key()
    if primary in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return damaged_database()
    if primary in (SQLITE_IOERR, SQLITE_CANTOPEN):
        return EnvironmentProblem(
            _("The database file could not be read or written."),
            hint=_(
                "Check that the drive is still connected and the folder exists, then try again."
            ),
        )
    return None
