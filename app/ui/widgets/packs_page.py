"""Criteria packs: what is installed, the install history, and installing from a USB stick."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.core.domain.access import Actor, Permission, require
from app.core.domain.progress import CancelToken
from app.core.services import packs as service
from app.core.services.backup_steps import automatic_backup
from app.core.services.station_service import default_author
from app.core.services.storage import Database
from app.i18n import _
from app.ui.dialogs.pack_install_dialog import PackInstallDialog
from app.ui.models.pack_models import InstalledPackModel, PackHistoryModel
from app.ui.models.row_model import RowSortProxy
from app.ui.ops import Operation, run_in_background
from app.ui.widgets.common import choose_folder, table_view


class PacksPage(QWidget):
    packs_did_change = Signal()

    def __init__(
        self, db: Database, parent: QWidget | None = None, actor: Actor | None = None
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.actor = actor
        self.setObjectName("page_packs")
        self._operation: Operation[object] | None = None
        layout = QVBoxLayout(self)
        title = QLabel(_("Criteria packs"), self)
        title.setStyleSheet("font-size: 16pt; font-weight: 600;")
        layout.addWidget(title)
        self.warning = QLabel(self)
        self.warning.setObjectName("warning")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("background: #fde7e9; padding: 6px;")
        layout.addWidget(self.warning)
        bar = QHBoxLayout()
        self.install_button = QPushButton(_("Install from a USB stick or folder…"), self)
        from app.ui.permissions import restrict

        restrict(actor, Permission.IMPORT_PACKS, self.install_button)
        self.install_button.clicked.connect(lambda: self.choose_folder())
        bar.addWidget(self.install_button)
        bar.addStretch(1)
        layout.addLayout(bar)
        layout.addWidget(QLabel(_("Installed packs (the newest version of each is in use):"), self))
        self.installed_model = InstalledPackModel(datetime.now(UTC).date(), self)
        self.installed = table_view(
            self, RowSortProxy(self.installed_model, self), "installed", sortable=True
        )
        layout.addWidget(self.installed, 2)
        layout.addWidget(QLabel(_("Install history:"), self))
        self.history_model = PackHistoryModel(self)
        self.history = table_view(
            self, RowSortProxy(self.history_model, self), "history", sortable=True
        )
        layout.addWidget(self.history, 1)
        self.refresh()

    def refresh(self) -> None:
        now = datetime.now(UTC)
        self.installed_model.today = now.date()
        self.installed_model.set_rows(service.installed(self.db))
        self.history_model.set_rows(service.history(self.db))
        warnings = self._warnings(now)
        self.warning.setText("\n".join(warnings))
        self.warning.setVisible(bool(warnings))

    def _warnings(self, now: datetime) -> list[str]:
        warnings = []
        if service.trusts_development_root(self.db):
            warnings.append(
                _(
                    "This station trusts the DEVELOPMENT signing keys shipped for "
                    "demos. Packs for real use must come from a build with the "
                    "ministry's root of trust."
                )
            )
        if service.clock_is_behind(self.db, now):
            warnings.append(
                _(
                    "The computer's clock is behind a date this station has "
                    "already seen. Correct the clock; expiry checks use the later "
                    "date."
                )
            )
        return warnings

    def choose_folder(self, folder: Path | None = None) -> None:
        if folder is None:
            folder = choose_folder(
                self, _('Choose the folder of the pack repository (it contains "metadata")')
            )
            if folder is None:
                return
        db = self.db
        chosen = folder

        def work(
            _progress: Callable[[int, int, str], None], _token: CancelToken
        ) -> service.Inspection:
            return service.inspect(db, chosen, datetime.now(UTC))

        self._operation = run_in_background(
            work,
            parent=self,
            progress_label=_("Verifying the packs…"),
            on_done=lambda inspection: self._review(chosen, inspection),
        )

    def _review(self, folder: Path, inspection: service.Inspection) -> None:
        dialog = PackInstallDialog(inspection, self)
        if not dialog.exec():
            return
        db, actor = self.db, self.actor

        def work(
            _progress: Callable[[int, int, str], None], _token: CancelToken
        ) -> service.Inspection:
            author = actor.display_name if actor else default_author()
            if actor is not None:
                require(actor, Permission.IMPORT_PACKS)  # before the backup it would take
            return service.install(
                db,
                folder,
                datetime.now(UTC),
                author,
                actor=actor,
                before_write=lambda: automatic_backup(db.path, "before-import"),
            )

        self._operation = run_in_background(
            work,
            parent=self,
            progress_label=_("Installing…"),
            on_done=self._installed,
        )

    def _installed(self, _inspection: service.Inspection) -> None:
        self.refresh()
        self.packs_did_change.emit()
