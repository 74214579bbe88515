"""Finishing a backup's verification (``quick_check`` of every page, then the SHA-256 recorded
in its sidecar), at once or in a background thread so the officer is released as soon as the
copy is written and durable.

Until it is verified a copy is listed as ``pending``: it is not counted in rotation (so no older
verified backup is deleted for it), and a restore from it runs the full check first anyway
(``verify_backup``). A copy that fails is marked ``failed`` and removed at the next rotation;
the older verified backups stay. The threads are not daemons, so a command-line run waits for
them before it exits; a copy left pending by a killed process is verified by
:func:`verify_pending` (at the app's daily check).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from app.core.domain.errors import EnvironmentProblem, UserFacingError
from app.db.backups import (
    FAILED,
    PENDING,
    VERIFIED,
    BackupInfo,
    check_database,
    list_backups,
    os_problem,
    rotate,
    sha256_of,
    update_sidecar,
)
from app.db.cipher import REGISTERED, KeyArg, key_for_file

log = logging.getLogger(__name__)
Outcome = BackupInfo | Exception
BACKGROUND_NICE = 10

_running: dict[Path, threading.Thread] = {}
_guard = threading.Lock()


def finish_verification(info: BackupInfo, key: KeyArg = REGISTERED) -> BackupInfo:
    """Check a written copy and record its hash; its sidecar then says ``verified``. On a
    damaged copy the sidecar says ``failed`` and the clear error is raised; a problem of the
    computer (the key forgotten at logout, a read error) leaves it ``pending``, to be checked
    again by :func:`verify_pending`."""
    try:
        schema, instance, mark = check_database(info.path, full=False, key=key)
        digest = sha256_of(info.path)
    except OSError as error:
        raise os_problem(error, info.path.parent) from error
    except UserFacingError:  # not_a_backup: the copy itself is wrong
        update_sidecar(info.path, state=FAILED)
        raise
    update_sidecar(info.path, sha256=digest, state=VERIFIED)
    return replace(
        info,
        sha256=digest,
        schema=schema,
        instance_id=instance,
        high_water=mark,
        state=VERIFIED,
    )


def verify_in_background(
    info: BackupInfo, db_path: Path, on_done: Callable[[Outcome], None] | None = None
) -> threading.Thread:
    """Verify ``info`` in a thread, then rotate; ``on_done`` gets the verified info or the
    error (in that thread). The key is taken now, while the user who took it is logged in."""
    key = key_for_file(info.path)

    def run() -> None:
        _lower_priority()
        outcome: Outcome
        try:
            outcome = finish_verification(info, key)
            rotate(db_path)
        except Exception as error:  # logged and reported; the sidecar says failed
            log.error("backup %s failed its verification: %s", info.path.name, error)
            outcome = error
        finally:
            with _guard:
                _running.pop(info.path, None)
        if on_done is not None:
            on_done(outcome)

    thread = threading.Thread(target=run, name=f"verify-{info.path.name}")
    with _guard:
        _running[info.path] = thread
    thread.start()
    return thread


def _lower_priority() -> None:
    """Let the work the officer waits for (an import, the screen) go first: on Linux a
    thread has its own nice value."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)


def is_being_verified(path: Path) -> bool:
    with _guard:
        return path in _running


def wait_for_verifications(timeout: float | None = None) -> None:
    """Wait for this process's background verifications (before a restore replaces the
    database, before backups are encrypted in place, in tests)."""
    with _guard:
        threads = list(_running.values())
    for thread in threads:
        if thread is not threading.current_thread():
            thread.join(timeout)


def verify_pending(db_path: Path) -> int:
    """Verify the copies a killed process left ``pending``; return how many now verified."""
    done = 0
    for listed in list_backups(db_path):
        if listed.state != PENDING or is_being_verified(listed.path):
            continue
        pending = BackupInfo(
            listed.path, listed.reason, listed.created_at, listed.size, "", "", "", state=PENDING
        )
        with contextlib.suppress(UserFacingError, EnvironmentProblem):
            finish_verification(pending)
            done += 1
    if done:
        rotate(db_path)
    return done
