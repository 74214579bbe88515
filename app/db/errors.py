"""Maps SQLite failures to ``EnvironmentProblem`` with a message the officer can act on."""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import DBAPIError

from app.core.errors import EnvironmentProblem
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


def environment_problem(error: BaseException) -> EnvironmentProblem | None:
    """Return the officer-facing problem behind a database error, or None for a bug."""
    original = error.orig if isinstance(error, DBAPIError) else error
    if not isinstance(original, sqlite3.Error):
        return None
    code = getattr(original, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
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
    if primary in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return EnvironmentProblem(
            _("The database file is damaged or is not a ModelWard database."),
            hint=_("Do not write to it. Restore the latest backup or call technical support."),
        )
    if primary in (SQLITE_IOERR, SQLITE_CANTOPEN):
        return EnvironmentProblem(
            _("The database file could not be read or written."),
            hint=_(
                "Check that the drive is still connected and the folder exists, then try again."
            ),
        )
    return None
