"""The administrator who forgot the password gets back in with the recovery code printed at
set-up (``modelward users recover NAME``), without logging in first; a wrong code changes
nothing. All through the real ``modelward`` command in subprocesses."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.test_cli_setup import WARD_NAME, Cli

CODE = re.compile(r"(?:[A-Z2-7]{4}-){7}[A-Z2-7]{4}")
OLD, NEW = "quản trị 2026", "mật khẩu mới 2027"


def _set_up(tmp_path: Path) -> tuple[Cli, list[str], str]:
    cli = Cli(tmp_path / "data")
    db = ["--db", str(tmp_path / "ward.sqlite")]
    made = cli("setup", "ward", "--unit", "16681", "--province", "40", "--name", WARD_NAME,
               "--admin", "quantri", "--full-name", "Lê Quản Trị", *db,
               password=OLD)  # fmt: skip
    found = CODE.search(made.stdout)
    assert found is not None, made.stdout
    return cli, db, found.group(0)


def _recover(
    cli: Cli, db: list[str], code: str, name: str = "quantri", ok: bool = True
) -> subprocess.CompletedProcess[str]:
    cli.env["MODELWARD_RECOVERY_CODE"] = code
    try:
        return cli("users", "recover", name, *db, new=NEW, ok=ok)
    finally:
        del cli.env["MODELWARD_RECOVERY_CODE"]


def test_recover_with_the_code_sets_a_new_password_without_a_login(tmp_path: Path) -> None:
    cli, db, code = _set_up(tmp_path)
    accounts = tmp_path / "keys" / "ward" / "accounts.json"
    assert accounts.is_file()
    before = accounts.read_bytes()

    wrong_code = "AAAA-" * 7 + "AAAA"
    wrong = _recover(cli, db, wrong_code, ok=False)
    assert wrong.returncode == 2, (wrong.stdout, wrong.stderr)
    assert "Mã khôi phục không đúng" in wrong.stderr and "Traceback" not in wrong.stderr
    assert accounts.read_bytes() == before  # nothing changed

    not_admin = _recover(cli, db, code, name="khongco", ok=False)
    assert not_admin.returncode == 2 and accounts.read_bytes() == before

    done = _recover(cli, db, code)
    assert "đã được đặt lại bằng mã khôi phục" in done.stdout, done.stdout
    assert "users new-recovery-code" in done.stdout

    listed = cli("users", "list", "--user", "quantri", *db, password=NEW)
    assert "quantri" in listed.stdout
    old = cli("users", "list", "--user", "quantri", *db, password=OLD, ok=False)
    assert old.returncode == 2 and "mật khẩu không đúng" in old.stderr

    trail = cli("audit", "list", "--user", "quantri", *db, password=NEW).stdout
    assert "recover-password" in trail and "Lê Quản Trị" in trail

    # a new code replaces the used one: the old code stops working, the new one works
    made = cli("users", "new-recovery-code", "--user", "quantri", *db, password=NEW)
    fresh = CODE.search(made.stdout)
    assert fresh is not None and fresh.group(0) != code
    assert _recover(cli, db, code, ok=False).returncode == 2
    assert _recover(cli, db, fresh.group(0)).returncode == 0


def test_recover_without_a_code_or_terminal_is_refused(tmp_path: Path) -> None:
    cli, db, _code = _set_up(tmp_path)
    refused = cli("users", "recover", "quantri", *db, new=NEW, ok=False)
    assert refused.returncode == 2 and "MODELWARD_RECOVERY_CODE" in refused.stderr
