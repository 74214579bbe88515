"""What each kind of ward record holds: fields, catalogues, identity and its extra rules (the
parsing and checking of values: ``app.core.domain.record_values``).

One ``RecordKind`` per table drives the services, the Qt table and form, the spreadsheet
import and the Excel export, so the rules for a field live in exactly one place.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from app.core.domain import catalogues as cat
from app.core.domain.kind_titles import KIND_TITLES
from app.i18n import N_, _

EARLIEST_DATE = date(1975, 1, 1)


class FieldType(enum.Enum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    INT = "int"
    FLOAT = "float"
    DATE = "date"
    BOOL = "bool"
    CHOICE = "choice"


@dataclass(frozen=True)
class FieldSpec:
    """One field of a record kind. ``label`` is an English msgid, translated when shown."""

    name: str
    label: str
    type: FieldType
    required: bool = False
    choices: cat.Catalogue = ()
    minimum: float | None = None
    maximum: float | None = None
    max_length: int = 200
    not_future: bool = False
    aliases: tuple[str, ...] = ()
    help: str = ""

    @property
    def collated(self) -> bool:
        """Text columns keep a Vietnamese sort key column beside them."""
        return self.type is FieldType.TEXT

    def choice_label(self, code: str) -> str:
        for choice_code, label in self.choices:
            if choice_code == code:
                return _(label)
        return code


Values = Mapping[str, Any]
ExtraRule = Callable[[Values], dict[str, str]]


@dataclass(frozen=True)
class RecordKind:
    """A kind of record the ward keeps (one table)."""

    code: str
    title: str
    singular: str
    fields: tuple[FieldSpec, ...]
    identity: tuple[str, ...]
    default_sort: str
    default_descending: bool = False
    extra_rules: tuple[ExtraRule, ...] = field(default=())

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.fields)

    @property
    def listed_fields(self) -> tuple[FieldSpec, ...]:
        """The fields shown as table columns; notes and coordinates stay in form and export."""
        hidden = (FieldType.LONG_TEXT, FieldType.FLOAT)
        return tuple(spec for spec in self.fields if spec.type not in hidden)


@dataclass(frozen=True)
class RecordRow:
    """A record as the UI and CLI see it: plain values, never an ORM object."""

    kind: str
    id: int
    uuid: str
    values: Mapping[str, Any]
    created_at: datetime
    updated_at: datetime
    updated_by: str
    change_seq: int
    deleted: bool = False


@dataclass(frozen=True)
class ListQuery:
    """What a table shows: an optional search text and a sort field."""

    search: str = ""
    sort_field: str | None = None
    descending: bool = False
    include_deleted: bool = False


@dataclass(frozen=True)
class Change:
    """What a service call changed, so a screen can refresh just that."""

    kind: str
    change_seq: int
    created: tuple[int, ...] = ()
    updated: tuple[int, ...] = ()
    deleted: tuple[int, ...] = ()


# --- kind-specific rules -------------------------------------------------------------------


def _attendance_plausible(values: Values) -> dict[str, str]:
    attendance = values.get("attendance")
    if isinstance(attendance, int) and attendance > 3000:
        return {
            "attendance": _(
                "An attendance of {count} is implausible for one session; "
                "check the figure (at most 3,000)."
            ).format(count=attendance)
        }
    return {}


def _coordinates_paired(values: Values) -> dict[str, str]:
    latitude, longitude = values.get("latitude"), values.get("longitude")
    if (latitude is None) != (longitude is None):
        missing = "longitude" if longitude is None else "latitude"
        return {missing: _("Enter both latitude and longitude, or leave both empty.")}
    return {}


def _phone_digits(values: Values) -> dict[str, str]:
    phone = values.get("phone") or ""
    digits = re.sub(r"\D", "", phone)
    if phone and (not re.fullmatch(r"\+?[0-9 .\-]+", phone) or not 8 <= len(digits) <= 15):
        return {"phone": _("A phone number has 8 to 15 digits, e.g. 0912 345 678.")}
    return {}


# --- the kinds -------------------------------------------------------------------------------

_NOTES = FieldSpec("notes", N_("Notes"), FieldType.LONG_TEXT, max_length=2000, aliases=("ghi chú",))

SESSIONS = RecordKind(
    code="sessions",
    title=KIND_TITLES["sessions"][0],
    singular=KIND_TITLES["sessions"][1],
    fields=(
        FieldSpec(
            "held_on",
            N_("Date"),
            FieldType.DATE,
            required=True,
            not_future=True,
            aliases=("ngày", "ngày tổ chức", "date"),
        ),
        FieldSpec(
            "topic",
            N_("Topic"),
            FieldType.CHOICE,
            required=True,
            choices=cat.SESSION_TOPICS,
            aliases=("chủ đề", "nội dung"),
        ),
        FieldSpec(
            "place", N_("Place"), FieldType.TEXT, required=True, aliases=("địa điểm", "nơi tổ chức")
        ),
        FieldSpec(
            "audience",
            N_("Audience"),
            FieldType.TEXT,
            required=True,
            aliases=("đối tượng", "thành phần"),
        ),
        FieldSpec(
            "attendance",
            N_("Attendance"),
            FieldType.INT,
            required=True,
            minimum=1,
            maximum=100000,
            aliases=("số người", "số người tham dự", "lượt người"),
        ),
        FieldSpec(
            "presenter",
            N_("Presenter"),
            FieldType.TEXT,
            aliases=("báo cáo viên", "người trình bày"),
        ),
        _NOTES,
    ),
    identity=("held_on", "topic", "place"),
    default_sort="held_on",
    default_descending=True,
    extra_rules=(_attendance_plausible,),
)

TEAMS = RecordKind(
    code="teams",
    title=KIND_TITLES["teams"][0],
    singular=KIND_TITLES["teams"][1],
    fields=(
        FieldSpec(
            "name",
            N_("Team name"),
            FieldType.TEXT,
            required=True,
            aliases=("tên tổ", "tên", "tổ liên gia"),
        ),
        FieldSpec(
            "households",
            N_("Households"),
            FieldType.INT,
            required=True,
            minimum=2,
            maximum=200,
            aliases=("số hộ", "hộ"),
        ),
        FieldSpec(
            "leader",
            N_("Team leader"),
            FieldType.TEXT,
            required=True,
            aliases=("tổ trưởng", "người phụ trách"),
        ),
        FieldSpec(
            "area",
            N_("Area"),
            FieldType.TEXT,
            required=True,
            aliases=("địa bàn", "khu vực", "tổ dân phố"),
        ),
        FieldSpec(
            "established_on",
            N_("Established"),
            FieldType.DATE,
            not_future=True,
            aliases=("ngày thành lập", "thành lập"),
        ),
        FieldSpec(
            "status",
            N_("Status"),
            FieldType.CHOICE,
            required=True,
            choices=cat.TEAM_STATUSES,
            aliases=("tình trạng", "trạng thái"),
        ),
        _NOTES,
    ),
    identity=("name",),
    default_sort="name",
)

FIRE_POINTS = RecordKind(
    code="fire_points",
    title=KIND_TITLES["fire_points"][0],
    singular=KIND_TITLES["fire_points"][1],
    fields=(
        FieldSpec(
            "location",
            N_("Location"),
            FieldType.TEXT,
            required=True,
            aliases=("vị trí", "địa điểm", "địa chỉ"),
        ),
        FieldSpec(
            "equipment",
            N_("Equipment"),
            FieldType.TEXT,
            required=True,
            max_length=500,
            aliases=("trang bị", "phương tiện", "thiết bị"),
        ),
        FieldSpec(
            "last_inspected_on",
            N_("Last inspection"),
            FieldType.DATE,
            not_future=True,
            aliases=("kiểm tra gần nhất", "ngày kiểm tra"),
        ),
        FieldSpec(
            "status",
            N_("Status"),
            FieldType.CHOICE,
            required=True,
            choices=cat.FIRE_POINT_STATUSES,
            aliases=("tình trạng", "trạng thái"),
        ),
        _NOTES,
    ),
    identity=("location",),
    default_sort="location",
)

CAMERAS = RecordKind(
    code="cameras",
    title=KIND_TITLES["cameras"][0],
    singular=KIND_TITLES["cameras"][1],
    fields=(
        FieldSpec(
            "address",
            N_("Address"),
            FieldType.TEXT,
            required=True,
            aliases=("địa chỉ", "vị trí lắp đặt", "vị trí"),
        ),
        FieldSpec(
            "owner_type",
            N_("Owner type"),
            FieldType.CHOICE,
            required=True,
            choices=cat.CAMERA_OWNERS,
            aliases=("loại chủ sở hữu", "chủ sở hữu"),
        ),
        FieldSpec(
            "owner_name",
            N_("Owner name"),
            FieldType.TEXT,
            aliases=("tên chủ sở hữu", "chủ hộ", "đơn vị quản lý"),
        ),
        FieldSpec(
            "linked_to_police",
            N_("Linked to police"),
            FieldType.BOOL,
            aliases=("kết nối công an", "kết nối", "đã kết nối"),
        ),
        FieldSpec(
            "latitude",
            N_("Latitude"),
            FieldType.FLOAT,
            minimum=6.0,
            maximum=24.0,
            aliases=("vĩ độ",),
        ),
        FieldSpec(
            "longitude",
            N_("Longitude"),
            FieldType.FLOAT,
            minimum=102.0,
            maximum=118.0,
            aliases=("kinh độ",),
        ),
        FieldSpec(
            "installed_on",
            N_("Installed"),
            FieldType.DATE,
            not_future=True,
            aliases=("ngày lắp đặt", "lắp đặt"),
        ),
        FieldSpec(
            "status",
            N_("Status"),
            FieldType.CHOICE,
            required=True,
            choices=cat.CAMERA_STATUSES,
            aliases=("tình trạng", "trạng thái"),
        ),
        _NOTES,
    ),
    identity=("address", "owner_name"),
    default_sort="address",
    extra_rules=(_coordinates_paired,),
)

MODELS = RecordKind(
    code="models",
    title=KIND_TITLES["models"][0],
    singular=KIND_TITLES["models"][1],
    fields=(
        FieldSpec(
            "model_type",
            N_("Model type"),
            FieldType.CHOICE,
            required=True,
            choices=cat.MODEL_TYPES,
            aliases=("loại mô hình", "loại"),
        ),
        FieldSpec(
            "name", N_("Model name"), FieldType.TEXT, required=True, aliases=("tên mô hình", "tên")
        ),
        FieldSpec(
            "established_on",
            N_("Established"),
            FieldType.DATE,
            not_future=True,
            aliases=("ngày thành lập", "thành lập"),
        ),
        FieldSpec(
            "members",
            N_("Members"),
            FieldType.INT,
            minimum=0,
            maximum=100000,
            aliases=("số thành viên", "thành viên"),
        ),
        FieldSpec(
            "status",
            N_("Status"),
            FieldType.CHOICE,
            required=True,
            choices=cat.MODEL_STATUSES,
            aliases=("tình trạng", "trạng thái"),
        ),
        _NOTES,
    ),
    identity=("name",),
    default_sort="name",
)

OFFICERS = RecordKind(
    code="officers",
    title=KIND_TITLES["officers"][0],
    singular=KIND_TITLES["officers"][1],
    fields=(
        FieldSpec(
            "full_name",
            N_("Full name"),
            FieldType.TEXT,
            required=True,
            aliases=("họ và tên", "họ tên"),
        ),
        FieldSpec(
            "rank",
            N_("Rank"),
            FieldType.CHOICE,
            required=True,
            choices=cat.RANKS,
            aliases=("cấp bậc",),
        ),
        FieldSpec(
            "position",
            N_("Position"),
            FieldType.CHOICE,
            required=True,
            choices=cat.POSITIONS,
            aliases=("chức vụ",),
        ),
        FieldSpec(
            "phone",
            N_("Phone"),
            FieldType.TEXT,
            max_length=20,
            aliases=("số điện thoại", "điện thoại"),
        ),
        _NOTES,
    ),
    identity=("full_name",),
    default_sort="full_name",
    extra_rules=(_phone_digits,),
)

KINDS: tuple[RecordKind, ...] = (SESSIONS, TEAMS, FIRE_POINTS, CAMERAS, MODELS, OFFICERS)
KINDS_BY_CODE: dict[str, RecordKind] = {kind.code: kind for kind in KINDS}


def kind_by_code(code: str) -> RecordKind:
    try:
        return KINDS_BY_CODE[code]
    except KeyError:
        raise ValueError(f"unknown record kind {code!r}") from None
