"""A copy of the shipped, development-signed pack repository that tests can publish into."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.core.services import packs as service
from app.db.engine import Database
from app.paths import resources_dir
from app.sync.tuf_repo import Expiry, Repository, open_repository

DEV_KEYS = resources_dir() / "trust" / "dev-keys"


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    folder = tmp_path / "usb" / "packs"
    shutil.copytree(service.bundled_repository(), folder)
    return open_repository(folder, DEV_KEYS, None, Expiry())


@pytest.fixture
def installed_db(db: Database) -> Database:
    service.install_bundled(db, datetime.now(UTC), "test")
    return db


def pack_file(tmp_path: Path, name: str, change: Any = None, version: int | None = None) -> Path:
    """A copy of a shipped pack, optionally changed, written to ``tmp_path``."""
    doc = json.loads((resources_dir() / "packs" / f"{name}.json").read_text(encoding="utf-8"))
    if version is not None:
        doc["version"] = version
    if change is not None:
        change(doc)
    target = tmp_path / f"{name}-v{doc['version']}-{abs(hash(json.dumps(doc))) % 10**6}.json"
    target.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return target
