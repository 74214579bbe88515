"""The Nghị định 30/2020/NĐ-CP administrative document layout (Phụ lục I), for reports.

A4 portrait, margins 20/20/30/15 mm (165 mm of text); the two-column header (parent agency,
issuing agency with its short rule and "Số: …"; Quốc hiệu, Tiêu ngữ with a rule as long as
the text, place and date in italics); document type and subject with a short rule;
"Kính gửi" for reports sent upward; justified 14 pt body with a 1 cm first-line indent; page
numbers centred in the top margin from page 2; the signature block with KT./TM./Q./TL.
prefixes and an optional rank; "Nơi nhận" ending with "- Lưu: VT, …"; "./." after the body.
Every string is NFC before it is drawn.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from app.core.domain.text import nfc
from app.reports.fonts import FAMILY, register_fonts

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = 20 * mm, 20 * mm, 30 * mm, 15 * mm
TEXT_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT  # 165 mm
LEFT_COLUMN, RIGHT_COLUMN = 67 * mm, 98 * mm
QUOC_HIEU = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
TIEU_NGU = "Độc lập - Tự do - Hạnh phúc"
# Tables otherwise set their default font (Helvetica, not embedded) on the canvas.
FONT = [("FONTNAME", (0, 0), (-1, -1), FAMILY)]


def nd30_date(day: date, place: str) -> str:
    """ "Trường Vinh, ngày 05 tháng 01 năm 2027": the day is zero-padded below 10, the month
    only when it is 1 or 2 (NĐ 30/2020, Phụ lục I)."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def text(value: str) -> str:
    """NFC and escaped for reportlab's paragraph markup."""
    return escape(nfc(value))


def style(
    name: str,
    size: float,
    *,
    bold: bool = False,
    italic: bool = False,
    align: int = TA_LEFT,
    leading: float | None = None,
    **extra: Any,
) -> ParagraphStyle:
    suffix = {
        (False, False): "",
        (True, False): "-Bold",
        (False, True): "-Italic",
        (True, True): "-BoldItalic",
    }[(bold, italic)]
    return ParagraphStyle(
        name,
        fontName=FAMILY + suffix,
        fontSize=size,
        leading=leading or size * 1.2,
        alignment=align,
        **extra,
    )


class Rule(Flowable):  # type: ignore[misc]
    """A solid rule of a given length, centred in its frame (under Tiêu ngữ, agency, subject)."""

    def __init__(self, length: float, thickness: float = 0.6, space_before: float = 3) -> None:
        super().__init__()
        self.length = length
        self.thickness = thickness
        self.space_before = space_before

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.available = available_width
        return available_width, self.space_before + self.thickness

    def draw(self) -> None:
        # drawn at the bottom of its box, ``space_before`` under the text's descenders
        left = (self.available - self.length) / 2
        self.canv.setLineWidth(self.thickness)
        y = self.thickness / 2
        self.canv.line(left, y, left + self.length, y)


@dataclass(frozen=True)
class Signature:
    """The signer: ``prefix`` is "", "KT.", "TM.", "Q.", "TL." or "TUQ."."""

    authority: str
    title: str
    name: str
    prefix: str = ""
    rank: str = ""


@dataclass(frozen=True)
class Letterhead:
    parent_agency: str
    issuing_agency: str
    number: str  # "Số: 05/BC-CAP"
    place: str
    issued_on: date


@dataclass
class OfficialDocument:
    letterhead: Letterhead
    document_type: str  # "BÁO CÁO"
    subject: str
    body: list[Flowable]
    signature: Signature
    recipients: Sequence[str] = ()
    addressees: Sequence[str] = ()  # "Kính gửi" for reports sent upward
    title: str = ""
    meta: dict[str, str] = field(default_factory=dict)


class Styles:
    """The paragraph styles of an NĐ 30 document (Times New Roman sizes of Phụ lục I)."""

    def __init__(self) -> None:
        register_fonts()
        self.parent = style("parent", 12, align=TA_CENTER)
        self.agency = style("agency", 12, bold=True, align=TA_CENTER)
        self.number = style("number", 13, align=TA_CENTER)
        self.quoc_hieu = style("quoc_hieu", 12, bold=True, align=TA_CENTER)
        self.tieu_ngu = style("tieu_ngu", 13, bold=True, align=TA_CENTER)
        self.date = style("date", 13, italic=True, align=TA_CENTER)
        self.doc_type = style("doc_type", 14, bold=True, align=TA_CENTER, spaceBefore=18)
        self.subject = style("subject", 14, bold=True, align=TA_CENTER)
        self.addressee = style("addressee", 14, align=TA_CENTER, spaceBefore=6)
        self.body = style(
            "body", 14, align=TA_JUSTIFY, firstLineIndent=10 * mm, spaceBefore=6, leading=14 * 1.3
        )
        self.heading = style(
            "heading",
            14,
            bold=True,
            align=TA_JUSTIFY,
            spaceBefore=8,
            firstLineIndent=10 * mm,
            leading=14 * 1.3,
        )
        self.subheading = style(
            "subheading",
            14,
            bold=True,
            align=TA_JUSTIFY,
            spaceBefore=6,
            firstLineIndent=10 * mm,
            leading=14 * 1.3,
        )
        self.cell = style("cell", 11, leading=13)
        self.cell_right = style("cell_right", 11, leading=13, align=2)
        self.cell_head = style("cell_head", 11, bold=True, align=TA_CENTER, leading=13)
        self.received_title = style("received_title", 12, bold=True, italic=True)
        self.received = style("received", 11, leading=13)
        self.sign_title = style("sign_title", 14, bold=True, align=TA_CENTER)
        self.sign_name = style("sign_name", 14, bold=True, align=TA_CENTER)


