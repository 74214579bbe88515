"""Record use cases through the service, on a real SQLite file."""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

import pytest

from app.core.domain.errors import NotFound, ValidationError
from app.core.domain.records import KINDS, ListQuery, kind_by_code
from app.core.services.records import RecordService
from app.db import cipher
from app.db.engine import Database
from tests.core.test_records import VALID

EDITS: dict[str, dict[str, Any]] = {
    "sessions": {"attendance": 120},
    "teams": {"households": 11},
    "fire_points": {"status": "needs_refill"},
    "cameras": {"linked_to_police": False},
    "models": {"members": 55},
    "officers": {"rank": "trung_ta"},
}


def _counter(db: Database) -> int:
    with cipher.dbapi().connect(db.path) as raw:
        return int(raw.execute("SELECT value FROM change_counter").fetchone()[0])


@pytest.mark.parametrize("code", [k.code for k in KINDS])
def test_create_edit_delete_restore_every_kind(service: RecordService, code: str) -> None:
    created = service.create(code, VALID[code])
    record_id = created.created[0]
    row = service.get(code, record_id)
    assert row.values == {
        **{n: None for n in kind_by_code(code).field_names},
        **{k: v for k, v in row.values.items() if v is not None},
    }
    for name, value in VALID[code].items():
        assert row.values[name] == value
    assert row.updated_by == "Nguyễn Văn An"
    assert len(row.uuid) == 36

    edited = service.update(code, record_id, {**VALID[code], **EDITS[code]})
    assert edited.updated == (record_id,)
    after = service.get(code, record_id)
    for name, value in EDITS[code].items():
        assert after.values[name] == value
    assert after.change_seq > row.change_seq

    deleted = service.delete(code, record_id)
    assert deleted.deleted == (record_id,)
    assert service.list_ids(code) == []
    assert service.list_ids(code, ListQuery(include_deleted=True)) == [record_id]
    with pytest.raises(NotFound):
        service.update(code, record_id, VALID[code])

    restored = service.restore(code, record_id)
    assert restored.created == (record_id,)
    assert service.list_ids(code) == [record_id]


@pytest.mark.parametrize("code", [k.code for k in KINDS])
def test_invalid_input_is_refused_and_nothing_is_written(
    service: RecordService, db: Database, code: str
) -> None:
    kind = kind_by_code(code)
    required = next(spec.name for spec in kind.fields if spec.required)
    before = _counter(db)
    with pytest.raises(ValidationError) as caught:
        service.create(code, {**VALID[code], required: ""})
    assert required in caught.value.field_errors
    assert service.count(code) == 0
    assert _counter(db) == before


def test_change_counter_bumps_on_insert_update_delete(service: RecordService, db: Database) -> None:
    seen = [_counter(db)]
    first = service.create("teams", VALID["teams"])
    seen.append(_counter(db))
    service.update("teams", first.created[0], {**VALID["teams"], "households": 9})
    seen.append(_counter(db))
    service.delete("teams", first.created[0])
    seen.append(_counter(db))
    batch = service.create_many(
        "cameras", [VALID["cameras"], {**VALID["cameras"], "address": "Số 7 Lê Lợi"}]
    )
    seen.append(_counter(db))
    assert seen == sorted(set(seen)), "the counter must strictly increase"
    assert seen[-1] - seen[-2] == 2, "each row of a batch gets its own number"
    rows = service.fetch("cameras", list(batch.created))
    assert sorted(r.change_seq for r in rows) == [seen[-1] - 1, seen[-1]]


def test_saving_unchanged_values_does_not_bump_the_counter(
    service: RecordService, db: Database
) -> None:
    record_id = service.create("teams", VALID["teams"]).created[0]
    before = _counter(db)
    change = service.update("teams", record_id, VALID["teams"])
    assert change.updated == ()
    assert _counter(db) == before


def test_nfd_input_is_stored_as_nfc(service: RecordService, db: Database) -> None:
    nfd = unicodedata.normalize("NFD", "Tổ liên gia an toàn PCCC Trường Thi")
    record_id = service.create("teams", {**VALID["teams"], "name": nfd}).created[0]
    with cipher.dbapi().connect(db.path) as raw:
        stored = raw.execute(
            "SELECT name FROM fire_safety_teams WHERE id = ?", (record_id,)
        ).fetchone()[0]
    assert stored == unicodedata.normalize("NFC", nfd)
    assert unicodedata.is_normalized("NFC", stored)


def test_search_is_tone_insensitive(service: RecordService) -> None:
    names = ["Nguyễn Văn Hòa", "Trần Thị Thủy", "Lê Văn Đức"]
    for name in names:
        service.create("officers", {**VALID["officers"], "full_name": name})

    def found(text: str) -> list[str]:
        ids = service.list_ids("officers", ListQuery(search=text))
        return [r.values["full_name"] for r in service.fetch("officers", ids)]

    assert found("nguyen") == ["Nguyễn Văn Hòa"]
    assert found("hoà") == ["Nguyễn Văn Hòa"]
    assert found("THUỶ") == ["Trần Thị Thủy"]
    assert found("duc") == ["Lê Văn Đức"]
    assert found("van") == ["Lê Văn Đức", "Nguyễn Văn Hòa"]
    assert found("50%") == []


