"""Shared fixtures: a fresh, set-up station database per test, fixed dates, offscreen Qt."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from app.core.services.demo import DEMO_PROFILE
from app.core.services.profile import set_up
from app.core.services.records import RecordService
from app.db.engine import Database
from app.db.open import open_database
from app.i18n import set_language

# the ward/province pair used by the sync tests and the sync screens; tests.one_sqlite: raw
# peeks at station files use the app's SQLite build (two builds in one process corrupt WAL)
pytest_plugins = ["tests.one_sqlite", "tests.sync.bundle_pairs"]

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _vietnamese(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Every test starts in Vietnamese, with data and logs in its own folder."""
    monkeypatch.setenv("MODELWARD_DATA_DIR", str(tmp_path / "data"))
    set_language("vi")
    yield
    set_language("vi")


@pytest.fixture
def empty_db(tmp_path: Path) -> Iterator[Database]:
    db = open_database(tmp_path / "station.sqlite")
    yield db
    db.close()


@pytest.fixture
def db(empty_db: Database) -> Database:
    set_up(empty_db, DEMO_PROFILE, today=date(2025, 7, 1))
    return empty_db


@pytest.fixture
def service(db: Database) -> RecordService:
    return RecordService(db, author="Nguyễn Văn An", clock=lambda: NOW, today=lambda: TODAY)
