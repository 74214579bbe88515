"""What goes into a periodic report on security and order work (báo cáo tháng, sơ kết 6 tháng,
9 tháng, tổng kết năm): the unit, the period, the main indicators against the same period
last year, the work recorded, and narrative sections pre-filled from the figures.

No Qt, no PDF: ``app.reports.period_report`` renders it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import date

from app.core.domain.periods import Span
from app.core.domain.report_views import MAIN_INDICATORS, PeriodReport, ReportSettings
from app.core.services import profile
from app.core.services.indicators import IndicatorService
from app.core.services.report_narrative import (
    prefill as prefill,  # re-exported for the report screen
)
from app.core.services.station_service import StationService
from app.db.models import AppMeta
from app.i18n import _, language

SETTINGS_KEY = "report_settings"
# The indicators a periodic report shows, in the order police reports list them.


def load_settings(service: StationService) -> ReportSettings:
    station = profile.load(service.db)
    with service.db.read() as session:
        row = session.get(AppMeta, SETTINGS_KEY)
        stored = json.loads(row.value) if row else {}
    chief_name, chief_rank = _chief(service)
    defaults = ReportSettings(
        signer_authority="Trưởng Công an phường",
        signer_name=chief_name,
        signer_rank=chief_rank,
        addressees=(station.province.name,),
        recipients=(
            f"{station.province.name} (để báo cáo)",
            f"Đảng ủy, UBND phường {station.unit.place_name} (để báo cáo)",
            "Lưu: VT.",
        ),
    )
    for key in ("addressees", "recipients"):
        if key in stored:
            stored[key] = tuple(stored[key])
    known = {k: v for k, v in stored.items() if k in ReportSettings.__dataclass_fields__}
    return replace(defaults, **known)


def _chief(service: StationService) -> tuple[str, str]:
    """The name and rank of the officer recorded as ward police chief, if any."""
    from sqlalchemy import select

    from app.core.domain.records import OFFICERS
    from app.db.models import Officer

    with service.db.read() as session:
        row = session.execute(
            select(Officer.full_name, Officer.rank)
            .where(
                Officer.owner_unit_id == service.unit_id,
                Officer.deleted_at.is_(None),
                Officer.position == "chief",
            )
            .order_by(Officer.id)
            .limit(1)
        ).first()
    if row is None:
        return "", ""
    rank = OFFICERS.field("rank").choice_label(row[1]) if row[1] != "other" else ""
    return row[0], rank


def save_settings(service: StationService, settings: ReportSettings) -> None:
    payload = json.dumps(
        {
            **settings.__dict__,
            "addressees": list(settings.addressees),
            "recipients": list(settings.recipients),
        },
        ensure_ascii=False,
    )
    with service.db.write() as session:
        row = session.get(AppMeta, SETTINGS_KEY)
        if row is None:
            session.add(AppMeta(key=SETTINGS_KEY, value=payload))
        else:
            row.value = payload


def next_number(settings: ReportSettings, issued_on: date) -> str:
    """The number the next report issued on ``issued_on`` gets, without taking it."""
    number = settings.next_number if settings.number_year == issued_on.year else 1
    return "Số: " + settings.number_pattern.format(number=number)


def last_number(settings: ReportSettings, issued_on: date) -> str:
    """The number of the report issued last in ``issued_on``'s year: the report an appendix
    printed now is attached to (an appendix takes no number of its own). The next number
    when none was issued yet that year."""
    if settings.number_year == issued_on.year and settings.next_number > 1:
        return "Số: " + settings.number_pattern.format(number=settings.next_number - 1)
    return next_number(settings, issued_on)


def take_number(service: StationService, issued_on: date) -> str:
    """Give a report issued on ``issued_on`` its number and move the counter on."""
    settings = load_settings(service)
    number = next_number(settings, issued_on)
    used = settings.next_number if settings.number_year == issued_on.year else 1
    save_settings(service, replace(settings, next_number=used + 1, number_year=issued_on.year))
    return number


def period_report(
    service: IndicatorService,
    span: Span,
    year: int,
    index: int = 1,
    issued_on: date | None = None,
    narrative: dict[str, str] | None = None,
    number: str | None = None,
) -> PeriodReport:
    """Everything a periodic report needs, in Vietnamese whatever the interface language."""
    with language("vi"):
        station = profile.load(service.db)
        settings = load_settings(service)
        grid = service.grid(year, span, index)
        by_code = {row.code: row for row in grid.rows}
        rows = tuple(by_code[code] for code in MAIN_INDICATORS if code in by_code)
        texts = {**prefill(span, by_code), **(narrative or {})}
        drafts = tuple(pack.title for pack in service.packs() if pack.draft)
        approval = _approval_line(service, span, year, index, texts)
    issued = issued_on or service.today()
    return PeriodReport(
        parent_agency=station.province.name,
        issuing_agency=station.unit.name,
        place=station.unit.place_name,
        number=number or next_number(settings, issued),
        issued_on=issued,
        span=span,
        period=grid.period,
        rows=rows,
        narrative=texts,
        settings=settings,
        is_demo=station.is_demo,
        draft_packs=drafts,
        approval=approval,
    )


def _approval_line(
    service: IndicatorService, span: Span, year: int, index: int, texts: Mapping[str, str]
) -> str:
    """The line the report prints about the chief's approval of exactly these figures and
    this narrative."""
    from app.core.services import approvals

    state = approvals.ApprovalService(
        service.db, actor=service.actor, clock=service.clock, today=service.today
    ).state(approvals.REPORT, approvals.report_key(span, year, index), texts)
    when = f"{state.approved_at.astimezone():%d/%m/%Y}" if state.approved_at else ""
    if state.state == approvals.APPROVED:
        return _("The figures and text of this report were approved by {name} on {date}.").format(
            name=state.approver, date=when
        )
    if state.state == approvals.CHANGED:
        return _(
            "Note: the figures or the text changed after {name} approved them on {date}; "
            "this report is not approved."
        ).format(name=state.approver, date=when)
    if state.state == approvals.INVALID:
        return _("Note: the approval of these figures is not valid (its signature does not match).")
    return ""
