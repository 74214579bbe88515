"""Backups for the user who is logged in: every verb checks that user's role, the same rules
the backup screen shows (any role takes a backup and copies one to a USB stick; only the
administrator restores one or brings one in from a stick), and records who acted: the sidecar
of a backup names who took or brought it, a USB copy who carried it, and a restore's audit
entry who restored. The GUI and the command line both go through here; the functions of
``app.core.services.backup_steps`` underneath check no role (in-process code: migrations,
imports, tests).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from app.core.domain.access import Actor, Permission, require
from app.core.domain.errors import UserFacingError
from app.core.services import backup_steps as backup
from app.core.services.station_service import acting
from app.db.backups import BackupInfo, ListedBackup
from app.i18n import _

Verified = Callable[[BackupInfo | Exception], None]


class BackupService:
    """``actor`` is the logged-in user; None stands for trusted in-process code (see
    ``app.core.services.station_service``)."""

    def __init__(self, db_path: Path, actor: Actor | None = None) -> None:
        self.db_path = db_path
        self.author, self.actor = acting(None, actor)
        self.username = self.actor.username

    def require(self, permission: Permission) -> None:
        """Refuse (PermissionDenied, in Vietnamese) unless the acting user's role allows it."""
        require(self.actor, permission)

    def _need_database(self) -> None:
        if not self.db_path.exists():
            raise UserFacingError(_("There is no database at {path}.").format(path=self.db_path))

    def create(self, *, on_verified: Verified | None = None) -> BackupInfo:
        """Take a backup now. Without ``on_verified`` it is verified before this returns; with
        it, this returns as soon as the copy is written and durable, and the verification runs
        in a background thread that calls ``on_verified`` (the verified info, or the error)."""
        self.require(Permission.CREATE_BACKUP)
        self._need_database()
        if on_verified is None:
            info = backup.create_backup(self.db_path, "manual", taken_by=self.author)
            backup.rotate(self.db_path)
            return info
        written = backup.write_backup(self.db_path, "manual", taken_by=self.author)
        backup.verify_in_background(written, self.db_path, on_verified)
        return written

    def restore(self, backup_path: Path, now: datetime | None = None) -> backup.RestoreResult:
        """Replace the (closed) database with a verified backup (administrator only)."""
        self.require(Permission.RESTORE_BACKUP)
        return backup.restore_backup(
            self.db_path, backup_path, self.author, now, username=self.username
        )

    def copy_to_usb(self, backup_path: Path, out_dir: Path, passphrase: str) -> Path:
        """An age-encrypted copy of a verified backup in ``out_dir``."""
        self.require(Permission.CREATE_BACKUP)
        return backup.export_encrypted(backup_path, out_dir, passphrase, carried_by=self.author)

    def bring_from_usb(self, source: Path, passphrase: str) -> BackupInfo:
        """Decrypt a USB copy into the backups folder, verified, ready to restore
        (administrator only: it is the first step of a restore)."""
        self.require(Permission.RESTORE_BACKUP)
        return backup.import_encrypted(source, self.db_path, passphrase, taken_by=self.author)

    def verify(self, backup_path: Path) -> BackupInfo:
        self.require(Permission.VIEW)
        return backup.verify_backup(backup_path)

    def list(self) -> list[ListedBackup]:
        self.require(Permission.VIEW)
        return backup.list_backups(self.db_path)
