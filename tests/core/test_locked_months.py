"""A locked month keeps its records: an officer cannot add, edit, delete, restore or import a
record dated inside it; the chief can after confirming, and the override is audited."""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from app.core.domain.access import Actor, Role
from app.core.services import packs
from app.core.services.indicators import IndicatorService
from app.core.services.locked_months import OVERRIDE, LockedMonthError
from app.core.services.records import RecordService
from app.core.services.spreadsheet import RowStatus
from app.db.engine import Database
from tests.conftest import NOW
from tests.core.test_records import VALID

TODAY = date(2026, 12, 5)  # in reporting month 12 (15/11 – 14/12)
OFFICER = Actor("nvan", "Nguyễn Văn An", Role.OFFICER)
CHIEF = Actor("thang", "Phạm Văn Thắng", Role.CHIEF)
SESSION = {**VALID["sessions"], "held_on": date(2026, 11, 2)}  # month 11


def _records(db: Database, actor: Actor) -> RecordService:
    return RecordService(db, actor=actor, clock=lambda: NOW, today=lambda: TODAY)


@pytest.fixture
def ward(db: Database) -> Database:
    """Month 11 has a session and is locked by the chief; month 12 is open."""
    packs.install_bundled(db, datetime.now(UTC), "test")
    _records(db, OFFICER).create("sessions", SESSION)
    IndicatorService(db, actor=CHIEF, clock=lambda: NOW, today=lambda: TODAY).lock(2026, 11)
    return db


