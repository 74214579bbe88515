"""`make bench`: cold start, the 100,000-row table, peak memory, packs, reports and sync
bundles, each against a baseline measured in the same run. Prints a table and writes
bench/out/results.json. ``python -m bench sync reports`` runs only the benchmarks named."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
RUNS = 7
TABLE_ROWS = 100_000
MILLIMETRE = 72 / 25.4


CHILD_TIMEOUT_S = 120.0  # a start-up child still running then is killed and the bench fails
BENCH_USER, BENCH_PASSWORD = "canbo.bench", "mật khẩu đo hiệu năng"


def _child(*args: str, env: dict[str, str] | None = None) -> dict[str, tuple[float, int]]:
    """For each stage a child reports: seconds since it was spawned, and its peak RSS (KiB).

    A child that does not finish within ``CHILD_TIMEOUT_S`` (a dialog waiting for a click, a
    hang) is killed and the bench stops with its stderr, never waiting forever."""
    started = time.perf_counter()
    with tempfile.TemporaryFile(mode="w+") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.startup", *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            env={**os.environ, **(env or {}), "BENCH_CHILD_TIMEOUT": str(CHILD_TIMEOUT_S)},
        )
        watchdog = threading.Timer(CHILD_TIMEOUT_S + 10, process.kill)
        watchdog.start()
        try:
            assert process.stdout is not None
            stages: dict[str, tuple[float, int]] = {}
            for line in process.stdout:
                stage, rss = line.split()
                stages[stage] = (time.perf_counter() - started, int(rss))
            status = process.wait()
        finally:
            watchdog.cancel()
        if status != 0 or "shown" not in stages:
            errors.seek(0)
            raise RuntimeError(
                f"start-up child {args} failed with status {status} after "
                f"{time.perf_counter() - started:.0f} s (limit {CHILD_TIMEOUT_S:.0f} s):\n"
                f"{errors.read()[-4000:]}"
            )
    return stages


def _station_with_accounts(db_path: Path) -> dict[str, str]:
    """A new encrypted station at ``db_path`` with its administrator and an officer, as the
    app's first start and the accounts screen make them; the environment the start-up child
    logs in with (``bench.startup``)."""
    from app.core.domain.access import Role
    from app.db import cipher
    from app.security.accounts import Accounts

    accounts = Accounts(db_path)
    admin, _code = accounts.create("quantri.bench", "Quản trị viên", BENCH_PASSWORD + " admin")
    temporary = BENCH_PASSWORD + " tạm thời"
    accounts.add_user(admin, BENCH_USER, "Nguyễn Văn Đo", Role.OFFICER, temporary)
    accounts.change_password(BENCH_USER, temporary, BENCH_PASSWORD)
    cipher.unlock(db_path, admin.db_key)  # the database is created encrypted, as the app does
    return {"BENCH_USER": BENCH_USER, "BENCH_PASSWORD": BENCH_PASSWORD}


def cold_start(workdir: Path) -> dict[str, float]:
    from app.core.services.demo import DemoBuilder
    from app.db.open import open_database

    db_path = workdir / "demo10.sqlite"
    login = _station_with_accounts(db_path)
    db = open_database(db_path)
    DemoBuilder(db, 10, date.today()).build()
    db.close()
    _child("bare")  # warm the OS file cache for both sides alike
    _child("app", str(db_path), env=login)
    bare, app = [], []
    for _ in range(RUNS):
        bare.append(_child("bare")["shown"])
        app.append(_child("app", str(db_path), env=login))
    bare_s = statistics.median(t for t, _ in bare)
    shown_s = statistics.median(run["shown"][0] for run in app)
    ready_s = statistics.median(run["ready"][0] for run in app)
    bare_kib = max(m for _, m in bare)
    app_kib = max(run["ready"][1] for run in app)
    return {
        "bare_window_s": bare_s,
        "app_window_shown_s": shown_s,
        "app_window_ready_s": ready_s,
        "cold_start_ratio": shown_s / bare_s,
        "ready_ratio": ready_s / bare_s,
        "bare_peak_mib": bare_kib / 1024,
        "app_peak_mib": app_kib / 1024,
        "peak_memory_ratio": app_kib / bare_kib,
    }


def _best_ms(
    action: Callable[[], object], reset: Callable[[], object] | None = None, runs: int = RUNS
) -> float:
    """Fastest of ``runs`` timings of ``action``; ``reset`` runs untimed after each."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
        if reset is not None:
            reset()
    return min(times)


