"""Helpers for driving real dialogs: Vietnamese typing and modal-dialog automation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QWidget


def type_text(widget: QWidget, text: str) -> None:
    """Type ``text`` as a Vietnamese input method (Unikey/Telex) commits it.

    ``qtbot.keyClicks`` aborts the interpreter on non-ASCII characters, so tests never use it
    for Vietnamese.
    """
    widget.setFocus()
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


@pytest.fixture
def when_modal() -> Callable[[Callable[[QWidget], None]], None]:
    """Schedule ``drive(dialog)`` to run on the next modal dialog that opens."""

    def schedule(drive: Callable[[QWidget], None], attempts: int = 200) -> None:
        def poll(left: int = attempts) -> None:
            widget = QApplication.activeModalWidget()
            if widget is not None and widget.isVisible():
                drive(widget)
            elif left > 0:
                QTimer.singleShot(10, lambda: poll(left - 1))
            else:
                raise AssertionError("no modal dialog appeared")

        QTimer.singleShot(0, poll)

    return schedule
