"""Self-assessment: automatic evaluation with reasons, findings, totals, pinning, migration."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from app.core.domain.assessment_views import AssessmentView, CriterionView
from app.core.domain.errors import UserFacingError, ValidationError
from app.core.domain.packs.evaluate import Outcome
from app.core.services import packs
from app.core.services.assessments import AssessmentService
from app.core.services.indicators import IndicatorService
from app.core.services.records import RecordService
from app.db.engine import Database
from app.sync.tuf_repo import open_repository
from tests.conftest import NOW
from tests.core.test_records import VALID
from tests.sync.conftest import DEV_KEYS, pack_file

TODAY = date(2026, 11, 23)  # reporting month 12/2026 is under way; 11 months are complete


@pytest.fixture
def assessments(db: Database) -> AssessmentService:
    packs.install_bundled(db, datetime.now(UTC), "test")
    indicators = IndicatorService(db, clock=lambda: NOW, today=lambda: TODAY)
    for month in range(1, 13):
        indicators.set_many(2025, month, {"B01": 5, "C02": 4, "C03": 4, "G01": 10, "G02": 10})
    for month in range(1, 12):
        indicators.set_many(
            2026,
            month,
            {"B01": 4, "C02": 4, "C03": 4, "G01": 10, "G02": 10, "I02": 0, "D02": 0, "G06": 0},
        )
    return AssessmentService(db, author="Phạm Văn Thắng", clock=lambda: NOW, today=lambda: TODAY)


def by_code(view: AssessmentView) -> dict[str, CriterionView]:
    return {c.criterion.code: c for c in view.criteria}


def _auto(criteria: dict[str, CriterionView], code: str) -> Outcome:
    outcome = criteria[code].auto
    assert outcome is not None, f"{code} has no automatic rule"
    return outcome


def test_rules_are_evaluated_with_their_reason(assessments: AssessmentService) -> None:
    view = assessments.open("bca-639-ward-police", 2026)
    assert view.as_of_month == 12
    criteria = by_code(view)
    assert _auto(criteria, "TC13").met is True  # 4×12 < 5×12 ... year to date
    assert "B01" in _auto(criteria, "TC13").reason
    assert _auto(criteria, "TC14").met is True  # 100 % handled
    assert _auto(criteria, "TC19").met is True
    assert _auto(criteria, "TC05").met is True  # no disciplinary violation
    assert _auto(criteria, "TC17").met is False  # no community model recorded yet
    assert criteria["TC01"].auto is None and criteria["TC01"].status == "pending"


def test_evaluation_follows_the_data(db: Database, assessments: AssessmentService) -> None:
    IndicatorService(db, today=lambda: TODAY).set_many(2026, 3, {"I02": 1, "C03": 3})
    RecordService(db, clock=lambda: NOW, today=lambda: TODAY).create("models", VALID["models"])
    criteria = by_code(assessments.open("bca-639-ward-police", 2026))
    assert _auto(criteria, "TC05").met is False
    assert _auto(criteria, "TC14").met is False
    assert "97,7" in _auto(criteria, "TC14").reason  # 43 / 44 handled
    assert _auto(criteria, "TC17").met is True


def test_findings_totals_points_and_trend(assessments: AssessmentService) -> None:
    view = assessments.open("bca-639-ward-police", 2026)
    for code in ("TC01", "TC02", "TC03"):
        assessments.set_item(view.id, code, status="met", evidence="Nghị quyết số 05-NQ/ĐU")
    assessments.set_item(view.id, "TC04", status="not_met")
    assessments.set_item(view.id, "TC16", status="not_applicable")
    assessments.set_item(view.id, "TC07", status="met", points=4)
    with pytest.raises(ValidationError):
        assessments.set_item(view.id, "TC08", status="met", points=7)  # max 5
    with pytest.raises(ValidationError):
        assessments.set_item(view.id, "TC01", status="met", points=1)  # not a points criterion
    view = assessments.view(view.id)
    criteria = by_code(view)
    assert criteria["TC01"].evidence == "Nghị quyết số 05-NQ/ĐU"
    assert view.total == 19  # one not applicable
    auto_met = sum(1 for c in view.criteria if c.manual_status is None and c.status == "met")
    assert view.met == 4 + auto_met  # TC01-03, TC07 + automatic
    group_one = next(g for g in view.groups if g.code == "I")
    assert (group_one.met, group_one.total) == (2, 2)
    assert view.points == (4.0, 10.0)
    assert len(view.trend) == 12 and view.trend[-1][1] == view.met


def test_links_to_records(db: Database, assessments: AssessmentService) -> None:
    records = RecordService(db, clock=lambda: NOW, today=lambda: TODAY)
    camera = records.get("cameras", records.create("cameras", VALID["cameras"]).created[0])
    view = assessments.open("bca-639-ward-police", 2026)
    assessments.set_item(view.id, "TC18", status=None, links=[("cameras", camera.uuid)])
    link = by_code(assessments.view(view.id))["TC18"].links[0]
    assert link.uuid == camera.uuid and "Quang Trung" in link.label
    records.delete("cameras", camera.id)
    assert "(" in by_code(assessments.view(view.id))["TC18"].links[0].label


def test_an_assessment_stays_on_its_version_until_migrated(
    db: Database, assessments: AssessmentService, tmp_path: Path
) -> None:
    view = assessments.open("bca-639-ward-police", 2026)
    assessments.set_item(view.id, "TC01", status="met")
    assessments.set_item(view.id, "TC20", status="not_met")
    folder = tmp_path / "usb"
    shutil.copytree(packs.bundled_repository(), folder)

    def version_two(doc: dict[str, Any]) -> None:
        doc["groups"][6]["criteria"].pop()  # TC20 removed
        doc["groups"][0]["criteria"][0]["title"] += " (sửa đổi)"
        doc["groups"][6]["criteria"].append(
            {"code": "TC21", "title": "Tiêu chí mới", "scoring": "pass_fail"}
        )

    open_repository(folder, DEV_KEYS, None).add_packs(
        [pack_file(tmp_path, "bca-639-ward-police", version_two, version=2)]
    )
    packs.install(db, folder, datetime.now(UTC), "test")
    pinned = assessments.view(view.id)
    assert pinned.pack.version == 1 and pinned.newest_version == 2
    assert "TC20" in by_code(pinned)
    current, newest, diff = assessments.migration_preview(view.id)
    assert (current, newest) == (1, 2)
    assert diff.criteria_removed == ("TC20",) and diff.criteria_added == ("TC21",)
    assert diff.criteria_changed == ("TC01",)
    assessments.migrate(view.id, 2, note="Theo hướng dẫn mới")
    moved = by_code(assessments.view(view.id))
    assert "TC20" not in moved and "TC21" in moved
    assert moved["TC01"].manual_status == "met"  # findings carried over
    with pytest.raises(UserFacingError):
        assessments.migrate(view.id, 1)
    # a new year's assessment starts on the newest version
    assert assessments.open("bca-639-ward-police", 2027).pack.version == 2
