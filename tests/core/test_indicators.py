"""Monthly indicators: aggregation by rule, year over year, validation rules, locking."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from app.core.domain.errors import UserFacingError, ValidationError
from app.core.domain.indicator_views import Grid, GridRow
from app.core.domain.periods import Span, reporting_month, span_months, span_period
from app.core.services import packs
from app.core.services.indicators import IndicatorService, parse_decimal
from app.core.services.records import RecordService
from app.db.engine import Database
from tests.conftest import NOW
from tests.core.test_records import VALID

TODAY = date(2026, 11, 23)

# Hand-made months of 2026 (and 2025 for year over year).
B01 = {1: 4, 2: 6, 3: 3, 4: 5, 5: 2, 6: 4, 7: 7, 8: 1, 9: 3, 10: 2, 11: 5, 12: 4}
B02 = {1: 3, 2: 6, 3: 1, 4: 5, 5: 2, 6: 2, 7: 7, 8: 1, 9: 3, 10: 1, 11: 4, 12: 4}
B09 = {1: 10, 2: 11, 3: 11, 4: 12, 5: 12, 6: 12, 7: 13, 8: 13, 9: 14, 10: 14, 11: 15, 12: 15}
B01_2025 = {m: v + 1 for m, v in B01.items()}


@pytest.fixture
def indicators(db: Database) -> IndicatorService:
    packs.install_bundled(db, datetime.now(UTC), "test")
    service = IndicatorService(
        db, author="Trần Thị Lan", clock=lambda: NOW, today=lambda: date(2027, 3, 1)
    )
    for month in range(1, 13):
        service.set_many(2026, month, {"B01": B01[month], "B02": B02[month], "B09": B09[month]})
        service.set_many(2025, month, {"B01": B01_2025[month]})
    return service


def row(grid: Grid, code: str) -> GridRow:
    return next(r for r in grid.rows if r.code == code)


@pytest.mark.parametrize(
    ("span", "index", "months"),
    [
        (Span.MONTH, 5, (5,)),
        (Span.QUARTER, 1, (1, 2, 3)),
        (Span.QUARTER, 4, (10, 11, 12)),
        (Span.HALF, 1, tuple(range(1, 7))),
        (Span.NINE_MONTHS, 1, tuple(range(1, 10))),
        (Span.YEAR, 1, tuple(range(1, 13))),
    ],
)
def test_sum_last_and_ratio_over_every_span(
    indicators: IndicatorService, span: Span, index: int, months: tuple[int, ...]
) -> None:
    assert span_months(span, index) == months
    grid = indicators.grid(2026, span, index)
    crimes = sum(B01[m] for m in months)
    solved = sum(B02[m] for m in months)
    assert row(grid, "B01").value == crimes  # sum
    assert row(grid, "B09").value == B09[months[-1]]  # last
    assert row(grid, "B03").value == pytest.approx(solved / crimes * 100)  # ratio of sums
    assert row(grid, "B01").last_year == sum(B01_2025[m] for m in months)
    assert row(grid, "B01").change == -len(months)
    assert row(grid, "B01").change_pct == pytest.approx(-len(months) / (crimes + len(months)) * 100)
    ytd = tuple(range(1, months[-1] + 1))
    assert row(grid, "B01").year_to_date == sum(B01[m] for m in ytd)
    assert not row(grid, "B03").typed


def test_the_reporting_month_runs_from_the_15th(indicators: IndicatorService) -> None:
    period = span_period(Span.HALF, 2026)
    assert (period.start, period.end) == (date(2025, 12, 15), date(2026, 6, 14))
    assert reporting_month(2026, 3).start == date(2026, 2, 15)


def test_computed_indicators_count_the_records(db: Database, indicators: IndicatorService) -> None:
    records = RecordService(db, clock=lambda: NOW, today=lambda: TODAY)
    for day, attendance in (
        (date(2026, 10, 15), 80),
        (date(2026, 11, 14), 120),
        (date(2026, 11, 15), 60),
    ):  # the 15th already belongs to December
        records.create("sessions", {**VALID["sessions"], "held_on": day, "attendance": attendance})
    records.create("teams", {**VALID["teams"], "established_on": date(2026, 5, 1)})
    records.create("teams", {**VALID["teams"], "name": "Tổ 2", "status": "inactive"})
    service = IndicatorService(db, clock=lambda: NOW, today=lambda: TODAY)
    november = service.grid(2026, Span.MONTH, 11)
    assert row(november, "H04").value == 2
    assert row(november, "H05").value == 200
    assert row(november, "E06").value == 1  # only the active team
    december = service.grid(2026, Span.MONTH, 12)
    assert row(december, "H04").value == 1
    with pytest.raises(UserFacingError):
        service.set_value(2026, 11, "H04", 5)


def test_validation_rules_report_contradictions(indicators: IndicatorService) -> None:
    problems = indicators.set_value(2026, 5, "B02", 9)  # more solved than happened (2)
    assert any("không được lớn hơn" in p or "B02" in p for p in problems)
    grid = indicators.grid(2026, Span.MONTH, 5)
    assert row(grid, "B02").problems and row(grid, "B01").problems
    assert indicators.set_value(2026, 5, "B02", 2) == ()


def test_bad_values_are_refused_with_the_indicator_named(indicators: IndicatorService) -> None:
    with pytest.raises(ValidationError) as negative:
        indicators.set_value(2026, 5, "B01", -1)
    assert "B01" in negative.value.field_errors
    with pytest.raises(ValidationError):
        indicators.set_value(2026, 5, "B01", "2,5")  # crimes are whole numbers
    with pytest.raises(ValidationError):
        indicators.set_value(2026, 5, "B01", "nhiều")
    indicators.set_value(2026, 5, "E03", "12,5")  # money may have decimals
    assert row(indicators.grid(2026, Span.MONTH, 5), "E03").value == 12.5
    assert parse_decimal("1.234") == 1234 and parse_decimal("1.234,5") == 1234.5
    assert parse_decimal("") is None


def test_lock_and_recorded_unlock(indicators: IndicatorService) -> None:
    indicators.set_value(2026, 6, "B02", 9)
    with pytest.raises(UserFacingError):
        indicators.lock(2026, 6)  # contradictory figures cannot be locked
    indicators.set_value(2026, 6, "B02", 2, comment="Đã đối chiếu sổ theo dõi")
    indicators.lock(2026, 6)
    grid = indicators.grid(2026, Span.MONTH, 6)
    assert grid.locked and not grid.editable
    assert row(grid, "B02").comment == "Đã đối chiếu sổ theo dõi"
    with pytest.raises(UserFacingError):
        indicators.set_value(2026, 6, "B01", 1)
    with pytest.raises(ValidationError):
        indicators.unlock(2026, 6, "")
    indicators.unlock(2026, 6, "Sửa số liệu tin báo theo yêu cầu Công an tỉnh")
    indicators.set_value(2026, 6, "B01", 5)
    history = indicators.lock_history(2026, 6)
    assert [e.action for e in history] == ["lock", "unlock"]
    assert history[1].reason.startswith("Sửa số liệu") and history[1].by == "Trần Thị Lan"


def test_the_grid_exports_to_excel_with_the_same_values(
    indicators: IndicatorService, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    from app.core.services.spreadsheet import export_indicator_grid

    indicators.set_comment(2026, 5, "B01", "Theo sổ tiếp nhận")
    grid = indicators.grid(2026, Span.MONTH, 5)
    target = tmp_path / "chi-tieu.xlsx"
    export_indicator_grid(grid, target, "Công an phường Trường Vinh")
    sheet = load_workbook(target).active
    assert sheet is not None
    assert sheet["A1"].value == "Công an phường Trường Vinh — tháng 5/2026"
    rows = {r[0]: r for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert rows["B01"][3] == B01[5] and rows["B01"][4] == B01_2025[5]
    assert rows["B01"][5] == -1 and rows["B01"][8] == "Theo sổ tiếp nhận"
    assert rows["B03"][3] == pytest.approx(B02[5] / B01[5] * 100)
    assert len(rows) == len(grid.rows)
