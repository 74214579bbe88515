"""The criteria of an assessment: group, code, criterion, scoring, automatic result, finding."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from app.core.domain.assessment_views import AssessmentView, CriterionView, GroupSummary
from app.core.domain.formatting import format_number
from app.i18n import N_, _
from app.ui.models.record_table_model import ROW_ROLE, SORT_ROLE, horizontal_header
from app.ui.models.row_model import Column, RowTableModel

AnyIndex = QModelIndex | QPersistentModelIndex
COLUMNS = (
    N_("Group"),
    N_("Code"),
    N_("Criterion"),
    N_("Scoring"),
    N_("Automatic evaluation"),
    N_("Result"),
    N_("Points"),
    N_("Evidence"),
)
SCORING = {
    "pass_fail": N_("Met / not met"),
    "points": N_("Points"),
    "threshold": N_("Threshold"),
    "no_event": N_("No such event"),
}
STATUS = {
    "met": N_("Met"),
    "not_met": N_("Not met"),
    "not_applicable": N_("Not applicable"),
    "pending": N_("Not assessed yet"),
}
STATUS_COLOURS = {
    "met": "#e6f4ea",
    "not_met": "#fde7e9",
    "pending": "#fff4d6",
    "not_applicable": "#eeeeee",
}


class AssessmentModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.view: AssessmentView | None = None

    def set_view(self, view: AssessmentView | None) -> None:
        self.beginResetModel()
        self.view = view
        self.endResetModel()

    def criterion_at(self, row: int) -> CriterionView | None:
        if self.view is None or not 0 <= row < len(self.view.criteria):
            return None
        return self.view.criteria[row]

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self.view is None else len(self.view.criteria)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        item = self.criterion_at(index.row()) if index.isValid() else None
        if item is None:
            return None
        column = index.column()
        if role == ROW_ROLE:
            return item
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(item, column)
        if role == SORT_ROLE:
            return (
                item.criterion.group,
                item.criterion.code,
                item.criterion.title,
                item.criterion.scoring.value,
                item.auto.met if item.auto else None,
                item.status,
                item.earned_points,
                item.evidence,
            )[column]
        if role == Qt.ItemDataRole.BackgroundRole and column == 5:
            return QBrush(QColor(STATUS_COLOURS[item.status]))
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 4 and item.auto is not None:
                return item.auto.reason
            if column == 2:
                return item.criterion.guidance or item.criterion.title
        return None

    @staticmethod
    def _text(item: CriterionView, column: int) -> str:
        criterion = item.criterion
        if column == 0:
            return criterion.group
        if column == 1:
            return criterion.code
        if column == 2:
            return criterion.title
        if column == 3:
            return _(SCORING[criterion.scoring.value])
        if column == 4:
            if item.auto is None:
                return _("— (assessed by the officer)")
            verdict = {True: _("Met"), False: _("Not met"), None: _("No data yet")}[item.auto.met]
            return f"{verdict}: {item.auto.reason}"
        if column == 5:
            result = _(STATUS[item.status])
            return result + (" ✎" if item.manual_status else "")
        if column == 6:
            if criterion.max_points <= 0:
                return ""
            return f"{format_number(item.earned_points)} / {format_number(criterion.max_points)}"
        count = len(item.links)
        text = item.evidence
        if count:
            text += (" · " if text else "") + _("{count} linked record(s)").format(count=count)
        return text

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return horizontal_header(COLUMNS, section, orientation, role)


class GroupSummaryModel(RowTableModel[GroupSummary]):
    """The criteria met in each group of the pack."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            [
                Column(_("Group"), lambda g: g.code),
                Column(_("Title"), lambda g: g.title),
                Column(_("Met"), lambda g: f"{g.met}/{g.total}", sort=lambda g: (g.met, g.total)),
            ],
            parent,
        )
