"""The province's own decisions are on its audit trail; re-opening a revoked station is
explicit; a receipt that cannot be written is not lost; the overview shows every month of a
year, the key's state and when the ward last sent (issue 13, items 5 and 10)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.domain.access import Actor, Role
from app.core.domain.errors import UserFacingError
from app.core.services.sync.province import overview as province_overview
from app.core.services.sync.province.trust import KEY_REPLACED, SAME_KEY
from app.db.engine import Database
from app.sync import keys as station_keys
from tests.sync.bundle_pairs import PASSPHRASE, Pair
from tests.sync.helpers import db_digest

ROOT = Path(__file__).resolve().parents[2]


def entries(db: Database, action: str) -> list[tuple[str, dict[str, list[object]]]]:
    """(record, changes) of the station's own audit entries of one action, oldest first."""
    connection = sqlite3.connect(f"file:{db.path}?mode=ro", uri=True)
    try:
        return [
            (record, json.loads(changes))
            for record, changes in connection.execute(
                "SELECT record_uuid, changes FROM audit_log WHERE action = ? ORDER BY id",
                (action,),
            )
        ]
    finally:
        connection.close()


def chain_ok(db: Database) -> bool:
    from app.core.services import audit as audit_service

    return audit_service.verify(db).ok


def test_enrollment_and_trust_list_are_audited(pair: Pair) -> None:
    ((station, enrolled),) = entries(pair.province_db, "enroll")
    assert station == "16681" and enrolled["key"][1] == pair.ward_keys.public.signing_id
    ((version, published),) = entries(pair.province_db, "publish")
    assert version == "1" and published["stations"] == [None, 1]
    pair.publish()
    assert [v for v, _c in entries(pair.province_db, "publish")] == ["1", "2"]
    assert chain_ok(pair.province_db)


def test_revocation_records_both_cutoffs_and_reopening_needs_the_flag(pair: Pair) -> None:
    first = pair.province.revoke("16681", 2, "Máy tính bị mất")
    assert first.old_status == "active" and first.cutoff == 2 and first.reopened is None
    lower = pair.province.revoke("16681", 1, "Mất sớm hơn")  # narrowing needs no flag
    assert (lower.old_cutoff, lower.cutoff, lower.reopened) == (2, 1, None)
    before = db_digest(pair.province_db)
    with pytest.raises(UserFacingError) as refused:
        pair.province.revoke("16681", 5, "Nhầm")
    assert "2 đến số 5" in refused.value.message and "--reopen" in refused.value.hint
    assert db_digest(pair.province_db) == before  # nothing changed, not even the audit trail
    reopened = pair.province.revoke("16681", 5, "Tìm lại được máy", reopen=True)
    assert (reopened.old_cutoff, reopened.cutoff, reopened.reopened) == (1, 5, (2, 5))
    revocations = [changes for _s, changes in entries(pair.province_db, "revoke")]
    assert [r["cutoff"] for r in revocations] == [[None, 2], [2, 1], [1, 5]]
    assert revocations[0]["status"] == ["active", "revoked"]
    assert revocations[2]["reopened"] == [None, [2, 5]]
    assert revocations[2]["reason"] == [None, "Tìm lại được máy"]
    assert chain_ok(pair.province_db)


def test_re_enrolling_a_revoked_station_says_it_stays_revoked(pair: Pair, tmp_path: Path) -> None:
    pair.province.revoke("16681", 1, "Máy tính bị mất")
    request = pair.ward.enrollment_request(pair.ward_keys)
    again = pair.province.enroll(request)
    assert (again.outcome, again.status, again.cutoff) == (SAME_KEY, "revoked", 1)
    assert pair.province.overview()[0].status == "revoked"
    # a new key (a new PC) replaces the old one, on the record
    new_keys = tmp_path / "new-keys"
    station_keys.create_keys(new_keys, PASSPHRASE)
    from app.core.services.sync.ward import WardSync

    other = WardSync(pair.ward_db, now=pair.clock, keys_folder=new_keys)
    replaced = pair.province.enroll(
        other.enrollment_request(station_keys.unlock(new_keys, PASSPHRASE)), replace_key=True
    )
    assert replaced.outcome == KEY_REPLACED
    ((station, changes),) = entries(pair.province_db, "replace_key")
    assert station == "16681" and changes["status"] == ["revoked", "active"]
    assert changes["cutoff"] == [1, None]
    assert changes["key"][0] == pair.ward_keys.public.signing_id != changes["key"][1]
    when = province_overview.key_replaced_at(pair.province_db, "16681")
    assert when is not None
    assert "thay khoá" in province_overview.key_status_text("active", None, when)


def test_only_the_administrator_revokes_or_resolves(pair: Pair) -> None:
    from app.core.services.sync.province.imports import ProvinceSync

    for role in (Role.OFFICER, Role.CHIEF):
        service = ProvinceSync(pair.province_db, actor=Actor("x", "X", role))
        before = db_digest(pair.province_db)
        with pytest.raises(UserFacingError):
            service.revoke("16681", 1, "Thử")
        with pytest.raises(UserFacingError):
            service.resolve_fork("16681", "1")
        assert db_digest(pair.province_db) == before


