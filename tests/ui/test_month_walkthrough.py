"""One month on a new ward station, screen by screen and through the buttons, as it was done by
hand in a real window under Xvfb (issue 13's "done when"): the officer imports a list of
sessions from a CSV file, exports it, types the month's indicators; the chief locks the month,
approves its indicators and the report and prints it to a PDF file; then the officer's session
dated in the approved month is refused and the chief's, after confirming, makes both approvals
show "changed since approval". File, print and message dialogs are answered as a person would.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QUndoStack
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from app.core.domain.access import Actor, Role
from app.core.domain.records import kind_by_code
from app.core.services import approvals, packs
from app.core.services.records import RecordService
from app.db.engine import Database
from app.sync import keys as station_keys
from app.ui.dialogs.import_dialog import ImportDialog
from app.ui.dialogs.record_dialog import RecordDialog
from app.ui.models.indicator_grid_model import VALUE
from app.ui.widgets.indicator_page import IndicatorPage
from app.ui.widgets.record_page import RecordPage
from app.ui.widgets.report_page import ReportPage
from tests.conftest import NOW

TODAY = date(2026, 12, 6)
OFFICER = Actor("hung.nv", "Nguyễn Văn Hùng", Role.OFFICER)
CHIEF = Actor("tuan.lm", "Lê Minh Tuấn", Role.CHIEF)
PASSPHRASE = "khóa trạm Ba Đình 2026"
HEADER = ("Ngày", "Chủ đề", "Địa điểm", "Đối tượng", "Số người tham dự", "Báo cáo viên")
# month 11/2026 runs from 15/10 to 14/11: ten sessions, 895 people, two on fire safety
ROWS = (
    ("16/10/2026", "Phòng cháy, chữa cháy và CNCH", "Nhà văn hóa tổ 3", "Hộ kinh doanh", "45"),
    ("18/10/2026", "Phòng, chống ma túy", "Trường THCS Nguyễn Trãi", "Học sinh", "320"),
    ("21/10/2026", "Đề án 06 / định danh điện tử", "Trụ sở Công an phường", "Người dân", "60"),
    ("24/10/2026", "An toàn giao thông", "Chợ Đồng Xuân", "Tiểu thương", "38"),
    ("27/10/2026", "Phổ biến, giáo dục pháp luật", "Hội trường UBND", "Hội Phụ nữ", "75"),
    ("30/10/2026", "Phòng, chống tội phạm", "Khu tập thể Thành Công", "Tổ bảo vệ", "25"),
    ("02/11/2026", "Phòng cháy, chữa cháy và CNCH", "Chung cư mini ngõ 42", "Cư dân", "52"),
    ("05/11/2026", "Phòng, chống ma túy", "Nhà văn hóa tổ 7", "Thanh niên", "90"),
    ("08/11/2026", "An toàn giao thông", "Trường Tiểu học Ba Đình", "Phụ huynh", "150"),
    ("12/11/2026", "Phòng, chống tội phạm", "Nhà văn hóa tổ 1", "Người cao tuổi", "40"),
    ("17/11/2026", "Phòng cháy, chữa cháy và CNCH", "Karaoke Hoàng Gia", "Chủ cơ sở", "18"),
    ("02/12/2026", "Phòng, chống ma túy", "Nhà văn hóa tổ 4", "Hộ gia đình", "22"),
    ("31/11/2026", "An toàn giao thông", "Ngã tư Kim Mã", "Người dân", "30"),  # no such day
    ("08/11/2026", "An toàn giao thông", "Trường Tiểu học Ba Đình", "Phụ huynh", "150"),
)
TYPED = {"A02": "2", "A03": "2", "B01": "3", "B02": "2", "C01": "5", "C02": "5", "C03": "4"}
IN_APPROVED_MONTH = {
    "held_on": date(2026, 11, 10),
    "topic": "crime_prevention",
    "place": "Tổ dân phố số 2",
    "audience": "Người dân tổ dân phố số 2",
    "attendance": "35",
    "presenter": "Thiếu tá Trần Đức Mạnh",
}


def answer(
    kind: type[QWidget],
    act: Callable[[QWidget], object],
    ready: Callable[[QWidget], bool] = lambda _w: True,
) -> None:
    """Run ``act`` on the next modal dialog of ``kind`` once ``ready``; polled by a timer so
    it also runs inside the dialog's own exec()."""

    def poll(left: int = 1000) -> None:
        widget = QApplication.activeModalWidget()
        meant = isinstance(widget, kind) and widget.isVisible() and ready(widget)
        # False: not the dialog meant, keep looking
        if meant and widget is not None and act(widget) is not False:
            return
        if left > 0:
            QTimer.singleShot(20, lambda: poll(left - 1))
        else:
            raise AssertionError(f"no {kind.__name__} appeared")

    QTimer.singleShot(0, poll)


