"""Child process of ``test_recovery_code_window``: on a real X server (Xvfb), fill in the first
administrator, press "Create", and report what the *screen* shows once the recovery code is
up: the box around everything drawn (the root window is black elsewhere) and whether those
pixels are exactly the code window's own rendering.

Run as ``python -m tests.ui.recovery_window_child FOLDER`` with ``DISPLAY`` set.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from PySide6.QtCore import QRect, QTimer
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QWidget

from app.security.accounts import Accounts, KdfParams
from app.ui.app import make_application
from app.ui.dialogs.login_dialog import CreateAdminDialog

CHEAP = KdfParams(time_cost=1, memory_cost=8, parallelism=1)


def drawn_box(image: QImage) -> QRect:
    """The smallest rectangle holding every pixel that is not the black root background."""
    left, top, right, bottom = image.width(), image.height(), -1, -1
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            if image.pixel(x, y) & 0xFFFFFF:
                left, right = min(left, x), max(right, x)
                top, bottom = min(top, y), max(bottom, y)
    return QRect(left, top, right - left + 2, bottom - top + 2)


def same_pixels(screen: QImage, dialog: QWidget) -> bool:
    """Whether the screen shows, where the dialog is, exactly what the dialog itself paints."""
    own = dialog.grab().toImage()
    for y in range(0, own.height(), 3):
        for x in range(0, own.width(), 3):
            if (screen.pixel(dialog.x() + x, dialog.y() + y) ^ own.pixel(x, y)) & 0xFFFFFF:
                return False
    return True


def report(dialog: QWidget) -> None:
    QApplication.processEvents()
    screen = QGuiApplication.primaryScreen().grabWindow(0).toImage()
    box = drawn_box(screen)
    code = dialog.findChild(QLabel, "recovery_code")
    result = {
        "windows": [type(w).__name__ for w in QApplication.topLevelWidgets() if w.isVisible()],
        "code_shown": code is not None and code.isVisible(),
        "drawn": [box.x(), box.y(), box.width(), box.height()],
        "window": [dialog.x(), dialog.y(), dialog.width(), dialog.height()],
        "same_pixels": same_pixels(screen, dialog),
    }
    print(json.dumps(result), flush=True)
    os._exit(0)  # also out of the exec() of a second window, if one was opened


def main(folder: str) -> None:
    app = make_application()
    dialog = CreateAdminDialog(Accounts(Path(folder) / "station.sqlite", kdf=CHEAP))
    dialog.username.setText("quantri")
    dialog.display_name.setText("Lê Quản Trị")
    dialog.password.setText("mật khẩu dài 1")
    dialog.again.setText("mật khẩu dài 1")
    dialog.show()
    create = dialog.findChild(QPushButton, "create_button")
    assert create is not None
    QTimer.singleShot(500, create.click)
    QTimer.singleShot(2500, lambda: report(dialog))
    app.exec()


if __name__ == "__main__":
    main(sys.argv[1])
