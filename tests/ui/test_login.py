"""Logging in as an officer would: the first administrator and the recovery code, wrong
passwords and the lock-out, the forced password change, the auto-lock and a change of user."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QMessageBox, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from app.core.domain.access import Role
from app.core.domain.errors import UserFacingError
from app.core.services.demo import DEMO_PROFILE
from app.core.services.profile import set_up
from app.db import cipher
from app.db.open import open_database
from app.i18n import _
from app.security.accounts import Accounts, KdfParams
from app.ui.app import StationSession
from app.ui.dialogs.login_dialog import (
    ChangePasswordDialog,
    CreateAdminDialog,
    LoginDialog,
    RecoveryCodeView,
)
from app.ui.ops import GuardedDialog
from tests.ui.conftest import Schedule

CHEAP = KdfParams(time_cost=1, memory_cost=8, parallelism=1)


def _ward(path: Path) -> None:
    db = open_database(path)
    set_up(db, DEMO_PROFILE)
    db.close()


def _type(dialog: QWidget, name: str, text: str) -> None:
    field = dialog.findChild(QLineEdit, name)
    assert field is not None, name
    field.setText(text)


def _click(dialog: QWidget, name: str, qtbot: QtBot | None = None) -> None:
    """Click ``name``; with ``qtbot``, wait (bounded) for the step it started off the GUI
    thread (a password checked, keys made) to end."""
    button = dialog.findChild(QPushButton, name)
    assert button is not None, name
    button.click()
    if qtbot is not None:
        _until_idle(qtbot, dialog)


def _until_idle(qtbot: QtBot, dialog: QWidget) -> None:
    assert isinstance(dialog, GuardedDialog)
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=15_000)


def _close_all(session: StationSession) -> None:
    if session.window is not None:
        session.window.close()
    session.close()


def test_first_start_creates_the_administrator_and_shows_the_recovery_code_once(
    qtbot: QtBot, tmp_path: Path, when_modal: Schedule
) -> None:
    path = tmp_path / "station.sqlite"
    _ward(path)
    seen: dict[str, str] = {}

    def create(dialog: QWidget) -> None:
        assert isinstance(dialog, CreateAdminDialog)
        _type(dialog, "admin_username", "quantri")
        _type(dialog, "admin_display_name", "Lê Quản Trị")
        _type(dialog, "admin_password", "mật khẩu dài 1")
        _type(dialog, "admin_password_again", "mật khẩu dài 2")
        _click(dialog, "create_button", qtbot)  # the two passwords differ: refused, box stays
        error = dialog.findChild(QLabel, "login_error")
        assert error is not None and "không giống nhau" in error.text()
        _type(dialog, "admin_password_again", "mật khẩu dài 1")
        _click(dialog, "create_button", qtbot)
        # the code is the same window's second step, not a box over the account form
        assert dialog.isVisible() and QApplication.activeModalWidget() is dialog
        code = dialog.findChild(QLabel, "recovery_code")
        assert code is not None and code.isVisible()
        seen["code"] = code.text()
        _click(dialog, "written_down")

    when_modal(create)
    session = StationSession(path, background_checks=False)
    window = session.start()
    qtbot.waitUntil(lambda: window.db is not None, timeout=15000)
    assert session.actor is not None and session.actor.role is Role.ADMIN
    assert len(seen["code"].replace("-", "")) == 32
    titles = [window.sidebar.item(i).text() for i in range(window.sidebar.count())]
    assert _("User accounts") in titles
    label = window.statusBar().findChild(QLabel, "user_label")
    assert label is not None and "Lê Quản Trị" in label.text()
    # the first login encrypted the station that was set up before accounts existed
    assert cipher.is_encrypted(path)
    raw = path.read_bytes()
    assert b"SQLite format 3" not in raw and "Trường Vinh".encode() not in raw
    # the code works once for a forgotten password; it is not kept anywhere readable
    stored = (path.parent / "keys" / path.stem / "accounts.json").read_text()
    assert seen["code"] not in stored
    _close_all(session)
    assert cipher.key_for(path) is None  # closing forgets the key
    Accounts(path).recover(seen["code"], "quantri", "mật khẩu mới 123")


def test_wrong_passwords_lock_the_account_then_the_right_one_opens(
    qtbot: QtBot, tmp_path: Path, when_modal: Schedule
) -> None:
    path = tmp_path / "station.sqlite"
    _ward(path)
    accounts = Accounts(path, kdf=CHEAP)
    admin, _code = accounts.create("quantri", "Lê Quản Trị", "mật khẩu quản trị")
    accounts.add_user(admin, "thang", "Phạm Văn Thắng", Role.CHIEF, "tạm thời 123")
    errors: list[str] = []

    def wrong_five_times(dialog: QWidget) -> None:
        assert isinstance(dialog, LoginDialog)
        dialog.user.setCurrentIndex(dialog.user.findData("thang"))
        for attempt in range(6):
            _type(dialog, "password", f"sai {attempt}")
            _click(dialog, "login_button", qtbot)
            label = dialog.findChild(QLabel, "login_error")
            assert label is not None and dialog.isVisible()
            errors.append(label.text())
        dialog.reject()

    when_modal(wrong_five_times)
    session = StationSession(path, background_checks=False)
    window = session.start()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=15000)
    assert session.db is None  # no login, no data opened
    assert "không đúng" in errors[0]
    assert "thử lại sau 30 giây" in errors[-1], errors[-1]  # five failures lock for 30 s
    assert accounts.users()[1].locked_until is not None
    try:
        accounts.login("thang", "tạm thời 123")
    except UserFacingError as refused:  # even the right password waits out the lock
        assert "thử lại sau" in refused.message
    else:
        raise AssertionError("a locked account logged in")
    session.close()


def test_a_reset_password_must_be_changed_then_the_screen_locks_when_idle(
    qtbot: QtBot, tmp_path: Path, when_modal: Schedule
) -> None:
    path = tmp_path / "station.sqlite"
    _ward(path)
    accounts = Accounts(path, kdf=CHEAP)
    admin, _code = accounts.create("quantri", "Lê Quản Trị", "mật khẩu quản trị")
    accounts.add_user(admin, "nvan", "Nguyễn Văn An", Role.OFFICER, "tạm thời 123")
    accounts.add_user(admin, "thang", "Phạm Văn Thắng", Role.CHIEF, "tạm thời 456")
    accounts.change_password("thang", "tạm thời 456", "của trưởng 789")

    def change(dialog: QWidget) -> None:
        assert isinstance(dialog, ChangePasswordDialog)
        _type(dialog, "new_password", "của tôi 2026")
        _type(dialog, "new_password_again", "của tôi 2026")
        _click(dialog, "save_password", qtbot)

    def log_in_officer(dialog: QWidget) -> None:
        assert isinstance(dialog, LoginDialog)
        dialog.user.setCurrentIndex(dialog.user.findData("nvan"))
        _type(dialog, "password", "tạm thời 123")
        _click(dialog, "login_button", qtbot)
        when_modal(change)  # the password was checked off the GUI thread: the next box

    when_modal(log_in_officer)
    session = StationSession(path, background_checks=False, idle_lock_minutes=0.01)
    first = session.start()
    qtbot.waitUntil(lambda: first.db is not None, timeout=15000)
    assert session.actor is not None and session.actor.username == "nvan"
    assert not accounts.users()[1].must_change_password
    assert _("User accounts") not in [
        first.sidebar.item(i).text() for i in range(first.sidebar.count())
    ]
    shown: dict[str, bool] = {}

    def chief_takes_over(dialog: QWidget) -> None:
        assert isinstance(dialog, LoginDialog)
        assert dialog.windowTitle() == _("ModelWard is locked")
        central = first.centralWidget()
        shown["data hidden"] = central is not None and not central.isVisible()
        assert dialog.chosen_username() == "nvan"  # the locked user is proposed
        dialog.user.setCurrentIndex(dialog.user.findData("thang"))
        _type(dialog, "password", "của trưởng 789")
        _click(dialog, "login_button", qtbot)

    when_modal(chief_takes_over, attempts=1500)  # locks after 0.6 s without input
    qtbot.waitUntil(lambda: session.window is not first and session.window is not None)
    qtbot.waitUntil(lambda: session.window is not None and session.window.db is not None)
    assert shown["data hidden"]
    assert session.actor is not None and session.actor.role is Role.CHIEF
    assert session.window is not None and session.window.actor == session.actor
    _close_all(session)


def test_an_encrypted_station_without_its_accounts_file_is_not_given_new_accounts(
    qtbot: QtBot, tmp_path: Path, when_modal: Schedule
) -> None:
    """Creating a new administrator would make a new key that cannot open the file: the app
    says what is missing instead, and changes nothing."""
    path = tmp_path / "station.sqlite"
    _ward(path)
    accounts = Accounts(path, kdf=CHEAP)
    admin, _code = accounts.create("quantri", "Lê Quản Trị", "mật khẩu quản trị")
    cipher.unlock(path, admin.db_key)
    open_database(path).close()
    cipher.forget(path)
    accounts.path.unlink()
    before = path.read_bytes()
    seen: list[str] = []

    def read(box: QWidget) -> None:
        assert isinstance(box, QMessageBox), box
        seen.append(box.text())
        box.close()

    when_modal(read)
    session = StationSession(path, background_checks=False)
    window = session.start()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=15000)
    assert seen and "bị thiếu" in seen[0], seen
    assert not accounts.exists() and path.read_bytes() == before
    session.close()


def test_the_recovery_code_prints_on_one_page(qtbot: QtBot, tmp_path: Path) -> None:
    import io

    from pypdf import PdfReader
    from PySide6.QtPrintSupport import QPrinter

    code = "TRSP-6XR2-JM5Q-5CBP-QZ6H-WDB3-LO7I-22FQ"
    dialog = RecoveryCodeView(code)
    qtbot.addWidget(dialog)
    out = tmp_path / "code.pdf"
    printer = QPrinter()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(out))
    dialog.print_code(printer)
    reader = PdfReader(io.BytesIO(out.read_bytes()))
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())
    assert code in text
    assert "tủ bảo mật" in text  # the instructions, in Vietnamese


def test_the_recovery_code_step_hides_the_account_form(qtbot: QtBot, tmp_path: Path) -> None:
    """The code used to open in a box over the account form: the password field and the
    form's buttons showed around and under it. Now nothing of the form is visible, nothing of
    it lies under the code, and Esc cannot skip the only showing of the code."""
    from PySide6.QtCore import QPoint, QRect, Qt, QTimer

    dialog = CreateAdminDialog(Accounts(tmp_path / "station.sqlite", kdf=CHEAP))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    form_widgets = [
        dialog.findChild(QWidget, name)
        for name in (
            "admin_username",
            "admin_display_name",
            "admin_password",
            "admin_password_again",
            "create_button",
        )
    ]
    assert all(widget is not None and widget.isVisible() for widget in form_widgets)
    _type(dialog, "admin_username", "quantri")
    _type(dialog, "admin_display_name", "Lê Quản Trị")
    _type(dialog, "admin_password", "mật khẩu dài 1")
    _type(dialog, "admin_password_again", "mật khẩu dài 1")
    boxes: list[str] = []

    def close_a_box_over_the_form() -> None:  # the old code opened one: fail, do not hang
        box = QApplication.activeModalWidget()
        if box is not None and box is not dialog:
            boxes.append(box.objectName())
            box.close()
        boxes.append("checked")

    QTimer.singleShot(300, close_a_box_over_the_form)
    _click(dialog, "create_button", qtbot)
    qtbot.waitUntil(lambda: "checked" in boxes)
    assert boxes == ["checked"]  # no second window over the first
    code = dialog.findChild(QLabel, "recovery_code")
    assert code is not None and code.isVisible()

    def on_screen(widget: QWidget) -> QRect:
        return QRect(widget.mapToGlobal(QPoint(0, 0)), widget.size())

    code_area = on_screen(code)
    for widget in form_widgets:
        assert widget is not None
        assert not widget.isVisible(), widget.objectName()
    for widget in dialog.findChildren(QWidget):
        if widget.isVisible() and widget is not code and not widget.isAncestorOf(code):
            assert not on_screen(widget).intersects(code_area), widget.objectName()
    dialog.grab()  # paints without error
    for name in ("admin_password", "admin_password_again"):  # the password is not kept
        field = dialog.findChild(QLineEdit, name)
        assert field is not None and not field.text()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.isVisible() and dialog.result() == 0  # Esc does not skip the code
    _click(dialog, "written_down")
    assert not dialog.isVisible() and dialog.result_login is not None


def _demo(path: Path) -> None:
    from datetime import date

    from app.core.services import demo_accounts
    from app.core.services.demo import DemoBuilder

    db = open_database(path)
    DemoBuilder(db, 1, date(2026, 11, 23), seed=5).build()
    db.close()
    demo_accounts.create(path, kdf=CHEAP)


def test_the_demo_login_shows_an_account_per_role_and_the_chief_approves_at_once(
    qtbot: QtBot, tmp_path: Path, when_modal: Schedule
) -> None:
    """A newcomer invents nothing: the demo's login screen lists its accounts, "Use" fills one
    in, and the chief approves with the passphrase the same screen showed."""
    from app.ui.widgets.demo_card import DemoCardBox

    path = tmp_path / "demo.sqlite"
    _demo(path)
    shown: dict[str, str] = {}

    def use_the_chief(dialog: QWidget) -> None:
        assert isinstance(dialog, LoginDialog)
        card = dialog.findChild(DemoCardBox, "demo_card")
        assert card is not None and card.isVisible()
        shown["card"] = " ".join(label.text() for label in card.findChildren(QLabel))
        _click(card, "demo_use_demo.truong")
        assert dialog.chosen_username() == "demo.truong"
        assert dialog.password.text() == "truong-demo"
        dialog.ok.click()

    when_modal(use_the_chief)
    session = StationSession(path, background_checks=False)
    window = session.start()
    qtbot.waitUntil(lambda: window.db is not None, timeout=15000)
    for text in ("demo.canbo", "canbo-demo", "demo.quantri", "quantri-demo", "khoatram-demo"):
        assert text in shown["card"], text
    assert session.actor is not None and session.actor.role is Role.CHIEF
    assert _("DEMO DATA, NOT REAL") in window.windowTitle()
    from app.ui.widgets.approval_bar import ApprovalBar

    window.show_page("indicators")
    screen = window.stack.currentWidget()
    assert screen is not None
    bar = screen.findChild(ApprovalBar)
    assert bar is not None and bar.button.isVisible()
    bar.ask_passphrase = lambda: "khoatram-demo"  # what the card showed
    bar.approve()
    assert "Phạm Văn Thắng" in bar.label.text()
    _close_all(session)


def test_a_real_station_shows_no_demo_accounts_and_refuses_a_demo_name(
    qtbot: QtBot, tmp_path: Path, when_modal: Schedule
) -> None:
    import shutil

    from app.core.services import demo_accounts
    from app.ui.widgets.demo_card import DemoCardBox

    demo = tmp_path / "demo.sqlite"
    _demo(demo)
    path = tmp_path / "station.sqlite"
    _ward(path)
    accounts = Accounts(path, kdf=CHEAP)
    admin, _code = accounts.create("quantri", "Lê Quản Trị", "mật khẩu quản trị")
    # someone names a real account like the demo's, and copies the demo's card beside it
    accounts.add_user(admin, "demo.canbo", "Nguyễn Văn An", Role.OFFICER, "tạm thời 123")
    accounts.change_password("demo.canbo", "tạm thời 123", "canbo-demo")
    shutil.copy(demo_accounts.card_path(demo), demo_accounts.card_path(path))
    seen: dict[str, object] = {}

    def read_the_refusal(box: QWidget) -> None:
        assert isinstance(box, QMessageBox), box
        seen["message"] = box.text()
        box.close()

    def try_the_demo_name(dialog: QWidget) -> None:
        assert isinstance(dialog, LoginDialog)
        seen["card"] = dialog.findChild(DemoCardBox)
        dialog.user.setCurrentIndex(dialog.user.findData("demo.canbo"))
        dialog.password.setText("canbo-demo")
        dialog.ok.click()
        _until_idle(qtbot, dialog)
        when_modal(read_the_refusal)

    when_modal(try_the_demo_name)
    session = StationSession(path, background_checks=False)
    window = session.start()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=15000)
    assert seen["card"] is None
    assert "demo" in str(seen["message"]) and window.db is None
    session.close()


def test_a_demo_built_on_the_setup_screen_brings_the_demo_accounts(
    qtbot: QtBot, tmp_path: Path, when_modal: Schedule
) -> None:
    """The newcomer's own administrator cannot enter data: the demo built from the set-up
    screen adds the demo's officer and chief, says so, and the lock screen shows them."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    from app.core.services import demo_accounts
    from app.ui.dialogs.setup_dialog import SetupDialog

    path = tmp_path / "station.sqlite"
    admin, _code = Accounts(path, kdf=CHEAP).create("nguoimoi", "Người Mới", "mật khẩu 1234")
    cipher.unlock(path, admin.db_key)
    db = open_database(path)
    told: list[str] = []
    finished: list[bool] = []  # stops the polling below once the test is past the build

    def read(box: QWidget) -> None:
        assert isinstance(box, QMessageBox), box
        told.append(box.text() + " " + box.informativeText())
        box.close()

    def wait_for_the_box() -> None:  # the progress dialog comes first
        # polled for as long as the demo takes to build (slow on a loaded machine): a box
        # that opened after the polling stopped would block the test in its exec() forever
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and box.isVisible():
            when_modal(read)
        elif not told and not finished:
            QTimer.singleShot(20, wait_for_the_box)

    dialog = SetupDialog(db, login=admin)
    qtbot.addWidget(dialog)
    dialog.show()
    QTimer.singleShot(0, wait_for_the_box)
    try:
        with qtbot.waitSignal(dialog.accepted, timeout=120000):
            dialog.build_demo(ask=False)
    finally:
        finished.append(True)
    db.close()
    assert told and "Ctrl+L" in told[0] and "demo.truong" in told[0], told
    card = demo_accounts.read_card(path)
    assert card is not None and dialog.demo_card == card
    names = {user.username for user in Accounts(path).users()}
    assert {"nguoimoi", "demo.canbo", "demo.truong"} <= names
    cipher.forget(path)