def _table_db(workdir: Path) -> Path:
    """A copy of the 100,000-session station database in ``workdir``."""
    target = workdir / "big.sqlite"
    shutil.copy(_table_template(), target)
    return target


def _table_template() -> Path:
    """A station database with 100,000 sessions, cached between runs per schema revision."""
    from app.core.services.demo import DEMO_PROFILE
    from app.core.services.profile import set_up
    from app.core.services.records import RecordService
    from app.db.open import open_database

    schema = hashlib.sha256(
        b"".join(
            path.read_bytes() for path in sorted((ROOT / "migrations" / "versions").glob("*.py"))
        )
    ).hexdigest()[:12]
    cached = OUT / f"table-{TABLE_ROWS}-{schema}.sqlite"
    for stale in OUT.glob(f"table-{TABLE_ROWS}-*.sqlite"):
        if stale != cached:
            stale.unlink()
    if not cached.exists():
        building = cached.with_suffix(".building")
        building.unlink(missing_ok=True)
        db = open_database(building)
        set_up(db, DEMO_PROFILE)
        service = RecordService(db, author="bench")
        base = date.today()
        topics = ("pccc_cnch", "crime_prevention", "drugs", "law", "project06")
        for chunk in range(0, TABLE_ROWS, 10_000):
            service.create_many(
                "sessions",
                [
                    {
                        "held_on": base - timedelta(days=n % 3000),
                        "topic": topics[n % 5],
                        "place": f"Nhà văn hoá khối {n % 97}",
                        "audience": f"Nhân dân khối {n % 13}",
                        "attendance": 20 + n % 150,
                        "presenter": f"Nguyễn Văn {n % 211}",
                    }
                    for n in range(chunk, chunk + 10_000)
                ],
            )
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        building.rename(cached)
    return cached


