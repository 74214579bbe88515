"""Records at the province belong to the station that sent them (issue 13, 8).

A ward's rows can carry the id of a record of another ward (two stations holding copies of
the same records after the 2025 ward mergers, a copied database, a hand-edited file, a
malicious officer). The province keeps a record per station and id: the same id sent by two
stations makes two independent records, whichever arrives first, each updated only by the
station that owns it. Neither station's bundle is blocked, and neither can touch the other's
record.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.core.services.profile import ProfileInput, set_up
from app.core.services.records import RecordService
from app.core.services.sync.ward import WardSync
from app.db.cipher import connect, dbapi
from app.db.engine import Database
from app.db.open import open_database
from app.i18n import _
from app.sync.keys import StationKeys
from tests.sync.bundle_pairs import PASSPHRASE, TODAY, Pair, receipt_bytes

OTHER_WARD = ProfileInput(
    province_code="40",
    ward_code="16684",
    ward_name="Công an phường Vinh Hưng",
    place_name="Vinh Hưng",
)
THIRD_WARD = ProfileInput(
    province_code="40",
    ward_code="16687",
    ward_name="Công an phường Trường Vinh",
    place_name="Trường Vinh",
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


def _enroll(pair: Pair, folder: Path, profile: ProfileInput) -> _Ward:
    """Another ward station, set up, keyed, enrolled with the pair's province, trusting it."""
    from app.sync.envelope import fingerprint
    from app.sync.trust import signing_key_id

    path = folder / "ward.sqlite"
    folder.mkdir()
    db = open_database(path)
    set_up(db, profile, today=TODAY - timedelta(days=30))
    sync = WardSync(db, now=pair.clock, author="Phạm Thị Lan")
    sync.create_keys(PASSPHRASE)
    keys = sync.unlock(PASSPHRASE)
    pair.province.enroll(sync.enrollment_request(keys))
    trust_list = pair.publish()
    sync.import_trust_list(
        trust_list.read_bytes(),
        confirm_fingerprint=fingerprint(signing_key_id(pair.province_keys.public.signing)),
    )
    return _Ward(db, sync, keys)


@pytest.fixture
def two_wards(pair: Pair, tmp_path: Path) -> Iterator[tuple[Pair, _Ward]]:
    """The pair's ward (16681) and a second ward (16684), both enrolled with the province."""
    other = _enroll(pair, tmp_path / "other", OTHER_WARD)
    yield pair, other
    other.db.close()


def _take_id(
    ward: _Ward | Database, record_id: int, foreign_uuid: str, table: str = "outreach_sessions"
) -> None:
    """Give a ward's record the id of another record, as two stations holding copies of the
    same records, a copied or a hand-edited database would."""
    db = ward.db if isinstance(ward, _Ward) else ward
    db.engine.dispose()
    db.write_engine.dispose()
    with closing(connect(db.path)) as raw, raw:
        raw.execute(f"UPDATE {table} SET uuid = ? WHERE id = ?", (foreign_uuid, record_id))


def _province_row(pair: Pair, record_uuid: str, unit: str = "16681") -> tuple[Any, ...]:
    """(unit code, place, attendance, deleted, owning station) of ``unit``'s record."""
    with closing(connect(pair.province_db.path, readonly=True)) as raw, raw:
        row = raw.execute(
            "SELECT u.code, s.place, s.attendance, s.deleted_at IS NOT NULL "
            "FROM outreach_sessions s JOIN units u ON u.id = s.owner_unit_id "
            "WHERE s.uuid = ? AND u.code = ?",
            (record_uuid, unit),
        ).fetchone()
        owner = raw.execute(
            "SELECT station_id FROM sync_versions WHERE record_uuid = ? AND station_id = ?",
            (record_uuid, unit),
        ).fetchone()
    assert row is not None and owner is not None
    return (*row, owner[0])


def _holders(pair: Pair, record_uuid: str) -> list[str]:
    """The units whose record at the province has this id, and the stations holding a version
    of it: each unit once, each with its own station."""
    with closing(connect(pair.province_db.path, readonly=True)) as raw, raw:
        units = raw.execute(
            "SELECT u.code FROM outreach_sessions s JOIN units u ON u.id = s.owner_unit_id "
            "WHERE s.uuid = ? ORDER BY u.code",
            (record_uuid,),
        ).fetchall()
        stations = raw.execute(
            "SELECT station_id FROM sync_versions WHERE record_uuid = ? ORDER BY station_id",
            (record_uuid,),
        ).fetchall()
    assert units == stations
    return [code for (code,) in units]