def test_the_password_is_checked_off_the_gui_thread_and_cannot_be_sent_twice(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """argon2id is slow on purpose: while it runs the login box stays responsive (a timer
    keeps ticking), says it is checking, and a second Enter neither logs in twice nor closes
    the box; a wrong password is then refused on the red line as before."""
    from PySide6.QtCore import QTimer

    accounts = Accounts(tmp_path / "station.sqlite")  # the real (slow) key derivation
    accounts.create("quantri", "Lê Quản Trị", "mật khẩu quản trị")
    dialog = LoginDialog(accounts)
    qtbot.addWidget(dialog)
    dialog.show()
    ticks: list[int] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(5)
    dialog.password.setText("sai mật khẩu")
    dialog.ok.click()
    assert dialog.busy() and not dialog.ok.isEnabled() and not dialog.password.isEnabled()
    assert dialog.ok.text() == "Đang kiểm tra mật khẩu…"
    dialog.try_login()  # Enter pressed again: ignored
    dialog.reject()  # Esc: the check goes on
    assert dialog.isVisible()
    _until_idle(qtbot, dialog)
    timer.stop()
    assert ticks, "the GUI thread was blocked while the password was checked"
    error = dialog.findChild(QLabel, "login_error")
    assert error is not None and "không đúng" in error.text()
    assert dialog.ok.isEnabled() and dialog.ok.text() == "Đăng nhập" and not dialog.password.text()
    dialog.password.setText("mật khẩu quản trị")
    with qtbot.waitSignal(dialog.accepted, timeout=15_000):
        dialog.ok.click()
    assert dialog.result_login is not None and dialog.result_login.actor.username == "quantri"
