"""The demo's accounts on its login screen: each role's user name and password with a button
that fills them in, and the station key's passphrase the chief approves with. Only shown for a
card ``app.core.services.demo_accounts.read_card`` vouched for, i.e. on the demo database only."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QPushButton, QWidget

from app.core.domain.access import role_label
from app.core.services.demo_accounts import DemoAccount, DemoCard
from app.i18n import _


class DemoCardBox(QGroupBox):
    """``account_chosen(username, password)`` when one of the "Use" buttons is pressed."""

    account_chosen = Signal(str, str)

    def __init__(self, card: DemoCard, parent: QWidget | None = None) -> None:
        super().__init__(_("Demo data: try each role with these accounts"), parent)
        self.setObjectName("demo_card")
        self.setStyleSheet("QGroupBox#demo_card { font-weight: 600; }")
        grid = QGridLayout(self)
        for column, title in enumerate((_("Role"), _("User name"), _("Password"))):
            header = QLabel(title, self)
            header.setStyleSheet("color: #555555;")
            grid.addWidget(header, 0, column)
        for row, account in enumerate(card.accounts, start=1):
            self._add_row(grid, row, account)
        if card.key_passphrase is not None:
            key = QLabel(
                _("Station key passphrase, asked when the chief approves: {passphrase}").format(
                    passphrase=card.key_passphrase
                ),
                self,
            )
            key.setObjectName("demo_key_passphrase")
            key.setWordWrap(True)
            grid.addWidget(key, len(card.accounts) + 1, 0, 1, 4)
        note = QLabel(_("These accounts exist only in the demo database, never on a station."))
        note.setWordWrap(True)
        note.setStyleSheet("color: #555555; font-weight: normal;")
        grid.addWidget(note, len(card.accounts) + 2, 0, 1, 4)

    def _add_row(self, grid: QGridLayout, row: int, account: DemoAccount) -> None:
        for column, text in enumerate(
            (role_label(account.role), account.username, account.password)
        ):
            label = QLabel(text, self)
            label.setStyleSheet("font-weight: normal;")
            grid.addWidget(label, row, column)
        use = QPushButton(_("Use"), self)
        use.setObjectName(f"demo_use_{account.username}")
        use.setAutoDefault(False)
        use.clicked.connect(lambda: self.account_chosen.emit(account.username, account.password))
        grid.addWidget(use, row, 3)
