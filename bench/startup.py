"""Child process for the cold-start benchmark: show a window, report, exit.

``python -m bench.startup bare`` shows a bare PySide6 main window. ``python -m bench.startup
app DB`` runs the real ``modelward --db DB`` entry point (logging, arguments, translations,
the window, then the database). Each prints "shown <peak RSS KiB>" once its window is shown
and painted; the app then prints "ready <peak RSS KiB>" once the station's screens are filled.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


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


def app(db_path: str) -> int:
    from app.cli import main
    from app.ui.main_window import MainWindow

    show, attach = MainWindow.show, MainWindow.attach

    def reporting_show(window: MainWindow) -> None:
        from PySide6.QtWidgets import QApplication

        show(window)
        QApplication.processEvents()
        window.grab()
        _report("shown")

    def reporting_attach(window: MainWindow, *args: object, **kwargs: object) -> None:
        from PySide6.QtWidgets import QApplication

        attach(window, *args, **kwargs)  # type: ignore[arg-type]
        QApplication.processEvents()
        window.grab()
        _report("ready")
        QApplication.quit()

    MainWindow.show = reporting_show  # type: ignore[method-assign]
    MainWindow.attach = reporting_attach  # type: ignore[method-assign]
    return main(["--db", db_path])


if __name__ == "__main__":
    mode = sys.argv[1]
    raise SystemExit(bare() if mode == "bare" else app(sys.argv[2]))
