"""What installing a verified repository would change, pack by pack, before the officer agrees."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.core.services.packs import Inspection, PackPlan
from app.i18n import _
from app.ui.models.pack_models import PackPlanModel
from app.ui.widgets.common import table_view


def _details(plan: PackPlan) -> str:
    diff = plan.diff
    parts = []
    for label, codes in (
        (_("Criteria added"), diff.criteria_added),
        (_("Criteria changed"), diff.criteria_changed),
        (_("Criteria removed"), diff.criteria_removed),
        (_("Indicators added"), diff.indicators_added),
        (_("Indicators changed"), diff.indicators_changed),
        (_("Indicators removed"), diff.indicators_removed),
    ):
        if codes:
            parts.append(f"{label}: {', '.join(codes)}")
    return "\n".join(parts)


def _warnings(inspection: Inspection) -> list[str]:
    warnings = []
    if inspection.development_root:
        warnings.append(_("Signed with the DEVELOPMENT keys: for demos and training only."))
    if inspection.clock_behind:
        warnings.append(
            _(
                "The computer's clock is behind a date this station has "
                "already seen. Correct the clock; expiry checks use the later "
                "date."
            )
        )
    if not inspection.installable:
        warnings.append(_("No pack on this drive can be installed; the table says why."))
    return warnings


class PackInstallDialog(QDialog):
    def __init__(self, inspection: Inspection, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pack_install_dialog")
        self.setWindowTitle(_("Install criteria packs"))
        self.resize(900, 520)
        layout = QVBoxLayout(self)
        intro = QLabel(
            _(
                "The packs in {folder} are signed correctly. This is what installing "
                "them would change:"
            ).format(folder=inspection.source),
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        warnings = _warnings(inspection)
        if warnings:
            warning = QLabel("\n".join(warnings), self)
            warning.setObjectName("warning")
            warning.setWordWrap(True)
            warning.setStyleSheet("background: #fde7e9; padding: 4px;")
            layout.addWidget(warning)
        self.model = PackPlanModel(self)
        self.model.set_rows(inspection.plans)
        table = table_view(self, self.model, "plans")
        table.setWordWrap(True)
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        # long pack titles wrap: each row as tall as its text
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        text = [
            f"{plan.pack.pack_id} v{plan.pack.version}\n{details}"
            for plan in inspection.plans
            if plan.installable and (details := _details(plan))
        ]
        layout.addWidget(table, 1)
        changes = QPlainTextEdit("\n\n".join(text) or _("No changes."), self)
        changes.setObjectName("changes")
        changes.setReadOnly(True)
        layout.addWidget(changes, 1)
        buttons = QDialogButtonBox(self)
        self.install_button = buttons.addButton(
            _("Install"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.install_button.setEnabled(bool(inspection.installable))
        buttons.addButton(_("Close"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
