""" "Forgot the password?" on the login screen: an administrator types the recovery code printed
at set-up and chooses a new password (app.core.services.account_recovery); nothing is
changed when the code, the user name or the password is refused, and the error is shown in
the dialog."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.core.services.accounts import MIN_PASSWORD, Accounts, LoginResult
from app.i18n import _
from app.ui.dialogs.login_fields import (
    error_label,
    password_field,
    passwords_differ,
    submit_in_background,
)
from app.ui.ops import GuardedDialog


class RecoveryDialog(GuardedDialog):
    """The administrator's user name, the recovery code and the new password twice; on success
    ``result_login`` holds the administrator's login."""

    def __init__(
        self, accounts: Accounts, parent: QWidget | None = None, *, username: str = ""
    ) -> None:
        super().__init__(parent)

        self.accounts = accounts
        self.result_login: LoginResult | None = None
        self.audited = False
        self.setObjectName("recovery_dialog")
        self.setWindowTitle(_("Reset the administrator's password"))
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        self.intro = intro = QLabel(
            _(
                "An administrator who forgot the password can choose a new one with the "
                "recovery code printed when the station was set up (kept in the station's "
                "safe). The reset is recorded in the audit trail."
            ),
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.form_box = QWidget(self)
        form = QFormLayout(self.form_box)
        form.setContentsMargins(0, 0, 0, 0)
        self.username = QLineEdit(username, self)
        self.username.setObjectName("recovery_username")
        self.code = QLineEdit(self)
        self.code.setObjectName("recovery_code_input")
        self.code.setPlaceholderText("XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX")
        self.password = password_field(self, "recovery_new_password")
        self.again = password_field(self, "recovery_new_password_again")
        form.addRow(_("Administrator's user name"), self.username)
        form.addRow(_("Recovery code"), self.code)
        form.addRow(
            _("New password (at least {n} characters)").format(n=MIN_PASSWORD), self.password
        )
        form.addRow(_("Password again"), self.again)
        layout.addWidget(self.form_box)
        self.error = error_label(self)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(self)
        self.ok = ok = buttons.addButton(
            _("Reset the password and log in"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        ok.setObjectName("recover_button")
        self.cancel = cancel = buttons.addButton(
            _("Cancel"), QDialogButtonBox.ButtonRole.RejectRole
        )
        cancel.setObjectName("recovery_cancel")
        buttons.accepted.connect(self._accepted)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        (self.code if username else self.username).setFocus()

    def recover(self) -> None:
        """The code and the new password are checked (argon2id) off the GUI thread; the typed
        passwords are cleared whatever the outcome."""
        if self.busy():
            return
        if passwords_differ(self.error, self.password, self.again):
            return
        from app.core.services.account_recovery import Recovery, recover_administrator

        accounts, code, username, password = (
            self.accounts,
            self.code.text(),
            self.username.text(),
            self.password.text(),
        )
        self.password.clear()
        self.again.clear()

        def recovered(recovery: Recovery) -> None:
            self.result_login, self.audited = recovery.login, recovery.audited
            self._show_done()

        submit_in_background(
            self,
            lambda: recover_administrator(accounts, code, username, password),
            on_done=recovered,
            error=self.error,
            button=self.ok,
            busy_text=_("Resetting the password…"),
            controls=(self.username, self.code, self.password, self.again, self.cancel),
        )

    def _accepted(self) -> None:
        if self.result_login is None:
            self.recover()
        else:
            self.accept()

    def _show_done(self) -> None:
        """The password is reset: say so, and that the used code should be replaced."""
        assert self.result_login is not None
        text = _(
            "The password of the administrator {name} was reset with the recovery code."
        ).format(name=self.result_login.actor.username)
        if not self.audited:
            text += "\n" + _("The station's audit trail could not be written; see the log file.")
        text += "\n\n" + _(
            "The recovery code has now been used: make a new one and keep it in the safe: "
            "'modelward users new-recovery-code --user {name}'."
        ).format(name=self.result_login.actor.username)
        self.intro.setText(text)
        self.intro.setObjectName("recovery_done")
        self.form_box.hide()
        self.error.hide()
        self.cancel.hide()
        self.ok.setText(_("Log in"))
        self.ok.setFocus()
        self.adjustSize()
