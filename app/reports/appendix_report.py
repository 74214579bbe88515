"""Appendices (Phụ lục) listing the ward's records, and the self-assessment report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from reportlab.lib.enums import TA_CENTER
from reportlab.platypus import Flowable, Paragraph, Spacer

from app.core.domain.assessment_views import AssessmentView
from app.core.domain.formatting import format_number, format_value
from app.core.domain.records import RecordKind, RecordRow
from app.i18n import _, language
from app.reports.document import (
    TEXT_WIDTH,
    Letterhead,
    OfficialDocument,
    Signature,
    Styles,
    build_pdf,
    data_table,
    nd30_date,
    render,
    style,
    text,
)

ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")


@dataclass(frozen=True)
class AppendixInfo:
    """What the appendix is attached to: "(Kèm theo Báo cáo số … ngày … của …)"."""

    number: int
    report_number: str
    report_date: date
    issuer: str


def build_appendix(kind: RecordKind, rows: Sequence[RecordRow], info: AppendixInfo) -> bytes:
    """A Phụ lục listing ``rows``, numbered on its own, its table header on every page."""
    with language("vi"):
        styles = Styles()
        head = style("appendix_no", 14, bold=True, align=TA_CENTER)
        italic = style("appendix_ref", 13, italic=True, align=TA_CENTER)
        fields = kind.listed_fields
        header = ["STT", *(_(spec.label) for spec in fields)]
        body_rows = [
            [str(n), *(format_value(spec, row.values.get(spec.name)) for spec in fields)]
            for n, row in enumerate(rows, start=1)
        ]
        by_type = {"date": 21, "bool": 14, "int": 14, "float": 16, "choice": 24}
        weights = [11] + [by_type.get(spec.type.value, 30) for spec in fields]
        widths = [w * TEXT_WIDTH / sum(weights) for w in weights]
        numeric = [i + 1 for i, spec in enumerate(fields) if spec.type.value in ("int", "float")]
        story: list[Flowable] = [
            Paragraph(f"Phụ lục {ROMAN[(info.number - 1) % len(ROMAN)]}", head),
            Paragraph(text(f"DANH SÁCH {_(kind.title).upper()}"), styles.doc_type),
            Paragraph(
                text(
                    f"(Kèm theo Báo cáo số {info.report_number} "
                    f"{nd30_date(info.report_date, '').lstrip(', ')} "
                    f"của {info.issuer})"
                ),
                italic,
            ),
            Spacer(1, 8),
            data_table(header, body_rows, widths, numeric_columns=numeric),
        ]
        if not rows:
            story.append(Paragraph(text("(Không có số liệu trong kỳ.)"), styles.body))
        return build_pdf(story, f"Phụ lục {info.number}", info.issuer)


STATUS_TEXT = {
    "met": "Đạt",
    "not_met": "Không đạt",
    "not_applicable": "Không áp dụng",
    "pending": "Chưa đánh giá",
}


def build_assessment_report(
    view: AssessmentView,
    letterhead: Letterhead,
    signature: Signature,
    recipients: Sequence[str],
    addressees: Sequence[str],
) -> bytes:
    """Kết quả tự đánh giá theo bộ tiêu chí: every criterion, its result and evidence, and
    the totals per group."""
    with language("vi"):
        styles = Styles()
        body = [
            *_assessment_basis(view, styles),
            *_overall_result(view, styles),
            *_criteria_results(view, styles),
            Paragraph(
                text(
                    f"Trên đây là kết quả tự đánh giá năm {view.year} của "
                    f"{letterhead.issuing_agency}./."
                ),
                styles.body,
            ),
        ]
        document = OfficialDocument(
            letterhead=letterhead,
            document_type="BÁO CÁO",
            subject=f"Kết quả tự đánh giá theo bộ tiêu chí năm {view.year}",
            body=body,
            signature=signature,
            recipients=recipients,
            addressees=addressees,
            title=f"Tự đánh giá {view.year}",
        )
        return render(document)


def _assessment_basis(view: AssessmentView, styles: Styles) -> list[Flowable]:
    """The pack the assessment follows, and a note when that pack is a draft."""
    pack = view.pack
    body: list[Flowable] = [
        Paragraph(
            text(
                f"Căn cứ {pack.title} ({pack.legal_basis.number}, phiên bản "
                f"{pack.version}); kết quả tự đánh giá năm {view.year}, số liệu đến hết "
                f"tháng {view.as_of_month}."
            ),
            styles.body,
        )
    ]
    if pack.draft:
        body.append(
            Paragraph(text(f"Lưu ý: {pack.draft_note or 'bộ tiêu chí dự thảo.'}"), styles.body)
        )
    return body


def _overall_result(view: AssessmentView, styles: Styles) -> list[Flowable]:
    """Section I: criteria met, points earned, and the totals per group."""
    body: list[Flowable] = [
        Paragraph(text(f"I. KẾT QUẢ CHUNG: ĐẠT {view.met}/{view.total} TIÊU CHÍ"), styles.heading)
    ]
    earned, possible = view.points
    if possible:
        body.append(
            Paragraph(
                text(
                    f"Tổng điểm các tiêu chí chấm điểm: "
                    f"{format_number(earned)}/{format_number(possible)}."
                ),
                styles.body,
            )
        )
    body.append(
        data_table(
            ["Nhóm", "Nội dung", "Đạt"],
            [[g.code, g.title, f"{g.met}/{g.total}"] for g in view.groups],
            [15 / 165 * TEXT_WIDTH, 125 / 165 * TEXT_WIDTH, 25 / 165 * TEXT_WIDTH],
            numeric_columns=(2,),
        )
    )
    return body


def _criteria_results(view: AssessmentView, styles: Styles) -> list[Flowable]:
    """Section II: one row per criterion, its result (and points) and its evidence."""
    rows = []
    for item in view.criteria:
        evidence = item.evidence or (item.auto.reason if item.auto else "")
        if item.links:
            labels = "; ".join(link.label for link in item.links)
            evidence += ("; " if evidence else "") + labels
        points = (
            f"{format_number(item.earned_points)}/{format_number(item.criterion.max_points)}"
            if item.criterion.max_points
            else ""
        )
        rows.append(
            [
                item.criterion.code,
                item.criterion.title,
                STATUS_TEXT[item.status] + (f" ({points})" if points else ""),
                evidence,
            ]
        )
    widths = [16, 62, 25, 62]
    return [
        Paragraph(text("II. KẾT QUẢ TỪNG TIÊU CHÍ"), styles.heading),
        data_table(
            ["Mã", "Tiêu chí", "Kết quả", "Minh chứng"],
            rows,
            [w / 165 * TEXT_WIDTH for w in widths],
        ),
    ]
