"""The lock screen over a half-filled form, as an officer meets it: Esc does nothing, closing
ModelWard asks first and "No" keeps everything, the form comes back as it was after the
password; closing for good, and another user taking over, ask before anything is lost."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from app.core.domain.access import Role
from app.core.services.demo import DEMO_PROFILE
from app.core.services.profile import set_up
from app.db.open import open_database
from app.security.accounts import Accounts, KdfParams
from app.ui.app import StationSession
from app.ui.dialogs.login_dialog import LoginDialog
from app.ui.dialogs.record_dialog import RecordDialog
from app.ui.lock_screen import Curtain
from app.ui.main_window import MainWindow
from tests.ui.conftest import Schedule

CHEAP = KdfParams(time_cost=1, memory_cost=8, parallelism=1)
TEAM = "Tổ liên gia an toàn PCCC khối 9"


def _station(path: Path) -> Accounts:
    db = open_database(path)
    set_up(db, DEMO_PROFILE)
    db.close()
    accounts = Accounts(path, kdf=CHEAP)
    admin, _code = accounts.create("quantri", "Lê Quản Trị", "mật khẩu quản trị")
    accounts.add_user(admin, "nvan", "Nguyễn Văn An", Role.OFFICER, "tạm thời 123")
    accounts.change_password("nvan", "tạm thời 123", "của tôi 2026")
    accounts.add_user(admin, "thang", "Phạm Văn Thắng", Role.CHIEF, "tạm thời 456")
    accounts.change_password("thang", "tạm thời 456", "của trưởng 789")
    return accounts


def _log_in(qtbot: QtBot, dialog: QWidget, username: str, password: str) -> None:
    """Log in; the password is checked off the GUI thread: wait (bounded) until it was."""
    assert isinstance(dialog, LoginDialog)
    dialog.user.setCurrentIndex(dialog.user.findData(username))
    dialog.password.setText(password)
    dialog.ok.click()
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=15_000)


def _open_as_officer(
    qtbot: QtBot, path: Path, when_modal: Schedule
) -> tuple[StationSession, MainWindow]:
    when_modal(lambda dialog: _log_in(qtbot, dialog, "nvan", "của tôi 2026"))
    session = StationSession(path, background_checks=False)
    window = session.start()
    qtbot.waitUntil(lambda: window.db is not None, timeout=15000)
    window.show_page("teams")
    return session, window


def _answer(box: QWidget, button_text: str, seen: list[str]) -> None:
    assert isinstance(box, QMessageBox)
    seen.append(box.text())
    for button in box.buttons():
        if button.text() == button_text:
            button.click()
            return
    raise AssertionError(f"no button {button_text!r} in {[b.text() for b in box.buttons()]}")


def _on_next(when_modal: Schedule, kind: type, drive: Callable[[QWidget], None]) -> None:
    """``drive`` the next modal window of type ``kind``, not whichever modal is active first
    (a form stays modal and active between the lock screen and the question after it). If the
    driver of a lock screen fails, the lock screen is closed without its question, so the
    failure is reported instead of waiting for an answer."""

    def guarded(widget: QWidget) -> None:
        try:
            drive(widget)
        except BaseException:
            if isinstance(widget, LoginDialog):
                widget.locked = False
            raise

    def poll(left: int = 1000) -> None:
        widget = QApplication.activeModalWidget()
        if widget is not None and isinstance(widget, kind) and widget.isVisible():
            when_modal(guarded)
        elif left > 0:
            QTimer.singleShot(10, lambda: poll(left - 1))
        else:
            raise AssertionError(f"no {kind.__name__} appeared")

    QTimer.singleShot(0, poll)


def _close(session: StationSession) -> None:
    if session.window is not None:
        session.window.close()
    session.close()


def test_esc_on_the_lock_screen_keeps_the_open_form_and_its_input(
    qtbot: QtBot, tmp_path: Path, when_modal: Schedule
) -> None:
    path = tmp_path / "station.sqlite"
    _station(path)
    session, window = _open_as_officer(qtbot, path, when_modal)
    seen: dict[str, object] = {}
    questions: list[str] = []

    def on_the_lock_screen(lock: QWidget) -> None:
        assert isinstance(lock, LoginDialog) and lock.locked
        form = seen["form"]
        assert isinstance(form, RecordDialog)
        seen["form covered"] = _covered(form)
        qtbot.keyClick(lock, Qt.Key.Key_Escape)
        seen["open after Esc"] = lock.isVisible() and window.isVisible()
        _on_next(when_modal, QMessageBox, lambda b: _answer(b, "Ở lại màn hình khoá", questions))
        close = lock.findChild(QPushButton, "close_button")
        assert close is not None
        close.click()  # asks; "No" keeps everything
        seen["open after No"] = lock.isVisible() and window.isVisible() and form.isVisible()
        _log_in(qtbot, lock, "nvan", "của tôi 2026")

    def fill_the_form(dialog: QWidget) -> None:
        assert isinstance(dialog, RecordDialog)
        name = dialog.findChild(QLineEdit, "field_name")
        assert name is not None
        name.setText(TEAM)
        seen["form"] = dialog
        _on_next(when_modal, LoginDialog, on_the_lock_screen)
        session.lock_screen()  # as Ctrl+L or ten idle minutes do, with the form open
        # back from the lock screen: the same form, still open, still holding the input
        seen["after unlock"] = (dialog.isVisible(), name.text(), _covered(dialog))
        dialog.reject()

    when_modal(fill_the_form)
    window.page("teams").add_record()
    assert seen["form covered"] is True  # nothing of the form shows behind the lock screen
    assert seen["open after Esc"] is True
    assert len(questions) == 1 and "chưa lưu" in questions[0], questions
    assert seen["open after No"] is True
    assert seen["after unlock"] == (True, TEAM, False)
    assert window.isVisible() and session.window is window and session.db is not None
    central = window.centralWidget()
    assert central is not None and central.isVisible()  # the data shows again
    _close(session)


def _covered(window: QWidget) -> bool:
    curtains = [c for c in window.findChildren(Curtain) if c.isVisible()]
    return any(c.geometry() == window.rect() for c in curtains)


def test_closing_from_the_lock_screen_asks_and_yes_closes(
    qtbot: QtBot, tmp_path: Path, when_modal: Schedule
) -> None:
    path = tmp_path / "station.sqlite"
    _station(path)
    session, window = _open_as_officer(qtbot, path, when_modal)
    questions: list[str] = []

    def close_for_good(lock: QWidget) -> None:
        assert isinstance(lock, LoginDialog)
        _on_next(when_modal, QMessageBox, lambda b: _answer(b, "Đóng Phường Kiểu Mẫu", questions))
        lock.close()  # the window's own close box asks the same question

    _on_next(when_modal, LoginDialog, close_for_good)
    session.lock_screen()
    assert len(questions) == 1
    qtbot.waitUntil(lambda: not window.isVisible())
    assert session.db is None
    _close(session)


def test_another_user_taking_over_asks_before_closing_the_open_form(
    qtbot: QtBot, tmp_path: Path, when_modal: Schedule
) -> None:
    path = tmp_path / "station.sqlite"
    _station(path)
    session, first = _open_as_officer(qtbot, path, when_modal)
    questions: list[str] = []
    seen: dict[str, object] = {}

    def officer_returns(lock: QWidget) -> None:
        assert isinstance(lock, LoginDialog) and lock.locked
        seen["asked again"] = True
        go_on = "Đóng các cửa sổ và đăng nhập"
        _on_next(when_modal, QMessageBox, lambda b: _answer(b, go_on, questions))
        _log_in(qtbot, lock, "thang", "của trưởng 789")  # this time the chief goes on

    def chief_tries(lock: QWidget) -> None:
        back = "Quay lại màn hình khoá"
        _on_next(when_modal, QMessageBox, lambda b: _answer(b, back, questions))
        _log_in(qtbot, lock, "thang", "của trưởng 789")  # asked: "back" returns to the lock screen
        _on_next(when_modal, LoginDialog, officer_returns)

    def fill_the_form(dialog: QWidget) -> None:
        assert isinstance(dialog, RecordDialog)
        name = dialog.findChild(QLineEdit, "field_name")
        assert name is not None
        name.setText(TEAM)
        _on_next(when_modal, LoginDialog, chief_tries)
        session.lock_screen()
        seen["form open after"] = dialog.isVisible()

    when_modal(fill_the_form)
    first.page("teams").add_record()  # returns once the form was closed for the chief
    assert seen["asked again"] is True and seen["form open after"] is False
    assert len(questions) == 2 and "Nguyễn Văn An" in questions[0], questions
    qtbot.waitUntil(lambda: session.window is not first and session.window is not None)
    qtbot.waitUntil(lambda: session.window is not None and session.window.db is not None)
    assert session.actor is not None and session.actor.role is Role.CHIEF
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, RecordDialog)]
    _close(session)
