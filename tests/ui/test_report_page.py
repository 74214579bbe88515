"""The report screen: narrative pre-filled, preview shown, printed to a PDF file, saved."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypedDict

import pytest
from pypdf import PdfReader
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from app.core.domain.periods import Span
from app.core.domain.records import KINDS_BY_CODE
from app.core.services import packs
from app.core.services.indicators import IndicatorService
from app.core.services.report_data import load_settings
from app.db.engine import Database
from app.i18n import _
from app.ui.widgets.report_page import ReportPage
from tests.ui.conftest import Schedule

TODAY = date(2026, 11, 23)


class _Answer(TypedDict):
    file: Path
    accept: bool


@pytest.fixture
def page(qtbot: QtBot, db: Database) -> ReportPage:
    packs.install_bundled(db, datetime.now(UTC), "test")
    IndicatorService(db, today=lambda: TODAY).set_many(2026, 11, {"B01": 6, "B02": 3})
    widget = ReportPage(db, lambda: TODAY)
    qtbot.addWidget(widget)
    widget.show()
    widget.year.setValue(2026)
    widget.index.setValue(11)
    return widget


def test_preview_print_and_save(
    qtbot: QtBot,
    page: ReportPage,
    tmp_path: Path,
    when_modal: Schedule,
) -> None:
    assert page.kind.currentData() is Span.MONTH
    assert "xảy ra 6 vụ" in page.sections["situation"].toPlainText()
    page.sections["shortcomings"].setPlainText("Một số tổ liên gia hoạt động chưa đều.")
    page.preview()
    qtbot.waitUntil(lambda: page.document.pageCount() > 0, timeout=20000)
    assert page.print_button.isEnabled() and page.save_button.isEnabled()
    text = " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(page.pdf_bytes)).pages).split()
    )
    assert "Một số tổ liên gia hoạt động chưa đều." in text

    printed = tmp_path / "printed.pdf"
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(printed))
    page.print_report(printer)
    assert printer.resolution() <= 300
    assert len(PdfReader(str(printed)).pages) == page.document.pageCount()

    saved = tmp_path / "bao-cao.pdf"
    closed: list[str] = []

    def close_box(box: QWidget) -> None:
        assert isinstance(box, QMessageBox), box
        closed.append(box.text())
        box.close()

    when_modal(close_box)
    page.save(saved)
    assert saved.read_bytes() == page.pdf_bytes
    assert closed and "bao-cao.pdf" in closed[0]
    # printing took number 01, saving took 02: each issued report has its own number
    saved_text = " ".join(PdfReader(str(saved)).pages[0].extract_text().split())
    assert "Số: 02/BC-CAP" in saved_text
    assert load_settings(page.indicators).next_number == 3


def test_other_kinds_fill_their_own_period(page: ReportPage) -> None:
    page.kind.setCurrentIndex(page.kind.findData(Span.HALF))
    assert not page.index.isVisibleTo(page)
    assert "Trong kỳ" in page.sections["situation"].toPlainText()
    assert page.selection() == (Span.HALF, 2026, 1)


def test_report_settings_are_edited_and_checked(qtbot: QtBot, db: Database) -> None:
    from app.core.services.indicators import IndicatorService
    from app.ui.dialogs.report_settings_dialog import ReportSettingsDialog
    from tests.ui.conftest import type_text

    packs.install_bundled(db, datetime.now(UTC), "test")
    service = IndicatorService(db, today=lambda: TODAY)
    dialog = ReportSettingsDialog(load_settings(service))
    qtbot.addWidget(dialog)
    dialog.pattern.setText("BC-CAP")
    dialog.try_save()
    assert dialog.error.isVisibleTo(dialog) and dialog.result_settings is None
    dialog.pattern.setText("{number:02d}/BC-CAP-TV")
    dialog.prefix.setCurrentIndex(dialog.prefix.findData("KT."))
    dialog.title.setText("Phó Trưởng Công an phường")
    dialog.name.clear()
    type_text(dialog.name, "Nguyễn Thị Hồng Nhung")
    dialog.recipients.setPlainText("Công an tỉnh Nghệ An\n\n  Lưu: VT, CAP  ")
    dialog.try_save()
    assert dialog.result_settings is not None
    from app.core.services.report_data import save_settings

    save_settings(service, dialog.result_settings)
    stored = load_settings(service)
    assert stored.number_pattern == "{number:02d}/BC-CAP-TV"
    assert (stored.signer_prefix, stored.signer_name) == ("KT.", "Nguyễn Thị Hồng Nhung")
    assert stored.recipients == ("Công an tỉnh Nghệ An", "Lưu: VT, CAP")


def test_assessment_and_appendix_from_the_screen(
    qtbot: QtBot,
    page: ReportPage,
    tmp_path: Path,
    when_modal: Schedule,
) -> None:
    page.kind.setCurrentIndex(page.kind.findData("assessment"))
    assert not page.index.isVisibleTo(page)
    assert not page.editors.isVisibleTo(page)  # no narrative in a table report
    page.preview()
    qtbot.waitUntil(lambda: page.document.pageCount() > 0, timeout=20000)
    text = " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(page.pdf_bytes)).pages).split()
    )
    assert "KẾT QUẢ CHUNG: ĐẠT" in text
    assert "Kết quả tự đánh giá theo bộ tiêu chí năm 2026" in text, text[:400]
    when_modal(lambda box: box.close())  # "report saved"
    page.save(tmp_path / "tu-danh-gia.pdf")
    assert "Số: 01/BC-CAP" in PdfReader(str(tmp_path / "tu-danh-gia.pdf")).pages[0].extract_text()

    # the appendix refers to the report just issued and takes no number of its own
    page.kind.setCurrentIndex(page.kind.findData("appendix:fire_points"))
    assert page.kind.currentText() == _("Appendix: {list}").format(
        list=_(KINDS_BY_CODE["fire_points"].title)
    )
    assert not page.editors.isVisibleTo(page)
    loaded = page.document.pageCount()
    page.pdf_bytes = b""
    page.preview()
    qtbot.waitUntil(lambda: bool(page.pdf_bytes), timeout=20000)
    when_modal(lambda box: box.close())
    page.save(tmp_path / "phu-luc.pdf")
    appendix = " ".join(PdfReader(str(tmp_path / "phu-luc.pdf")).pages[0].extract_text().split())
    assert "Phụ lục I" in appendix and "01/BC-CAP" in appendix
    assert load_settings(page.indicators).next_number == 2
    assert loaded > 0

    # back to a periodic report: the narrative can be edited again
    page.kind.setCurrentIndex(page.kind.findData(Span.MONTH))
    assert page.editors.isVisibleTo(page)


@pytest.mark.qt_log_ignore("QPainter::begin")
def test_the_print_button_prints_and_only_a_printed_report_takes_a_number(
    qtbot: QtBot,
    page: ReportPage,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    when_modal: Schedule,
) -> None:
    """Through the button (clicked(bool) used to arrive as ``printer=False``): a cancelled
    print dialog, a printer that cannot start and a folder that cannot be written leave the
    document number free; a printed report takes it."""
    from PySide6.QtPrintSupport import QPrintDialog

    page.preview_button.click()
    qtbot.waitUntil(lambda: page.document.pageCount() > 0, timeout=20000)
    assert load_settings(page.indicators).next_number == 1
    answer: _Answer = {"file": tmp_path / "printed.pdf", "accept": False}

    def fake_exec(dialog: QPrintDialog) -> int:
        dialog.printer().setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        dialog.printer().setOutputFileName(str(answer["file"]))
        if answer["accept"]:
            return QPrintDialog.DialogCode.Accepted.value
        return QPrintDialog.DialogCode.Rejected.value

    monkeypatch.setattr(QPrintDialog, "exec", fake_exec)
    page.print_button.click()  # cancelled in the dialog
    assert not answer["file"].exists()
    assert load_settings(page.indicators).next_number == 1

    said: list[str] = []

    def close_box(box: QWidget) -> None:
        assert isinstance(box, QMessageBox), box
        said.append(f"{box.text()} {box.informativeText()}")
        box.close()

    answer.update({"file": tmp_path / "no such folder" / "printed.pdf", "accept": True})
    when_modal(close_box)
    page.print_button.click()  # the printer cannot start
    assert said and "máy in" in said[0], said
    assert load_settings(page.indicators).next_number == 1

    when_modal(close_box)
    page.save(tmp_path / "no such folder" / "bao-cao.pdf")  # cannot be written
    assert len(said) == 2
    assert load_settings(page.indicators).next_number == 1

    answer["file"] = tmp_path / "printed.pdf"
    page.print_button.click()
    assert len(PdfReader(str(tmp_path / "printed.pdf")).pages) == page.document.pageCount()
    # the pages are printed as images: the number is read from the document that was printed
    text = " ".join(PdfReader(io.BytesIO(page.pdf_bytes)).pages[0].extract_text().split())
    assert "Số: 01/BC-CAP" in text
    assert load_settings(page.indicators).next_number == 2
    assert len(said) == 2  # no error box for the good print
