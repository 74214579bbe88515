"""The login screen's "Forgot the password?": the administrator types the recovery code printed
at set-up and a new password, and is logged in; a wrong code is shown in the dialog and
changes nothing."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from app.core.domain.errors import UserFacingError
from app.core.services.demo import DEMO_PROFILE
from app.core.services.profile import set_up
from app.db import audit, cipher
from app.db.open import open_database
from app.security.accounts import Accounts, KdfParams
from app.ui.dialogs.login_dialog import LoginDialog
from app.ui.dialogs.recovery_dialog import RecoveryDialog
from app.ui.ops import GuardedDialog
from tests.ui.conftest import Schedule

CHEAP = KdfParams(time_cost=1, memory_cost=8, parallelism=1)
OLD, NEW = "quản trị 2026", "mật khẩu mới 2027"


def _station(path: Path) -> tuple[Accounts, str]:
    db = open_database(path)
    set_up(db, DEMO_PROFILE)
    db.close()
    accounts = Accounts(path, kdf=CHEAP)
    login, code = accounts.create("quantri", "Lê Quản Trị", OLD)
    cipher.unlock(path, login.db_key)
    open_database(path).close()  # encrypted, as the first login does
    cipher.forget(path)
    return accounts, code


def _type(dialog: QWidget, name: str, text: str) -> None:
    field = dialog.findChild(QLineEdit, name)
    assert field is not None, name
    field.setText(text)


def _click(dialog: QWidget, name: str) -> None:
    button = dialog.findChild(QPushButton, name)
    assert button is not None, name
    button.click()


def _fill(qtbot: QtBot, dialog: QWidget, code: str) -> None:
    """Fill in and send the form; the code is checked off the GUI thread: wait (bounded)."""
    _type(dialog, "recovery_username", "quantri")
    _type(dialog, "recovery_code_input", code)
    _type(dialog, "recovery_new_password", NEW)
    _type(dialog, "recovery_new_password_again", NEW)
    _click(dialog, "recover_button")
    assert isinstance(dialog, GuardedDialog)
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=15_000)


def test_forgot_password_resets_with_the_code_and_logs_in(
    qtbot: QtBot, tmp_path: Path, when_modal: Schedule
) -> None:
    path = tmp_path / "station.sqlite"
    accounts, code = _station(path)
    before = accounts.path.read_bytes()
    login = LoginDialog(accounts)
    qtbot.addWidget(login)
    login.show()
    seen: dict[str, str] = {}

    def drive(dialog: QWidget) -> None:
        assert isinstance(dialog, RecoveryDialog)
        _fill(qtbot, dialog, "AAAA-" * 7 + "AAAA")
        error = dialog.findChild(QLabel, "login_error")
        assert error is not None and error.isVisible()
        seen["wrong"] = error.text()
        seen["unchanged"] = str(accounts.path.read_bytes() == before)
        _type(dialog, "recovery_new_password", NEW)
        _type(dialog, "recovery_new_password_again", "khác hẳn 2027")
        _click(dialog, "recover_button")
        seen["mismatch"] = error.text()
        _fill(qtbot, dialog, code)
        done = dialog.findChild(QLabel, "recovery_done")
        assert done is not None
        seen["done"] = done.text()
        _click(dialog, "recover_button")  # now "Log in"

    when_modal(drive)
    _click(login, "forgot_password")
    assert "Mã khôi phục không đúng" in seen["wrong"]
    assert seen["unchanged"] == "True"
    assert "không giống nhau" in seen["mismatch"]
    assert "đã được đặt lại bằng mã khôi phục" in seen["done"]
    assert login.result() == LoginDialog.DialogCode.Accepted
    assert login.result_login is not None and login.result_login.actor.username == "quantri"
    assert not login.result_login.must_change_password

    assert Accounts(path).login("quantri", NEW).actor.username == "quantri"
    try:
        Accounts(path).login("quantri", OLD)
    except UserFacingError:
        pass
    else:
        raise AssertionError("the old password still logs in")
    db = open_database(path)
    try:
        with db.read() as session:
            entry = audit.entries(session, limit=1)[0]
            last = (entry.action, entry.actor, entry.record_uuid)
        assert last == ("recover-password", "Lê Quản Trị", "quantri")
    finally:
        db.close()


def test_the_lock_screen_has_no_recovery_link(qtbot: QtBot, tmp_path: Path) -> None:
    accounts, _code = _station(tmp_path / "station.sqlite")
    locked = LoginDialog(accounts, locked=True)
    qtbot.addWidget(locked)
    assert locked.findChild(QPushButton, "forgot_password") is None


def test_the_app_opens_for_the_administrator_recovered_at_start(
    qtbot: QtBot, tmp_path: Path, when_modal: Schedule
) -> None:
    """The whole start: login screen, "Forgot the password?", the code, the main window."""
    from app.ui.app import StationSession

    path = tmp_path / "station.sqlite"
    _accounts, code = _station(path)

    def recover(dialog: QWidget) -> None:
        assert isinstance(dialog, RecoveryDialog)
        _fill(qtbot, dialog, code)
        _click(dialog, "recover_button")

    def forgot(dialog: QWidget) -> None:
        assert isinstance(dialog, LoginDialog)
        when_modal(recover)
        _click(dialog, "forgot_password")

    when_modal(forgot)
    session = StationSession(path, background_checks=False)
    window = session.start()
    assert window is not None
    qtbot.waitUntil(lambda: window.db is not None, timeout=15000)
    assert session.actor is not None and session.actor.username == "quantri"
    window.close()
    session.close()
