"""Role enforcement at the service layer: every mutating service method refuses a role that may
not use it, before touching the database, whatever screen or command called it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import cast

import pytest

from app.core.domain.access import Actor, PermissionDenied, Role
from app.core.services import packs
from app.core.services.assessments import AssessmentService
from app.core.services.backups import BackupService
from app.core.services.indicators import IndicatorService
from app.core.services.records import RecordService
from app.core.services.sync.province.imports import ProvinceSync
from app.core.services.sync.ward import WardSync
from app.db.backups import BackupInfo
from app.db.engine import Database
from app.i18n import _
from app.paths import backups_dir
from app.sync.keys import StationKeys
from tests.conftest import NOW
from tests.core.test_records import VALID
from tests.sync.helpers import db_digest

TODAY = date(2026, 11, 23)
PACK = "bca-639-ward-police"
OFFICER = Actor("nvan", "Nguyễn Văn An", Role.OFFICER)
CHIEF = Actor("thang", "Phạm Văn Thắng", Role.CHIEF)
ADMIN = Actor("quantri", "Quản trị viên", Role.ADMIN)
ACTORS = {Role.OFFICER: OFFICER, Role.CHIEF: CHIEF, Role.ADMIN: ADMIN}
DATA_ENTRY = {Role.OFFICER, Role.CHIEF}


@pytest.fixture
def station(db: Database) -> Database:
    packs.install_bundled(db, datetime.now(UTC), "test")
    records = RecordService(db, clock=lambda: NOW, today=lambda: TODAY)
    records.create("sessions", VALID["sessions"])
    deleted = records.create("cameras", VALID["cameras"]).created[0]
    records.delete("cameras", deleted)
    indicators = IndicatorService(db, clock=lambda: NOW, today=lambda: TODAY)
    indicators.set_many(2026, 10, {"B01": 4, "B02": 3})
    indicators.lock(2026, 9)
    AssessmentService(db, clock=lambda: NOW, today=lambda: TODAY).open(PACK, 2026)
    return db


Operation = Callable[[Database, Actor], object]


def _records(db: Database, actor: Actor) -> RecordService:
    return RecordService(db, actor=actor, clock=lambda: NOW, today=lambda: TODAY)


def _indicators(db: Database, actor: Actor) -> IndicatorService:
    return IndicatorService(db, actor=actor, clock=lambda: NOW, today=lambda: TODAY)


def _assessments(db: Database, actor: Actor) -> AssessmentService:
    return AssessmentService(db, actor=actor, clock=lambda: NOW, today=lambda: TODAY)


def _first(db: Database, kind: str) -> int:
    return RecordService(db).list_ids(kind)[0]


def _deleted_camera(db: Database) -> int:
    from app.core.domain.records import ListQuery

    return RecordService(db).list_ids("cameras", ListQuery(include_deleted=True))[0]


def _assessment_id(db: Database) -> int:
    return _assessments(db, CHIEF).open(PACK, 2026).id


OPERATIONS: dict[str, tuple[Operation, set[Role]]] = {
    "record create": (
        lambda db, a: _records(db, a).create("sessions", VALID["sessions"]),
        DATA_ENTRY,
    ),
    "record create_many": (
        lambda db, a: _records(db, a).create_many("sessions", [VALID["sessions"]] * 3),
        DATA_ENTRY,
    ),
    "record import_rows": (
        lambda db, a: _records(db, a).import_rows("sessions", [VALID["sessions"]] * 2),
        DATA_ENTRY,
    ),
    "record update": (
        lambda db, a: _records(db, a).update(
            "sessions", _first(db, "sessions"), {**VALID["sessions"], "place": "Nhà văn hoá"}
        ),
        DATA_ENTRY,
    ),
    "record delete": (
        lambda db, a: _records(db, a).delete("sessions", _first(db, "sessions")),
        DATA_ENTRY,
    ),
    "record restore": (
        lambda db, a: _records(db, a).restore("cameras", _deleted_camera(db)),
        DATA_ENTRY,
    ),
    "indicator set_value": (
        lambda db, a: _indicators(db, a).set_value(2026, 10, "B01", 7),
        DATA_ENTRY,
    ),
    "indicator set_comment": (
        lambda db, a: _indicators(db, a).set_comment(2026, 10, "B01", "Đã đối chiếu sổ"),
        DATA_ENTRY,
    ),
    "indicator set_many": (
        lambda db, a: _indicators(db, a).set_many(2026, 10, {"B01": 9}),
        DATA_ENTRY,
    ),
    "indicator lock": (lambda db, a: _indicators(db, a).lock(2026, 10), {Role.CHIEF}),
    "indicator unlock": (
        lambda db, a: _indicators(db, a).unlock(2026, 9, "Sửa số liệu tháng 9"),
        {Role.CHIEF},
    ),
    "assessment open (starts one)": (
        lambda db, a: _assessments(db, a).open(PACK, 2025),
        DATA_ENTRY,
    ),
    "assessment set_item": (
        lambda db, a: _assessments(db, a).set_item(
            _assessment_id(db), "TC01", status="met", evidence="Biên bản số 12"
        ),
        DATA_ENTRY,
    ),
    "pack install": (lambda db, a: _install_bundled_again(db, a), {Role.CHIEF, Role.ADMIN}),
}


def _install_bundled_again(db: Database, actor: Actor) -> None:
    """Past the permission check, the bundled packs are already installed: nothing new."""
    with pytest.raises(packs.NothingInstalled):
        packs.install(
            db, packs.bundled_repository(), datetime.now(UTC), actor.display_name, actor=actor
        )


# Sync operations are refused before their arguments are used, so the refused cases need no
# keys; the allowed ones go past the permission check and fail later for want of keys.
NO_KEYS = cast(StationKeys, None)
SYNC_OPERATIONS: dict[str, tuple[Operation, set[Role]]] = {
    "ward export": (
        lambda db, a: WardSync(db, actor=a).export(Path("/nonexistent"), NO_KEYS),
        {Role.CHIEF},
    ),
    "ward import_receipt": (
        lambda db, a: WardSync(db, actor=a).import_receipt(b"{}"),
        {Role.CHIEF},
    ),
    "ward import_trust_list": (
        lambda db, a: WardSync(db, actor=a).import_trust_list(b"{}"),
        {Role.ADMIN},
    ),
    "ward create_keys": (
        lambda db, a: WardSync(db, actor=a, keys_folder=Path("/nonexistent/k")).create_keys(""),
        {Role.ADMIN},
    ),
    "province import_bundles": (
        lambda db, a: ProvinceSync(db, actor=a).import_bundles([], NO_KEYS),
        {Role.CHIEF},
    ),
    "province return_for_correction": (
        lambda db, a: ProvinceSync(db, actor=a).return_for_correction(
            "x",
            "Sửa lại",
            NO_KEYS,
            Path("/nonexistent"),
        ),
        {Role.CHIEF},
    ),
    "province enroll": (lambda db, a: ProvinceSync(db, actor=a).enroll(b"{}"), {Role.ADMIN}),
    "province resolve_fork": (
        lambda db, a: ProvinceSync(db, actor=a).resolve_fork("16681", "1"),
        {Role.ADMIN},
    ),
    "province write_receipt_again": (
        lambda db, a: ProvinceSync(db, actor=a).write_receipt_again("x", Path("/nonexistent")),
        {Role.CHIEF},
    ),
    "province revoke": (
        lambda db, a: ProvinceSync(db, actor=a).revoke("x", 0, "Mất máy"),
        {Role.ADMIN},
    ),
    "province publish_trust_list": (
        lambda db, a: ProvinceSync(db, actor=a).publish_trust_list(NO_KEYS, Path("/nonexistent")),
        {Role.ADMIN},
    ),
}


# Every backup verb, as the backup screen shows them: any role takes a backup and copies one to
# a USB stick, only the administrator restores one or brings one in. The allowed ones that need
# a real file are given a missing one, so they fail past the permission check (the whole
# verbs, and the command line, are in tests/db/test_backup_roles.py).
MISSING = Path("/nonexistent/station-manual.sqlite")
BACKUP_OPERATIONS: dict[str, tuple[Operation, set[Role]]] = {
    "backup create": (lambda db, a: BackupService(db.path, a).create(), set(Role)),
    "backup restore": (lambda db, a: BackupService(db.path, a).restore(MISSING), {Role.ADMIN}),
    "backup to-usb": (
        lambda db, a: BackupService(db.path, a).copy_to_usb(
            MISSING, Path("/nonexistent"), "mật khẩu sao lưu dài"
        ),
        set(Role),
    ),
    "backup from-usb": (
        lambda db, a: BackupService(db.path, a).bring_from_usb(
            MISSING.with_suffix(".mwbackup.age"), "mật khẩu sao lưu dài"
        ),
        {Role.ADMIN},
    ),
}


def _folder_bytes(folder: Path) -> dict[str, bytes]:
    if not folder.is_dir():
        return {}
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("name", list(BACKUP_OPERATIONS))
def test_each_backup_verb_enforces_its_roles(station: Database, name: str, role: Role) -> None:
    operation, allowed = BACKUP_OPERATIONS[name]
    folder = backups_dir(station.path)
    before, kept = db_digest(station), _folder_bytes(folder)
    if role in allowed:
        if name == "backup create":
            info = operation(station, ACTORS[role])
            assert isinstance(info, BackupInfo)
            assert info.taken_by == ACTORS[role].display_name
            return
        with pytest.raises(Exception) as failed:  # a missing file: fails past the check
            operation(station, ACTORS[role])
        assert not isinstance(failed.value, PermissionDenied)
        return
    with pytest.raises(PermissionDenied):
        operation(station, ACTORS[role])
    assert db_digest(station) == before, f"{name} by {role} was refused but changed data"
    assert _folder_bytes(folder) == kept, f"{name} by {role} was refused but wrote a backup"


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("name", list(OPERATIONS))
def test_each_mutating_service_enforces_its_roles(station: Database, name: str, role: Role) -> None:
    operation, allowed = OPERATIONS[name]
    before = db_digest(station)
    if role in allowed:
        operation(station, ACTORS[role])
        if name != "pack install":  # the bundled packs are installed already: nothing new
            assert db_digest(station) != before, f"{name} by {role} changed nothing"
        return
    with pytest.raises(PermissionDenied) as refused:
        operation(station, ACTORS[role])
    assert "không được phép" in refused.value.message
    assert db_digest(station) == before, f"{name} by {role} was refused but changed data"


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("name", list(SYNC_OPERATIONS))
def test_each_sync_operation_enforces_its_roles(station: Database, name: str, role: Role) -> None:
    operation, allowed = SYNC_OPERATIONS[name]
    before = db_digest(station)
    if role in allowed:
        with pytest.raises(Exception) as failed:  # no keys given: fails past the permission check
            operation(station, ACTORS[role])
        assert not isinstance(failed.value, PermissionDenied)
        return
    with pytest.raises(PermissionDenied):
        operation(station, ACTORS[role])
    assert db_digest(station) == before


def test_the_refusal_names_the_role_in_vietnamese(station: Database) -> None:
    with pytest.raises(PermissionDenied) as refused:
        _indicators(station, OFFICER).lock(2026, 10)
    assert _("Officer") in refused.value.message
    assert "Cán bộ" in refused.value.message or "cán bộ" in refused.value.message.lower()
