"""Opening the station database: engine, pragmas, transactions and error mapping."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, pool
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

import app.db.audit
import app.db.tracking  # noqa: F401  (registers the flush hooks)
from app.core.domain.errors import EnvironmentProblem
from app.db import cipher, instance_lock
from app.db.errors import database_errors, environment_problem
from app.i18n import _

BUSY_TIMEOUT_MS = 5000


def _pragmas(busy_timeout_ms: int) -> Any:
    def on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        _on_connect(dbapi_connection, busy_timeout_ms)

    return on_connect


def _on_connect(dbapi_connection: sqlite3.Connection, busy_timeout_ms: int) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = FULL")
    # 64 MiB of page cache (SQLite's default is 2 MiB): halves the time of large imports
    cursor.execute("PRAGMA cache_size = -65536")
    cursor.close()


def _on_begin(connection: Any) -> None:
    # Writers take the write lock up front so two writers never deadlock on lock upgrade;
    # readers use a deferred transaction so they never wait for a long import.
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


# SQLite before 3.51.3 can corrupt a WAL database when two connections write or checkpoint
# at the same moment (the WAL-reset bug); one writer connection per process, and one process
# per database (app.db.instance_lock), keep the app clear of it on any SQLite.
WAL_RESET_FIXED = (3, 51, 3)


def make_engine(
    path: Path,
    busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    *,
    single: bool = False,
    key: cipher.KeyArg = cipher.REGISTERED,
) -> Engine:
    """An engine on ``path``; ``single`` gives a pool of exactly one connection (the writer),
    which a second writer waits for as long as SQLite would wait for the lock.

    ``key`` (by default the key unlocked for the file, see ``app.db.cipher``) selects
    SQLAlchemy's pysqlcipher dialect over sqlcipher3, which applies the raw key first on every
    new connection; without a key the engine is the pysqlite dialect over sqlcipher3's module,
    so every connection runs the SQLite build sqlcipher3 bundles (``app.db.cipher.dbapi``).
    """
    key = cipher.resolve_key(path, key)
    options: dict[str, Any] = {}
    if single:
        options = {"pool_size": 1, "max_overflow": 0, "pool_timeout": busy_timeout_ms / 1000}
    if key is None:
        # sqlcipher3's SQLite without a key: the same build as every other connection
        engine = create_engine(f"sqlite+pysqlite:///{path}", module=cipher.dbapi(), **options)
    else:
        # the dialect defaults to SingletonThreadPool; the app's reader/writer split needs the
        # same QueuePool as pysqlite's file databases
        engine = create_engine(
            cipher.sqlalchemy_url(path, key), poolclass=pool.QueuePool, **options
        )
        event.listen(engine, "handle_error", _mark_keyed)
    event.listen(engine, "connect", _pragmas(busy_timeout_ms))
    event.listen(engine, "begin", _on_begin)
    return engine


def _mark_keyed(context: Any) -> None:
    """Tell ``app.db.errors`` that the failing connection had a key applied ("not a database"
    then means a wrong key, not a damaged file)."""
    with contextlib.suppress(AttributeError, TypeError):
        context.original_exception.keyed_connection = True


def sqlite_is_affected_by_wal_reset() -> bool:
    return cipher.sqlite_version_info() < WAL_RESET_FIXED


_open: dict[Path, int] = {}  # resolved path -> Database objects open on it in this process
_open_guard = threading.Lock()


def is_open(path: Path) -> bool:
    """Whether a ``Database`` of this process has ``path`` open (its file must not be replaced
    under it, e.g. by the move to encryption)."""
    with _open_guard:
        return _open.get(path.resolve(), 0) > 0


class Database:
    """One station database file: any number of reader connections, one writer connection."""

    def __init__(
        self,
        path: Path,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
        *,
        key: cipher.KeyArg = cipher.REGISTERED,
    ) -> None:
        """``key``: see ``make_engine``; a wrong or missing key for an encrypted file raises
        ``DatabaseLocked`` here, before anything is opened or written."""
        self.path = path
        # set when the start-up check finds damage: every write is refused (recovery mode)
        self.read_only = False
        if not isinstance(key, bytes):
            key = cipher.resolve_key(path, key)  # raises DatabaseLocked for a locked file
        elif cipher.is_encrypted(path):
            cipher.connect(path, readonly=True, key=key).close()  # refuse a wrong key now
        self.encrypted = key is not None
        instance_lock.acquire(path)
        with _open_guard:
            _open[path.resolve()] = _open.get(path.resolve(), 0) + 1
        self.engine = make_engine(path, busy_timeout_ms, key=key)
        self.write_engine = make_engine(path, busy_timeout_ms, single=True, key=key)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(
            self.write_engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False
        )

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A short read-only unit of work."""
        with mapped_errors(), self._reader() as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A unit of work that commits on success and rolls back on any error."""
        if self.read_only:
            raise EnvironmentProblem(
                _("The database is damaged, so ModelWard is read-only until it is restored."),
                hint=_("Restore a verified backup on the 'Backup and restore' screen."),
            )
        with mapped_errors(), self._writer() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()
        self.write_engine.dispose()
        with _open_guard:
            left = _open.pop(self.path.resolve(), 0) - 1
            if left > 0:
                _open[self.path.resolve()] = left
        instance_lock.release(self.path)


@contextmanager
def mapped_errors() -> Iterator[None]:
    try:
        yield
    except PoolTimeout as error:
        raise EnvironmentProblem(
            _("The database is busy with another long task (an import or an export)."),
            hint=_("Wait until it finishes, then try again. Nothing was lost."),
        ) from error
    except database_errors(DBAPIError) as error:
        problem = environment_problem(error)
        if problem is None:
            raise
        raise problem from error


def check_file_openable(path: Path) -> None:
    """Refuse clearly when the database folder cannot hold a database."""
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise EnvironmentProblem(
            _("Cannot create the data folder {folder}.").format(folder=folder),
            hint=_("Choose another folder or ask the administrator for permission."),
        ) from error
