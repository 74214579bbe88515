"""``modelward setup ward`` and ``modelward province setup``: a new station from the command
line, the way the app's first start makes one. The administrator is created first; the login
unlocks the new database key, so the database is encrypted from its first byte; then the unit
is set up and the recovery code is printed, once."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.domain.errors import UserFacingError
from app.i18n import _

if TYPE_CHECKING:
    from app.core.services.accounts import Accounts, LoginResult
    from app.core.services.profile import ProfileInput, StationProfile

UNIT_KINDS = {
    "ward": "ward_police",
    "commune": "commune_police",
    "special-zone": "special_zone_police",
}


def add_admin_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--admin",
        required=True,
        help=_(
            "user name of the station's administrator (the password is read from "
            "MODELWARD_PASSWORD or typed twice)"
        ),
    )
    parser.add_argument("--full-name", help=_("the administrator's full name"))


def add_province_setup_parser(
    actions: argparse._SubParsersAction,  # type: ignore[type-arg]
    name: str = "setup",
) -> None:
    """``province setup`` (with the province verbs) and ``setup province``."""
    setup = actions.add_parser(name, help=_("set this station up as a province"))
    setup.add_argument("--province", required=True, help=_("2-digit province code"))
    add_admin_arguments(setup)


def add_parser(verbs: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    setup = verbs.add_parser("setup", help=_("set up a new station with its administrator"))
    actions = setup.add_subparsers(dest="action", metavar="ACTION", required=True)
    ward = actions.add_parser("ward", help=_("set this station up as a ward (or commune) police"))
    ward.add_argument("--unit", required=True, help=_("the unit's 5-digit code, e.g. 16681"))
    ward.add_argument("--province", required=True, help=_("2-digit province code"))
    ward.add_argument(
        "--name", required=True, help=_("the unit's full name, e.g. Công an phường Trường Vinh")
    )
    ward.add_argument(
        "--place", help=_("place name printed on documents (default: taken from the name)")
    )
    ward.add_argument("--kind", choices=sorted(UNIT_KINDS), default="ward")
    add_admin_arguments(ward)
    add_province_setup_parser(actions, "province")


def _province_code(code: str) -> str:
    from app.core.services import profile

    known = {province.code: province for province in profile.provinces()}
    if code.strip() not in known:
        raise UserFacingError(
            _("There is no province with the code {code}.").format(code=code),
            hint=_("The codes of QĐ 19/2025/QĐ-TTg: {codes}.").format(
                codes=", ".join(f"{p.code} {p.name}" for p in known.values())
            ),
        )
    return code.strip()


def _place_from(name: str) -> str:
    """ "Công an phường Trường Vinh" → "Trường Vinh"."""
    words = name.split()
    for prefix in (("công", "an", "phường"), ("công", "an", "xã"), ("công", "an", "đặc", "khu")):
        if tuple(word.lower() for word in words[: len(prefix)]) == prefix:
            return " ".join(words[len(prefix) :])
    return name


def _ward_input(args: argparse.Namespace) -> ProfileInput:
    from app.core.domain.text import clean
    from app.core.services.profile import ProfileInput, validate_profile

    name = clean(args.name)
    data = ProfileInput(
        province_code=_province_code(args.province),
        ward_code=args.unit,
        ward_name=name,
        place_name=clean(args.place) if args.place is not None else _place_from(name),
        unit_kind=UNIT_KINDS[args.kind],
    )
    return validate_profile(data)  # before any file is made


def run_setup_verb(path: Path, args: argparse.Namespace) -> int:
    from app.cli.common import password_from_terminal
    from app.core.services.accounts import Accounts

    province = args.verb == "province" or args.action == "province"
    data = None if province else _ward_input(args)
    province_code = _province_code(args.province)
    accounts = Accounts(path)
    _refuse_existing(path, accounts)
    password = password_from_terminal(
        _("Password for the administrator {name}: ").format(name=args.admin),
        confirm=True,
        variable="MODELWARD_PASSWORD",
    )
    login, code = accounts.create(args.admin, args.full_name or args.admin, password)
    try:
        station = _set_up(path, login, data, province_code)
    except BaseException:
        _undo(path, accounts)
        raise
    print(_("Set up as {name}.").format(name=station.unit.name))
    print(
        _("Administrator {name} created; the database is encrypted.").format(
            name=login.actor.username
        )
    )
    print_recovery_code(code)
    return 0


def _refuse_existing(path: Path, accounts: Accounts) -> None:
    if (path.exists() and path.stat().st_size) or accounts.exists():
        raise UserFacingError(
            _("{path} already exists; a station is set up only in a new database file.").format(
                path=path
            ),
            hint=_("Pass --db with the path of a new file."),
        )


def _set_up(
    path: Path, login: LoginResult, data: ProfileInput | None, province_code: str
) -> StationProfile:
    from app.core.services import storage
    from app.core.services.station import set_up_province_station, set_up_station
    from app.core.services.storage import open_database

    storage.unlock(path, login.db_key)  # a new file with an unlocked key is created encrypted
    db = open_database(path)
    try:
        if data is None:
            return set_up_province_station(db, province_code, actor=login.actor)
        return set_up_station(db, data, actor=login.actor)
    finally:
        db.close()


def _undo(path: Path, accounts: Accounts) -> None:
    """A set-up that failed half-way leaves no database and no accounts behind."""
    from app.core.services import storage

    storage.forget_key(path)
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), accounts.path):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()


def print_recovery_code(code: str) -> None:
    print()
    print(_("Recovery code"))
    print(
        _(
            "Write this code on paper and keep it in the station's safe. It is shown only "
            "once. With it an administrator who forgot the password can get back in; "
            "without it, and without any administrator's password, the data cannot be "
            "opened."
        )
    )
    print()
    print(f"    {code}")
    print()
