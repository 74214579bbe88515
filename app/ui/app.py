"""GUI bootstrap: display check, QApplication, translations, then the window at once and the
database right after it (see ``main_window`` for why the window comes first)."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QLocale, QTimer, QtMsgType, QTranslator, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QDialog

from app import APP_NAME, __version__
from app.i18n import _, current_language
from app.paths import translations_dir
from app.ui.errors import present_error
from app.ui.main_window import MainWindow

if TYPE_CHECKING:
    from app.db.engine import Database

log = logging.getLogger(__name__)
_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def has_display() -> bool:
    """False on a Linux machine with no X11/Wayland display and no Qt platform chosen."""
    if not sys.platform.startswith("linux"):
        return True
    return any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def _qt_message(mode: QtMsgType, _context: object, message: str) -> None:
    log.log(_QT_LEVELS.get(mode, logging.WARNING), "Qt: %s", message)


def make_application(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    qt_app = QApplication(argv or [sys.argv[0]])
    qt_app.setApplicationName(APP_NAME)
    qt_app.setApplicationVersion(__version__)
    install_translations(qt_app)
    return qt_app


def install_translations(qt_app: QApplication) -> None:
    """Vietnamese locale for dates and numbers, and Qt's own strings in Vietnamese."""
    if current_language() != "vi":
        return
    QLocale.setDefault(QLocale(QLocale.Language.Vietnamese, QLocale.Country.Vietnam))
    translator = QTranslator(qt_app)
    qm_file = translations_dir() / "qt" / "qtbase_vi.qm"
    if translator.load(str(qm_file)):
        qt_app.installTranslator(translator)
    else:
        log.warning("Qt translation %s not found; Qt's own dialogs stay in English", qm_file)


def _install_excepthook() -> None:
    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        log.critical("uncaught exception", exc_info=(kind, error, tb))
        present_error(QApplication.activeWindow(), error)

    sys.excepthook = hook


def attach_station(
    window: MainWindow, db: Database, today: Callable[[], date] = date.today
) -> bool:
    """Run the first-run set-up if needed, then fill ``window``; False if set-up was cancelled."""
    from app.core import profile
    from app.core.record_service import RecordService

    if not profile.is_set_up(db):
        from app.ui.dialogs.setup_dialog import SetupDialog

        dialog = SetupDialog(db, window)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
    window.attach(db, profile.load(db), RecordService(db), today)
    return True


def build_main_window(db: Database, today: Callable[[], date] = date.today) -> MainWindow | None:
    """A filled main window for an open database (screenshots, benchmarks, tests)."""
    window = MainWindow()
    return window if attach_station(window, db, today) else None


def _open_station(window: MainWindow, path: Path, opened: list[Database]) -> None:
    from app.core.errors import EnvironmentProblem, UserFacingError
    from app.db.open import open_database
    from app.logs import enable_log_rotation

    enable_log_rotation()
    window.build_menus()
    try:
        db = open_database(path)
        opened.append(db)
        if not attach_station(window, db):
            window.close()
            return
    except (UserFacingError, EnvironmentProblem) as error:
        present_error(window, error)
        window.close()
        return
    except Exception as error:  # a bug: shown and logged, never a window stuck "opening…"
        present_error(window, error)
        window.close()
        return
    log.info("main window ready for %s", path)


def run_gui(path: Path) -> int:
    if not has_display():
        print(
            _(
                "ModelWard needs a screen: no display was found (DISPLAY is not set). "
                "Run it on the station's desktop, or use a command such as `modelward list`."
            ),
            file=sys.stderr,
        )
        return 2
    qInstallMessageHandler(_qt_message)
    qt_app = make_application()
    _install_excepthook()
    window = MainWindow()
    window.show()
    opened: list[Database] = []
    QTimer.singleShot(0, lambda: _open_station(window, path, opened))
    try:
        return qt_app.exec()
    finally:
        for db in opened:
            db.close()
