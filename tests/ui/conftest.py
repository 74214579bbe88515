"""Helpers for driving real dialogs: Vietnamese typing and modal-dialog automation."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol, TypeVar

import pytest
from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QDialog, QWidget

Child = TypeVar("Child", bound=QObject)


class Schedule(Protocol):
    """The ``when_modal`` fixture."""

    def __call__(self, drive: Callable[[QWidget], object], attempts: int = 200) -> None: ...


def type_text(widget: QWidget, text: str) -> None:
    """Type ``text`` as a Vietnamese input method (Unikey/Telex) commits it.

    ``qtbot.keyClicks`` aborts the interpreter on non-ASCII characters, so tests never use it
    for Vietnamese.
    """
    widget.setFocus()
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def child(parent: QObject, kind: type[Child], name: str) -> Child:
    """``parent.findChild(kind, name)``, failing the test when there is no such child."""
    found = parent.findChild(kind, name)
    assert found is not None, f"no {kind.__name__} named {name!r}"
    return found


@pytest.fixture(scope="session", autouse=True)
def true_refcount_guard(qapp: QApplication) -> None:
    """The app's guard against PySide6 6.12.0 losing a reference to True per emit."""
    from app.ui.qt_fixes import guard_true_refcount

    guard_true_refcount(qapp)


@pytest.fixture
def when_modal() -> Iterator[Schedule]:
    """Schedule ``drive(dialog)`` to run on the next modal dialog that opens.

    A dialog still open 10 s after ``drive`` returns is closed and the test fails, instead of
    the whole run hanging in ``exec()``.
    """
    left_open: list[str] = []

    def schedule(drive: Callable[[QWidget], object], attempts: int = 200) -> None:
        def check(widget: QWidget, waits: int = 200) -> None:
            try:
                still_open = widget.isVisible()
            except RuntimeError:  # already deleted: it closed
                return
            if still_open and QApplication.activeModalWidget() is widget and waits > 0:
                # a dialog may close itself when its background work ends (an import)
                QTimer.singleShot(50, lambda: check(widget, waits - 1))
                return
            if still_open and QApplication.activeModalWidget() is widget:
                left_open.append(widget.windowTitle() or type(widget).__name__)
                if isinstance(widget, QDialog):
                    widget.reject()
                else:
                    widget.close()

        def poll(left: int = attempts) -> None:
            widget = QApplication.activeModalWidget()
            if widget is not None and widget.isVisible():
                try:
                    drive(widget)
                except BaseException:  # a failed assertion must not leave exec() hanging
                    left_open.append(f"{widget.windowTitle()} (the test's driver failed)")
                    if isinstance(widget, QDialog):
                        widget.reject()
                    else:
                        widget.close()
                    raise
                QTimer.singleShot(50, lambda: check(widget))
            elif left > 0:
                QTimer.singleShot(10, lambda: poll(left - 1))
            else:
                raise AssertionError("no modal dialog appeared")

        QTimer.singleShot(0, poll)

    yield schedule
    assert not left_open, f"dialog left open after the test drove it: {left_open}"
