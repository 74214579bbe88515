"""One line on a screen: whether what it shows is approved, changed since approval, or not, and
the chief's "Approve…" button (the station key's passphrase signs the approval)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from app.core.domain.access import Actor, Permission
from app.core.domain.errors import UserFacingError
from app.core.services import approvals
from app.core.services.approvals import ApprovalService, ApprovalState
from app.core.services.storage import Database
from app.core.services.sync.keys import unlock_station_keys
from app.i18n import _
from app.ui.errors import present_error
from app.ui.widgets.sync_page import ask_passphrase

COLOURS = {
    approvals.NONE: "#555555",
    approvals.APPROVED: "#1b5e20",
    approvals.CHANGED: "#b26a00",
    approvals.INVALID: "#b00020",
    approvals.UNCHECKED: "#555555",
}


class ApprovalBar(QWidget):
    """``subject`` is fixed; ``current_key`` says what the screen shows now (None: nothing
    that can be approved, e.g. a quarter view of the indicators); ``narrative`` gives a
    report's narrative as edited on the screen."""

    def __init__(
        self,
        db: Database,
        actor: Actor | None,
        subject: str,
        current_key: Callable[[], str | None],
        parent: QWidget | None = None,
        narrative: Callable[[], Mapping[str, str]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(f"approval_{subject}")
        self.service = ApprovalService(db, actor=actor)
        self.subject = subject
        self.current_key = current_key
        # a report's narrative as the screen shows it: approved and checked with the figures
        self.narrative = narrative
        # for tests and scripted use: returns the station key's passphrase, or None
        self.ask_passphrase: Callable[[], str | None] = lambda: ask_passphrase(self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel(self)
        self.label.setObjectName("approval_state")
        self.label.setWordWrap(True)
        self.button = QPushButton(_("Approve…"), self)
        self.button.setObjectName("approve_button")
        self.button.clicked.connect(lambda: self.approve())
        self.button.setVisible(actor is None or actor.can(Permission.APPROVE))
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
        self.state: ApprovalState | None = None

    def refresh(self) -> None:
        key = self.current_key()
        self.setVisible(key is not None)
        if key is None:
            return
        try:
            self.state = self.service.state(self.subject, key, self._narrative())
        except UserFacingError as error:  # e.g. an assessment that no longer exists
            self.label.setText(error.message)
            return
        self.label.setText(self.state.label)
        colour = COLOURS[self.state.state]
        self.label.setStyleSheet(f"color: {colour}; font-weight: 600;")
        self.button.setText(
            _("Approve again…") if self.state.state != approvals.NONE else _("Approve…")
        )

    def _narrative(self) -> Mapping[str, str] | None:
        return None if self.narrative is None else self.narrative()

    def approve(self) -> None:
        key = self.current_key()
        if key is None:
            return
        passphrase = self.ask_passphrase()
        if passphrase is None:
            return
        try:
            keys = unlock_station_keys(self.service.db.path, passphrase)
            self.state = self.service.approve(self.subject, key, keys, self._narrative())
        except UserFacingError as error:
            present_error(self, error)
            return
        self.refresh()
