"""Training data never reaches a real province as real (issue 13, 9).

A demo database marks its bundles in the signed manifest ("demo": true; absent means real, so
every older bundle still reads as real). A real province refuses them with a clear message and
writes nothing; a demo province imports them, and refuses a real station's bundles.
"""

from __future__ import annotations

from contextlib import closing
from datetime import date
from pathlib import Path

import pyrage
import pytest

from app.core.domain.errors import UserFacingError
from app.core.services.profile import DEMO_KEY, set_up
from app.core.services.records import RecordService
from app.db.cipher import connect
from app.db.open import open_database
from app.i18n import _
from app.sync import bundle as fmt
from app.sync import trust
from tests.sync.bundle_pairs import TODAY, Pair, make_pair
from tests.sync.helpers import province_state, ward_state

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
    from app.core.services.demo import DEMO_PROFILE

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


def _stations(pair: Pair) -> list[tuple[object, ...]]:
    with closing(connect(pair.province_db.path, readonly=True)) as raw, raw:
        return raw.execute(
            "SELECT station_id, signing_key, status FROM sync_stations ORDER BY station_id"
        ).fetchall()


def _make_demo(pair: Pair) -> None:
    """Turn the pair's (enrolled) ward into a demo database, as if it had been enrolled
    before demo stations were refused at enrollment."""
    pair.ward_db.engine.dispose()
    pair.ward_db.write_engine.dispose()
    with closing(connect(pair.ward_db.path)) as raw, raw:
        raw.execute("INSERT INTO app_meta (key, value) VALUES (?, '1')", (DEMO_KEY,))


def test_a_real_province_refuses_a_demo_stations_bundle(pair: Pair) -> None:
    _make_demo(pair)
    path = pair.export()
    assert _manifest(pair, path)[fmt.DEMO_FIELD] is True  # inside the signed manifest
    before = province_state(pair.province_db)
    (report,) = pair.import_(path)
    assert report.outcome == "rejected"
    assert "dữ liệu dùng thử" in report.reason and "16681" in report.reason, report.reason
    assert province_state(pair.province_db) == before  # no record, no inbox entry
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
    tmp_path: Path, demo_template: Path
) -> None:
    demo = make_pair(tmp_path / "demo", demo_template, demo_province=True)
    (report,) = demo.import_(demo.export())
    assert report.outcome == "new", report.reason
    assert report.summary["new"] == 3
    assert ward_state(demo.province_db) == ward_state(demo.ward_db)

    # the same station, its database no longer marked demo: its next bundle is refused
    demo.ward_db.engine.dispose()
    demo.ward_db.write_engine.dispose()
    with closing(connect(demo.ward_db.path)) as raw, raw:
        raw.execute("DELETE FROM app_meta WHERE key = ?", (DEMO_KEY,))
    RecordService(demo.ward_db, author="Lê Văn Hùng", today=lambda: TODAY).create(
        "sessions", SESSION
    )
    real_bundle = demo.export()
    assert fmt.DEMO_FIELD not in _manifest(demo, real_bundle)
    before = province_state(demo.province_db)
    (refused,) = demo.import_(real_bundle)
    assert refused.outcome == "rejected"
    assert "trạm thật" in refused.reason, refused.reason
    assert province_state(demo.province_db) == before
    demo.ward_db.close()
    demo.province_db.close()


def test_enrollment_requests_are_marked_and_checked(
    tmp_path: Path, demo_template: Path, ward_template: Path
) -> None:
    """A real province does not enroll a demo station, a demo province not a real one."""
    demo = make_pair(tmp_path / "demo", demo_template, demo_province=True)
    real = make_pair(tmp_path / "real", ward_template)
    demo_request = demo.ward.enrollment_request(demo.ward_keys)
    real_request = real.ward.enrollment_request(real.ward_keys)
    assert trust.read_enrollment(demo_request).demo is True
    assert trust.read_enrollment(real_request).demo is False
    # a request made before the field existed (the test vector) reads as real
    vector = Path(__file__).parent.parent / "data" / "bundles" / "enrollment-16681.mwe"
    assert trust.read_enrollment(vector.read_bytes()).demo is False

    before = _stations(real)
    with pytest.raises(UserFacingError) as refused:
        real.province.enroll(demo_request, replace_key=True)
    assert "dữ liệu dùng thử" in refused.value.message
    assert _stations(real) == before  # the key enrolled before is kept
    with pytest.raises(UserFacingError) as refused:
        demo.province.enroll(real_request, replace_key=True)
    assert "trạm thật" in refused.value.message
    for made in (demo, real):
        made.ward_db.close()
        made.province_db.close()


@pytest.mark.parametrize("mark", [False, "true", 1, None])
def test_a_demo_mark_other_than_true_is_refused(pair: Pair, tmp_path: Path, mark: object) -> None:
    """The field is written only as true: any other value, signed by the real station, is a
    malformed manifest (so a demo mark cannot be turned into something a reader takes as real)."""
    original = pair.export()
    outer, _header = fmt.read_outer(
        original.read_bytes(), lambda _s: [pair.ward_keys.signing.public_key()]
    )
    inner = fmt.open_inner(outer, [pair.ward_keys.age_identity])
    manifest = {**inner.manifest, fmt.DEMO_FIELD: mark}
    manifest.pop("sections")
    province = pyrage.x25519.Recipient.from_str(pair.province_keys.public.age_recipient)
    data, _hash = fmt.seal(manifest, inner.records, pair.ward_keys.signing, [province])
    path = tmp_path / "marked.wsb"
    path.write_bytes(data)
    before = province_state(pair.province_db)
    (report,) = pair.import_(path)
    assert report.outcome == "rejected"
    assert report.reason == _("The bundle's manifest is not in the expected form.")
    assert province_state(pair.province_db) == before
