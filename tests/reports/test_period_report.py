"""The periodic report as an NĐ 30/2020 document: text, fonts, positions, pages, dates."""

from __future__ import annotations

import io
import unicodedata
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pypdf import PdfReader

from app.core.domain.periods import Span
from app.core.services import packs
from app.core.services.indicators import IndicatorService
from app.core.services.report_data import load_settings, period_report, save_settings
from app.db.engine import Database
from app.reports.document import LEFT_COLUMN, MARGIN_LEFT, PAGE_HEIGHT, nd30_date
from app.reports.period_report import build_period_report

MM = 72 / 25.4
TODAY = date(2026, 11, 23)


@pytest.fixture
def indicators(db: Database) -> IndicatorService:
    packs.install_bundled(db, datetime.now(UTC), "test")
    service = IndicatorService(db, today=lambda: TODAY)
    service.set_many(2026, 11, {"B01": 7, "B02": 5, "C01": 9, "C02": 8, "C03": 8})
    service.set_many(2025, 11, {"B01": 9})
    return service


def pages(pdf: bytes) -> list[list[tuple[str, float, float]]]:
    """(text, x, y) of every text run, page by page (y from the bottom, in points)."""
    reader = PdfReader(io.BytesIO(pdf))
    result = []
    for page in reader.pages:
        runs: list[tuple[str, float, float]] = []

        def visit(
            text: str,
            cm: Any,
            tm: Any,
            _font: Any,
            _size: Any,
            runs: list[tuple[str, float, float]] = runs,
        ) -> None:
            if text.strip():
                runs.append((text.strip(), tm[4] + cm[4], tm[5] + cm[5]))

        page.extract_text(visitor_text=visit)
        result.append(runs)
    return result


def find(runs: list[tuple[str, float, float]], needle: str) -> tuple[str, float, float]:
    return next(run for run in runs if needle in run[0])


def test_date_line_follows_the_decree() -> None:
    assert nd30_date(date(2020, 1, 5), "Hà Nội") == "Hà Nội, ngày 05 tháng 01 năm 2020"
    assert nd30_date(date(2019, 6, 29), "Hà Nội") == "Hà Nội, ngày 29 tháng 6 năm 2019"
    assert nd30_date(date(2026, 2, 14), "Trường Vinh").endswith("ngày 14 tháng 02 năm 2026")
    assert nd30_date(date(2026, 12, 3), "Trường Vinh").endswith("ngày 03 tháng 12 năm 2026")


def test_the_monthly_report_carries_the_figures_in_vietnamese(indicators: IndicatorService) -> None:
    pdf = build_period_report(period_report(indicators, Span.MONTH, 2026, 11, date(2026, 11, 20)))
    text = " ".join(
        " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split()
    )
    assert unicodedata.is_normalized("NFC", text)
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "CÔNG AN TỈNH NGHỆ AN",
        "Trường Vinh, ngày 20 tháng 11 năm 2026",
        "BÁO CÁO",
        "tháng 11/2026",
        "Kính gửi: Công an tỉnh Nghệ An",
        "xảy ra 7 vụ phạm tội về trật tự xã hội",
        "giảm 2 vụ so với cùng kỳ năm trước",
        "đạt 71,4%",
        "Tỷ lệ giải quyết tin báo, tố giác tội phạm",
        "Nơi nhận:",
        "Lưu: VT.",
        "./.",
    ):
        assert expected in text, expected


def test_a_chart_compares_main_indicators_with_last_year(indicators: IndicatorService) -> None:
    pdf = build_period_report(period_report(indicators, Span.MONTH, 2026, 11, date(2026, 11, 20)))
    runs = [run[0] for page in pages(pdf) for run in page]
    assert "Một số chỉ tiêu chủ yếu so với cùng kỳ năm trước" in runs
    assert "Cùng kỳ năm trước" in runs  # the legend
    # B01 has both this month and last year's figure, so it gets bars and its short label;
    # C01 has no figure for November 2025 and is left out rather than drawn against zero
    assert "Tội phạm" in runs
    assert "Tin báo" not in runs
    assert {"7", "9"} <= set(runs)  # bar labels


def test_no_chart_when_nothing_can_be_compared(indicators: IndicatorService) -> None:
    pdf = build_period_report(period_report(indicators, Span.YEAR, 2019))
    runs = [run[0] for page in pages(pdf) for run in page]
    assert "Một số chỉ tiêu chủ yếu so với cùng kỳ năm trước" not in runs


