"""Backups (issue 7): a verified backup of a 1,000,000-record ward against SQLite's own shell
running ``.backup`` on the same file, in the same process run.

The app's backup does more than the shell: it fsyncs the copy and its folder, reads the copy's
schema and sync marks, writes the sidecar, then runs ``quick_check`` on the copy and hashes it.
The officer waits only for the first part (``write_backup``: the copy written and durable,
listed as "being checked"); the check and the hash run after it in the background
(``finish_verification``). Reported: the officer's wait (the target's measure, <= 1.2x the
shell), the verification alone, the whole verified backup taken in one thread, and the backup
API's copy step alone.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from bench.sync import BIG_ROWS, _best_ms, _big_ward


def backups(workdir: Path) -> dict[str, float]:
    from app.core.services import backup_steps as backup

    folder = workdir / "backup-bench"
    folder.mkdir()
    path = folder / "ward.sqlite"
    _big_ward(path, BIG_ROWS)
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size_mib = path.stat().st_size / (1 << 20)
    shell = shutil.which("sqlite3")
    if shell is None:
        raise RuntimeError("SQLite's shell (Debian package sqlite3) is needed: make sysdeps")
    target = folder / "shell-copy.sqlite"

    def with_shell() -> None:
        target.unlink(missing_ok=True)
        subprocess.run([shell, str(path), f".backup '{target}'"], check=True)

    copies = folder / "copies"
    written: list[backup.BackupInfo] = []

    def clear() -> None:
        shutil.rmtree(copies, ignore_errors=True)
        written.clear()

    def officer_waits() -> None:
        written.append(backup.write_backup(path, "bench", folder=copies))

    def clear_then_wait() -> None:
        clear()
        officer_waits()

    def verify() -> None:
        if not backup.finish_verification(written[-1]).verified:
            raise RuntimeError("the bench backup did not verify")

    def with_app() -> None:
        clear()
        backup.create_backup(path, "bench", folder=copies)

    api_target = folder / "api-copy.sqlite"

    def copy_only() -> None:
        api_target.unlink(missing_ok=True)
        with (
            sqlite3.connect(f"file:{path}?mode=ro", uri=True) as src,
            sqlite3.connect(api_target) as dst,
        ):
            src.backup(dst)

    with_shell()  # warm the file cache for both sides alike
    shell_ms = _best_ms(with_shell)
    wait_ms = _best_ms(officer_waits, clear)
    verify_ms = _best_ms(verify, clear_then_wait)
    app_ms = _best_ms(with_app)
    copy_ms = _best_ms(copy_only)
    return {
        "records": float(BIG_ROWS),
        "database_mib": size_mib,
        "sqlite_shell_backup_ms": shell_ms,
        "app_officer_wait_ms": wait_ms,
        "app_background_verification_ms": verify_ms,
        "app_verified_backup_ms": app_ms,
        "app_copy_step_ms": copy_ms,
        "backup_ratio": wait_ms / shell_ms,
        "verified_in_one_thread_ratio": app_ms / shell_ms,
        "copy_step_ratio": copy_ms / shell_ms,
    }
