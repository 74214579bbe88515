"""The demo's ready-made accounts: one per role that logs in at once, a station key the chief
approves with, an encrypted file, and a card that only a demo database shows."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from app.core.domain.access import Role
from app.core.services import demo_accounts
from app.core.services.approvals import MONTH, ApprovalService, month_key
from app.core.services.demo import DEMO_PROFILE, DemoBuilder
from app.core.services.profile import load, set_up
from app.db import cipher
from app.db.open import open_database
from app.security.accounts import Accounts, KdfParams
from app.sync import keys as station_keys

CHEAP = KdfParams(time_cost=1, memory_cost=8, parallelism=1)
TODAY = date(2026, 11, 23)


def _plaintext_demo(path: Path) -> None:
    db = open_database(path)
    DemoBuilder(db, 1, TODAY, seed=3).build()
    db.close()


def _real_station(path: Path) -> bytes:
    """A real (not demo) ward with its administrator, encrypted as the app leaves it."""
    db = open_database(path)
    set_up(db, DEMO_PROFILE)
    db.close()
    admin, _code = Accounts(path, kdf=CHEAP).create("quantri", "Lê Quản Trị", "mật khẩu 1234")
    cipher.unlock(path, admin.db_key)
    open_database(path).close()
    cipher.forget(path)
    return admin.db_key


@pytest.fixture(autouse=True)
def _forget_keys() -> None:
    cipher.forget_all()


def test_the_demo_gets_one_ready_account_per_role_and_is_encrypted(tmp_path: Path) -> None:
    path = tmp_path / "demo.sqlite"
    _plaintext_demo(path)
    card = demo_accounts.create(path, kdf=CHEAP)

    assert {account.role for account in card.accounts} == {Role.OFFICER, Role.CHIEF, Role.ADMIN}
    accounts = Accounts(path, kdf=CHEAP)
    for account in card.accounts:  # each logs in with what the card shows, no forced change
        login = accounts.login(account.username, account.password)
        assert login.actor.role is account.role and not login.must_change_password
    # encrypted like a real station: nothing of the ward is readable in the file
    raw = path.read_bytes()
    assert cipher.is_encrypted(path)
    assert b"SQLite format 3" not in raw and "Trường Vinh".encode() not in raw
    assert demo_accounts.read_card(path) == card

    # the chief approves a month with the station key's passphrase from the card
    assert card.key_passphrase is not None
    keys = station_keys.unlock(station_keys.keys_folder(path), card.key_passphrase)
    chief = next(a for a in card.accounts if a.role is Role.CHIEF)
    login = accounts.login(chief.username, chief.password)
    cipher.unlock(path, login.db_key)
    db = open_database(path)
    try:
        assert load(db).is_demo
        state = ApprovalService(db, actor=login.actor).approve(MONTH, month_key(2026, 10), keys)
        assert state.state == "approved"
    finally:
        db.close()


def test_a_real_station_never_shows_a_demo_card(tmp_path: Path) -> None:
    demo = tmp_path / "demo.sqlite"
    _plaintext_demo(demo)
    demo_accounts.create(demo, kdf=CHEAP)
    real = tmp_path / "station.sqlite"
    real_key = _real_station(real)

    # the demo's card copied beside the real station: its key opens nothing there
    shutil.copy(demo_accounts.card_path(demo), demo_accounts.card_path(real))
    assert demo_accounts.read_card(real) is None
    # a card that holds the real station's own key: the database is not the demo
    text = demo_accounts.card_path(real).read_text(encoding="utf-8")
    forged = text.replace(
        text.split('"db_key": "')[1].split('"')[0],
        real_key.hex(),
    )
    demo_accounts.card_path(real).write_text(forged, encoding="utf-8")
    assert demo_accounts.read_card(real) is None
    # no demo accounts are made in a real station, nor in a damaged or foreign card's file
    assert demo_accounts.ensure(real, kdf=CHEAP) is None
    with pytest.raises(Exception, match="không phải"):
        demo_accounts.create(real, kdf=CHEAP)
    demo_accounts.card_path(real).write_text("{not json", encoding="utf-8")
    assert demo_accounts.read_card(real) is None
    assert [user.username for user in Accounts(real).users()] == ["quantri"]


def test_a_demo_account_name_is_refused_on_a_real_station(tmp_path: Path) -> None:
    from app.core.domain.access import Actor
    from app.core.domain.errors import UserFacingError

    real = tmp_path / "station.sqlite"
    db = open_database(real)
    station = set_up(db, DEMO_PROFILE)
    db.close()
    officer = Actor("demo.canbo", "Nguyễn Văn An", Role.OFFICER)
    with pytest.raises(UserFacingError, match="demo"):
        demo_accounts.refuse_on_real_station(station, officer)
    demo_accounts.refuse_on_real_station(station, Actor("nvan", "Nguyễn Văn An", Role.OFFICER))


def test_an_older_demo_without_accounts_gets_them_once(tmp_path: Path) -> None:
    """A demo built before accounts existed (plaintext, no accounts): ``make run`` gives it the
    accounts; running again changes nothing."""
    path = tmp_path / "demo.sqlite"
    _plaintext_demo(path)
    first = demo_accounts.ensure(path, kdf=CHEAP)
    assert first is not None and cipher.is_encrypted(path)
    accounts_file = Accounts(path).path.read_bytes()
    assert demo_accounts.ensure(path, kdf=CHEAP) == first
    assert Accounts(path).path.read_bytes() == accounts_file
    assert demo_accounts.ensure(tmp_path / "missing.sqlite", kdf=CHEAP) is None


def test_a_demo_built_on_the_setup_screen_gets_the_demo_accounts_beside_its_admin(
    tmp_path: Path,
) -> None:
    path = tmp_path / "station.sqlite"
    admin, _code = Accounts(path, kdf=CHEAP).create("nguoimoi", "Người Mới", "mật khẩu 1234")
    cipher.unlock(path, admin.db_key)
    db = open_database(path)  # created encrypted, as the app does after the first login
    DemoBuilder(db, 1, TODAY, seed=3).build()
    db.close()
    cipher.forget(path)
    card = demo_accounts.add_to_station(path, admin, kdf=CHEAP)
    names = {user.username for user in Accounts(path).users()}
    assert names == {"nguoimoi"} | {account.username for account in card.accounts}
    assert demo_accounts.read_card(path) == card and card.key_passphrase is not None