def _table_rows(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(db.path) as raw:
        return {
            table: list(raw.execute(f"SELECT * FROM {table} ORDER BY 1"))
            for table in ("outreach_sessions", "audit_log", "app_meta")
        }


def _session_id(db: Database) -> int:
    service = _records(db, OFFICER)
    return service.list_ids("sessions")[0]


def _attempts(db: Database) -> dict[str, Callable[..., object]]:
    officer = _records(db, OFFICER)
    record = _session_id(db)
    return {
        "create": lambda **how: officer.create(
            "sessions", {**SESSION, "held_on": date(2026, 11, 10)}, **how
        ),
        "edit": lambda **how: officer.update(
            "sessions", record, {**SESSION, "attendance": 610}, **how
        ),
        "move into": lambda **how: officer.update(
            "sessions", record, {**SESSION, "held_on": date(2026, 12, 1)}, **how
        ),
        "delete": lambda **how: officer.delete("sessions", record, **how),
        "import": lambda **how: officer.import_rows(
            "sessions", [{**SESSION, "place": "Chợ phường"}], **how
        ),
    }


@pytest.mark.parametrize("verb", ["create", "edit", "move into", "delete", "import"])
def test_an_officer_cannot_change_records_dated_in_a_locked_month(
    ward: Database, verb: str
) -> None:
    before = _table_rows(ward)
    attempt = _attempts(ward)[verb]
    for how in ({}, {"confirm_locked": True}):  # an officer's "confirmation" does not count
        with pytest.raises(LockedMonthError) as caught:
            attempt(**how)
        assert not caught.value.needs_confirmation
        assert "11/2026" in caught.value.message and "khoá sổ" in caught.value.message
    assert _table_rows(ward) == before


def test_records_of_open_months_are_not_held(ward: Database) -> None:
    officer = _records(ward, OFFICER)
    change = officer.create("sessions", {**SESSION, "held_on": date(2026, 12, 1)})
    officer.update("sessions", change.created[0], {**SESSION, "held_on": date(2026, 12, 2)})
    officer.delete("sessions", change.created[0])
    # records whose date the indicators do not count by are not held by the lock
    officer.create("teams", VALID["teams"])


def test_a_deleted_record_of_a_locked_month_stays_deleted_for_an_officer(
    db: Database,
) -> None:
    packs.install_bundled(db, datetime.now(UTC), "test")
    officer = _records(db, OFFICER)
    record = officer.create("sessions", SESSION).created[0]
    officer.delete("sessions", record)
    IndicatorService(db, actor=CHIEF, clock=lambda: NOW, today=lambda: TODAY).lock(2026, 11)
    with pytest.raises(LockedMonthError):
        officer.restore("sessions", record)


def test_the_chief_confirms_and_the_override_is_audited(ward: Database) -> None:
    chief = _records(ward, CHIEF)
    added = {**SESSION, "held_on": date(2026, 11, 10), "place": "Chợ phường"}
    before = _table_rows(ward)
    with pytest.raises(LockedMonthError) as caught:
        chief.create("sessions", added)
    assert caught.value.needs_confirmation and caught.value.months == ((2026, 11),)
    assert _table_rows(ward) == before  # asking changed nothing

    change = chief.create("sessions", added, confirm_locked=True)
    with sqlite3.connect(ward.path) as raw:
        entries = raw.execute(
            "SELECT actor, action, table_name, changes FROM audit_log ORDER BY id"
        ).fetchall()
        new_uuid = raw.execute(
            "SELECT uuid FROM outreach_sessions WHERE place = 'Chợ phường'"
        ).fetchone()[0]
    override = [e for e in entries if e[1] == OVERRIDE]
    assert len(override) == 1
    actor, _action, table, changes = override[0]
    assert actor == "Phạm Văn Thắng" and table == "period_locks"
    details = {key: value[1] for key, value in json.loads(changes).items()}
    assert details == {
        "month": "11/2026",
        "kind": "sessions",
        "action": "create",
        "count": 1,
        "records": new_uuid,
    }
    # the override entry comes right before the record's own "create" entry
    assert entries[-1][1] == "create" and entries[-2][1] == OVERRIDE
    chief.delete("sessions", change.created[0], confirm_locked=True)


def _sheet(tmp_path: Path, rows: list[dict[str, Any]]) -> Path:
    from app.core.domain.records import kind_by_code
    from app.core.services.spreadsheet import display_value

    kind = kind_by_code("sessions")
    path = tmp_path / "buoi.csv"
    lines = [[spec.name for spec in kind.fields]]
    for row in rows:
        cells = []
        for spec in kind.fields:
            value = display_value(kind, spec.name, row.get(spec.name))
            if isinstance(value, date):
                value = value.strftime("%d/%m/%Y")
            cells.append("" if value is None else str(value))
        lines.append(cells)
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(lines)
    return path


def test_the_import_preview_shows_rows_of_locked_months(ward: Database, tmp_path: Path) -> None:
    sheet = _sheet(
        tmp_path,
        [
            {**SESSION, "place": "Chợ phường", "held_on": date(2026, 11, 12)},
            {**SESSION, "place": "Trường tiểu học", "held_on": date(2026, 12, 2)},
        ],
    )
    officer = _records(ward, OFFICER).preview_import("sessions", sheet)
    assert [row.status for row in officer.rows] == [RowStatus.INVALID, RowStatus.NEW], [
        r.reason for r in officer.rows
    ]
    assert "11/2026" in officer.rows[0].reason
    chief = _records(ward, CHIEF).preview_import("sessions", sheet)
    assert [row.status for row in chief.rows] == [RowStatus.NEW, RowStatus.NEW]
    assert "11/2026" in chief.rows[0].reason


def test_the_command_line_import_refuses_then_takes_the_chiefs_confirmation(
    db: Database, tmp_path: Path
) -> None:
    """``modelward import``: an officer's rows of a locked month are refused; the chief's need
    ``--confirm-locked``; nothing is written until then."""
    import os
    import subprocess
    import sys

    from app.security.accounts import Accounts, KdfParams

    packs.install_bundled(db, datetime.now(UTC), "test")
    IndicatorService(db, actor=CHIEF, clock=lambda: NOW, today=lambda: TODAY).lock(2026, 10)
    db.close()
    accounts = Accounts(db.path, kdf=KdfParams(time_cost=1, memory_cost=8, parallelism=1))
    admin, _code = accounts.create("quantri", "Lê Quản Trị", "mật khẩu quản trị")
    for login, name, role in (
        ("nvan", "Nguyễn Văn An", Role.OFFICER),
        ("thang", "Phạm Văn Thắng", Role.CHIEF),
    ):
        accounts.add_user(admin, login, name, role, "tạm thời 123")
        accounts.change_password(login, "tạm thời 123", "của tôi 2026")
    sheet = _sheet(tmp_path, [{**SESSION, "place": "Chợ phường", "held_on": date(2026, 10, 3)}])
    base = {k: v for k, v in os.environ.items() if not k.startswith("MODELWARD_")}
    base |= {"MODELWARD_DATA_DIR": str(tmp_path / "data"), "MODELWARD_PASSWORD": "của tôi 2026"}

    def run(user: str, *args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "app.cli", "--db", str(db.path), "--user", user, *args]
        return subprocess.run(command, capture_output=True, text=True, env=base, timeout=120)

    importing = ("import", "sessions", str(sheet), "--yes")
    officer = run("nvan", *importing)
    assert officer.returncode == 0, officer.stderr
    assert "10/2026" in officer.stdout  # the preview shows the row invalid, and why
    asked = run("thang", *importing)
    assert asked.returncode != 0 and "--confirm-locked" in asked.stderr
    assert "10/2026" in asked.stderr and "Traceback" not in asked.stderr
    confirmed = run("thang", *importing, "--confirm-locked")
    assert confirmed.returncode == 0, confirmed.stderr
    assert run("thang", "list", "sessions").stdout.count("Chợ phường") == 1


def test_the_chiefs_confirmation_says_approved_only_when_the_month_is(ward: Database) -> None:
    """The chief is told the locked month's figures are approved only when they are."""
    from app.core.services.approvals import MONTH, ApprovalService, month_key
    from app.core.services.sync.ward import WardSync

    chief = _records(ward, CHIEF)
    added = {**SESSION, "held_on": date(2026, 11, 10), "place": "Chợ phường"}
    with pytest.raises(LockedMonthError) as caught:
        chief.create("sessions", added)
    assert "phê duyệt" not in str(caught.value), str(caught.value)

    WardSync(ward, actor=Actor("qt", "Quản Trị", Role.ADMIN)).create_keys("khoá trạm thử")
    keys = WardSync(ward, actor=CHIEF).unlock("khoá trạm thử")
    approvals = ApprovalService(ward, actor=CHIEF, clock=lambda: NOW, today=lambda: TODAY)
    approvals.approve(MONTH, month_key(2026, 11), keys)
    with pytest.raises(LockedMonthError) as caught:
        chief.create("sessions", added)
    assert caught.value.needs_confirmation
    assert "đã được phê duyệt" in str(caught.value), str(caught.value)
