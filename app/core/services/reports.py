"""The reports other than the periodic one, built from the database: the criteria
self-assessment report and the appendices (lists of records). Shared by the CLI and the
report screen so both print the same document."""

from __future__ import annotations

from app.core.domain.errors import UserFacingError
from app.core.domain.records import KINDS_BY_CODE, ListQuery
from app.core.domain.report_views import PeriodReport
from app.core.services.assessments import AssessmentService
from app.core.services.records import RecordService
from app.db.engine import Database
from app.i18n import _
from app.reports.appendix_report import AppendixInfo, build_appendix, build_assessment_report
from app.reports.document import Letterhead, Signature

APPENDIX_KINDS = ("sessions", "teams", "fire_points", "cameras", "models")


def letterhead(data: PeriodReport) -> tuple[Letterhead, Signature]:
    settings = data.settings
    return (
        Letterhead(
            data.parent_agency, data.issuing_agency, data.number, data.place, data.issued_on
        ),
        Signature(
            settings.signer_authority,
            settings.signer_title,
            settings.signer_name,
            settings.signer_prefix,
            settings.signer_rank,
        ),
    )


def assessment_pdf(db: Database, data: PeriodReport, year: int) -> bytes:
    """The self-assessment of ``year`` against the newest installed criteria set."""
    service = AssessmentService(db)
    packs = service.assessable_packs()
    if not packs:
        raise UserFacingError(
            _("No criteria set is installed."),
            hint=_("Install a criteria pack on the Criteria packs screen first."),
        )
    view = service.open(packs[0].pack_id, year)
    head, signature = letterhead(data)
    return build_assessment_report(
        view, head, signature, data.settings.recipients, data.settings.addressees
    )


def appendix_pdf(db: Database, data: PeriodReport, record_kind: str | None) -> bytes:
    """The list of one kind of record; sessions are limited to the report's period, the
    other lists are the ward's current register."""
    if record_kind not in APPENDIX_KINDS:
        raise UserFacingError(
            _("Say which list the appendix holds with --list, e.g. --list cameras.")
        )
    kind = KINDS_BY_CODE[record_kind]
    records = RecordService(db)
    rows = records.fetch(kind.code, records.list_ids(kind.code, ListQuery()))
    if kind.code == "sessions":
        rows = [r for r in rows if data.period.start <= r.values["held_on"] <= data.period.end]
    info = AppendixInfo(1, data.number.removeprefix("Số: "), data.issued_on, data.issuing_agency)
    return build_appendix(kind, rows, info)


def period_pdf(report: PeriodReport) -> bytes:
    """PDF bytes of the periodic report (the layout is ``app.reports.period_report``)."""
    from app.reports.period_report import build_period_report

    return build_period_report(report)
