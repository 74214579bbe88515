"""Where the sync bench's time goes: the export and the province import of the 100,000-session
ward (bench/sync.py's set-up and floors), timed against their floors and, with ``--profile``,
run once more under cProfile with the top functions printed.

    .venv/bin/python -m bench.profile_sync [--runs N] [--profile] [--top N]

Only steps 1 and 2 of ``make bench``'s sync benchmark (not the 1,000,000-record ward), so a
change can be measured in about a minute; the figures to report are still ``make bench``'s.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _profiled(action: Callable[[], object], top: int, title: str) -> None:
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    action()
    profiler.disable()
    total = time.perf_counter() - started
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    print(f"\n===== {title}: {total * 1000:.0f} ms under cProfile =====")
    print(out.getvalue())


def run(workdir: Path, runs: int, profile: bool, top: int) -> dict[str, float]:
    import pyrage
    from sqlalchemy import select

    from app.core.services.backup_steps import wait_for_verifications
    from app.core.services.profile import own_unit_id
    from app.core.services.sync.province.imports import ProvinceSync
    from app.db.models import ChangeCounter
    from app.db.open import open_database
    from app.db.sync_tables import carried_columns
    from bench.__main__ import _table_template
    from bench.sync import (
        TABLE,
        _best_ms,
        _checkpoint,
        _enrolled_pair,
        _fresh_copy,
        _raw_export,
        _raw_insert,
        _stored_rows,
    )

    folder = workdir / "sync"
    folder.mkdir()
    stick = folder / "usb"
    stick.mkdir()
    ward_path = folder / "ward" / "ward.sqlite"
    ward_path.parent.mkdir()
    shutil.copy(_table_template(), ward_path)
    pair = _enrolled_pair(folder, ward_path)
    ward, keys = pair.ward, pair.ward_keys

    def clear_stick() -> None:
        for path in stick.iterdir():
            path.unlink()

    exports: list[Any] = []
    export_ms = _best_ms(lambda: exports.append(ward.export(stick, keys)), clear_stick, runs)
    bundle = exports[-1].path
    if profile:  # before the bare sqlite3 floor touches the file (two SQLite libraries)
        clear_stick()
        _profiled(lambda: ward.export(stick, keys), top, "export")
        bundle = next(stick.iterdir())
    unit_id = own_unit_id(ward.db)
    with ward.db.read() as session:
        until = session.execute(select(ChangeCounter.value).where(ChangeCounter.id == 1)).scalar()
    columns = [c.name for c in carried_columns(TABLE)]
    recipient = pyrage.x25519.Recipient.from_str(pair.province_keys.public.age_recipient)
    raw_out = folder / "raw-bundle.bin"

    def raw_export() -> None:
        raw_out.write_bytes(
            _raw_export(ward_path, unit_id, until, columns, keys.signing, recipient)
        )

    raw_export_ms = _best_ms(raw_export, None, runs)

    province_path = folder / "province" / "import.sqlite"
    receipts = folder / "receipts"
    receipts.mkdir()
    current: list[Any] = []

    def fresh_province() -> None:
        wait_for_verifications()
        for db in current:
            db.close()
        current.clear()
        current.append(open_database(_fresh_copy(pair.province_path, province_path)))

    reports: list[Any] = []

    def import_bundle() -> None:
        province = ProvinceSync(current[0], author="bench")
        reports.extend(province.import_bundles([bundle], pair.province_keys, receipts_dir=receipts))

    import_ms = _best_ms(import_bundle, fresh_province, runs)
    if reports[-1].outcome != "new":
        raise RuntimeError(f"import failed: {reports[-1]}")
    reimport_ms = _best_ms(import_bundle, None, runs)
    if reports[-1].outcome != "duplicate":
        raise RuntimeError(f"re-import was not a duplicate: {reports[-1]}")
    if profile:
        _profiled(import_bundle, top, "re-import")
        fresh_province()
        _profiled(import_bundle, top, "import")
    wait_for_verifications()
    current[0].close()

    empty = folder / "empty.sqlite"
    empty_db = open_database(empty)
    _checkpoint(empty_db)
    empty_db.close()
    names, stored = _stored_rows(ward_path)
    target = folder / "raw-import.sqlite"
    raw_insert_ms = _best_ms(
        lambda: _raw_insert(target, names, stored), lambda: _fresh_copy(empty, target), runs
    )
    ward.db.close()
    return {
        "export_ms": export_ms,
        "raw_export_ms": raw_export_ms,
        "export_ratio": export_ms / raw_export_ms,
        "import_ms": import_ms,
        "raw_executemany_ms": raw_insert_ms,
        "import_ratio": import_ms / raw_insert_ms,
        "reimport_ms": reimport_ms,
        "reimport_percent": 100 * reimport_ms / import_ms,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=35)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["MODELWARD_DATA_DIR"] = folder
        results = run(Path(folder), args.runs, args.profile, args.top)
    for name, value in results.items():
        print(f"{name:>20}: {value:10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
