"""The chief approves a report on the report screen: the narrative shown is part of what is
approved, so editing it afterwards shows "changed since approval" and the PDF says so."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

from pypdf import PdfReader
from pytestqt.qtbot import QtBot

from app.core.domain.access import Actor, Role
from app.core.services import approvals, packs
from app.core.services.indicators import IndicatorService
from app.db.engine import Database
from app.sync import keys as station_keys
from app.ui.widgets.report_page import ReportPage

TODAY = date(2026, 11, 23)
CHIEF = Actor("thang", "Phạm Văn Thắng", Role.CHIEF)
PASSPHRASE = "khoá trạm 2026"


def _pdf_text(page: ReportPage) -> str:
    pages = PdfReader(io.BytesIO(page.pdf_bytes)).pages
    return " ".join(" ".join(p.extract_text() for p in pages).split())


def test_the_approved_narrative_is_checked_on_screen_and_in_print(
    qtbot: QtBot, db: Database
) -> None:
    packs.install_bundled(db, datetime.now(UTC), "test")
    IndicatorService(db, today=lambda: TODAY).set_many(2026, 10, {"B01": 6, "B02": 3})
    station_keys.create_keys(station_keys.keys_folder(db.path), PASSPHRASE)
    page = ReportPage(db, lambda: TODAY, actor=CHIEF)
    qtbot.addWidget(page)
    page.show()
    page.year.setValue(2026)
    page.index.setValue(10)
    page.sections["shortcomings"].setPlainText("Một số khối chưa tổ chức tuyên truyền.")
    bar = page.approval
    bar.ask_passphrase = lambda: PASSPHRASE
    bar.approve()
    assert bar.state is not None and bar.state.state == approvals.APPROVED

    page.preview()
    qtbot.waitUntil(lambda: page.document.pageCount() > 0, timeout=20000)
    assert "đã được Phạm Văn Thắng phê duyệt" in _pdf_text(page)

    page.sections["shortcomings"].setPlainText("Không có tồn tại, hạn chế.")
    page.pdf_bytes = b""
    page.preview()
    qtbot.waitUntil(lambda: bool(page.pdf_bytes), timeout=20000)
    assert bar.state.state == approvals.CHANGED
    assert bar.label.text().startswith("Đã thay đổi sau khi phê duyệt")
    assert "báo cáo này chưa được phê duyệt" in _pdf_text(page)