def press(text: str) -> Callable[[QWidget], bool]:
    """Click ``text`` on the box that has it; another box (a background operation's "done"
    message arriving late) is left to :func:`closing_information_boxes`."""

    def act(box: QWidget) -> bool:
        assert isinstance(box, QMessageBox), box
        pressed = [b for b in box.buttons() if b.text() == text]
        if not pressed:
            return False
        pressed[0].click()
        return True

    return act


@pytest.fixture
def closing_information_boxes() -> Iterator[None]:
    """Close every box whose only button is "Đóng" (an operation's "done" message) as a person
    reading it would, whenever it appears: background operations finish at their own pace."""
    timer = QTimer()
    timer.setInterval(20)

    def close_information() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and box.isVisible():
            texts = [b.text() for b in box.buttons()]
            if texts == ["Đóng"]:
                box.buttons()[0].click()

    timer.timeout.connect(close_information)
    timer.start()
    yield
    timer.stop()


def shown_messages(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every message box's text, in order (the boxes themselves still open and are answered)."""
    seen: list[str] = []
    original = QMessageBox.exec

    def exec_(box: QMessageBox) -> int:
        seen.append(f"{box.windowTitle()}: {box.text()} {box.informativeText()}")
        return original(box)

    monkeypatch.setattr(QMessageBox, "exec", exec_)
    return seen


@pytest.fixture
def station(db: Database, tmp_path: Path) -> Database:
    packs.install_bundled(db, datetime.now(UTC), "test")
    station_keys.create_keys(station_keys.keys_folder(db.path), PASSPHRASE)
    with (tmp_path / "buoi-tuyen-truyen.csv").open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows([HEADER, *((*row, "Đại úy Lê Thị Hằng") for row in ROWS)])
    return db


def records(db: Database, actor: Actor) -> RecordService:
    return RecordService(db, actor=actor, clock=lambda: NOW, today=lambda: TODAY)


def sessions_page(qtbot: QtBot, db: Database, actor: Actor) -> RecordPage:
    page = RecordPage(records(db, actor), kind_by_code("sessions"), QUndoStack())
    qtbot.addWidget(page)
    page.show()
    return page


def indicator_page(qtbot: QtBot, db: Database, actor: Actor) -> IndicatorPage:
    page = IndicatorPage(db, lambda: TODAY, actor=actor)
    qtbot.addWidget(page)
    page.show()
    page.index.setCurrentIndex(page.index.findData(11))
    return page


def value_of(page: IndicatorPage, code: str) -> float | None:
    assert page.model.grid is not None
    row = next(r for r in page.model.grid.rows if r.code == code)
    return row.value


def officer_imports_and_exports(
    qtbot: QtBot, db: Database, folder: Path, monkeypatch: pytest.MonkeyPatch, messages: list[str]
) -> None:
    page = sessions_page(qtbot, db, OFFICER)
    chosen = str(folder / "buoi-tuyen-truyen.csv")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_a, **_k: (chosen, ""))
    summaries: list[str] = []

    def import_ticked(dialog: QWidget) -> None:
        assert isinstance(dialog, ImportDialog)
        summaries.append(dialog.summary.text())
        dialog.import_button.click()

    answer(ImportDialog, import_ticked, ready=lambda d: getattr(d, "preview", None) is not None)
    page.import_action.trigger()  # through the signal, as the toolbar button does
    qtbot.waitUntil(lambda: page.model.rowCount() == 12, timeout=20000)
    assert summaries[0].startswith("12 dòng mới, 1 dòng trùng lặp và 1 dòng không hợp lệ")
    assert "bản ghi" in page.count_label.text()

    target = folder / "xuat.xlsx"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a, **_k: (str(target), ""))
    page.export_action.trigger()
    qtbot.waitUntil(
        lambda: (
            target.exists()
            and any("Đã xuất 12 dòng" in m for m in messages)
            and QApplication.activeModalWidget() is None
        ),
        timeout=20000,
    )
    sheet = openpyxl.load_workbook(target).active
    assert sheet is not None and sheet.max_row == 2 + 12  # title, headers, the rows
    assert sheet.cell(2, 3).value == "Chủ đề"


