"""One screen per record kind: search, sortable lazy table, add/edit/delete, import, export."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.core.domain.formatting import format_value
from app.core.domain.progress import CancelToken
from app.core.domain.records import Change, FieldType, RecordKind, RecordRow
from app.core.domain.text import fold
from app.core.services.records import RecordService
from app.core.services.spreadsheet import export_stamp, export_xlsx
from app.i18n import _, ngettext
from app.ui.dialogs.import_dialog import ImportDialog
from app.ui.dialogs.record_dialog import RecordDialog, with_lock_override
from app.ui.errors import confirm, inform
from app.ui.models.record_table_model import RecordTableModel
from app.ui.ops import run_in_background
from app.ui.undo import CreateCommand, DeleteCommand, UpdateCommand
from app.ui.widgets.common import error_presenter, errors_shown, open_file, save_file

SEARCH_DELAY_MS = 250


class RecordPage(QWidget):
    """The table screen of one record kind."""

    record_did_change = Signal(object)

    def __init__(
        self,
        service: RecordService,
        kind: RecordKind,
        undo_stack: QUndoStack,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.kind = kind
        self.undo_stack = undo_stack
        self.setObjectName(f"page_{kind.code}")
        self.model = RecordTableModel(service, kind, self)
        self._build()
        self._update_count()

    # --- layout ----------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        title = QLabel(_(self.kind.title), self)
        title.setObjectName("page_title")
        title.setStyleSheet("font-size: 16pt; font-weight: 600;")
        layout.addWidget(title)

        self.toolbar = QToolBar(self)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.add_action = self._action(_("Add"), self.add_record, QKeySequence.StandardKey.New)
        self.edit_action = self._action(_("Edit"), self.edit_selected, "F2")
        self.delete_action = self._action(
            _("Delete"), self.delete_selected, QKeySequence.StandardKey.Delete
        )
        self.toolbar.addSeparator()
        self.import_action = self._action(_("Import from Excel/CSV…"), self.import_file)
        self.export_action = self._action(_("Export to Excel…"), self.export_file)

        self.search = QLineEdit(self)
        self.search.setObjectName("search")
        self.search.setPlaceholderText(_("Search (tone marks optional)…"))
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(360)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_search)
        self.search.textChanged.connect(lambda _text: self._search_timer.start())

        top = QHBoxLayout()
        top.addWidget(self.toolbar, 1)
        top.addWidget(self.search)
        layout.addLayout(top)

        self.table = QTableView(self)
        self.table.setObjectName("table")
        self.table.setModel(self.model)
        self._show_default_sort()
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setDefaultSectionSize(26)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setSortIndicatorShown(True)
        self.table.doubleClicked.connect(lambda _index: self.edit_selected())
        layout.addWidget(self.table, 1)
        self._size_columns()

        self.count_label = QLabel(self)
        self.count_label.setObjectName("count")
        layout.addWidget(self.count_label)
        self.table.selectionModel().selectionChanged.connect(self._update_actions)
        self.model.modelReset.connect(self._update_actions)
        self._update_actions()

    def _show_default_sort(self) -> None:
        names = [spec.name for spec in self.model.fields]
        column = names.index(self.kind.default_sort) if self.kind.default_sort in names else 0
        order = (
            Qt.SortOrder.DescendingOrder
            if self.kind.default_descending
            else Qt.SortOrder.AscendingOrder
        )
        self.table.horizontalHeader().setSortIndicator(column, order)

    def _action(
        self,
        text: str,
        slot: Callable[[], None],
        shortcut: QKeySequence.StandardKey | str | None = None,
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            native = QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)
            action.setToolTip(f"{text} ({native})")
        # triggered(bool) would pass ``checked`` as the slot's first optional argument (an
        # import or export path): the slot is called with no argument at all
        action.triggered.connect(lambda _checked=False: slot())
        self.toolbar.addAction(action)
        self.addAction(action)
        return action

    def _size_columns(self) -> None:
        metrics = self.table.fontMetrics()
        samples = {
            FieldType.DATE: "00/00/0000",
            FieldType.INT: "100.000",
            FieldType.FLOAT: "000,000000",
        }
        for column, spec in enumerate(self.model.fields):
            sample = samples.get(spec.type, "")
            width = (
                max(metrics.horizontalAdvance(_(spec.label)), metrics.horizontalAdvance(sample))
                + 40
            )
            if spec.collated or spec.choices:
                width = max(width, 200)
            self.table.setColumnWidth(column, min(width, 320))

    # --- state -----------------------------------------------------------------------------

    def selected_row(self) -> RecordRow | None:
        indexes = self.table.selectionModel().selectedRows()
        if not indexes:
            return None
        return self.model.record_at(indexes[0].row())

    def _update_actions(self) -> None:
        has_selection = self.selected_row() is not None
        self.edit_action.setEnabled(has_selection)
        self.delete_action.setEnabled(has_selection)
        from app.core.domain.access import Permission
        from app.ui.permissions import restrict

        restrict(
            self.service.actor,
            Permission.EDIT_RECORDS,
            self.add_action,
            self.edit_action,
            self.delete_action,
            self.import_action,
        )

    def _update_count(self) -> None:
        shown = self.model.rowCount()
        self.count_label.setText(
            ngettext("{count} record", "{count} records", shown).format(count=shown)
        )

    def apply_search(self) -> None:
        self.model.set_search(self.search.text())
        self._update_count()

    def refresh(self, change: Change) -> None:
        self.model.apply_change(change)
        self._update_count()
        self.record_did_change.emit(change)

    def select_record(self, record_id: int) -> None:
        row = self.model.row_of(record_id)
        if row >= 0:
            self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, 0))

    # --- actions ---------------------------------------------------------------------------

    def add_record(self) -> None:
        dialog = RecordDialog(
            self.kind, lambda v, **how: self.service.create(self.kind.code, v, **how), parent=self
        )
        if dialog.exec() and dialog.change is not None:
            change = dialog.change
            self.undo_stack.push(
                CreateCommand(self.service, self.kind, change.created[0], self.refresh)
            )
            self.refresh(change)
            self.select_record(change.created[0])

    def edit_selected(self) -> None:
        record = self.selected_row()
        if record is None:
            return
        dialog = RecordDialog(
            self.kind,
            lambda v, **how: self.service.update(self.kind.code, record.id, v, **how),
            values=record.values,
            parent=self,
        )
        if dialog.exec() and dialog.change is not None and dialog.change.updated:
            after = self.service.get(self.kind.code, record.id).values
            self.undo_stack.push(
                UpdateCommand(
                    self.service, self.kind, record.id, self.refresh, record.values, after
                )
            )
            self.refresh(dialog.change)
            self.select_record(record.id)

    def delete_selected(self) -> None:
        record = self.selected_row()
        if record is None:
            return
        first = self.kind.fields[0]
        label = format_value(first, record.values.get(first.name))
        if not confirm(
            self,
            _("Delete record"),
            _("Delete this {kind}: “{label}”?").format(kind=_(self.kind.singular), label=label),
            yes=_("Delete"),
            detail=_("You can undo this with Edit → Undo (Ctrl+Z)."),
        ):
            return
        with errors_shown(self) as attempt:
            change = with_lock_override(
                self, lambda **how: self.service.delete(self.kind.code, record.id, **how)
            )
        if attempt.failed or change is None:  # or the chief chose not to change a locked month
            return
        self.undo_stack.push(DeleteCommand(self.service, self.kind, record.id, self.refresh))
        self.refresh(change)

    def import_file(self, path: Path | None = None) -> None:
        if path is None:
            path = open_file(
                self, _("Choose an Excel or CSV file"), _("Spreadsheets (*.xlsx *.csv)")
            )
            if path is None:
                return
        dialog = ImportDialog(self.service, self.kind, path, parent=self)
        if dialog.exec() and dialog.change is not None:
            self.refresh(dialog.change)

    def export_file(self, path: Path | None = None) -> None:
        if path is None:
            stem = "-".join(fold(_(self.kind.title)).replace(",", " ").split())
            suggested = f"{stem}-{export_stamp(datetime.now(UTC).astimezone())}.xlsx"
            path = save_file(self, _("Export to Excel"), suggested, _("Excel workbook (*.xlsx)"))
            if path is None:
                return
        target = path if path.suffix.lower() == ".xlsx" else path.with_suffix(".xlsx")
        kind, query = self.kind, self.model.query
        service = self.service

        def work(progress: Callable[[int, int, str], None], token: CancelToken) -> int:
            rows = service.fetch(kind.code, service.list_ids(kind.code, query))
            export_xlsx(kind.code, rows, target, _(kind.title), progress, token)
            return len(rows)

        self._export_op = run_in_background(
            work,
            parent=self,
            progress_label=_("Exporting…"),
            on_done=lambda count: inform(
                self,
                _("Export finished"),
                _("Exported {count} rows to {path}.").format(count=count, path=target),
            ),
            on_error=error_presenter(self),
            on_cancelled=lambda: None,
        )
