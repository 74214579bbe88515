"""One SQLite build in the test process too, as in the app (issue 13, item 17).

Every connection the app makes goes through sqlcipher3's SQLite (``app.db.cipher.dbapi``).
Tests peek at station files with ``sqlite3.connect``; a second SQLite library in one process
does not see the first one's POSIX locks, so when its connection closes it takes itself for
the last one and deletes the WAL under the app's open connections ("disk I/O error", lost
commits: https://sqlite.org/howtocorrupt.html, "multiple copies of SQLite"). Loaded from
``tests/conftest.py``, this makes ``sqlite3.connect`` on a file use sqlcipher3's module without
a key; in-memory databases (``deserialize``, which sqlcipher3 lacks) keep the standard one.
"""

from __future__ import annotations

import sqlite3
import sqlite3.dump
from collections.abc import Iterator
from typing import Any

from app.db import cipher

stdlib_connect = sqlite3.connect


# The base class is sqlcipher3's, reached at run time through cipher.dbapi() (typed Any).
class _Connection(cipher.dbapi().Connection):  # type: ignore[misc]
    """sqlcipher3's connection with the standard module's ``iterdump`` (pure Python there)."""

    def iterdump(self) -> Iterator[str]:
        # the standard module's private helper, absent from typeshed
        return sqlite3.dump._iterdump(self)  # type: ignore[attr-defined, no-any-return]


def _one_build(database: Any, *args: Any, **kwargs: Any) -> Any:
    if str(database) == ":memory:":
        return stdlib_connect(database, *args, **kwargs)
    kwargs.setdefault("factory", _Connection)
    return cipher.dbapi().connect(database, *args, **kwargs)


sqlite3.connect = _one_build
