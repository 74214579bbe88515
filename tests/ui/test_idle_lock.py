"""The auto-lock's countdown: it runs once the station is open, and the officer's input starts
it again (the application-wide event filter comes with the countdown, not before the first
window: tests/test_layering.py checks that side)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from app.core.services.demo import DEMO_PROFILE
from app.core.services.profile import set_up
from app.db.open import open_database
from app.security.accounts import Accounts, KdfParams
from app.ui.app import StationSession

CHEAP = KdfParams(time_cost=1, memory_cost=8, parallelism=1)


def test_input_on_the_open_station_starts_the_auto_lock_countdown_again(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """After the login the countdown runs; a key press or a click starts it again."""
    path = tmp_path / "station.sqlite"
    db = open_database(path)
    set_up(db, DEMO_PROFILE)
    db.close()
    login, _code = Accounts(path, kdf=CHEAP).create("quantri", "Lê Quản Trị", "mật khẩu dài 1")
    session = StationSession(path, background_checks=False, login=login, idle_lock_minutes=10)
    # to the millisecond: Qt rounds a coarse 10-minute timer to whole seconds
    session.idle_timer.setTimerType(Qt.TimerType.PreciseTimer)
    window = session.start()
    assert not session.idle_timer.isActive()  # nothing to lock before the data is open
    qtbot.waitUntil(lambda: window.db is not None, timeout=15_000)
    assert session.idle_timer.isActive()
    full = session.idle_timer.interval()

    def counting_down() -> bool:
        return session.idle_timer.remainingTime() <= full - 250

    qtbot.waitUntil(counting_down, timeout=5_000)  # once the window's own events have settled
    qtbot.keyClick(window.sidebar, Qt.Key.Key_Down)
    assert session.idle_timer.remainingTime() > full - 250  # a key press restarted it
    qtbot.waitUntil(counting_down, timeout=5_000)
    qtbot.mouseClick(window.sidebar.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(20, 20))
    assert session.idle_timer.remainingTime() > full - 250  # and so did a click
    window.close()
    session.close()