def test_search_matches_catalogue_labels(service: RecordService) -> None:
    service.create("sessions", VALID["sessions"])
    service.create("sessions", {**VALID["sessions"], "topic": "drugs", "place": "Chợ Vinh"})
    ids = service.list_ids("sessions", ListQuery(search="ma tuy"))
    assert [r.values["topic"] for r in service.fetch("sessions", ids)] == ["drugs"]


def test_sorting_follows_vietnamese_collation(service: RecordService) -> None:
    for name in ["Đặng Văn Ơn", "Dương Thị Út", "Ánh Văn Zô", "Anh Văn Bình", "Ông Văn Ưng"]:
        service.create("officers", {**VALID["officers"], "full_name": name})
    ascending = service.fetch(
        "officers", service.list_ids("officers", ListQuery(sort_field="full_name"))
    )
    assert [r.values["full_name"] for r in ascending] == [
        "Anh Văn Bình",
        "Ánh Văn Zô",
        "Dương Thị Út",
        "Đặng Văn Ơn",
        "Ông Văn Ưng",
    ]
    descending = service.list_ids("officers", ListQuery(sort_field="full_name", descending=True))
    assert descending == [r.id for r in reversed(ascending)]


def test_sorting_by_date_and_number(service: RecordService) -> None:
    days = [date(2026, 3, 1), date(2025, 12, 31), date(2026, 11, 1)]
    for n, day in enumerate(days):
        service.create("sessions", {**VALID["sessions"], "held_on": day, "attendance": 50 - n})
    by_date = service.fetch(
        "sessions", service.list_ids("sessions", ListQuery(sort_field="held_on"))
    )
    assert [r.values["held_on"] for r in by_date] == sorted(days)
    default = service.fetch("sessions", service.list_ids("sessions"))
    assert [r.values["held_on"] for r in default] == sorted(days, reverse=True)
    by_count = service.fetch(
        "sessions", service.list_ids("sessions", ListQuery(sort_field="attendance"))
    )
    assert [r.values["attendance"] for r in by_count] == [48, 49, 50]


def test_records_belong_to_the_station_unit(service: RecordService, db: Database) -> None:
    record_id = service.create("cameras", VALID["cameras"]).created[0]
    with cipher.dbapi().connect(db.path) as raw:
        owner = raw.execute(
            "SELECT owner_unit_id FROM cameras WHERE id = ?", (record_id,)
        ).fetchone()[0]
        kind = raw.execute("SELECT kind, code FROM units WHERE id = ?", (owner,)).fetchone()
    assert kind == ("ward_police", "16681")


def test_hard_delete_is_refused(db: Database, service: RecordService) -> None:
    from app.db.models import FireSafetyTeam

    record_id = service.create("teams", VALID["teams"]).created[0]
    with pytest.raises(RuntimeError, match="soft-deleted"), db.write() as session:
        session.delete(session.get(FireSafetyTeam, record_id))
    assert service.count("teams") == 1


def test_a_cancelled_batch_saves_nothing(service: RecordService, db: Database) -> None:
    from app.core.domain.errors import Cancelled
    from app.core.domain.progress import CancelToken

    token = CancelToken()
    token.cancel()
    before = _counter(db)
    rows = [{**VALID["cameras"], "address": f"Số {n} Lê Lợi"} for n in range(500)]
    with pytest.raises(Cancelled):
        service.create_many("cameras", rows, cancel=token)
    assert service.count("cameras") == 0
    assert _counter(db) == before


def test_a_name_does_not_match_a_catalogue_label(service: RecordService) -> None:
    service.create("sessions", {**VALID["sessions"], "presenter": "Lê Thị Hồng"})
    service.create("sessions", {**VALID["sessions"], "presenter": "Trần Văn Nam"})
    found = service.fetch("sessions", service.list_ids("sessions", ListQuery(search="Hồng")))
    assert [r.values["presenter"] for r in found] == ["Lê Thị Hồng"]
    service.create("teams", {**VALID["teams"], "name": "Tổ liên gia Đông Vĩnh"})
    service.create("teams", {**VALID["teams"], "name": "Tổ liên gia số 2"})
    teams = service.fetch("teams", service.list_ids("teams", ListQuery(search="Đông")))
    assert [r.values["name"] for r in teams] == ["Tổ liên gia Đông Vĩnh"]


def test_search_including_deleted_records(service: RecordService) -> None:
    record_id = service.create("teams", VALID["teams"]).created[0]
    service.delete("teams", record_id)
    query = ListQuery(search="lien gia", include_deleted=True)
    assert service.list_ids("teams", query) == [record_id]
    assert service.list_ids("teams", ListQuery(search="lien gia")) == []