def officer_types_indicators(qtbot: QtBot, db: Database) -> None:
    page = indicator_page(qtbot, db, OFFICER)
    assert not page.lock_button.isEnabled() and page.approval.button.isHidden()
    for code, value in TYPED.items():
        row = next(
            r
            for r in range(page.model.rowCount())
            if getattr(page.model.row_at(r), "code", None) == code
        )
        assert page.model.setData(page.model.index(row, VALUE), value)
    assert page.problems.text() == ""
    assert value_of(page, "H04") == 10 and value_of(page, "H05") == 895
    assert value_of(page, "H06") == 2 and value_of(page, "B03") == pytest.approx(66.7, 0.01)


def chief_locks_and_approves(
    qtbot: QtBot, db: Database, monkeypatch: pytest.MonkeyPatch
) -> tuple[IndicatorPage, ReportPage]:
    page = indicator_page(qtbot, db, CHIEF)
    answer(QMessageBox, press("Khóa"))
    page.lock_button.click()
    assert page.service.is_locked(2026, 11)
    assert page.lock_button.text() == "Mở khóa…"
    page.approval.ask_passphrase = lambda: PASSPHRASE
    page.approval.button.click()
    # the approval is dated by the PC's clock, not by the page's injected day
    approved_on = f"{datetime.now().astimezone():%d/%m/%Y}"
    assert page.approval.label.text() == f"Đã phê duyệt: Lê Minh Tuấn, ngày {approved_on}"

    report = ReportPage(db, lambda: TODAY, actor=CHIEF)
    qtbot.addWidget(report)
    report.show()
    report.index.setValue(11)
    report.approval.ask_passphrase = lambda: PASSPHRASE
    report.approval.button.click()
    assert report.approval.state is not None
    assert report.approval.state.state == approvals.APPROVED
    report.preview_button.click()
    qtbot.waitUntil(lambda: report.print_button.isEnabled(), timeout=20000)
    printed = Path(db.path).parent / "in.pdf"

    def to_pdf(dialog: QPrintDialog) -> int:
        dialog.printer().setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        dialog.printer().setOutputFileName(str(printed))
        return QDialog.DialogCode.Accepted.value

    monkeypatch.setattr(QPrintDialog, "exec", to_pdf)
    report.print_button.click()
    assert printed.stat().st_size > 10_000
    return page, report


