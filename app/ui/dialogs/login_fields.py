"""The pieces the login, first-start and recovery dialogs share: a password field, the red
line that shows a refusal, and the busy state while a password is checked off the GUI thread."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QWidget

from app.core.domain.errors import UserFacingError, ValidationError
from app.core.domain.progress import CancelToken
from app.i18n import _
from app.ui.errors import present_error
from app.ui.ops import GuardedDialog, Progress, run_in_background

T = TypeVar("T")


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


def submit_in_background(
    dialog: GuardedDialog,
    work: Callable[[], T],
    *,
    on_done: Callable[[T], None],
    error: QLabel,
    button: QPushButton,
    busy_text: str,
    controls: Sequence[QWidget] = (),
    on_refused: Callable[[], None] | None = None,
) -> None:
    """Run one slow accounts step (argon2id key derivation, key wrapping) off the GUI thread.

    Meanwhile the dialog is busy: ``button`` says ``busy_text``, it and ``controls`` are
    disabled, a second submit (Enter pressed again) is ignored and the dialog cannot be closed.
    A refusal is shown on the red ``error`` line as before (after ``on_refused``); anything
    else goes through ``present_error``."""
    if dialog.busy():
        return
    idle_text = button.text()
    widgets = [button, *controls]

    def set_busy(busy: bool) -> None:
        for widget in widgets:
            widget.setEnabled(not busy)
        button.setText(busy_text if busy else idle_text)
        if busy:
            dialog.setCursor(Qt.CursorShape.BusyCursor)
        else:
            dialog.unsetCursor()

    def failed(problem: BaseException) -> None:
        if isinstance(problem, UserFacingError):
            if on_refused is not None:
                on_refused()
            show_error(error, problem)
        else:
            present_error(dialog, problem)

    def run(_progress: Progress, _token: CancelToken) -> T:
        return work()

    set_busy(True)
    operation = run_in_background(
        run, parent=dialog, on_done=on_done, on_error=failed, on_end=lambda: set_busy(False)
    )
    dialog.guard(operation)
