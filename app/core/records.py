"""What each kind of ward record holds: fields, catalogues, identity and validation rules.

One ``RecordKind`` per table drives the services, the Qt table and form, the spreadsheet
import and the Excel export, so the rules for a field live in exactly one place.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from app.core import catalogues as cat
from app.core.errors import ValidationError
from app.core.kind_titles import KIND_TITLES
from app.core.text import clean, fold, nfc
from app.i18n import N_, _, current_language

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


# --- parsing and validation ------------------------------------------------------------------

_TRUE_WORDS = {"1", "x", "có", "co", "yes", "y", "true", "đã kết nối", "da ket noi", "rồi", "roi"}
_FALSE_WORDS = {"0", "không", "khong", "no", "n", "false", "chưa", "chua", "chưa kết nối"}
_DATE_PATTERNS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%d/%m/%y")


def _parse_date(raw: Any) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = clean(str(raw))
    for pattern in _DATE_PATTERNS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(_("{field} is not a date; write it as day/month/year, e.g. 05/03/2024."))


_INTEGER = re.compile(r"^-?(\d+|\d{1,3}([.,]\d{3})+)$")
_DECIMAL_POINT = re.compile(r"^-?\d+([.,]\d+)?$")
_DECIMAL_GROUPED = re.compile(r"^-?\d{1,3}(\.\d{3})+(,\d+)?$")


def _parse_number(raw: Any, spec: FieldSpec) -> int | float:
    if isinstance(raw, bool):
        raise ValueError(_("{field} must be a number."))
    if isinstance(raw, int | float):
        number: int | float = raw
    else:
        text = clean(str(raw)).replace(" ", "")
        if spec.type is FieldType.INT:
            if not _INTEGER.match(text):
                raise ValueError(_("{field} must be a whole number, e.g. 1234 or 1.234."))
            number = int(re.sub(r"[.,]", "", text))
        elif _DECIMAL_GROUPED.match(text):
            number = float(text.replace(".", "").replace(",", "."))
        elif _DECIMAL_POINT.match(text):
            number = float(text.replace(",", "."))
        else:
            raise ValueError(_("{field} must be a number."))
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError(_("{field} must be a number."))
    if spec.type is FieldType.INT:
        if isinstance(number, float) and not number.is_integer():
            raise ValueError(_("{field} must be a whole number, e.g. 1234 or 1.234."))
        return int(number)
    return float(number)


def _parse_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float):
        return bool(raw)
    text = clean(str(raw)).casefold()
    if text in _TRUE_WORDS:
        return True
    if text in _FALSE_WORDS:
        return False
    raise ValueError(_("{field} must be yes or no (Có/Không)."))


def _words(text: str) -> str:
    """Folded text with punctuation dropped: how choices are compared."""
    return " ".join(re.split(r"[^0-9a-z]+", fold(text))).strip()


@lru_cache(maxsize=512)
def _folded_label(label: str, language: str) -> str:
    return _words(_(label))


def _parse_choice(raw: Any, spec: FieldSpec) -> str:
    text = clean(str(raw))
    wanted = _words(text)
    language = current_language()
    for code, label in spec.choices:
        names = (
            _folded_label(label, language),
            _words(label),
            _words(code),
            *cat.CHOICE_ALIASES.get(code, ()),
        )
        if text == code or wanted in names:
            return code
    # Spreadsheets often carry the short form of a label ("Doanh nghiệp" for "Doanh nghiệp,
    # cơ sở kinh doanh"): accept a whole-word prefix when it names exactly one choice.
    prefixed = [
        code
        for code, label in spec.choices
        if wanted and f"{_folded_label(label, language)} ".startswith(f"{wanted} ")
    ]
    if len(prefixed) == 1:
        return prefixed[0]
    options = ", ".join(_(label) for _code, label in spec.choices)
    raise ValueError(
        _("{field} must be one of: {options}.").format(field="{field}", options=options)
    )


def parse_value(spec: FieldSpec, raw: Any) -> Any:
    """Turn raw input (typed widget value or spreadsheet cell) into the stored value.

    Returns ``None`` for an empty value; raises ``ValueError`` with a translated reason.
    """
    if raw is None or (isinstance(raw, str) and not clean(raw)):
        return None
    if spec.type in (FieldType.TEXT, FieldType.LONG_TEXT):
        text = clean(str(raw)) if spec.type is FieldType.TEXT else str(raw).strip()
        return nfc(text)
    if spec.type is FieldType.DATE:
        return _parse_date(raw)
    if spec.type in (FieldType.INT, FieldType.FLOAT):
        return _parse_number(raw, spec)
    if spec.type is FieldType.BOOL:
        return _parse_bool(raw)
    return _parse_choice(raw, spec)


def _check_bounds(spec: FieldSpec, value: Any, today: date) -> str | None:
    label = _(spec.label)
    if isinstance(value, str) and len(value) > spec.max_length:
        return _("{field} is too long ({length} characters; at most {limit}).").format(
            field=label, length=len(value), limit=spec.max_length
        )
    if isinstance(value, int | float) and not isinstance(value, bool):
        if spec.minimum is not None and value < spec.minimum:
            return _("{field} must be at least {minimum}.").format(
                field=label, minimum=_number(spec.minimum)
            )
        if spec.maximum is not None and value > spec.maximum:
            return _("{field} must be at most {maximum}.").format(
                field=label, maximum=_number(spec.maximum)
            )
    if isinstance(value, date):
        if spec.not_future and value > today:
            return _("{field} cannot be in the future.").format(field=label)
        if value < EARLIEST_DATE:
            return _("{field} is before 1975; check the year.").format(field=label)
    return None


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def validate(kind: RecordKind, raw: Values, today: date) -> dict[str, Any]:
    """Parse and check every field of ``raw``; return clean values or raise ``ValidationError``.

    Messages are translated and name the field, so they can sit next to it in a form or in
    the reason column of an import preview.
    """
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for spec in kind.fields:
        try:
            value = parse_value(spec, raw.get(spec.name))
        except ValueError as problem:
            errors[spec.name] = str(problem).format(field=_(spec.label))
            continue
        if value is None and spec.type is FieldType.BOOL:
            value = False
        if value is None and spec.required:
            errors[spec.name] = _("{field} is required.").format(field=_(spec.label))
            continue
        problem_text = _check_bounds(spec, value, today) if value is not None else None
        if problem_text:
            errors[spec.name] = problem_text
        values[spec.name] = value
    if not errors:
        for rule in kind.extra_rules:
            errors.update(rule(values))
    if errors:
        raise ValidationError(errors)
    return values
