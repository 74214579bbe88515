"""The chief's finding on one criterion: result, points, evidence notes and linked records."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.core.domain.assessment_views import CriterionView
from app.core.domain.formatting import format_value
from app.core.domain.packs.model import Scoring
from app.core.domain.records import KINDS, ListQuery, kind_by_code
from app.core.services.records import RecordService
from app.i18n import _
from app.ui.models.assessment_model import STATUS

LINK_ROLE = Qt.ItemDataRole.UserRole + 10


@dataclass(frozen=True)
class Finding:
    status: str | None
    points: float | None
    evidence: str
    links: tuple[tuple[str, str], ...]


SEARCH_LIMIT = 200


class CriterionDialog(QDialog):
    def __init__(
        self, item: CriterionView, records: RecordService, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.item = item
        self.records = records
        criterion = item.criterion
        self.setObjectName("criterion_dialog")
        self.setWindowTitle(_("Criterion {code}").format(code=criterion.code))
        self.setMinimumWidth(720)
        layout = QVBoxLayout(self)
        self._add_heading(layout)
        layout.addLayout(self._finding_form())

        layout.addWidget(QLabel(_("Linked records (evidence from the ward's lists):"), self))
        self.links = QListWidget(self)
        self.links.setObjectName("links")
        for link in item.links:
            entry = QListWidgetItem(f"{_(kind_by_code(link.kind).singular)}: {link.label}")
            entry.setData(LINK_ROLE, (link.kind, link.uuid))
            self.links.addItem(entry)
        layout.addWidget(self.links)
        layout.addLayout(self._link_picker())

        buttons = QDialogButtonBox(self)
        buttons.addButton(_("Save"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(_("Cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _add_heading(self, layout: QVBoxLayout) -> None:
        """The criterion's code and title, its guidance, and what the automatic rule found."""
        item, criterion = self.item, self.item.criterion
        heading = QLabel(f"<b>{criterion.code}.</b> {criterion.title}", self)
        heading.setWordWrap(True)
        layout.addWidget(heading)
        if criterion.guidance:
            guidance = QLabel(criterion.guidance, self)
            guidance.setWordWrap(True)
            layout.addWidget(guidance)
        if item.auto is not None:
            auto = QLabel(_("Automatic evaluation: {reason}").format(reason=item.auto.reason), self)
            auto.setWordWrap(True)
            auto.setStyleSheet("color: #0b3d91;")
            layout.addWidget(auto)

    def _finding_form(self) -> QFormLayout:
        """Result, points (for a points criterion) and evidence notes."""
        item, criterion = self.item, self.item.criterion
        form = QFormLayout()
        self.status = QComboBox(self)
        self.status.setObjectName("status")
        self.status.addItem(
            _("As evaluated automatically") if item.auto else _("Not assessed yet"), None
        )
        for code in ("met", "not_met", "not_applicable"):
            self.status.addItem(_(STATUS[code]), code)
        self.status.setCurrentIndex(max(0, self.status.findData(item.manual_status)))
        form.addRow(_("Result"), self.status)
        self.points = QDoubleSpinBox(self)
        self.points.setObjectName("points")
        self.points.setDecimals(1)
        self.points.setRange(0, criterion.max_points)
        self.points.setValue(item.points or 0)
        if criterion.scoring is Scoring.POINTS:
            form.addRow(
                _("Points (out of {maximum})").format(maximum=criterion.max_points), self.points
            )
        else:
            self.points.hide()
        self.evidence = QPlainTextEdit(item.evidence, self)
        self.evidence.setObjectName("evidence")
        self.evidence.setFixedHeight(80)
        self.evidence.setTabChangesFocus(True)
        form.addRow(_("Evidence"), self.evidence)
        return form

    def _link_picker(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.kind = QComboBox(self)
        for kind in KINDS:
            self.kind.addItem(_(kind.title), kind.code)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(_("Search (tone marks optional)…"))
        self.found = QComboBox(self)
        self.found.setObjectName("found")
        self.found.setMinimumWidth(280)
        add = QDialogButtonBox(self)
        add_button = add.addButton(_("Link"), QDialogButtonBox.ButtonRole.ActionRole)
        add_button.clicked.connect(self.add_link)
        remove_button = add.addButton(_("Remove link"), QDialogButtonBox.ButtonRole.ActionRole)
        remove_button.clicked.connect(self.remove_link)
        self.kind.currentIndexChanged.connect(lambda _i: self.find_records())
        self.search.textChanged.connect(lambda _t: self.find_records())
        for widget in (self.kind, self.search, self.found):
            row.addWidget(widget)
        row.addWidget(add)
        self.find_records()
        return row

    def find_records(self) -> None:
        kind = kind_by_code(self.kind.currentData())
        ids = self.records.list_ids(kind.code, ListQuery(search=self.search.text()))
        self.found.clear()
        first = kind.fields[0]
        second = kind.fields[1]
        for row in self.records.fetch(kind.code, ids[:SEARCH_LIMIT]):
            label = " – ".join(
                t
                for t in (
                    format_value(first, row.values[first.name]),
                    format_value(second, row.values[second.name]),
                )
                if t
            )
            self.found.addItem(label, (kind.code, row.uuid, label))

    def add_link(self) -> None:
        data = self.found.currentData()
        if not data:
            return
        kind, record_uuid, label = data
        if record_uuid in {link[1] for link in self.linked()}:
            return
        entry = QListWidgetItem(f"{_(kind_by_code(kind).singular)}: {label}")
        entry.setData(LINK_ROLE, (kind, record_uuid))
        self.links.addItem(entry)

    def remove_link(self) -> None:
        for entry in self.links.selectedItems():
            self.links.takeItem(self.links.row(entry))

    def linked(self) -> list[tuple[str, str]]:
        links = []
        for row in range(self.links.count()):
            kind, record_uuid = self.links.item(row).data(LINK_ROLE)
            links.append((str(kind), str(record_uuid)))
        return links

    def finding(self) -> Finding:
        points = self.points.value() if self.item.criterion.scoring is Scoring.POINTS else None
        return Finding(
            self.status.currentData(), points, self.evidence.toPlainText(), tuple(self.linked())
        )