def _first_wards_session(pair: Pair) -> tuple[int, str]:
    records = RecordService(pair.ward_db, author="Nguyễn Văn An", today=lambda: TODAY)
    (row,) = records.fetch("sessions", records.list_ids("sessions")[:1])
    return row.id, row.uuid


def _set_attendance(records: RecordService, record_id: int, attendance: int) -> None:
    (row,) = records.fetch("sessions", [record_id])
    records.update("sessions", record_id, {**row.values, "attendance": attendance})


def _first_ward_updates(pair: Pair, own_id: int, attendance: int) -> None:
    records = RecordService(pair.ward_db, author="Nguyễn Văn An", today=lambda: TODAY)
    _set_attendance(records, own_id, attendance)
    (update,) = pair.import_(pair.export())
    assert update.outcome == "new" and update.summary["conflict"] == 0
    assert update.summary["updated"] == 1 and update.summary["new"] == 0


def test_a_foreign_id_makes_the_senders_own_record(two_wards: tuple[Pair, _Ward]) -> None:
    """The first ward's record arrives, then the second ward's row with its id."""
    pair, other = two_wards
    (first,) = pair.import_(pair.export())
    assert first.outcome == "new" and first.summary["conflict"] == 0
    pair.ward.import_receipt(receipt_bytes(first))
    own_id, target = _first_wards_session(pair)
    held = _province_row(pair, target)
    assert held[0] == "16681" and held[-1] == "16681"

    created = other.records().create("sessions", SESSION)
    other.records().create("sessions", {**SESSION, "place": "Nhà văn hoá khối 8"})
    _take_id(other, created.created[0], target)
    (sent,) = pair.import_(other.sync.export(pair.stick, other.keys).path)

    # the sender's whole bundle is applied: the row is its own record, not a conflict
    assert sent.outcome == "new", sent.reason
    assert sent.summary["new"] == 2 and sent.summary["conflict"] == 0
    assert sent.summary["conflicts"] == []
    receipt = other.sync.import_receipt(receipt_bytes(sent))
    assert receipt.status == "accepted"
    assert _holders(pair, target) == ["16681", "16684"]
    assert _province_row(pair, target, "16684") == (
        "16684",
        "Nhà văn hoá khối 7",
        40,
        0,
        "16684",
    )
    # the first ward's record is untouched, and still its own; it can still update it
    assert _province_row(pair, target) == held
    _first_ward_updates(pair, own_id, 321)
    assert _province_row(pair, target)[:3] == ("16681", held[1], 321)
    assert _province_row(pair, target, "16684")[2] == 40


def test_the_sender_cannot_take_the_id_over_with_a_later_version(
    two_wards: tuple[Pair, _Ward],
) -> None:
    """However high the sender's counter, and whether it updates or deletes the row, it
    changes its own record only."""
    pair, other = two_wards
    (first,) = pair.import_(pair.export())
    _own_id, target = _first_wards_session(pair)
    held = _province_row(pair, target)
    records = other.records()
    created = records.create("sessions", SESSION)
    for attendance in range(50, 60):  # push its counter past the first ward's
        _set_attendance(records, created.created[0], attendance)
    records.delete("sessions", created.created[0])
    _take_id(other, created.created[0], target)
    (sent,) = pair.import_(other.sync.export(pair.stick, other.keys).path)
    assert sent.outcome == "new" and sent.summary["conflict"] == 0
    assert _province_row(pair, target) == held
    assert _province_row(pair, target, "16684")[2:] == (59, 1, "16684")
    assert first.outcome == "new"


