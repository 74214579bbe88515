"""The chief's approval of a month's indicators, an assessment or a report's figures.

An approval records the SHA-256 of exactly what was approved, and is signed with the station's
key (app.sync.approvals), so it cannot be made by someone who only has the database. Whether it
still holds is worked out each time from the data: anything changed afterwards shows as
"changed since approval" until the chief approves again. Approvals travel in sync bundles, and
the province checks them against the ward's data it holds and the ward's enrolled key.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.errors import NotFound, UserFacingError
from app.core.periods import Span, span_label, span_months
from app.core.station_service import StationService
from app.db.approval_models import Approval
from app.db.engine import Database
from app.db.models import Unit
from app.db.pack_models import Assessment, AssessmentItem, IndicatorValue
from app.i18n import N_, _
from app.security.accounts import Permission, role_label
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


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def report_key(span: Span, year: int, index: int) -> str:
    return f"{span.value}:{year:04d}:{index}"


@dataclass(frozen=True)
class ApprovalState:
    subject: str
    key: str
    state: str  # none | approved | changed | invalid
    approver: str = ""
    approver_role: str = ""
    approved_at: datetime | None = None

    @property
    def label(self) -> str:
        if self.state == NONE:
            return _("Not approved")
        when = "" if self.approved_at is None else f"{self.approved_at.astimezone():%d/%m/%Y}"
        if self.state == APPROVED:
            return _("Approved by {name} on {date}").format(name=self.approver, date=when)
        if self.state == CHANGED:
            return _("Changed since approval ({name}, {date}): approve again").format(
                name=self.approver, date=when
            )
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


def content_hash(session: Session, unit_id: int, subject: str, key: str) -> str:
    """The hash of the subject's current content for ``unit_id`` (at the ward or the province)."""
    if subject == MONTH:
        year, month = (int(part) for part in key.split("-"))
        return _digest([MONTH, key, _month_content(session, unit_id, year, month)])
    if subject == REPORT:
        span_text, year_text, index_text = key.split(":")
        months = span_months(Span(span_text), int(index_text))
        content = [[m, _month_content(session, unit_id, int(year_text), m)] for m in months]
        return _digest([REPORT, key, content])
    if subject == ASSESSMENT:
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
    raise UserFacingError(_("Unknown kind of approval {subject}.").format(subject=subject))


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
    session: Session, unit_id: int, row: Approval, trusted_keys: Sequence[str]
) -> ApprovalState:
    unit = session.get(Unit, unit_id)
    assert unit is not None
    at = row.approved_at if row.approved_at.tzinfo else row.approved_at.replace(tzinfo=UTC)
    signed = row.signer_key in trusted_keys and signatures.verify(
        _signed_fields(unit.code, row), row.signer_key, row.signature
    )
    if not signed:
        state = INVALID
    else:
        try:
            current = content_hash(session, unit_id, row.subject, row.subject_ref)
        except NotFound:
            current = ""
        state = APPROVED if current == row.content_hash else CHANGED
    return ApprovalState(row.subject, row.subject_ref, state, row.approver, row.approver_role, at)


def approval_states(
    session: Session, unit_id: int, trusted_keys: Sequence[str], subject: str | None = None
) -> list[ApprovalState]:
    """Every approval of ``unit_id`` (of one ``subject`` if given), checked: signed by one of
    ``trusted_keys`` and still matching the data."""
    query = select(Approval).where(Approval.owner_unit_id == unit_id, Approval.deleted_at.is_(None))
    if subject is not None:
        query = query.where(Approval.subject == subject)
    rows = session.execute(query.order_by(Approval.subject, Approval.subject_ref)).scalars()
    return [_state_of(session, unit_id, row, trusted_keys) for row in rows]


class ApprovalService(StationService):
    """Approving at the ward: the chief, with the station's key unlocked."""

    def _own_keys(self) -> list[str]:
        folder = station_keys.keys_folder(self.db.path)
        if not station_keys.has_keys(folder):
            return []
        return [station_keys.load_public(folder).signing]

    def approve(self, subject: str, key: str, keys: station_keys.StationKeys) -> ApprovalState:
        """Sign the subject's current content as approved by the logged-in chief."""
        self.require(Permission.APPROVE)
        own = self._own_keys()
        public = keys.public.signing
        if public not in own:
            raise UserFacingError(_("These keys are not this station's keys."))
        now = self.clock().astimezone(UTC).replace(microsecond=0)
        with self.db.write() as session:
            digest = content_hash(session, self.unit_id, subject, key)
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
            return _state_of(session, self.unit_id, row, own)

    def state(self, subject: str, key: str) -> ApprovalState:
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
            return _state_of(session, self.unit_id, row, self._own_keys())

    def states(self, subject: str | None = None) -> list[ApprovalState]:
        with self.db.read() as session:
            return approval_states(session, self.unit_id, self._own_keys(), subject)


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
    from app.security.accounts import Role

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
