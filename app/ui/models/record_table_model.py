"""A lazy table model over one record kind: it holds the ordered ids and fetches rows in pages.

Sorting and searching are done by the service in SQL (on the stored Vietnamese collation keys
and the folded search column) rather than in a ``QSortFilterProxyModel``: a proxy would have to
fetch every one of 100,000 rows to sort them, which is exactly what lazy loading avoids.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import date
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)

from app.core.domain.formatting import format_value
from app.core.domain.records import Change, FieldSpec, FieldType, ListQuery, RecordKind, RecordRow
from app.core.domain.text import sort_key
from app.core.services.records import RecordService
from app.i18n import _

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2
ID_ROLE = Qt.ItemDataRole.UserRole + 3

PAGE_SIZE = 200
CACHE_ROWS = 5000

AnyIndex = QModelIndex | QPersistentModelIndex


def horizontal_header(
    labels: tuple[str, ...], section: int, orientation: Qt.Orientation, role: int
) -> str | None:
    """The translated column title of a table model whose columns are fixed msgids."""
    if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
        return _(labels[section]) if 0 <= section < len(labels) else None
    return None


def table_fields(kind: RecordKind) -> tuple[FieldSpec, ...]:
    return kind.listed_fields


class RecordTableModel(QAbstractTableModel):
    def __init__(self, service: RecordService, kind: RecordKind, parent: Any = None) -> None:
        super().__init__(parent)
        self.service = service
        self.kind = kind
        self.fields = table_fields(kind)
        self.query = ListQuery()
        self._ids: list[int] = []
        self._rows: OrderedDict[int, RecordRow] = OrderedDict()
        self.reload()

    # --- loading -------------------------------------------------------------------------

    def reload(self) -> None:
        ids = self.service.list_ids(self.kind.code, self.query)  # may fail: before any signal
        self.beginResetModel()
        self._ids = ids
        self._rows.clear()
        self.endResetModel()

    def set_search(self, text: str) -> None:
        if text == self.query.search:
            return
        query = ListQuery(text, self.query.sort_field, self.query.descending)
        ids = self.service.list_ids(self.kind.code, query)
        self.beginResetModel()
        self.query, self._ids = query, ids
        self._rows.clear()
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.fields):
            return
        descending = order == Qt.SortOrder.DescendingOrder
        query = ListQuery(self.query.search, self.fields[column].name, descending)
        self._relist(self.service.list_ids(self.kind.code, query))
        self.query = query

    def _relist(self, new_ids: list[int]) -> None:
        """Move to a new order of ids, keeping selections on the same records."""
        self.layoutAboutToBeChanged.emit()
        old_ids = self._ids
        self._ids = new_ids
        new_positions = {record_id: row for row, record_id in enumerate(new_ids)}
        for index in self.persistentIndexList():
            moved = old_ids[index.row()] if 0 <= index.row() < len(old_ids) else None
            target = new_positions.get(moved) if moved is not None else None
            if target is None:
                self.changePersistentIndex(index, QModelIndex())
            else:
                self.changePersistentIndex(index, self.index(target, index.column()))
        self.layoutChanged.emit()

    def apply_change(self, change: Change) -> None:
        """Refresh after a service call: inserts and deletes reload; an edit may move the row
        (sort order) or take it out of the search, so the order is listed again."""
        if change.kind != self.kind.code:
            return
        if change.created or change.deleted:
            self.reload()
            return
        if not change.updated:
            return
        for record_id in change.updated:
            self._rows.pop(record_id, None)
        new_ids = self.service.list_ids(self.kind.code, self.query)
        if len(new_ids) != len(self._ids):
            self.reload()
            return
        self._relist(new_ids)
        if self._ids:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._ids) - 1, len(self.fields) - 1)
            )

    def _row(self, row: int) -> RecordRow | None:
        record_id = self._ids[row]
        cached = self._rows.get(record_id)
        if cached is not None:
            return cached
        start = row - row % PAGE_SIZE
        page = self._ids[start : start + PAGE_SIZE]
        for fetched in self.service.fetch(self.kind.code, page):
            self._rows[fetched.id] = fetched
        while len(self._rows) > CACHE_ROWS:
            self._rows.popitem(last=False)
        return self._rows.get(record_id)

    # --- public helpers ------------------------------------------------------------------

    def record_at(self, row: int) -> RecordRow | None:
        if 0 <= row < len(self._ids):
            return self._row(row)
        return None

    def row_of(self, record_id: int) -> int:
        try:
            return self._ids.index(record_id)
        except ValueError:
            return -1

    # --- Qt model API --------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.fields)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        if role == ID_ROLE:
            return self._ids[index.row()]
        record = self._row(index.row())
        if record is None:
            return None
        spec = self.fields[index.column()]
        value = record.values.get(spec.name)
        if role == Qt.ItemDataRole.DisplayRole:
            return format_value(spec, value)
        if role == SORT_ROLE:
            return _sortable(spec, value)
        if role == ROW_ROLE:
            return record
        if role == Qt.ItemDataRole.TextAlignmentRole and spec.type in (
            FieldType.INT,
            FieldType.FLOAT,
        ):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and spec.type in (FieldType.TEXT, FieldType.CHOICE):
            return format_value(spec, value) or None
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            if 0 <= section < len(self.fields):
                return _(self.fields[section].label)
            return None
        return str(section + 1)


def _sortable(spec: FieldSpec, value: Any) -> Any:
    """A raw comparable value for proxies and tests (None sorts first)."""
    if value is None:
        return ""
    if spec.type in (FieldType.TEXT, FieldType.CHOICE):
        return sort_key(spec.choice_label(value) if spec.type is FieldType.CHOICE else value)
    if isinstance(value, date):
        return value.toordinal()
    return value
