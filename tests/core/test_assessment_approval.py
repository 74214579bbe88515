"""Issue 13 item 12 for self-assessments: the chief's approval covers what the assessment
shows — every criterion's outcome, automatic or the officer's, and "met N of M" — evaluated
through the month the chief saw, so a figure that flips an automatic outcome shows as a change
(at the ward and at the province), while the calendar moving on does not."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from app.core.domain.access import Actor, Role
from app.core.domain.assessment_views import AssessmentView, CriterionView
from app.core.services import approvals
from app.core.services.approvals import ApprovalService
from app.core.services.assessments import AssessmentService
from app.core.services.indicators import IndicatorService
from app.core.services.profile import load
from app.core.services.sync.province.imports import ward_approvals
from app.db.approval_models import Approval
from app.db.pack_models import Assessment, InstalledPack
from app.sync import approvals as signatures
from tests.sync.bundle_pairs import Pair

CHIEF = Actor("thang", "Phạm Văn Thắng", Role.CHIEF)
OFFICER = Actor("nvan", "Nguyễn Văn An", Role.OFFICER)
TODAY = date(2026, 11, 23)  # the pair's day: reporting month 12 of 2026
# TC05 is met automatically when no officer was disciplined (I02 = 0) over the year
AUTOMATIC, INDICATOR = "TC05", "I02"


def _on(pair: Pair, service: type, actor: Actor, today: date = TODAY) -> Any:
    return service(pair.ward_db, actor=actor, clock=pair.clock, today=lambda: today)


def _assessment(pair: Pair, today: date = TODAY) -> tuple[AssessmentView, str]:
    assessments = _on(pair, AssessmentService, OFFICER, today)
    view = assessments.open(assessments.assessable_packs()[0].pack_id, 2026)
    return view, approvals.assessment_ref(pair.ward_db, view.id)


def _criterion(view: AssessmentView, code: str) -> CriterionView:
    return next(c for c in view.criteria if c.criterion.code == code)


def _chief_sets(pair: Pair, month: int, value: float, today: date = TODAY) -> None:
    """The chief corrects a figure, unlocking the month first if it is locked."""
    indicators = _on(pair, IndicatorService, CHIEF, today)
    if indicators.is_locked(2026, month):
        indicators.unlock(2026, month, "Sửa số liệu sau khi phê duyệt")
    indicators.set_value(2026, month, INDICATOR, value)


def _at_province(pair: Pair) -> dict[str, str]:
    pair.clock.advance(minutes=5)
    pair.import_(pair.export())
    station_id = load(pair.ward_db).unit.code
    return {s.key: s.state for s in ward_approvals(pair.province_db, station_id)}


def test_an_automatic_outcome_that_flips_after_approval_shows_as_a_change(pair: Pair) -> None:
    view, key = _assessment(pair)
    automatic = _criterion(view, AUTOMATIC)
    assert automatic.manual_status is None and automatic.auto is not None
    assert automatic.status == "met"
    met = view.met
    chief = _on(pair, ApprovalService, CHIEF)
    assert chief.approve(approvals.ASSESSMENT, key, pair.ward_keys).state == approvals.APPROVED
    assert _at_province(pair) == {key: approvals.APPROVED}

    # a disciplined officer in June: the automatic outcome flips, the officer's findings do not
    pair.clock.advance(minutes=5)
    _chief_sets(pair, 6, 1)
    after, _key = _assessment(pair)
    assert _criterion(after, AUTOMATIC).status == "not_met"
    assert after.met == met - 1
    changed = chief.state(approvals.ASSESSMENT, key)
    assert changed.state == approvals.CHANGED
    assert changed.label.startswith("Đã thay đổi sau khi phê duyệt")
    assert _at_province(pair) == {key: approvals.CHANGED}

    pair.clock.advance(minutes=5)
    assert chief.approve(approvals.ASSESSMENT, key, pair.ward_keys).state == approvals.APPROVED
    assert chief.state(approvals.ASSESSMENT, key).state == approvals.APPROVED
    assert _at_province(pair) == {key: approvals.APPROVED}

    # corrected back: met again, which is not what the chief approved last
    pair.clock.advance(minutes=5)
    _chief_sets(pair, 6, 0)
    assert chief.state(approvals.ASSESSMENT, key).state == approvals.CHANGED
    assert _at_province(pair) == {key: approvals.CHANGED}


def test_an_approval_holds_when_the_calendar_moves_on(pair: Pair) -> None:
    """Approved on 20/03 (evaluated through month 4); a month later the screen evaluates
    through month 5, yet nothing the chief approved changed."""
    march, april = date(2026, 3, 20), date(2026, 4, 20)
    view, key = _assessment(pair, march)
    assert view.as_of_month == 4
    _on(pair, ApprovalService, CHIEF, march).approve(approvals.ASSESSMENT, key, pair.ward_keys)
    pair.clock.advance(days=31)
    later, _key = _assessment(pair, april)
    assert later.as_of_month == 5 and later.trend != view.trend
    for today in (april, date(2027, 2, 1)):
        state = _on(pair, ApprovalService, CHIEF, today).state(approvals.ASSESSMENT, key)
        assert state.state == approvals.APPROVED
        assert state.label.endswith("đánh giá đến tháng 4")  # what the approval covers
    assert _at_province(pair) == {key: approvals.APPROVED}

    # a figure of the months it was approved through is still covered
    _chief_sets(pair, 2, 1, april)
    chief = _on(pair, ApprovalService, CHIEF, april)
    assert chief.state(approvals.ASSESSMENT, key).state == approvals.CHANGED
    assert _at_province(pair) == {key: approvals.CHANGED}


def test_assessment_approvals_made_before_still_verify_as_they_were_made(pair: Pair) -> None:
    """A scheme-1 assessment approval (the officer's findings only) keeps verifying."""
    view, key = _assessment(pair)
    chief = _on(pair, ApprovalService, CHIEF)
    chief.approve(approvals.ASSESSMENT, key, pair.ward_keys)
    with pair.ward_db.write() as session:
        row = session.execute(select(Approval)).scalar_one()
        row.content_hash = approvals.legacy_hash(
            session, row.owner_unit_id, approvals.ASSESSMENT, key
        )
        row.signer_key, row.signature = signatures.sign(
            approvals._signed_fields(load(pair.ward_db).unit.code, row), pair.ward_keys.signing
        )
    assert chief.state(approvals.ASSESSMENT, key).state == approvals.APPROVED
    assert _at_province(pair) == {key: approvals.APPROVED}
    officer = _on(pair, AssessmentService, OFFICER)
    officer.set_item(view.id, "TC10", status="met", evidence="Biên bản kiểm tra số 9")
    assert chief.state(approvals.ASSESSMENT, key).state == approvals.CHANGED
    assert _at_province(pair) == {key: approvals.CHANGED}


def test_the_province_says_when_it_cannot_recompute_the_outcomes(pair: Pair) -> None:
    """Outcomes computed with indicator definitions, or a criteria pack version, that the
    province does not hold are "cannot be checked here", not "changed"."""
    _view, key = _assessment(pair)
    chief = _on(pair, ApprovalService, CHIEF)
    chief.approve(approvals.ASSESSMENT, key, pair.ward_keys)
    unit_code = load(pair.ward_db).unit.code
    with pair.ward_db.write() as session:
        row = session.execute(select(Approval)).scalar_one()
        parts = row.content_hash.split(".")
        row.content_hash = ".".join([parts[0], "0" * 8, *parts[2:]])
        row.signer_key, row.signature = signatures.sign(
            approvals._signed_fields(unit_code, row), pair.ward_keys.signing
        )
    assert _at_province(pair) == {key: approvals.UNCHECKED}
    assert chief.state(approvals.ASSESSMENT, key).state == approvals.CHANGED

    chief.approve(approvals.ASSESSMENT, key, pair.ward_keys)
    assert _at_province(pair) == {key: approvals.APPROVED}
    with pair.province_db.write() as session:
        assessment = session.execute(select(Assessment).where(Assessment.uuid == key)).scalar_one()
        held = select(InstalledPack).where(InstalledPack.pack_id == assessment.pack_id)
        for pack in session.execute(held).scalars():
            session.delete(pack)
    seen = ward_approvals(pair.province_db, unit_code)
    assert [s.state for s in seen] == [approvals.UNCHECKED]
    assert "không kiểm tra được số liệu" in seen[0].label
