"""Training data never reaches a real province as real (issue 13, 9).

A demo database marks its bundles in the signed manifest ("demo": true; absent means real, so
every older bundle still reads as real). A real province refuses them with a clear message and
writes nothing; a demo province imports them, and refuses a real station's bundles.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from app.core.profile import DEMO_KEY, set_up
from app.core.record_service import RecordService
from app.db.open import open_database
from app.sync import bundle as fmt
from tests.sync.bundle_pairs import TODAY, Pair, make_pair
from tests.sync.helpers import db_digest, ward_state

SESSION = {
    "held_on": date(2026, 11, 2),
    "topic": "pccc_cnch",
    "place": "Nhà văn hoá khối 3",
    "audience": "Nhân dân khối 3",
    "attendance": 85,
    "presenter": "Lê Văn Hùng",
}


@pytest.fixture
def demo_template(tmp_path: Path) -> Path:
    """A small demo (training) database, as the demo builder sets it up."""
    from app.core.demo import DEMO_PROFILE

    path = tmp_path / "demo-template" / "ward.sqlite"
    path.parent.mkdir()
    db = open_database(path)
    set_up(db, DEMO_PROFILE, today=date(2025, 11, 23), demo=True)
    records = RecordService(db, author="demo", today=lambda: TODAY)
    records.create_many("sessions", [{**SESSION, "attendance": n} for n in (40, 60, 85)])
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return path


def _manifest(pair: Pair, path: Path) -> dict[str, object]:
    with pair.province_db.read() as session:
        outer, _header = fmt.read_outer(path.read_bytes(), pair.province._keys_for(session))
    return fmt.open_inner(outer, [pair.province_keys.age_identity]).manifest


def _make_demo(pair: Pair) -> None:
    """Turn the pair's (enrolled) ward into a demo database, as if it had been enrolled
    before demo stations were refused at enrollment."""
    pair.ward_db.engine.dispose()
    pair.ward_db.write_engine.dispose()
    with sqlite3.connect(pair.ward_db.path) as raw:
        raw.execute("INSERT INTO app_meta (key, value) VALUES (?, '1')", (DEMO_KEY,))


def test_a_real_province_refuses_a_demo_stations_bundle(pair: Pair) -> None:
    _make_demo(pair)
    path = pair.export()
    assert _manifest(pair, path)[fmt.DEMO_FIELD] is True  # inside the signed manifest
    before = db_digest(pair.province_db)
    (report,) = pair.import_(path)
    assert report.outcome == "rejected"
    assert "dữ liệu dùng thử" in report.reason and "16681" in report.reason, report.reason
    assert db_digest(pair.province_db) == before  # nothing written
    assert report.receipt_path is None
    # the preview says the same
    (preview,) = pair.import_(path, dry_run=True)
    assert (preview.outcome, preview.reason) == (report.outcome, report.reason)


def test_a_real_stations_bundle_carries_no_mark(pair: Pair) -> None:
    """Real bundles are written as before (no field), so older readers still read them."""
    path = pair.export()
    assert fmt.DEMO_FIELD not in _manifest(pair, path)
    (report,) = pair.import_(path)
    assert report.outcome == "new"


def test_a_demo_province_imports_demo_bundles_and_refuses_real_ones(
    tmp_path: Path, demo_template: Path, ward_template: Path
) -> None:
    demo = make_pair(tmp_path / "demo", demo_template, demo_province=True)
    (report,) = demo.import_(demo.export())
    assert report.outcome == "new", report.reason
    assert report.summary["new"] == 3
    assert ward_state(demo.province_db) == ward_state(demo.ward_db)

    real = make_pair(tmp_path / "real", ward_template)
    real_bundle = real.export()
    # the real ward's bundle carried to the demo province (enrolled there for training)
    demo.province.enroll(real.ward.enrollment_request(real.ward_keys), replace_key=True)
    before = db_digest(demo.province_db)
    (refused,) = demo.province.import_bundles([real_bundle], demo.province_keys)
    assert refused.outcome == "rejected"
    assert db_digest(demo.province_db) == before
    for made in (demo, real):
        made.ward_db.close()
        made.province_db.close()
