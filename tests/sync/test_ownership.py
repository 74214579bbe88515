"""Records at the province belong to the station that sent them (issue 13, 8).

A second enrolled ward sends rows carrying the id of a record of the first ward (a copied
database, a hand-edited file, a malicious officer). That is a conflict for the sender only:
the first ward's record is untouched, the sender's bundle and receipt say why in Vietnamese,
and the first ward can still update its own record afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.core.profile import ProfileInput, set_up
from app.core.record_service import RecordService
from app.core.sync_ward import WardSync
from app.db.cipher import connect
from app.db.engine import Database
from app.db.open import open_database
from app.i18n import _
from app.sync.keys import StationKeys
from tests.sync.bundle_pairs import PASSPHRASE, TODAY, Pair

OTHER_WARD = ProfileInput(
    province_code="40",
    ward_code="16684",
    ward_name="Công an phường Vinh Hưng",
    place_name="Vinh Hưng",
)
SESSION = {
    "held_on": date(2026, 11, 2),
    "topic": "law",
    "place": "Nhà văn hoá khối 7",
    "audience": "Nhân dân khối 7",
    "attendance": 40,
    "presenter": "Phạm Thị Lan",
}


@dataclass
class _Ward:
    db: Database
    sync: WardSync
    keys: StationKeys

    def records(self) -> RecordService:
        return RecordService(self.db, author="Phạm Thị Lan", today=lambda: TODAY)


@pytest.fixture
def two_wards(pair: Pair, tmp_path: Path) -> Iterator[tuple[Pair, _Ward]]:
    """The pair's ward (16681) and a second ward (16684), both enrolled with the province."""
    path = tmp_path / "other" / "ward.sqlite"
    path.parent.mkdir()
    db = open_database(path)
    set_up(db, OTHER_WARD, today=TODAY - timedelta(days=30))
    sync = WardSync(db, now=pair.clock, author="Phạm Thị Lan")
    sync.create_keys(PASSPHRASE)
    keys = sync.unlock(PASSPHRASE)
    pair.province.enroll(sync.enrollment_request(keys))
    trust_list = pair.publish()
    from app.sync.envelope import fingerprint
    from app.sync.trust import signing_key_id

    sync.import_trust_list(
        trust_list.read_bytes(),
        confirm_fingerprint=fingerprint(signing_key_id(pair.province_keys.public.signing)),
    )
    yield pair, _Ward(db, sync, keys)
    db.close()


def _take_id(ward: _Ward, record_id: int, foreign_uuid: str) -> None:
    """Give the second ward's session the id of a record of the first ward, as a copied or
    hand-edited database would."""
    ward.db.engine.dispose()
    ward.db.write_engine.dispose()
    with closing(connect(ward.db.path)) as raw, raw:
        raw.execute("UPDATE outreach_sessions SET uuid = ? WHERE id = ?", (foreign_uuid, record_id))


def _province_row(pair: Pair, record_uuid: str) -> tuple[Any, ...]:
    with closing(connect(pair.province_db.path, readonly=True)) as raw, raw:
        row = raw.execute(
            "SELECT u.code, s.place, s.attendance FROM outreach_sessions s "
            "JOIN units u ON u.id = s.owner_unit_id WHERE s.uuid = ?",
            (record_uuid,),
        ).fetchone()
        owner = raw.execute(
            "SELECT station_id FROM sync_versions WHERE record_uuid = ?", (record_uuid,)
        ).fetchone()
    assert row is not None
    return (*row, owner[0])


def _first_wards_session(pair: Pair) -> tuple[int, str]:
    records = RecordService(pair.ward_db, author="Nguyễn Văn An", today=lambda: TODAY)
    (row,) = records.fetch("sessions", records.list_ids("sessions")[:1])
    return row.id, row.uuid


def test_a_foreign_id_is_a_conflict_for_the_sender_only(two_wards: tuple[Pair, _Ward]) -> None:
    pair, other = two_wards
    (first,) = pair.import_(pair.export())
    assert first.outcome == "new" and first.summary["conflict"] == 0
    pair.ward.import_receipt(first.receipt_path.read_bytes())
    own_id, target = _first_wards_session(pair)
    held = _province_row(pair, target)
    assert held[0] == "16681" and held[-1] == "16681"

    created = other.records().create("sessions", SESSION)
    other.records().create("sessions", {**SESSION, "place": "Nhà văn hoá khối 8"})
    _take_id(other, created.created[0], target)
    (sent,) = pair.import_(other.sync.export(pair.stick, other.keys).path)

    # the sender's bundle is applied except that row, which is reported in Vietnamese
    assert sent.outcome == "new", sent.reason
    assert sent.summary["new"] == 1 and sent.summary["conflict"] == 1
    (conflict,) = sent.summary["conflicts"]
    assert target in conflict and "đơn vị khác" in conflict
    # named as the officer knows the records, not by the database table
    assert conflict.startswith(_("Outreach sessions")) and "outreach_sessions" not in conflict
    receipt = other.sync.import_receipt(sent.receipt_path.read_bytes())
    assert receipt.status == "returned" and target in receipt.comments
    # the first ward's record is untouched, and still its own
    assert _province_row(pair, target) == held

    # the first ward can still update it
    records = RecordService(pair.ward_db, author="Nguyễn Văn An", today=lambda: TODAY)
    (row,) = records.fetch("sessions", [own_id])
    records.update("sessions", own_id, {**row.values, "attendance": 321})
    (update,) = pair.import_(pair.export())
    assert update.outcome == "new" and update.summary["conflict"] == 0
    assert update.summary["updated"] == 1
    assert _province_row(pair, target)[2] == 321 and _province_row(pair, target)[0] == "16681"


def test_the_sender_cannot_take_the_id_over_with_a_later_version(
    two_wards: tuple[Pair, _Ward],
) -> None:
    """However high the sender's counter, and whether it updates or deletes the row."""
    pair, other = two_wards
    (first,) = pair.import_(pair.export())
    _own_id, target = _first_wards_session(pair)
    held = _province_row(pair, target)
    records = other.records()
    created = records.create("sessions", SESSION)
    for attendance in range(50, 60):  # push its counter past the first ward's
        (row,) = records.fetch("sessions", [created.created[0]])
        records.update("sessions", created.created[0], {**row.values, "attendance": attendance})
    records.delete("sessions", created.created[0])
    _take_id(other, created.created[0], target)
    (sent,) = pair.import_(other.sync.export(pair.stick, other.keys).path)
    assert sent.outcome == "new" and sent.summary["conflict"] == 1
    assert _province_row(pair, target) == held
    assert first.outcome == "new"


def test_in_one_batch_the_preview_shows_the_senders_conflict_too(
    two_wards: tuple[Pair, _Ward],
) -> None:
    """Both wards' bundles in one import: the first ward's record arrives, the second ward's
    row with its id is the second ward's conflict, in the preview exactly as in the import."""
    pair, other = two_wards
    _own_id, target = _first_wards_session(pair)
    created = other.records().create("sessions", SESSION)
    _take_id(other, created.created[0], target)
    own_bundle = pair.export()
    foreign_bundle = other.sync.export(pair.stick, other.keys).path
    preview = pair.import_(own_bundle, foreign_bundle, dry_run=True)
    imported = pair.import_(own_bundle, foreign_bundle)
    shown = [(r.station_id, r.outcome, r.summary["conflict"]) for r in imported]
    assert sorted(shown) == [("16681", "new", 0), ("16684", "new", 1)]
    assert [(r.station_id, r.summary) for r in preview] == [
        (r.station_id, r.summary) for r in imported
    ]
    assert _province_row(pair, target)[0] == "16681"
