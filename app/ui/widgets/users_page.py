"""User accounts, for the administrator: add an officer or a chief, reset a forgotten password,
disable an account, change a role. Every change is checked by ``Accounts`` itself, which asks
for the administrator's own login, so this screen cannot do more than the role allows."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.domain.access import Actor, Role, role_label
from app.core.domain.errors import UserFacingError
from app.core.services.accounts import Accounts, LoginResult, UserInfo
from app.i18n import _
from app.ui.errors import inform, present_error
from app.ui.models.backup_model import UserTableModel
from app.ui.models.row_model import RowSortProxy
from app.ui.widgets.common import table_view
from app.ui.widgets.sync_page import title_label


class AdminPasswordDialog(QDialog):
    """The administrator's password again: changing accounts needs the unlocked key."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Confirm with your password"))
        form = QFormLayout(self)
        self.password = QLineEdit(self)
        self.password.setObjectName("admin_password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(_("Your password"), self.password)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


class AddUserDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("add_user_dialog")
        self.setWindowTitle(_("Add a user"))
        self.setMinimumWidth(460)
        form = QFormLayout(self)
        self.username = QLineEdit(self)
        self.username.setObjectName("new_username")
        self.display_name = QLineEdit(self)
        self.display_name.setObjectName("new_display_name")
        self.role = QComboBox(self)
        self.role.setObjectName("new_role")
        for role in (Role.OFFICER, Role.CHIEF, Role.ADMIN):
            self.role.addItem(role_label(role), role.value)
        self.password = QLineEdit(self)
        self.password.setObjectName("temporary_password")
        form.addRow(_("User name"), self.username)
        form.addRow(_("Full name"), self.display_name)
        form.addRow(_("Role"), self.role)
        form.addRow(_("Temporary password"), self.password)
        note = QLabel(_("The user must choose their own password at the first login."), self)
        note.setWordWrap(True)
        form.addRow(note)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


class UsersPage(QWidget):
    def __init__(self, db_path: Path, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page_users")
        self.accounts = Accounts(db_path)
        self.actor = actor
        # the administrator's unlocked login, asked for once on the first change
        self._admin: LoginResult | None = None
        # for tests and scripted use: returns the administrator's password, or None
        self.ask_password = self._ask_password
        layout = QVBoxLayout(self)
        layout.addWidget(title_label(_("User accounts"), self))
        bar = QHBoxLayout()
        self.add_button = QPushButton(_("Add a user…"), self)
        self.add_button.clicked.connect(lambda: self.add_user())
        self.reset_button = QPushButton(_("Reset the password…"), self)
        self.reset_button.clicked.connect(lambda: self.reset_password())
        self.disable_button = QPushButton(_("Disable / enable"), self)
        self.disable_button.clicked.connect(lambda: self.toggle_disabled())
        for button in (self.add_button, self.reset_button, self.disable_button):
            bar.addWidget(button)
        bar.addStretch(1)
        layout.addLayout(bar)
        self.model = UserTableModel(self)
        self.proxy = RowSortProxy(self.model, self)
        self.table = table_view(self, self.proxy, "users_table", sortable=True)
        layout.addWidget(self.table, 1)
        self.users: list[UserInfo] = []
        self.refresh()

    def refresh(self) -> None:
        self.users = self.accounts.users()
        self.model.set_rows(self.users)

    def selected(self) -> UserInfo | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(self.proxy.source_row(rows[0].row())) if rows else None

    def _ask_password(self) -> str | None:
        dialog = AdminPasswordDialog(self)
        return dialog.password.text() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def _admin_login(self) -> LoginResult | None:
        if self._admin is None:
            password = self.ask_password()
            if password is None:
                return None
            self._admin = self.accounts.login(self.actor.username, password)
        return self._admin

    def add_user(
        self,
        username: str | None = None,
        display_name: str = "",
        role: Role = Role.OFFICER,
        temporary_password: str = "",
    ) -> None:
        if username is None:
            dialog = AddUserDialog(self)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            username, display_name = dialog.username.text(), dialog.display_name.text()
            role, temporary_password = Role(dialog.role.currentData()), dialog.password.text()
        try:
            admin = self._admin_login()
            if admin is None:
                return
            self.accounts.add_user(admin, username, display_name, role, temporary_password)
        except UserFacingError as error:
            present_error(self, error)
            return
        self.refresh()
        inform(
            self,
            _("User accounts"),
            _("The account {name} was added.").format(name=username),
            _("Give the temporary password to its owner in person."),
        )

    def reset_password(self, temporary_password: str | None = None) -> None:
        user = self.selected()
        if user is None:
            return
        if temporary_password is None:
            text, ok = QInputDialog.getText(
                self,
                _("Reset the password"),
                _("Temporary password for {name}:").format(name=user.username),
            )
            if not ok:
                return
            temporary_password = text
        try:
            admin = self._admin_login()
            if admin is None:
                return
            self.accounts.reset_password(admin, user.username, temporary_password)
        except UserFacingError as error:
            present_error(self, error)
            return
        self.refresh()
        inform(
            self,
            _("User accounts"),
            _("The password of {name} was reset and the lock-out cleared.").format(
                name=user.username
            ),
            _("The user must choose a new password at the next login."),
        )

    def toggle_disabled(self) -> None:
        user = self.selected()
        if user is None:
            return
        try:
            admin = self._admin_login()
            if admin is None:
                return
            self.accounts.set_disabled(admin, user.username, not user.disabled)
        except UserFacingError as error:
            present_error(self, error)
            return
        self.refresh()
