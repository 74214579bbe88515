"""GUI bootstrap: display check, QApplication, translations, then the window at once and the
database right after it (see ``main_window`` for why the window comes first)."""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from datetime import date
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QLocale,
    QObject,
    QTimer,
    QtMsgType,
    QTranslator,
    Signal,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication, QWidget

from app import APP_NAME, __version__
from app.i18n import _, current_language, ngettext
from app.paths import translations_dir
from app.ui.errors import present_error
from app.ui.main_window import MainWindow

if TYPE_CHECKING:
    from PySide6.QtCore import QEvent

    from app.core.domain.access import Actor
    from app.core.domain.progress import CancelToken
    from app.core.services.accounts import LoginResult
    from app.core.services.storage import Database
    from app.ui.ops import Operation, Progress

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


def make_application(argv: list[str] | None = None, *, guard: bool = True) -> QApplication:
    """The QApplication, made once. ``guard=False`` leaves the guard against PySide6
    6.12.0's leak of ``True`` (``guard_emits``) to the caller: ``run_gui`` installs it right
    after the first window is shown, as it imports ctypes (~4 ms of a ~120 ms start)."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    qt_app = QApplication(argv or [sys.argv[0]])
    qt_app.setApplicationName(APP_NAME)
    qt_app.setApplicationVersion(__version__)
    install_translations(qt_app)
    if guard:
        guard_emits(qt_app)
    return qt_app


def guard_emits(qt_app: QApplication) -> None:
    """Keep ``True`` alive under PySide6 6.12.0, which loses a reference to it on every
    signal emitted from Python (app.ui.qt_fixes): needed long before thousands of emits."""
    from app.ui.qt_fixes import guard_true_refcount

    guard_true_refcount(qt_app)


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
    window: MainWindow,
    db: Database,
    today: Callable[[], date] = date.today,
    login: LoginResult | None = None,
) -> bool:
    """Run the first-run set-up if needed, then fill ``window``; False if set-up was cancelled.
    A demo account logging in to a station that is not the demo is refused here."""
    from PySide6.QtWidgets import QDialog

    from app.core.services import demo_accounts, profile
    from app.core.services.records import RecordService

    if not profile.is_set_up(db):
        from app.ui.dialogs.setup_dialog import SetupDialog

        dialog = SetupDialog(db, window, login=login)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
    station = profile.load(db)
    actor = None if login is None else login.actor
    if actor is not None:
        demo_accounts.refuse_on_real_station(station, actor)
    window.attach(db, station, RecordService(db, actor=actor), today, actor=actor)
    return True


def build_main_window(
    db: Database, today: Callable[[], date] = date.today, login: LoginResult | None = None
) -> MainWindow | None:
    """A filled main window for an open database (screenshots, benchmarks, tests)."""
    window = MainWindow()
    return window if attach_station(window, db, today, login) else None


# minutes without a key press or a click before the screen locks (a shared station PC)
IDLE_LOCK_MINUTES = float(os.environ.get("MODELWARD_IDLE_LOCK_MINUTES", "10"))


@cache
def _activity() -> frozenset[QEvent.Type]:
    """The input that restarts the countdown. Built on first use: PySide6 makes the Python
    enum of QEvent.Type (170 members) when QEvent is first imported, ~2 ms the first window
    need not pay."""
    from PySide6.QtCore import QEvent

    return frozenset(
        {
            QEvent.Type.KeyPress,
            QEvent.Type.MouseButtonPress,
            QEvent.Type.MouseMove,
            QEvent.Type.Wheel,
        }
    )


class StationSession(QObject):
    """The station open in the GUI: its database and its window.

    After the window is filled, a background thread runs SQLite's ``quick_check`` and, if the
    file is whole, takes the day's automatic backup. A damaged file puts the window in a
    read-only recovery mode that offers the newest verified backup. Restoring closes the data,
    restores, and opens a new window on the result.
    """

    _checked = Signal(bool)

    def __init__(
        self,
        path: Path,
        *,
        background_checks: bool = True,
        login: LoginResult | None = None,
        idle_lock_minutes: float = IDLE_LOCK_MINUTES,
    ) -> None:
        super().__init__()
        self.path = path
        self.db: Database | None = None
        self.window: MainWindow | None = None
        self.background_checks = background_checks
        self.last_restore: object | None = None
        self._opening: Operation[Database] | None = None  # the database opened off the GUI
        # who is logged in; None until the login box was answered (``login`` skips it: tests)
        self.login = login
        self._checked.connect(self._health_known)
        # the auto-lock: any key or mouse input restarts the countdown
        self.idle_timer = QTimer(self)
        self.idle_timer.setSingleShot(True)
        self.idle_timer.setInterval(max(1, int(idle_lock_minutes * 60_000)))
        self.idle_timer.timeout.connect(self.lock_screen)
        self._locked = False
        self._watching_input = False  # the event filter, installed once the countdown runs

    def _start_idle_countdown(self) -> None:
        """Start (or restart) the auto-lock countdown, watching the input from then on.

        The application-wide event filter is installed here, once the station is open, and
        not before the first window is shown: a Python event filter sees every event of every
        widget, and PySide6 then builds the Python type (and enums) of each object it hands
        over. On the way to the first window that cost about 30 ms, a quarter of a bare
        window's start (bench/startup.py); the countdown does not run before then anyway."""
        app = QApplication.instance()
        if app is not None and not self._watching_input:
            app.installEventFilter(self)
            self._watching_input = True
        self.idle_timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _activity() and not self._locked and self.idle_timer.isActive():
            self.idle_timer.start()
        return False

    def lock_screen(self) -> None:
        """Hide the data and ask for a password again; another user may log in instead.

        Open windows (a record form half filled in) stay open under a cover and come back as
        they were when the same user logs in again. Esc does nothing on the lock screen and
        closing ModelWard from it asks first (``LoginDialog``)."""
        from app.ui import lock_screen

        window = self.window
        if window is None or self.login is None or self._locked:
            return
        self._locked = True
        central = window.centralWidget()
        if central is not None:
            central.hide()
        others = lock_screen.other_open_windows(window)
        curtains = lock_screen.cover(others)
        log.info("screen locked (%d other windows covered)", len(others))
        try:
            login = self._unlock(window, others)
        finally:
            self._locked = False
            lock_screen.uncover(curtains)
        if login is None:  # the officer confirmed closing ModelWard
            window.close()
            self.close()
            return
        same_user = login.actor == self.login.actor
        self.login = login
        if same_user:
            if central is not None:
                central.show()
            self._start_idle_countdown()
            return
        lock_screen.close_windows(others)  # the other user's work is not handed on
        # replaced once the closed forms' exec() loops have returned
        QTimer.singleShot(0, self._replace_window)  # another user: their rights, their name

    def _unlock(self, window: MainWindow, others: list[QWidget]) -> LoginResult | None:
        """The lock screen until someone logs in or ModelWard is closed. Another user logging
        in while forms are open is asked first: those forms and their input would be closed."""
        from app.core.services.accounts import Accounts
        from app.core.services.demo_accounts import read_card
        from app.ui.dialogs.login_dialog import log_in
        from app.ui.errors import confirm

        assert self.login is not None
        locked_user = self.login.actor
        demo = read_card(self.path)
        while True:
            login = log_in(
                Accounts(self.path), window, username=locked_user.username, locked=True, demo=demo
            )
            if login is None or login.actor == locked_user or not others:
                return login
            if confirm(
                window,
                _("Log in as another user?"),
                ngettext(
                    "{name} has {count} window open, perhaps with input not saved yet. "
                    "If {other} logs in now, it is closed and that input is lost.",
                    "{name} has {count} windows open, perhaps with input not saved yet. "
                    "If {other} logs in now, they are closed and that input is lost.",
                    len(others),
                ).format(
                    name=locked_user.display_name,
                    count=len(others),
                    other=login.actor.display_name,
                ),
                yes=_("Close them and log in"),
                no=_("Back to the lock screen"),
            ):
                return login

    def _replace_window(self) -> None:
        old = self.window
        self.start()
        if old is not None:
            old.restore_requested.disconnect(self.restore)
            old.close()
            old.deleteLater()

    @property
    def actor(self) -> Actor | None:
        return None if self.login is None else self.login.actor

    def start(self) -> MainWindow:
        window = MainWindow()
        window.restore_requested.connect(self.restore)
        window.show()
        self.window = window
        QTimer.singleShot(0, lambda: self._open(window))
        return window

    def _open(self, window: MainWindow) -> None:
        from app.logs import enable_log_rotation

        enable_log_rotation()
        window.build_menus()
        if self.login is None:
            self.login = self._ask_login(window)
            if self.login is None:
                window.close()
                return
        from app.core.services import storage

        # the login unwrapped the database key: a new database is created encrypted, and a
        # plaintext one (from before accounts existed) is encrypted now (app.db.open)
        storage.unlock(self.path, self.login.db_key)
        if self.db is not None:
            self._attach(window, self.db)
            return
        from app.core.services.storage import open_database
        from app.ui.ops import run_in_background

        path = self.path

        def work(_progress: Progress, _token: CancelToken) -> Database:
            return open_database(path)  # keyed, encrypted or migrated: seconds, not on the GUI

        # the window says "Opening the ward's data…" meanwhile and stays responsive
        self._opening = run_in_background(
            work,
            parent=window,
            on_done=lambda db: self._attach(window, db),
            on_error=lambda error: self._open_failed(window, error),
        )

    def _ask_login(self, window: MainWindow) -> LoginResult | None:
        """The login box (or the first administrator's account); None when it was closed or
        the accounts file is damaged (said so)."""
        from app.core.domain.errors import EnvironmentProblem, UserFacingError
        from app.core.services import demo_accounts, storage
        from app.core.services.accounts import Accounts
        from app.ui.dialogs.login_dialog import log_in

        accounts = Accounts(self.path)
        try:
            if not accounts.exists() and storage.is_encrypted(self.path):
                # a new administrator would get a new key that cannot open this file
                raise UserFacingError(
                    _("The user accounts of this encrypted station are missing ({path}).").format(
                        path=accounts.path
                    ),
                    hint=_(
                        "Put back the 'keys' folder from the station's backup copy; without "
                        "it the data cannot be opened. Do not create new accounts."
                    ),
                )
            return log_in(accounts, window, demo=demo_accounts.read_card(self.path))
        except (UserFacingError, EnvironmentProblem) as error:  # a damaged accounts file
            present_error(window, error)
            return None

    def _attach(self, window: MainWindow, db: Database) -> None:
        if not window.isVisible():  # closed while the data was being opened
            db.close()
            return
        self.db = db
        try:
            if not attach_station(window, db, login=self.login):
                window.close()
                return
        except Exception as error:  # every kind is shown (_open_failed); never stuck "opening…"
            self._open_failed(window, error)
            return
        log.info("main window ready for %s", self.path)
        window.lock_requested.connect(self.lock_screen)
        self._start_idle_countdown()
        if self.background_checks:
            threading.Thread(target=self._check_in_background, daemon=True).start()

    def _open_failed(self, window: MainWindow, error: BaseException) -> None:
        """The data could not be opened, or the station not read from it: said in Vietnamese,
        then the newest verified backup is offered (or the window closes)."""
        from app.core.domain.errors import EnvironmentProblem, UserFacingError

        if self.db is not None:  # opened, but the station could not be read from it
            self.db.close()
            self.db = None
        present_error(window, error)
        if not isinstance(error, UserFacingError | EnvironmentProblem):
            window.close()  # a bug: shown and logged, never a window stuck "opening…"
        elif not self._offer_restore_after_failure(window):
            window.close()

    def _check_in_background(self) -> None:
        from app.core.services import backup_steps as backup

        intact = backup.is_intact(self.path)
        self._checked.emit(intact)
        if intact:
            try:
                backup.daily_backup_if_due(self.path)
            except Exception:  # logged; the officer sees the age of the last backup instead
                log.exception("automatic daily backup failed")

    def _health_known(self, intact: bool) -> None:
        if not intact:
            self.enter_recovery_mode()

    def enter_recovery_mode(self) -> None:
        """The quick check failed: no more writes; offer the newest verified backup."""
        from app.core.domain.errors import UserFacingError
        from app.core.services import backup_steps as backup
        from app.ui.errors import confirm

        log.error("quick_check failed on %s: read-only recovery mode", self.path)
        window = self.window
        if self.db is not None:
            self.db.read_only = True
        if window is None:
            return
        window.show_recovery_banner()
        newest = backup.newest_verified(self.path)
        if newest is not None and not self._may_restore():
            present_error(
                window,
                UserFacingError(
                    _("The database file is damaged. ModelWard is now read-only."),
                    hint=_(
                        "A verified backup exists; ask the administrator to log in and restore "
                        "it on the 'Backup and restore' screen."
                    ),
                ),
            )
            return
        if newest is None:
            present_error(
                window,
                UserFacingError(
                    _("The database file is damaged and there is no verified backup."),
                    hint=_(
                        "ModelWard stays open read-only so the data can be read and printed. "
                        "Call technical support before entering anything new."
                    ),
                ),
            )
            return
        if confirm(
            window,
            _("The database is damaged"),
            _(
                "SQLite's check found damage in the database file. ModelWard is now read-only. "
                "Restore the newest verified backup, taken {when}?"
            ).format(when=f"{newest.created_at.astimezone():%d/%m/%Y %H:%M}"),
            _("Restore the backup"),
            _("Stay read-only"),
        ):
            self.restore(newest.path)

    def _offer_restore_after_failure(self, window: MainWindow) -> bool:
        from app.core.services import backup_steps as backup
        from app.ui.errors import confirm

        if not self.path.exists():
            return False
        newest = backup.newest_verified(self.path)
        if newest is None or not self._may_restore():
            return False
        if confirm(
            window,
            _("The database could not be opened"),
            _("Restore the newest verified backup, taken {when}?").format(
                when=f"{newest.created_at.astimezone():%d/%m/%Y %H:%M}"
            ),
            _("Restore the backup"),
        ):
            self.restore(newest.path)
            return True
        return False

    def _may_restore(self) -> bool:
        from app.core.domain.access import Permission

        return self.login is not None and self.login.actor.can(Permission.RESTORE_BACKUP)

    def restore(self, backup_path: Path) -> None:
        from app.core.services import storage
        from app.core.services.backups import BackupService
        from app.ui.errors import inform
        from app.ui.ops import wait_for_background
        from app.ui.widgets.common import errors_shown

        old = self.window
        if not self._may_restore():
            from app.core.domain.access import PermissionDenied

            present_error(
                old,
                PermissionDenied(
                    _("Only the administrator restores backups."),
                    hint=_("Ask the administrator to log in (Ctrl+L) and restore it."),
                ),
            )
            return
        wait_for_background()
        storage.hold_exclusively(self.path)  # keep other programs out while the file is swapped
        try:
            if self.db is not None:
                self.db.close()
                self.db = None
            result = None
            with errors_shown(old):
                # the service checks the role again and names the logged-in user
                actor = self.login.actor if self.login else None
                result = BackupService(self.path, actor).restore(backup_path)
            self.last_restore = result
            window = self.start()
            if old is not None:
                old.restore_requested.disconnect(self.restore)
                old.close()
                old.deleteLater()
        finally:
            storage.let_go(self.path)
        if result is not None:
            QTimer.singleShot(
                0,
                lambda: inform(
                    window,
                    _("Backup and restore"),
                    _("The data was restored from {name}.").format(name=backup_path.name),
                    _("The data as it was before the restore is kept in {path}.").format(
                        path=result.safety_backup
                    ),
                ),
            )

    def close(self) -> None:
        self.idle_timer.stop()
        app = QApplication.instance()
        if app is not None and self._watching_input:
            app.removeEventFilter(self)
            self._watching_input = False
        if self.db is not None:
            self.db.close()
            self.db = None
        from app.core.services import storage

        storage.forget_key(self.path)


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
    qt_app = make_application(guard=False)
    _install_excepthook()
    session = StationSession(path)
    session.start()
    guard_emits(qt_app)  # the first window is shown; a handful of emits so far
    try:
        return qt_app.exec()
    finally:
        session.close()
