"""GUI bootstrap: display check, QApplication, translations, database, set-up, main window."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QLocale, QtMsgType, QTranslator, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QDialog

from app import APP_NAME, __version__
from app.core import profile
from app.core.errors import EnvironmentProblem, UserFacingError
from app.core.record_service import RecordService
from app.db.engine import Database
from app.db.open import open_database
from app.i18n import _, current_language
from app.paths import translations_dir
from app.ui.dialogs.setup_dialog import SetupDialog
from app.ui.errors import present_error
from app.ui.main_window import MainWindow

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


def open_main_window(db: Database, today: Callable[[], date] = date.today) -> MainWindow | None:
    """Run the first-run set-up if needed, then build the main window (None if cancelled)."""
    if not profile.is_set_up(db):
        dialog = SetupDialog(db)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
    station = profile.load(db)
    return MainWindow(db, station, RecordService(db), today)


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
    try:
        db = open_database(path)
    except (UserFacingError, EnvironmentProblem) as error:
        present_error(None, error)
        return 1
    try:
        window = open_main_window(db)
        if window is None:
            return 0
        window.show()
        log.info("main window shown for %s", path)
        return qt_app.exec()
    finally:
        db.close()
