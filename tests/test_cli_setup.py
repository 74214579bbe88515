"""Stations set up from the command line only (issue 13, item 2): the administrator first, the
database encrypted from its first byte, user accounts managed by the administrator, and no
command that changes data on a station without accounts. All through the real ``modelward``
command in subprocesses."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, TypedDict

import pytest

ROOT = Path(__file__).resolve().parent.parent
KEY_PASSPHRASE = "khoá trạm 2026"
WARD_NAME = "Công an phường Trường Vinh"
SECRET_PLACES = [f"Nhà văn hoá ZEBRA{n}" for n in range(3)]
PRESENTER = "Nguyễn Thị Kiểm Tra"


class Password(TypedDict):
    """The ``password=`` keyword of ``Cli``, kept in one variable for repeated calls."""

    password: str


class Cli:
    """The ``modelward`` command with a clean environment of its own."""

    def __init__(self, data: Path) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("MODELWARD_")}
        self.env["MODELWARD_DATA_DIR"] = str(data)
        self.env["MODELWARD_KEY_PASSPHRASE"] = KEY_PASSPHRASE

    def __call__(
        self, *args: str, password: str | None = None, new: str | None = None, ok: bool = True
    ) -> subprocess.CompletedProcess[str]:
        env = dict(self.env)
        if password is not None:
            env["MODELWARD_PASSWORD"] = password
        if new is not None:
            env["MODELWARD_NEW_PASSWORD"] = new
        result = subprocess.run(
            [sys.executable, "-m", "app.cli", *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=180,
            stdin=subprocess.DEVNULL,
        )
        if ok:
            assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result


def _fingerprint(output: str) -> str:
    line = next(line for line in output.splitlines() if "khoá ký" in line)
    return line.split(":", 1)[1].strip()


def _sessions_file(path: Path) -> Path:
    from app.core.domain.records import RecordRow, kind_by_code
    from app.core.services.spreadsheet import export_xlsx
    from tests.conftest import NOW
    from tests.core.test_records import VALID

    rows = []
    for n, place in enumerate(SECRET_PLACES):
        values: dict[str, Any] = {spec.name: None for spec in kind_by_code("sessions").fields}
        values |= {**VALID["sessions"], "place": place, "presenter": PRESENTER}
        rows.append(RecordRow("sessions", n + 1, f"u-{n}", values, NOW, NOW, "x", n + 1))
    export_xlsx("sessions", rows, path, "Tuyên truyền")
    return path


def _station_files(db: Path) -> list[Path]:
    """The database, its -wal and -shm if present, and every file in backups/ beside it."""
    files = [p for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists()]
    backups = db.parent / "backups"
    if backups.exists():
        files += sorted(p for p in backups.iterdir() if p.is_file())
    return files


def _readable(data: bytes) -> list[str]:
    secrets = [*SECRET_PLACES, PRESENTER, "ZEBRA", WARD_NAME, "Trường Vinh", "Nghệ An", "16681"]
    found = [text for text in secrets if text.encode("utf-8") in data]
    if b"SQLite format 3" in data:
        found.append("SQLite format 3")
    return found


def test_ward_and_province_set_up_and_exchange_from_the_command_line_only(
    tmp_path: Path,
) -> None:
    """Done-when of item 2: every step logged in, and afterwards neither database nor any of
    their backups holds readable text."""
    cli = Cli(tmp_path / "data")
    ward = ["--db", str(tmp_path / "ward" / "ward.sqlite")]
    province = ["--db", str(tmp_path / "province" / "province.sqlite")]
    usb = tmp_path / "usb"
    usb.mkdir()

    # the ward: administrator, database, accounts of a chief and an officer
    made = cli("setup", "ward", "--unit", "16681", "--province", "40", "--name", WARD_NAME,
               "--admin", "quantri", "--full-name", "Lê Quản Trị", *ward,
               password="quản trị 2026")  # fmt: skip
    assert "Mã khôi phục" in made.stdout
    assert re.search(r"([A-Z2-7]{4}-){7}[A-Z2-7]{4}", made.stdout)
    admin: Password = {"password": "quản trị 2026"}
    cli("users", "add", "truong", "--role", "chief", "--full-name", "Trần Văn Trưởng",
        "--user", "quantri", *ward, new="tạm thời 111", **admin)  # fmt: skip
    cli("users", "add", "canbo", "--role", "officer", *ward, "--user", "quantri",
        new="tạm thời 222", **admin)  # fmt: skip
    cli("users", "password", "--user", "truong", *ward, password="tạm thời 111", new="trưởng 2026")
    cli("users", "password", "--user", "canbo", *ward, password="tạm thời 222", new="cán bộ 2026")
    chief = ["--user", "truong", *ward]
    officer = ["--user", "canbo", *ward]
    sheet = _sessions_file(tmp_path / "buoi.xlsx")
    cli("import", "sessions", str(sheet), "--yes", *officer, password="cán bộ 2026")
    cli("keys", "create", *ward, "--user", "quantri", **admin)
    shown = cli("keys", "show", *ward, "--user", "quantri", **admin).stdout
    cli("keys", "enrollment", "--out", str(usb / "dang-ky.mwe"), *ward, "--user", "quantri",
        **admin)  # fmt: skip

    # the province: administrator, keys, enrollment, trust list; a chief imports
    p_admin: Password = {"password": "tỉnh quản trị 26"}
    cli("province", "setup", "--province", "40", "--admin", "qttinh", *province, **p_admin)
    as_p_admin = ["--user", "qttinh", *province]
    cli("keys", "create", *as_p_admin, **p_admin)
    province_fp = _fingerprint(cli("keys", "show", *as_p_admin, **p_admin).stdout)
    cli("trust", "enroll", str(usb / "dang-ky.mwe"), "--fingerprint", _fingerprint(shown),
        *as_p_admin, **p_admin)  # fmt: skip
    cli("trust", "publish", "--out", str(usb / "tin-cay.mwt"), *as_p_admin, **p_admin)
    cli("users", "add", "ldtinh", "--role", "chief", *as_p_admin, new="tạm thời 333", **p_admin)
    cli("users", "password", "--user", "ldtinh", *province, password="tạm thời 333",
        new="lãnh đạo 2026")  # fmt: skip
    p_chief = ["--user", "ldtinh", *province]

    # the exchange
    cli("trust", "import", str(usb / "tin-cay.mwt"), "--fingerprint", province_fp, *ward,
        "--user", "quantri", **admin)  # fmt: skip
    cli("bundle", "export", "--out", str(usb), *chief, password="trưởng 2026")
    (bundle,) = usb.glob("*.wsb")
    imported = cli("bundle", "import", str(bundle), "--receipts", str(usb), *p_chief,
                   password="lãnh đạo 2026")  # fmt: skip
    assert "16681" in imported.stdout
    (receipt,) = usb.glob("*.wsr")
    cli("receipt", "import", str(receipt), *chief, password="trưởng 2026")
    cli("backup", "create", *officer, password="cán bộ 2026")
    listed = cli("list", "sessions", *officer, password="cán bộ 2026").stdout
    assert all(place in listed for place in SECRET_PLACES)

    # nothing readable in either database, their WAL or any backup
    for db in (Path(ward[1]), Path(province[1])):
        files = _station_files(db)
        assert db in files and any(p.parent.name == "backups" for p in files), files
        for path in files:
            assert _readable(path.read_bytes()) == [], path
    # and no password in the logs
    logs = "".join(p.read_text("utf-8") for p in (tmp_path / "data" / "logs").glob("*.log*"))
    for secret in ("quản trị 2026", "cán bộ 2026", "trưởng 2026", "tạm thời", KEY_PASSPHRASE):
        assert secret not in logs


def test_setup_refuses_an_unknown_province_or_unit_and_leaves_nothing(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "data")
    db = tmp_path / "ward.sqlite"
    for args in (
        ["--unit", "16681", "--province", "99"],
        ["--unit", "1668x", "--province", "40"],
    ):
        refused = cli("setup", "ward", *args, "--name", WARD_NAME, "--admin", "quantri",
                      "--db", str(db), password="quản trị 2026", ok=False)  # fmt: skip
        assert refused.returncode == 2
        assert refused.stderr.startswith("Lỗi: ") and "Traceback" not in refused.stderr
        assert not db.exists() and not (tmp_path / "keys").exists()
    weak = cli("province", "setup", "--province", "40", "--admin", "qttinh", "--db", str(db),
               password="ngắn", ok=False)  # fmt: skip
    assert weak.returncode == 2 and "mật khẩu" in weak.stderr.lower()
    assert not db.exists()


def test_setup_asks_for_a_password_it_cannot_read(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "data")
    db = tmp_path / "province.sqlite"
    result = cli(
        "province", "setup", "--province", "40", "--admin", "qttinh", "--db", str(db), ok=False
    )
    assert result.returncode == 2 and "MODELWARD_PASSWORD" in result.stderr
    assert not db.exists()


def test_setup_does_not_overwrite_a_station(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "data")
    db = tmp_path / "province.sqlite"
    setup = ["province", "setup", "--province", "40", "--admin", "qttinh", "--db", str(db)]
    cli(*setup, password="mật khẩu tỉnh")
    before = db.read_bytes()
    again = cli("setup", "ward", "--unit", "16681", "--province", "40", "--name", WARD_NAME,
                "--admin", "khac", "--db", str(db), password="mật khẩu khác", ok=False)  # fmt: skip
    assert again.returncode == 2 and "đã tồn tại" in again.stderr
    assert db.read_bytes() == before


@pytest.fixture
def plain_station(tmp_path: Path) -> Path:
    """A station from before accounts existed: set up, plaintext, no accounts."""
    from app.core.services.demo import DEMO_PROFILE
    from app.core.services.profile import set_up
    from app.db.open import open_database

    path = tmp_path / "station.sqlite"
    db = open_database(path)
    set_up(db, DEMO_PROFILE)
    db.close()
    return path


def test_no_command_changes_a_station_without_accounts(plain_station: Path, tmp_path: Path) -> None:
    cli = Cli(tmp_path / "data")
    db = ["--db", str(plain_station)]
    before = plain_station.read_bytes()
    sheet = _sessions_file(tmp_path / "buoi.xlsx")
    for args in (
        ["keys", "create"],
        ["import", "sessions", str(sheet), "--yes"],
        ["province", "overview"],  # read-only: allowed
        ["report", "month", "--period", "2026-11", "--out", str(tmp_path / "r.pdf")],
        ["users", "add", "canbo", "--role", "officer"],
    ):
        result = cli(*args, *db, ok=False)
        if args[0] == "province":
            continue
        assert result.returncode == 2, (args, result.stderr)
        assert "chưa có tài khoản" in result.stderr, result.stderr
    assert plain_station.read_bytes() == before
    assert cli("list", "sessions", *db).returncode == 0  # reading stays possible
    # the first account is its administrator; the station is encrypted at once
    first = cli("users", "add", "quantri", "--role", "admin", *db, password="quản trị 2026")
    assert "Mã khôi phục" in first.stdout
    assert not plain_station.read_bytes().startswith(b"SQLite format 3")
    anonymous = cli("keys", "create", *db, ok=False)
    assert anonymous.returncode == 2 and "đăng nhập" in anonymous.stderr


def test_a_demo_database_without_accounts_is_the_exception(tmp_path: Path) -> None:
    """A demo built before demo accounts existed: training data, so commands may change it
    without a login (a demo built now has its demo accounts, and logs in like any station)."""
    from app.core.services.demo import DEMO_PROFILE
    from app.core.services.profile import set_up
    from app.db.open import open_database

    path = tmp_path / "demo.sqlite"
    db = open_database(path)
    set_up(db, DEMO_PROFILE, demo=True)
    db.close()
    cli = Cli(tmp_path / "data")
    sheet = _sessions_file(tmp_path / "buoi.xlsx")
    cli("import", "sessions", str(sheet), "--yes", "--db", str(path))
    assert SECRET_PLACES[0] in cli("list", "sessions", "--db", str(path)).stdout


def test_users_are_managed_by_the_administrator_only(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "data")
    db = ["--db", str(tmp_path / "ward.sqlite")]
    cli("setup", "ward", "--unit", "16681", "--province", "40", "--name", WARD_NAME,
        "--admin", "quantri", *db, password="quản trị 2026")  # fmt: skip
    admin = ["--user", "quantri", *db]
    cli(
        "users",
        "add",
        "canbo",
        "--role",
        "officer",
        *admin,
        password="quản trị 2026",
        new="tạm 12345",
    )
    must = cli("list", "sessions", "--user", "canbo", *db, password="tạm 12345", ok=False)
    assert must.returncode == 2 and "users password" in must.stderr
    cli("users", "password", "--user", "canbo", *db, password="tạm 12345", new="cán bộ 2026")
    officer = ["--user", "canbo", *db]
    refused = cli("users", "add", "khac", "--role", "admin", *officer, password="cán bộ 2026",
                  new="tạm 12345", ok=False)  # fmt: skip
    assert refused.returncode == 2 and "không được phép" in refused.stderr
    listed = cli("users", "list", *admin, password="quản trị 2026").stdout
    assert "canbo" in listed and "quantri" in listed and "khac" not in listed
    assert cli("users", "list", *officer, password="cán bộ 2026", ok=False).returncode == 2
    cli("users", "disable", "canbo", *admin, password="quản trị 2026")
    disabled = cli("list", "sessions", *officer, password="cán bộ 2026", ok=False)
    assert disabled.returncode == 2 and "vô hiệu" in disabled.stderr
    cli("users", "enable", "canbo", *admin, password="quản trị 2026")
    cli("users", "reset-password", "canbo", *admin, password="quản trị 2026", new="mới tạm 999")
    again = cli("list", "sessions", "--user", "canbo", *db, password="mới tạm 999", ok=False)
    assert again.returncode == 2 and "users password" in again.stderr
    last = cli("users", "disable", "quantri", *admin, password="quản trị 2026", ok=False)
    assert last.returncode == 2  # the last administrator stays
