"""One ward seen from the province: its records, indicators, assessments, approvals and the
audit trail its bundles carried (read-only). Everything is read off the GUI thread."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QSpinBox,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.domain.kind_titles import KIND_TITLES
from app.core.domain.progress import CancelToken
from app.core.domain.records import RecordKind, kind_by_code
from app.core.services import audit as audit_service
from app.core.services.approvals import ApprovalState
from app.core.services.audit import AuditCheck
from app.core.services.storage import Database
from app.core.services.sync.province import imports as sync_province
from app.i18n import _
from app.ui.models.audit_model import AuditEntryModel, AuditLine
from app.ui.models.row_model import RowSortProxy, RowTableModel
from app.ui.models.ward_models import (
    FindingLine,
    IndicatorLine,
    Record,
    WardApprovalModel,
    WardAssessmentModel,
    WardIndicatorModel,
    WardRecordModel,
)
from app.ui.ops import Operation, Progress, run_in_background
from app.ui.widgets.common import table_view

SHOWN = 500  # the latest audit entries listed
T = TypeVar("T")


@dataclass(frozen=True)
class WardSnapshot:
    """Everything the dialog shows of a ward, read in one background pass."""

    detail: sync_province.WardDetail
    kind: RecordKind
    records: Sequence[Record]
    indicators: list[IndicatorLine]
    findings: list[FindingLine]
    approvals: list[ApprovalState]
    audit_check: AuditCheck
    audit: list[AuditLine]
    rewrites: list[AuditLine]


def read_indicators(db: Database, unit_id: int, year: int) -> list[IndicatorLine]:
    from app.core.services import packs

    names = {i.code: i.name for i in packs.indicator_catalogue(packs.active_packs(db))}
    values = sync_province.ward_indicators(db, unit_id, year)
    return [IndicatorLine(code, names.get(code, ""), months) for code, months in values.items()]


def read_findings(db: Database, unit_id: int) -> list[FindingLine]:
    return [
        FindingLine(
            int(assessment["year"]),
            f"{assessment['pack_id']} v{assessment['pack_version']}",
            code,
            status,
            points,
            evidence,
        )
        for assessment in sync_province.ward_assessments(db, unit_id)
        for code, status, points, evidence in assessment["items"]
    ]


def _audit_lines(rows: list[audit_service.AuditRow]) -> list[AuditLine]:
    return [AuditLine(r.entry_id, r.at, r.actor, r.action, r.table_name, r.changes) for r in rows]


def read_ward(db: Database, station_id: str, kind: RecordKind, year: int) -> WardSnapshot:
    """The ward's data held here; its audit trail is checked again now (not the stored
    result of the last import)."""
    detail = sync_province.ward_detail(db, station_id)
    return WardSnapshot(
        detail=detail,
        kind=kind,
        records=sync_province.ward_records(db, detail.unit_id, kind.code),
        indicators=read_indicators(db, detail.unit_id, year),
        findings=read_findings(db, detail.unit_id),
        approvals=sync_province.ward_approvals(db, station_id),
        audit_check=sync_province.ward_audit_check(db, station_id),
        audit=_audit_lines(audit_service.ward_entries(db, station_id, SHOWN)),
        rewrites=_audit_lines(audit_service.ward_rewrites(db, station_id)),
    )


class WardDialog(QDialog):
    """Read-only view of one ward's records, indicators, assessments, approvals and audit
    trail."""

    def __init__(self, db: Database, station_id: str, year: int, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.db = db
        self.station_id = station_id
        self.unit_id: int | None = None
        self._operations: list[Operation[Any]] = []
        self.setWindowTitle(station_id)
        self.resize(1100, 600)
        layout = QVBoxLayout(self)
        note = QLabel(_("Read only: the ward's data is changed only by the ward."), self)
        note.setStyleSheet("color: #555;")
        layout.addWidget(note)
        self.busy = QLabel(_("Reading the ward's data…"), self)
        self.busy.setObjectName("ward_busy")
        layout.addWidget(self.busy)
        self.tabs = tabs = QTabWidget(self)
        layout.addWidget(tabs, 1)
        tabs.addTab(self._records_tab(tabs), _("Records"))
        tabs.addTab(self._indicators_tab(tabs, year), _("Monthly indicators"))
        self.assessments_model = WardAssessmentModel(self)
        self.assessments = self._view(tabs, self.assessments_model, "ward_assessments")
        tabs.addTab(self.assessments, _("Self-assessment"))
        self.approvals_model = WardApprovalModel(self)
        self.approvals = self._view(tabs, self.approvals_model, "ward_approvals")
        tabs.addTab(self.approvals, _("Approvals"))
        tabs.addTab(self._audit_tab(tabs), _("Audit trail"))
        buttons = QDialogButtonBox(self)
        buttons.addButton(_("Close"), QDialogButtonBox.ButtonRole.RejectRole)  # our catalogue's
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._set_busy(True)
        kind, chosen_year = self._kind(), year
        self._load(lambda: read_ward(db, station_id, kind, chosen_year), self._show)

    def _view(self, parent: QWidget, model: RowTableModel[Any], name: str) -> QTableView:
        return table_view(parent, RowSortProxy(model, self), name, sortable=True)

    def _records_tab(self, tabs: QTabWidget) -> QWidget:
        records = QWidget(tabs)
        records_layout = QVBoxLayout(records)
        self.kind = QComboBox(records)
        for code, (title, _singular) in KIND_TITLES.items():
            self.kind.addItem(_(title), code)
        self.kind.currentIndexChanged.connect(lambda _i: self.show_records())
        records_layout.addWidget(self.kind)
        self.records_model = WardRecordModel(self)
        self.records = self._view(records, self.records_model, "ward_records")
        records_layout.addWidget(self.records, 1)
        return records

    def _indicators_tab(self, tabs: QTabWidget, year: int) -> QWidget:
        indicators = QWidget(tabs)
        indicators_layout = QVBoxLayout(indicators)
        self.year = QSpinBox(indicators)
        self.year.setRange(2000, 2100)
        self.year.setValue(year)
        self.year.setPrefix(_("Year") + " ")
        self.year.valueChanged.connect(lambda _v: self.show_indicators())
        indicators_layout.addWidget(self.year)
        self.indicators_model = WardIndicatorModel(self)
        self.indicators = self._view(indicators, self.indicators_model, "ward_indicators")
        header = self.indicators.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        indicators_layout.addWidget(self.indicators, 1)
        return indicators

    def _audit_tab(self, tabs: QTabWidget) -> QWidget:
        page = QWidget(tabs)
        layout = QVBoxLayout(page)
        self.audit_result = QLabel(page)
        self.audit_result.setObjectName("ward_audit_result")
        self.audit_result.setWordWrap(True)
        layout.addWidget(self.audit_result)
        self.audit_model = AuditEntryModel(self)
        self.audit = self._view(page, self.audit_model, "ward_audit")
        layout.addWidget(self.audit, 3)
        self.rewrites_label = QLabel(
            _(
                "Entries that arrived again with different content (kept as evidence; the "
                "entries above are the ones first received):"
            ),
            page,
        )
        self.rewrites_label.setWordWrap(True)
        layout.addWidget(self.rewrites_label)
        self.rewrites_model = AuditEntryModel(self)
        self.rewrites = self._view(page, self.rewrites_model, "ward_audit_rewrites")
        layout.addWidget(self.rewrites, 1)
        return page

    # -- loading ------------------------------------------------------------------------

    def _load(self, read: Callable[[], T], done: Callable[[T], None]) -> None:
        def work(_progress: Progress, _token: CancelToken) -> T:
            return read()

        operation = run_in_background(work, parent=self, on_done=done, on_end=self._ended)
        self._operations.append(operation)
        self._set_busy(True)

    def _ended(self) -> None:
        self._operations = [op for op in self._operations if op.running]
        if not self._operations:
            self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        self.tabs.setEnabled(not busy)

    def loading(self) -> bool:
        """Whether the ward's data is still being read (tests wait on this)."""
        return any(op.running for op in self._operations)

    def _kind(self) -> RecordKind:
        return kind_by_code(self.kind.currentData())

    def _show(self, snapshot: WardSnapshot) -> None:
        from app.ui.widgets.audit_page import show_check

        ward = snapshot.detail
        self.unit_id = ward.unit_id
        self.setWindowTitle(f"{ward.name} ({ward.code})")
        self._show_records(snapshot.kind, snapshot.records)
        self.indicators_model.set_rows(snapshot.indicators)
        self.assessments_model.set_rows(snapshot.findings)
        self.approvals_model.set_rows(snapshot.approvals)
        show_check(self.audit_result, snapshot.audit_check)
        self.audit_model.set_rows(snapshot.audit)
        self.rewrites_model.set_rows(snapshot.rewrites)
        self.rewrites_label.setVisible(bool(snapshot.rewrites))
        self.rewrites.setVisible(bool(snapshot.rewrites))

    def _show_records(self, kind: RecordKind, rows: Sequence[Record]) -> None:
        self.records_model.set_kind(kind, rows)
        self.records.resizeColumnsToContents()

    def show_records(self) -> None:
        unit_id = self.unit_id
        if unit_id is None:
            return  # the first pass reads the chosen kind
        db, kind = self.db, self._kind()
        self._load(
            lambda: sync_province.ward_records(db, unit_id, kind.code),
            lambda rows: self._show_records(kind, rows),
        )

    def show_indicators(self) -> None:
        unit_id = self.unit_id
        if unit_id is None:
            return
        db, year = self.db, self.year.value()
        self._load(lambda: read_indicators(db, unit_id, year), self.indicators_model.set_rows)