def test_in_one_batch_both_records_arrive_and_the_preview_says_so(
    two_wards: tuple[Pair, _Ward],
) -> None:
    """Both wards' bundles in one import: each ward's record with the same id arrives as its
    own, in the preview exactly as in the import."""
    pair, other = two_wards
    _own_id, target = _first_wards_session(pair)
    created = other.records().create("sessions", SESSION)
    _take_id(other, created.created[0], target)
    own_bundle = pair.export()
    foreign_bundle = other.sync.export(pair.stick, other.keys).path
    preview = pair.import_(own_bundle, foreign_bundle, dry_run=True)
    imported = pair.import_(own_bundle, foreign_bundle)
    shown = [(r.station_id, r.outcome, r.summary["conflict"]) for r in imported]
    assert sorted(shown) == [("16681", "new", 0), ("16684", "new", 0)]
    assert [(r.station_id, r.summary) for r in preview] == [
        (r.station_id, r.summary) for r in imported
    ]
    assert _holders(pair, target) == ["16681", "16684"]
    assert _province_row(pair, target, "16684")[1:3] == ("Nhà văn hoá khối 7", 40)


def test_a_foreign_id_arriving_first_does_not_block_the_owner(
    two_wards: tuple[Pair, _Ward], tmp_path: Path
) -> None:
    """The second ward's row with the first ward's id reaches the province before the first
    ward's own bundle: the first ward's record still arrives as its own (not a conflict), and
    each ward, and only it, updates its record; a third ward sending the id changes neither."""
    pair, other = two_wards
    own_id, target = _first_wards_session(pair)
    created = other.records().create("sessions", SESSION)
    _take_id(other, created.created[0], target)
    (early,) = pair.import_(other.sync.export(pair.stick, other.keys).path)
    assert early.outcome == "new" and early.summary["conflict"] == 0
    other.sync.import_receipt(receipt_bytes(early))
    assert _holders(pair, target) == ["16684"]

    (own,) = pair.import_(pair.export())
    assert own.outcome == "new", own.reason
    assert own.summary["conflict"] == 0 and own.summary["conflicts"] == []
    assert pair.ward.import_receipt(receipt_bytes(own)).status == "accepted"
    assert _holders(pair, target) == ["16681", "16684"]
    held = _province_row(pair, target)
    assert held[0] == "16681" and held[-1] == "16681" and held[1] != SESSION["place"]
    foreign = _province_row(pair, target, "16684")
    assert foreign == ("16684", "Nhà văn hoá khối 7", 40, 0, "16684")

    # each station updates its own record, and only its own
    _first_ward_updates(pair, own_id, 321)
    assert _province_row(pair, target) == (*held[:2], 321, *held[3:])
    assert _province_row(pair, target, "16684") == foreign
    _set_attendance(other.records(), created.created[0], 77)
    (later,) = pair.import_(other.sync.export(pair.stick, other.keys).path)
    assert later.summary["updated"] == 1 and later.summary["conflict"] == 0
    assert _province_row(pair, target, "16684")[2] == 77
    assert _province_row(pair, target)[2] == 321

    # a third station's row with the id, at a far higher version, is its own record only
    third = _enroll(pair, tmp_path / "third", THIRD_WARD)
    try:
        records = third.records()
        made = records.create("sessions", {**SESSION, "place": "Nhà văn hoá khối 9"})
        for attendance in range(900, 920):
            _set_attendance(records, made.created[0], attendance)
        _take_id(third, made.created[0], target)
        (stranger,) = pair.import_(third.sync.export(pair.stick, third.keys).path)
    finally:
        third.db.close()
    assert stranger.outcome == "new" and stranger.summary["conflict"] == 0
    assert stranger.summary["updated"] == 0
    assert _holders(pair, target) == ["16681", "16684", "16687"]
    assert _province_row(pair, target)[2] == 321
    assert _province_row(pair, target, "16684")[2] == 77
    assert _province_row(pair, target, "16687")[1:3] == ("Nhà văn hoá khối 9", 919)


def test_an_id_sent_again_for_another_kind_is_the_senders_conflict(pair: Pair) -> None:
    """A station's own id used for a record of another kind: that row is its conflict, said in
    Vietnamese and naming the kind; the rest of the bundle is applied."""
    (first,) = pair.import_(pair.export())
    pair.ward.import_receipt(receipt_bytes(first))
    _own_id, target = _first_wards_session(pair)
    records = RecordService(pair.ward_db, author="Nguyễn Văn An", today=lambda: TODAY)
    (team_id,) = records.list_ids("teams")[:1]
    _take_id(pair.ward_db, team_id, target, "fire_safety_teams")
    records = RecordService(pair.ward_db, author="Nguyễn Văn An", today=lambda: TODAY)
    (team,) = records.fetch("teams", [team_id])
    records.update("teams", team_id, {**team.values, "households": 77})
    (report,) = pair.import_(pair.export())
    assert report.outcome == "new", report.reason
    assert report.summary["conflict"] == 1 and report.summary["updated"] == 0
    (conflict,) = report.summary["conflicts"]
    assert conflict.startswith(_("Fire-safety teams")) and target in conflict
    assert "fire_safety_teams" not in conflict and "loại khác" in conflict
    assert _holders(pair, target) == ["16681"]


