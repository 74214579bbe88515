"""Self-assessment: "đạt N/M tiêu chí", by group and through the year; every criterion with its
automatic evaluation and the chief's finding; migration to a newer pack version."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.domain.access import Actor
from app.core.domain.assessment_views import AssessmentView
from app.core.domain.formatting import format_date, format_number
from app.core.services.assessments import AssessmentService
from app.core.services.records import RecordService
from app.core.services.storage import Database
from app.i18n import _
from app.ui.dialogs.criterion_dialog import CriterionDialog
from app.ui.errors import confirm, inform
from app.ui.models.assessment_model import AssessmentModel, GroupSummaryModel
from app.ui.widgets.common import errors_shown, table_view
from app.ui.widgets.trend_chart import TrendChart


class AssessmentPage(QWidget):
    def __init__(
        self,
        db: Database,
        records: RecordService,
        today: Callable[[], date],
        parent: QWidget | None = None,
        actor: Actor | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("page_assessment")
        self.service = AssessmentService(db, today=today, actor=actor)
        self.db, self.actor = db, actor
        self.records = records
        self.today = today
        self.model = AssessmentModel(self)
        self.view: AssessmentView | None = None
        self._build()
        self.refresh()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        title = QLabel(_("Self-assessment"), self)
        title.setStyleSheet("font-size: 16pt; font-weight: 600;")
        layout.addWidget(title)
        layout.addLayout(self._choice_bar())

        self.banner = QLabel(self)
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        layout.addWidget(self.banner)
        layout.addWidget(self._approval_bar())
        layout.addLayout(self._summary())
        layout.addWidget(self._criteria_table(), 1)
        hint = QLabel(
            _(
                "Double-click a criterion to record the result, points, evidence and "
                "linked records. ✎ marks a result set by hand."
            ),
            self,
        )
        hint.setStyleSheet("color: #555;")
        layout.addWidget(hint)
        self.pack.currentIndexChanged.connect(lambda _i: self.refresh())
        self.year.valueChanged.connect(lambda _v: self.refresh())

    def _choice_bar(self) -> QHBoxLayout:
        """Which criteria set and which year; moving to a newer version on the right."""
        bar = QHBoxLayout()
        self.pack = QComboBox(self)
        self.pack.setObjectName("pack")
        for pack in self.service.assessable_packs():
            self.pack.addItem(pack.title, pack.pack_id)
        self.year = QSpinBox(self)
        self.year.setRange(2000, 2100)
        self.year.setValue(self.service.indicators.current_month()[0])
        self.migrate_button = QPushButton(self)
        self.migrate_button.clicked.connect(self.migrate)
        for widget in (
            QLabel(_("Criteria set"), self),
            self.pack,
            QLabel(_("Year"), self),
            self.year,
        ):
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.migrate_button)
        return bar

    def _approval_bar(self) -> QWidget:
        """The chief's approval of the assessment shown."""
        from app.core.services import approvals
        from app.ui.widgets.approval_bar import ApprovalBar

        def assessment_shown() -> str | None:
            if self.view is None:
                return None
            return approvals.assessment_ref(self.db, self.view.id)

        self.approval = ApprovalBar(
            self.db, self.actor, approvals.ASSESSMENT, assessment_shown, self
        )
        return self.approval

    def _summary(self) -> QHBoxLayout:
        """The score, the points, the month-by-month chart, and the groups table."""
        summary = QHBoxLayout()
        self.score = QLabel(self)
        self.score.setObjectName("score")
        self.score.setStyleSheet("font-size: 20pt; font-weight: 600; color: #0b3d91;")
        self.groups_model = GroupSummaryModel(self)
        self.groups = table_view(self, self.groups_model, "groups")
        self.groups.horizontalHeader().setStretchLastSection(False)
        self.groups.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.groups.setMaximumHeight(190)
        self.groups.verticalHeader().setDefaultSectionSize(22)
        self.chart = TrendChart(self)
        left = QVBoxLayout()
        left.addWidget(self.score)
        self.points = QLabel(self)
        left.addWidget(self.points)
        left.addWidget(QLabel(_("Criteria met, month by month:"), self))
        left.addWidget(self.chart)
        summary.addLayout(left, 2)
        summary.addWidget(self.groups, 3)
        return summary

    def _criteria_table(self) -> QTableView:
        self.table = QTableView(self)
        self.table.setObjectName("criteria")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        for column, width in enumerate((45, 50, 300, 95, 260, 95, 55)):
            self.table.setColumnWidth(column, width)
        self.table.doubleClicked.connect(lambda index: self.edit(index.row()))
        return self.table

    # --- state ---------------------------------------------------------------------------

    def refresh(self) -> None:
        pack_id = self.pack.currentData()
        if pack_id is None:
            self.banner.setText(
                _('No criteria set is installed. Install one on the "Criteria packs" screen.')
            )
            self.model.set_view(None)
            return
        with errors_shown(self) as attempt:
            self.view = self.service.open(pack_id, self.year.value())
        if attempt.failed or self.view is None:
            return
        self.model.set_view(self.view)
        self.table.resizeRowsToContents()
        self._show_summary(self.view)
        self.approval.refresh()

    def _show_summary(self, view: AssessmentView) -> None:
        pack = view.pack
        notes = []
        if pack.draft:
            notes.append(pack.draft_note or _("DRAFT: {note}").format(note=pack.title))
        if pack.is_expired(self.today()):
            notes.append(
                _(
                    "This criteria set expired on {date}; it keeps working, but ask "
                    "the province for the new version."
                ).format(date=format_date(pack.expires))
            )
        notes.append(
            _("Version {version} of {number} ({issuer}).").format(
                version=pack.version, number=pack.legal_basis.number, issuer=pack.legal_basis.issuer
            )
        )
        self.banner.setText("\n".join(notes))
        self.banner.setStyleSheet("background: #fff4d6; padding: 6px;" if pack.draft else "")
        self.score.setText(_("Met {met}/{total} criteria").format(met=view.met, total=view.total))
        earned, possible = view.points
        self.points.setText(
            _("Points: {earned} of {possible}. Evaluated up to month {month}.").format(
                earned=format_number(earned),
                possible=format_number(possible),
                month=view.as_of_month,
            )
            if possible
            else _("Evaluated up to month {month}.").format(month=view.as_of_month)
        )
        self.chart.set_data(view.trend, len(view.criteria))
        self.groups_model.set_rows(view.groups)
        newer = view.newest_version > view.pack.version
        self.migrate_button.setVisible(newer)
        self.migrate_button.setText(
            _("Move to version {version}…").format(version=view.newest_version)
        )

    # --- actions -------------------------------------------------------------------------

    def edit(self, row: int) -> None:
        item = self.model.criterion_at(row)
        if item is None or self.view is None:
            return
        dialog = CriterionDialog(item, self.records, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        finding = dialog.finding()
        with errors_shown(self):
            self.service.set_item(
                self.view.id,
                item.criterion.code,
                status=finding.status,
                points=finding.points,
                evidence=finding.evidence,
                links=finding.links,
            )
        self.refresh()

    def migrate(self) -> None:
        if self.view is None:
            return
        current, newest, diff = self.service.migration_preview(self.view.id)
        details = _("Criteria added: {added}. Changed: {changed}. Removed: {removed}.").format(
            added=", ".join(diff.criteria_added) or "0",
            changed=", ".join(diff.criteria_changed) or "0",
            removed=", ".join(diff.criteria_removed) or "0",
        )
        if not confirm(
            self,
            _("Move the assessment"),
            _(
                "Move the {year} assessment from version {current} to version "
                "{newest}? Findings on removed criteria are set aside."
            ).format(year=self.view.year, current=current, newest=newest),
            yes=_("Move"),
            detail=details,
        ):
            return
        with errors_shown(self) as attempt:
            self.service.migrate(self.view.id, newest)
        if attempt.failed:
            return
        inform(
            self,
            _("Assessment moved"),
            _("The assessment now uses version {version}.").format(version=newest),
        )
        self.refresh()
