"""SQLCipher overhead (encryption at rest): the record-list benchmark (the 100,000-row table of
``bench/__main__.py``: open, three sorts, a search) and the import benchmarks (the province
import of a 100,000-record bundle of ``bench/sync.py``, and a 10,000-row spreadsheet import
through ``RecordService.import_rows``, its automatic backup included) on a plaintext and an
encrypted copy of the same database. The ratios are encrypted time over plaintext time
(target <= 1.25x).

Each side runs in its own child process (``python -m bench.sqlcipher TASK MODE ...``), the
same code with only the key differing, so neither inherits the other's caches. Both sides use
the one SQLite build every connection uses (sqlcipher3's, keyed or not: ``app.db.cipher``), so
the ratio is the cost of the cipher alone.

The encrypted side decrypts a page only when SQLite's page cache (64 MiB per connection, see
``app.db.engine``) misses, so a warm list mostly measures the cache; the imports write and
fsync every page through the cipher, and the spreadsheet import's backup copies the whole
100,000-row database (the officer waits for the copy to be written and durable; its check runs
in the background while the rows are imported). The spreadsheet import runs its sides in turn,
twice, and keeps the best of each.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench import record_list
from bench import sync as sync_bench

RUNS = 7
IMPORT_RUNS = 3
SHEET_ROUNDS = 2
SHEET_ROWS = 10_000
MODES = ("plain", "encrypted")
ROOT = Path(__file__).resolve().parent.parent


def _best_ms(
    action: Callable[[], object], before: Callable[[], object] | None = None, runs: int = RUNS
) -> float:
    return sync_bench._best_ms(action, before, runs)


def _fresh(template: Path, target: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copy(template, target)
    return target


def _encrypted_copy(template: Path, target: Path, key: bytes) -> Path:
    """``template`` copied to ``target`` and encrypted under ``key`` (the upgrade path)."""
    from app.db import cipher

    _fresh(template, target)
    cipher.encrypt_plaintext(target, key)
    return target


# -- the sides ------------------------------------------------------------------------------


@contextlib.contextmanager
def _side(mode: str, key: bytes | None, *paths: Path) -> Iterator[None]:
    """``encrypted``: the key unlocked for ``paths``."""
    from app.db import cipher

    if mode == "encrypted":
        assert key is not None
        for path in paths:
            cipher.unlock(path, key)
    yield


# -- the workloads (run in the child) -------------------------------------------------------


def _record_list(path: Path) -> dict[str, float]:
    """The actions of ``bench.__main__.big_table`` on the database at ``path``."""
    from app.core.services.records import RecordService
    from app.db.open import open_database
    from app.ui.app import make_application

    make_application()
    db = open_database(path)
    service = RecordService(db, author="bench")
    timings = record_list.timings(service, lambda action, reset: _best_ms(action, reset))
    db.close()
    timings["total_ms"] = sum(timings.values())
    return timings


def _sheet_rows() -> list[dict[str, Any]]:
    base = date.today()
    topics = ("pccc_cnch", "crime_prevention", "drugs", "law", "project06")
    return [
        {
            "held_on": base - timedelta(days=n % 900),
            "topic": topics[n % 5],
            "place": f"Tổ dân phố {n % 41}, phường Trường Vinh",
            "audience": f"Nhân dân tổ {n % 17}",
            "attendance": 15 + n % 120,
            "presenter": f"Trần Thị {n % 97}",
        }
        for n in range(SHEET_ROWS)
    ]


def _sheet_import(template: Path, target: Path) -> dict[str, float]:
    """A 10,000-row spreadsheet import (automatic backup, then one transaction) into a fresh
    copy of ``template``."""
    from app.core.services.records import RecordService
    from app.db.open import open_database

    rows = _sheet_rows()
    current: list[Any] = []

    def fresh() -> None:
        from app.core.services.backup_steps import wait_for_verifications

        wait_for_verifications()  # the last import's backup, checked in the background
        for db in current:
            db.close()
        current.clear()
        shutil.rmtree(target.parent / "backups", ignore_errors=True)
        current.append(open_database(_fresh(template, target)))

    def import_rows() -> None:
        RecordService(current[0], author="bench").import_rows("sessions", rows)

    ms = _best_ms(import_rows, fresh, IMPORT_RUNS)
    current[0].close()
    return {"ms": ms}


def _province_import(template: Path, target: Path, bundle: Path, keys: Path) -> dict[str, float]:
    """``bench/sync.py``'s import: one 100,000-record bundle into a fresh province."""
    from app.core.services.sync.province.imports import ProvinceSync
    from app.db.open import open_database
    from app.sync import keys as station_keys
    from bench.sync import PASSPHRASE

    province_keys = station_keys.unlock(keys, PASSPHRASE)
    receipts = target.parent / f"receipts-{target.stem}"
    receipts.mkdir(exist_ok=True)
    current: list[Any] = []
    reports: list[Any] = []

    def fresh() -> None:
        from app.core.services.backup_steps import wait_for_verifications

        wait_for_verifications()  # the last import's backup, checked in the background
        for db in current:
            db.close()
        current.clear()
        current.append(open_database(_fresh(template, target)))

    def run() -> None:
        province = ProvinceSync(current[0], author="bench")
        reports.extend(province.import_bundles([bundle], province_keys, receipts_dir=receipts))

    ms = _best_ms(run, fresh, IMPORT_RUNS)
    current[0].close()
    if reports[-1].outcome != "new":
        raise RuntimeError(f"import failed: {reports[-1]}")
    return {"ms": ms, "records": float(reports[-1].summary["new"])}


