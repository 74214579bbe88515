"""What a role may not do is shown disabled on the screens (the services refuse it anyway)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from PySide6.QtGui import QUndoStack
from pytestqt.qtbot import QtBot

from app.core.domain.access import Actor, Role
from app.core.domain.records import kind_by_code
from app.core.services import packs
from app.core.services.records import RecordService
from app.core.services.sync.ward import WardSync
from app.db.engine import Database
from app.i18n import _
from app.ui.widgets.indicator_page import IndicatorPage
from app.ui.widgets.packs_page import PacksPage
from app.ui.widgets.record_page import RecordPage
from app.ui.widgets.sync_page import SyncPage

OFFICER = Actor("nvan", "Nguyễn Văn An", Role.OFFICER)
CHIEF = Actor("thang", "Phạm Văn Thắng", Role.CHIEF)
ADMIN = Actor("quantri", "Lê Quản Trị", Role.ADMIN)
TODAY = date(2026, 11, 23)


def test_each_screen_disables_what_the_role_may_not_do(qtbot: QtBot, db: Database) -> None:
    packs.install_bundled(db, datetime.now(UTC), "test")
    for actor, may_edit in ((OFFICER, True), (ADMIN, False)):
        page = RecordPage(RecordService(db, actor=actor), kind_by_code("sessions"), QUndoStack())
        qtbot.addWidget(page)
        assert page.add_action.isEnabled() is may_edit
        assert page.import_action.isEnabled() is may_edit
        assert page.export_action.isEnabled()  # reading is for everyone
        if not may_edit:
            assert page.add_action.toolTip() == _("Your role does not allow this.")

    officer_grid = IndicatorPage(db, lambda: TODAY, actor=OFFICER)
    chief_grid = IndicatorPage(db, lambda: TODAY, actor=CHIEF)
    admin_grid = IndicatorPage(db, lambda: TODAY, actor=ADMIN)
    for grid_page in (officer_grid, chief_grid, admin_grid):
        qtbot.addWidget(grid_page)
    assert not officer_grid.lock_button.isEnabled() and chief_grid.lock_button.isEnabled()
    no_edit = admin_grid.table.editTriggers()
    assert no_edit == admin_grid.table.EditTrigger.NoEditTriggers
    assert officer_grid.table.editTriggers() != no_edit

    officer_packs = PacksPage(db, actor=OFFICER)
    chief_packs = PacksPage(db, actor=CHIEF)
    for packs_page in (officer_packs, chief_packs):
        qtbot.addWidget(packs_page)
    assert not officer_packs.install_button.isEnabled()
    assert chief_packs.install_button.isEnabled()

    officer_sync = SyncPage(db, actor=OFFICER)
    admin_sync = SyncPage(db, actor=ADMIN)
    for sync_page in (officer_sync, admin_sync):
        qtbot.addWidget(sync_page)
    assert not officer_sync.export_button.isEnabled()
    assert not officer_sync.create_keys_button.isEnabled()
    assert admin_sync.create_keys_button.isEnabled()
    assert isinstance(admin_sync.sync, WardSync)
