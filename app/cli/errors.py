"""What the command line prints when a command fails: one Vietnamese line (and a hint) for the
officer, the details in the log file, never a traceback; the exit status says which kind."""

from __future__ import annotations

import errno
import logging
import sys

from app.core.domain.errors import Cancelled, EnvironmentProblem, UserFacingError, ValidationError
from app.i18n import N_, _

log = logging.getLogger(__name__)

USAGE = 2  # a wrong argument or a refusal: nothing was changed
FAILED = 1  # a bug: the details are in the log
INTERRUPTED = 130

_OS_REASONS = {
    errno.ENOENT: N_("it does not exist"),
    errno.EACCES: N_("this account has no permission for it"),
    errno.EPERM: N_("this account has no permission for it"),
    errno.ENOSPC: N_("the disk is full"),
    errno.EISDIR: N_("it is a folder, not a file"),
    errno.ENOTDIR: N_("a part of the path is not a folder"),
    errno.EROFS: N_("the drive is read-only"),
    errno.EEXIST: N_("it already exists"),
    errno.EIO: N_("the drive could not be read or written (removed, or damaged)"),
    errno.ENAMETOOLONG: N_("the name is too long"),
}


def _say(message: str, hint: str | None = None) -> None:
    print(_("Error: {message}").format(message=message), file=sys.stderr)
    if hint:
        print(hint, file=sys.stderr)


def os_error_message(error: OSError) -> str:
    reason = _OS_REASONS.get(error.errno or 0)
    where = error.filename if error.filename is not None else "?"
    if reason is None:
        return _("The file {path} could not be used (system error {code}).").format(
            path=where, code=error.errno
        )
    return _("The file {path} could not be used: {reason}.").format(path=where, reason=_(reason))


def report(error: BaseException) -> int:
    """Print ``error`` for the officer and return the exit status."""
    if isinstance(error, Cancelled):
        return FAILED
    if isinstance(error, ValidationError):
        for message in error.field_errors.values():
            _say(message)
        return USAGE
    if isinstance(error, UserFacingError | EnvironmentProblem):
        _say(str(error))  # the message and its hint, on one line
        return USAGE
    if isinstance(error, KeyboardInterrupt):
        print(_("Stopped."), file=sys.stderr)
        return INTERRUPTED
    if isinstance(error, OSError):
        log.warning("command failed on a file", exc_info=error)
        _say(os_error_message(error), _("Check the path and the drive, then try again."))
        return USAGE
    log.error("unexpected error in a command", exc_info=error)
    from app.paths import log_dir

    _say(
        _("Something unexpected went wrong; the command stopped."),
        _("The details are in the log folder {folder}; send it to technical support.").format(
            folder=log_dir()
        ),
    )
    return FAILED
