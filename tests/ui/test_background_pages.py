"""Slow reads run off the GUI thread: the screen says it is busy at once, and fills in when the
work is done (the province's overview, a ward's drill-down, the check before a restore)."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from app.core.domain.errors import EnvironmentProblem, UserFacingError
from app.core.services import backup_steps as backup
from app.db.engine import Database
from app.ui import errors
from app.ui.widgets.backup_page import BackupPage
from app.ui.widgets.province_page import ProvincePage
from tests.conftest import TODAY
from tests.sync.bundle_pairs import Pair
from tests.ui.conftest import Schedule


def test_the_province_overview_and_the_ward_are_read_in_the_background(
    qtbot: QtBot, pair: Pair
) -> None:
    pair.import_(pair.export())
    page = ProvincePage(pair.province_db, TODAY.year, service=pair.province)
    qtbot.addWidget(page)
    page.show()
    # the constructor returned before the wards were read: busy, nothing listed yet
    assert page.refreshing() and page.busy.isVisible() and page.model.rowCount() == 0
    qtbot.waitUntil(lambda: not page.refreshing(), timeout=20000)
    assert not page.busy.isVisible() and page.model.text(0, 0) == "16681"

    page.overview.selectRow(0)
    dialog = page.open_ward()
    assert dialog is not None
    qtbot.addWidget(dialog)
    assert dialog.loading() and not dialog.tabs.isEnabled() and dialog.busy.isVisible()
    assert dialog.records_model.rowCount() == 0
    qtbot.waitUntil(lambda: not dialog.loading(), timeout=20000)
    assert dialog.tabs.isEnabled() and not dialog.busy.isVisible()
    assert "16681" in dialog.windowTitle() and dialog.records_model.rowCount() > 0

    dialog.kind.setCurrentIndex(1)  # another record kind: read again, in the background
    assert dialog.loading() and not dialog.tabs.isEnabled()
    qtbot.waitUntil(lambda: not dialog.loading(), timeout=20000)
    assert dialog.records_model.columnCount() == len(dialog._kind().fields)
    assert dialog.records_model.rowCount() > 0
    dialog.year.setValue(TODAY.year - 5)  # a year the ward never reported
    qtbot.waitUntil(lambda: not dialog.loading(), timeout=20000)
    assert dialog.indicators_model.rowCount() == 0
    dialog.close()


def test_a_backup_is_checked_in_the_background_before_a_restore(qtbot: QtBot, db: Database) -> None:
    taken = backup.create_backup(db.path, "manual")
    page = BackupPage(db.path)
    qtbot.addWidget(page)
    requested: list[object] = []
    page.restore_requested.connect(requested.append)
    page.restore(taken.path, ask=False)
    # the backup is being hashed on the writer thread: nothing requested yet
    assert requested == [] and page._operation is not None and page._operation.running
    qtbot.waitUntil(lambda: requested == [taken.path], timeout=20000)


def test_a_damaged_backup_is_refused_before_a_restore(
    qtbot: QtBot, db: Database, when_modal: Schedule
) -> None:
    taken = backup.create_backup(db.path, "manual")
    data = bytearray(taken.path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    taken.path.write_bytes(bytes(data))
    page = BackupPage(db.path)
    qtbot.addWidget(page)
    requested: list[object] = []
    page.restore_requested.connect(requested.append)
    refused: list[BaseException] = []
    errors.error_listeners.append(refused.append)
    try:
        when_modal(lambda box: box.close())  # the refusal, in Vietnamese
        page.restore(taken.path, ask=False)
        qtbot.waitUntil(lambda: bool(refused), timeout=20000)
    finally:
        errors.error_listeners.remove(refused.append)
    assert requested == []
    assert isinstance(refused[0], UserFacingError | EnvironmentProblem), refused  # not a bug
