"""The station every crash trial starts from: a demo ward that is keyed, enrolled, trusts its
province and has had its first bundle acknowledged, built once and copied per trial."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from app.sync import keys as station_keys
from tests.reliability.harness import Template
from tests.reliability.workload import PASSPHRASE
from tests.sync.bundle_pairs import make_pair


@pytest.fixture(scope="session")
def crash_template(tmp_path_factory: pytest.TempPathFactory, ward_template: Path) -> Template:
    folder = tmp_path_factory.mktemp("crash-template")
    pair = make_pair(folder / "pair", ward_template)
    try:
        # with the first bundle acknowledged, each trial's exports carry only its own changes
        (report,) = pair.import_(pair.export())
        assert report.receipt_path is not None
        pair.ward.import_receipt(report.receipt_path.read_bytes())
    finally:
        pair.ward_db.close()
        pair.province_db.close()
    db_path = pair.ward_db.path
    with contextlib.closing(sqlite3.connect(db_path)) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    ward = folder / "ward"
    shutil.copytree(
        db_path.parent, ward, ignore=shutil.ignore_patterns("*.lock", "*-wal", "*-shm", "backups")
    )
    keys = station_keys.unlock(station_keys.keys_folder(ward / db_path.name), PASSPHRASE)
    return Template(ward / db_path.name, keys)
