"""Test helper: user accounts for a station that tests drive through the real ``modelward``
command, which changes no data on a station without accounts (issue 13, item 2)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from app.core.domain.access import Role
from app.security.accounts import Accounts, KdfParams

# cheap argon2 parameters: they are stored per account, so the subprocesses log in fast too
CHEAP_KDF = KdfParams(time_cost=1, memory_cost=8, parallelism=1)
PASSWORDS = {
    "quantri": "quản trị 2026",
    "truong": "trưởng công an 2026",
    "canbo": "cán bộ 2026",
}


@dataclass(frozen=True)
class StationAccounts:
    path: Path
    db_key: bytes = field(repr=False)

    def env(self, user: str, base: dict[str, str] | None = None) -> dict[str, str]:
        """The environment of a command run as ``user`` (quantri, truong or canbo)."""
        return {
            **(os.environ if base is None else base),
            "MODELWARD_USER": user,
            "MODELWARD_PASSWORD": PASSWORDS[user],
        }

    def unlock(self) -> None:
        """Unlock the (now encrypted) database in this process too."""
        from app.db import cipher

        cipher.unlock(self.path, self.db_key)


def give_accounts(path: Path, *, encrypt: bool = True) -> StationAccounts:
    """An administrator (quantri), a chief (truong) and an officer (canbo) for the closed
    station database at ``path``, passwords already their own; with ``encrypt`` the database
    (and its backups) is encrypted now, as the first login would do."""
    accounts = Accounts(path, kdf=CHEAP_KDF)
    admin, _code = accounts.create("quantri", "Lê Quản Trị", PASSWORDS["quantri"])
    for name, role in (("truong", Role.CHIEF), ("canbo", Role.OFFICER)):
        accounts.add_user(admin, name, name.title(), role, "tạm thời 12345")
        accounts.change_password(name, "tạm thời 12345", PASSWORDS[name])
    station = StationAccounts(path, admin.db_key)
    if encrypt:
        from app.db.open import open_database

        station.unlock()
        open_database(path).close()
    return station