def test_fonts_are_embedded_subsets(indicators: IndicatorService) -> None:
    pdf = build_period_report(period_report(indicators, Span.MONTH, 2026, 11))
    reader = PdfReader(io.BytesIO(pdf))
    fonts = {}
    for page in reader.pages:
        resources: Any = page["/Resources"]  # a PDF object tree, typed by pypdf as PdfObject
        for font in resources["/Font"].values():
            font = font.get_object()
            descriptor = (
                font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
                if "/DescendantFonts" in font
                else font.get("/FontDescriptor")
            )
            fonts[font["/BaseFont"]] = descriptor is not None and "/FontFile2" in descriptor
    assert fonts and all(fonts.values()), fonts
    assert all("+" in str(name) for name in fonts)  # subset tags like AAAAAA+...


def test_blocks_sit_where_the_layout_says(indicators: IndicatorService) -> None:
    pdf = build_period_report(period_report(indicators, Span.MONTH, 2026, 11))
    first, last = pages(pdf)[0], pages(pdf)[-1]
    split = MARGIN_LEFT + LEFT_COLUMN
    motto = find(first, "CỘNG HÒA XÃ HỘI")
    parent = find(first, "CÔNG AN TỈNH")
    number = find(first, "Số:")
    dated = find(first, "ngày")
    assert motto[1] > split - 2 and parent[1] < split  # right / left columns
    assert motto[2] > PAGE_HEIGHT - 32 * MM  # top of page 1
    assert abs(number[2] - dated[2]) < 3  # "Số" and the date share a line
    received = find(last, "Nơi nhận:")
    signer = find(last, "TRƯỞNG CÔNG AN PHƯỜNG")
    assert received[1] < split and signer[1] > split - 20
    assert abs(received[2] - signer[2]) < 6  # level with the title


def test_page_numbers_from_page_two_centred_at_the_top(indicators: IndicatorService) -> None:
    pdf = build_period_report(period_report(indicators, Span.YEAR, 2026))
    runs = pages(pdf)
    assert len(runs) >= 2
    top = [r for r in runs[0] if r[2] > PAGE_HEIGHT - 15 * MM]
    assert not [r for r in top if r[0].isdigit()]
    for number, page in enumerate(runs[1:], start=2):
        label = next(r for r in page if r[0] == str(number))
        assert label[2] > PAGE_HEIGHT - 15 * MM
        assert abs(label[1] - (MARGIN_LEFT + 165 * MM / 2)) < 8 * MM


def test_an_empty_period_still_makes_a_report(indicators: IndicatorService) -> None:
    pdf = build_period_report(period_report(indicators, Span.YEAR, 2019))
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "năm 2019" in text and "Nơi nhận:" in text


def test_nfd_text_and_long_lists_render_correctly(indicators: IndicatorService) -> None:
    settings = load_settings(indicators)
    long_name = "Công an tỉnh " + "Nghệ An " * 6
    save_settings(
        indicators,
        replace(
            settings,
            recipients=tuple(f"Đồng chí Trưởng phòng số {n}" for n in range(40)),
            signer_prefix="KT.",
            signer_title="Phó Trưởng Công an phường",
            signer_rank="Đại úy",
            signer_name="Nguyễn Thị Hồng Nhung",
        ),
    )
    nfd = unicodedata.normalize("NFD", "Tình hình ổn định; người dân đồng tình ủng hộ.")
    data = period_report(indicators, Span.MONTH, 2026, 11, narrative={"situation": nfd})
    pdf = build_period_report(replace(data, parent_agency=long_name))
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert unicodedata.normalize("NFC", nfd) in text
    assert "KT. TRƯỞNG CÔNG AN PHƯỜNG" in text and "PHÓ TRƯỞNG CÔNG AN PHƯỜNG" in text
    assert "Đại úy Nguyễn Thị Hồng Nhung" in text
    assert "Đồng chí Trưởng phòng số 39." in text
    assert len(PdfReader(io.BytesIO(pdf)).pages) >= 3


