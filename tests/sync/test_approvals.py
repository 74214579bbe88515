"""Approvals: the chief signs the hash of exactly what was approved; any later change shows as
"changed since approval"; an altered approval fails its signature; approvals travel in bundles
and the province checks them against the ward's data and enrolled key."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Callable
from datetime import date
from typing import TypeVar

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.core.domain.access import Actor, PermissionDenied, Role
from app.core.domain.periods import Span
from app.core.services import approvals
from app.core.services.approvals import MONTH, ApprovalService, month_key, report_key
from app.core.services.assessments import AssessmentService
from app.core.services.indicators import IndicatorService
from app.core.services.locked_months import LockedMonthError
from app.core.services.profile import load
from app.core.services.records import RecordService
from app.core.services.report_data import period_report
from app.core.services.sync.province.imports import ward_approvals
from app.db.approval_models import Approval
from app.i18n import _
from app.reports.period_report import build_period_report
from app.sync import approvals as signatures
from tests.sync.bundle_pairs import Pair

CHIEF = Actor("thang", "Phạm Văn Thắng", Role.CHIEF)
OFFICER = Actor("nvan", "Nguyễn Văn An", Role.OFFICER)
Service = TypeVar("Service")
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

        assessment = session.get(Assessment, view.id)
        assert assessment is not None
        key = assessment.uuid
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


# --- issue 13 item 12: an approval covers every figure shown, and a locked month holds ------

DECEMBER_DAY = date(2026, 12, 5)  # in reporting month 12 (15/11 – 14/12)
DECEMBER = month_key(2026, 12)
DECEMBER_REPORT = report_key(Span.MONTH, 2026, 12)


def _on(pair: Pair, service: Callable[..., Service], actor: Actor) -> Service:
    return service(pair.ward_db, actor=actor, clock=pair.clock, today=lambda: DECEMBER_DAY)


def _figure(pair: Pair, code: str) -> float | None:
    grid = _on(pair, IndicatorService, OFFICER).grid(2026, Span.MONTH, 12)
    return next(row.value for row in grid.rows if row.code == code)


def _report_text(pair: Pair) -> str:
    data = period_report(_on(pair, IndicatorService, CHIEF), Span.MONTH, 2026, 12)
    pdf = build_period_report(data)
    found = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(found.split())


def test_a_locked_approved_month_refuses_an_officers_session_and_flags_the_chiefs(
    pair: Pair,
) -> None:
    """The reported scenario: month 12 locked and approved (indicators and report), then a
    session dated 01/12 changes H04 and H05, figures computed from records."""
    _on(pair, IndicatorService, CHIEF).lock(2026, 12)
    chief = _on(pair, ApprovalService, CHIEF)
    chief.approve(approvals.MONTH, DECEMBER, pair.ward_keys)
    chief.approve(approvals.REPORT, DECEMBER_REPORT, pair.ward_keys)
    sessions, attendance = _figure(pair, "H04"), _figure(pair, "H05")
    approved_line = _("The figures and text of this report were approved by {name} on {date}.")
    assert approved_line.split("{name}")[0].strip() in _report_text(pair)

    session = {
        "held_on": date(2026, 12, 1),
        "topic": "phap_luat",
        "place": "Nhà văn hoá khối 5",
        "audience": "Nhân dân khối 5",
        "attendance": 40,
        "presenter": "Nguyễn Văn An",
    }
    with pytest.raises(LockedMonthError) as refused:
        _on(pair, RecordService, OFFICER).create("sessions", session)
    assert not refused.value.needs_confirmation
    assert _figure(pair, "H04") == sessions
    assert chief.state(approvals.MONTH, DECEMBER).state == approvals.APPROVED

    with pytest.raises(LockedMonthError) as asked:
        _on(pair, RecordService, CHIEF).create("sessions", session)
    assert asked.value.needs_confirmation
    _on(pair, RecordService, CHIEF).create("sessions", session, confirm_locked=True)
    assert _figure(pair, "H04") == (sessions or 0) + 1
    assert _figure(pair, "H05") == (attendance or 0) + 40

    month = chief.state(approvals.MONTH, DECEMBER)
    assert month.state == approvals.CHANGED
    assert month.label.startswith("Đã thay đổi sau khi phê duyệt")
    assert chief.state(approvals.REPORT, DECEMBER_REPORT).state == approvals.CHANGED
    printed = _report_text(pair)
    assert "đã được Phạm Văn Thắng phê duyệt" not in printed
    assert "báo cáo này chưa được phê duyệt" in printed

    # the province, holding the ward's records, computes the same figures and agrees
    pair.clock.advance(minutes=5)
    pair.import_(pair.export())
    station_id = load(pair.ward_db).unit.code
    seen = {s.key: s.state for s in ward_approvals(pair.province_db, station_id)}
    assert seen == {DECEMBER: approvals.CHANGED, DECEMBER_REPORT: approvals.CHANGED}
    pair.clock.advance(minutes=5)
    chief.approve(approvals.MONTH, DECEMBER, pair.ward_keys)
    pair.clock.advance(minutes=5)
    pair.import_(pair.export())
    seen = {s.key: s.state for s in ward_approvals(pair.province_db, station_id)}
    assert seen[DECEMBER] == approvals.APPROVED


def test_a_reports_approval_covers_its_narrative(pair: Pair) -> None:
    chief = _on(pair, ApprovalService, CHIEF)
    texts = {"shortcomings": "Một số khối chưa tổ chức tuyên truyền."}
    chief.approve(approvals.REPORT, DECEMBER_REPORT, pair.ward_keys, texts)
    assert chief.state(approvals.REPORT, DECEMBER_REPORT, texts).state == approvals.APPROVED
    # whitespace the printout drops is no change; a changed sentence is
    spaced = {"shortcomings": "  Một số khối chưa tổ chức tuyên truyền.\n\n"}
    assert chief.state(approvals.REPORT, DECEMBER_REPORT, spaced).state == approvals.APPROVED
    other = {"shortcomings": "Không có tồn tại."}
    assert chief.state(approvals.REPORT, DECEMBER_REPORT, other).state == approvals.CHANGED
    # without the text (the list of approvals, the province) the figures are checked
    assert chief.state(approvals.REPORT, DECEMBER_REPORT).state == approvals.APPROVED
    data = period_report(_on(pair, IndicatorService, CHIEF), Span.MONTH, 2026, 12, narrative=other)
    assert "chưa được phê duyệt" in data.approval


def test_approvals_made_before_still_verify_as_they_were_made(pair: Pair) -> None:
    """A scheme-1 approval (typed values only) keeps verifying at the ward and the province."""
    chief = _service(pair)
    chief.approve(approvals.MONTH, OCTOBER, pair.ward_keys)
    unit_code = load(pair.ward_db).unit.code
    with pair.ward_db.write() as session:
        row = session.execute(select(Approval)).scalar_one()
        row.content_hash = approvals.legacy_hash(session, row.owner_unit_id, MONTH, OCTOBER)
        row.signer_key, row.signature = signatures.sign(
            approvals._signed_fields(unit_code, row), pair.ward_keys.signing
        )
    assert len(row.content_hash) == 64 and "." not in row.content_hash
    assert chief.state(approvals.MONTH, OCTOBER).state == approvals.APPROVED
    pair.clock.advance(minutes=5)
    pair.import_(pair.export())
    assert [s.state for s in ward_approvals(pair.province_db, unit_code)] == [approvals.APPROVED]
    _edit(pair, 10, 4242)
    assert chief.state(approvals.MONTH, OCTOBER).state == approvals.CHANGED


def test_the_province_says_when_it_cannot_check_the_figures(pair: Pair) -> None:
    """The ward computed its figures with an indicator definition the province does not hold."""
    chief = _service(pair)
    chief.approve(approvals.MONTH, OCTOBER, pair.ward_keys)
    with pair.ward_db.write() as session:
        row = session.execute(select(Approval)).scalar_one()
        stored = row.content_hash.split(".")
        row.content_hash = ".".join([stored[0], "0" * 8, stored[2]])
        row.signer_key, row.signature = signatures.sign(
            approvals._signed_fields(load(pair.ward_db).unit.code, row), pair.ward_keys.signing
        )
    pair.clock.advance(minutes=5)
    pair.import_(pair.export())
    seen = ward_approvals(pair.province_db, load(pair.ward_db).unit.code)
    assert [s.state for s in seen] == [approvals.UNCHECKED]
    assert "không kiểm tra được số liệu" in seen[0].label
    # at the ward, figures computed with other definitions than today's are "changed"
    assert chief.state(approvals.MONTH, OCTOBER).state == approvals.CHANGED
