"""The backup screen and the start-up checks, driven as an officer would: back up, restore,
and what happens when the database file is damaged (T61)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog, QLabel, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from app.core.domain.access import Role
from app.core.domain.errors import EnvironmentProblem
from app.core.services import backup_steps as backup
from app.core.services.demo import DEMO_PROFILE
from app.core.services.profile import load, set_up
from app.core.services.records import RecordService
from app.db import cipher
from app.db.engine import Database
from app.db.open import open_database
from app.i18n import _
from app.security.accounts import Accounts, KdfParams, LoginResult
from app.ui.app import StationSession
from app.ui.ops import wait_for_background
from app.ui.widgets.backup_page import BackupPage
from tests.sync.test_bundles import SESSION
from tests.ui.conftest import Schedule

CHEAP = KdfParams(time_cost=1, memory_cost=8, parallelism=1)
ADMIN_PASSWORD = "mật khẩu quản trị 1"


KEYS: dict[Path, bytes] = {}


def _station(path: Path) -> LoginResult:
    """A ward station with an administrator and an officer, encrypted with the key their
    logins unwrap (as after the first login); returns the administrator's login."""
    db = open_database(path)
    set_up(db, DEMO_PROFILE)
    RecordService(db, author="Nguyễn Văn An").create("sessions", {**SESSION, "place": "Trước"})
    db.close()
    accounts = Accounts(path, kdf=CHEAP)
    admin, _code = accounts.create("quantri", "Lê Quản Trị", ADMIN_PASSWORD)
    accounts.add_user(admin, "nvan", "Nguyễn Văn An", Role.OFFICER, "tạm thời 123")
    cipher.unlock(path, admin.db_key)
    open_database(path).close()  # the plaintext station is encrypted on this open
    assert cipher.is_encrypted(path)
    KEYS[path] = admin.db_key
    return admin


def _places(path: Path) -> list[str]:
    with contextlib.closing(cipher.connect(path, readonly=True, key=KEYS[path])) as raw:
        return [p for (p,) in raw.execute("SELECT place FROM outreach_sessions ORDER BY id")]


def _close(session: StationSession) -> None:
    if session.window is not None:
        session.window.close()
    session.close()


def _accept(box: QWidget) -> None:
    assert isinstance(box, QDialog), box
    box.accept()


def _cell(page: BackupPage, row: int, column: int) -> str:
    assert 0 <= row < page.model.rowCount(), (row, column)
    return page.model.text(row, column)


def _db(session: StationSession) -> Database:
    assert session.db is not None
    return session.db


def _opened(qtbot: QtBot, session: StationSession) -> None:
    window = session.start()  # not qtbot.addWidget: a restore deletes the window
    qtbot.waitUntil(lambda: session.db is not None and window.db is not None, timeout=10000)


def test_back_up_then_restore_from_the_screen(
    qtbot: QtBot, tmp_path: Path, when_modal: Schedule
) -> None:
    path = tmp_path / "station.sqlite"
    admin = _station(path)
    session = StationSession(path, background_checks=False, login=admin)
    _opened(qtbot, session)
    window = session.window
    assert window is not None and window.sidebar.count() == 15  # and "User accounts"
    window.show_page("backup")
    page = window.stack.currentWidget()
    assert isinstance(page, BackupPage)
    assert page.model.rowCount() == 0 and page.status.text() == _(
        "There is no backup yet. Take one now."
    )
    when_modal(_accept)  # "Backup taken and checked."
    page.back_up_now()
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=10000)
    assert _cell(page, 0, 1) == _("taken by hand")
    # written first, then checked in the background: the box says so once it is verified
    qtbot.waitUntil(lambda: _cell(page, 0, 2) == _("verified"), timeout=10000)
    assert _cell(page, 0, 3) == "Lê Quản Trị"  # who took it, not the OS login
    first_instance = load(_db(session)).instance_id

    RecordService(_db(session), author="x").create("sessions", {**SESSION, "place": "Sau"})
    assert _places(path) == ["Trước", "Sau"]
    when_modal(_accept)  # "The data was restored from …"
    page.restore(ask=False)
    qtbot.waitUntil(lambda: session.window is not window and session.db is not None, timeout=10000)
    wait_for_background()
    assert _places(path) == ["Trước"]
    assert load(_db(session)).instance_id != first_instance
    reasons = sorted(b.reason for b in backup.list_backups(path))
    assert reasons == ["before-restore", "manual"]
    _close(session)


