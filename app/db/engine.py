"""Opening the station database: engine, pragmas, transactions and error mapping."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

import app.db.audit
import app.db.tracking  # noqa: F401  (registers the flush hooks)
from app.core.errors import EnvironmentProblem
from app.db.errors import environment_problem
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


def make_engine(path: Path, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Engine:
    engine = create_engine(f"sqlite+pysqlite:///{path}")
    event.listen(engine, "connect", _pragmas(busy_timeout_ms))
    event.listen(engine, "begin", _on_begin)
    return engine


class Database:
    """One station database file with a reader and a writer session factory."""

    def __init__(self, path: Path, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        self.path = path
        self.engine = make_engine(path, busy_timeout_ms)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(
            self.engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False
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
        with mapped_errors(), self._writer() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()


@contextmanager
def mapped_errors() -> Iterator[None]:
    try:
        yield
    except (DBAPIError, sqlite3.Error) as error:
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
