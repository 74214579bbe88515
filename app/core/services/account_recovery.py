"""An administrator who forgot the password gets back in with the recovery code printed at
set-up: the same steps for the ``users recover`` verb and the login screen's "Forgot the
password?" dialog.

The code unwraps the database key; the administrator's password is replaced (the accounts file
is left as it was when the code or the new password is refused); the database key is then
unlocked for this process and, where the station's database exists, the recovery is written to
its audit trail under the administrator's name."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from app.security.accounts import Accounts, LoginResult

log = logging.getLogger(__name__)

ACTION = "recover-password"  # the audit trail's action for a password reset by recovery code
TABLE = "user_accounts"  # not a table of the database: the entry is about the accounts file


@dataclass(frozen=True)
class Recovery:
    login: LoginResult
    audited: bool  # False when the station has no database yet or its trail could not be written


def recover_administrator(
    accounts: Accounts, recovery_code: str, username: str, new_password: str
) -> Recovery:
    """Give the administrator ``username`` of the station of ``accounts`` the password
    ``new_password``; raises ``UserFacingError`` (nothing changed) for a wrong code, user name
    or password."""
    db_path = accounts.db_path
    login = accounts.recover(recovery_code, username, new_password)
    from app.db import cipher

    cipher.unlock(db_path, login.db_key)
    return Recovery(login, _audit(db_path, login))


def _audit(db_path: Path, login: LoginResult) -> bool:
    if not db_path.is_file() or not db_path.stat().st_size:
        return False
    from app.db import audit
    from app.db.open import open_database

    actor = login.actor
    try:
        db = open_database(db_path)
        try:
            with db.write() as session:
                audit.append(session, [(actor.display_name, ACTION, TABLE, actor.username, {})])
        finally:
            db.close()
    except Exception:  # the password is already reset: the officer must still get in
        log.exception("could not write the recovery to the audit trail of %s", db_path)
        return False
    return True
