"""First-run set-up, the spreadsheet import dialog, export, the overview and the main window."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.core.domain.records import CAMERAS
from app.core.services import profile
from app.core.services.records import RecordService
from app.core.services.spreadsheet import ImportPreview
from app.db.engine import Database
from app.i18n import _
from app.ui.dialogs.import_dialog import ImportDialog
from app.ui.dialogs.setup_dialog import SetupDialog
from app.ui.main_window import MainWindow
from app.ui.ops import wait_for_background
from app.ui.widgets.record_page import RecordPage
from tests.conftest import TODAY
from tests.core.test_records import VALID
from tests.ui.conftest import type_text

Schedule = Callable[[Callable[[QWidget], None]], None]


def test_first_run_setup_validates_then_saves(qtbot: QtBot, empty_db: Database) -> None:
    dialog = SetupDialog(empty_db)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.province.setCurrentIndex(dialog.province.findData("40"))
    type_text(dialog.code, "1668")
    dialog.try_save()
    assert dialog.errors["ward_code"].isVisibleTo(dialog)
    assert dialog.errors["ward_name"].isVisibleTo(dialog)
    assert not profile.is_set_up(empty_db)

    dialog.code.clear()
    type_text(dialog.code, "16681")
    type_text(dialog.name, "Công an phường Trường Vinh")
    type_text(dialog.place, "Trường Vinh")
    dialog.try_save()
    assert dialog.result() == dialog.DialogCode.Accepted
    station = profile.load(empty_db)
    assert station.unit.name == "Công an phường Trường Vinh"
    assert station.province.name == "Công an tỉnh Nghệ An"
    assert station.province.code == "40"


def _camera_workbook(path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(
        [
            "STT",
            "Địa chỉ",
            "Loại chủ sở hữu",
            "Chủ hộ",
            "Kết nối Công an",
            "Ngày lắp đặt",
            "Tình trạng",
            "Cột lạ",
        ]
    )
    sheet.append(
        [
            1,
            "Số 5 Quang Trung",
            "Hộ gia đình",
            "Lê Văn Tám",
            "Có",
            date(2024, 5, 1),
            "Hoạt động tốt",
            "x",
        ]
    )
    sheet.append(
        [2, "Số 9 Lê Lợi", "Doanh nghiệp", "Cửa hàng Mai", "không", "01/06/2024", "working", ""]
    )
    sheet.append(
        [3, "Số 5 Quang Trung", "Hộ gia đình", "Lê Văn Tám", "Có", date(2024, 5, 1), "working", ""]
    )  # same as row 2 of the file
    sheet.append(
        [4, "Số 12 Quang Trung", "Hộ gia đình", "Lê Thị Hoa", "Có", "32/13/2024", "working", ""]
    )  # not a date
    sheet.append(
        [5, "Số 1 Trần Phú", "Hộ gia đình", "Nguyễn Văn Hòa", "Có", date(2023, 1, 1), "working", ""]
    )  # already in the database
    book.save(path)


def test_import_dialog_previews_and_imports_only_chosen_rows(
    qtbot: QtBot, service: RecordService, tmp_path: Path, when_modal: Schedule
) -> None:
    service.create(
        "cameras", {**VALID["cameras"], "address": "Số 1 Trần Phú", "owner_name": "Nguyễn Văn Hoà"}
    )
    source = tmp_path / "camera.xlsx"
    _camera_workbook(source)
    page = RecordPage(service, CAMERAS, QUndoStack())
    qtbot.addWidget(page)
    seen: dict[str, object] = {}

    def drive(dialog: QWidget) -> None:
        assert isinstance(dialog, ImportDialog)
        qtbot.waitUntil(lambda: dialog.model is not None)
        model = dialog.model
        assert model is not None
        statuses = [model.data(model.index(r, 1)) for r in range(model.rowCount())]
        seen["statuses"] = statuses
        seen["reasons"] = [model.data(model.index(r, 2)) for r in range(model.rowCount())]
        seen["summary"] = dialog.summary.text()
        # untick the second new row: only the first is imported
        model.setData(
            model.index(1, 0), Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole
        )
        assert dialog.import_button.isEnabled()
        dialog.import_button.click()

    when_modal(drive)
    page.import_file(source)
    qtbot.waitUntil(lambda: service.count("cameras") == 2)
    assert seen["statuses"] == [_("New"), _("New"), _("Duplicate"), _("Invalid"), _("Duplicate")]
    reasons = seen["reasons"]
    assert isinstance(reasons, list)
    assert "2" in reasons[2]
    assert _("Installed") in reasons[3]
    assert reasons[4] == _("Already in the ward's list.")
    assert "Cột lạ" in str(seen["summary"])
    addresses = {r.values["address"] for r in service.fetch("cameras", service.list_ids("cameras"))}
    assert addresses == {"Số 1 Trần Phú", "Số 5 Quang Trung"}
    assert page.model.rowCount() == 2


def test_import_of_a_bad_file_changes_nothing(
    qtbot: QtBot,
    service: RecordService,
    tmp_path: Path,
    when_modal: Schedule,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = tmp_path / "broken.xlsx"
    source.write_bytes(b"PK\x03\x04 not really a workbook")
    shown: list[str] = []
    monkeypatch.setattr(
        "app.ui.dialogs.import_dialog.present_error",
        lambda _parent, error: shown.append(str(error)),
    )
    dialog = ImportDialog(service, CAMERAS, source)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: bool(shown))
    assert "broken.xlsx" in shown[0]
    assert not dialog.import_button.isEnabled()
    assert service.count("cameras") == 0


def test_export_writes_a_workbook_with_vietnamese_headers(
    qtbot: QtBot, service: RecordService, tmp_path: Path, when_modal: Schedule
) -> None:
    service.create("cameras", VALID["cameras"])
    page = RecordPage(service, CAMERAS, QUndoStack())
    qtbot.addWidget(page)
    target = tmp_path / "cameras.xlsx"
    closed: list[str] = []

    def close_box(box: QWidget) -> None:
        closed.append(box.windowTitle())
        box.close()

    when_modal(close_box)
    page.export_file(target)
    qtbot.waitUntil(lambda: bool(closed), timeout=10000)
    wait_for_background()
    sheet = load_workbook(target).active
    assert sheet is not None
    assert [c.value for c in sheet[2]][:3] == [_("No."), _("Address"), _("Owner type")]
    assert sheet["B3"].value == "Số 5 Quang Trung"
    assert sheet["C3"].value == _("Household")
    assert closed == [_("Export finished")]


def test_main_window_navigates_and_overview_follows_changes(
    qtbot: QtBot,
    db: Database,
    service: RecordService,
) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    assert window.stack.currentWidget() is window.loading
    assert window.sidebar.count() == 14
    window.attach(db, profile.load(db), service, today=lambda: TODAY)
    assert window.windowTitle() == _("Model Ward — {unit}").format(
        unit="Công an phường Trường Vinh"
    )
    assert window.sidebar.count() == 14
    window.show_page("cameras")
    assert window.stack.currentWidget() is window.page("cameras")
    assert window.overview is not None
    card = window.overview.cards["cameras"]
    assert card.figure.text() == "0 / 0"
    change = service.create("cameras", VALID["cameras"])
    window.page("cameras").refresh(change)
    assert card.figure.text() == "1 / 1"
    assert window.undo_action.text().startswith(_("Undo"))


def test_setup_can_build_a_demo_ward_in_the_background(qtbot: QtBot, empty_db: Database) -> None:
    dialog = SetupDialog(empty_db)
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.accepted, timeout=60000):
        dialog.build_demo(ask=False)
    assert dialog.result_profile is not None
    assert dialog.result_profile.is_demo
    window = MainWindow()
    qtbot.addWidget(window)
    window.attach(empty_db, dialog.result_profile, RecordService(empty_db))
    assert _("DEMO DATA, NOT REAL") in window.windowTitle()
    assert RecordService(empty_db).count("cameras") == 40


def test_the_import_dialog_cannot_be_closed_while_it_works(
    qtbot: QtBot, service: RecordService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    source = tmp_path / "camera.xlsx"
    _camera_workbook(source)
    release = threading.Event()
    original = service.preview_import

    def slow_preview(kind_code: str, path: Path) -> ImportPreview:
        release.wait(10)
        return original(kind_code, path)

    monkeypatch.setattr(service, "preview_import", slow_preview)
    dialog = ImportDialog(service, CAMERAS, source)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.busy()
    dialog.reject()
    assert dialog.isVisible(), "Escape/Cancel must not close the dialog while reading"
    release.set()
    qtbot.waitUntil(lambda: dialog.model is not None)
    assert not dialog.busy()
    dialog.reject()
    assert not dialog.isVisible()


def test_setting_up_a_province_opens_the_province_screens(qtbot: QtBot, empty_db: Database) -> None:
    dialog = SetupDialog(empty_db)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.province.setCurrentIndex(dialog.province.findData("40"))
    dialog.is_province.setChecked(True)
    assert not dialog.code.isEnabled() and not dialog.demo_button.isEnabled()
    dialog.try_save()
    station = profile.load(empty_db)
    assert profile.is_province(station) and station.unit.name == "Công an tỉnh Nghệ An"

    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    window.attach(empty_db, station, RecordService(empty_db, author="t"), today=lambda: TODAY)
    assert [window.sidebar.item(r).text() for r in range(window.sidebar.count())] == [
        _("Wards and bundles"),
        _("Criteria packs"),
        _("Audit trail"),
        _("Backup and restore"),
    ]
    assert _current_page(window) == "page_province"
    window.show_page("packs")
    assert _current_page(window) == "page_packs"


def _current_page(window: MainWindow) -> str:
    page = window.stack.currentWidget()
    assert page is not None
    return page.objectName()


def test_the_audit_screen_lists_changes_and_finds_a_break(
    qtbot: QtBot, db: Database, service: RecordService
) -> None:
    import sqlite3

    from app.ui.widgets.audit_page import AuditPage

    record = service.create("sessions", VALID["sessions"]).created[0]
    service.update("sessions", record, {**VALID["sessions"], "attendance": 120})
    page = AuditPage(db)
    qtbot.addWidget(page)
    page.show()
    assert page.model.rowCount() == 2
    assert page.model.text(0, 3) == _("edited")
    assert "Số người tham dự: 85 → 120" in page.model.text(0, 5)
    assert page.model.text(0, 4) == "Buổi tuyên truyền, PBGDPL"
    page.check()
    assert not page.check_button.isEnabled()  # busy while the chain is checked off the GUI thread
    qtbot.waitUntil(lambda: not page.checking(), timeout=10000)
    assert page.result.text() == _("Audit trail intact: {n} entries.").format(n=2)
    connection = sqlite3.connect(db.path)
    with connection:
        connection.execute("UPDATE audit_log SET actor = 'khác' WHERE id = 1")
    connection.close()
    page.check()
    qtbot.waitUntil(lambda: not page.checking(), timeout=10000)
    assert "1" in page.result.text() and page.result.text() != _(
        "Audit trail intact: {n} entries."
    ).format(n=2)
