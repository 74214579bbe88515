"""Monthly indicators: choose a period, type the month's figures, see them against the same
period last year, fix contradictions, complete and lock the month."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.domain.access import Actor
from app.core.domain.errors import ValidationError
from app.core.domain.formatting import format_date
from app.core.domain.periods import Span
from app.core.services.indicators import IndicatorService
from app.core.services.storage import Database
from app.i18n import N_, _
from app.ui.errors import confirm, inform
from app.ui.models.indicator_grid_model import (
    CHANGE,
    CHANGE_PCT,
    CODE,
    COMMENT,
    LAST_YEAR,
    NAME,
    UNIT,
    VALUE,
    YEAR_TO_DATE,
    IndicatorGridModel,
)
from app.ui.widgets.common import errors_shown

SPANS = (
    (Span.MONTH, N_("Month")),
    (Span.QUARTER, N_("Quarter")),
    (Span.HALF, N_("6 months")),
    (Span.NINE_MONTHS, N_("9 months")),
    (Span.YEAR, N_("Year")),
)


class IndicatorPage(QWidget):
    def __init__(
        self,
        db: Database,
        today: Callable[[], date],
        parent: QWidget | None = None,
        actor: Actor | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("page_indicators")
        self.service = IndicatorService(db, today=today, actor=actor)
        self.model = IndicatorGridModel(self._edit, self)
        year, month = self.service.current_month()
        self.db, self.actor = db, actor
        self._build(year, month)
        self.refresh()

    def _build(self, year: int, month: int) -> None:
        layout = QVBoxLayout(self)
        title = QLabel(_("Monthly indicators"), self)
        title.setStyleSheet("font-size: 16pt; font-weight: 600;")
        layout.addWidget(title)
        layout.addLayout(self._period_bar(year, month))

        self.state = QLabel(self)
        self.state.setObjectName("state")
        self.state.setWordWrap(True)
        layout.addWidget(self.state)
        layout.addWidget(self._approval_bar())
        layout.addWidget(self._grid(), 1)

        self.problems = QLabel(self)
        self.problems.setObjectName("problems")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #b00020;")
        layout.addWidget(self.problems)

        self.year.valueChanged.connect(lambda _value: self.refresh())
        self.span.currentIndexChanged.connect(self._span_changed)
        self.index.currentIndexChanged.connect(lambda _i: self.refresh())

    def _period_bar(self, year: int, month: int) -> QHBoxLayout:
        """Year, view (month, quarter…) and which one; export and lock on the right."""
        bar = QHBoxLayout()
        self.year = QSpinBox(self)
        self.year.setRange(2000, 2100)
        self.year.setValue(year)
        self.span = QComboBox(self)
        for span, label in SPANS:
            self.span.addItem(_(label), span)
        self.index = QComboBox(self)
        self._fill_index(month)
        self.period_label = QLabel(self)
        self.lock_button = QPushButton(self)
        self.lock_button.clicked.connect(self.toggle_lock)
        self.export_button = QPushButton(_("Export to Excel…"), self)
        self.export_button.clicked.connect(lambda: self.export())
        for widget in (
            QLabel(_("Year"), self),
            self.year,
            QLabel(_("View"), self),
            self.span,
            self.index,
            self.period_label,
        ):
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.export_button)
        bar.addWidget(self.lock_button)
        return bar

    def _approval_bar(self) -> QWidget:
        """The chief's approval of the month shown (none for a quarter or a year)."""
        from app.core.services import approvals
        from app.ui.widgets.approval_bar import ApprovalBar

        def month_shown() -> str | None:
            year, span, index = self.selection()
            return approvals.month_key(year, index) if span is Span.MONTH else None

        self.approval = ApprovalBar(self.db, self.actor, approvals.MONTH, month_shown, self)
        return self.approval

    def _grid(self) -> QTableView:
        self.table = QTableView(self)
        self.table.setObjectName("grid")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        widths = {
            CODE: 50,
            NAME: 360,
            UNIT: 70,
            VALUE: 80,
            LAST_YEAR: 130,
            CHANGE: 75,
            CHANGE_PCT: 75,
            YEAR_TO_DATE: 95,
            COMMENT: 200,
        }
        for column in range(self.model.columnCount()):
            self.table.setColumnWidth(column, widths.get(column, 100))
        return self.table

    def _fill_index(self, current: int = 1) -> None:
        span = self.span.currentData()
        self.index.blockSignals(True)
        self.index.clear()
        if span is Span.MONTH:
            for month in range(1, 13):
                self.index.addItem(_("Month {month}").format(month=month), month)
        elif span is Span.QUARTER:
            for quarter in range(1, 5):
                self.index.addItem(_("Quarter {quarter}").format(quarter=quarter), quarter)
        else:
            self.index.addItem("", 1)
        self.index.setCurrentIndex(max(0, self.index.findData(current)))
        self.index.setVisible(span in (Span.MONTH, Span.QUARTER))
        self.index.blockSignals(False)

    def _span_changed(self) -> None:
        self._fill_index()
        self.refresh()

    # --- state ---------------------------------------------------------------------------

    def selection(self) -> tuple[int, Span, int]:
        return self.year.value(), self.span.currentData(), self.index.currentData() or 1

    def refresh(self) -> None:
        year, span, index = self.selection()
        grid = self.service.grid(year, span, index)
        self.model.set_grid(grid)
        self.period_label.setText(
            _("{label}: {start} – {end}").format(
                label=grid.period.label,
                start=format_date(grid.period.start),
                end=format_date(grid.period.end),
            )
        )
        if span is not Span.MONTH:
            self.state.setText(
                _(
                    "Totals over the months of the period, by each indicator's "
                    "rule (sum, latest value or ratio). Figures are typed per "
                    "month."
                )
            )
            self.lock_button.hide()
        elif grid.locked:
            self.state.setText(_("This month is complete and locked. Unlocking is recorded."))
            self.lock_button.setText(_("Unlock…"))
            self.lock_button.show()
        else:
            self.state.setText(
                _(
                    "Double-click a value to type it; grey values are computed. "
                    "Lock the month when its figures are complete."
                )
            )
            self.lock_button.setText(_("Complete and lock the month"))
            self.lock_button.show()
        self.problems.setText("\n".join(f"• {message}" for message in grid.violations))
        self.approval.refresh()
        from app.core.domain.access import Permission
        from app.ui.permissions import restrict

        restrict(self.actor, Permission.LOCK_PERIOD, self.lock_button)
        if self.actor is not None and not self.actor.can(Permission.EDIT_INDICATORS):
            self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        expired = [
            pack.title for pack in self.service.packs() if pack.is_expired(self.service.today())
        ]
        if expired:
            self.state.setText(
                self.state.text()
                + "\n"
                + _(
                    'The indicator set "{title}" has expired; it keeps working, but ask the '
                    "province for the new version."
                ).format(title=expired[0])
            )

    # --- editing -------------------------------------------------------------------------

    def _edit(self, code: str, value: str | None, comment: str | None) -> None:
        year, _span, month = self.selection()
        with errors_shown(self) as attempt:
            try:
                if value is not None:
                    self.service.set_value(year, month, code, value)
                elif comment is not None:
                    self.service.set_comment(year, month, code, comment)
            except ValidationError as error:  # shown under the grid, not in a box
                self.problems.setText("\n".join(f"• {m}" for m in error.field_errors.values()))
                return
        if attempt.failed:
            return
        self.refresh()

    def toggle_lock(self) -> None:
        year, _span, month = self.selection()
        with errors_shown(self):
            if self.service.is_locked(year, month):
                reason, ok = QInputDialog.getText(
                    self,
                    _("Unlock the month"),
                    _("Why must month {month}/{year} be unlocked? The reason is recorded.").format(
                        month=month, year=year
                    ),
                )
                if not ok:
                    return
                self.service.unlock(year, month, reason)
            elif confirm(
                self,
                _("Complete and lock"),
                _(
                    "Lock month {month}/{year}? Its figures can then no longer be "
                    "changed without unlocking."
                ).format(month=month, year=year),
                yes=_("Lock"),
            ):
                self.service.lock(year, month)
        self.refresh()

    def export(self, path: Path | None = None) -> None:
        """The grid of the chosen period as an Excel workbook."""
        from app.core.services import profile
        from app.core.services.spreadsheet import export_indicator_grid

        if path is None:
            name, _filter = QFileDialog.getSaveFileName(
                self, _("Export to Excel"), "chi-tieu.xlsx", _("Excel workbook (*.xlsx)")
            )
            if not name:
                return
            path = Path(name)
        year, span, index = self.selection()
        with errors_shown(self) as attempt:
            grid = self.service.grid(year, span, index)
            export_indicator_grid(grid, path, profile.load(self.service.db).unit.name)
        if attempt.failed:
            return
        inform(
            self,
            _("Export finished"),
            _("Exported {count} rows to {path}.").format(count=len(grid.rows), path=path),
        )
