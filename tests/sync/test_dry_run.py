"""The import preview (dry run) runs the import's own steps and rolls them back (issue 13, 6).

The counts it shows must be exactly the counts of the real import that follows, on the
10-year demo ward's first bundle (received by a demo province, as in training) and on a
batch whose second bundle updates what the first one brings.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.core.services.demo import DemoBuilder
from app.core.services.records import RecordService
from app.core.services.sync.province.imports import BundleReport
from app.db.open import open_database
from tests.sync.bundle_pairs import TODAY, Pair, make_pair
from tests.sync.helpers import db_digest, ward_state


@dataclass(frozen=True)
class _TenYears:
    pair: Pair
    bundle: Path
    records: int


@pytest.fixture(scope="module")
def ten_years(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_TenYears]:
    """The 10-year demo ward (as ``modelward demo --years 10`` builds it), keyed and enrolled
    with a demo province, and its first bundle. Built once: it takes about 20 s."""
    folder = tmp_path_factory.mktemp("ten-years")
    template = folder / "template.sqlite"
    db = open_database(template)
    DemoBuilder(db, 10, TODAY, seed=7).build()
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    pair = make_pair(folder / "pair", template, demo_province=True)
    exported = pair.ward.export(pair.stick, pair.ward_keys)
    yield _TenYears(pair, exported.path, exported.records)
    pair.ward_db.close()
    pair.province_db.close()


def _outcomes(reports: list[BundleReport]) -> list[tuple[str, str, int, dict[str, Any]]]:
    """What an officer is shown of each file: outcome, reason, bundle number and counts."""
    return [(r.outcome, r.reason, r.seq, r.summary) for r in reports]


def test_the_preview_of_the_ten_year_demo_wards_first_bundle_equals_its_import(
    ten_years: _TenYears,
) -> None:
    pair = ten_years.pair
    before = db_digest(pair.province_db)
    preview = pair.import_(ten_years.bundle, dry_run=True)
    assert db_digest(pair.province_db) == before  # rolled back: not one byte changed
    assert [r.receipt_path for r in preview] == [None]
    assert not list(pair.stick.glob("*.wsr"))  # and no receipt file was written

    imported = pair.import_(ten_years.bundle)
    assert _outcomes(preview) == _outcomes(imported)
    (report,) = imported
    assert report.outcome == "new", report.reason
    # every record of the ten years arrives, the assessments' items with their assessments
    assert report.summary["new"] == ten_years.records > 1000
    assert report.summary["conflict"] == 0, report.summary["conflicts"]
    assert report.summary["by_table"]["assessment_items"]["new"] > 0
    assert ward_state(pair.province_db) == ward_state(pair.ward_db)

    # and once imported, the preview of the same file says what importing it again does
    again = pair.import_(ten_years.bundle, dry_run=True)
    assert _outcomes(again) == _outcomes(pair.import_(ten_years.bundle))
    assert again[0].outcome == "duplicate"


def test_the_preview_of_a_batch_counts_what_its_earlier_bundles_bring(pair: Pair) -> None:
    """Bundle 2 resends everything (bundle 1 has no receipt yet) and changes one session: the
    preview of both together shows bundle 2's rows as unchanged and updated, as the import does."""
    first = pair.export()
    records = RecordService(pair.ward_db, author="Nguyễn Văn An", today=lambda: TODAY)
    (record_id, *_rest) = records.list_ids("sessions")
    (row,) = records.fetch("sessions", [record_id])
    changed = {**row.values, "attendance": int(row.values["attendance"] or 0) + 7}
    records.update("sessions", record_id, changed)
    second = pair.export()

    before = db_digest(pair.province_db)
    preview = pair.import_(first, second, dry_run=True)
    assert db_digest(pair.province_db) == before
    imported = pair.import_(first, second)
    assert _outcomes(preview) == _outcomes(imported)
    assert [r.outcome for r in imported] == ["new", "new"]
    assert imported[1].summary["updated"] == 1
    assert imported[1].summary["duplicate"] == imported[1].records - 1
    assert ward_state(pair.province_db) == ward_state(pair.ward_db)
