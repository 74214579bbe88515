"""One presenter for every error, and the message and confirmation boxes the app uses.

Boxes set their own button texts through our catalogue so the officer never sees English
buttons, whether or not a Qt translation is installed. QMessageBox is imported when a box is
shown: it is not needed to draw the first window.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from app.core.domain.errors import Cancelled, EnvironmentProblem, UserFacingError, ValidationError
from app.i18n import _
from app.paths import log_dir

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox, QWidget

log = logging.getLogger(__name__)
Icon = Literal["information", "warning", "critical", "question"]

# Told of every error before its box opens. The GUI smoke test (tests/ui/test_gui_smoke.py)
# listens: a bug shown as an "unexpected error", or a refusal of the officer's role after a
# button that was enabled, fails it.
error_listeners: list[Callable[[BaseException], None]] = []


def _box(
    parent: QWidget | None, icon: Icon, title: str, text: str, detail: str = ""
) -> QMessageBox:
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(parent)
    box.setIcon(
        {
            "information": QMessageBox.Icon.Information,
            "warning": QMessageBox.Icon.Warning,
            "critical": QMessageBox.Icon.Critical,
            "question": QMessageBox.Icon.Question,
        }[icon]
    )
    box.setWindowTitle(title)
    box.setText(text)
    if detail:
        box.setInformativeText(detail)
    return box


def inform(
    parent: QWidget | None, title: str, text: str, detail: str = "", icon: Icon = "information"
) -> None:
    from PySide6.QtWidgets import QMessageBox

    box = _box(parent, icon, title, text, detail)
    box.addButton(_("Close"), QMessageBox.ButtonRole.AcceptRole)
    box.exec()


def confirm(
    parent: QWidget | None, title: str, text: str, yes: str, no: str | None = None, detail: str = ""
) -> bool:
    from PySide6.QtWidgets import QMessageBox

    box = _box(parent, "question", title, text, detail)
    yes_button = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
    no_button = box.addButton(no or _("Cancel"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(no_button)
    box.setEscapeButton(no_button)
    box.exec()
    return box.clickedButton() is yes_button


def present_error(parent: QWidget | None, error: BaseException) -> None:
    """Show ``error`` the way its kind deserves; a bug is logged with its traceback."""
    if isinstance(error, Cancelled):
        return
    for listener in list(error_listeners):
        listener(error)
    if isinstance(error, ValidationError):
        text = "\n".join(f"• {message}" for message in error.field_errors.values())
        inform(parent, _("Check the data"), text, icon="warning")
        return
    if isinstance(error, UserFacingError | EnvironmentProblem):
        inform(parent, _("Cannot continue"), error.message, error.hint, icon="warning")
        return
    log.error("unexpected error: %s", "".join(traceback.format_exception(error)))
    inform(
        parent,
        _("Unexpected error"),
        _("Something went wrong inside ModelWard. Your saved data is safe."),
        _(
            "Details were written to the log in {folder}. Please send it to technical support."
        ).format(folder=log_dir()),
        icon="critical",
    )
