"""The indicator grid, the assessment screen and installing packs, through the real widgets."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QComboBox, QMessageBox, QPlainTextEdit, QTableView, QWidget
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app.core.domain.periods import Span
from app.core.services import packs
from app.core.services.assessments import AssessmentService
from app.core.services.indicators import IndicatorService
from app.core.services.records import RecordService
from app.db.engine import Database
from app.i18n import _
from app.sync.tuf_repo import open_repository
from app.ui.dialogs.criterion_dialog import CriterionDialog
from app.ui.dialogs.pack_install_dialog import PackInstallDialog
from app.ui.models.indicator_grid_model import COMMENT, VALUE, IndicatorGridModel
from app.ui.widgets.assessment_page import AssessmentPage
from app.ui.widgets.indicator_page import IndicatorPage
from app.ui.widgets.packs_page import PacksPage
from tests.conftest import NOW
from tests.core.test_records import VALID
from tests.sync.conftest import DEV_KEYS, pack_file
from tests.ui.conftest import child

TODAY = date(2026, 11, 23)
Schedule = Callable[[Callable[[QWidget], None]], None]


@pytest.fixture
def ready(db: Database) -> Database:
    packs.install_bundled(db, datetime.now(UTC), "test")
    return db


def _index_of(model: IndicatorGridModel, code: str, column: int) -> QModelIndex:
    for row in range(model.rowCount()):
        entry = model.row_at(row)
        if entry is not None and entry.code == code:
            return model.index(row, column)
    raise AssertionError(code)


def _code_at(page: AssessmentPage, row: int) -> str | None:
    finding = page.model.criterion_at(row)
    return finding.criterion.code if finding is not None else None


def test_grid_model_passes_qt_model_tester(qtmodeltester: ModelTester, ready: Database) -> None:
    service = IndicatorService(ready, today=lambda: TODAY)
    service.set_many(2026, 11, {"B01": 4, "B02": 3})
    model = IndicatorGridModel(lambda *_args: None)
    model.set_grid(service.grid(2026, Span.MONTH, 11))
    qtmodeltester.check(model)
    assert model.data(_index_of(model, "B03", VALUE)) == "75"


def test_typing_a_value_in_the_grid_stores_it_and_updates_the_ratio(
    qtbot: QtBot, ready: Database
) -> None:
    page = IndicatorPage(ready, lambda: TODAY)
    qtbot.addWidget(page)
    page.show()
    page.year.setValue(2026)
    page.index.setCurrentIndex(page.index.findData(11))
    model = page.model
    assert model.flags(_index_of(model, "B01", VALUE)) & Qt.ItemFlag.ItemIsEditable
    assert not model.flags(_index_of(model, "B03", VALUE)) & Qt.ItemFlag.ItemIsEditable
    assert model.setData(_index_of(model, "B01", VALUE), "8")
    assert model.setData(_index_of(model, "B02", VALUE), "6")
    assert model.setData(_index_of(model, "B02", COMMENT), "Đã đối chiếu sổ")
    assert model.data(_index_of(model, "B03", VALUE)) == "75"
    assert model.data(_index_of(model, "B02", COMMENT)) == "Đã đối chiếu sổ"
    grid = IndicatorService(ready, today=lambda: TODAY).grid(2026, Span.MONTH, 11)
    assert next(r for r in grid.rows if r.code == "B01").value == 8


def test_a_contradiction_is_shown_and_blocks_locking(
    qtbot: QtBot,
    ready: Database,
    when_modal: Schedule,
) -> None:
    page = IndicatorPage(ready, lambda: TODAY)
    qtbot.addWidget(page)
    page.index.setCurrentIndex(page.index.findData(11))
    page.model.setData(_index_of(page.model, "C01", VALUE), "3")
    page.model.setData(_index_of(page.model, "C02", VALUE), "5")
    rule = "Số tin thuộc thẩm quyền không được lớn hơn số tin tiếp nhận."
    assert rule in page.problems.text()
    assert page.model.data(_index_of(page.model, "C02", VALUE), Qt.ItemDataRole.ToolTipRole) == rule
    page.model.setData(_index_of(page.model, "B01", VALUE), "-2")
    assert page.model.grid is not None
    assert "B01" not in [r.code for r in page.model.grid.rows if r.value == -2]
    assert page.problems.text().startswith("• ")
    shown: list[str] = []

    def read_error(box: QWidget) -> None:
        assert isinstance(box, QMessageBox)
        shown.append(box.text())
        box.close()

    def confirm(box: QWidget) -> None:
        assert isinstance(box, QMessageBox)
        when_modal(read_error)
        next(b for b in box.buttons() if b.text() == _("Lock")).click()

    when_modal(confirm)
    page.lock_button.click()
    assert shown and rule in shown[0]
    assert not IndicatorService(ready, today=lambda: TODAY).is_locked(2026, 11)


def test_lock_from_the_page(qtbot: QtBot, ready: Database, when_modal: Schedule) -> None:
    page = IndicatorPage(ready, lambda: TODAY)
    qtbot.addWidget(page)
    page.index.setCurrentIndex(page.index.findData(10))

    def accept(box: QWidget) -> None:
        assert isinstance(box, QMessageBox)
        next(b for b in box.buttons() if b.text() == _("Lock")).click()

    when_modal(accept)
    page.lock_button.click()
    assert IndicatorService(ready, today=lambda: TODAY).is_locked(2026, 10)
    assert page.lock_button.text() == _("Unlock…")
    assert not page.model.flags(_index_of(page.model, "B01", VALUE)) & Qt.ItemFlag.ItemIsEditable


def test_the_assessment_screen_shows_the_score_and_records_a_finding(
    qtbot: QtBot, ready: Database, service: RecordService, when_modal: Schedule
) -> None:
    camera = service.get("cameras", service.create("cameras", VALID["cameras"]).created[0])
    page = AssessmentPage(ready, service, lambda: TODAY)
    qtbot.addWidget(page)
    page.show()
    assert page.model.rowCount() == 20
    assert page.view is not None
    assert (
        _("Met {met}/{total} criteria").format(met=page.view.met, total=page.view.total)
        == page.score.text()
    )
    assert "639" in page.banner.text()
    row = next(r for r in range(20) if _code_at(page, r) == "TC01")
    before = page.view.met

    def fill(dialog: QWidget) -> None:
        assert isinstance(dialog, CriterionDialog)
        status = child(dialog, QComboBox, "status")
        status.setCurrentIndex(status.findData("met"))
        child(dialog, QPlainTextEdit, "evidence").setPlainText("Nghị quyết 05-NQ/ĐU")
        dialog.kind.setCurrentIndex(dialog.kind.findData("cameras"))
        dialog.found.setCurrentIndex(0)
        dialog.add_link()
        dialog.accept()

    when_modal(fill)
    page.edit(row)
    assert page.view is not None and page.view.met == before + 1
    finding = page.model.criterion_at(row)
    assert finding is not None and finding.evidence == "Nghị quyết 05-NQ/ĐU"
    assert [link.uuid for link in finding.links] == [camera.uuid]


def test_installing_packs_from_a_folder_through_the_screen(
    qtbot: QtBot, ready: Database, tmp_path: Path, when_modal: Schedule
) -> None:
    folder = tmp_path / "usb"
    shutil.copytree(packs.bundled_repository(), folder)
    open_repository(folder, DEV_KEYS, None).add_packs(
        [pack_file(tmp_path, "ward-police-indicators", version=2)]
    )
    page = PacksPage(ready)
    qtbot.addWidget(page)
    seen: list[str] = []

    def install(dialog: QWidget) -> None:
        assert isinstance(dialog, PackInstallDialog)
        assert child(dialog, QTableView, "plans").model() is dialog.model
        seen.append(dialog.model.text(1, 2))
        assert dialog.install_button.isEnabled()
        dialog.accept()

    when_modal(install)
    with qtbot.waitSignal(page.packs_did_change, timeout=20000):
        page.choose_folder(folder)
    assert seen == [_("Newer: will be upgraded")]
    assert page.installed_model.rowCount() == 3
    assert page.warning.isVisibleTo(page)  # development root warning
    assert AssessmentService(ready, clock=lambda: NOW, today=lambda: TODAY).assessable_packs()


def test_the_chief_approves_a_month_and_an_officers_edit_shows_it_changed(
    qtbot: QtBot, ready: Database, tmp_path: Path
) -> None:
    from app.core.domain.access import Actor, Role
    from app.sync import keys as station_keys

    station_keys.create_keys(station_keys.keys_folder(ready.path), "khoá trạm 2026")
    chief = Actor("thang", "Phạm Văn Thắng", Role.CHIEF)
    officer = Actor("nvan", "Nguyễn Văn An", Role.OFFICER)
    IndicatorService(ready, today=lambda: TODAY).set_many(2026, 11, {"B01": 4, "B02": 3})

    page = IndicatorPage(ready, lambda: TODAY, actor=chief)
    qtbot.addWidget(page)
    page.show()
    bar = page.approval
    assert bar.label.text() == _("Not approved") and bar.button.isVisible()
    page.approval.ask_passphrase = lambda: "sai rồi"
    shown: list[str] = []
    import app.ui.widgets.approval_bar as approval_bar

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(approval_bar, "present_error", lambda _parent, e: shown.append(str(e)))
        bar.approve()  # a wrong passphrase: clear message, nothing approved
    assert shown and bar.label.text() == _("Not approved")
    bar.ask_passphrase = lambda: "khoá trạm 2026"
    bar.approve()
    assert "Phạm Văn Thắng" in bar.label.text()
    assert bar.button.text() == _("Approve again…")

    officer_page = IndicatorPage(ready, lambda: TODAY, actor=officer)
    qtbot.addWidget(officer_page)
    officer_page.show()
    assert not officer_page.approval.button.isVisible()  # only the chief approves
    officer_page.model.setData(_index_of(officer_page.model, "B01", VALUE), "5")
    changed = _("Changed since approval ({name}, {date}): approve again").split("(")[0]
    assert officer_page.approval.label.text().startswith(changed)
    page.refresh()
    assert page.approval.label.text() == officer_page.approval.label.text()
    page.span.setCurrentIndex(page.span.findData(Span.QUARTER))
    assert not page.approval.isVisible()  # a quarter is not approved as a month