def test_a_damaged_database_offers_the_newest_verified_backup(
    qtbot: QtBot, tmp_path: Path, when_modal: Schedule
) -> None:
    """T61: the records table is damaged, so opening fails; the newest verified backup is
    offered, and accepting it restores the data under a new instance identity."""
    path = tmp_path / "station.sqlite"
    admin = _station(path)
    taken = backup.create_backup(path, "daily")
    with contextlib.closing(cipher.connect(path, key=admin.db_key)) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        root = raw.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'outreach_sessions'"
        ).fetchone()[0]
    data = bytearray(path.read_bytes())  # an encrypted page: its HMAC no longer matches
    start = (root - 1) * 4096
    data[start : start + 4096] = b"\x0d" + b"\xee" * 4095
    path.write_bytes(bytes(data))
    assert not backup.is_intact(path)

    texts: list[str] = []

    def accept_each(box: QWidget) -> None:
        """Accept this dialog, and the next one, until the restored window is open."""
        assert isinstance(box, QMessageBox), box
        texts.append(box.text())
        yes = [b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.AcceptRole]
        yes[0].click()  # "Close", or "Restore the backup"
        if taken.path.name not in texts[-1]:  # not yet the report of the restore
            when_modal(accept_each, attempts=1500)

    # Opening or the background quick check finds the damage; either way the newest verified
    # backup is offered, accepting restores it, and the restore is reported.
    session = StationSession(path, background_checks=True, login=admin)
    when_modal(accept_each, attempts=1500)
    first = session.start()  # not qtbot.addWidget: the restore deletes this window
    qtbot.waitUntil(
        lambda: (
            session.window is not first
            and session.window is not None
            and session.window.db is not None
        ),
        timeout=15000,
    )
    qtbot.waitUntil(lambda: any(taken.path.name in t for t in texts), timeout=5000)
    wait_for_background()
    assert any("hỏng" in t for t in texts), texts
    assert any(taken.created_at.astimezone().strftime("%d/%m/%Y") in t for t in texts), texts
    assert backup.is_intact(path)
    assert _places(path) == ["Trước"]
    _close(session)


def test_recovery_mode_refuses_every_write(
    qtbot: QtBot, tmp_path: Path, when_modal: Schedule
) -> None:
    """When the start-up quick check fails, the officer may stay read-only: a banner says so
    and the services refuse every write."""
    path = tmp_path / "station.sqlite"
    admin = _station(path)
    backup.create_backup(path, "daily")
    session = StationSession(path, background_checks=False, login=admin)
    _opened(qtbot, session)
    seen: list[str] = []

    def stay_read_only(box: QWidget) -> None:
        assert isinstance(box, QMessageBox), box
        seen.append(box.text())
        box.reject()

    when_modal(stay_read_only)
    session.enter_recovery_mode()
    window = session.window
    assert window is not None and seen
    assert _("DAMAGED DATABASE: READ-ONLY") in window.windowTitle()
    assert window.statusBar().findChild(QLabel, "recovery_banner") is not None
    with pytest.raises(EnvironmentProblem) as raised:
        RecordService(_db(session), author="x").create("sessions", SESSION)
    assert "chỉ đọc" in raised.value.message
    assert _places(path) == ["Trước"]
    _close(session)


def test_an_officer_backs_up_but_cannot_restore(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.core.domain.access import Actor

    path = tmp_path / "station.sqlite"
    _station(path)
    taken = backup.create_backup(path, "manual")
    page = BackupPage(path, actor=Actor("nvan", "Nguyễn Văn An", Role.OFFICER))
    qtbot.addWidget(page)
    assert page.create_button.isEnabled() and page.verify_button.isEnabled()
    assert not page.restore_button.isEnabled() and not page.usb_in_button.isEnabled()
    shown: list[str] = []
    monkeypatch.setattr(
        "app.ui.widgets.backup_page.present_error", lambda _p, error: shown.append(str(error))
    )
    requested: list[object] = []
    page.restore_requested.connect(requested.append)
    page.restore(taken.path, ask=False)  # even called directly, the role is checked
    assert requested == [] and shown and "không được phép" in shown[0]
    assert _places(path) == ["Trước"]