def test_a_receipt_that_cannot_be_written_is_written_again(pair: Pair, tmp_path: Path) -> None:
    bundle = pair.export()
    gone = tmp_path / "usb-removed"  # the folder is gone by the time the receipt is written
    (report,) = pair.import_(bundle, receipts_dir=gone)
    assert report.outcome == "new" and report.receipt_path is None
    assert "đã được nhập" in report.receipt_problem
    assert f"modelward bundle receipt {report.bundle_id}" in report.receipt_problem
    assert pair.province.overview()[0].last_seq == 1  # the import is committed
    out = tmp_path / "again"
    out.mkdir()
    written = pair.province.write_receipt_again(report.bundle_id[:8], out)
    receipt = pair.ward.import_receipt(written.read_bytes())
    assert receipt.changed and receipt.seq == 1
    # a second time writes the same bytes; an unknown id is a clear refusal
    assert pair.province.write_receipt_again(report.bundle_id, tmp_path).read_bytes() == (
        written.read_bytes()
    )
    with pytest.raises(UserFacingError):
        pair.province.write_receipt_again("00000000", out)


def test_month_cells_mark_gaps_locks_and_approvals() -> None:
    cell = province_overview.MonthState
    assert province_overview.month_cell(cell(10, False, True, False, "none")) == "10: thiếu"
    assert province_overview.month_cell(cell(12, False, False, False, "none")) == "12: ·"
    assert province_overview.month_cell(cell(3, True, True, True, "approved")) == (
        "03: đã khoá, đã phê duyệt"
    )
    assert "không còn hiệu lực" in province_overview.month_cell(
        cell(4, True, True, True, "changed")
    )
    states = [cell(m, m not in (3, 10), m < 12, False, "none") for m in range(1, 13)]
    assert province_overview.gaps_text(states) == "thiếu tháng 3, 10"


def run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "--lang", "vi", "--db", str(db), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "MODELWARD_KEY_PASSPHRASE": PASSPHRASE},
        timeout=120,
    )


def test_the_overview_shows_key_last_received_and_every_month(pair: Pair) -> None:
    """October's figures never reached the province: the overview says "thiếu tháng 10"."""
    from sqlalchemy import text

    with pair.ward_db.write() as session:
        session.execute(text("DELETE FROM indicator_values WHERE year = 2026 AND month = 10"))
    (report,) = pair.import_(pair.export())
    assert report.outcome == "new"
    pair.province.revoke("16681", 1, "Máy tính bị mất")
    pair.province_db.close()
    shown = run(pair.province_db.path, "province", "overview", "--year", "2026")
    assert shown.returncode == 0, shown.stderr
    overview = shown.stdout
    assert "16681" in overview and "đã thu hồi sau gói số 1" in overview
    assert "nhận lúc 23/11/2026" in overview
    assert "Các tháng năm 2026" in overview and "thiếu tháng 10" in overview
    for month in range(1, 13):
        assert f"{month:02d}:" in overview
    assert "đã khoá" in overview  # the demo ward locked its past months
    assert "11: thiếu" not in overview  # November is reported
    earlier = run(pair.province_db.path, "province", "overview", "--year", "2024")
    assert "thiếu tháng 1, 2, 3" in earlier.stdout  # a year the ward never reported


def test_re_enrolling_and_reopening_on_the_command_line(tmp_path: Path) -> None:
    from tests.sync.test_fingerprints import run as admin_run
    from tests.sync.test_fingerprints import set_up

    ward, province, stick = set_up(tmp_path)
    admin_run("--db", str(province), "keys", "create")
    admin_run("--db", str(ward), "keys", "create")
    shown = admin_run("--db", str(ward), "keys", "show").stdout
    fp = next(line for line in shown.splitlines() if "ký" in line).split(":", 1)[1].strip()
    request = stick / "dang-ky.mwe"
    admin_run("--db", str(ward), "keys", "enrollment", "--out", str(request))
    admin_run("--db", str(province), "trust", "enroll", str(request), "--fingerprint", fp)
    admin_run(
        "--db", str(province), "trust", "revoke", "16681", "--after-seq", "1", "--reason", "Mất máy"
    )
    again = admin_run(
        "--db", str(province), "trust", "enroll", str(request), "--fingerprint", fp, check=False
    )
    assert again.returncode == 1 and "vẫn bị thu hồi" in again.stdout
    refused = admin_run(
        "--db", str(province), "trust", "revoke", "16681", "--after-seq", "4", "--reason", "Nhầm",
        check=False,
    )  # fmt: skip
    assert refused.returncode == 2 and "--reopen" in refused.stderr
    reopened = admin_run(
        "--db", str(province), "trust", "revoke", "16681", "--after-seq", "4", "--reason", "Đúng",
        "--reopen",
    )  # fmt: skip
    assert "từ số 2 đến số 4" in reopened.stdout and "Mốc cũ là gói số 1" in reopened.stdout
    overview = admin_run("--db", str(province), "province", "overview").stdout
    assert "đã thu hồi sau gói số 4" in overview


