"""The periodic report on security and order work as an NĐ 30 document."""

from __future__ import annotations

from reportlab.platypus import Spacer

from app.core.domain.formatting import format_date, format_number
from app.core.domain.periods import Span
from app.core.domain.report_views import PeriodReport
from app.i18n import language
from app.reports.charts import comparison_chart
from app.reports.document import (
    TEXT_WIDTH,
    Letterhead,
    OfficialDocument,
    Signature,
    Styles,
    data_table,
    render,
    text,
)

TITLES = {
    Span.MONTH: "Kết quả công tác bảo đảm an ninh, trật tự {label}",
    Span.QUARTER: "Kết quả công tác bảo đảm an ninh, trật tự {label}",
    Span.HALF: "Sơ kết công tác bảo đảm an ninh, trật tự {label}",
    Span.NINE_MONTHS: "Kết quả công tác bảo đảm an ninh, trật tự {label}",
    Span.YEAR: "Tổng kết công tác bảo đảm an ninh, trật tự {label}",
}
# counts on a comparable scale: crimes, reports received, accidents, fires, outreach sessions
CHART_LABELS = {
    "B01": "Tội phạm",
    "B07": "Trộm, cướp",
    "C01": "Tin báo",
    "D01": "Tai nạn GT",
    "E01": "Cháy, nổ",
    "H04": "Tuyên truyền",
}
SECTION_TITLES = (
    ("situation", "I. TÌNH HÌNH AN NINH, TRẬT TỰ"),
    ("results", "II. KẾT QUẢ CÔNG TÁC"),
    ("shortcomings", "III. TỒN TẠI, HẠN CHẾ"),
    ("directions", "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ"),
)


def _signed(value: float | None) -> str:
    if value is None:
        return ""
    if value > 0:
        return f"+{format_number(value)}"
    return f"\u2212{format_number(-value)}" if value < 0 else "0"


def _figures(report: PeriodReport) -> list[object]:
    header = ["STT", "Chỉ tiêu", "Đơn vị tính", "Kỳ này", "Cùng kỳ", "Tăng, giảm", "Lũy kế năm"]
    rows = [
        [
            str(n),
            row.name,
            row.unit,
            format_number(row.value),
            format_number(row.last_year),
            _signed(row.change),
            format_number(row.year_to_date),
        ]
        for n, row in enumerate(report.rows, start=1)
    ]
    widths = [12, 58, 19, 18, 18, 21, 20]
    scale = TEXT_WIDTH / sum(widths)
    return [data_table(header, rows, [w * scale for w in widths], numeric_columns=(3, 4, 5, 6))]


def build_period_report(report: PeriodReport) -> bytes:
    """PDF bytes of the periodic report."""
    with language("vi"):
        styles = Styles()
        label = report.period.label
        body = _opening(report, styles)
        for key, heading in SECTION_TITLES:
            body.append(text_paragraph(heading, styles.heading))
            if key == "results":
                body.extend(_main_figures(report, styles))
            for paragraph in (report.narrative.get(key) or "").split("\n"):
                if paragraph.strip():
                    body.append(text_paragraph(paragraph.strip(), styles.body))
        last = body[-1]
        if hasattr(last, "text"):
            body[-1] = text_paragraph(last.text.rstrip() + "./.", styles.body)
        document = OfficialDocument(
            letterhead=Letterhead(
                report.parent_agency,
                report.issuing_agency,
                report.number,
                report.place,
                report.issued_on,
            ),
            document_type="BÁO CÁO",
            subject=TITLES[report.span].format(label=label),
            body=body,
            signature=_signature(report),
            recipients=report.settings.recipients,
            addressees=report.settings.addressees,
            title=f"Báo cáo {label}",
        )
        return render(document)


def _opening(report: PeriodReport, styles: Styles) -> list[object]:
    """The period the figures cover, the approval of them, and a note on demo data."""
    body: list[object] = [
        text_paragraph(
            f"Thời gian số liệu: từ ngày {format_date(report.period.start)} đến "
            f"ngày {format_date(report.period.end)}.",
            styles.body,
        )
    ]
    if report.approval:
        body.append(text_paragraph(report.approval, styles.body))
    if report.is_demo:
        body.append(
            text_paragraph(
                "(Báo cáo lập từ DỮ LIỆU DÙNG THỬ, không phải số liệu thật.)", styles.body
            )
        )
    return body


def _main_figures(report: PeriodReport, styles: Styles) -> list[object]:
    """The start of section II: the figures against last year, table and chart."""
    body: list[object] = [
        text_paragraph("1. Các chỉ tiêu chủ yếu so với cùng kỳ năm trước", styles.subheading),
        *_figures(report),
    ]
    chart = comparison_chart(
        [r for r in report.rows if r.code in CHART_LABELS],
        TEXT_WIDTH,
        "Một số chỉ tiêu chủ yếu so với cùng kỳ năm trước",
        CHART_LABELS,
    )
    if chart is not None:
        body.extend([Spacer(1, 10), chart])
    body.append(text_paragraph("2. Kết quả các mặt công tác", styles.subheading))
    return body


def _signature(report: PeriodReport) -> Signature:
    settings = report.settings
    return Signature(
        settings.signer_authority,
        settings.signer_title,
        settings.signer_name,
        settings.signer_prefix,
        settings.signer_rank,
    )


def text_paragraph(value: str, style: object) -> object:
    from reportlab.platypus import Paragraph

    return Paragraph(text(value), style)
