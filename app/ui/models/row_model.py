"""A read-only table model over a list of row DTOs, one ``Column`` per column, and the proxy
that sorts it by raw values.

Each table of the app subclasses ``RowTableModel`` with its own columns (see the modules
beside this one); the rows are plain frozen data prepared by the services, never ORM objects.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor

from app.core.domain.text import sort_key
from app.ui.models.record_table_model import ROW_ROLE, SORT_ROLE

R = TypeVar("R")
AnyIndex = QModelIndex | QPersistentModelIndex
WARNING_BACKGROUND = "#fde7e9"


@dataclass(frozen=True)
class Column(Generic[R]):
    """One column: its (translated) title, its text, and optionally a raw sort value, a
    background colour and a tooltip. Without ``sort`` the text sorts in Vietnamese order."""

    title: str
    text: Callable[[R], str]
    sort: Callable[[R], Any] | None = None
    background: Callable[[R], str | None] | None = None
    tooltip: Callable[[R], str | None] | None = None

    def sort_value(self, row: R) -> Any:
        return self.sort(row) if self.sort is not None else sort_key(self.text(row))


class RowTableModel(QAbstractTableModel, Generic[R]):
    """Rows of ``R`` shown through ``columns``; ``ROW_ROLE`` gives the row, ``SORT_ROLE`` a
    raw comparable value."""

    def __init__(self, columns: Sequence[Column[R]], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.columns: tuple[Column[R], ...] = tuple(columns)
        self.rows: tuple[R, ...] = ()

    def set_rows(self, rows: Sequence[R]) -> None:
        self.beginResetModel()
        self.rows = tuple(rows)
        self.endResetModel()

    def set_columns(self, columns: Sequence[Column[R]], rows: Sequence[R] = ()) -> None:
        """New columns (a ward's record kind changed), with their rows."""
        self.beginResetModel()
        self.columns, self.rows = tuple(columns), tuple(rows)
        self.endResetModel()

    def row_at(self, row: int) -> R | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def text(self, row: int, column: int) -> str:
        """The text shown in a cell (for tests and copying)."""
        return str(self.data(self.index(row, column)) or "")

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.column() >= len(self.columns):
            return None
        row = self.row_at(index.row())
        if row is None:
            return None
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(row)
        if role == SORT_ROLE:
            return column.sort_value(row)
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.BackgroundRole and column.background is not None:
            colour = column.background(row)
            return QBrush(QColor(colour)) if colour else None
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip is not None:
            return column.tooltip(row)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole or orientation != Qt.Orientation.Horizontal:
            return None
        return self.columns[section].title if 0 <= section < len(self.columns) else None


def _comparable(value: Any) -> tuple[bool, Any]:
    return (value is None, value if value is not None else 0)


class RowSortProxy(QSortFilterProxyModel):
    """Sorts a ``RowTableModel`` by its raw ``SORT_ROLE`` values (numbers as numbers, dates
    as dates, text in Vietnamese order); empty values sort last."""

    def __init__(self, source: QAbstractTableModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSourceModel(source)
        self.setSortRole(SORT_ROLE)

    def lessThan(self, left: AnyIndex, right: AnyIndex) -> bool:
        a = _comparable(left.data(SORT_ROLE))
        b = _comparable(right.data(SORT_ROLE))
        try:
            return bool(a < b)
        except TypeError:  # mixed kinds in one column: fall back to the shown text
            return str(left.data()) < str(right.data())

    def source_row(self, row: int) -> int:
        """The source model's row shown at ``row`` of this proxy (-1 when none)."""
        if row < 0:
            return -1
        return self.mapToSource(self.index(row, 0)).row()
