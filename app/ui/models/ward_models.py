"""The tables of one ward seen from the province: its records of one kind, its monthly
indicators, its self-assessment findings and its chief's approvals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject

from app.core.domain.formatting import format_number, format_value
from app.core.domain.records import FieldSpec, RecordKind
from app.core.domain.text import sort_key
from app.core.services.approvals import ApprovalState, approver_text, subject_text
from app.i18n import _
from app.ui.models.assessment_model import STATUS
from app.ui.models.row_model import Column, RowTableModel

Record = Mapping[str, Any]


def _raw(value: Any) -> Any:
    """A record's stored value as a sort value: text in Vietnamese order."""
    return sort_key(value) if isinstance(value, str) else value


def _record_column(spec: FieldSpec) -> Column[Record]:
    return Column(
        _(spec.label),
        lambda r: format_value(spec, r[spec.name]),
        sort=lambda r: _raw(r[spec.name]),
    )


class WardRecordModel(RowTableModel[Record]):
    """A ward's live records of one kind; its columns are the kind's fields."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__((), parent)

    def set_kind(self, kind: RecordKind, rows: Sequence[Record]) -> None:
        self.set_columns([_record_column(spec) for spec in kind.fields], rows)


@dataclass(frozen=True)
class IndicatorLine:
    code: str
    name: str
    months: Mapping[int, float | None]


def _month_column(month: int) -> Column[IndicatorLine]:
    return Column(
        str(month),
        lambda r: format_number(r.months.get(month)) if month in r.months else "",
        sort=lambda r: r.months.get(month),
    )


class WardIndicatorModel(RowTableModel[IndicatorLine]):
    """Indicator by month, as the ward reported it for one year."""

    def __init__(self, parent: QObject | None = None) -> None:
        columns: list[Column[IndicatorLine]] = [
            Column(_("Code"), lambda r: r.code),
            Column(_("Indicator"), lambda r: r.name),
        ]
        super().__init__(columns + [_month_column(m) for m in range(1, 13)], parent)


@dataclass(frozen=True)
class FindingLine:
    """One criterion's finding in one of the ward's assessments."""

    year: int
    pack: str
    code: str
    status: str
    points: float | None
    evidence: str


class WardAssessmentModel(RowTableModel[FindingLine]):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(
            [
                Column(_("Year"), lambda r: str(r.year), sort=lambda r: r.year),
                Column(_("Criteria set"), lambda r: r.pack),
                Column(_("Criterion"), lambda r: r.code),
                Column(_("Result"), lambda r: _(STATUS.get(r.status, r.status))),
                Column(
                    _("Points"),
                    lambda r: format_number(r.points) if r.points is not None else "",
                    sort=lambda r: r.points,
                ),
                Column(_("Evidence"), lambda r: r.evidence),
            ],
            parent,
        )


def _approved_on(state: ApprovalState) -> str:
    return f"{state.approved_at.astimezone():%d/%m/%Y %H:%M}" if state.approved_at else ""


class WardApprovalModel(RowTableModel[ApprovalState]):
    """The chief's approvals, each checked against the ward's data held here."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(
            [
                Column(_("Approved"), subject_text),
                Column(_("By"), approver_text),
                Column(_("Approved on"), _approved_on, sort=lambda s: s.approved_at),
                Column(_("State"), lambda s: s.label),
            ],
            parent,
        )