def child(argv: list[str]) -> int:
    """``TASK MODE PATHS...``; the key (hex, or an empty line) comes on stdin, not in argv."""
    from app.db import cipher

    task, mode, *names = argv
    paths = [Path(name) for name in names]
    line = sys.stdin.readline().strip()
    key = bytes.fromhex(line) if line else None
    targets = [paths[0] if task == "list" else paths[1]]
    with _side(mode, key, *targets):
        if task == "list":
            result = _record_list(paths[0])
        elif task == "sheet":
            result = _sheet_import(paths[0], paths[1])
        else:
            result = _province_import(*paths)
        if mode == "encrypted" and not cipher.is_encrypted(targets[0]):
            raise RuntimeError("the encrypted side was not encrypted")
    print(json.dumps(result), flush=True)
    return 0


# -- the parent -----------------------------------------------------------------------------


def _run_child(task: str, mode: str, key: bytes | None, *paths: Path) -> dict[str, float]:
    process = subprocess.run(
        [sys.executable, "-m", "bench.sqlcipher", task, mode, *map(str, paths)],
        cwd=ROOT,
        input=(key.hex() if mode == "encrypted" and key else "") + "\n",
        capture_output=True,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        timeout=1800,
    )
    if process.returncode != 0:
        raise RuntimeError(f"{task}/{mode} child failed:\n{process.stderr[-3000:]}")
    result: dict[str, float] = json.loads(process.stdout.strip().splitlines()[-1])
    return result


def sqlcipher_overhead(workdir: Path, table_db: Path) -> dict[str, float]:
    """``table_db`` is the bench's 100,000-session station database (plaintext)."""
    from app.db import cipher
    from app.sync import keys as station_keys
    from bench.sync import _enrolled_pair

    key = os.urandom(cipher.KEY_BYTES)
    folder = workdir / "sqlcipher"
    folder.mkdir()
    started = time.perf_counter()
    encrypted_table = _encrypted_copy(table_db, folder / "encrypted-table.sqlite", key)
    encrypt_s = time.perf_counter() - started

    ward_path = folder / "ward" / "ward.sqlite"
    ward_path.parent.mkdir()
    shutil.copy(table_db, ward_path)
    pair = _enrolled_pair(folder, ward_path)
    stick = folder / "usb"
    stick.mkdir()
    exported = pair.ward.export(stick, pair.ward_keys)
    pair.ward.db.close()
    province_keys = station_keys.keys_folder(pair.province_path)
    encrypted_province = _encrypted_copy(
        pair.province_path, folder / "province" / "template-encrypted.sqlite", key
    )

    result: dict[str, float] = {"rows": 100_000.0, "encrypt_100k_db_s": encrypt_s}
    for mode in MODES:
        table = encrypted_table if mode == "encrypted" else table_db
        province = encrypted_province if mode == "encrypted" else pair.province_path
        side = folder / mode
        side.mkdir()
        listed = _run_child("list", mode, key, _fresh(table, side / "list.sqlite"))
        for name, value in listed.items():
            result[f"list_{name.removesuffix('_ms')}_{mode}_ms"] = value
        imported = _run_child(
            "province", mode, key, province, side / "province.sqlite", exported.path, province_keys
        )
        result[f"province_import_{mode}_ms"] = imported["ms"]
        result["bundle_records"] = imported["records"]
    # the sides in turn, best of each: a load from elsewhere on the machine during one side's
    # child would otherwise weigh on one side of the ratio only
    for _round in range(SHEET_ROUNDS):
        for mode in MODES:
            sheet = folder / mode / "sheet"
            sheet.mkdir(exist_ok=True)
            table = encrypted_table if mode == "encrypted" else table_db
            ms = _run_child("sheet", mode, key, table, sheet / "station.sqlite")["ms"]
            name = f"sheet_import_{mode}_ms"
            result[name] = min(ms, result.get(name, ms))
    result["sheet_rows"] = float(SHEET_ROWS)
    actions = ("open", "sort_text", "sort_number", "sort_catalogue", "filter")
    for base, over in (("plain", "ratio"),):
        result[f"list_{over}"] = result["list_total_encrypted_ms"] / result[f"list_total_{base}_ms"]
        result[f"list_worst_{over}"] = max(
            result[f"list_{a}_encrypted_ms"] / result[f"list_{a}_{base}_ms"] for a in actions
        )
        for task in ("sheet_import", "province_import"):
            result[f"{task}_{over}"] = result[f"{task}_encrypted_ms"] / result[f"{task}_{base}_ms"]
    return result


def print_line(result: dict[str, float]) -> None:
    print(
        f"(m) SQLCipher overhead, encrypted / plaintext in the same run (target <= 1.25x): "
        f"100,000-row record list (open, 3 sorts, search) {result['list_total_encrypted_ms']:.0f} "
        f"vs {result['list_total_plain_ms']:.0f} ms -> {result['list_ratio']:.2f}x (worst single "
        f"action {result['list_worst_ratio']:.2f}x); province import of "
        f"{result['bundle_records']:,.0f} records {result['province_import_encrypted_ms']:.0f} vs "
        f"{result['province_import_plain_ms']:.0f} ms -> {result['province_import_ratio']:.2f}x; "
        f"{result['sheet_rows']:,.0f}-row spreadsheet import with its automatic backup "
        f"{result['sheet_import_encrypted_ms']:.0f} vs {result['sheet_import_plain_ms']:.0f} ms "
        f"-> {result['sheet_import_ratio']:.2f}x. Encrypting the 100,000-row database "
        f"once (upgrade): {result['encrypt_100k_db_s']:.1f} s"
    )


if __name__ == "__main__":
    raise SystemExit(child(sys.argv[1:]))
