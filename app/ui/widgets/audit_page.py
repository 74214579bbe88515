"""The audit trail: the latest changes (who, when, what, old → new) and a check of the chain."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.core.domain.progress import CancelToken
from app.core.services.audit import AuditCheck, latest_entries, verify
from app.core.services.storage import Database
from app.i18n import _
from app.ui.models.audit_model import AuditEntryModel, AuditLine
from app.ui.models.row_model import RowSortProxy
from app.ui.ops import Operation, Progress, run_in_background
from app.ui.widgets.common import table_view
from app.ui.widgets.sync_page import title_label

SHOWN = 500


class AuditPage(QWidget):
    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.setObjectName("page_audit")
        self._operation: Operation[AuditCheck] | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(title_label(_("Audit trail"), self))
        bar = QHBoxLayout()
        self.check_button = QPushButton(_("Check the chain"), self)
        self.check_button.clicked.connect(lambda: self.check())
        bar.addWidget(self.check_button)
        self.result = QLabel(self)
        self.result.setObjectName("audit_result")
        self.result.setWordWrap(True)
        bar.addWidget(self.result, 1)
        layout.addLayout(bar)
        layout.addWidget(QLabel(_("The latest {n} changes, newest first:").format(n=SHOWN), self))
        self.model = AuditEntryModel(self)
        self.table = table_view(self, RowSortProxy(self.model, self), "audit_log", sortable=True)
        layout.addWidget(self.table, 1)
        self.refresh()

    def refresh(self) -> None:
        rows = [
            AuditLine(e.entry_id, e.at, e.actor, e.action, e.table_name, e.changes)
            for e in latest_entries(self.db, SHOWN)
        ]
        self.model.set_rows(rows)

    def check(self) -> None:
        """Check the whole chain in the background: a long trail takes seconds to hash."""
        if self.checking():
            return
        db = self.db

        def work(_progress: Progress, _token: CancelToken) -> AuditCheck:
            return verify(db)

        self.check_button.setEnabled(False)
        self.result.setStyleSheet("color: #555;")
        self.result.setText(_("Checking the audit trail…"))
        self._operation = run_in_background(
            work,
            parent=self,
            on_done=lambda result: show_check(self.result, result),
            on_error=self._check_failed,
            on_end=lambda: self.check_button.setEnabled(True),
        )

    def checking(self) -> bool:
        return self._operation is not None and self._operation.running

    def _check_failed(self, error: BaseException) -> None:
        from app.ui.errors import present_error

        self.result.setText("")
        present_error(self, error)


def show_check(label: QLabel, result: AuditCheck) -> None:
    """The result of a chain check, green when intact, red with the first break otherwise."""
    if result.ok:
        label.setStyleSheet("color: #1b5e20;")
        label.setText(_("Audit trail intact: {n} entries.").format(n=result.entries))
    else:
        label.setStyleSheet("color: #b00020; font-weight: 600;")
        label.setText(_("The audit trail is broken: {problem}").format(problem=result.problem))
