"""The process the crash-safety harness kills: it runs one trial's plan against a real station
database through the app's own services, journaling each operation.

    python -m tests.reliability.worker --db WARD.sqlite --stick DIR --journal FILE --seed N

Each operation is announced twice before it starts: a ``begin`` line in the fsync'd journal
(so the harness can tell where the kill landed) and then ``begin <n> <time>`` on stdout (so
the harness can time the kill; ``time.monotonic`` is the system-wide clock on Linux). Each
database transaction prints ``commit <n> <time>`` just before its COMMIT. After the operation
returns, ``committed`` goes to the journal and ``done <n> <time>`` to stdout.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from app.core.services import backup_steps as backup
from app.core.services.records import RecordService
from app.core.services.spreadsheet import RowStatus, rows_to_import
from app.core.services.sync.ward import WardSync
from app.db.open import open_database
from app.sync.keys import StationKeys
from tests.reliability.workload import (
    AUTHOR,
    BASE_VALUES,
    EXPORT_CLOCK,
    PASSPHRASE,
    TODAY,
    Journal,
    Op,
    make_plan,
)


class Worker:
    def __init__(self, db_path: Path, stick: Path, journal: Journal, seed: int) -> None:
        self.db = open_database(db_path)
        self.stick = stick
        self.journal = journal
        self.imports = db_path.parent.parent / "imports"
        self.records = RecordService(self.db, author=AUTHOR, today=lambda: TODAY)
        self.step = 0
        self.sync = WardSync(self.db, author=AUTHOR, now=self._export_clock)
        self.keys: StationKeys = self.sync.unlock(PASSPHRASE)
        self.ids: dict[str, int] = {}
        self.plan = make_plan(seed)
        # every transaction of the writer connection announces its COMMIT just before it is
        # sent, so the harness can aim kills into SQLite's commit (WAL append and fsync)
        event.listen(self.db.write_engine, "commit", self._announce_commit)

    def _announce_commit(self, _connection: object) -> None:
        print(f"commit {self.step} {time.monotonic():.6f}", flush=True)

    def _export_clock(self) -> datetime:
        return EXPORT_CLOCK + timedelta(minutes=self.step)

    def run(self) -> None:
        self.journal.write("ready", "-", {"pid": os.getpid()})
        actions: dict[str, Callable[[Op], dict[str, Any]]] = {
            "create": self._create,
            "update": self._update,
            "delete": self._delete,
            "restore": self._restore,
            "import": self._import,
            "export": self._export,
            "backup": self._backup,
        }
        for op in self.plan:
            self.step = op.index
            if op.kind == "import":
                source = self._write_spreadsheet(op)  # the officer's file exists beforehand
            self.journal.write("begin", op.kind, op.describe())
            print(f"begin {op.index} {time.monotonic():.6f}", flush=True)
            result = actions[op.action](op)
            self.journal.write("committed", op.kind, {"n": op.index, **result})
            print(f"done {op.index} {time.monotonic():.6f}", flush=True)
            if op.kind == "import":
                source.unlink()
        self.journal.write("finished", "-", {})
        print("finished", flush=True)

    # --- edits: one transaction each ------------------------------------------------------

    def _create(self, op: Op) -> dict[str, Any]:
        change = self.records.create("sessions", op.values())
        (self.ids[op.marker],) = change.created
        return {"id": self.ids[op.marker]}

    def _update(self, op: Op) -> dict[str, Any]:
        self.records.update("sessions", self.ids[op.marker], op.values())
        return {"id": self.ids[op.marker]}

    def _delete(self, op: Op) -> dict[str, Any]:
        self.records.delete("sessions", self.ids[op.marker])
        return {"id": self.ids[op.marker]}

    def _restore(self, op: Op) -> dict[str, Any]:
        self.records.restore("sessions", self.ids[op.marker])
        return {"id": self.ids[op.marker]}

    # --- an import from a CSV list: a backup, then all rows in one transaction ------------

    def _write_spreadsheet(self, op: Op) -> Path:
        self.imports.mkdir(exist_ok=True)
        path = self.imports / f"{op.marker}.csv"
        names = ["held_on", "topic", "place", "audience", "attendance", "presenter"]
        with path.open("w", encoding="utf-8-sig", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(names)
            for row in range(op.rows):
                values = {
                    **BASE_VALUES,
                    "held_on": BASE_VALUES["held_on"].strftime("%d/%m/%Y"),
                    "place": f"{op.marker}-{row:03d}",
                    "attendance": row + 1,
                }
                writer.writerow([values[name] for name in names])
        return path

    def _import(self, op: Op) -> dict[str, Any]:
        preview = self.records.preview_import("sessions", self.imports / f"{op.marker}.csv")
        new = {row.line for row in preview.rows if row.status is RowStatus.NEW}
        if len(new) != op.rows:
            raise RuntimeError(f"the import preview found {len(new)} new rows of {op.rows}")
        change = self.records.import_rows("sessions", rows_to_import(preview.rows, new))
        return {"batch": op.marker, "count": len(change.created)}

    # --- a sync bundle export and a manual backup ------------------------------------------

    def _export(self, _op: Op) -> dict[str, Any]:
        result = self.sync.export(self.stick, self.keys)
        return {"seq": result.seq, "bundle_id": result.bundle_id, "file": result.path.name}

    def _backup(self, _op: Op) -> dict[str, Any]:
        info = backup.create_backup(self.db.path, "manual")
        backup.rotate(self.db.path)
        return {"file": info.path.name, "sha256": info.sha256}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--stick", type=Path, required=True)
    parser.add_argument("--journal", type=Path, required=True)
    parser.add_argument("--seed", type=int, required=True)
    args = parser.parse_args(argv)
    journal = Journal(args.journal)
    try:
        worker = Worker(args.db, args.stick, journal, args.seed)
        try:
            worker.run()
        finally:
            worker.db.close()
    finally:
        journal.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
