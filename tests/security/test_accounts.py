"""Station accounts: argon2id logins, lock-out, roles, the wrapped database key, tamper checks."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.domain.access import Actor, Permission, PermissionDenied, Role, require
from app.core.domain.errors import NotFound, UserFacingError, ValidationError
from app.security import accounts as accounts_module
from app.security.accounts import Accounts, KdfParams, LoginResult

CHEAP = KdfParams(time_cost=1, memory_cost=8, parallelism=1)
ADMIN_PASSWORD = "quản-trị-2026"
START = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Station:
    accounts: Accounts
    clock: Clock
    admin: LoginResult
    recovery_code: str
    db_path: Path

    def reopen(self) -> Accounts:
        """A second instance over the same file, as after restarting the app."""
        return Accounts(self.db_path, clock=self.clock, kdf=CHEAP)


@pytest.fixture
def station(tmp_path: Path) -> Station:
    clock = Clock()
    accounts = Accounts(tmp_path / "station.sqlite", clock=clock, kdf=CHEAP)
    assert not accounts.exists()
    admin, code = accounts.create("Admin", "Nguyễn Văn Quản", ADMIN_PASSWORD)
    return Station(accounts, clock, admin, code, tmp_path / "station.sqlite")


def _message(call: Any, *args: Any) -> str:
    with pytest.raises(UserFacingError) as caught:
        call(*args)
    return str(caught.value)


def _add_officer(station: Station, username: str = "lan", role: Role = Role.OFFICER) -> None:
    station.accounts.add_user(station.admin, username, "Trần Thị Lan", role, "tạm-thời-1")


def _lock(accounts: Accounts, username: str, times: int = 5) -> None:
    for _ in range(times):
        with pytest.raises(UserFacingError):
            accounts.login(username, "wrong password")


def test_create_and_login_return_the_same_database_key(station: Station) -> None:
    assert station.accounts.path == station.accounts.path.parent / "accounts.json"
    assert station.accounts.path.parent.parts[-2:] == ("keys", "station")
    assert len(station.admin.db_key) == 32
    assert station.admin.actor == Actor("admin", "Nguyễn Văn Quản", Role.ADMIN)
    assert re.fullmatch(r"([A-Z2-7]{4}-){7}[A-Z2-7]{4}", station.recovery_code)

    again = station.reopen().login(" ADMIN ", ADMIN_PASSWORD)

    assert again.db_key == station.admin.db_key
    assert again.actor == station.admin.actor
    assert not again.must_change_password
    assert repr(again.db_key) not in repr(again)


def test_a_second_set_up_is_refused(station: Station) -> None:
    assert station.accounts.exists()
    with pytest.raises(UserFacingError):
        station.accounts.create("other", "Other", "another-password")


def test_the_password_typed_decomposed_still_logs_in(station: Station) -> None:
    import unicodedata

    decomposed = unicodedata.normalize("NFD", ADMIN_PASSWORD)
    assert decomposed != ADMIN_PASSWORD
    assert station.accounts.login("admin", decomposed).db_key == station.admin.db_key


def test_wrong_password_and_unknown_user_give_the_same_message(station: Station) -> None:
    wrong = _message(station.accounts.login, "admin", "not the password")
    unknown = _message(station.accounts.login, "nobody", "not the password")
    assert wrong == unknown
    assert station.accounts.users()[0].failed_attempts == 1


def test_lock_out_after_five_failures_with_doubling_back_off(station: Station) -> None:
    accounts, clock = station.accounts, station.clock
    _lock(accounts, "admin", 4)
    assert accounts.login("admin", ADMIN_PASSWORD).db_key == station.admin.db_key
    assert accounts.users()[0].failed_attempts == 0  # success resets the counter

    _lock(accounts, "admin", 5)
    locked = _message(accounts.login, "admin", ADMIN_PASSWORD)  # even the right password
    assert "30" in locked
    assert _message(station.reopen().login, "admin", ADMIN_PASSWORD) == locked  # persisted
    assert accounts.users()[0].locked_until == START + timedelta(seconds=30)

    clock.advance(31)
    _lock(accounts, "admin", 1)  # the sixth failure locks for 60 s
    assert "60" in _message(accounts.login, "admin", ADMIN_PASSWORD)
    clock.advance(61)
    _lock(accounts, "admin", 1)  # the seventh: 2 minutes
    assert accounts.users()[0].locked_until == clock.now + timedelta(minutes=2)
    for _ in range(10):
        clock.advance(15 * 60 + 1)
        _lock(accounts, "admin", 1)
    assert accounts.users()[0].locked_until == clock.now + timedelta(minutes=15)  # the cap

    clock.advance(15 * 60 + 1)
    assert accounts.login("admin", ADMIN_PASSWORD).db_key == station.admin.db_key
    assert accounts.users()[0].failed_attempts == 0
    assert accounts.users()[0].locked_until is None


def test_unknown_user_names_lock_out_like_real_ones(station: Station) -> None:
    _add_officer(station)
    _lock(station.accounts, "lan")
    _lock(station.accounts, "ghost")
    real = _message(station.accounts.login, "lan", "anything")
    ghost = _message(station.accounts.login, "ghost", "anything")
    assert real == ghost


def test_an_officer_cannot_add_users_but_an_administrator_can(station: Station) -> None:
    _add_officer(station)
    officer = station.accounts.login("lan", "tạm-thời-1")
    with pytest.raises(PermissionDenied):
        station.accounts.add_user(officer, "hung", "Lê Hùng", Role.CHIEF, "password-123")

    assert officer.db_key == station.admin.db_key
    assert officer.must_change_password
    assert officer.actor.role is Role.OFFICER
    assert [u.username for u in station.accounts.users()] == ["admin", "lan"]


def test_a_forged_admin_session_is_refused(station: Station) -> None:
    forged = LoginResult(Actor("admin", "x", Role.ADMIN), bytes(32))
    with pytest.raises(UserFacingError):
        station.accounts.add_user(forged, "eve", "Eve", Role.ADMIN, "password-123")
    assert len(station.accounts.users()) == 1


def test_a_demoted_administrator_loses_rights_at_once(station: Station) -> None:
    station.accounts.add_user(station.admin, "admin2", "Phó", Role.ADMIN, "password-123")
    station.accounts.set_role(station.admin, "admin", Role.CHIEF)
    with pytest.raises(PermissionDenied):  # the old session still claims the admin role
        station.accounts.add_user(station.admin, "eve", "Eve", Role.OFFICER, "password-123")


def test_change_password_clears_must_change(station: Station) -> None:
    _add_officer(station)
    changed = station.accounts.change_password("lan", "tạm-thời-1", "mật-khẩu-mới")
    assert not changed.must_change_password
    assert changed.db_key == station.admin.db_key
    with pytest.raises(UserFacingError):
        station.accounts.login("lan", "tạm-thời-1")
    again = station.accounts.login("lan", "mật-khẩu-mới")
    assert not again.must_change_password
    assert again.db_key == station.admin.db_key


def test_password_and_user_name_rules_name_their_fields(station: Station) -> None:
    cases = [
        (("x", "Name", Role.OFFICER, "password-123"), "username"),
        (("admin", "Name", Role.OFFICER, "password-123"), "username"),  # taken
        (("hung", " ", Role.OFFICER, "password-123"), "display_name"),
        (("hung", "Lê Hùng", Role.OFFICER, "short"), "password"),
        (("hungle", "Lê Hùng", Role.OFFICER, "HungLe"), "password"),
        (("hunglevan", "Lê Hùng", Role.OFFICER, "HungLeVan"), "password"),  # the user name
    ]
    for args, field_name in cases:
        with pytest.raises(ValidationError) as caught:
            station.accounts.add_user(station.admin, *args)
        assert field_name in caught.value.field_errors
    with pytest.raises(ValidationError) as caught:
        station.accounts.change_password("admin", ADMIN_PASSWORD, "short")
    assert "new_password" in caught.value.field_errors


def test_reset_password_sets_must_change_and_clears_the_lock_out(station: Station) -> None:
    _add_officer(station)
    _lock(station.accounts, "lan")
    station.accounts.reset_password(station.admin, "lan", "đặt-lại-123")
    reset = station.accounts.login("lan", "đặt-lại-123")
    assert reset.must_change_password
    assert reset.db_key == station.admin.db_key
    with pytest.raises(NotFound):
        station.accounts.reset_password(station.admin, "nobody", "đặt-lại-123")


def test_the_last_administrator_cannot_be_disabled_or_demoted(station: Station) -> None:
    accounts, admin = station.accounts, station.admin
    with pytest.raises(UserFacingError):
        accounts.set_disabled(admin, "admin", True)
    with pytest.raises(UserFacingError):
        accounts.set_role(admin, "admin", Role.CHIEF)
    assert accounts.users()[0].role is Role.ADMIN
    assert not accounts.users()[0].disabled

    accounts.add_user(admin, "admin2", "Phó", Role.ADMIN, "password-123")
    accounts.set_disabled(admin, "admin2", True)
    with pytest.raises(UserFacingError):  # admin2 is disabled, so admin is the last one again
        accounts.set_role(admin, "admin", Role.OFFICER)
    accounts.set_disabled(admin, "admin2", False)
    accounts.set_role(admin, "admin", Role.CHIEF)
    assert {u.username: u.role for u in accounts.users()} == {
        "admin": Role.CHIEF,
        "admin2": Role.ADMIN,
    }


def test_a_disabled_account_cannot_log_in(station: Station) -> None:
    _add_officer(station)
    station.accounts.set_disabled(station.admin, "lan", True)
    message = _message(station.accounts.login, "lan", "tạm-thời-1")
    assert message != _message(station.accounts.login, "lan", "wrong password")


def _edit(path: Path, change: Any) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document), encoding="utf-8")


def test_editing_a_role_in_the_file_is_detected(station: Station) -> None:
    _add_officer(station)

    def promote(document: dict[str, Any]) -> None:
        document["users"][1]["role"] = "admin"

    _edit(station.accounts.path, promote)
    promoted = _message(station.accounts.login, "lan", "tạm-thời-1")
    assert promoted == _message(station.accounts.login, "admin", ADMIN_PASSWORD)
    assert promoted != _message(station.accounts.login, "lan", "wrong password")


def test_a_user_copied_into_the_file_is_detected(station: Station) -> None:
    def clone(document: dict[str, Any]) -> None:
        copy = dict(document["users"][0], username="eve")
        document["users"].append(copy)

    _edit(station.accounts.path, clone)
    with pytest.raises(UserFacingError):
        station.accounts.login("admin", ADMIN_PASSWORD)


def test_resetting_the_lock_out_counters_by_hand_is_not_tampering(station: Station) -> None:
    _lock(station.accounts, "admin")

    def unlock(document: dict[str, Any]) -> None:
        document["users"][0].update(failed_attempts=0, locked_until=None)

    _edit(station.accounts.path, unlock)
    assert station.accounts.login("admin", ADMIN_PASSWORD).db_key == station.admin.db_key


def test_the_file_holds_no_key_and_no_password(station: Station) -> None:
    _add_officer(station)
    station.accounts.login("lan", "tạm-thời-1")
    raw = station.accounts.path.read_bytes()
    key = station.admin.db_key
    code = station.recovery_code.replace("-", "")
    secrets = [
        key,
        key.hex().encode(),
        key.hex().upper().encode(),
        base64.b64encode(key),
        base64.b64encode(key).rstrip(b"="),
        base64.urlsafe_b64encode(key).rstrip(b"="),
        base64.b32encode(key).rstrip(b"="),
        code.encode(),
    ]
    for password in (ADMIN_PASSWORD, "tạm-thời-1"):
        encoded = password.encode()
        secrets += [encoded, encoded.hex().encode(), base64.b64encode(encoded)]
        secrets += [password.encode("utf-16-le"), json.dumps(password).encode()]
    for secret in secrets:
        assert secret not in raw


def test_the_recovery_code_resets_the_administrator_password(station: Station) -> None:
    accounts = station.accounts
    _lock(accounts, "admin")
    typed = station.recovery_code.lower().replace("-", " ")
    recovered = accounts.recover(typed, "admin", "khôi-phục-2026")
    assert recovered.db_key == station.admin.db_key
    assert accounts.login("admin", "khôi-phục-2026").db_key == station.admin.db_key
    with pytest.raises(UserFacingError):
        accounts.login("admin", ADMIN_PASSWORD)

    with pytest.raises(UserFacingError):
        accounts.recover("AAAA-" + station.recovery_code[5:], "admin", "khôi-phục-2027")
    _add_officer(station)
    with pytest.raises(UserFacingError):
        accounts.recover(station.recovery_code, "lan", "khôi-phục-2027")

    fresh = accounts.new_recovery_code(recovered)
    assert fresh != station.recovery_code
    with pytest.raises(UserFacingError):
        accounts.recover(station.recovery_code, "admin", "khôi-phục-2027")
    assert accounts.recover(fresh, "admin", "khôi-phục-2027").db_key == station.admin.db_key


def test_the_permission_table_keeps_duties_apart() -> None:
    officer = Actor("lan", "Lan", Role.OFFICER)
    chief = Actor("hung", "Hùng", Role.CHIEF)
    admin = Actor("admin", "Quản", Role.ADMIN)
    for permission in (Permission.APPROVE, Permission.EXPORT_BUNDLES, Permission.MANAGE_USERS):
        assert not officer.can(permission)
    assert officer.can(Permission.EDIT_RECORDS)
    assert chief.can(Permission.APPROVE)
    assert chief.can(Permission.EDIT_RECORDS)
    assert not chief.can(Permission.MANAGE_USERS)
    for permission in (Permission.EDIT_RECORDS, Permission.APPROVE, Permission.SIGN_REPORTS):
        assert not admin.can(permission)
    assert admin.can(Permission.MANAGE_USERS)
    with pytest.raises(PermissionDenied):
        require(admin, Permission.EDIT_RECORDS)
    require(chief, Permission.LOCK_PERIOD)


def test_missing_newer_and_foreign_files_are_clear_errors(tmp_path: Path) -> None:
    accounts = Accounts(tmp_path / "station.sqlite", kdf=CHEAP)
    missing = _message(accounts.login, "admin", ADMIN_PASSWORD)
    accounts.create("admin", "Quản", ADMIN_PASSWORD)

    _edit(accounts.path, lambda document: document.update(version=2))
    newer = _message(accounts.login, "admin", ADMIN_PASSWORD)
    _edit(accounts.path, lambda document: document.update(version=1, format="other"))
    foreign = _message(accounts.users)
    assert len({missing, newer, foreign}) == 3


# --- any file content gives a clear error, never a traceback ------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=5,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _try_everything(accounts: Accounts) -> None:
    try:
        accounts.users()
        accounts.login("admin", ADMIN_PASSWORD)
    except UserFacingError:
        pass


@pytest.fixture
def valid_file(tmp_path: Path) -> tuple[Accounts, dict[str, Any]]:
    accounts = Accounts(tmp_path / "station.sqlite", kdf=CHEAP)
    admin, _ = accounts.create("admin", "Quản", ADMIN_PASSWORD)
    accounts.add_user(admin, "lan", "Lan", Role.OFFICER, "tạm-thời-1")
    return accounts, json.loads(accounts.path.read_text(encoding="utf-8"))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_mutated_json_gives_a_user_facing_error(
    valid_file: tuple[Accounts, dict[str, Any]], data: st.DataObject
) -> None:
    accounts, original = valid_file
    document = json.loads(json.dumps(original))
    path = data.draw(st.sampled_from(_paths(document)))
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    if isinstance(parent, dict) and data.draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = data.draw(JSON_VALUES)
    accounts.path.write_text(json.dumps(document), encoding="utf-8")
    # a file that says "use 1 GiB for argon2" must not make the test suite crawl
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts_module, "MAX_KDF", KdfParams(2, 64, 2))
        _try_everything(accounts)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=st.binary(max_size=300))
def test_random_bytes_give_a_user_facing_error(tmp_path: Path, content: bytes) -> None:
    accounts = Accounts(tmp_path / "station.sqlite", kdf=CHEAP)
    accounts.path.parent.mkdir(parents=True, exist_ok=True)
    accounts.path.write_bytes(content)
    with pytest.raises(UserFacingError):
        accounts.login("admin", ADMIN_PASSWORD)
