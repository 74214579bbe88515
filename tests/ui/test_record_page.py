"""Add, edit and delete through the real dialogs, see the table change, undo and redo."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QComboBox, QLineEdit, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from app.core.domain.records import TEAMS
from app.core.services.records import RecordService
from app.i18n import _
from app.ui.dialogs.record_dialog import RecordDialog
from app.ui.models.record_table_model import ID_ROLE
from app.ui.widgets.record_page import RecordPage
from tests.core.test_records import VALID
from tests.ui.conftest import type_text

Schedule = Callable[[Callable[[QWidget], None]], None]


def _page(qtbot: QtBot, service: RecordService) -> RecordPage:
    page = RecordPage(service, TEAMS, QUndoStack())
    qtbot.addWidget(page)
    page.show()
    return page


def _names(page: RecordPage) -> list[str]:
    model = page.model
    return [model.data(model.index(row, 0)) for row in range(model.rowCount())]


def _fill_team(dialog: RecordDialog, name: str, households: str) -> None:
    for field, text in (
        ("name", name),
        ("households", households),
        ("leader", "Trần Thị Lan"),
        ("area", "Khối 2"),
    ):
        widget = dialog.editors[field].widget
        assert isinstance(widget, QLineEdit)
        widget.clear()
        type_text(widget, text)
    status = dialog.editors["status"].widget
    assert isinstance(status, QComboBox)
    status.setCurrentIndex(status.findData("active"))


def test_add_through_the_dialog_shows_the_new_row(
    qtbot: QtBot,
    service: RecordService,
    when_modal: Schedule,
) -> None:
    page = _page(qtbot, service)
    assert _names(page) == []

    def drive(dialog: QWidget) -> None:
        assert isinstance(dialog, RecordDialog)
        _fill_team(dialog, "Tổ liên gia Hòa Bình", "9")
        dialog.save_button.click()

    when_modal(drive)
    page.add_action.trigger()
    assert _names(page) == ["Tổ liên gia Hòa Bình"]
    assert page.selected_row() is not None
    assert page.count_label.text() == "1 bản ghi"
    stored = service.fetch("teams", service.list_ids("teams"))[0]
    assert stored.values["households"] == 9
    assert stored.values["leader"] == "Trần Thị Lan"


def test_validation_messages_sit_next_to_the_field(
    qtbot: QtBot,
    service: RecordService,
    when_modal: Schedule,
) -> None:
    page = _page(qtbot, service)
    seen: dict[str, str] = {}

    def drive(dialog: QWidget) -> None:
        assert isinstance(dialog, RecordDialog)
        _fill_team(dialog, "", "-3")
        dialog.save_button.click()
        assert dialog.isVisible(), "an invalid form must stay open"
        for name in ("name", "households"):
            label = dialog.editors[name].error
            assert label.isVisibleTo(dialog)
            seen[name] = label.text()
        assert not dialog.editors["leader"].error.isVisibleTo(dialog)
        _fill_team(dialog, "Tổ số 4", "6")
        dialog.save_button.click()

    when_modal(drive)
    page.add_action.trigger()
    assert _("Team name") in seen["name"]
    assert _("Households") in seen["households"]
    assert "2" in seen["households"]
    assert _names(page) == ["Tổ số 4"]


def test_edit_then_undo_and_redo(
    qtbot: QtBot, service: RecordService, when_modal: Schedule
) -> None:
    service.create("teams", VALID["teams"])
    page = _page(qtbot, service)
    page.table.selectRow(0)

    def drive(dialog: QWidget) -> None:
        assert isinstance(dialog, RecordDialog)
        widget = dialog.editors["name"].widget
        assert isinstance(widget, QLineEdit)
        assert widget.text() == VALID["teams"]["name"]
        widget.clear()
        type_text(widget, "Tổ liên gia Đống Đa")
        dialog.save_button.click()

    when_modal(drive)
    page.edit_action.trigger()
    assert _names(page) == ["Tổ liên gia Đống Đa"]
    page.undo_stack.undo()
    assert _names(page) == [VALID["teams"]["name"]]
    page.undo_stack.redo()
    assert _names(page) == ["Tổ liên gia Đống Đa"]


def test_delete_asks_first_and_can_be_undone(
    qtbot: QtBot,
    service: RecordService,
    when_modal: Schedule,
) -> None:
    service.create("teams", VALID["teams"])
    service.create("teams", {**VALID["teams"], "name": "Tổ liên gia số 2"})
    page = _page(qtbot, service)
    page.table.selectRow(0)
    asked: list[str] = []

    def refuse(box: QWidget) -> None:
        assert isinstance(box, QMessageBox)
        asked.append(box.text())
        next(b for b in box.buttons() if b.text() == _("Cancel")).click()

    when_modal(refuse)
    page.delete_action.trigger()
    assert len(_names(page)) == 2
    assert VALID["teams"]["name"] in asked[0]

    def accept(box: QWidget) -> None:
        assert isinstance(box, QMessageBox)
        next(b for b in box.buttons() if b.text() == _("Delete")).click()

    when_modal(accept)
    page.delete_action.trigger()
    assert _names(page) == ["Tổ liên gia số 2"]
    assert service.count("teams") == 1
    page.undo_stack.undo()
    assert _names(page) == [VALID["teams"]["name"], "Tổ liên gia số 2"]


def test_search_box_filters_without_tone_marks(qtbot: QtBot, service: RecordService) -> None:
    for name in ("Tổ liên gia Hòa Bình", "Tổ liên gia Đông Vĩnh", "Tổ liên gia Bến Thủy"):
        service.create("teams", {**VALID["teams"], "name": name})
    page = _page(qtbot, service)
    type_text(page.search, "dong vinh")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1)
    assert _names(page) == ["Tổ liên gia Đông Vĩnh"]
    page.search.clear()
    qtbot.waitUntil(lambda: page.model.rowCount() == 3)
    assert _names(page) == ["Tổ liên gia Bến Thủy", "Tổ liên gia Đông Vĩnh", "Tổ liên gia Hòa Bình"]


def test_clicking_a_header_sorts_in_vietnamese_order(qtbot: QtBot, service: RecordService) -> None:
    for leader in ("Đặng Văn Ơn", "Dương Thị Út", "Anh Văn Bình"):
        service.create("teams", {**VALID["teams"], "name": f"Tổ {leader}", "leader": leader})
    page = _page(qtbot, service)
    header = page.table.horizontalHeader()
    column = [s.name for s in page.model.fields].index("leader")
    expected = ["Anh Văn Bình", "Dương Thị Út", "Đặng Văn Ơn"]

    def click_header() -> list[str]:
        position = QPoint(header.sectionViewportPosition(column) + 10, header.height() // 2)
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=position)
        assert header.sortIndicatorSection() == column
        return [page.model.data(page.model.index(r, column)) for r in range(3)]

    first = click_header()
    ascending = header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
    assert first == (expected if ascending else expected[::-1])
    second = click_header()
    assert second == first[::-1]


def test_a_failed_undo_leaves_stack_and_database_consistent(
    qtbot: QtBot, service: RecordService, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.core.domain.errors import EnvironmentProblem

    service.create("teams", VALID["teams"])
    page = _page(qtbot, service)
    page.table.selectRow(0)
    selected = page.selected_row()
    assert selected is not None
    record_id = selected.id
    change = service.update("teams", record_id, {**VALID["teams"], "households": 11})
    from app.ui.undo import UpdateCommand

    page.undo_stack.push(
        UpdateCommand(
            service,
            TEAMS,
            record_id,
            page.refresh,
            VALID["teams"],
            {**VALID["teams"], "households": 11},
        )
    )
    page.refresh(change)
    shown: list[str] = []
    monkeypatch.setattr("app.ui.widgets.common.present_error", lambda _p, e: shown.append(str(e)))
    original = service.update

    def locked(*_args: object, **_kwargs: object) -> NoReturn:
        raise EnvironmentProblem("Cơ sở dữ liệu đang bị khóa.")

    monkeypatch.setattr(service, "update", locked)
    page.undo_stack.undo()
    assert shown == ["Cơ sở dữ liệu đang bị khóa."]
    assert page.undo_stack.count() == 0 and not page.undo_stack.canRedo()
    monkeypatch.setattr(service, "update", original)
    assert service.get("teams", record_id).values["households"] == 11
    page.undo_stack.undo()  # nothing left to undo: no second, wrong change
    assert service.get("teams", record_id).values["households"] == 11


def test_an_edit_moves_the_row_to_its_sorted_place(qtbot: QtBot, service: RecordService) -> None:
    for name in ("Tổ A", "Tổ B", "Tổ C"):
        service.create("teams", {**VALID["teams"], "name": name})
    page = _page(qtbot, service)
    assert _names(page) == ["Tổ A", "Tổ B", "Tổ C"]
    record_id = page.model.data(page.model.index(0, 0), ID_ROLE)
    page.table.selectRow(0)
    page.refresh(service.update("teams", record_id, {**VALID["teams"], "name": "Tổ D"}))
    assert _names(page) == ["Tổ B", "Tổ C", "Tổ D"]
    selected = page.selected_row()
    assert selected is not None and selected.id == record_id


def test_export_and_import_go_through_the_toolbar_buttons(
    qtbot: QtBot,
    service: RecordService,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    when_modal: Schedule,
) -> None:
    """The toolbar's triggered(bool) signal must open the file dialogs, not pass ``False`` as
    the path (the buttons crashed while the methods, called directly, worked)."""
    from PySide6.QtWidgets import QFileDialog

    from app.ui.dialogs.import_dialog import ImportDialog

    for name in ("Tổ liên gia Hòa Bình", "Tổ liên gia Bến Thủy"):
        service.create("teams", {**VALID["teams"], "name": name})
    page = _page(qtbot, service)
    target = tmp_path / "to-lien-gia"
    asked: list[str] = []

    def save_name(_parent: QWidget, caption: str, suggested: str, _filter: str) -> tuple[str, str]:
        asked.append(suggested)
        return str(target), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(save_name))
    said: list[str] = []

    def close_box(box: QWidget) -> None:
        assert isinstance(box, QMessageBox), box
        said.append(box.text())
        box.close()

    when_modal(close_box)
    page.export_action.trigger()
    qtbot.waitUntil(lambda: bool(said), timeout=20000)
    exported = Path(f"{target}.xlsx")
    assert exported.exists() and asked[0].endswith(".xlsx")
    assert str(exported) in said[0]

    for record_id in service.list_ids("teams", page.model.query):
        page.refresh(service.delete("teams", record_id))
    assert _names(page) == []
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *_args: (str(exported), ""))
    )

    def import_all(dialog: QWidget) -> None:
        assert isinstance(dialog, ImportDialog), dialog
        qtbot.waitUntil(dialog.import_button.isEnabled, timeout=20000)
        dialog.import_button.click()

    when_modal(import_all)
    page.import_action.trigger()
    assert _names(page) == ["Tổ liên gia Bến Thủy", "Tổ liên gia Hòa Bình"]
