"""Field parsing and validation rules of every record kind."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.core.domain.errors import ValidationError
from app.core.domain.record_values import parse_value, validate
from app.core.domain.records import CAMERAS, KINDS, OFFICERS, SESSIONS, TEAMS, RecordKind
from app.i18n import _

TODAY = date(2026, 11, 23)

VALID: dict[str, dict[str, Any]] = {
    "sessions": {
        "held_on": date(2026, 11, 2),
        "topic": "pccc_cnch",
        "place": "Nhà văn hoá khối 3",
        "audience": "Nhân dân khối 3",
        "attendance": 85,
        "presenter": "Lê Văn Hùng",
    },
    "teams": {
        "name": "Tổ liên gia số 1",
        "households": 8,
        "leader": "Trần Thị Lan",
        "area": "Khối 2",
        "status": "active",
    },
    "fire_points": {"location": "Số 12 Lê Lợi", "equipment": "2 bình bột 8 kg", "status": "ready"},
    "cameras": {
        "address": "Số 5 Quang Trung",
        "owner_type": "household",
        "status": "working",
        "linked_to_police": True,
    },
    "models": {
        "model_type": "zalo_group",
        "name": "Nhóm Zalo an ninh khối 4",
        "members": 40,
        "status": "active",
    },
    "officers": {"full_name": "Phạm Văn Thắng", "rank": "thieu_ta", "position": "chief"},
}


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.code)
def test_valid_example_passes(kind: RecordKind) -> None:
    values = validate(kind, VALID[kind.code], TODAY)
    assert set(values) == set(kind.field_names)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.code)
def test_every_required_field_is_enforced_with_its_label(kind: RecordKind) -> None:
    for spec in kind.fields:
        if not spec.required:
            continue
        raw = dict(VALID[kind.code])
        raw[spec.name] = None
        with pytest.raises(ValidationError) as caught:
            validate(kind, raw, TODAY)
        assert set(caught.value.field_errors) == {spec.name}
        assert _(spec.label) in caught.value.field_errors[spec.name]


def test_dates_in_the_future_are_refused() -> None:
    raw = dict(VALID["sessions"], held_on=date(2026, 11, 24))
    with pytest.raises(ValidationError) as caught:
        validate(SESSIONS, raw, TODAY)
    assert list(caught.value.field_errors) == ["held_on"]


def test_dates_before_1975_are_refused() -> None:
    raw = dict(VALID["teams"], established_on=date(1960, 1, 1))
    with pytest.raises(ValidationError) as caught:
        validate(TEAMS, raw, TODAY)
    assert "1975" in caught.value.field_errors["established_on"]


def test_counts_must_not_be_negative_and_attendance_plausible() -> None:
    with pytest.raises(ValidationError) as negative:
        validate(SESSIONS, dict(VALID["sessions"], attendance=-5), TODAY)
    assert "attendance" in negative.value.field_errors
    with pytest.raises(ValidationError) as huge:
        validate(SESSIONS, dict(VALID["sessions"], attendance=12000), TODAY)
    assert "12000" in huge.value.field_errors["attendance"]
    with pytest.raises(ValidationError):
        validate(TEAMS, dict(VALID["teams"], households=1), TODAY)


def test_coordinates_come_in_pairs_and_inside_vietnam() -> None:
    with pytest.raises(ValidationError) as half:
        validate(CAMERAS, dict(VALID["cameras"], latitude=18.67), TODAY)
    assert list(half.value.field_errors) == ["longitude"]
    with pytest.raises(ValidationError) as outside:
        validate(CAMERAS, dict(VALID["cameras"], latitude=48.8, longitude=2.3), TODAY)
    assert set(outside.value.field_errors) == {"latitude", "longitude"}
    ok = validate(CAMERAS, dict(VALID["cameras"], latitude="18,675", longitude="105,68"), TODAY)
    assert ok["latitude"] == pytest.approx(18.675)


def test_phone_numbers_are_checked() -> None:
    with pytest.raises(ValidationError):
        validate(OFFICERS, dict(VALID["officers"], phone="abc"), TODAY)
    assert validate(OFFICERS, dict(VALID["officers"], phone="0912 345 678"), TODAY)["phone"]


def test_spreadsheet_style_values_parse() -> None:
    held_on = SESSIONS.field("held_on")
    attendance = SESSIONS.field("attendance")
    topic = SESSIONS.field("topic")
    linked = CAMERAS.field("linked_to_police")
    assert parse_value(held_on, "05/03/2024") == date(2024, 3, 5)
    assert parse_value(held_on, "2024-03-05") == date(2024, 3, 5)
    assert parse_value(attendance, "1.234") == 1234
    assert parse_value(attendance, 85.0) == 85
    assert parse_value(topic, _("Drug prevention")) == "drugs"
    assert parse_value(topic, "drugs") == "drugs"
    assert parse_value(linked, "Có") is True
    assert parse_value(linked, "không") is False
    with pytest.raises(ValueError):
        parse_value(attendance, "tám mươi")
    with pytest.raises(ValueError):
        parse_value(attendance, 12.5)
    with pytest.raises(ValueError):
        parse_value(held_on, "31/02/2024")


def test_text_is_stored_nfc_and_trimmed() -> None:
    import unicodedata

    raw = dict(VALID["teams"], name=unicodedata.normalize("NFD", "  Tổ liên gia   số 1 "))
    assert validate(TEAMS, raw, TODAY)["name"] == "Tổ liên gia số 1"


def test_the_sidebar_titles_follow_the_record_kinds() -> None:
    from app.core.domain.kind_titles import KIND_TITLES

    assert [(k.code, k.title, k.singular) for k in KINDS] == [
        (code, title, singular) for code, (title, singular) in KIND_TITLES.items()
    ]