def test_a_record_of_the_unit_held_without_the_stations_version_is_a_conflict(
    pair: Pair,
) -> None:
    """The province holds the unit's record but no version of it from this station: the row
    is the station's conflict, and the record is left as it is."""
    (first,) = pair.import_(pair.export())
    own_id, target = _first_wards_session(pair)
    held = _province_row(pair, target)
    pair.province_db.engine.dispose()
    pair.province_db.write_engine.dispose()
    with closing(connect(pair.province_db.path)) as raw, raw:
        raw.execute("DELETE FROM sync_versions WHERE record_uuid = ?", (target,))
    records = RecordService(pair.ward_db, author="Nguyễn Văn An", today=lambda: TODAY)
    _set_attendance(records, own_id, 555)
    (report,) = pair.import_(pair.export())
    assert first.outcome == report.outcome == "new"
    assert report.summary["conflict"] == 1 and report.summary["updated"] == 0
    (conflict,) = report.summary["conflicts"]
    assert conflict.startswith(_("Outreach sessions")) and target in conflict
    assert "không do trạm này gửi" in conflict
    with closing(connect(pair.province_db.path, readonly=True)) as raw, raw:
        row = raw.execute(
            "SELECT attendance FROM outreach_sessions WHERE uuid = ?", (target,)
        ).fetchone()
    assert row == (held[2],)


FROZEN_0006 = Path(__file__).parent.parent / "data" / "db" / "0006.sqlite"


def _all_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with closing(connect(path, readonly=True)) as raw:
        tables = raw.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'alembic_version'"
        ).fetchall()
        return {
            name: sorted(raw.execute(f"SELECT * FROM {name}").fetchall(), key=repr)
            for (name,) in tables
        }


def test_the_upgrade_keeps_every_row_and_lets_two_units_hold_one_id(tmp_path: Path) -> None:
    """Migration 0007 rebuilds the synced tables (and sets aside the rows naming them, an
    assessment's items and events): every row comes back, every reference holds, and the
    uuid is unique per unit from then on."""
    copy = tmp_path / "0006.sqlite"
    shutil.copy(FROZEN_0006, copy)
    before = _all_rows(copy)
    assert before["assessment_items"] and before["assessment_events"]
    open_database(copy).close()
    after = _all_rows(copy)
    # tables of later revisions start empty (0008: the province's bundle archive)
    assert {name: after.pop(name) for name in set(after) - set(before)} == {
        "sync_bundle_archive": []
    }
    # sync_versions (empty at a ward) is rebuilt with its new key, the rest row for row
    assert after == before
    with closing(connect(copy)) as raw, raw:
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
        raw.execute(
            "INSERT INTO units (uuid, code, name, kind, valid_from, created_at, "
            "updated_at, place_name) SELECT 'u2', '16699', 'Công an phường X', kind, "
            "valid_from, created_at, updated_at, '' FROM units LIMIT 1"
        )
        other_unit = raw.execute("SELECT id FROM units WHERE uuid = 'u2'").fetchone()[0]
        columns = [row[1] for row in raw.execute("PRAGMA table_info(outreach_sessions)")]
        copied = ", ".join("?" if c == "owner_unit_id" else c for c in columns if c != "id")
        names = ", ".join(c for c in columns if c != "id")
        first = "(SELECT id FROM outreach_sessions ORDER BY id LIMIT 1)"
        raw.execute(
            f"INSERT INTO outreach_sessions ({names}) SELECT {copied} FROM outreach_sessions "
            f"WHERE id = {first}",
            (other_unit,),
        )
        with pytest.raises(dbapi().IntegrityError, match="UNIQUE"):
            raw.execute(
                f"INSERT INTO outreach_sessions ({names}) SELECT {names} FROM "
                f"outreach_sessions WHERE id = {first}"
            )