def test_a_lost_receipt_on_the_command_line_says_the_import_is_in(tmp_path: Path) -> None:
    """Both stations set up from the command line, each with an administrator and a chief:
    the receipt folder is missing at import time; the import says it was committed and how to
    write the receipt again, and that command does it."""
    from tests.sync.test_fingerprints import ENV, set_up
    from tests.sync.test_fingerprints import run as admin_run

    ward, province, stick = set_up(tmp_path)
    chief = {"MODELWARD_USER": "truong", "MODELWARD_PASSWORD": "mật khẩu trưởng 2026"}

    def as_chief(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "app.cli", "--lang", "vi", *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, **ENV, **chief},
            timeout=120,
        )

    for db in (ward, province):
        admin_run("--db", str(db), "keys", "create")
        added = subprocess.run(
            [sys.executable, "-m", "app.cli", "--db", str(db), "users", "add", "truong",
             "--role", "chief"],
            capture_output=True, text=True, cwd=ROOT, timeout=120,
            env={**os.environ, **ENV, "MODELWARD_NEW_PASSWORD": "tạm thời 2026"},
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        changed = subprocess.run(
            [sys.executable, "-m", "app.cli", "--db", str(db), "users", "password", "--user",
             "truong"],
            capture_output=True, text=True, cwd=ROOT, timeout=120,
            env={**os.environ, "MODELWARD_PASSWORD": "tạm thời 2026",
                 "MODELWARD_NEW_PASSWORD": chief["MODELWARD_PASSWORD"]},
        )  # fmt: skip
        assert changed.returncode == 0, changed.stderr
    shown = admin_run("--db", str(ward), "keys", "show").stdout
    ward_fp = next(line for line in shown.splitlines() if "ký" in line).split(":", 1)[1].strip()
    shown = admin_run("--db", str(province), "keys", "show").stdout
    province_fp = next(line for line in shown.splitlines() if "ký" in line).split(":", 1)[1]
    request, trust_list = stick / "dang-ky.mwe", stick / "tin-cay.mwt"
    admin_run("--db", str(ward), "keys", "enrollment", "--out", str(request))
    admin_run("--db", str(province), "trust", "enroll", str(request), "--fingerprint", ward_fp)
    admin_run("--db", str(province), "trust", "publish", "--out", str(trust_list))
    admin_run(
        "--db", str(ward), "trust", "import", str(trust_list), "--fingerprint",
        province_fp.strip(),
    )  # fmt: skip
    exported = as_chief("--db", str(ward), "bundle", "export", "--out", str(stick))
    assert exported.returncode == 0, exported.stderr
    (bundle,) = stick.glob("*.wsb")
    missing = tmp_path / "usb-removed"
    imported = as_chief(
        "--db", str(province), "bundle", "import", str(bundle), "--receipts", str(missing)
    )
    assert imported.returncode == 1, imported.stderr
    assert "đã nhập" in imported.stdout and "Dữ liệu đã được nhập" in imported.stdout
    bundle_id = bundle.stem.split("_")[-1]
    assert f"modelward bundle receipt {bundle_id} --out" in imported.stdout
    again = as_chief("--db", str(province), "bundle", "import", str(bundle))
    assert again.returncode == 0 and "đã nhập trước đó" in again.stdout  # nothing twice
    for receipt in stick.glob("*.wsr"):
        receipt.unlink()
    written = as_chief(
        "--db", str(province), "bundle", "receipt", bundle_id[:8], "--out", str(stick)
    )
    assert written.returncode == 0, written.stderr
    (receipt,) = stick.glob("*.wsr")
    taken = as_chief("--db", str(ward), "receipt", "import", str(receipt))
    assert taken.returncode == 0 and "xác nhận" in taken.stdout, taken.stderr


def test_the_audit_screen_names_the_province_decisions_in_vietnamese(pair: Pair) -> None:
    from app.db import audit
    from app.ui.models.audit_model import entry_cells

    pair.province.revoke("16681", 3, "Máy tính bị mất")
    with pair.province_db.read() as session:
        entry = audit.entries(session, limit=1)[0]
        cells = entry_cells(
            entry.id, entry.at, entry.actor, entry.action, entry.table_name, entry.changes
        )
    assert cells[3] == "đã thu hồi khoá của đơn vị" and cells[4] == "Đơn vị đã đăng ký"
    assert "Tình trạng: đang hoạt động → đã thu hồi" in cells[5]
    assert "Gói tin cậy cuối cùng: 3" in cells[5] and "Lý do: Máy tính bị mất" in cells[5]