def _header(document: OfficialDocument, styles: Styles) -> Table:
    head = document.letterhead
    agency = nfc(head.issuing_agency.upper())
    agency_rule = min(stringWidth(agency, FAMILY + "-Bold", 12), LEFT_COLUMN - 4) * 0.4
    motto_rule = stringWidth(TIEU_NGU, FAMILY + "-Bold", 13)
    left = [
        Paragraph(text(head.parent_agency.upper()), styles.parent),
        Paragraph(text(agency), styles.agency),
        Rule(agency_rule),
    ]
    right = [
        Paragraph(QUOC_HIEU, styles.quoc_hieu),
        Paragraph(TIEU_NGU, styles.tieu_ngu),
        Rule(motto_rule),
    ]
    rows = [
        [left, right],
        [
            Paragraph(text(head.number), styles.number),
            Paragraph(text(nd30_date(head.issued_on, head.place)), styles.date),
        ],
    ]
    table = Table(rows, colWidths=[LEFT_COLUMN, RIGHT_COLUMN])
    table.setStyle(
        TableStyle(
            [
                *FONT,
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 1), (-1, 1), 6),
            ]
        )
    )
    return table


def _title(document: OfficialDocument, styles: Styles) -> list[Flowable]:
    subject = nfc(document.subject)
    rule = min(stringWidth(subject, FAMILY + "-Bold", 14), TEXT_WIDTH) * 0.4
    flowables: list[Flowable] = [
        Paragraph(text(document.document_type.upper()), styles.doc_type),
        Paragraph(text(subject), styles.subject),
        Rule(rule),
    ]
    for number, addressee in enumerate(document.addressees):
        prefix = "Kính gửi: " if number == 0 else ""
        flowables.append(Paragraph(text(prefix + addressee), styles.addressee))
    flowables.append(Spacer(1, 6))
    return flowables


def _closing(document: OfficialDocument, styles: Styles) -> list[Flowable]:
    """Nơi nhận and the signature block. A list, not a KeepTogether: the caller keeps it with
    the last paragraph, and a KeepTogether nested in another always forces a page break."""
    sign = document.signature
    authority = nfc(sign.authority.upper())
    title_lines = [f"{sign.prefix} {authority}".strip()] if sign.prefix else [authority]
    if sign.prefix in ("KT.", "Q.", "TL.", "TUQ.") and sign.title:
        title_lines.append(nfc(sign.title.upper()))
    right: list[Flowable] = [Paragraph(text(line), styles.sign_title) for line in title_lines]
    right.append(Spacer(1, 28 * mm))  # room for the signature and the seal
    name = f"{sign.rank} {sign.name}".strip()
    right.append(Paragraph(text(name), styles.sign_name))
    left: list[Flowable] = [Paragraph("Nơi nhận:", styles.received_title)]
    entries = list(document.recipients)
    for number, entry in enumerate(entries):
        ending = "." if number == len(entries) - 1 else ";"
        left.append(Paragraph(text(f"- {entry.rstrip(';.')}{ending}"), styles.received))
    table = Table([[left, right]], colWidths=[LEFT_COLUMN + 8 * mm, RIGHT_COLUMN - 8 * mm])
    table.setStyle(
        TableStyle(
            [
                *FONT,
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [Spacer(1, 10), table]


def page_number(canvas: Any, document: Any) -> None:
    """Page numbers in the top margin, centred, from page 2 (NĐ 30: not on the first page)."""
    if document.page < 2:
        return
    canvas.saveState()
    canvas.setFont(FAMILY, 13)
    canvas.drawCentredString(
        MARGIN_LEFT + TEXT_WIDTH / 2, PAGE_HEIGHT - 12 * mm, str(document.page)
    )
    canvas.restoreState()


def build_pdf(story: list[Flowable], title: str, author: str = "", subject: str = "") -> bytes:
    """A4 with the decree's margins and page numbering, fonts embedded as subsets."""
    buffer = io.BytesIO()
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_LEFT,
        rightMargin=MARGIN_RIGHT,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=nfc(title),
        author=nfc(author),
        subject=nfc(subject),
        creator="ModelWard",
        # the canvas's own initial font would otherwise add an unembedded Helvetica
        initialFontName=FAMILY,
        initialFontSize=13,
    )
    template.build(story, onFirstPage=page_number, onLaterPages=page_number)
    return buffer.getvalue()


def render(document: OfficialDocument) -> bytes:
    """The document as PDF bytes."""
    styles = Styles()
    # the last paragraph stays with the signature, so the signature never stands alone
    *body, last = document.body or [Spacer(1, 1)]
    story: list[Flowable] = [
        _header(document, styles),
        *_title(document, styles),
        *body,
        KeepTogether([last, *_closing(document, styles)]),
    ]
    return build_pdf(
        story,
        document.title or document.subject,
        document.letterhead.issuing_agency,
        document.subject,
    )


def data_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    numeric_columns: Sequence[int] = (),
) -> Table:
    """A bordered table whose header row repeats on every page."""
    styles = Styles()
    body = [[Paragraph(text(h), styles.cell_head) for h in header]]
    for row in rows:
        body.append(
            [
                Paragraph(
                    text(str(cell)), styles.cell_right if i in numeric_columns else styles.cell
                )
                for i, cell in enumerate(row)
            ]
        )
    table = Table(body, colWidths=list(widths), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                *FONT,
                ("GRID", (0, 0), (-1, -1), 0.5, "black"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BACKGROUND", (0, 0), (-1, 0), "#eeeeee"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table
