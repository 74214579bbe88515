"""The station's database as the screens and the command line hold it: the handle they pass to
every service (:class:`Database`), opening it, and the key a login unlocks for it.

The UI and the CLI never look inside the database; they get a :class:`Database` here and hand
it back to the services. What opening does (the lock against a second program, migrations, the
automatic backup before them, encrypting a plaintext station) is ``app.db.open``; the key
registry is ``app.db.keyring``; the cipher is ``app.db.cipher``.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from app.db import cipher, instance_lock
from app.db.engine import Database as Database
from app.db.errors import database_errors
from app.db.open import open_database as open_database

__all__ = [
    "Database",
    "forget_key",
    "hold_exclusively",
    "is_demo_database",
    "is_encrypted",
    "let_go",
    "open_database",
    "unlock",
]


def unlock(path: Path, db_key: bytes) -> None:
    """Remember the key a login unwrapped for the database at ``path`` until logout."""
    cipher.unlock(path, db_key)


def forget_key(path: Path) -> None:
    """Drop the key of the database at ``path`` (logout, closing the station)."""
    cipher.forget(path)


def is_encrypted(path: Path) -> bool:
    """True when ``path`` holds an encrypted database (or something that is no database)."""
    return cipher.is_encrypted(path)


def hold_exclusively(path: Path) -> None:
    """Keep other programs out of the database at ``path`` (while a file is swapped in)."""
    instance_lock.acquire(path)


def let_go(path: Path) -> None:
    """Undo :func:`hold_exclusively`."""
    instance_lock.release(path)


def is_demo_database(path: Path) -> bool:
    """Whether the plaintext database at ``path`` is marked as the demo ward (read without
    opening it as a station: no lock, no migration)."""
    from app.core.services.profile import DEMO_KEY

    try:
        with contextlib.closing(cipher.connect(path, readonly=True, key=None)) as raw:
            row = raw.execute("SELECT value FROM app_meta WHERE key = ?", (DEMO_KEY,)).fetchone()
    except database_errors():
        return False
    return row is not None and row[0] == "1"
