"""One ModelWard process per database file.

A second copy of the app (or a command run while the app is open) on the same database is
refused with a clear message instead of becoming a second writer. The lock is an OS file lock
on ``<database>.lock``, so it disappears with the process that held it, even after a crash or
``kill -9``; inside one process the same database may be opened again (tests, restore).
"""

from __future__ import annotations

import errno
import os
import sys
import threading
from pathlib import Path
from typing import IO

from app.core.domain.errors import EnvironmentProblem
from app.i18n import _

_held: dict[Path, tuple[IO[bytes], int]] = {}
_guard = threading.Lock()


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


def _try_lock(handle: IO[bytes]) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on the Windows build only
        import msvcrt

        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def acquire(db_path: Path) -> None:
    """Take the lock on ``db_path`` for this process (counted; see ``release``)."""
    key = db_path.resolve()
    with _guard:
        if key in _held:
            handle, count = _held[key]
            _held[key] = (handle, count + 1)
            return
        try:
            handle = open(lock_path(key), "a+b")  # noqa: SIM115 - held until release()
        except OSError as error:
            if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise EnvironmentProblem(
                    _("The data folder {folder} is read-only: ModelWard cannot work there.").format(
                        folder=key.parent
                    ),
                    hint=_(
                        "Ask the administrator to give this account write permission on the "
                        "folder, or copy the data to a folder on this computer. Nothing was "
                        "changed."
                    ),
                ) from error
            return  # e.g. the folder is missing: opening the database says so
        if not _try_lock(handle):
            handle.close()
            raise EnvironmentProblem(
                _("ModelWard is already open on this database in another window or program."),
                hint=_(
                    "Switch to the window that is already open, or close it and try again. "
                    "If none is open, restart the computer."
                ),
            )
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()).encode())
            handle.flush()
        except OSError:
            pass
        _held[key] = (handle, 1)


def release(db_path: Path) -> None:
    key = db_path.resolve()
    with _guard:
        entry = _held.get(key)
        if entry is None:
            return
        handle, count = entry
        if count > 1:
            _held[key] = (handle, count - 1)
            return
        del _held[key]
        handle.close()  # closing the file drops the OS lock


def is_held_here(db_path: Path) -> bool:
    return db_path.resolve() in _held
