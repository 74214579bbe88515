"""Child process for the cold-start benchmark: show a window, report, exit.

``python -m bench.startup bare`` shows a bare PySide6 main window. ``python -m bench.startup
app DB`` runs the real ``modelward --db DB`` entry point (logging, arguments, translations,
the window, the login box, then the database). Each prints "shown <peak RSS KiB>" once its
window is shown and painted; the app then prints "ready <peak RSS KiB>" once the station's
screens are filled.

The station has accounts (``bench.__main__.cold_start`` makes them), so the app asks for a
login as it does for an officer: the real login box is answered with the user name and password
from ``BENCH_USER`` / ``BENCH_PASSWORD``, its own "Log in" button checks them (argon2id, the
database key unwrapped). Any other dialog is a failure: the child names it on stderr and exits
with status 3 instead of waiting for a click that never comes; and a watchdog ends a child that
is still running after ``BENCH_CHILD_TIMEOUT`` seconds, with every thread's stack on stderr.
"""

from __future__ import annotations

import faulthandler
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the measured start imports Qt itself, lazily
    from PySide6.QtWidgets import QWidget

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
TIMEOUT_S = float(os.environ.get("BENCH_CHILD_TIMEOUT", "120"))
UNEXPECTED_DIALOG = 3


def _peak_kib() -> int:
    # VmHWM belongs to this process image; ru_maxrss would carry the parent's peak over fork.
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def _report(stage: str) -> None:
    print(f"{stage} {_peak_kib()}", flush=True)


def bare() -> int:
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    qt_app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setCentralWidget(QLabel("Phường Kiểu Mẫu"))
    window.resize(1280, 780)
    window.show()
    qt_app.processEvents()
    window.grab()
    _report("shown")
    return 0


def _answer_dialogs() -> None:
    """The login box is filled in and its button pressed; any other dialog ends the child."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QDialog, QMessageBox

    plain_exec = QDialog.exec

    def refuse(dialog: QDialog) -> int:
        text = dialog.text() if isinstance(dialog, QMessageBox) else ""
        print(
            f"unexpected dialog {dialog.objectName() or type(dialog).__name__}: "
            f"{dialog.windowTitle()} {text}",
            file=sys.stderr,
            flush=True,
        )
        os._exit(UNEXPECTED_DIALOG)

    def answering_exec(dialog: QDialog) -> int:
        # imported here, once the app has imported it: importing it before the window is shown
        # would add its imports (accounts, argon2, print support) to the measured start
        from app.ui.dialogs.login_dialog import LoginDialog

        if not isinstance(dialog, LoginDialog):
            return refuse(dialog)
        index = dialog.user.findData(os.environ["BENCH_USER"])
        if index < 0:
            print("the bench account is missing from the login box", file=sys.stderr, flush=True)
            os._exit(UNEXPECTED_DIALOG)
        dialog.user.setCurrentIndex(index)
        dialog.password.setText(os.environ["BENCH_PASSWORD"])
        QTimer.singleShot(0, dialog.ok.click)
        result = plain_exec(dialog)
        if dialog.result_login is None:
            print(f"login refused: {dialog.error.text()}", file=sys.stderr, flush=True)
            os._exit(UNEXPECTED_DIALOG)
        return result

    # the benchmark answers every dialog of its own process: the methods are replaced on purpose
    QDialog.exec = answering_exec  # type: ignore[method-assign]
    QMessageBox.exec = refuse  # type: ignore[method-assign]


def _quit_after_background_checks() -> None:
    import threading

    from PySide6.QtWidgets import QApplication

    for thread in threading.enumerate():
        if thread is not threading.current_thread() and thread.daemon:
            thread.join(TIMEOUT_S / 2)
    QApplication.processEvents()  # deliver the check's result to the window
    QApplication.quit()


def app(db_path: str) -> int:
    from PySide6.QtCore import QTimer

    from app.cli import main
    from app.ui.main_window import MainWindow

    _answer_dialogs()

    show, attach = MainWindow.show, MainWindow.attach

    def reporting_show(window: QWidget) -> None:
        from PySide6.QtWidgets import QApplication

        show(window)
        QApplication.processEvents()
        window.grab()
        _report("shown")

    def reporting_attach(window: MainWindow, *args: Any, **kwargs: Any) -> None:
        from PySide6.QtWidgets import QApplication

        attach(window, *args, **kwargs)
        QApplication.processEvents()
        window.grab()
        _report("ready")
        # the app's own background check (quick_check, the daily backup) starts right after
        # attach: let it finish before quitting, as closing the station forgets the key
        QTimer.singleShot(0, _quit_after_background_checks)

    # measured in place: the window's own methods report when they are done
    MainWindow.show = reporting_show  # type: ignore[method-assign]
    MainWindow.attach = reporting_attach  # type: ignore[method-assign, assignment]
    return main(["--db", db_path])


if __name__ == "__main__":
    faulthandler.dump_traceback_later(TIMEOUT_S, exit=True)
    mode = sys.argv[1]
    raise SystemExit(bare() if mode == "bare" else app(sys.argv[2]))
