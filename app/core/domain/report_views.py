"""A periodic report as its readers see it (the PDF builder, the report screen): settings
and content, frozen, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from app.core.domain.indicator_views import GridRow
from app.core.domain.periods import Period, Span

MAIN_INDICATORS = (
    "B01",
    "B02",
    "B03",
    "B04",
    "B07",
    "B08",
    "C01",
    "C03",
    "C04",
    "D01",
    "D02",
    "E01",
    "F01",
    "F05",
    "G01",
    "G02",
    "G04",
    "H04",
    "H05",
    "H02",
    "H03",
    "E06",
    "E08",
    "H01",
)


SECTIONS = ("situation", "results", "shortcomings", "directions")


@dataclass(frozen=True)
class ReportSettings:
    """The ward's report settings: numbering, signer, recipients (Nơi nhận, Kính gửi)."""

    number_pattern: str = "{number:02d}/BC-CAP"
    next_number: int = 1
    number_year: int = 0  # document numbers restart every year (NĐ 30/2020)
    signer_prefix: str = ""
    signer_authority: str = "Trưởng Công an phường"
    signer_title: str = ""
    signer_name: str = ""
    signer_rank: str = ""
    addressees: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()


@dataclass(frozen=True)
class PeriodReport:
    parent_agency: str
    issuing_agency: str
    place: str
    number: str
    issued_on: date
    span: Span
    period: Period
    rows: tuple[GridRow, ...]
    narrative: dict[str, str]
    settings: ReportSettings
    is_demo: bool = False
    draft_packs: tuple[str, ...] = field(default=())
    # the chief's approval of the period's figures, as printed ("" when never approved)
    approval: str = ""
