"""Sync bundles (issue text): export and import of 100,000 changed records, re-importing the
same bundle, and an incremental export of 100 changes from a 1,000,000-record ward.

Each is measured against a floor run in the same process: a minimal script that reads the same
rows with the bare sqlite3 module, writes them as NDJSON, signs them with Ed25519 and encrypts
them with age; and bare ``executemany`` of the same rows into an empty database.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

RUNS = 3  # each 100,000-record run takes seconds
INCREMENTAL_RUNS = 7
BIG_ROWS = 1_000_000
CHANGED = 100
PASSPHRASE = "mật khẩu trạm bench"
TABLE = "outreach_sessions"


def _best_ms(
    action: Callable[[], object],
    before: Callable[[], object] | None = None,
    runs: int = RUNS,
) -> float:
    """Fastest of ``runs`` timings of ``action``; ``before`` runs untimed before each."""
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return min(times)


@dataclass
class _Pair:
    """A ward and its province, keys created, the ward enrolled and holding the trust list."""

    ward: Any  # WardSync
    ward_keys: Any  # StationKeys
    province_path: Path  # closed, checkpointed: copy it for a fresh province
    province_keys: Any  # StationKeys
    trust_list: bytes
    province_fingerprint: str


def _enrolled_pair(folder: Path, ward_path: Path) -> _Pair:
    """The set-up of tests/sync/conftest.py ``make_pair``, on the bench's own ward database."""
    from app.core.services.demo import DEMO_PROFILE
    from app.core.services.profile import set_up_province
    from app.core.services.sync.province.imports import ProvinceSync
    from app.core.services.sync.ward import WardSync
    from app.db.open import open_database
    from app.sync import keys as station_keys
    from app.sync.envelope import fingerprint
    from app.sync.trust import signing_key_id

    ward = WardSync(open_database(ward_path), author="bench")
    province_path = folder / "province" / "province.sqlite"
    province_path.parent.mkdir(parents=True)
    province_db = open_database(province_path)
    set_up_province(province_db, DEMO_PROFILE.province_code)
    province = ProvinceSync(province_db, author="bench")
    ward.create_keys(PASSPHRASE)
    station_keys.create_keys(province.keys_folder, PASSPHRASE)
    ward_keys = ward.unlock(PASSPHRASE)
    province_keys = station_keys.unlock(province.keys_folder, PASSPHRASE)
    province.enroll(ward.enrollment_request(ward_keys))
    trust_path = folder / "trust.mwt"
    province.publish_trust_list(province_keys, trust_path)
    province_print = fingerprint(signing_key_id(province_keys.public.signing))
    ward.import_trust_list(trust_path.read_bytes(), confirm_fingerprint=province_print)
    _checkpoint(province_db)
    province_db.close()
    return _Pair(
        ward, ward_keys, province_path, province_keys, trust_path.read_bytes(), province_print
    )