def big_table(workdir: Path) -> dict[str, float]:
    from app.core.services.records import RecordService
    from app.db.open import open_database
    from app.ui.app import make_application
    from bench.record_list import timings

    make_application()
    db = open_database(_table_db(workdir))
    service = RecordService(db, author="bench")

    actions = timings(service, _best_ms)

    # the floor: the same sorted id list read with the bare sqlite3 module from the same file
    with sqlite3.connect(db.path) as raw:
        sql = (
            "SELECT id FROM outreach_sessions WHERE owner_unit_id = ? AND deleted_at IS NULL "
            "ORDER BY place_key, id"
        )

        def raw_ids() -> None:
            [row[0] for row in raw.execute(sql, (service.unit_id,))]

        raw_ms = _best_ms(raw_ids)
    result = {
        "rows": TABLE_ROWS,
        **actions,
        "raw_sqlite_sorted_ids_ms": raw_ms,
        "bench_process_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    result["sort_vs_raw_ratio"] = result["sort_text_ms"] / raw_ms
    db.close()
    return result


def packs_and_indicators(workdir: Path) -> dict[str, float]:
    """Issue 4: the indicator grid of a month with year over year, a full assessment, and
    verifying and installing the default packs; each with a baseline from the same run."""
    from app.core.domain.periods import Span
    from app.core.services import packs
    from app.core.services.assessments import AssessmentService
    from app.core.services.demo import DEMO_PROFILE, DemoBuilder
    from app.core.services.indicators import IndicatorService
    from app.core.services.profile import set_up
    from app.db.open import open_database
    from app.sync.tuf_client import embedded_root, verify_repository

    db = open_database(workdir / "packs.sqlite")
    DemoBuilder(db, 3, date.today()).build()
    indicators = IndicatorService(db)
    year, month = indicators.current_month()
    count = len(indicators.grid(year, Span.MONTH, month).rows)
    with sqlite3.connect(db.path) as raw:

        def raw_values() -> None:
            raw.execute(
                "SELECT indicator_code, year, month, value, comment FROM "
                "indicator_values WHERE year IN (?, ?)",
                (year - 1, year),
            ).fetchall()

        raw_ms = _best_ms(raw_values)
    grid_ms = _best_ms(lambda: indicators.grid(year, Span.MONTH, month))
    assessments = AssessmentService(db)
    view = assessments.open("bca-639-ward-police", year)
    assess_ms = _best_ms(lambda: assessments.view(view.id))
    db.close()

    now = datetime.now(UTC)
    repository = packs.bundled_repository()
    verify_ms = _best_ms(lambda: verify_repository(repository, {"root": embedded_root()}, now))
    counter = iter(range(1000))

    def fresh_install() -> None:
        target = open_database(workdir / f"install-{next(counter)}.sqlite")
        set_up(target, DEMO_PROFILE)
        started = time.perf_counter()
        packs.install_bundled(target, now, "bench")
        timings.append((time.perf_counter() - started) * 1000)
        target.close()

    timings: list[float] = []
    for _ in range(RUNS):
        fresh_install()
    install_ms = min(timings)
    return {
        "grid_indicators": count,
        "grid_ms": grid_ms,
        "grid_raw_sql_ms": raw_ms,
        "assessment_ms": assess_ms,
        "assessment_criteria": len(view.criteria),
        "verify_only_ms": verify_ms,
        "verify_and_install_ms": install_ms,
        "install_vs_verify_ratio": install_ms / verify_ms,
    }


def reports(workdir: Path) -> dict[str, float]:
    """Issue 5: the monthly report, and a 2,000-row appendix in pages per second against bare
    reportlab rendering the same table with the same font in the same run."""
    import io

    from pypdf import PdfReader
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table

    from app.core.domain.periods import Span
    from app.core.services.demo import DemoBuilder
    from app.core.services.indicators import IndicatorService
    from app.core.services.records import RecordService
    from app.core.services.report_data import period_report
    from app.db.open import open_database
    from app.reports.appendix_report import AppendixInfo, build_appendix
    from app.reports.fonts import FAMILY, register_fonts
    from app.reports.period_report import build_period_report

    db = open_database(workdir / "reports.sqlite")
    DemoBuilder(db, 3, date.today()).build()
    indicators = IndicatorService(db)
    year, month = indicators.current_month()
    monthly_ms = _best_ms(
        lambda: build_period_report(period_report(indicators, Span.MONTH, year, month)), runs=5
    )
    records = RecordService(db)
    base = date.today()
    records.create_many(
        "sessions",
        [
            {
                "held_on": base - timedelta(days=n % 300),
                "topic": "law",
                "place": f"Nhà văn hoá khối {n % 12}",
                "audience": f"Nhân dân khối {n % 9}",
                "attendance": 30 + n % 90,
                "presenter": f"Trần Văn {n % 50}",
            }
            for n in range(2000)
        ],
    )
    rows = records.fetch("sessions", records.list_ids("sessions"))[:2000]
    from app.core.domain.records import SESSIONS

    info = AppendixInfo(1, "01/BC-CAP", base, "Công an phường Trường Vinh")
    started = time.perf_counter()
    appendix = build_appendix(SESSIONS, rows, info)
    appendix_s = time.perf_counter() - started
    appendix_pages = len(PdfReader(io.BytesIO(appendix)).pages)

    # The same table with bare reportlab: the same strings, widths, font and grid, without the
    # app's formatting, NFC, NĐ 30 heading and page numbering.
    register_fonts()
    cell = ParagraphStyle("cell", fontName=FAMILY, fontSize=11, leading=13)
    fields = SESSIONS.listed_fields
    strings = [
        [str(n), *(str(r.values[f.name]) for f in fields)] for n, r in enumerate(rows, start=1)
    ]
    weights = [11] + [
        21
        if f.type.value == "date"
        else 14
        if f.type.value == "int"
        else 24
        if f.type.value == "choice"
        else 30
        for f in fields
    ]
    widths = [w * (165 * 72 / 25.4) / sum(weights) for w in weights]
    grid = [("GRID", (0, 0), (-1, -1), 0.5, "black"), ("FONTNAME", (0, 0), (-1, -1), FAMILY)]

    def bare() -> bytes:
        buffer = io.BytesIO()
        document = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            initialFontName=FAMILY,
            leftMargin=30 * MILLIMETRE,
            rightMargin=15 * MILLIMETRE,
            topMargin=20 * MILLIMETRE,
            bottomMargin=20 * MILLIMETRE,
        )
        table = Table(
            [[Paragraph(v, cell) for v in row] for row in strings],
            colWidths=widths,
            repeatRows=1,
            style=grid,
        )
        document.build([table])
        return buffer.getvalue()

    started = time.perf_counter()
    bare_pdf = bare()
    bare_s = time.perf_counter() - started
    bare_pages = len(PdfReader(io.BytesIO(bare_pdf)).pages)
    db.close()
    app_rate, bare_rate = appendix_pages / appendix_s, bare_pages / bare_s
    return {
        "monthly_report_ms": monthly_ms,
        "appendix_rows": len(rows),
        "appendix_pages": appendix_pages,
        "appendix_pages_per_s": app_rate,
        "bare_reportlab_pages_per_s": bare_rate,
        "pages_per_s_ratio": app_rate / bare_rate,
    }


