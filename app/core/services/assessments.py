"""Self-assessment against a criteria pack: each criterion's status, points, evidence and
linked records, automatic evaluation where the pack gives a rule, and the "đạt N/M tiêu chí"
dashboard with its trend through the year. An assessment stays on the pack version it was
started with; moving it to a newer version is an explicit migration."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.domain.access import Permission
from app.core.domain.assessment_views import (
    STATUSES,
    AssessmentView,
    CriterionView,
    GroupSummary,
    RecordLink,
)
from app.core.domain.errors import NotFound, UserFacingError, ValidationError
from app.core.domain.indicators import IndicatorData
from app.core.domain.packs.diff import PackDiff, diff_packs
from app.core.domain.packs.evaluate import EvaluationContext, RecordCounter, evaluate_rule
from app.core.domain.packs.model import Criterion, Pack, Scoring
from app.core.domain.periods import month_of
from app.core.domain.text import clean
from app.core.services import packs
from app.core.services.indicators import IndicatorService
from app.core.services.station_service import StationService
from app.db.engine import Database
from app.db.models import RECORD_MODELS
from app.db.pack_models import Assessment, AssessmentEvent, AssessmentItem
from app.i18n import _


class AssessmentService(StationService):
    def __init__(self, db: Database, **options: Any) -> None:
        super().__init__(db, **options)
        self.indicators = IndicatorService(
            db, author=self.author, actor=self.actor, clock=self.clock, today=self.today
        )

    # --- opening -----------------------------------------------------------------------------

    def assessable_packs(self) -> list[Pack]:
        return [pack for pack in packs.active_packs(self.db) if pack.groups]

    def open(self, pack_id: str, year: int) -> AssessmentView:
        """The unit's assessment for ``pack_id`` and ``year``, started on the newest installed
        version if there is none yet."""
        newest = packs.load_installed(self.db, pack_id)
        now = self.clock()
        with self.db.write() as session:
            row = session.execute(
                select(Assessment).where(
                    Assessment.owner_unit_id == self.unit_id,
                    Assessment.pack_id == pack_id,
                    Assessment.year == year,
                )
            ).scalar_one_or_none()
            if row is None:
                self.require(Permission.EDIT_ASSESSMENT)  # starting one is an edit
                row = Assessment(
                    uuid=str(uuid.uuid4()),
                    owner_unit_id=self.unit_id,
                    pack_id=pack_id,
                    pack_version=newest.version,
                    year=year,
                    created_at=now,
                    updated_at=now,
                    created_by=self.author,
                    updated_by=self.author,
                )
                session.add(row)
                session.flush()
                session.add(
                    AssessmentEvent(
                        assessment_id=row.id,
                        action="created",
                        from_version=None,
                        to_version=newest.version,
                        at=now,
                        by=self.author,
                    )
                )
            assessment_id = row.id
        return self.view(assessment_id)

    def _row(self, session: Session, assessment_id: int) -> Assessment:
        row = session.get(Assessment, assessment_id)
        if row is None or row.owner_unit_id != self.unit_id:
            raise NotFound(_("The assessment no longer exists."))
        return row

    # --- evaluation --------------------------------------------------------------------------

    def _as_of(self, year: int, pack: Pack) -> int:
        return as_of_month(self.today(), year, pack.month_start_day)

    def view(self, assessment_id: int) -> AssessmentView:
        with self.db.read() as session:
            row = self._row(session, assessment_id)
            pack = packs.load_installed(self.db, row.pack_id, row.pack_version)
            newest = packs.load_installed(self.db, row.pack_id).version
            items = findings_of(session, row.id)
            year = row.year
            labels = self._link_labels(session, items.values())
            data = load_data(session, self.unit_id, self.indicators, year)
            as_of = self._as_of(year, pack)
            views, trend = evaluate_criteria(
                pack, items, data, year, as_of, record_counter(session, self.unit_id), labels
            )
        return AssessmentView(
            assessment_id, pack, year, as_of, views, _groups(pack, views), trend, newest
        )

    def _link_labels(self, session: Session, items: Iterable[_Finding]) -> dict[str, str]:
        wanted: dict[str, list[str]] = {}
        for item in items:
            for kind, record_uuid in item.links:
                wanted.setdefault(kind, []).append(record_uuid)
        labels: dict[str, str] = {}
        from app.core.domain.formatting import format_value
        from app.core.domain.records import kind_by_code

        for kind_code, uuids in wanted.items():
            record_kind = kind_by_code(kind_code)
            model = RECORD_MODELS[kind_code]
            first, second = record_kind.fields[0], record_kind.fields[1]
            rows = session.execute(
                select(model).where(
                    model.owner_unit_id == self.unit_id,  # a uuid is unique per unit only
                    model.uuid.in_(uuids),
                    model.deleted_at.is_(None),
                )
            ).scalars()
            for record in rows:
                labels[record.uuid] = " – ".join(
                    text
                    for text in (
                        format_value(first, getattr(record, first.name)),
                        format_value(second, getattr(record, second.name)),
                    )
                    if text
                )
        return labels

    # --- the officer's findings --------------------------------------------------------------

    def set_item(
        self,
        assessment_id: int,
        code: str,
        *,
        status: str | None,
        points: float | None = None,
        evidence: str = "",
        links: Sequence[tuple[str, str]] = (),
    ) -> None:
        """Record the finding for criterion ``code``: ``status`` None means "as evaluated"."""
        self.require(Permission.EDIT_ASSESSMENT)
        now = self.clock()
        with self.db.write() as session:
            row = self._row(session, assessment_id)
            pack = packs.load_installed(self.db, row.pack_id, row.pack_version)
            criterion = next((c for c in pack.criteria if c.code == code), None)
            if criterion is None:
                raise NotFound(_("Criterion {code} is not in this pack version.").format(code=code))
            self._check(criterion, status, points)
            item = session.execute(
                select(AssessmentItem).where(
                    AssessmentItem.assessment_id == row.id, AssessmentItem.criterion_code == code
                )
            ).scalar_one_or_none()
            if item is None:
                item = AssessmentItem(
                    uuid=str(uuid.uuid4()),
                    owner_unit_id=self.unit_id,
                    assessment_id=row.id,
                    criterion_code=code,
                    created_at=now,
                    created_by=self.author,
                    updated_at=now,
                    updated_by=self.author,
                )
                session.add(item)
            item.status = status or "auto"
            item.points = points
            item.evidence = clean(evidence) or None if evidence else None
            item.links = json.dumps([{"kind": k, "uuid": u} for k, u in links])
            item.deleted_at = None
            item.updated_at, item.updated_by = now, self.author

    @staticmethod
    def _check(criterion: Criterion, status: str | None, points: float | None) -> None:
        if status is not None and status not in STATUSES:
            raise ValidationError({"status": _("Unknown status {status}.").format(status=status)})
        if points is not None:
            if criterion.scoring is not Scoring.POINTS:
                raise ValidationError({"points": _("This criterion is not scored in points.")})
            if not 0 <= points <= criterion.max_points:
                raise ValidationError(
                    {
                        "points": _("Points must be between 0 and {maximum}.").format(
                            maximum=criterion.max_points
                        )
                    }
                )

    # --- pinning and migration ---------------------------------------------------------------

    def migration_preview(self, assessment_id: int) -> tuple[int, int, PackDiff]:
        with self.db.read() as session:
            row = self._row(session, assessment_id)
            pack_id, version = row.pack_id, row.pack_version
        current = packs.load_installed(self.db, pack_id, version)
        newest = packs.load_installed(self.db, pack_id)
        return version, newest.version, diff_packs(current, newest)

    def migrate(self, assessment_id: int, to_version: int, note: str = "") -> PackDiff:
        """Move the assessment to ``to_version`` (newer only). Findings on criteria that still
        exist are kept; findings on removed criteria are set aside (soft-deleted)."""
        self.require(Permission.EDIT_ASSESSMENT)
        now = self.clock()
        with self.db.write() as session:
            row = self._row(session, assessment_id)
            if to_version <= row.pack_version:
                raise UserFacingError(_("An assessment only moves to a newer pack version."))
            current = packs.load_installed(self.db, row.pack_id, row.pack_version)
            target = packs.load_installed(self.db, row.pack_id, to_version)
            diff = diff_packs(current, target)
            removed = set(diff.criteria_removed)
            for item in session.execute(
                select(AssessmentItem).where(AssessmentItem.assessment_id == row.id)
            ).scalars():
                if item.criterion_code in removed and item.deleted_at is None:
                    item.deleted_at, item.updated_at, item.updated_by = now, now, self.author
            session.add(
                AssessmentEvent(
                    assessment_id=row.id,
                    action="migrated",
                    from_version=row.pack_version,
                    to_version=to_version,
                    note=clean(note),
                    at=now,
                    by=self.author,
                )
            )
            row.pack_version = to_version
            row.updated_at, row.updated_by = now, self.author
        return diff


@dataclass(frozen=True)
class _Finding:
    """An assessment item read out of its session."""

    status: str
    points: float | None
    evidence: str
    links: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, item: AssessmentItem) -> _Finding:
        links = tuple((link["kind"], link["uuid"]) for link in json.loads(item.links or "[]"))
        return cls(item.status, item.points, item.evidence or "", links)


def as_of_month(today: date, year: int, cutoff: int) -> int:
    """The last month an assessment of ``year`` is evaluated through on ``today``: 12 for a
    past year, the current reporting month this year, 0 for a year not begun."""
    current_year, current_month = month_of(today, cutoff)
    if year < current_year:
        return 12
    if year > current_year:
        return 0
    return current_month


def findings_of(session: Session, assessment_id: int) -> dict[str, _Finding]:
    """The officer's findings of an assessment, by criterion code."""
    return {
        item.criterion_code: _Finding.of(item)
        for item in session.execute(
            select(AssessmentItem).where(
                AssessmentItem.assessment_id == assessment_id, AssessmentItem.deleted_at.is_(None)
            )
        ).scalars()
    }


