"""Issue 13.3: every backup verb checks the logged-in user's role in the service and records
that user, never the operating-system login; a refused verb leaves the database and the
backups folder byte for byte as they were. The command line is run as a real subprocess."""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.domain.access import Actor, PermissionDenied, Role
from app.core.services import backup_steps as backup
from app.core.services.backups import BackupService
from app.core.services.demo import DEMO_PROFILE
from app.core.services.profile import set_up
from app.core.services.records import RecordService
from app.db import cipher
from app.db.open import open_database
from app.paths import backups_dir
from app.security.accounts import Accounts, KdfParams, LoginResult
from tests.core.test_records import VALID

ROOT = Path(__file__).resolve().parent.parent.parent
FAST = KdfParams(time_cost=1, memory_cost=8, parallelism=1)
PASSPHRASE = "mật khẩu sao lưu dài"
PASSWORDS = {"quantri": "mật khẩu quản trị", "thang": "của chỉ huy 2026", "nvan": "của tôi 2026"}
NAMES = {"quantri": "Lê Quản Trị", "thang": "Phạm Văn Thắng", "nvan": "Nguyễn Văn An"}
ROLES = {"quantri": Role.ADMIN, "thang": Role.CHIEF, "nvan": Role.OFFICER}
ALLOWED = {
    "create": set(Role),
    "to-usb": set(Role),
    "restore": {Role.ADMIN},
    "from-usb": {Role.ADMIN},
}


def _station(path: Path) -> LoginResult:
    """An encrypted station with one record, an administrator, a chief and an officer, one
    verified backup and its USB copy (``path.parent / "usb"``)."""
    accounts = Accounts(path, kdf=FAST)
    admin, _code = accounts.create("quantri", NAMES["quantri"], PASSWORDS["quantri"])
    for name in ("thang", "nvan"):
        accounts.add_user(admin, name, NAMES[name], ROLES[name], "tạm thời 123")
        accounts.change_password(name, "tạm thời 123", PASSWORDS[name])
    cipher.unlock(path, admin.db_key)
    db = open_database(path)
    set_up(db, DEMO_PROFILE)
    RecordService(db, author="Nguyễn Văn An").create("sessions", VALID["sessions"])
    db.close()
    taken = backup.create_backup(path, "manual")
    stick = path.parent / "usb"
    stick.mkdir()
    backup.export_encrypted(taken.path, stick, PASSPHRASE)
    return admin


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "station.sqlite"
    _station(path)
    cipher.forget(path)
    return path.parent


@pytest.fixture
def station(template: Path, tmp_path: Path) -> Path:
    """A copy of the template station (its keys, backups and USB stick with it), unlocked as
    the administrator's login does."""
    folder = tmp_path / "copy"
    shutil.copytree(template, folder)
    path = folder / "station.sqlite"
    login = Accounts(path).login("quantri", PASSWORDS["quantri"])
    cipher.unlock(path, login.db_key)
    return path


def _snapshot(path: Path) -> dict[str, bytes]:
    """Every byte of the database (with its WAL) and of every file in the backups folder."""
    files = {f"db{suffix}": Path(f"{path}{suffix}") for suffix in ("", "-wal")}
    folder = backups_dir(path)
    if folder.is_dir():
        files |= {f"backups/{p.name}": p for p in folder.iterdir() if p.is_file()}
    return {name: file.read_bytes() for name, file in sorted(files.items()) if file.exists()}


