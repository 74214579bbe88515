"""One ward seen from the province: its records, indicators, assessments, approvals and the
audit trail its bundles carried (read-only)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QSpinBox,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core import audit_service, sync_province
from app.core.formatting import format_number, format_value
from app.core.kind_titles import KIND_TITLES
from app.core.records import kind_by_code
from app.db.engine import Database
from app.i18n import _
from app.ui.widgets.packs_page import _fill, _table


class WardDialog(QDialog):
    """Read-only view of one ward's records, indicators, assessments, approvals and audit
    trail."""

    def __init__(self, db: Database, station_id: str, year: int, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.db = db
        self.ward = sync_province.ward_detail(db, station_id)
        self.setWindowTitle(f"{self.ward.name} ({self.ward.code})")
        self.resize(1100, 600)
        layout = QVBoxLayout(self)
        note = QLabel(_("Read only: the ward's data is changed only by the ward."), self)
        note.setStyleSheet("color: #555;")
        layout.addWidget(note)
        tabs = QTabWidget(self)
        layout.addWidget(tabs, 1)

        records = QWidget(tabs)
        records_layout = QVBoxLayout(records)
        self.kind = QComboBox(records)
        for code, (title, _singular) in KIND_TITLES.items():
            self.kind.addItem(_(title), code)
        self.kind.currentIndexChanged.connect(lambda _i: self.show_records())
        records_layout.addWidget(self.kind)
        self.records = QTableWidget(records)
        self.records.setObjectName("ward_records")
        records_layout.addWidget(self.records, 1)
        tabs.addTab(records, _("Records"))

        tabs.addTab(self._indicators_tab(tabs, year), _("Monthly indicators"))

        self.assessments = _table(
            tabs,
            [_("Year"), _("Criteria set"), _("Criterion"), _("Result"), _("Points"), _("Evidence")],
        )
        self.assessments.setObjectName("ward_assessments")
        tabs.addTab(self.assessments, _("Self-assessment"))
        self.approvals = _table(tabs, [_("Approved"), _("By"), _("Approved on"), _("State")])
        self.approvals.setObjectName("ward_approvals")
        tabs.addTab(self.approvals, _("Approvals"))
        tabs.addTab(self._audit_tab(tabs), _("Audit trail"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.show_records()
        self.show_indicators()
        self.show_assessments()
        self.show_approvals(station_id)
        self.show_audit(station_id)

    def _indicators_tab(self, tabs: QTabWidget, year: int) -> QWidget:
        indicators = QWidget(tabs)
        indicators_layout = QVBoxLayout(indicators)
        self.year = QSpinBox(indicators)
        self.year.setRange(2000, 2100)
        self.year.setValue(year)
        self.year.setPrefix(_("Year") + " ")
        self.year.valueChanged.connect(lambda _v: self.show_indicators())
        indicators_layout.addWidget(self.year)
        self.indicators = _table(
            indicators, [_("Code"), _("Indicator"), *[str(m) for m in range(1, 13)]]
        )
        self.indicators.setObjectName("ward_indicators")
        from PySide6.QtWidgets import QHeaderView

        header = self.indicators.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        indicators_layout.addWidget(self.indicators, 1)
        return indicators

    def _audit_tab(self, tabs: QTabWidget) -> QWidget:
        from app.ui.widgets.audit_page import entry_headers

        page = QWidget(tabs)
        layout = QVBoxLayout(page)
        self.audit_result = QLabel(page)
        self.audit_result.setObjectName("ward_audit_result")
        self.audit_result.setWordWrap(True)
        layout.addWidget(self.audit_result)
        self.audit = _table(page, entry_headers())
        self.audit.setObjectName("ward_audit")
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
        self.rewrites = _table(page, entry_headers())
        self.rewrites.setObjectName("ward_audit_rewrites")
        layout.addWidget(self.rewrites, 1)
        return page

    def show_audit(self, station_id: str) -> None:
        """The ward's audit trail held here, checked again now (not the stored result)."""
        from app.ui.widgets.audit_page import SHOWN, entry_cells, show_check

        show_check(self.audit_result, sync_province.ward_audit_check(self.db, station_id))
        _fill(
            self.audit,
            [
                entry_cells(r.entry_id, r.at, r.actor, r.action, r.table_name, r.changes)
                for r in audit_service.ward_entries(self.db, station_id, SHOWN)
            ],
        )
        rewrites = audit_service.ward_rewrites(self.db, station_id)
        _fill(
            self.rewrites,
            [
                entry_cells(r.entry_id, r.at, r.actor, r.action, r.table_name, r.changes)
                for r in rewrites
            ],
        )
        self.rewrites_label.setVisible(bool(rewrites))
        self.rewrites.setVisible(bool(rewrites))

    def show_approvals(self, station_id: str) -> None:
        from app.core.approval_service import approver_text, subject_text

        _fill(
            self.approvals,
            [
                [
                    subject_text(state),
                    approver_text(state),
                    f"{state.approved_at.astimezone():%d/%m/%Y %H:%M}" if state.approved_at else "",
                    state.label,
                ]
                for state in sync_province.ward_approvals(self.db, station_id)
            ],
        )

    def show_records(self) -> None:
        kind = kind_by_code(self.kind.currentData())
        rows = sync_province.ward_records(self.db, self.ward.unit_id, kind.code)
        self.records.clear()
        self.records.setColumnCount(len(kind.fields))
        self.records.setHorizontalHeaderLabels([_(spec.label) for spec in kind.fields])
        _fill(
            self.records,
            [[format_value(spec, row[spec.name]) for spec in kind.fields] for row in rows],
        )
        self.records.resizeColumnsToContents()

    def show_indicators(self) -> None:
        from app.core.packs import service as packs

        names = {i.code: i.name for i in packs.indicator_catalogue(packs.active_packs(self.db))}
        values = sync_province.ward_indicators(self.db, self.ward.unit_id, self.year.value())
        _fill(
            self.indicators,
            [
                [
                    code,
                    names.get(code, ""),
                    *[format_number(months.get(m)) if m in months else "" for m in range(1, 13)],
                ]
                for code, months in values.items()
            ],
        )

    def show_assessments(self) -> None:
        from app.ui.models.assessment_model import STATUS

        rows = []
        for assessment in sync_province.ward_assessments(self.db, self.ward.unit_id):
            for code, status, points, evidence in assessment["items"]:
                rows.append(
                    [
                        str(assessment["year"]),
                        f"{assessment['pack_id']} v{assessment['pack_version']}",
                        code,
                        _(STATUS.get(status, status)),
                        format_number(points) if points is not None else "",
                        evidence,
                    ]
                )
        _fill(self.assessments, rows)
