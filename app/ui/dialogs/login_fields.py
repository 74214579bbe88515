"""The pieces the login, first-start and recovery dialogs share: a password field and the red
line that shows a refusal."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from app.core.errors import UserFacingError, ValidationError
from app.i18n import _


def error_label(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setObjectName("login_error")
    label.setStyleSheet("color: #b00020;")
    label.setWordWrap(True)
    label.hide()
    return label


def show_error(label: QLabel, error: UserFacingError) -> None:
    if isinstance(error, ValidationError):
        text = "\n".join(error.field_errors.values())
    else:
        text = error.message + (f"\n{error.hint}" if error.hint else "")
    label.setText(text)
    label.show()


def password_field(parent: QWidget, name: str) -> QLineEdit:
    field = QLineEdit(parent)
    field.setObjectName(name)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


def passwords_differ(label: QLabel, password: QLineEdit, again: QLineEdit) -> bool:
    """Say so on ``label`` when the two typed passwords are not the same."""
    if password.text() == again.text():
        return False
    show_error(label, ValidationError({"again": _("The two passwords are not the same.")}))
    return True
