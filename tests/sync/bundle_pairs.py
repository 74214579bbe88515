"""Two real stations on disk: a ward built from the demo data, and its province, enrolled."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from app.core.services.demo import DEMO_PROFILE, DemoBuilder
from app.core.services.profile import set_up, set_up_province
from app.core.services.sync.province.imports import BundleReport, ProvinceSync
from app.core.services.sync.ward import WardSync
from app.db.engine import Database
from app.db.open import open_database
from app.sync.envelope import fingerprint
from app.sync.keys import StationKeys
from app.sync.trust import signing_key_id

PASSPHRASE = "mật khẩu trạm 2026"
TODAY = date(2026, 11, 23)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="session")
def ward_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-year ward filled with the demo data, built once; each test gets its own copy.

    It is set up as a real station (not a demo database): a real province refuses a demo
    station's bundles, and these tests exchange bundles with a real province.
    """
    path = tmp_path_factory.mktemp("template") / "ward.sqlite"
    db = open_database(path)
    set_up(db, DEMO_PROFILE, today=TODAY - timedelta(days=365))
    DemoBuilder(db, 1, TODAY, seed=7).build()
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return path


@dataclass
class Pair:
    ward_db: Database
    province_db: Database
    ward: WardSync
    province: ProvinceSync
    ward_keys: StationKeys
    province_keys: StationKeys
    clock: Clock
    stick: Path
    folder: Path

    def publish(self) -> Path:
        """Province publishes its trust list; the ward imports it (fingerprint confirmed)."""
        self.clock.advance(minutes=1)
        out = self.stick / f"trust-{self.clock.now:%Y%m%d%H%M}.mwt"
        self.province.publish_trust_list(self.province_keys, out)
        self.ward.import_trust_list(
            out.read_bytes(),
            confirm_fingerprint=fingerprint(signing_key_id(self.province_keys.public.signing)),
        )
        return out

    def export(self) -> Path:
        return self.ward.export(self.stick, self.ward_keys).path

    def import_(
        self, *paths: Path, dry_run: bool = False, receipts_dir: Path | None = None
    ) -> list[BundleReport]:
        return self.province.import_bundles(
            list(paths), self.province_keys, dry_run=dry_run, receipts_dir=receipts_dir
        )


def receipt_bytes(report: BundleReport) -> bytes:
    """The receipt the province wrote for an imported bundle."""
    assert report.receipt_path is not None, (report.outcome, report.reason)
    return report.receipt_path.read_bytes()


def make_pair(folder: Path, template: Path, *, demo_province: bool = False) -> Pair:
    folder.mkdir(parents=True, exist_ok=True)
    ward_path = folder / "ward" / "ward.sqlite"
    ward_path.parent.mkdir()
    shutil.copy(template, ward_path)
    ward_db = open_database(ward_path)
    province_path = folder / "province" / "province.sqlite"
    province_path.parent.mkdir()
    province_db = open_database(province_path)
    set_up_province(province_db, "40", today=TODAY, demo=demo_province)
    from app.core.services.packs import install_bundled

    install_bundled(province_db, datetime.now(UTC), "test")
    clock = Clock()
    ward = WardSync(ward_db, now=clock, author="Nguyễn Văn An")
    province = ProvinceSync(province_db, now=clock, author="Trần Thị Bình")
    ward.create_keys(PASSPHRASE)
    province_public = province.keys_folder
    from app.sync import keys as station_keys

    station_keys.create_keys(province_public, PASSPHRASE)
    ward_keys = ward.unlock(PASSPHRASE)
    province_keys = station_keys.unlock(province.keys_folder, PASSPHRASE)
    province.enroll(ward.enrollment_request(ward_keys))
    stick = folder / "usb"
    stick.mkdir()
    pair = Pair(
        ward_db, province_db, ward, province, ward_keys, province_keys, clock, stick, folder
    )
    pair.publish()
    return pair


@pytest.fixture
def pair(tmp_path: Path, ward_template: Path) -> Iterator[Pair]:
    made = make_pair(tmp_path / "pair", ward_template)
    yield made
    made.ward_db.close()
    made.province_db.close()
