"""Tables the officer sorts by clicking a column title: the row acted on is the row shown
selected, whatever the order (the selection is mapped through the sorting proxy)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.core.domain.access import Actor, Role
from app.core.services import backup_steps as backup
from app.db.engine import Database
from app.security.accounts import Accounts, KdfParams
from app.ui.widgets.backup_page import BackupPage
from app.ui.widgets.users_page import UsersPage

CHEAP = KdfParams(time_cost=1, memory_cost=8, parallelism=1)


def test_the_selected_user_is_the_one_shown_after_sorting(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "accounts.sqlite"
    accounts = Accounts(path, kdf=CHEAP)
    admin, _code = accounts.create("quantri", "Lê Quản Trị", "mật khẩu quản trị 1")
    accounts.add_user(admin, "nvan", "Nguyễn Văn An", Role.OFFICER, "tạm thời 123")
    accounts.add_user(admin, "ttbinh", "Trần Thị Bình", Role.CHIEF, "tạm thời 456")
    page = UsersPage(path, Actor("quantri", "Lê Quản Trị", Role.ADMIN))
    qtbot.addWidget(page)
    page.show()
    view = page.table
    view.sortByColumn(1, Qt.SortOrder.DescendingOrder)  # full name, Vietnamese order, Z→A
    shown = [view.model().index(r, 1).data() for r in range(view.model().rowCount())]
    assert shown == ["Trần Thị Bình", "Nguyễn Văn An", "Lê Quản Trị"]
    for row, name in enumerate(shown):
        view.selectRow(row)
        user = page.selected()
        assert user is not None and user.display_name == name


def test_the_selected_backup_is_the_one_shown_after_sorting(qtbot: QtBot, db: Database) -> None:
    first = backup.create_backup(db.path, "manual")
    second = backup.create_backup(db.path, "daily")
    page = BackupPage(db.path)
    qtbot.addWidget(page)
    page.show()
    assert page.selected() == second.path  # the newest, selected as listed
    page.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # oldest first
    page.table.selectRow(0)
    assert page.selected() == first.path
    assert page.table.model().index(0, 5).data() == first.path.name