def sync(workdir: Path) -> dict[str, float]:
    """Sync bundles: export, import and re-import of 100,000 changed records, and an
    incremental export from a 1,000,000-record ward (bench/sync.py)."""
    from bench.sync import sync_bundles

    return sync_bundles(workdir, _table_template())


def backups(workdir: Path) -> dict[str, float]:
    """A verified backup of a 1,000,000-record ward vs SQLite's shell .backup (bench/backup.py)."""
    from bench.backup import backups as run

    return run(workdir)


def sqlcipher(workdir: Path) -> dict[str, float]:
    """SQLCipher overhead on the record list and the imports (bench/sqlcipher.py)."""
    from bench.sqlcipher import sqlcipher_overhead

    return sqlcipher_overhead(workdir, _table_template())


BENCHMARKS: dict[str, Callable[[Path], dict[str, float]]] = {
    "table_100k": big_table,
    "cold_start": cold_start,
    "packs": packs_and_indicators,
    "reports": reports,
    "sync": sync,
    "backup": backups,
    "sqlcipher": sqlcipher,
}


def main(argv: list[str] | None = None) -> int:
    names = (sys.argv[1:] if argv is None else argv) or list(BENCHMARKS)
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        os.environ["MODELWARD_DATA_DIR"] = str(workdir)
        results = {name: BENCHMARKS[name](workdir) for name in BENCHMARKS if name in names}
    stored = OUT / "results.json"
    previous = json.loads(stored.read_text()) if stored.exists() else {}
    stored.write_text(json.dumps({**previous, **results}, indent=2))
    _print(results)
    return 0


