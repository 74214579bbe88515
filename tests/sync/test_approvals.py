"""Approvals: the chief signs the hash of exactly what was approved; any later change shows as
"changed since approval"; an altered approval fails its signature; approvals travel in bundles
and the province checks them against the ward's data and enrolled key."""

from __future__ import annotations

import sqlite3

import pytest

from app.core import approval_service as approvals
from app.core.approval_service import ApprovalService, month_key, report_key
from app.core.assessment_service import AssessmentService
from app.core.indicator_service import IndicatorService
from app.core.periods import Span
from app.core.profile import load
from app.core.sync_province import ward_approvals
from app.i18n import _
from app.security.accounts import Actor, PermissionDenied, Role
from tests.sync.bundle_pairs import Pair

CHIEF = Actor("thang", "Phạm Văn Thắng", Role.CHIEF)
OFFICER = Actor("nvan", "Nguyễn Văn An", Role.OFFICER)
OCTOBER = month_key(2026, 10)


def _service(pair: Pair, actor: Actor = CHIEF) -> ApprovalService:
    return ApprovalService(pair.ward_db, actor=actor, clock=pair.clock)


def _indicators(pair: Pair, actor: Actor = OFFICER) -> IndicatorService:
    return IndicatorService(pair.ward_db, actor=actor, clock=pair.clock)


def _edit(pair: Pair, month: int, value: float) -> None:
    """An officer corrects a figure, the chief first unlocking the month if it was locked."""
    if _indicators(pair).is_locked(2026, month):
        _indicators(pair, CHIEF).unlock(2026, month, "Sửa số liệu đã báo cáo")
    _indicators(pair).set_value(2026, month, _typed_code(pair), value)


def _typed_code(pair: Pair) -> str:
    grid = _indicators(pair).grid(2026, Span.MONTH, 10)
    return next(row.code for row in grid.rows if row.typed)


def test_a_change_after_approval_shows_until_approved_again(pair: Pair) -> None:
    chief = _service(pair)
    assert chief.state(approvals.MONTH, OCTOBER).state == approvals.NONE
    approved = chief.approve(approvals.MONTH, OCTOBER, pair.ward_keys)
    assert approved.state == approvals.APPROVED
    assert approved.approver == "Phạm Văn Thắng"
    assert "Phạm Văn Thắng" in approved.label

    _edit(pair, 11, 3)  # another month: October still holds
    assert chief.state(approvals.MONTH, OCTOBER).state == approvals.APPROVED
    _edit(pair, 10, 12345)
    changed = chief.state(approvals.MONTH, OCTOBER)
    assert changed.state == approvals.CHANGED
    assert changed.label.startswith(_("Changed since approval ({name}, {date}): approve again")[:8])

    pair.clock.advance(hours=1)
    assert chief.approve(approvals.MONTH, OCTOBER, pair.ward_keys).state == approvals.APPROVED
    assert chief.state(approvals.MONTH, OCTOBER).state == approvals.APPROVED


def test_only_the_chief_approves_and_with_this_stations_key(pair: Pair) -> None:
    with pytest.raises(PermissionDenied):
        _service(pair, OFFICER).approve(approvals.MONTH, OCTOBER, pair.ward_keys)
    with pytest.raises(Exception, match="không phải khoá của đơn vị"):
        _service(pair).approve(approvals.MONTH, OCTOBER, pair.province_keys)
    assert _service(pair).states() == []


def test_an_approval_edited_in_the_database_fails_its_signature(pair: Pair) -> None:
    """Someone with the database but not the station key re-points an approval at new data."""
    chief = _service(pair)
    chief.approve(approvals.MONTH, OCTOBER, pair.ward_keys)
    _edit(pair, 10, 999)
    with pair.ward_db.read() as session:
        forged = approvals.content_hash(session, chief.unit_id, approvals.MONTH, OCTOBER)
    with sqlite3.connect(pair.ward_db.path) as raw:
        raw.execute("UPDATE approvals SET content_hash = ?", (forged,))
    state = chief.state(approvals.MONTH, OCTOBER)
    assert state.state == approvals.INVALID
    assert state.label == _("The approval's signature does not match: it was altered")


def test_assessment_and_report_approvals_follow_their_own_content(pair: Pair) -> None:
    assessments = AssessmentService(pair.ward_db, actor=OFFICER, clock=pair.clock)
    pack = assessments.assessable_packs()[0].pack_id
    view = assessments.open(pack, 2026)
    with pair.ward_db.read() as session:
        from app.db.pack_models import Assessment

        key = session.get(Assessment, view.id).uuid  # type: ignore[union-attr]
    chief = _service(pair)
    chief.approve(approvals.ASSESSMENT, key, pair.ward_keys)
    quarter = report_key(Span.QUARTER, 2026, 3)
    chief.approve(approvals.REPORT, quarter, pair.ward_keys)

    criterion = view.criteria[0].criterion.code
    assessments.set_item(view.id, criterion, status="met", evidence="Biên bản kiểm tra số 7")
    assert chief.state(approvals.ASSESSMENT, key).state == approvals.CHANGED
    assert chief.state(approvals.REPORT, quarter).state == approvals.APPROVED

    _edit(pair, 8, 4321)  # August is in Q3
    assert chief.state(approvals.REPORT, quarter).state == approvals.CHANGED
    assert chief.state(approvals.MONTH, month_key(2026, 9)).state == approvals.NONE


def test_approvals_travel_in_bundles_and_the_province_checks_them(pair: Pair) -> None:
    chief = _service(pair)
    chief.approve(approvals.MONTH, OCTOBER, pair.ward_keys)
    chief.approve(approvals.MONTH, month_key(2026, 9), pair.ward_keys)
    pair.clock.advance(minutes=5)
    pair.import_(pair.export())

    station_id = load(pair.ward_db).unit.code  # a ward's station id is its unit code
    seen = ward_approvals(pair.province_db, station_id)
    assert {(s.key, s.state) for s in seen} == {
        (OCTOBER, approvals.APPROVED),
        (month_key(2026, 9), approvals.APPROVED),
    }
    assert all(s.approver == "Phạm Văn Thắng" for s in seen)

    # the ward changes October after approval and sends it: the province sees the change
    _edit(pair, 10, 777)
    pair.clock.advance(minutes=5)
    pair.import_(pair.export())
    after = {s.key: s.state for s in ward_approvals(pair.province_db, station_id)}
    assert after == {OCTOBER: approvals.CHANGED, month_key(2026, 9): approvals.APPROVED}

    # an approval altered on the way (or at the province) no longer verifies
    with sqlite3.connect(pair.province_db.path) as raw:
        raw.execute("UPDATE approvals SET approver = 'Người khác' WHERE subject_ref = '2026-09'")
    altered = {s.key: s.state for s in ward_approvals(pair.province_db, station_id)}
    assert altered[month_key(2026, 9)] == approvals.INVALID
