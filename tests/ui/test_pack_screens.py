"""The packs screen when nothing can be installed, and the install history's trusted time."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot

from app.core.services import packs
from app.db.engine import Database
from app.sync.tuf_repo import open_repository
from app.ui.dialogs.pack_install_dialog import PackInstallDialog
from app.ui.widgets.packs_page import PacksPage
from tests.sync.conftest import DEV_KEYS, pack_file

Schedule = Callable[[Callable[[QWidget], None]], None]


def test_a_drive_with_nothing_installable_says_so_and_offers_no_install(
    qtbot: QtBot, db: Database, tmp_path: Path, when_modal: Schedule
) -> None:
    packs.install_bundled(db, datetime.now(UTC), "test")
    folder = tmp_path / "usb"
    shutil.copytree(packs.bundled_repository(), folder)
    expired = pack_file(
        tmp_path,
        "ward-police-indicators",
        version=2,
        change=lambda d: d.update(effective_from="2020-01-01", expires="2021-12-31"),
    )
    open_repository(folder, DEV_KEYS, None).add_packs([expired])
    page = PacksPage(db)
    qtbot.addWidget(page)
    seen: list[tuple[bool, str]] = []

    def review(dialog: QWidget) -> None:
        assert isinstance(dialog, PackInstallDialog)
        warning = dialog.findChild(QLabel, "warning")
        assert warning is not None
        seen.append((dialog.install_button.isEnabled(), warning.text()))
        dialog.reject()

    when_modal(review)
    page.choose_folder(folder)
    qtbot.waitUntil(lambda: bool(seen), timeout=20000)
    enabled, text = seen[0]
    assert not enabled and "Không có gói nào trên ổ này cài đặt được" in text


def test_the_history_shows_the_trusted_time_beside_the_pc_clock(
    qtbot: QtBot, db: Database, tmp_path: Path
) -> None:
    packs.install_bundled(db, datetime.now(UTC), "test")
    seen = datetime.now(UTC) + timedelta(days=30)
    with sqlite3.connect(db.path) as raw:
        raw.execute(
            "UPDATE app_meta SET value = ? WHERE key = 'latest_known_time'", (seen.isoformat(),)
        )
    folder = tmp_path / "usb"
    shutil.copytree(packs.bundled_repository(), folder)
    newer = pack_file(tmp_path, "ward-police-indicators", version=2)
    open_repository(folder, DEV_KEYS, None).add_packs([newer])
    packs.install(db, folder, datetime.now(UTC), "test")
    page = PacksPage(db)
    qtbot.addWidget(page)
    headers = [
        page.history_model.headerData(c, Qt.Orientation.Horizontal)
        for c in range(page.history_model.columnCount())
    ]
    assert headers[:2] == ["Thời gian", "Thời điểm tin cậy"]
    assert page.history_model.text(0, 1) == f"{seen.astimezone():%d/%m/%Y %H:%M}"
    assert "Đồng hồ máy tính đang chậm hơn" in page.warning.text()
