"""Logging in: the login box at start and after the auto-lock, the first administrator's
account with its recovery code, and the forced password change after a reset."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.domain.access import role_label
from app.core.services.accounts import MIN_PASSWORD, Accounts, LoginResult
from app.i18n import _
from app.ui.dialogs.login_fields import (
    error_label,
    password_field,
    passwords_differ,
    submit_in_background,
)
from app.ui.errors import confirm
from app.ui.ops import GuardedDialog

if TYPE_CHECKING:
    from app.core.services.demo_accounts import DemoCard


class LoginDialog(GuardedDialog):
    """User name and password; the result holds the actor and the database key.

    ``locked``: the lock screen over open windows. Esc does nothing there, and closing
    ModelWard from it (the button or the window's close box) asks first: the windows behind it
    may hold input that is not saved yet, and "No" keeps all of it."""

    def __init__(
        self,
        accounts: Accounts,
        parent: QWidget | None = None,
        *,
        username: str | None = None,
        locked: bool = False,
        demo: DemoCard | None = None,
    ) -> None:
        super().__init__(parent)
        self.accounts = accounts
        self.locked = locked
        self.result_login: LoginResult | None = None
        self.recovery: QDialog | None = None  # the "forgot the password" dialog, once opened
        self.setObjectName("login_dialog")
        self.setWindowTitle(_("ModelWard is locked") if locked else _("Log in to ModelWard"))
        self.setMinimumWidth(440)
        layout = QVBoxLayout(self)
        intro = QLabel(
            _("The screen was locked after a time without use. Log in to go on.")
            if locked
            else _("Choose your account and type your password."),
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addLayout(self._account_form(username))
        self.card: QWidget | None = None
        if demo is not None:  # vouched for by the demo database itself (demo_accounts)
            from app.ui.widgets.demo_card import DemoCardBox

            card = DemoCardBox(demo, self)
            card.account_chosen.connect(self.use_account)
            layout.addWidget(card)
            self.card = card
        self.error = error_label(self)
        layout.addWidget(self.error)
        self.forgot: QPushButton | None = None
        if not locked:  # the lock screen keeps its user; recovery is for the start
            self.forgot = self._forgot_button()
            layout.addWidget(self.forgot)
        layout.addWidget(self._buttons())
        self.password.setFocus()

    def _account_form(self, username: str | None) -> QFormLayout:
        form = QFormLayout()
        self.user = QComboBox(self)
        self.user.setObjectName("username")
        self.user.setEditable(True)
        for info in self.accounts.users():
            if not info.disabled:
                self.user.addItem(f"{info.display_name} ({role_label(info.role)})", info.username)
        if username is not None:
            index = self.user.findData(username)
            if index >= 0:
                self.user.setCurrentIndex(index)
        self.password = password_field(self, "password")
        form.addRow(_("Account"), self.user)
        form.addRow(_("Password"), self.password)
        return form

    def _forgot_button(self) -> QPushButton:
        forgot = QPushButton(_("Forgot the password? Use the recovery code…"), self)
        forgot.setObjectName("forgot_password")
        forgot.setFlat(True)
        forgot.setStyleSheet("color: #0b57d0; text-decoration: underline; text-align: left;")
        forgot.setAutoDefault(False)
        forgot.clicked.connect(lambda: self.recover())
        return forgot

    def _buttons(self) -> QDialogButtonBox:
        buttons = QDialogButtonBox(self)
        self.ok = buttons.addButton(_("Log in"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setObjectName("login_button")
        self.close_button = buttons.addButton(
            _("Close ModelWard"), QDialogButtonBox.ButtonRole.RejectRole
        )
        self.close_button.setObjectName("close_button")
        self.ok.setDefault(True)
        buttons.accepted.connect(self.try_login)
        buttons.rejected.connect(self.reject)
        return buttons

    def use_account(self, username: str, password: str) -> None:
        """A demo account's "Use" button: its name chosen and its password typed in."""
        index = self.user.findData(username)
        if index >= 0:
            self.user.setCurrentIndex(index)
        else:
            self.user.setEditText(username)
        self.password.setText(password)
        self.ok.setFocus()

    def chosen_username(self) -> str:
        data = self.user.currentData()
        if isinstance(data, str) and self.user.currentText() == self.user.itemText(
            self.user.currentIndex()
        ):
            return data
        return self.user.currentText().strip()

    def try_login(self) -> None:
        """The password is checked (argon2id, slow on purpose) off the GUI thread: the box
        stays responsive, says it is checking, and a second Enter is ignored meanwhile."""
        accounts, username, password = self.accounts, self.chosen_username(), self.password.text()
        controls = [
            w
            for w in (self.user, self.password, self.card, self.forgot, self.close_button)
            if w is not None
        ]
        submit_in_background(
            self,
            lambda: accounts.login(username, password),
            on_done=self._logged_in,
            error=self.error,
            button=self.ok,
            busy_text=_("Checking the password…"),
            controls=controls,
            on_refused=self._refused,
        )

    def _logged_in(self, login: LoginResult) -> None:
        self.result_login = login
        self.accept()

    def _refused(self) -> None:
        self.password.clear()
        self.password.setFocus()

    def recover(self) -> None:
        """ "Forgot the password?": the recovery dialog; on success the administrator is in."""
        from app.core.domain.access import Role
        from app.ui.dialogs.recovery_dialog import RecoveryDialog

        name = self.chosen_username()
        admins = {info.username for info in self.accounts.users() if info.role is Role.ADMIN}
        dialog = RecoveryDialog(self.accounts, self, username=name if name in admins else "")
        self.recovery = dialog
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.result_login is not None:
            self.result_login = dialog.result_login
            self.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.locked and event.key() == Qt.Key.Key_Escape:
            event.accept()  # on the lock screen Esc must not close ModelWard
            return
        super().keyPressEvent(event)

    def reject(self) -> None:
        if self.busy():
            return  # the password is being checked
        if self.locked and not confirm(
            self,
            _("Close ModelWard?"),
            _(
                "ModelWard is locked. If you close it now, what is typed but not saved in the "
                "windows that are open is lost. To keep it, log in again instead."
            ),
            yes=_("Close ModelWard"),
            no=_("Stay on the lock screen"),
        ):
            return
        super().reject()


class CreateAdminDialog(GuardedDialog):
    """The first start: the station's first administrator, then the recovery code, once.

    The code replaces the account form in the same window (a second page), rather than opening
    a dialog over it: without a window manager, or with a slow one, the form's fields and
    buttons showed around and under the code. Once the account exists, Esc and the window's
    close button do nothing: the code is shown only this once, so only "I have written it down"
    ends the step."""

    def __init__(self, accounts: Accounts, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.accounts = accounts
        self.result_login: LoginResult | None = None
        self.recovery_code = ""
        self.code_view: RecoveryCodeView | None = None
        self.setObjectName("create_admin_dialog")
        self.setWindowTitle(_("Create the administrator account"))
        self.setMinimumWidth(520)
        self.pages = QStackedWidget(self)
        self.pages.setObjectName("create_admin_pages")
        self.form_page = self._form_page()
        self.pages.addWidget(self.form_page)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.pages)

    def _form_page(self) -> QWidget:
        page = QWidget(self)
        page.setObjectName("account_form")
        layout = QVBoxLayout(page)
        intro = QLabel(
            _(
                "This station has no user accounts yet. Create the administrator: the person "
                "who sets the station up and manages the accounts of the officers and the chief. "
                "The administrator does not enter or approve data."
            ),
            page,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.username = QLineEdit(page)
        self.username.setObjectName("admin_username")
        self.username.setPlaceholderText("quantri")
        self.display_name = QLineEdit(page)
        self.display_name.setObjectName("admin_display_name")
        self.password = password_field(page, "admin_password")
        self.again = password_field(page, "admin_password_again")
        form.addRow(_("User name"), self.username)
        form.addRow(_("Full name"), self.display_name)
        form.addRow(_("Password (at least {n} characters)").format(n=MIN_PASSWORD), self.password)
        form.addRow(_("Password again"), self.again)
        layout.addLayout(form)
        self.error = error_label(page)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(page)
        self.create_button = buttons.addButton(_("Create"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.create_button.setObjectName("create_button")
        self.close_button = buttons.addButton(
            _("Close ModelWard"), QDialogButtonBox.ButtonRole.RejectRole
        )
        buttons.accepted.connect(self.create_account)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        return page

    def create_account(self) -> None:
        """The keys are made and wrapped (argon2id) off the GUI thread; meanwhile the form is
        busy and cannot be sent twice."""
        if self.busy() or passwords_differ(self.error, self.password, self.again):
            return
        accounts = self.accounts
        username, name, password = (
            self.username.text(),
            self.display_name.text(),
            self.password.text(),
        )
        submit_in_background(
            self,
            lambda: accounts.create(username, name, password),
            on_done=self._created,
            error=self.error,
            button=self.create_button,
            busy_text=_("Creating the account…"),
            controls=(
                self.username,
                self.display_name,
                self.password,
                self.again,
                self.close_button,
            ),
        )

    def _created(self, created: tuple[LoginResult, str]) -> None:
        login, code = created
        self.result_login, self.recovery_code = login, code
        self.show_code(code)

    def show_code(self, code: str) -> None:
        """The second step: only the code, its instructions and its two buttons are shown."""
        for field in (self.password, self.again):
            field.clear()  # nothing of the password stays in the window behind the code
        view = RecoveryCodeView(code, self.pages)
        view.done.clicked.connect(self.accept)
        self.code_view = view
        self.pages.addWidget(view)
        self.pages.setCurrentWidget(view)
        self.pages.removeWidget(self.form_page)
        self.form_page.hide()
        self.setWindowTitle(_("Recovery code"))
        self.adjustSize()
        view.done.setDefault(True)
        view.done.setFocus()

    def reject(self) -> None:
        if self.code_view is not None:
            return  # the account exists: the code must be seen; only its own button ends this
        super().reject()  # refused while the account is being created


class RecoveryCodeView(QWidget):
    """The recovery code, shown once: write it down and keep it locked away."""

    def __init__(self, code: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recovery_code_view")
        layout = QVBoxLayout(self)
        text = QLabel(
            _(
                "Write this code on paper and keep it in the station's safe. It is shown only "
                "once. With it an administrator who forgot the password can get back in; "
                "without it, and without any administrator's password, the data cannot be "
                "opened."
            ),
            self,
        )
        text.setWordWrap(True)
        layout.addWidget(text)
        shown = QLabel(code, self)
        shown.setObjectName("recovery_code")
        shown.setStyleSheet("font-family: monospace; font-size: 15pt; padding: 12px;")
        shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(shown)
        self.code = code
        print_button = QPushButton(_("Print…"), self)
        print_button.setObjectName("print_code")
        print_button.clicked.connect(lambda: self.print_code())
        layout.addWidget(print_button)
        self.done = QPushButton(_("I have written it down"), self)
        self.done.setObjectName("written_down")
        layout.addWidget(self.done)
        layout.addStretch(1)

    def print_code(self, printer: QPrinter | None = None) -> None:
        """One page for the station's safe: the code, what it is for, when it was made."""
        from datetime import date

        from PySide6.QtGui import QFont, QPainter

        if printer is None:
            printer = QPrinter(QPrinter.PrinterMode.HighResolution)
            if QPrintDialog(printer, self).exec() != QDialog.DialogCode.Accepted:
                return
        painter = QPainter(printer)
        try:
            page = printer.pageRect(QPrinter.Unit.DevicePixel).toRect()
            scale = printer.resolution() / 72  # points to device pixels
            x, width = int(36 * scale), page.width() - int(72 * scale)  # half-inch margins
            painter.setFont(QFont("DejaVu Sans", 14))
            y = int(40 * scale)
            painter.drawText(x, y, _("ModelWard: administrator recovery code"))
            painter.setFont(QFont("DejaVu Sans Mono", 20))
            y += int(60 * scale)
            painter.drawText(x, y, self.code)
            painter.setFont(QFont("DejaVu Sans", 10))
            y += int(40 * scale)
            text = _(
                "Keep this page in the station's safe. With the code an administrator who forgot "
                "the password can get back in; without it, and without any administrator's "
                "password, the data cannot be opened. Printed on {date}."
            ).format(date=f"{date.today():%d/%m/%Y}")
            painter.drawText(x, y, width, page.height() - y, int(Qt.TextFlag.TextWordWrap), text)
        finally:
            painter.end()


class ChangePasswordDialog(GuardedDialog):
    """A user replaces a temporary password (after a reset or a new account)."""

    def __init__(
        self, accounts: Accounts, username: str, old_password: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.accounts = accounts
        self.username = username
        self.old_password = old_password
        self.result_login: LoginResult | None = None
        self.setObjectName("change_password_dialog")
        self.setWindowTitle(_("Choose a new password"))
        self.setMinimumWidth(440)
        layout = QVBoxLayout(self)
        intro = QLabel(
            _("Your password was set by the administrator. Choose your own before going on."),
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.password = password_field(self, "new_password")
        self.again = password_field(self, "new_password_again")
        form.addRow(_("New password"), self.password)
        form.addRow(_("Password again"), self.again)
        layout.addLayout(form)
        self.error = error_label(self)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(self)
        self.save_button = buttons.addButton(_("Save"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setObjectName("save_password")
        buttons.addButton(_("Close ModelWard"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def save(self) -> None:
        """The new password is derived and the key re-wrapped off the GUI thread."""
        if self.busy() or passwords_differ(self.error, self.password, self.again):
            return
        accounts, username, old, new = (
            self.accounts,
            self.username,
            self.old_password,
            self.password.text(),
        )
        submit_in_background(
            self,
            lambda: accounts.change_password(username, old, new),
            on_done=self._saved,
            error=self.error,
            button=self.save_button,
            busy_text=_("Saving the new password…"),
            controls=(self.password, self.again),
        )

    def _saved(self, login: LoginResult) -> None:
        self.result_login = login
        self.accept()


def log_in(
    accounts: Accounts,
    parent: QWidget | None,
    *,
    username: str | None = None,
    locked: bool = False,
    demo: DemoCard | None = None,
) -> LoginResult | None:
    """The whole login at start: create the first administrator if there is none, log in,
    replace a temporary password. None when the user closed a box. ``demo``: the demo
    database's accounts, shown on its login screen."""
    if not accounts.exists():
        create = CreateAdminDialog(accounts, parent)
        return create.result_login if create.exec() == QDialog.DialogCode.Accepted else None
    dialog = LoginDialog(accounts, parent, username=username, locked=locked, demo=demo)
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.result_login is None:
        return None
    login = dialog.result_login
    if login.must_change_password:
        change = ChangePasswordDialog(
            accounts, login.actor.username, dialog.password.text(), parent
        )
        if change.exec() != QDialog.DialogCode.Accepted:
            return None
        return change.result_login
    return login
