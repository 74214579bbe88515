"""``modelward report KIND --period P --out FILE.pdf``: the periodic reports, headless."""

from __future__ import annotations

import argparse
import re
from datetime import date
from pathlib import Path

from app.cli.args import calendar_day
from app.core.domain.errors import UserFacingError
from app.i18n import _

KINDS = {
    "month": "MONTH",
    "quarter": "QUARTER",
    "half": "HALF",
    "nine": "NINE_MONTHS",
    "year": "YEAR",
}


def add_parser(verbs: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    report = verbs.add_parser("report", help=_("make a periodic report as PDF"))
    report.add_argument("kind", choices=sorted([*KINDS, "assessment", "appendix"]))
    report.add_argument(
        "--list",
        dest="record_kind",
        help=_("for an appendix: sessions, teams, fire_points, cameras, models"),
    )
    report.add_argument(
        "--period",
        required=True,
        help=_("2026-11 (month), 2026-Q3 (quarter) or 2026 (half, nine, year)"),
    )
    report.add_argument("--out", type=Path, required=True)
    report.add_argument(
        "--date",
        type=calendar_day,
        help=_("date printed on the report, dd/mm/yyyy (default: today)"),
    )


def parse_period(kind: str, text: str) -> tuple[int, int]:
    """(year, month or quarter) from the --period text of a report kind."""
    patterns = {"month": r"(\d{4})-(\d{1,2})", "quarter": r"(\d{4})-[Qq]([1-4])"}
    pattern = patterns.get(kind, r"(\d{4})")
    match = re.fullmatch(pattern, text.strip())
    if match is None or (kind == "month" and not 1 <= int(match.group(2)) <= 12):
        raise UserFacingError(
            _("The period {text} does not fit a {kind} report.").format(text=text, kind=kind),
            hint=_("Write e.g. 2026-11, 2026-Q3 or 2026."),
        )
    groups = match.groups()
    return int(groups[0]), int(groups[1]) if len(groups) > 1 else 1


def run_report_verb(path: Path, args: argparse.Namespace) -> int:
    from app.core.domain.periods import Span
    from app.core.services.indicators import IndicatorService
    from app.core.services.report_data import last_number, load_settings, period_report, take_number
    from app.core.services.reports import appendix_pdf, assessment_pdf, period_pdf
    from app.core.services.storage import open_database
    from app.fileio import atomic_write_bytes

    period_kind = args.kind if args.kind in KINDS else "year"
    year, index = parse_period(period_kind, args.period)
    issued = args.date or date.today()
    if not path.exists():
        raise UserFacingError(_("There is no database at {path}.").format(path=path))
    db = open_database(path)
    try:
        from app.cli.common import actor_of

        indicators = IndicatorService(db, actor=actor_of(args))
        number = (
            last_number(load_settings(indicators), issued)
            if args.kind == "appendix"
            else take_number(indicators, issued)
        )
        data = period_report(
            indicators, Span[KINDS[period_kind]], year, index, issued, number=number
        )
        if args.kind == "assessment":
            pdf = assessment_pdf(db, data, year)
        elif args.kind == "appendix":
            pdf = appendix_pdf(db, data, args.record_kind)
        else:
            pdf = period_pdf(data)
        atomic_write_bytes(args.out, pdf)
    finally:
        db.close()
    print(_("Report written to {path}.").format(path=args.out))
    return 0
