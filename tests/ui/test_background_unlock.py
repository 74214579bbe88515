"""Slow key work runs off the GUI thread: opening the station's database after the login, and
making the station's sync keys. The window stays responsive and says what it is doing."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from app.core.services.demo import DEMO_PROFILE
from app.core.services.profile import set_up
from app.db import cipher
from app.db.open import open_database
from app.i18n import _
from app.security.accounts import Accounts, KdfParams
from app.ui.app import StationSession
from app.ui.widgets.sync_page import SyncPage
from tests.ui.test_sync_screens import Boxes

CHEAP = KdfParams(time_cost=1, memory_cost=8, parallelism=1)


def _ward(path: Path) -> None:
    db = open_database(path)
    set_up(db, DEMO_PROFILE)
    db.close()


def test_the_database_is_opened_in_the_background_after_the_login(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """The first login encrypts the plaintext station: that happens on the writer thread while
    the window shows "Opening the ward's data…" and keeps handling events."""
    path = tmp_path / "station.sqlite"
    _ward(path)
    login, _code = Accounts(path, kdf=CHEAP).create("quantri", "Lê Quản Trị", "mật khẩu dài 1")
    session = StationSession(path, background_checks=False, login=login)
    ticks: list[int] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    window = session.start()
    qtbot.waitUntil(lambda: session._opening is not None, timeout=5_000)
    assert window.loading.text() == _("Opening the ward's data…")
    timer.start(1)
    qtbot.waitUntil(lambda: window.db is not None, timeout=15_000)
    timer.stop()
    assert session._opening is not None and not session._opening.running
    assert ticks, "no event was handled while the data was opened"
    assert cipher.is_encrypted(path)
    window.close()
    session.close()


def test_the_station_keys_are_made_in_the_background(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "station.sqlite"
    _ward(path)
    db = open_database(path)
    boxes = Boxes()
    try:
        page = SyncPage(db)
        qtbot.addWidget(page)
        page.ask_passphrase = lambda _create: "khoá trạm 2026"
        page.show()
        assert page.create_keys_button.isVisible()
        page.create_keys()
        assert not page.create_keys_button.isEnabled()  # cannot be clicked twice meanwhile
        qtbot.waitUntil(lambda: any("Khoá ký" in s for s in boxes.seen), timeout=30_000)
        public = page.sync.public_keys()
        assert public is not None
        assert public.fingerprints()["signing"] in page.keys_label.text()
        assert not page.create_keys_button.isVisible()
    finally:
        boxes.timer.stop()
        db.close()
