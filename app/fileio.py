"""Durable file output: every file the app writes goes through ``atomic_write``, and every
fsync of a file, an open handle or a folder through the helpers here (the database, its
backups and the files beside them alike)."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from app.core.domain.errors import EnvironmentProblem
from app.i18n import _


def fsync_handle(fd: int) -> None:
    """Flush an open file descriptor's data to the drive."""
    os.fsync(fd)


def fsync_file(path: Path) -> None:
    """Flush the file at ``path`` to the drive."""
    fd = os.open(path, os.O_RDONLY)
    try:
        fsync_handle(fd)
    finally:
        os.close(fd)


def fsync_folder(folder: Path) -> None:
    """Make a rename or a new file in ``folder`` durable (POSIX; Windows has no folder fsync)."""
    if os.name != "posix":
        return
    fsync_file(folder)


def atomic_write(path: Path, write: Callable[[BinaryIO], object], *, verify: bool = True) -> None:
    """Write through a temp file in the same folder, fsync, rename over ``path``.

    With ``verify`` the finished file is read back and compared with what was written, which
    catches USB sticks that acknowledge writes they did not keep. On any error the temp file
    is removed and ``path`` is untouched.
    """
    folder = path.parent
    try:
        handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as error:
        raise _problem(path, error) from error
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "w+b") as stream:
            write(stream)
            stream.flush()
            fsync_handle(stream.fileno())
            stream.seek(0)
            written = stream.read() if verify else b""
        os.replace(temp, path)
        fsync_folder(folder)
        if verify and path.read_bytes() != written:
            raise EnvironmentProblem(
                _("The file {name} was not stored correctly on the drive.").format(name=path.name),
                hint=_("Try another USB stick or folder."),
            )
    except OSError as error:
        raise _problem(path, error) from error
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def atomic_write_bytes(path: Path, data: bytes, *, verify: bool = True) -> None:
    atomic_write(path, lambda stream: stream.write(data), verify=verify)


def _problem(path: Path, error: OSError) -> EnvironmentProblem:
    if error.errno == errno.ENOSPC:
        return EnvironmentProblem(
            _("There is no space left to write {name}.").format(name=path.name),
            hint=_("Free some space or choose another drive."),
        )
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return EnvironmentProblem(
            _("No permission to write to {folder}.").format(folder=path.parent),
            hint=_("Choose another folder, or check that the USB stick is not write-protected."),
        )
    return EnvironmentProblem(
        _("Could not write {name}: {reason}.").format(name=path.name, reason=error.strerror),
        hint=_("Check that the drive is still connected, then try again."),
    )
