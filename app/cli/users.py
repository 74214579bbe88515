"""``modelward users …``: the station's accounts from the command line, through the same
``Accounts`` service as the "User accounts" screen (which checks the administrator's role).

A temporary password for another user is read from ``MODELWARD_NEW_PASSWORD`` or typed twice;
``users password`` lets a user replace their own (required after a reset or a new account);
``users recover`` lets an administrator who forgot the password back in with the recovery code
(app.cli.recovery)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.domain.errors import UserFacingError
from app.i18n import _

if TYPE_CHECKING:
    from app.core.services.accounts import Accounts, LoginResult, UserInfo

NEW_PASSWORD = "MODELWARD_NEW_PASSWORD"
ROLES = ("officer", "chief", "admin")


def add_parser(verbs: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    users = verbs.add_parser("users", help=_("the station's user accounts (administrator)"))
    actions = users.add_subparsers(dest="action", metavar="ACTION", required=True)
    added = actions.add_parser("add", help=_("add an account with a temporary password"))
    added.add_argument("name", help=_("user name: 3 to 32 lowercase letters or digits"))
    added.add_argument("--role", required=True, choices=ROLES)
    added.add_argument("--full-name", help=_("the user's full name (default: the user name)"))
    actions.add_parser("list", help=_("list the accounts and their state"))
    for action, text in (
        ("disable", _("disable an account")),
        ("enable", _("enable a disabled account")),
        ("reset-password", _("give an account a new temporary password")),
    ):
        actions.add_parser(action, help=text).add_argument("name")
    actions.add_parser("password", help=_("change your own password"))
    recover = actions.add_parser(
        "recover",
        help=_(
            "an administrator who forgot the password sets a new one with the recovery code "
            "(read from MODELWARD_RECOVERY_CODE or typed)"
        ),
    )
    recover.add_argument("name", help=_("the administrator's user name"))
    actions.add_parser(
        "new-recovery-code",
        help=_("administrator: replace the recovery code; the old one stops working"),
    )


def run_users_verb(path: Path, args: argparse.Namespace) -> int:
    from app.core.services.accounts import Accounts

    if not path.exists():
        raise UserFacingError(_("There is no database at {path}.").format(path=path))
    if args.action == "recover":
        from app.cli.recovery import recover

        return recover(path, args.name)
    accounts = Accounts(path)
    if args.action == "password":
        return _change_own_password(accounts, args)
    login: LoginResult | None = args.login
    if login is None:
        return _first_administrator(path, accounts, args)
    if args.action == "add":
        info = accounts.add_user(
            login, args.name, args.full_name or args.name, args.role, _temporary_password()
        )
        print(
            _("Account {name} ({role}) added; its owner chooses a password at first login.").format(
                name=info.username, role=_role(info)
            )
        )
    elif args.action == "new-recovery-code":
        from app.cli.recovery import new_recovery_code

        new_recovery_code(accounts, login)
    elif args.action == "list":
        for info in accounts.list_users(login):
            print(_user_line(info))
    elif args.action in ("disable", "enable"):
        accounts.set_disabled(login, args.name, args.action == "disable")
        done = (
            _("Account {name} disabled.")
            if args.action == "disable"
            else _("Account {name} enabled.")
        )
        print(done.format(name=args.name.strip().lower()))
    else:
        accounts.reset_password(login, args.name, _temporary_password())
        print(
            _("Temporary password set for {name}; it must be changed at the next login.").format(
                name=args.name.strip().lower()
            )
        )
    return 0


def _role(info: UserInfo) -> str:
    from app.core.domain.access import role_label

    return role_label(info.role)


def _user_line(info: UserInfo) -> str:
    states = []
    if info.disabled:
        states.append(_("disabled"))
    if info.must_change_password:
        states.append(_("must change the password"))
    if info.locked_until is not None:
        states.append(_("locked after wrong passwords"))
    state = ", ".join(states) or _("active")
    return f"{info.username:<20}  {_role(info):<16}  {info.display_name}  [{state}]"


def _temporary_password() -> str:
    from app.cli.common import password_from_terminal

    return password_from_terminal(_("Temporary password: "), confirm=True, variable=NEW_PASSWORD)


def _first_administrator(path: Path, accounts: Accounts, args: argparse.Namespace) -> int:
    """On a station without accounts (from before accounts existed) the first account is its
    administrator, as at the app's first start; the database is encrypted at once."""
    from app.cli.common import missing_accounts, password_from_terminal
    from app.core.services import storage

    if storage.is_encrypted(path):
        raise missing_accounts(path)
    if args.action != "add" or args.role != "admin":
        raise UserFacingError(
            _("This station has no user accounts yet; the first one is its administrator."),
            hint=_("Run 'modelward users add NAME --role admin' first."),
        )
    password = password_from_terminal(
        _("Password for the administrator {name}: ").format(name=args.name),
        confirm=True,
        variable="MODELWARD_PASSWORD",
    )
    login, code = accounts.create(args.name, args.full_name or args.name, password)
    storage.unlock(path, login.db_key)
    from app.core.services.storage import open_database

    open_database(path).close()  # encrypts the station and its backups now
    print(
        _("Administrator {name} created; the database is encrypted.").format(
            name=login.actor.username
        )
    )
    from app.cli.setup import print_recovery_code

    print_recovery_code(code)
    return 0


def _change_own_password(accounts: Accounts, args: argparse.Namespace) -> int:
    from app.cli.common import password_from_terminal

    name = args.user or os.environ.get("MODELWARD_USER")
    interactive = sys.stdin is not None and sys.stdin.isatty()
    if not name:
        if not interactive:
            raise UserFacingError(
                _("Say whose password to change."), hint=_("Pass --user or set MODELWARD_USER.")
            )
        name = input(_("User name: "))
    old = password_from_terminal(
        _("Current password: "), confirm=False, variable="MODELWARD_PASSWORD"
    )
    new = password_from_terminal(_("New password: "), confirm=True, variable=NEW_PASSWORD)
    login = accounts.change_password(name, old, new)
    print(_("Password changed for {name}.").format(name=login.actor.username))
    return 0
