"""Backups: take one now, check one, restore one, carry one encrypted on a USB stick."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.domain.access import Actor, Permission
from app.core.domain.errors import UserFacingError
from app.core.domain.progress import CancelToken
from app.core.services import backup_steps as backup
from app.core.services.backups import BackupService
from app.i18n import _
from app.ui.errors import confirm, inform, present_error
from app.ui.models.backup_model import BackupTableModel
from app.ui.models.backup_model import when_text as _when
from app.ui.models.row_model import RowSortProxy
from app.ui.ops import Operation, run_in_background
from app.ui.widgets.common import choose_folder, open_file, table_view
from app.ui.widgets.sync_page import ask_passphrase, title_label


class BackupPage(QWidget):
    """The backups kept beside the database; restoring asks the window to reopen the data."""

    restore_requested = Signal(object)  # Path of a verified backup
    backup_did_verify = Signal(object)  # BackupInfo or the error, from the verifying thread

    def __init__(
        self, db_path: Path, parent: QWidget | None = None, actor: Actor | None = None
    ) -> None:
        super().__init__(parent)
        self.db_path = db_path
        self.actor = actor
        self.service = BackupService(db_path, actor)
        self.setObjectName("page_backup")
        self.backup_did_verify.connect(self._verified)
        self._operation: Operation[object] | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(title_label(_("Backup and restore"), self))
        self.status = QLabel(self)
        self.status.setObjectName("backup_status")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        bar = QHBoxLayout()
        self.create_button = QPushButton(_("Back up now"), self)
        self.create_button.clicked.connect(lambda: self.back_up_now())
        self.verify_button = QPushButton(_("Check the selected backup"), self)
        self.verify_button.clicked.connect(lambda: self.verify())
        self.restore_button = QPushButton(_("Restore the selected backup…"), self)
        self.restore_button.clicked.connect(lambda: self.restore())
        self.usb_out_button = QPushButton(_("Copy to USB (encrypted)…"), self)
        self.usb_out_button.clicked.connect(lambda: self.copy_to_usb())
        self.usb_in_button = QPushButton(_("Bring a backup from USB…"), self)
        self.usb_in_button.clicked.connect(lambda: self.bring_from_usb())
        for button in (
            self.create_button,
            self.verify_button,
            self.restore_button,
            self.usb_out_button,
            self.usb_in_button,
        ):
            bar.addWidget(button)
        bar.addStretch(1)
        layout.addLayout(bar)
        if not self._may_restore():
            for button in (self.restore_button, self.usb_in_button):
                button.setEnabled(False)
                button.setToolTip(_("Only the administrator restores backups."))
        self.model = BackupTableModel(self)
        self.proxy = RowSortProxy(self.model, self)
        self.table = table_view(self, self.proxy, "backup_table", sortable=True)
        layout.addWidget(self.table, 1)
        note = QLabel(
            _(
                "A backup is taken automatically every day, before every import and before "
                "every upgrade; each one is checked before it is kept. Restoring keeps the "
                "current data as a backup first, and gives the station a new sync identity so "
                "no bundle number is ever used twice."
            ),
            self,
        )
        note.setWordWrap(True)
        note.setStyleSheet("color: #555;")
        layout.addWidget(note)
        self.backups: list[backup.ListedBackup] = []
        self.refresh()

    def refresh(self) -> None:
        self.backups = backup.list_backups(self.db_path)
        self.model.set_rows(self.backups)
        if self.backups:
            self.table.selectRow(0)
            self.status.setText(
                _("{n} backups kept in {folder}. The newest was taken {when}.").format(
                    n=len(self.backups),
                    folder=self.backups[0].path.parent,
                    when=_when(self.backups[0].created_at),
                )
            )
        else:
            self.status.setText(_("There is no backup yet. Take one now."))
        for button in (self.verify_button, self.restore_button, self.usb_out_button):
            button.setEnabled(bool(self.backups))
        if not self._may_restore():
            self.restore_button.setEnabled(False)

    def _may_restore(self) -> bool:
        return self.actor is None or self.actor.can(Permission.RESTORE_BACKUP)

    def selected(self) -> Path | None:
        row = self.proxy.source_row(self.table.currentIndex().row())
        listed = self.model.row_at(row)
        return listed.path if listed is not None else None

    def _run(self, work: Callable[[], Any], label: str, done: Callable[[Any], None]) -> None:
        def job(_progress: Callable[[int, int, str], None], _token: CancelToken) -> Any:
            return work()

        def failed(error: BaseException) -> None:
            self.refresh()
            present_error(self, error)

        self._operation = run_in_background(
            job, parent=self, progress_label=label, on_done=done, on_error=failed
        )

    def back_up_now(self) -> None:
        """The officer waits for the copy to be written and durable; it is then checked in the
        background, listed as "being checked" until it is verified."""

        def work() -> backup.BackupInfo:
            return self.service.create(on_verified=self.backup_did_verify.emit)

        def done(info: backup.BackupInfo) -> None:
            self.refresh()
            self.status.setText(
                _("Backup written: {name}. It is being checked; the list shows when it is.").format(
                    name=info.path.name
                )
            )

        self._run(work, _("Backing up…"), done)

    def _verified(self, outcome: object) -> None:
        self.refresh()
        if isinstance(outcome, Exception):
            present_error(self, outcome)
        elif isinstance(outcome, backup.BackupInfo):
            inform(
                self,
                _("Backup and restore"),
                _("Backup taken and checked."),
                _("File: {path}").format(path=outcome.path),
            )

    def verify(self, path: Path | None = None) -> None:
        chosen = path or self.selected()
        if chosen is None:
            return

        def done(info: backup.BackupInfo) -> None:
            inform(
                self,
                _("Backup and restore"),
                _("The backup is intact and can be restored."),
                _("Taken {when}; SHA-256 {sha}.").format(
                    when=_when(info.created_at), sha=info.sha256[:16]
                ),
            )

        self._run(lambda: self.service.verify(chosen), _("Checking the backup…"), done)

    def restore(self, path: Path | None = None, *, ask: bool = True) -> None:
        chosen = path or self.selected()
        if chosen is None:
            return
        try:
            self.service.require(Permission.RESTORE_BACKUP)
        except UserFacingError as error:  # refused at once, before the backup is read
            present_error(self, error)
            return

        def verified(info: backup.BackupInfo) -> None:
            if ask and not confirm(
                self,
                _("Restore this backup?"),
                _(
                    "The data will go back to how it was on {when}. Everything entered since "
                    "then is kept only in a safety backup taken now. ModelWard reopens the data "
                    "afterwards."
                ).format(when=_when(info.created_at)),
                _("Restore"),
            ):
                return
            self.restore_requested.emit(chosen)

        # a large backup takes seconds to hash: checked off the GUI thread
        self._run(lambda: self.service.verify(chosen), _("Checking the backup…"), verified)

    def copy_to_usb(self, folder: Path | None = None, passphrase: str | None = None) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        if folder is None:
            folder = choose_folder(self, _("Choose the USB stick or folder"))
            if folder is None:
                return
        if passphrase is None:
            passphrase = ask_passphrase(self, create=True)
            if passphrase is None:
                return
        target_folder, secret = folder, passphrase

        def done(written: Path) -> None:
            inform(
                self,
                _("Backup and restore"),
                _("The encrypted backup was written to {path}.").format(path=written),
                _("Keep the passphrase apart from the stick: without it the copy cannot be read."),
            )

        self._run(
            lambda: self.service.copy_to_usb(chosen, target_folder, secret),
            _("Writing to the drive…"),
            done,
        )

    def bring_from_usb(self, path: Path | None = None, passphrase: str | None = None) -> None:
        if path is None:
            path = open_file(
                self, _("Bring a backup from USB…"), _("Encrypted backup (*.mwbackup.age)")
            )
            if path is None:
                return
        if passphrase is None:
            passphrase = ask_passphrase(self)
            if passphrase is None:
                return
        source, secret = path, passphrase

        def done(_info: backup.BackupInfo) -> None:
            self.refresh()
            inform(
                self,
                _("Backup and restore"),
                _("The backup was brought in and checked; choose it in the list to restore it."),
            )

        self._run(
            lambda: self.service.bring_from_usb(source, secret),
            _("Checking the backup…"),
            done,
        )
