"""The chief's approval of a month's indicators, an assessment or a report's figures.

An approval records the SHA-256 of exactly what was approved, and is signed with the station's
key (app.sync.approvals), so it cannot be made by someone who only has the database. Whether it
still holds is worked out each time from the data: anything changed afterwards shows as
"changed since approval" until the chief approves again. Approvals travel in sync bundles, and
the province checks them against the ward's data it holds and the ward's enrolled key.

What a hash covers is in ``app.core.services.approval_content``: every figure shown for the period
(typed, computed from records, ratios), a report's printed narrative, and an assessment's
findings and outcomes evaluated through the month the chief saw. Limits, honestly: the
province never receives a report's narrative, so it checks a report's figures only; it checks
figures with the criteria pack version the ward used, and says so when it does not hold it;
approvals made before (scheme 1) cover the typed values (an assessment's, the findings) only
until the chief approves again.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.domain.access import Permission, role_label
from app.core.domain.errors import NotFound, UserFacingError
from app.core.domain.packs.model import Pack
from app.core.domain.periods import Span, span_label, span_months
from app.core.services import approval_content as content
from app.core.services import packs
from app.core.services.assessments import as_of_month
from app.core.services.station_service import StationService
from app.db.approval_models import Approval
from app.db.engine import Database
from app.db.models import Unit
from app.db.pack_models import Assessment, AssessmentItem, IndicatorValue
from app.i18n import N_, _
from app.sync import approvals as signatures
from app.sync import keys as station_keys

MONTH = "indicators-month"
ASSESSMENT = "assessment"
REPORT = "report"
SUBJECTS = {
    MONTH: N_("Indicators of {key}"),
    ASSESSMENT: N_("Self-assessment {key}"),
    REPORT: N_("Report figures {key}"),
}

NONE, APPROVED, CHANGED, INVALID = "none", "approved", "changed", "invalid"
# at the province: the ward's figures were computed with a criteria pack version not held here
UNCHECKED = "unchecked"


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def report_key(span: Span, year: int, index: int) -> str:
    return f"{span.value}:{year:04d}:{index}"


@dataclass(frozen=True)
class ApprovalState:
    subject: str
    key: str
    state: str  # none | approved | changed | invalid | unchecked
    approver: str = ""
    approver_role: str = ""
    approved_at: datetime | None = None
    # an assessment's: the month of its year it was evaluated through when approved
    through_month: int | None = None

    @property
    def label(self) -> str:
        if self.state == NONE:
            return _("Not approved")
        when = "" if self.approved_at is None else f"{self.approved_at.astimezone():%d/%m/%Y}"
        if self.state == APPROVED and self.through_month is not None:
            return _("Approved by {name} on {date}, as evaluated through month {month}").format(
                name=self.approver, date=when, month=self.through_month
            )
        if self.state == APPROVED:
            return _("Approved by {name} on {date}").format(name=self.approver, date=when)
        if self.state == CHANGED:
            return _("Changed since approval ({name}, {date}): approve again").format(
                name=self.approver, date=when
            )
        if self.state == UNCHECKED:
            return _(
                "Approved by {name} on {date}; the figures cannot be checked here: the "
                "criteria pack version they were computed with is not installed"
            ).format(name=self.approver, date=when)
        return _("The approval's signature does not match: it was altered")


# --- what exactly is approved ----------------------------------------------------------------


def _digest(document: Any) -> str:
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _month_content(session: Session, unit_id: int, year: int, month: int) -> list[Any]:
    rows = session.execute(
        select(IndicatorValue.indicator_code, IndicatorValue.value, IndicatorValue.comment)
        .where(
            IndicatorValue.owner_unit_id == unit_id,
            IndicatorValue.year == year,
            IndicatorValue.month == month,
            IndicatorValue.deleted_at.is_(None),
        )
        .order_by(IndicatorValue.indicator_code)
    )
    return [[code, value, comment or ""] for code, value, comment in rows if value is not None]


def _assessment_hash(session: Session, unit_id: int, key: str) -> str:
    assessment = session.execute(
        select(Assessment).where(Assessment.uuid == key, Assessment.owner_unit_id == unit_id)
    ).scalar_one_or_none()
    if assessment is None:
        raise NotFound(_("The assessment no longer exists."))
    items = session.execute(
        select(
            AssessmentItem.criterion_code,
            AssessmentItem.status,
            AssessmentItem.points,
            AssessmentItem.evidence,
            AssessmentItem.links,
        )
        .where(
            AssessmentItem.assessment_id == assessment.id,
            AssessmentItem.deleted_at.is_(None),
        )
        .order_by(AssessmentItem.criterion_code)
    )
    head = [assessment.pack_id, assessment.pack_version, assessment.year]
    return _digest([ASSESSMENT, key, head, [list(item) for item in items]])


def legacy_hash(session: Session, unit_id: int, subject: str, key: str) -> str:
    """Scheme 1, what approvals made before scheme 2 hold: the typed values only."""
    if subject == MONTH:
        year, month = (int(part) for part in key.split("-"))
        return _digest([MONTH, key, _month_content(session, unit_id, year, month)])
    if subject == REPORT:
        span_text, year_text, index_text = key.split(":")
        months = span_months(Span(span_text), int(index_text))
        content = [[m, _month_content(session, unit_id, int(year_text), m)] for m in months]
        return _digest([REPORT, key, content])
    if subject == ASSESSMENT:
        return _assessment_hash(session, unit_id, key)
    raise UserFacingError(_("Unknown kind of approval {subject}.").format(subject=subject))


def _report_period(key: str) -> tuple[Span, int, int]:
    span_text, year_text, index_text = key.split(":")
    return Span(span_text), int(year_text), int(index_text)


def content_hash(
    session: Session,
    unit_id: int,
    subject: str,
    key: str,
    defs: content.Definitions | None = None,
    narrative: Mapping[str, str] | None = None,
    today: date | None = None,
) -> str:
    """The hash an approval of the subject's current content gets (``defs``: the indicator
    definitions the station computes with; ``narrative``: a report's narrative as printed;
    ``today``: the date an assessment is evaluated on, as its screen shows it)."""
    if defs is None:
        return legacy_hash(session, unit_id, subject, key)
    if subject == ASSESSMENT:
        row, pack = _assessment(session, unit_id, key)
        if pack is None:
            raise NotFound(_("The assessment's criteria pack version is not installed."))
        as_of = as_of_month(today or date.today(), row.year, pack.month_start_day)
        return content.assessment_hash(session, unit_id, defs, row, pack, as_of)
    if subject == MONTH:
        year, month = (int(part) for part in key.split("-"))
        return content.month_hash(session, unit_id, defs, year, month)
    if subject == REPORT:
        figures = content.report_figures(session, unit_id, defs, *_report_period(key))
        return content.report_hash(defs, figures, content.narrative_hash(narrative or {}))
    raise UserFacingError(_("Unknown kind of approval {subject}.").format(subject=subject))


@dataclass(frozen=True)
class ContentCheck:
    """How an approval's content is held against the data.

    ``candidates``: the indicator definitions to recompute figures with (None: every installed
    version, tried in turn, as the province does). ``narrative``: a report's narrative as shown
    or printed; without it only a report's figures are checked. ``strict``: a station whose
    definitions differ from the approval's shows the figures as changed (they are computed
    differently now); the province, which may just lack the ward's pack version, says it
    cannot check them."""

    candidates: Sequence[content.Definitions] | None = None
    narrative: Mapping[str, str] | None = None
    strict: bool = False


def _assessment(session: Session, unit_id: int, key: str) -> tuple[Assessment, Pack | None]:
    """The assessment filed under ``key`` and its criteria pack version (None: not installed
    here)."""
    row = session.execute(
        select(Assessment).where(
            Assessment.uuid == key,
            Assessment.owner_unit_id == unit_id,
            Assessment.deleted_at.is_(None),
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(_("The assessment no longer exists."))
    versions = packs.installed_versions_of(session).get(row.pack_id, {})
    return row, versions.get(row.pack_version)


def _compare_assessment(
    session: Session,
    unit_id: int,
    row: Approval,
    options: Sequence[content.Definitions],
    strict: bool,
) -> str:
    """A scheme-2 assessment approval: its outcomes recomputed through the month it was
    approved at, with the indicator definitions and the pack version it was made with."""
    stored = content.parse_assessment(row.content_hash)
    if stored is None:
        return CHANGED
    defs = next((d for d in options if d.fingerprint == stored.definitions), None)
    assessment, pack = _assessment(session, unit_id, row.subject_ref)
    if defs is None or pack is None:
        return CHANGED if strict else UNCHECKED
    current = content.assessment_hash(session, unit_id, defs, assessment, pack, stored.as_of)
    return APPROVED if current == row.content_hash else CHANGED


def _compare(session: Session, unit_id: int, row: Approval, check: ContentCheck) -> str:
    stored = content.parse(row.content_hash)
    try:
        if stored is None:
            current = legacy_hash(session, unit_id, row.subject, row.subject_ref)
            return APPROVED if current == row.content_hash else CHANGED
        if check.candidates is not None:
            options = list(check.candidates)
        else:
            options = content.candidates(packs.installed_versions_of(session))
        if row.subject == ASSESSMENT:
            return _compare_assessment(session, unit_id, row, options, check.strict)
        defs = next((d for d in options if d.fingerprint == stored.definitions), None)
        if defs is None:
            return CHANGED if check.strict else UNCHECKED
        if row.subject == MONTH:
            current = content_hash(session, unit_id, MONTH, row.subject_ref, defs)
            return APPROVED if current == row.content_hash else CHANGED
        figures = content.report_figures(session, unit_id, defs, *_report_period(row.subject_ref))
        same = figures == stored.figures
        if check.narrative is not None:
            same = same and content.narrative_hash(check.narrative) == stored.narrative
        return APPROVED if same else CHANGED
    except NotFound:
        return CHANGED


def _signed_fields(unit_code: str, row: Approval) -> dict[str, Any]:
    return {
        "unit": unit_code,
        "subject": row.subject,
        "subject_ref": row.subject_ref,
        "content_hash": row.content_hash,
        "approver": row.approver,
        "approver_role": row.approver_role,
        "approved_at": row.approved_at.replace(tzinfo=UTC).isoformat()
        if row.approved_at.tzinfo is None
        else row.approved_at.astimezone(UTC).isoformat(),
    }


def _state_of(
    session: Session,
    unit_id: int,
    row: Approval,
    trusted_keys: Sequence[str],
    check: ContentCheck,
) -> ApprovalState:
    unit = session.get(Unit, unit_id)
    assert unit is not None
    at = row.approved_at if row.approved_at.tzinfo else row.approved_at.replace(tzinfo=UTC)
    signed = row.signer_key in trusted_keys and signatures.verify(
        _signed_fields(unit.code, row), row.signer_key, row.signature
    )
    state = _compare(session, unit_id, row, check) if signed else INVALID
    parts = content.parse_assessment(row.content_hash) if row.subject == ASSESSMENT else None
    through = None if parts is None else parts.as_of
    return ApprovalState(
        row.subject, row.subject_ref, state, row.approver, row.approver_role, at, through
    )


def approval_states(
    session: Session,
    unit_id: int,
    trusted_keys: Sequence[str],
    subject: str | None = None,
    check: ContentCheck | None = None,
) -> list[ApprovalState]:
    """Every approval of ``unit_id`` (of one ``subject`` if given), checked: signed by one of
    ``trusted_keys`` and still matching the data (``check``: how; by default as the province
    checks a ward's approvals)."""
    query = select(Approval).where(Approval.owner_unit_id == unit_id, Approval.deleted_at.is_(None))
    if subject is not None:
        query = query.where(Approval.subject == subject)
    rows = session.execute(query.order_by(Approval.subject, Approval.subject_ref)).scalars()
    return [_state_of(session, unit_id, row, trusted_keys, check or ContentCheck()) for row in rows]


class ApprovalService(StationService):
    """Approving at the ward: the chief, with the station's key unlocked."""

    def _own_keys(self) -> list[str]:
        folder = station_keys.keys_folder(self.db.path)
        if not station_keys.has_keys(folder):
            return []
        return [station_keys.load_public(folder).signing]

    def _definitions(self) -> content.Definitions:
        return content.definitions_of(packs.active_packs(self.db))

    def _check(self, narrative: Mapping[str, str] | None = None) -> ContentCheck:
        return ContentCheck([self._definitions()], narrative, strict=True)

    def printed_narrative(self, key: str, narrative: Mapping[str, str] | None) -> dict[str, str]:
        """A report's narrative as it prints: the sections pre-filled from the figures, with
        the officer's edits (``narrative``) over them."""
        from app.core.services.indicators import IndicatorService
        from app.core.services.report_narrative import printed_narrative

        span, year, index = _report_period(key)
        indicators = IndicatorService(self.db, actor=self.actor, clock=self.clock, today=self.today)
        return printed_narrative(indicators, span, year, index, narrative)

    def approve(
        self,
        subject: str,
        key: str,
        keys: station_keys.StationKeys,
        narrative: Mapping[str, str] | None = None,
    ) -> ApprovalState:
        """Sign the subject's current content as approved by the logged-in chief; a report's
        approval covers its ``narrative`` as printed too (the pre-filled one if None)."""
        self.require(Permission.APPROVE)
        own = self._own_keys()
        public = keys.public.signing
        if public not in own:
            raise UserFacingError(_("These keys are not this station's keys."))
        now = self.clock().astimezone(UTC).replace(microsecond=0)
        defs = self._definitions()
        text = self.printed_narrative(key, narrative) if subject == REPORT else None
        with self.db.write() as session:
            digest = content_hash(session, self.unit_id, subject, key, defs, text, self.today())
            unit = session.get(Unit, self.unit_id)
            assert unit is not None
            row = session.execute(
                select(Approval).where(
                    Approval.owner_unit_id == self.unit_id,
                    Approval.subject == subject,
                    Approval.subject_ref == key,
                )
            ).scalar_one_or_none()
            if row is None:
                row = Approval(
                    uuid=str(uuid.uuid4()),
                    owner_unit_id=self.unit_id,
                    subject=subject,
                    subject_ref=key,
                    created_at=now,
                    created_by=self.author,
                )
                session.add(row)
            row.content_hash = digest
            row.approver = self.actor.display_name
            row.approver_role = self.actor.role.value
            row.approved_at = now
            row.updated_at, row.updated_by, row.deleted_at = now, self.author, None
            row.signer_key, row.signature = signatures.sign(
                _signed_fields(unit.code, row), keys.signing
            )
            session.flush()
            return _state_of(session, self.unit_id, row, own, ContentCheck([defs], text, True))

    def state(
        self, subject: str, key: str, narrative: Mapping[str, str] | None = None
    ) -> ApprovalState:
        """The approval of ``subject``/``key`` held against the data; for a report, pass the
        narrative as shown or printed to check it too (None: the figures only)."""
        check = self._check(
            self.printed_narrative(key, narrative)
            if subject == REPORT and narrative is not None
            else None
        )
        with self.db.read() as session:
            row = session.execute(
                select(Approval).where(
                    Approval.owner_unit_id == self.unit_id,
                    Approval.subject == subject,
                    Approval.subject_ref == key,
                    Approval.deleted_at.is_(None),
                )
            ).scalar_one_or_none()
            if row is None:
                return ApprovalState(subject, key, NONE)
            return _state_of(session, self.unit_id, row, self._own_keys(), check)

    def states(self, subject: str | None = None) -> list[ApprovalState]:
        check = self._check()
        with self.db.read() as session:
            return approval_states(session, self.unit_id, self._own_keys(), subject, check)


def subject_text(state: ApprovalState) -> str:
    """What was approved, for a table: "Indicators of 2026-10", …"""
    key = state.key
    if state.subject == MONTH:
        year, month = key.split("-")
        key = f"{int(month)}/{year}"
    elif state.subject == REPORT:
        span, year, index = key.split(":")
        key = span_label(Span(span), int(year), int(index))
    return _(SUBJECTS.get(state.subject, "{key}")).format(key=key)


def approver_text(state: ApprovalState) -> str:
    """ "Name (role)" of who approved, for reports and screens."""
    from app.core.domain.access import Role

    try:
        role = role_label(Role(state.approver_role))
    except ValueError:
        role = state.approver_role
    return f"{state.approver} ({role})"


def assessment_ref(db: Database, assessment_id: int) -> str:
    """The key an assessment's approval is filed under: its uuid, the same at the province."""
    with db.read() as session:
        row = session.get(Assessment, assessment_id)
        if row is None:
            raise NotFound(_("The assessment no longer exists."))
        return row.uuid