def _print(results: dict[str, dict[str, float]]) -> None:
    start, table = results.get("cold_start"), results.get("table_100k")
    if start:
        print(
            f"(a) cold start to the first shown main window: {start['app_window_shown_s']:.3f} s "
            f"vs bare PySide6 window {start['bare_window_s']:.3f} s -> ratio "
            f"{start['cold_start_ratio']:.2f}x (target <= 1.3x); logged in (argon2id) and filled "
            f"with the 10-year demo ward after {start['app_window_ready_s']:.3f} s -> "
            f"{start['ready_ratio']:.2f}x"
        )
    if table:
        print(
            f"(b) 100,000-row table: open {table['open_ms']:.1f} ms, "
            f"sort by text {table['sort_text_ms']:.1f} ms"
            f" (by number {table['sort_number_ms']:.1f} ms, by catalogue label "
            f"{table['sort_catalogue_ms']:.1f} ms), filter {table['filter_ms']:.1f} ms "
            f"(target <= 100 ms each); raw sqlite3 sorted ids "
            f"{table['raw_sqlite_sorted_ids_ms']:.1f} ms -> sort ratio "
            f"{table['sort_vs_raw_ratio']:.2f}x"
        )
    if start and table:
        print(
            f"(c) peak memory: app {start['app_peak_mib']:.0f} MiB vs bare window "
            f"{start['bare_peak_mib']:.0f} MiB -> ratio {start['peak_memory_ratio']:.2f}x; "
            f"100k-row bench process {table['bench_process_peak_mib']:.0f} MiB"
        )
    packs = results.get("packs")
    if packs:
        print(
            f"(d) indicator grid, {packs['grid_indicators']:.0f} indicators with year over "
            f"year: {packs['grid_ms']:.1f} ms (target <= 50 ms; the bare SQL read of the values "
            f"takes {packs['grid_raw_sql_ms']:.1f} ms)"
        )
        print(
            f"(e) full assessment, {packs['assessment_criteria']:.0f} criteria with automatic "
            f"evaluation and monthly trend: {packs['assessment_ms']:.1f} ms (target <= 50 ms)"
        )
        print(
            f"(f) verify and install the default packs: {packs['verify_and_install_ms']:.0f} ms "
            f"(target <= 500 ms); python-tuf verification alone {packs['verify_only_ms']:.0f} "
            f"ms -> ratio {packs['install_vs_verify_ratio']:.2f}x"
        )
    report = results.get("reports")
    if report:
        print(
            f"(g) monthly report, data and PDF: {report['monthly_report_ms']:.0f} ms (target <= "
            f"500 ms); {report['appendix_rows']:.0f}-row appendix: "
            f"{report['appendix_pages']:.0f} pages at {report['appendix_pages_per_s']:.1f} "
            f"pages/s vs bare reportlab {report['bare_reportlab_pages_per_s']:.1f} pages/s -> "
            f"{report['pages_per_s_ratio']:.2f}x (target >= 0.8x)"
        )
    bundles = results.get("sync")
    if bundles:
        print(
            f"(h) sync export of {bundles['records']:,.0f} changed records "
            f"({bundles['bundle_mib']:.1f} MiB bundle): {bundles['export_ms']:.0f} ms vs "
            f"bare sqlite3 + NDJSON + Ed25519 + age {bundles['raw_export_ms']:.0f} ms -> ratio "
            f"{bundles['export_ratio']:.2f}x (target <= 1.5x)"
        )
        print(
            f"(i) province import of that bundle: {bundles['import_ms']:.0f} ms vs executemany "
            f"of the same rows into an empty database {bundles['raw_executemany_ms']:.0f} ms "
            f"-> ratio {bundles['import_ratio']:.2f}x (target <= 2x)"
        )
        print(
            f"(j) importing the same bundle again: {bundles['reimport_ms']:.0f} ms = "
            f"{bundles['reimport_percent']:.1f}% of the first import (target <= 5%)"
        )
        print(
            f"(k) incremental export of {bundles['incremental_changes']:.0f} changes in a "
            f"{bundles['big_rows']:,.0f}-record ward: {bundles['incremental_export_ms']:.1f} ms "
            f"(target <= 100 ms; absolute, the ward took {bundles['big_build_s']:.0f} s to "
            f"build by bulk executemany)"
        )

    saved = results.get("backup")
    if saved:
        print(
            f"(l) verified backup of a {saved['records']:,.0f}-record ward "
            f"({saved['database_mib']:.0f} MiB): the officer waits "
            f"{saved['app_officer_wait_ms']:.0f} ms (copy written, fsynced, listed) vs sqlite3 "
            f"shell .backup {saved['sqlite_shell_backup_ms']:.0f} ms -> ratio "
            f"{saved['backup_ratio']:.2f}x (target <= 1.2x); then quick_check and SHA-256 in "
            f"the background {saved['app_background_verification_ms']:.0f} ms; the whole "
            f"verified backup in one thread {saved['app_verified_backup_ms']:.0f} ms -> "
            f"{saved['verified_in_one_thread_ratio']:.2f}x; the backup API's copy step alone "
            f"{saved['app_copy_step_ms']:.0f} ms -> {saved['copy_step_ratio']:.2f}x"
        )

    if "sqlcipher" in results:
        from bench.sqlcipher import print_line

        print_line(results["sqlcipher"])


if __name__ == "__main__":
    raise SystemExit(main())