def _audit_tail(path: Path) -> tuple[str, str]:
    """(actor, action) of the newest audit entry of the encrypted station at ``path``."""
    with contextlib.closing(cipher.connect(path, readonly=True)) as raw:
        row = raw.execute("SELECT actor, action FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    return str(row[0]), str(row[1])


def _verb(service: BackupService, verb: str, path: Path) -> object:
    newest = backup.list_backups(path)[-1].path  # the one taken at set-up
    usb = next((path.parent / "usb").glob("*.mwbackup.age"))
    if verb == "create":
        return service.create()
    if verb == "to-usb":
        out = path.parent / "usb-out"
        out.mkdir(exist_ok=True)
        return service.copy_to_usb(newest, out, PASSPHRASE)
    if verb == "restore":
        return service.restore(newest)
    return service.bring_from_usb(usb, PASSPHRASE)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("verb", list(ALLOWED))
def test_each_backup_verb_checks_the_role_and_records_the_user(
    station: Path, verb: str, role: Role
) -> None:
    path, out = station, station.parent / "usb-out"
    user = next(name for name, r in ROLES.items() if r == role)
    actor = Actor(user, NAMES[user], role)
    service = BackupService(path, actor)
    before = _snapshot(path)
    if role not in ALLOWED[verb]:
        with pytest.raises(PermissionDenied) as refused:
            _verb(service, verb, path)
        assert "không được phép" in refused.value.message
        assert _snapshot(path) == before, f"{verb} by {role} was refused but changed a file"
        assert not out.exists() or not any(out.iterdir())
        return
    result = _verb(service, verb, path)
    if verb != "to-usb":
        assert _snapshot(path) != before
    if verb in ("create", "from-usb"):
        assert isinstance(result, backup.BackupInfo)
        sidecar = json.loads(result.path.with_suffix(".json").read_text(encoding="utf-8"))
        assert sidecar["taken_by"] == NAMES[user]
        assert [b.taken_by for b in backup.list_backups(path) if b.path == result.path] == [
            NAMES[user]
        ]
    elif verb == "restore":
        assert _audit_tail(path) == (NAMES[user], "restore-db")
        with contextlib.closing(cipher.connect(path, readonly=True)) as raw:
            (restored,) = raw.execute(
                "SELECT value FROM app_meta WHERE key = 'restored_from'"
            ).fetchone()
        assert json.loads(restored)["by"] == NAMES[user]
        assert json.loads(restored)["user"] == user
    else:
        import pyrage

        assert isinstance(result, Path) and result.parent == out
        body = pyrage.passphrase.decrypt(result.read_bytes(), PASSPHRASE)
        envelope = json.loads(body[4 : 4 + int.from_bytes(body[:4], "big")])
        assert envelope["carried_by"] == NAMES[user]


def _cli(path: Path, user: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELWARD_")}
    env |= {
        "MODELWARD_DATA_DIR": str(path.parent),
        "MODELWARD_PASSWORD": PASSWORDS[user],
        "MODELWARD_BACKUP_PASSPHRASE": PASSPHRASE,
    }
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "--db", str(path), "--user", user, "backup", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


def test_the_command_line_refuses_an_officers_restore_and_names_the_administrator(
    station: Path,
) -> None:
    """The issue's case: ``--user officer backup restore FILE --yes`` used to succeed, with the
    OS user in the audit log."""
    path = station
    taken = backup.list_backups(path)[0].path
    usb = next((path.parent / "usb").glob("*.mwbackup.age"))
    before = _snapshot(path)
    for user in ("nvan", "thang"):
        for args in (("restore", str(taken), "--yes"), ("from-usb", str(usb))):
            refused = _cli(path, user, *args)
            assert refused.returncode == 2, (user, args, refused.stdout, refused.stderr)
            assert "không được phép" in refused.stderr, refused.stderr
            assert "Traceback" not in refused.stderr
            assert _snapshot(path) == before, f"{args[0]} by {user} changed a file"

    created = _cli(path, "nvan", "create")
    assert created.returncode == 0, created.stderr
    newest = backup.list_backups(path)[0]
    assert newest.taken_by == NAMES["nvan"] and newest.state == backup.VERIFIED

    restored = _cli(path, "quantri", "restore", str(taken), "--yes")
    assert restored.returncode == 0, restored.stderr
    actor, action = _audit_tail(path)
    assert (actor, action) == (NAMES["quantri"], "restore-db")
    assert actor != getpass.getuser()