def record_counter(session: Session, unit_id: int) -> RecordCounter:
    """Counts the unit's records of a kind matching ``where`` (cached for one evaluation)."""
    cache: dict[str, int] = {}

    def count(kind: str, where: Mapping[str, Sequence[Any]]) -> int:
        key = json.dumps([kind, sorted(where.items())], default=str)
        if key not in cache:
            model = RECORD_MODELS[kind]
            statement = (
                select(func.count())
                .select_from(model)
                .where(model.owner_unit_id == unit_id, model.deleted_at.is_(None))
            )
            for name, allowed in where.items():
                statement = statement.where(getattr(model, name).in_(list(allowed)))
            cache[key] = int(session.execute(statement).scalar_one())
        return cache[key]

    return count


def evaluate_criteria(
    pack: Pack,
    findings: Mapping[str, _Finding],
    data: IndicatorData,
    year: int,
    as_of: int,
    count: RecordCounter,
    labels: Mapping[str, str] | None = None,
) -> tuple[tuple[CriterionView, ...], tuple[tuple[int, int], ...]]:
    """Each criterion of ``pack`` with the officer's finding and its automatic outcome over
    months 1–``as_of`` of ``year``, and the trend (criteria met through each month)."""
    months = tuple(range(1, as_of + 1))
    views = tuple(
        _criterion(c, findings.get(c.code), data, year, months, count, labels or {})
        for c in pack.criteria
    )
    trend = tuple((month, _met_at(views, data, year, month, count)) for month in months)
    return views, trend