def test_the_assessment_report_lists_every_criterion(
    db: Database, indicators: IndicatorService
) -> None:
    from app.core.services.assessments import AssessmentService
    from app.reports.appendix_report import build_assessment_report
    from app.reports.document import Letterhead, Signature

    service = AssessmentService(db, today=lambda: TODAY)
    view = service.open("bca-639-ward-police", 2026)
    service.set_item(view.id, "TC07", status="met", points=4, evidence="Biên bản kiểm tra")
    view = service.view(view.id)
    pdf = build_assessment_report(
        view,
        Letterhead(
            "Công an tỉnh Nghệ An",
            "Công an phường Trường Vinh",
            "Số: 07/BC-CAP",
            "Trường Vinh",
            date(2026, 12, 1),
        ),
        Signature("Trưởng Công an phường", "", "Phạm Văn Thắng", rank="Thiếu tá"),
        ["Công an tỉnh Nghệ An", "Lưu: VT."],
        ["Công an tỉnh Nghệ An"],
    )
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert f"ĐẠT {view.met}/{view.total} TIÊU CHÍ" in text
    assert all(c.criterion.code in text for c in view.criteria)
    assert "Đạt (4/5)" in text and "Biên bản kiểm tra" in text
    assert "Thiếu tá Phạm Văn Thắng" in text
    # the signature follows the table on its page when there is room; it never stands on a
    # page of its own (a nested KeepTogether used to force a page break before it)
    closing = next(i for i, page in enumerate(pages(pdf)) if any("Nơi nhận" in r[0] for r in page))
    assert any(r[0] == "TC20" for r in pages(pdf)[closing]), "signature moved to a new page"


def test_an_appendix_is_numbered_on_its_own_and_repeats_its_header(
    db: Database, indicators: IndicatorService
) -> None:
    from app.core.domain.records import CAMERAS
    from app.core.services.records import RecordService
    from app.reports.appendix_report import AppendixInfo, build_appendix
    from tests.core.test_records import VALID

    records = RecordService(db, today=lambda: TODAY)
    records.create_many(
        "cameras", [{**VALID["cameras"], "address": f"Số {n} đường Lê Lợi"} for n in range(90)]
    )
    rows = records.fetch("cameras", records.list_ids("cameras"))
    pdf = build_appendix(
        CAMERAS, rows, AppendixInfo(2, "07/BC-CAP", date(2026, 12, 1), "Công an phường Trường Vinh")
    )
    runs = pages(pdf)
    assert len(runs) >= 3
    first = " ".join(r[0] for r in runs[0])
    assert "Phụ lục II" in first and "DANH SÁCH CAMERA AN NINH" in first
    assert "(Kèm theo Báo cáo số 07/BC-CAP ngày 01 tháng 12 năm 2026" in first
    for number, page in enumerate(runs[1:], start=2):
        assert any(r[0] == str(number) and r[2] > PAGE_HEIGHT - 15 * MM for r in page)
        assert any("Địa chỉ" in r[0] for r in page)  # the header row repeats
    assert "Số 89 đường Lê Lợi" in " ".join(r[0] for page in runs for r in page)


def test_numbers_are_taken_in_order_and_restart_each_year(indicators: IndicatorService) -> None:
    from app.core.services.report_data import take_number

    settings = load_settings(indicators)
    assert (
        period_report(indicators, Span.MONTH, 2026, 11, date(2026, 11, 20)).number
        == "Số: 01/BC-CAP"
    )  # the preview shows the next free number without taking it
    assert take_number(indicators, date(2026, 11, 20)) == "Số: 01/BC-CAP"
    assert take_number(indicators, date(2026, 12, 1)) == "Số: 02/BC-CAP"
    assert (
        period_report(indicators, Span.MONTH, 2026, 12, date(2026, 12, 2)).number == "Số: 03/BC-CAP"
    )
    assert take_number(indicators, date(2027, 1, 5)) == "Số: 01/BC-CAP"
    save_settings(
        indicators, replace(load_settings(indicators), number_pattern="{number:02d}/BC-CAP-TV")
    )
    assert take_number(indicators, date(2027, 1, 6)) == "Số: 02/BC-CAP-TV"
    assert settings.number_pattern == "{number:02d}/BC-CAP"


def test_the_report_prints_whether_its_figures_are_approved(indicators: IndicatorService) -> None:
    from app.core.domain.access import Actor, Role
    from app.core.services import approvals
    from app.sync import keys as station_keys

    def printed() -> str:
        data = period_report(indicators, Span.MONTH, 2026, 11, date(2026, 11, 20))
        pdf = build_period_report(data)
        pages_text = (page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
        return " ".join(" ".join(pages_text).split())

    assert "phê duyệt" not in printed()  # never approved: nothing printed
    keys = station_keys.create_keys(station_keys.keys_folder(indicators.db.path), "khoá trạm")
    chief = Actor("thang", "Phạm Văn Thắng", Role.CHIEF)
    approvals.ApprovalService(indicators.db, actor=chief).approve(
        approvals.REPORT, approvals.report_key(Span.MONTH, 2026, 11), keys
    )
    assert "Số liệu và nội dung báo cáo này đã được Phạm Văn Thắng phê duyệt ngày" in printed()
    indicators.set_value(2026, 11, "B01", 8)
    assert "số liệu hoặc nội dung đã thay đổi sau khi Phạm Văn Thắng phê duyệt" in printed()