def test_a_month_as_officer_and_chief(
    qtbot: QtBot,
    station: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    closing_information_boxes: None,
) -> None:
    messages = shown_messages(monkeypatch)
    officer_imports_and_exports(qtbot, station, tmp_path, monkeypatch, messages)
    officer_types_indicators(qtbot, station)
    month, report = chief_locks_and_approves(qtbot, station, monkeypatch)

    # the officer's session dated in the approved month: refused, the form keeps what was typed
    form = RecordDialog(
        kind_by_code("sessions"),
        lambda v, **how: records(station, OFFICER).create("sessions", v, **how),
    )
    qtbot.addWidget(form)
    for name, value in IN_APPROVED_MONTH.items():
        form.editors[name].set_value(value)
    form.save_button.click()
    assert form.change is None and not form.summary.isHidden()
    assert form.summary.text().startswith("Tháng 11/2026 đã khoá sổ")
    assert len(records(station, CHIEF).list_ids("sessions")) == 12

    # nor can the officer bring it in from a spreadsheet: the preview says why, nothing to import
    late = tmp_path / "bo-sung.csv"
    with late.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows([HEADER, ("13/11/2026", *ROWS[9][1:], "Đại úy Lê Thị Hằng")])
    page = sessions_page(qtbot, station, OFFICER)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_a, **_k: (str(late), ""))
    previews: list[tuple[str, str, bool]] = []

    def look_and_cancel(dialog: QWidget) -> None:
        assert isinstance(dialog, ImportDialog) and dialog.preview is not None
        reason = dialog.preview.rows[0].reason
        previews.append((dialog.summary.text(), reason, dialog.import_button.isEnabled()))
        dialog.reject()

    answer(ImportDialog, look_and_cancel, ready=lambda d: getattr(d, "preview", None) is not None)
    page.import_action.trigger()
    summary, reason, importable = previews[0]
    assert summary.startswith("0 dòng mới, 0 dòng trùng lặp và 1 dòng không hợp lệ"), summary
    assert "11/2026" in reason and "khoá sổ" in reason and not importable, reason
    assert len(records(station, CHIEF).list_ids("sessions")) == 12

    # the chief's, after confirming: both approvals now say the figures changed
    form = RecordDialog(
        kind_by_code("sessions"),
        lambda v, **how: records(station, CHIEF).create("sessions", v, **how),
    )
    qtbot.addWidget(form)
    for name, value in IN_APPROVED_MONTH.items():
        form.editors[name].set_value(value)
    answer(QMessageBox, press("Vẫn thay đổi"))
    form.save_button.click()
    assert form.change is not None and form.change.created
    month.refresh()
    assert value_of(month, "H04") == 11 and value_of(month, "H05") == 930
    assert month.approval.state is not None and month.approval.state.state == approvals.CHANGED
    assert month.approval.label.text().startswith("Đã thay đổi sau khi phê duyệt (Lê Minh Tuấn")
    report.refill()
    assert report.approval.state is not None and report.approval.state.state == approvals.CHANGED

    assert not [m for m in messages if "ngoài dự kiến" in m or "Không thể tiếp tục" in m], messages


# --- what the month showed on screen and in print that is still wrong (these fail today) ------


def test_the_refusal_in_the_record_form_does_not_cover_the_notes(
    qtbot: QtBot, station: Database
) -> None:
    """Seen under Xvfb: the officer's "month is locked" line is drawn over the Notes box (and
    the set-up form's field errors over the next field): a word-wrapped label shown after the
    window opened gets less height than its text needs."""
    chief = indicator_page(qtbot, station, CHIEF)
    chief.service.lock(2026, 11)
    form = RecordDialog(
        kind_by_code("sessions"),
        lambda v, **how: records(station, OFFICER).create("sessions", v, **how),
    )
    qtbot.addWidget(form)
    form.show()
    qtbot.waitExposed(form)
    for name, value in IN_APPROVED_MONTH.items():
        form.editors[name].set_value(value)
    form.save_button.click()
    qtbot.wait(200)
    summary, notes = form.summary, form.editors["notes"].widget
    assert summary.height() >= summary.heightForWidth(summary.width())
    assert not summary.geometry().intersects(notes.geometry())


def test_the_import_window_keeps_the_list_name_as_written(
    qtbot: QtBot, station: Database, tmp_path: Path
) -> None:
    """Seen under Xvfb: "Nhập buổi tuyên truyền, pbgdpl từ tệp …" (import_dialog: title.lower())."""
    dialog = ImportDialog(
        records(station, OFFICER), kind_by_code("sessions"), tmp_path / "buoi-tuyen-truyen.csv"
    )
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=20000)
    assert "PBGDPL" in dialog.windowTitle(), dialog.windowTitle()
