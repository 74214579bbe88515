"""The monthly indicator grid: group rows and indicator rows; value and comment editable."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from app.core.domain.formatting import format_number
from app.core.domain.indicator_views import Grid, GridRow
from app.core.domain.packs.model import Aggregation
from app.i18n import N_, _
from app.ui.models.record_table_model import ROW_ROLE, SORT_ROLE, horizontal_header

AnyIndex = QModelIndex | QPersistentModelIndex
COLUMNS = (
    N_("Code"),
    N_("Indicator"),
    N_("Unit"),
    N_("Value"),
    N_("Same period last year"),
    N_("Change"),
    N_("Change %"),
    N_("Year to date"),
    N_("Comment"),
)
CODE, NAME, UNIT, VALUE, LAST_YEAR, CHANGE, CHANGE_PCT, YEAR_TO_DATE, COMMENT = range(9)

# Called with (indicator code, value text or None, comment or None); raises to refuse.
Editor = Callable[[str, str | None, str | None], None]


@dataclass(frozen=True)
class _Group:
    code: str
    title: str


class IndicatorGridModel(QAbstractTableModel):
    def __init__(self, editor: Editor, parent: Any = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.grid: Grid | None = None
        self.entries: list[_Group | GridRow] = []

    def set_grid(self, grid: Grid) -> None:
        self.beginResetModel()
        self.grid = grid
        self.entries = []
        group = None
        for row in grid.rows:
            if row.group != group:
                group = row.group
                self.entries.append(_Group(row.group, row.group_title))
            self.entries.append(row)
        self.endResetModel()

    def row_at(self, row: int) -> GridRow | None:
        entry = self.entries[row] if 0 <= row < len(self.entries) else None
        return entry if isinstance(entry, GridRow) else None

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        row = self.row_at(index.row())
        editable = self.grid is not None and self.grid.editable and row is not None
        if (
            editable
            and row is not None
            and ((index.column() == VALUE and row.typed) or index.column() == COMMENT)
        ):
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.entries):
            return None
        entry = self.entries[index.row()]
        if isinstance(entry, _Group):
            return self._group_data(entry, index.column(), role)
        return self._row_data(entry, index.column(), role)

    @staticmethod
    def _group_data(group: _Group, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and column in (CODE, NAME):
            return group.code if column == CODE else group.title
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(QColor("#e8eef7"))
        return None

    def _row_data(self, row: GridRow, column: int, role: int) -> Any:
        if role == ROW_ROLE:
            return row
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self._text(row, column, role)
        if role == SORT_ROLE:
            return [
                row.code,
                row.name,
                row.unit,
                row.value,
                row.last_year,
                row.change,
                row.change_pct,
                row.year_to_date,
                row.comment,
            ][column]
        if role == Qt.ItemDataRole.TextAlignmentRole and VALUE <= column <= YEAR_TO_DATE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.BackgroundRole:
            if row.problems and column == VALUE:
                return QBrush(QColor("#fde7e9"))
            if not row.typed and column == VALUE:
                return QBrush(QColor("#f3f3f3"))
        if role == Qt.ItemDataRole.ToolTipRole:
            if row.problems:
                return "\n".join(row.problems)
            if not row.typed and column == VALUE:
                return _("Computed by the app from the records or from other indicators.")
        if role == Qt.ItemDataRole.ForegroundRole and column in (CHANGE, CHANGE_PCT):
            change = row.change or 0
            return QBrush(QColor("#0b7a2a" if change < 0 else "#b00020" if change > 0 else "#333"))
        return None

    @staticmethod
    def _text(row: GridRow, column: int, role: int) -> Any:
        if column == CODE:
            return row.code
        if column == NAME:
            return row.name
        if column == UNIT:
            return row.unit
        if column == VALUE:
            return (
                format_number(row.value)
                if role == Qt.ItemDataRole.DisplayRole or row.value is not None
                else ""
            )
        if column == LAST_YEAR:
            return format_number(row.last_year)
        if column == CHANGE:
            if row.change is None:
                return ""
            text = format_number(abs(row.change))
            return f"+{text}" if row.change > 0 else f"\u2212{text}" if row.change < 0 else "0"
        if column == CHANGE_PCT:
            # a ratio's change is already in percentage points: a % of a % would mislead
            if row.change_pct is None or row.aggregation is Aggregation.RATIO:
                return ""
            sign = "+" if row.change_pct > 0 else "\u2212" if row.change_pct < 0 else ""
            return f"{sign}{format_number(abs(row.change_pct))}%"
        if column == YEAR_TO_DATE:
            return format_number(row.year_to_date)
        return row.comment

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        row = self.row_at(index.row())
        if (
            role != Qt.ItemDataRole.EditRole
            or row is None
            or not (self.flags(index) & Qt.ItemFlag.ItemIsEditable)
        ):
            return False
        text = "" if value is None else str(value)
        if index.column() == VALUE:
            self.editor(row.code, text, None)
        else:
            self.editor(row.code, None, text)
        return True

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return horizontal_header(COLUMNS, section, orientation, role)
