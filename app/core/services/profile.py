"""The station's own unit and its province: first-run set-up and the ward profile."""

from __future__ import annotations

import csv
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.domain.errors import UserFacingError, ValidationError
from app.core.domain.text import clean
from app.db.engine import Database
from app.db.models import AppMeta, Unit
from app.i18n import _
from app.paths import resources_dir

OWN_UNIT_KEY = "own_unit_id"
INSTANCE_KEY = "instance_id"
SETUP_AT_KEY = "set_up_at"
DEMO_KEY = "demo"


@dataclass(frozen=True)
class Province:
    code: str
    name: str
    is_city: bool

    @property
    def police_name(self) -> str:
        prefix = "Công an thành phố" if self.is_city else "Công an tỉnh"
        return f"{prefix} {self.name}"


@dataclass(frozen=True)
class UnitInfo:
    id: int
    code: str
    name: str
    kind: str
    place_name: str


@dataclass(frozen=True)
class StationProfile:
    unit: UnitInfo
    province: UnitInfo
    instance_id: str
    is_demo: bool = False


@dataclass(frozen=True)
class ProfileInput:
    province_code: str
    ward_code: str
    ward_name: str
    place_name: str
    unit_kind: str = "ward_police"


def provinces() -> list[Province]:
    """The 34 provinces and centrally-run cities of QĐ 19/2025/QĐ-TTg."""
    path = resources_dir() / "data" / "provinces.csv"
    with path.open(encoding="utf-8") as handle:
        return [
            Province(row["code"], row["name"], row["kind"] == "city")
            for row in csv.DictReader(handle)
        ]


def _province(code: str) -> Province | None:
    return next((p for p in provinces() if p.code == code), None)


def validate_profile(data: ProfileInput) -> ProfileInput:
    errors: dict[str, str] = {}
    if _province(data.province_code) is None:
        errors["province_code"] = _("Choose the province from the list.")
    ward_code = clean(data.ward_code)
    if not re.fullmatch(r"\d{5}", ward_code):
        errors["ward_code"] = _(
            "The commune-level unit code has exactly 5 digits (QĐ 19/2025/QĐ-TTg), e.g. 16681."
        )
    ward_name = clean(data.ward_name)
    if len(ward_name) < 3:
        errors["ward_name"] = _("Enter the full name of the unit, e.g. Công an phường Trường Vinh.")
    place_name = clean(data.place_name)
    if not place_name:
        errors["place_name"] = _("Enter the place name printed on documents, e.g. Trường Vinh.")
    if errors:
        raise ValidationError(errors)
    return ProfileInput(data.province_code, ward_code, ward_name, place_name, data.unit_kind)


def _meta(session: Session, key: str) -> str | None:
    row = session.get(AppMeta, key)
    return row.value if row else None


def is_set_up(db: Database) -> bool:
    with db.read() as session:
        return _meta(session, OWN_UNIT_KEY) is not None


def set_up(
    db: Database, data: ProfileInput, today: date | None = None, *, demo: bool = False
) -> StationProfile:
    """Create the province and ward units and remember which one this station is.

    ``demo`` marks a training database, so every screen can say the data is not real.
    """
    data = validate_profile(data)
    province = _province(data.province_code)
    assert province is not None
    now = datetime.now(UTC)
    valid_from = today or date.today()
    with db.write() as session:
        if _meta(session, OWN_UNIT_KEY) is not None:
            raise UserFacingError(_("This station is already set up."))
        parent = Unit(
            uuid=str(uuid.uuid4()),
            code=province.code,
            name=province.police_name,
            kind="province_police",
            parent_id=None,
            place_name=province.name,
            valid_from=valid_from,
            created_at=now,
            updated_at=now,
        )
        session.add(parent)
        session.flush()
        own = Unit(
            uuid=str(uuid.uuid4()),
            code=data.ward_code,
            name=data.ward_name,
            kind=data.unit_kind,
            parent_id=parent.id,
            place_name=data.place_name,
            valid_from=valid_from,
            created_at=now,
            updated_at=now,
        )
        session.add(own)
        session.flush()
        session.add(AppMeta(key=OWN_UNIT_KEY, value=str(own.id)))
        session.add(AppMeta(key=INSTANCE_KEY, value=str(uuid.uuid4())))
        session.add(AppMeta(key=SETUP_AT_KEY, value=now.isoformat()))
        if demo:
            session.add(AppMeta(key=DEMO_KEY, value="1"))
    return load(db)


def set_up_province(
    db: Database, province_code: str, today: date | None = None, *, demo: bool = False
) -> StationProfile:
    """Set this station up as the provincial police: it receives the wards' bundles.

    The province unit is its own "province" in the profile; ward units are added as wards
    enroll. A ``demo`` province is for training: it accepts only demo wards' bundles, and a
    real province refuses those.
    """
    province = _province(province_code)
    if province is None:
        raise ValidationError({"province_code": _("Choose the province from the list.")})
    now = datetime.now(UTC)
    with db.write() as session:
        if _meta(session, OWN_UNIT_KEY) is not None:
            raise UserFacingError(_("This station is already set up."))
        unit = Unit(
            uuid=str(uuid.uuid4()),
            code=province.code,
            name=province.police_name,
            kind="province_police",
            parent_id=None,
            place_name=province.name,
            valid_from=today or date.today(),
            created_at=now,
            updated_at=now,
        )
        session.add(unit)
        session.flush()
        session.add(AppMeta(key=OWN_UNIT_KEY, value=str(unit.id)))
        session.add(AppMeta(key=INSTANCE_KEY, value=str(uuid.uuid4())))
        session.add(AppMeta(key=SETUP_AT_KEY, value=now.isoformat()))
        if demo:
            session.add(AppMeta(key=DEMO_KEY, value="1"))
    return load(db)


def is_province(station: StationProfile) -> bool:
    return station.unit.kind == "province_police"


def _info(unit: Unit) -> UnitInfo:
    return UnitInfo(unit.id, unit.code, unit.name, unit.kind, unit.place_name)


def load(db: Database) -> StationProfile:
    with db.read() as session:
        own_id = _meta(session, OWN_UNIT_KEY)
        if own_id is None:
            raise UserFacingError(_("This station has not been set up yet."))
        own = session.get(Unit, int(own_id))
        assert own is not None
        # a province station is its own province
        parent = session.get(Unit, own.parent_id) if own.parent_id is not None else own
        assert parent is not None
        instance = _meta(session, INSTANCE_KEY) or ""
        demo = _meta(session, DEMO_KEY) == "1"
        return StationProfile(_info(own), _info(parent), instance, demo)


def own_unit_id(db: Database) -> int:
    with db.read() as session:
        value = session.execute(
            select(AppMeta.value).where(AppMeta.key == OWN_UNIT_KEY)
        ).scalar_one_or_none()
    if value is None:
        raise UserFacingError(_("This station has not been set up yet."))
    return int(value)
