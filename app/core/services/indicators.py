"""The monthly indicator grid: values, same period last year, change, year to date; entry with
validation between indicators; complete-and-lock of a month, with recorded unlocking."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.domain.access import Permission
from app.core.domain.errors import UserFacingError, ValidationError
from app.core.domain.indicator_views import Grid, GridRow, LockEvent
from app.core.domain.indicators import IndicatorData, check_rules
from app.core.domain.packs.model import Indicator, Pack, ValidationRule
from app.core.domain.periods import Span, month_of, span_months, span_period
from app.core.domain.text import clean
from app.core.services import packs
from app.core.services.station_service import StationService
from app.db.indicator_values import load_indicator_data
from app.db.pack_models import IndicatorValue, PeriodLock, PeriodLockEvent
from app.i18n import _

_THOUSANDS = re.compile(r"^-?\d{1,3}(\.\d{3})+$")


def parse_decimal(text: str) -> float | None:
    """A number as officers type it: "1.234", "1.234,5", "12,5", "12.5"; "" is no value."""
    raw = clean(text).replace(" ", "")
    if not raw:
        return None
    if "," in raw:
        raw = raw.replace(".", "").replace(",", ".")
    elif _THOUSANDS.match(raw):
        raw = raw.replace(".", "")
    try:
        return float(raw)
    except ValueError:
        raise ValueError(_("{text} is not a number.").format(text=text)) from None


class IndicatorService(StationService):
    # --- catalogue ---------------------------------------------------------------------------

    def packs(self) -> list[Pack]:
        return [pack for pack in packs.active_packs(self.db) if pack.indicators]

    def catalogue(self) -> tuple[list[Indicator], dict[str, str], list[ValidationRule], int]:
        """Indicators, indicator-group titles, validation rules and the month cut-off day."""
        active = self.packs()
        indicators = [i for pack in active for i in pack.indicators]
        groups = {code: title for pack in active for code, title in pack.indicator_groups}
        rules = [rule for pack in active for rule in pack.validations]
        cutoff = active[0].month_start_day if active else 15
        return indicators, groups, rules, cutoff

    def current_month(self) -> tuple[int, int]:
        *_rest, cutoff = self.catalogue()
        return month_of(self.today(), cutoff)

    def data(self, years: Sequence[int]) -> IndicatorData:
        indicators, _groups, _rules, cutoff = self.catalogue()
        with self.db.read() as session:
            return load_indicator_data(
                session, self.unit_id, indicators, years, cutoff, self.today()
            )

    # --- the grid ----------------------------------------------------------------------------

    def grid(self, year: int, span: Span = Span.MONTH, index: int = 1) -> Grid:
        indicators, groups, rules, cutoff = self.catalogue()
        with self.db.read() as session:
            data = load_indicator_data(
                session, self.unit_id, indicators, (year - 1, year), cutoff, self.today()
            )
            locked = span is Span.MONTH and self._locked(session, year, index)
        months = span_months(span, index)
        ytd = tuple(range(1, months[-1] + 1))
        broken = check_rules(rules, data, year, months)
        problems: dict[str, list[str]] = {}
        for violation in broken:
            for code in violation.codes:
                problems.setdefault(code, []).append(violation.rule.message)
        rows = tuple(
            GridRow(
                code=i.code,
                name=i.name,
                unit=i.unit,
                group=i.group,
                group_title=groups.get(i.group, ""),
                typed=i.typed,
                aggregation=i.aggregation,
                value=data.aggregate(i.code, year, months),
                comment=data.comments.get((i.code, year, months[0]), "")
                if span is Span.MONTH
                else "",
                last_year=data.aggregate(i.code, year - 1, months),
                year_to_date=data.aggregate(i.code, year, ytd),
                problems=tuple(problems.get(i.code, ())),
            )
            for i in indicators
        )
        return Grid(
            year,
            span,
            index,
            span_period(span, year, index, cutoff),
            rows,
            locked,
            span is Span.MONTH and not locked,
            tuple(dict.fromkeys(v.rule.message for v in broken)),
        )

    # --- entry -------------------------------------------------------------------------------

    def set_value(
        self,
        year: int,
        month: int,
        code: str,
        value: float | str | None,
        comment: str | None = None,
    ) -> tuple[str, ...]:
        """Store one typed value (and its comment); return the validation messages the month
        now breaks. Refuses computed indicators, locked months and impossible values."""
        self.require(Permission.EDIT_INDICATORS)
        indicators, _groups, _rules, _cutoff = self.catalogue()
        indicator = next((i for i in indicators if i.code == code), None)
        if indicator is None:
            raise UserFacingError(_("Unknown indicator {code}.").format(code=code))
        if not indicator.typed:
            raise UserFacingError(
                _("{name} is computed by the app and cannot be typed.").format(name=indicator.name)
            )
        number = self._checked(indicator, value)
        with self.db.write() as session:
            if self._locked(session, year, month):
                raise UserFacingError(
                    _("Month {month}/{year} is locked.").format(month=month, year=year),
                    hint=_("Ask the chief to unlock it if a figure must be corrected."),
                )
            self._store(
                session,
                indicator.code,
                year,
                month,
                number,
                None if comment is None else clean(comment),
            )
        return self.grid(year, Span.MONTH, month).violations

    def set_comment(self, year: int, month: int, code: str, comment: str) -> None:
        """Store the comment of one indicator's month, leaving its value as it is."""
        self.require(Permission.EDIT_INDICATORS)
        indicators, *_rest = self.catalogue()
        if not any(i.code == code for i in indicators):
            raise UserFacingError(_("Unknown indicator {code}.").format(code=code))
        with self.db.write() as session:
            if self._locked(session, year, month):
                raise UserFacingError(
                    _("Month {month}/{year} is locked.").format(month=month, year=year)
                )
            row = self._value_row(session, code, year, month)
            value = row.value if row is not None else None
            self._store(session, code, year, month, value, clean(comment))

    def _value_row(
        self, session: Session, code: str, year: int, month: int
    ) -> IndicatorValue | None:
        return session.execute(
            select(IndicatorValue).where(
                IndicatorValue.owner_unit_id == self.unit_id,
                IndicatorValue.indicator_code == code,
                IndicatorValue.year == year,
                IndicatorValue.month == month,
            )
        ).scalar_one_or_none()

    def _checked(self, indicator: Indicator, value: float | str | None) -> float | None:
        try:
            number = parse_decimal(value) if isinstance(value, str) else value
        except ValueError as error:
            raise ValidationError({indicator.code: str(error)}) from None
        if number is None:
            return None
        if indicator.minimum is not None and number < indicator.minimum:
            raise ValidationError(
                {
                    indicator.code: _("{name} cannot be below {minimum}.").format(
                        name=indicator.name, minimum=indicator.minimum
                    )
                }
            )
        if indicator.maximum is not None and number > indicator.maximum:
            raise ValidationError(
                {
                    indicator.code: _("{name} cannot be above {maximum}.").format(
                        name=indicator.name, maximum=indicator.maximum
                    )
                }
            )
        if indicator.integer and not float(number).is_integer():
            raise ValidationError(
                {
                    indicator.code: _("{name} is counted in whole numbers ({unit}).").format(
                        name=indicator.name, unit=indicator.unit
                    )
                }
            )
        return float(number)

    def _store(
        self,
        session: Session,
        code: str,
        year: int,
        month: int,
        number: float | None,
        comment: str | None,
    ) -> None:
        row = self._value_row(session, code, year, month)
        now = self.clock()
        if row is None:
            session.add(
                IndicatorValue(
                    uuid=str(uuid.uuid4()),
                    owner_unit_id=self.unit_id,
                    indicator_code=code,
                    year=year,
                    month=month,
                    value=number,
                    comment=comment or None,
                    created_at=now,
                    updated_at=now,
                    created_by=self.author,
                    updated_by=self.author,
                )
            )
            return
        if row.value != number or (comment is not None and (row.comment or "") != comment):
            row.value = number
            if comment is not None:
                row.comment = comment or None
            row.deleted_at = None
            row.updated_at, row.updated_by = now, self.author

    def set_many(self, year: int, month: int, values: dict[str, float | None]) -> None:
        """Store several typed values of one month in one transaction (demo, import)."""
        self.require(Permission.EDIT_INDICATORS)
        indicators, *_rest = self.catalogue()
        by_code = {i.code: i for i in indicators}
        checked = {code: self._checked(by_code[code], v) for code, v in values.items()}
        with self.db.write() as session:
            if self._locked(session, year, month):
                raise UserFacingError(
                    _("Month {month}/{year} is locked.").format(month=month, year=year)
                )
            for code, number in checked.items():
                self._store(session, code, year, month, number, None)

    # --- locking -----------------------------------------------------------------------------

    def _locked(self, session: Session, year: int, month: int) -> bool:
        return bool(
            session.execute(
                select(PeriodLock.locked).where(
                    PeriodLock.owner_unit_id == self.unit_id,
                    PeriodLock.year == year,
                    PeriodLock.month == month,
                )
            ).scalar_one_or_none()
        )

    def is_locked(self, year: int, month: int) -> bool:
        with self.db.read() as session:
            return self._locked(session, year, month)

    def lock(self, year: int, month: int) -> None:
        """Complete and lock a month; refused while it breaks a validation rule."""
        self.require(Permission.LOCK_PERIOD)
        violations = self.grid(year, Span.MONTH, month).violations
        if violations:
            raise UserFacingError(
                _("The month cannot be locked while figures contradict each other:")
                + "\n"
                + "\n".join(violations)
            )
        self._set_lock(year, month, True, "")

    def unlock(self, year: int, month: int, reason: str) -> None:
        self.require(Permission.LOCK_PERIOD)
        if len(clean(reason)) < 5:
            raise ValidationError(
                {
                    "reason": _(
                        "Write why the month is unlocked (at least a few words); it is recorded."
                    )
                }
            )
        self._set_lock(year, month, False, clean(reason))

    def _set_lock(self, year: int, month: int, locked: bool, reason: str) -> None:
        now = self.clock()
        with self.db.write() as session:
            row = session.execute(
                select(PeriodLock).where(
                    PeriodLock.owner_unit_id == self.unit_id,
                    PeriodLock.year == year,
                    PeriodLock.month == month,
                )
            ).scalar_one_or_none()
            if row is None:
                row = PeriodLock(
                    uuid=str(uuid.uuid4()),
                    owner_unit_id=self.unit_id,
                    year=year,
                    month=month,
                    locked=False,
                    created_at=now,
                    updated_at=now,
                    created_by=self.author,
                    updated_by=self.author,
                )
                session.add(row)
            if row.locked == locked:
                return
            row.locked, row.reason = locked, reason or None
            row.updated_at, row.updated_by = now, self.author
            session.add(
                PeriodLockEvent(
                    owner_unit_id=self.unit_id,
                    year=year,
                    month=month,
                    action="lock" if locked else "unlock",
                    reason=reason or None,
                    at=now,
                    by=self.author,
                )
            )

    def lock_history(self, year: int, month: int) -> list[LockEvent]:
        with self.db.read() as session:
            rows = session.execute(
                select(PeriodLockEvent)
                .where(
                    PeriodLockEvent.owner_unit_id == self.unit_id,
                    PeriodLockEvent.year == year,
                    PeriodLockEvent.month == month,
                )
                .order_by(PeriodLockEvent.id)
            ).scalars()
            return [LockEvent(r.action, r.reason or "", r.at, r.by) for r in rows]
