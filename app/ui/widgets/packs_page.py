"""Criteria packs: what is installed, the install history, and installing from a USB stick."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.backup import automatic_backup
from app.core.formatting import format_date
from app.core.packs import service
from app.core.progress import CancelToken
from app.core.station_service import default_author
from app.db.engine import Database
from app.i18n import _
from app.security.accounts import Actor, Permission, require
from app.ui.dialogs.pack_install_dialog import PackInstallDialog
from app.ui.errors import present_error
from app.ui.ops import Operation, run_in_background


def _table(parent: QWidget, headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(text))


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
        self.installed = _table(
            self, [_("Pack"), _("Version"), _("Title"), _("Status"), _("Installed on"), _("Source")]
        )
        self.installed.setObjectName("installed")
        layout.addWidget(self.installed, 2)
        layout.addWidget(QLabel(_("Install history:"), self))
        self.history = _table(
            self,
            [
                _("Time"),
                _("Trusted time"),
                _("Pack"),
                _("Version"),
                _("Action"),
                _("Summary"),
                _("By"),
            ],
        )
        self.history.setObjectName("history")
        layout.addWidget(self.history, 1)
        self.refresh()

    def refresh(self) -> None:
        now = datetime.now(UTC)
        today = now.date()
        rows = []
        for info in service.installed(self.db):
            status = []
            if info.draft:
                status.append(_("draft"))
            if info.expired(today):
                status.append(_("expired on {date}").format(date=format_date(info.expires)))
            elif info.expires:
                status.append(_("valid until {date}").format(date=format_date(info.expires)))
            rows.append(
                [
                    info.pack_id,
                    str(info.version),
                    info.title,
                    ", ".join(status),
                    format_date(info.installed_at),
                    _source(info.source),
                ]
            )
        _fill(self.installed, rows)
        _fill(self.history, [_history_row(event) for event in service.history(self.db)])
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
            name = QFileDialog.getExistingDirectory(
                self, _('Choose the folder of the pack repository (it contains "metadata")')
            )
            if not name:
                return
            folder = Path(name)
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
            on_error=lambda error: present_error(self, error),
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
            on_error=lambda error: present_error(self, error),
        )

    def _installed(self, _inspection: service.Inspection) -> None:
        self.refresh()
        self.packs_did_change.emit()


def _history_row(event: service.PackEventInfo) -> list[str]:
    """One install: the PC clock's time and the trusted time expiry was checked against."""
    actions = {"install": _("installed"), "upgrade": _("upgraded")}
    counts = event.summary
    summary = _("criteria +{ca} ~{cc} −{cr}; indicators +{ia} ~{ic} −{ir}").format(
        ca=counts.get("criteria_added", 0),
        cc=counts.get("criteria_changed", 0),
        cr=counts.get("criteria_removed", 0),
        ia=counts.get("indicators_added", 0),
        ic=counts.get("indicators_changed", 0),
        ir=counts.get("indicators_removed", 0),
    )
    trusted = event.trusted_at
    return [
        event.at.astimezone().strftime("%d/%m/%Y %H:%M"),
        "" if trusted is None else trusted.astimezone().strftime("%d/%m/%Y %H:%M"),
        event.pack_id,
        str(event.version),
        actions.get(event.action, event.action),
        summary,
        event.by,
    ]


def _source(source: str) -> str:
    return _("shipped with the app") if source == service.BUNDLED_REPOSITORY else source