def _checkpoint(db: Any) -> None:
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _fresh_copy(template: Path, target: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copy(template, target)
    return target


# -- the floors ---------------------------------------------------------------------------


def _raw_export(
    db_path: Path, unit_id: int, until: int, columns: list[str], signing: Any, recipient: Any
) -> bytes:
    """The minimal export: bare sqlite3 rows as NDJSON, Ed25519-signed, age-encrypted."""
    import pyrage

    names = [c for c in columns if c != "uuid"]
    with sqlite3.connect(db_path) as raw:
        cursor = raw.execute(
            f"SELECT change_seq, uuid, {', '.join(names)} FROM {TABLE} "
            "WHERE owner_unit_id = ? AND change_seq > 0 AND change_seq <= ?",
            (unit_id, until),
        )
        lines = []
        for change_seq, record_id, *values in cursor:
            data = dict(zip(names, values, strict=True))
            row = {
                "table": TABLE,
                "record_id": record_id,
                "origin_counter": change_seq,
                "op": "tombstone" if data["deleted_at"] else "upsert",
                "data": data,
            }
            lines.append(json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode())
    records = b"\n".join(lines) + b"\n"
    signature = signing.sign(records)
    return bytes(pyrage.encrypt(signature + records, [recipient]))


def _stored_rows(db_path: Path) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Every column but the local id of every session, as stored (derived columns included)."""
    with sqlite3.connect(db_path) as raw:
        names = [row[1] for row in raw.execute(f"PRAGMA table_info({TABLE})") if row[1] != "id"]
        rows = raw.execute(f"SELECT {', '.join(names)} FROM {TABLE}").fetchall()
    return names, rows


def _raw_insert(db_path: Path, names: list[str], rows: list[tuple[Any, ...]]) -> None:
    marks = ", ".join("?" for _ in names)
    with sqlite3.connect(db_path) as raw:
        raw.executemany(
            f"INSERT INTO {TABLE} ({', '.join(names)}) VALUES ({marks})",
            rows,
        )


# -- the 1,000,000-record ward --------------------------------------------------------------


def _big_ward(path: Path, rows: int) -> int:
    """A set-up ward with ``rows`` valid sessions written by one bulk executemany (derived
    columns from the app's own ``derived_values``). Returns the change counter."""
    from app.core.domain.records import SESSIONS
    from app.core.services.demo import DEMO_PROFILE
    from app.core.services.profile import own_unit_id, set_up
    from app.db.open import open_database
    from app.db.tracking import derived_values

    db = open_database(path)
    set_up(db, DEMO_PROFILE)
    unit_id = own_unit_id(db)
    db.close()

    topics = ("pccc_cnch", "crime_prevention", "drugs", "law", "project06")
    variants = []
    for k in range(1000):
        values = {
            "place": f"Nhà văn hoá khối {k % 97}",
            "audience": f"Nhân dân khối {k % 13}",
            "presenter": f"Nguyễn Văn {k % 211}",
        }
        derived = derived_values(SESSIONS, values)
        variants.append(
            (
                values["place"],
                derived["place_key"],
                values["audience"],
                derived["audience_key"],
                values["presenter"],
                derived["presenter_key"],
                derived["search_text"],
            )
        )
    today = date.today()
    days = [(today - timedelta(days=n)).isoformat() for n in range(3000)]
    stamp = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    prefix = str(uuid.uuid4())[:24]  # + 12 hex digits of the row number: a valid v4 uuid

    def generated(first: int) -> Any:
        for n in range(rows):
            place, place_key, audience, audience_key, presenter, presenter_key, search = variants[
                n % 1000
            ]
            yield (
                days[n % 3000],
                topics[n % 5],
                place,
                place_key,
                audience,
                audience_key,
                20 + n % 150,
                presenter,
                presenter_key,
                f"{prefix}{n:012x}",
                unit_id,
                stamp,
                stamp,
                "bench",
                "bench",
                first + n,
                search,
            )

    raw = sqlite3.connect(path)
    # a set-up shortcut only: no journal while building, the app's WAL mode again after
    raw.execute("PRAGMA journal_mode = OFF")
    raw.execute("PRAGMA synchronous = OFF")
    raw.execute("PRAGMA cache_size = -131072")
    with raw:
        (counter,) = raw.execute("SELECT value FROM change_counter WHERE id = 1").fetchone()
        indexes = raw.execute(  # built again after the rows: faster than row by row
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND sql IS NOT NULL",
            (TABLE,),
        ).fetchall()
        for name, _sql in indexes:
            raw.execute(f'DROP INDEX "{name}"')
        raw.executemany(
            f"INSERT INTO {TABLE} (held_on, topic, place, place_key, audience, audience_key, "
            "attendance, presenter, presenter_key, uuid, owner_unit_id, created_at, "
            "updated_at, created_by, updated_by, change_seq, search_text) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            generated(counter + 1),
        )
        for _name, sql in indexes:
            raw.execute(sql)
        counter += rows
        raw.execute("UPDATE change_counter SET value = ? WHERE id = 1", (counter,))
    raw.execute("PRAGMA journal_mode = WAL")
    raw.close()
    return int(counter)


# -- the benchmark --------------------------------------------------------------------------


def sync_bundles(workdir: Path, table_db: Path) -> dict[str, float]:
    """``table_db`` is the bench's 100,000-session ward (built through RecordService)."""
    import pyrage
    from sqlalchemy import select

    from app.core.services.profile import own_unit_id
    from app.core.services.records import RecordService
    from app.core.services.sync.province.imports import ProvinceSync
    from app.core.services.sync.ward import ACKED_COUNTER, WardSync
    from app.db.models import AppMeta, ChangeCounter
    from app.db.open import open_database
    from app.db.sync_tables import carried_columns

    folder = workdir / "sync"
    folder.mkdir()
    stick = folder / "usb"
    stick.mkdir()
    ward_path = folder / "ward" / "ward.sqlite"
    ward_path.parent.mkdir()
    shutil.copy(table_db, ward_path)
    pair = _enrolled_pair(folder, ward_path)
    ward, keys = pair.ward, pair.ward_keys

    # 1. export of 100,000 changed records
    def clear_stick() -> None:
        for path in stick.iterdir():
            path.unlink()

    exports: list[Any] = []
    export_ms = _best_ms(lambda: exports.append(ward.export(stick, keys)), clear_stick)
    bundle = exports[-1].path
    bundle_bytes = bundle.stat().st_size
    records = exports[-1].records

    unit_id = own_unit_id(ward.db)
    with ward.db.read() as session:
        until = session.execute(select(ChangeCounter.value).where(ChangeCounter.id == 1)).scalar()
    columns = [c.name for c in carried_columns(TABLE)]
    recipient = pyrage.x25519.Recipient.from_str(pair.province_keys.public.age_recipient)
    raw_out = folder / "raw-bundle.bin"

    def raw_export() -> None:
        data = _raw_export(ward_path, unit_id, until, columns, keys.signing, recipient)
        raw_out.write_bytes(data)

    raw_export_ms = _best_ms(raw_export)

    # 2. import at the province, against executemany of the same rows into an empty database
    province_path = folder / "province" / "import.sqlite"
    receipts = folder / "receipts"
    receipts.mkdir()
    province_keys = pair.province_keys
    current: list[Any] = []

    def fresh_province() -> None:
        from app.core.services.backup_steps import wait_for_verifications

        wait_for_verifications()  # the last import's backup, checked in the background
        for db in current:
            db.close()
        current.clear()
        current.append(open_database(_fresh_copy(pair.province_path, province_path)))

    reports: list[Any] = []

    def import_bundle() -> None:
        province = ProvinceSync(current[0], author="bench")
        reports.extend(province.import_bundles([bundle], province_keys, receipts_dir=receipts))

    import_ms = _best_ms(import_bundle, fresh_province)
    if reports[-1].outcome != "new" or reports[-1].summary["new"] != records:
        raise RuntimeError(f"import failed: {reports[-1]}")

    # 3. the same bundle again, into the province that already holds it
    reimport_ms = _best_ms(import_bundle)
    if reports[-1].outcome != "duplicate":
        raise RuntimeError(f"re-import was not a duplicate: {reports[-1]}")
    current[0].close()

    empty = folder / "empty.sqlite"
    empty_db = open_database(empty)
    _checkpoint(empty_db)
    empty_db.close()
    names, stored = _stored_rows(ward_path)
    target = folder / "raw-import.sqlite"
    raw_insert_ms = _best_ms(
        lambda: _raw_insert(target, names, stored), lambda: _fresh_copy(empty, target)
    )
    ward.db.close()

    # 4. 100 changes in a 1,000,000-record ward, after an acknowledged bundle
    started = time.perf_counter()
    big_path = folder / "big" / "ward.sqlite"
    big_path.parent.mkdir()
    counter = _big_ward(big_path, BIG_ROWS)
    build_s = time.perf_counter() - started
    big_db = open_database(big_path)
    big = WardSync(big_db, author="bench", keys_folder=ward.keys_folder)  # same unit, same keys
    big.import_trust_list(pair.trust_list, confirm_fingerprint=pair.province_fingerprint)
    with big_db.write() as session:
        session.add(AppMeta(key=ACKED_COUNTER, value=str(counter)))
    service = RecordService(big_db, author="bench")
    step = BIG_ROWS // CHANGED
    ids = service.list_ids("sessions")[::step][:CHANGED]
    for row in service.fetch("sessions", ids):
        values = {**row.values, "attendance": row.values["attendance"] + 1}
        service.update("sessions", row.id, values)
    clear_stick()
    incremental: list[Any] = []
    incremental_ms = _best_ms(
        lambda: incremental.append(big.export(stick, keys)), clear_stick, INCREMENTAL_RUNS
    )
    if incremental[-1].records != CHANGED:
        raise RuntimeError(f"incremental export carried {incremental[-1].records} records")
    big_db.close()

    return {
        "records": records,
        "bundle_mib": bundle_bytes / 2**20,
        "export_ms": export_ms,
        "raw_export_ms": raw_export_ms,
        "export_ratio": export_ms / raw_export_ms,
        "import_ms": import_ms,
        "raw_executemany_ms": raw_insert_ms,
        "import_ratio": import_ms / raw_insert_ms,
        "reimport_ms": reimport_ms,
        "reimport_percent": 100 * reimport_ms / import_ms,
        "big_rows": BIG_ROWS,
        "big_build_s": build_s,
        "incremental_changes": CHANGED,
        "incremental_export_ms": incremental_ms,
    }
