"""Property tests: any permutation and duplication of a set of bundles gives the province the
same database as importing them once in order, and its counts always equal a recount."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.services.records import RecordService
from app.core.services.sync.province.imports import ProvinceSync
from app.db.models import RECORD_MODELS
from app.db.open import open_database
from tests.sync.bundle_pairs import Pair, make_pair
from tests.sync.helpers import province_state, ward_state

SESSION = {
    "held_on": date(2026, 11, 2),
    "topic": "ma_tuy",
    "place": "Nhà văn hoá khối 5",
    "audience": "Đoàn viên thanh niên",
    "attendance": 40,
    "presenter": "Hồ Thị Mai",
}


@dataclass
class Corpus:
    bundles: list[Path]
    province_template: Path
    keys_folder: Path
    expected: object
    pair: Pair


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, ward_template: Path) -> Iterator[Corpus]:
    """Five bundles from one ward, with creates, edits and a delete between them, never
    acknowledged (so they overlap), plus an enrolled, empty province to copy."""
    folder = tmp_path_factory.mktemp("corpus")
    pair = make_pair(folder / "pair", ward_template)
    template = folder / "province-template.sqlite"
    source = sqlite3.connect(pair.province_db.path)
    target = sqlite3.connect(template)
    source.backup(target)
    source.close()
    target.close()
    service = RecordService(pair.ward_db, author="Hồ Thị Mai", today=lambda: date(2026, 11, 23))
    bundles = [pair.export()]
    first = service.create("sessions", SESSION).created[0]
    bundles.append(pair.export())
    service.update("sessions", first, {**SESSION, "attendance": 41})
    second = service.create("sessions", {**SESSION, "place": "Chợ Vinh"}).created[0]
    bundles.append(pair.export())
    service.delete("sessions", second)
    bundles.append(pair.export())
    team = service.list_ids("teams")[0]
    row = service.get("teams", team)
    service.update("teams", team, {**row.values, "households": 99})
    bundles.append(pair.export())
    for path in bundles:
        pair.import_(path)
    expected = province_state(pair.province_db)
    assert expected[0] == ward_state(pair.ward_db)
    yield Corpus(bundles, template, pair.province.keys_folder, expected, pair)
    pair.ward_db.close()
    pair.province_db.close()


def recount(db_path: Path) -> dict[str, int]:
    connection = sqlite3.connect(db_path)
    try:
        return {
            model.__tablename__: connection.execute(
                f"SELECT COUNT(DISTINCT t.uuid) FROM {model.__tablename__} t JOIN units u "
                "ON u.id = t.owner_unit_id WHERE u.kind = 'ward_police' AND t.deleted_at IS NULL"
            ).fetchone()[0]
            for model in RECORD_MODELS.values()
        }
    finally:
        connection.close()


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_order_and_any_duplication_gives_the_same_province(
    corpus: Corpus, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    every = list(range(len(corpus.bundles)))
    repeats = data.draw(st.lists(st.sampled_from(every), max_size=5), label="repeated bundles")
    picks = data.draw(st.permutations(every + repeats), label="import order")
    batch = data.draw(st.integers(1, 3), label="files per import")
    folder = tmp_path_factory.mktemp("province")
    shutil.copy(corpus.province_template, folder / "province.sqlite")
    db = open_database(folder / "province.sqlite")
    try:
        province = ProvinceSync(db, now=corpus.pair.clock, keys_folder=corpus.keys_folder)
        keys = corpus.pair.province_keys
        paths = [corpus.bundles[i] for i in picks]
        for start in range(0, len(paths), batch):
            reports = province.import_bundles(paths[start : start + batch], keys)
            assert all(r.outcome in ("new", "duplicate") for r in reports), reports
        assert province_state(db) == corpus.expected
        overview = province.overview()[0]
        assert overview.records == sum(recount(db.path).values())
        assert overview.missing_seqs == () and overview.forks == 0
    finally:
        db.close()
