"""The audit trail: the latest changes (who, when, what, old → new) and a check of the chain."""

from __future__ import annotations

import json

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.core.audit_service import verify
from app.db import audit
from app.db.engine import Database
from app.i18n import N_, _
from app.ui.widgets.packs_page import _fill, _table
from app.ui.widgets.sync_page import title_label

ACTIONS = {
    "create": N_("added"),
    "update": N_("edited"),
    "delete": N_("deleted"),
    "restore": N_("restored"),
    "import": N_("bundle imported"),
}
SHOWN = 500


TABLES = {
    "indicator_values": N_("Monthly indicators"),
    "period_locks": N_("Monthly indicators"),
    "assessments": N_("Self-assessment"),
    "assessment_items": N_("Self-assessment"),
    "sync_inbox": N_("Sync bundles"),
}


def _table_title(name: str) -> str:
    from app.core.kind_titles import KIND_TITLES
    from app.sync.changes import KIND_OF_TABLE

    code = KIND_OF_TABLE.get(name)
    if code is not None:
        return _(KIND_TITLES[code][0])
    return _(TABLES[name]) if name in TABLES else name


def _labels(table: str) -> dict[str, str]:
    from app.core.records import kind_by_code
    from app.sync.changes import KIND_OF_TABLE

    code = KIND_OF_TABLE.get(table)
    labels = {"deleted_at": _("deleted at"), "notes": _("Notes")}
    if code is not None:
        labels.update({spec.name: _(spec.label) for spec in kind_by_code(code).fields})
    return labels


def _describe(table: str, changes: str) -> str:
    labels = _labels(table)
    parts = []
    for name, (old, new) in json.loads(changes).items():
        field = labels.get(name, name)
        if old is None:
            parts.append(f"{field}: {new}")
        else:
            parts.append(f"{field}: {old} → {new}")
    text = "; ".join(parts)
    return text if len(text) <= 300 else text[:299] + "…"


class AuditPage(QWidget):
    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.setObjectName("page_audit")
        layout = QVBoxLayout(self)
        layout.addWidget(title_label(_("Audit trail"), self))
        bar = QHBoxLayout()
        self.check_button = QPushButton(_("Check the chain"), self)
        self.check_button.clicked.connect(self.check)
        bar.addWidget(self.check_button)
        self.result = QLabel(self)
        self.result.setObjectName("audit_result")
        self.result.setWordWrap(True)
        bar.addWidget(self.result, 1)
        layout.addLayout(bar)
        layout.addWidget(QLabel(_("The latest {n} changes, newest first:").format(n=SHOWN), self))
        self.table = _table(
            self, [_("No."), _("Time"), _("By"), _("Action"), _("Record"), _("What changed")]
        )
        self.table.setObjectName("audit_log")
        layout.addWidget(self.table, 1)
        self.refresh()

    def refresh(self) -> None:
        with self.db.read() as session:
            rows = [
                [
                    str(e.id),
                    e.at.astimezone().strftime("%d/%m/%Y %H:%M:%S"),
                    e.actor,
                    _(ACTIONS.get(e.action, e.action)),
                    _table_title(e.table_name),
                    _describe(e.table_name, e.changes),
                ]
                for e in audit.entries(session, SHOWN)
            ]
        _fill(self.table, rows)

    def check(self) -> None:
        result = verify(self.db)
        if result.ok:
            self.result.setStyleSheet("color: #1b5e20;")
            self.result.setText(_("Audit trail intact: {n} entries.").format(n=result.entries))
        else:
            self.result.setStyleSheet("color: #b00020; font-weight: 600;")
            self.result.setText(
                _("The audit trail is broken: {problem}").format(problem=result.problem)
            )
