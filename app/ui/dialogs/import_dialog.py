"""Spreadsheet import: read and classify the file off the GUI thread, show every row as new,
duplicate or invalid with its reason, and import only the rows the officer leaves ticked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.domain.progress import CancelToken
from app.core.domain.records import Change, RecordKind
from app.core.services.records import RecordService
from app.core.services.spreadsheet import ImportPreview, RowStatus, rows_to_import
from app.i18n import _
from app.ui.errors import present_error
from app.ui.models.import_preview_model import ImportPreviewModel
from app.ui.ops import GuardedDialog, Operation, run_in_background


class ImportDialog(GuardedDialog):
    def __init__(
        self, service: RecordService, kind: RecordKind, path: Path, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.kind = kind
        self.path = path
        self.change: Change | None = None
        self.preview: ImportPreview | None = None
        self.model: ImportPreviewModel | None = None
        self.setObjectName("import_dialog")
        self.setWindowTitle(
            _("Import {kind} from {name}").format(kind=_(kind.title), name=path.name)
        )
        self.resize(980, 560)

        layout = QVBoxLayout(self)
        self.summary = QLabel(_("Reading {name}…").format(name=path.name), self)
        self.summary.setObjectName("summary")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.table = QTableView(self)
        self.table.setObjectName("preview_table")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(False)
        self.table.verticalHeader().hide()
        layout.addWidget(self.table, 1)

        buttons = QDialogButtonBox(self)
        self.import_button: QPushButton = buttons.addButton(
            _("Import"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.import_button.setEnabled(False)
        # Enter must not import by accident while the officer reviews the rows.
        self.import_button.setAutoDefault(False)
        buttons.addButton(_("Cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.do_import)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._operation = self._start_preview()

    def _start_preview(self) -> Operation[ImportPreview]:
        service, kind, path = self.service, self.kind, self.path

        def work(_progress: Callable[[int, int, str], None], _token: CancelToken) -> ImportPreview:
            return service.preview_import(kind.code, path)

        return run_in_background(
            work, parent=self, on_done=self._show_preview, on_error=self._preview_failed
        )

    def _preview_failed(self, error: BaseException) -> None:
        self.summary.setText(_("The file could not be imported. Nothing was changed."))
        present_error(self, error)

    def _show_preview(self, result: ImportPreview) -> None:
        self.preview = result
        self.model = ImportPreviewModel(self.kind, result, self)
        self.table.setModel(self.model)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(0, 70)
        self.table.setColumnWidth(1, 110)
        self.table.setColumnWidth(2, 320)
        header.setStretchLastSection(True)
        self.model.dataChanged.connect(lambda *_args: self._update_summary())
        self._update_summary()

    def _update_summary(self) -> None:
        assert self.preview is not None and self.model is not None
        chosen = len(self.model.chosen)
        text = _(
            "{new} new, {dup} duplicate and {bad} invalid rows. "
            "{chosen} row(s) ticked for import; invalid rows cannot be imported."
        ).format(
            new=self.preview.count(RowStatus.NEW),
            dup=self.preview.count(RowStatus.DUPLICATE),
            bad=self.preview.count(RowStatus.INVALID),
            chosen=chosen,
        )
        if self.preview.ignored_headers:
            text += " " + _("Columns not used: {columns}.").format(
                columns=", ".join(self.preview.ignored_headers)
            )
        self.summary.setText(text)
        self.import_button.setEnabled(chosen > 0)
        self.import_button.setText(_("Import {count} row(s)").format(count=chosen))

    def do_import(self, confirm_locked: bool = False) -> None:
        if self.preview is None or self.model is None:
            return
        rows = rows_to_import(self.preview.rows, set(self.model.chosen))
        service, kind = self.service, self.kind
        self.import_button.setEnabled(False)

        def work(_progress: Callable[[int, int, str], None], _token: CancelToken) -> Change:
            return service.import_rows(kind.code, rows, confirm_locked=confirm_locked)

        self._operation = run_in_background(
            work,
            parent=self,
            progress_label=_("Importing…"),
            on_done=self._imported,
            on_error=self._import_failed,
        )

    def _imported(self, change: Change) -> None:
        self.change = change
        self.accept()

    def _import_failed(self, error: BaseException) -> None:
        from app.core.services.locked_months import LockedMonthError
        from app.ui.dialogs.record_dialog import ask_locked_override

        self.import_button.setEnabled(True)
        if isinstance(error, LockedMonthError) and error.needs_confirmation:
            if ask_locked_override(self, error):  # the chief, rows dated in a locked month
                self.do_import(confirm_locked=True)
            return
        present_error(self, error)

    def _import_cancelled(self) -> None:
        self.import_button.setEnabled(True)
        self.summary.setText(_("Import cancelled: no row was saved."))
