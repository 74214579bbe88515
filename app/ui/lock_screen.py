"""What the lock screen does to the windows behind it: covers what each one shows until someone
logs in, and leaves the windows themselves (and what is typed in them) exactly as they were."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QVBoxLayout, QWidget

from app.i18n import _


class Curtain(QWidget):
    """An opaque cover over one window's content, resized with it.

    A window that is open in ``exec()`` (a record form) cannot simply be hidden: hiding a dialog
    ends its ``exec()`` as if it had been cancelled, and what was typed in it is lost."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("lock_curtain")
        self.setAutoFillBackground(True)
        self.setAttribute(Qt.WidgetAttribute.WA_NoMousePropagation)
        layout = QVBoxLayout(self)
        label = QLabel(_("ModelWard is locked"), self)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setStyleSheet("color: #555555; font-size: 13pt;")
        layout.addWidget(label)
        self.setGeometry(window.rect())
        window.installEventFilter(self)
        self.raise_()
        self.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and isinstance(watched, QWidget):
            self.setGeometry(watched.rect())
        elif event.type() == QEvent.Type.ChildAdded:
            self.raise_()
        return False

    def lift(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            parent.removeEventFilter(self)
        self.hide()
        self.deleteLater()


def other_open_windows(main: QWidget) -> list[QWidget]:
    """Every visible window of the app except ``main``: forms, message boxes, previews."""
    return [
        widget
        for widget in QApplication.topLevelWidgets()
        if widget is not main and widget.isVisible() and widget.isWindow()
    ]


def cover(windows: list[QWidget]) -> list[Curtain]:
    return [Curtain(window) for window in windows]


def uncover(curtains: list[Curtain]) -> None:
    for curtain in curtains:
        try:
            curtain.lift()
        except RuntimeError:  # its window was closed and deleted meanwhile
            continue


def close_windows(windows: list[QWidget]) -> None:
    """Close the windows another user must not inherit (their input is discarded)."""
    for window in windows:
        try:
            if isinstance(window, QDialog):
                window.reject()
            else:
                window.close()
        except RuntimeError:
            continue
