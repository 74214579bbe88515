"""The database keys unlocked in this process, in memory only, under each database's resolved
path: a login puts a key here (``app.security.accounts``), every connection to that file takes
it from here (``app.db.cipher``), and the error map asks whether any is unlocked
(``app.db.errors``). Keys are never logged and never written anywhere by this module."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Final

KEY_BYTES: Final = 32

_keys: dict[Path, bytes] = {}
_guard = threading.Lock()


def _where(db_path: Path) -> Path:
    return Path(db_path).resolve()


def unlock(db_path: Path, key: bytes) -> None:
    """Remember ``key`` for the database at ``db_path`` until :func:`forget`."""
    if not isinstance(key, bytes) or len(key) != KEY_BYTES:
        raise ValueError("a database key is 32 random bytes")
    with _guard:
        _keys[_where(db_path)] = bytes(key)


def key_for(db_path: Path) -> bytes | None:
    """The key unlocked for exactly this database file, or None."""
    with _guard:
        return _keys.get(_where(db_path))


def forget(db_path: Path) -> None:
    """Drop the key of ``db_path`` (logout, closing the station)."""
    with _guard:
        _keys.pop(_where(db_path), None)


def forget_all() -> None:
    with _guard:
        _keys.clear()


def unlocked_keys(first: bytes | None) -> list[bytes]:
    """Every unlocked key, ``first`` (if any) at the head."""
    with _guard:
        others = [key for key in _keys.values() if key != first]
    return ([first] if first is not None else []) + others
