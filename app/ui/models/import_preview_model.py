"""The rows of a spreadsheet import preview, each checkable unless it is invalid."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from app.core.domain.formatting import format_value
from app.core.domain.records import RecordKind
from app.core.services.spreadsheet import STATUS_LABELS, ImportPreview, PreviewRow, RowStatus
from app.i18n import N_, _
from app.ui.models.record_table_model import ROW_ROLE, SORT_ROLE, table_fields

AnyIndex = QModelIndex | QPersistentModelIndex

STATUS_COLOURS = {
    RowStatus.NEW: "#e6f4ea",
    RowStatus.DUPLICATE: "#fff4d6",
    RowStatus.INVALID: "#fde7e9",
}
FIXED_COLUMNS = (N_("Row"), N_("Check result"), N_("Reason"))


class ImportPreviewModel(QAbstractTableModel):
    def __init__(self, kind: RecordKind, preview: ImportPreview, parent: Any = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.rows: tuple[PreviewRow, ...] = preview.rows
        self.fields = table_fields(kind)
        self.chosen = {row.line for row in self.rows if row.status is RowStatus.NEW}

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(FIXED_COLUMNS) + len(self.fields)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == 0 and self.rows[index.row()].status is not RowStatus.INVALID:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(QColor(STATUS_COLOURS[row.status]))
        if role == Qt.ItemDataRole.CheckStateRole and column == 0:
            if row.status is RowStatus.INVALID:
                return None
            checked = row.line in self.chosen
            return Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
        if role in (Qt.ItemDataRole.DisplayRole, SORT_ROLE):
            return self._cell(row, column, role)
        if role == Qt.ItemDataRole.ToolTipRole and column == 2:
            return row.reason or None
        return None

    def _cell(self, row: PreviewRow, column: int, role: int) -> Any:
        if column == 0:
            return row.line if role == SORT_ROLE else str(row.line)
        if column == 1:
            return _(STATUS_LABELS[row.status])
        if column == 2:
            return row.reason
        spec = self.fields[column - len(FIXED_COLUMNS)]
        if row.status is RowStatus.INVALID:
            raw = row.raw.get(spec.name)
            return "" if raw is None else str(raw)
        return format_value(spec, row.values.get(spec.name))

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or index.column() != 0 or not index.isValid():
            return False
        row = self.rows[index.row()]
        if row.status is RowStatus.INVALID:
            return False
        checked = Qt.CheckState(value) == Qt.CheckState.Checked
        (self.chosen.add if checked else self.chosen.discard)(row.line)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        return True

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole or orientation != Qt.Orientation.Horizontal:
            return None
        if section < len(FIXED_COLUMNS):
            return _(FIXED_COLUMNS[section])
        if section < self.columnCount():
            return _(self.fields[section - len(FIXED_COLUMNS)].label)
        return None