def _criterion(
    criterion: Criterion,
    item: _Finding | None,
    data: IndicatorData,
    year: int,
    months: tuple[int, ...],
    count: RecordCounter,
    labels: Mapping[str, str],
) -> CriterionView:
    auto = None
    if criterion.rule is not None and months:
        auto = evaluate_rule(criterion.rule, EvaluationContext(data, year, months, count))
    links: tuple[RecordLink, ...] = ()
    if item is not None:
        links = tuple(
            RecordLink(kind, record_uuid, labels.get(record_uuid, _("(deleted record)")))
            for kind, record_uuid in item.links
        )
    return CriterionView(
        criterion,
        auto,
        item.status if item is not None and item.status in STATUSES else None,
        item.points if item is not None else None,
        item.evidence if item is not None else "",
        links,
    )


def _met_at(
    views: Sequence[CriterionView],
    data: IndicatorData,
    year: int,
    month: int,
    count: RecordCounter,
) -> int:
    met = 0
    context = EvaluationContext(data, year, tuple(range(1, month + 1)), count)
    for view in views:
        if view.manual_status:
            met += view.manual_status == "met"
        elif view.criterion.rule is not None:
            met += evaluate_rule(view.criterion.rule, context).met is True
    return met


def load_data(
    session: Session, unit_id: int, indicators: IndicatorService, year: int
) -> IndicatorData:
    from app.db.indicator_values import load_indicator_data

    catalogue, _groups_titles, _rules, cutoff = indicators.catalogue()
    return load_indicator_data(
        session, unit_id, catalogue, (year - 1, year), cutoff, indicators.today()
    )


def _groups(pack: Pack, views: Sequence[CriterionView]) -> tuple[GroupSummary, ...]:
    by_code = {view.criterion.code: view for view in views}
    summaries = []
    for group in pack.groups:
        members = [by_code[c.code] for c in group.criteria]
        counted = [m for m in members if m.status != "not_applicable"]
        summaries.append(
            GroupSummary(
                group.code, group.title, sum(1 for m in counted if m.status == "met"), len(counted)
            )
        )
    return tuple(summaries)
