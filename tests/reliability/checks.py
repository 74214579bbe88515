"""What must hold after a station process was killed: the database reopens intact, the audit
chain verifies, every journaled commit is there, no import is half there, and every backup or
bundle under its final name is whole.

``check_station`` returns the problems it found (an empty list when all holds), so the harness
can report every broken trial at once and the checks themselves can be tested on damage.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from app.core.domain.errors import UserFacingError
from app.core.services import backup_steps as backup
from app.core.services.audit import verify as verify_audit
from app.core.services.records import RecordService
from app.core.services.sync.ward import WardSync
from app.db.engine import Database
from app.db.open import open_database
from app.paths import backups_dir
from app.sync import bundle as fmt
from app.sync.keys import StationKeys
from tests.reliability.workload import (
    EDIT_PREFIX,
    EXPORT_CLOCK,
    IMPORT_PREFIX,
    TODAY,
    JournalSummary,
    Op,
)

BUNDLE_NAME = re.compile(r"WSB1_(\d+)_(\d{8})_([0-9a-f-]{36})\.wsb")


@dataclass(frozen=True)
class RecordState:
    attendance: int
    audience: str
    deleted: bool


@dataclass
class Findings:
    """The problems of one station after a kill, and what was left lying around."""

    problems: list[str] = field(default_factory=list)
    temp_files: int = 0  # temp files of interrupted writes (allowed; never cleaned up)
    temp_bytes: int = 0
    orphan_bundles: int = 0  # whole bundles whose export the outbox still calls failed
    in_flight: str = ""  # how far the operation the kill interrupted got

    def add(self, problem: str) -> None:
        self.problems.append(problem)

    def count_temp_files(self, files: list[Path]) -> None:
        temps = [p for p in files if p.name.startswith(".")]
        self.temp_files += len(temps)
        self.temp_bytes += sum(p.stat().st_size for p in temps)


# --- edits -------------------------------------------------------------------------------------


def _apply(state: dict[str, RecordState], op: Op) -> None:
    if op.action in ("create", "update"):
        state[op.marker] = RecordState(op.attendance, op.audience, False)
    else:
        old = state[op.marker]
        state[op.marker] = RecordState(old.attendance, old.audience, op.action == "delete")


def expected_records(summary: JournalSummary) -> dict[str, RecordState]:
    state: dict[str, RecordState] = {}
    for op, _data in summary.committed:
        if op.kind == "edit":
            _apply(state, op)
    return state


def _stored_records(raw: sqlite3.Connection) -> dict[str, list[RecordState]]:
    stored: dict[str, list[RecordState]] = {}
    rows = raw.execute(
        "SELECT place, attendance, audience, deleted_at FROM outreach_sessions "
        "WHERE substr(place, 1, ?) = ?",
        (len(EDIT_PREFIX), EDIT_PREFIX),
    )
    for place, attendance, audience, deleted_at in rows:
        stored.setdefault(place, []).append(
            RecordState(attendance, audience, deleted_at is not None)
        )
    return stored


def check_edits(raw: sqlite3.Connection, summary: JournalSummary, found: Findings) -> None:
    """Each journaled edit is there with its last committed value; only the edit in flight
    may or may not have happened."""
    expected = expected_records(summary)
    maybe: dict[str, RecordState] = {}
    if summary.in_flight is not None and summary.in_flight.kind == "edit":
        maybe = dict(expected)
        _apply(maybe, summary.in_flight)
    stored = _stored_records(raw)
    for marker in sorted(set(expected) | set(maybe) | set(stored)):
        copies = stored.get(marker, [])
        allowed: list[RecordState | None] = [expected.get(marker)]
        if marker in maybe:
            allowed.append(maybe[marker])  # absent (None) if the create is in flight
        if len(copies) > 1:
            found.add(f"edit: {marker} is stored {len(copies)} times")
        actual = copies[0] if copies else None
        if actual not in allowed:
            found.add(f"edit: {marker} is {actual}, committed {expected.get(marker)}")
    if summary.in_flight is not None and summary.in_flight.kind == "edit":
        marker = summary.in_flight.marker
        copies = stored.get(marker, [])
        actual = copies[0] if copies else None
        done = actual == maybe[marker] != expected.get(marker)
        found.in_flight = "committed" if done else "not committed"


# --- imports -----------------------------------------------------------------------------------


def check_imports(raw: sqlite3.Connection, summary: JournalSummary, found: Findings) -> None:
    """A committed import has all its rows, the one in flight all or none, others none."""
    counts: dict[str, int] = {}
    rows = raw.execute(
        "SELECT place FROM outreach_sessions WHERE substr(place, 1, ?) = ?",
        (len(IMPORT_PREFIX), IMPORT_PREFIX),
    )
    for (place,) in rows:
        batch = place.rsplit("-", 1)[0]
        counts[batch] = counts.get(batch, 0) + 1
    committed = {op.marker: op.rows for op, _data in summary.committed if op.kind == "import"}
    in_flight = summary.in_flight
    for batch in sorted(set(counts) | set(committed)):
        count = counts.get(batch, 0)
        if batch in committed:
            allowed = {committed[batch]}
        elif in_flight is not None and in_flight.marker == batch:
            allowed = {0, in_flight.rows}
        else:
            allowed = {0}
        if count not in allowed:
            found.add(f"import: {batch} has {count} rows, expected one of {sorted(allowed)}")
    if in_flight is not None and in_flight.kind == "import":
        done = counts.get(in_flight.marker, 0) == in_flight.rows
        found.in_flight = "committed" if done else "not committed"


# --- backups -----------------------------------------------------------------------------------


def _snapshot_counts(path: Path) -> tuple[int, int]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as raw:
        edits = raw.execute(
            "SELECT count(*) FROM outreach_sessions WHERE substr(place, 1, ?) = ?",
            (len(EDIT_PREFIX), EDIT_PREFIX),
        ).fetchone()[0]
        imported = raw.execute(
            "SELECT count(*) FROM outreach_sessions WHERE substr(place, 1, ?) = ?",
            (len(IMPORT_PREFIX), IMPORT_PREFIX),
        ).fetchone()[0]
    return int(edits), int(imported)


def check_backups(db_path: Path, summary: JournalSummary, found: Findings) -> None:
    """Every backup under a final name (listed or not) verifies; every journaled backup is
    there, unchanged, and holds exactly the commits made before it was taken."""
    folder = backups_dir(db_path)
    files = sorted(folder.iterdir()) if folder.is_dir() else []
    found.count_temp_files(files)
    listed = {b.path for b in backup.list_backups(db_path)}
    finals = {p for p in files if p.suffix == backup.SUFFIX and not p.name.startswith(".")}
    for path in sorted(listed | finals):
        try:
            backup.verify_backup(path)
        except UserFacingError as error:
            where = "listed " if path in listed else ""
            found.add(f"backup: {where}{path.name} does not verify: {error.message}")
    if summary.in_flight is not None and summary.in_flight.kind == "backup":
        journaled = {data["file"] for op, data in summary.committed if op.kind == "backup"}
        new = [p for p in finals if "-manual-" in p.name and p.name not in journaled]
        sidecars = [p for p in new if p.with_suffix(backup.SIDECAR).is_file()]
        found.in_flight = (
            "committed" if sidecars else "file without sidecar" if new else "not committed"
        )
    creates = imported = 0
    for op, data in summary.committed:
        if op.kind == "backup":
            _check_journaled_backup(
                folder / data["file"], data["sha256"], (creates, imported), found
            )
        elif op.action == "create":
            creates += 1
        elif op.kind == "import":
            imported += op.rows


def _check_journaled_backup(
    path: Path, sha256: str, counts: tuple[int, int], found: Findings
) -> None:
    if not path.is_file() or not path.with_suffix(backup.SIDECAR).is_file():
        found.add(f"backup: the committed backup {path.name} or its sidecar is missing")
        return
    try:
        info = backup.verify_backup(path)
    except UserFacingError:
        return  # reported above
    if info.sha256 != sha256:
        found.add(f"backup: {path.name} changed after it was taken")
    if _snapshot_counts(path) != counts:
        found.add(f"backup: {path.name} holds {_snapshot_counts(path)} rows, not {counts}")


# --- bundles -----------------------------------------------------------------------------------


def _outbox(raw: sqlite3.Connection) -> dict[str, tuple[int, str, str]]:
    rows = raw.execute("SELECT bundle_id, seq, state, manifest_sha256 FROM sync_outbox")
    return {bundle_id: (seq, state, manifest) for bundle_id, seq, state, manifest in rows}


def _check_bundle_file(
    path: Path, keys: StationKeys, outbox: dict[str, tuple[int, str, str]], found: Findings
) -> int | None:
    """Verify one file under a bundle name completely (signature, hashes, decryption, inner
    signature); return its sequence number."""
    name = BUNDLE_NAME.fullmatch(path.name)
    if name is None:
        found.add(f"bundle: unexpected file {path.name} on the stick")
        return None
    try:
        outer, _header = fmt.read_outer(path.read_bytes(), lambda _s: [keys.signing.public_key()])
        inner = fmt.open_inner(outer, [keys.age_identity])
    except UserFacingError as error:
        found.add(f"bundle: {path.name} is not whole: {error.message}")
        return None
    seq, bundle_id = int(name.group(2)), name.group(3)
    if (outer.seq, outer.bundle_id) != (seq, bundle_id):
        found.add(f"bundle: {path.name} holds seq {outer.seq} / {outer.bundle_id}")
    entry = outbox.get(bundle_id)
    if entry is None or entry[0] != seq:
        found.add(f"bundle: {path.name} has no outbox entry with its number")
    elif entry[1] == "failed":
        found.orphan_bundles += 1
    elif entry[2] != inner.manifest_sha256:
        found.add(f"bundle: {path.name} is not the bundle the outbox recorded")
    return seq


def check_bundles(
    raw: sqlite3.Connection,
    db_path: Path,
    stick: Path,
    keys: StationKeys,
    summary: JournalSummary,
    found: Findings,
) -> None:
    outbox = _outbox(raw)
    files = sorted(stick.iterdir()) if stick.is_dir() else []
    found.count_temp_files(files)
    seqs = [_check_bundle_file(p, keys, outbox, found) for p in files if not p.name.startswith(".")]
    numbered = [s for s in seqs if s is not None]
    if len(numbered) != len(set(numbered)):
        found.add(f"bundle: a sequence number was used twice: {sorted(numbered)}")
    committed = [data for op, data in summary.committed if op.kind == "export"]
    for data in committed:
        if not (stick / data["file"]).is_file():
            found.add(f"bundle: the committed bundle {data['file']} is missing")
        if outbox.get(data["bundle_id"], (0, "", ""))[:2] != (data["seq"], "exported"):
            found.add(f"bundle: the outbox does not record bundle {data['seq']} as exported")
    if summary.in_flight is not None and summary.in_flight.kind == "export":
        found.in_flight = _export_outcome(outbox, stick, {d["bundle_id"] for d in committed})
    if committed:
        mark = backup.HighWater()
        try:
            mark = backup.HighWater.from_dict(
                json.loads(backup.high_water_file(db_path).read_text(encoding="utf-8"))
            )
        except (OSError, ValueError) as error:
            found.add(f"bundle: the high-water file cannot be read: {error}")
        if mark.seq < max(d["seq"] for d in committed):
            found.add(f"bundle: the high-water file stops at seq {mark.seq}")


def _export_outcome(
    outbox: dict[str, tuple[int, str, str]], stick: Path, journaled: set[str]
) -> str:
    new = {
        bundle_id: (seq, state)
        for bundle_id, (seq, state, _sha) in outbox.items()
        if bundle_id not in journaled and state in ("failed", "exported")
    }
    if not new:
        return "not committed"
    ((bundle_id, (seq, state)),) = new.items()
    if state == "exported":
        return "committed"
    written = any(p.name.endswith(f"_{seq:08d}_{bundle_id}.wsb") for p in stick.iterdir())
    return "file written, outbox says failed" if written else "number reserved, no file"


# --- the whole station -------------------------------------------------------------------------


@contextmanager
def _opened(db_path: Path, found: Findings) -> Iterator[Database | None]:
    try:
        db = open_database(db_path)
    except Exception as error:  # any failure to reopen is the finding
        found.add(f"database: does not reopen: {error!r}")
        yield None
        return
    try:
        yield db
    finally:
        db.close()


def _database_checks(db: Database, found: Findings) -> None:
    with db.engine.connect() as connection:
        integrity = [r[0] for r in connection.execute(text("PRAGMA integrity_check"))]
        foreign = connection.execute(text("PRAGMA foreign_key_check")).fetchall()
    if integrity != ["ok"]:
        found.add(f"database: integrity_check says {integrity[:5]}")
    if foreign:
        found.add(f"database: foreign_key_check finds {foreign[:5]}")
    audit = verify_audit(db)
    if not audit.ok:
        found.add(f"database: the audit chain breaks at {audit.broken_at}: {audit.problem}")


def _still_works(db: Database, stick: Path, keys: StationKeys, found: Findings) -> None:
    """The station takes new work after the crash: a record, and an export whose number no
    killed export could have used."""
    values: dict[str, Any] = {
        "held_on": TODAY,
        "topic": "pccc_cnch",
        "place": "after-the-crash",
        "audience": "Kiểm tra",
        "attendance": 1,
    }
    with closing(sqlite3.connect(f"file:{db.path}?mode=ro", uri=True)) as raw:
        used = max((seq for seq, _state, _sha in _outbox(raw).values()), default=0)
    try:
        RecordService(db, author="harness", today=lambda: TODAY).create("sessions", values)
        later = EXPORT_CLOCK + timedelta(days=1)
        result = WardSync(db, author="harness", now=lambda: later).export(stick, keys)
    except Exception as error:  # whatever it is, the station must not refuse work
        found.add(f"database: refuses new work after the crash: {error!r}")
        return
    if result.seq <= used:
        found.add(f"bundle: the export after the crash reused number {result.seq}")
    audit = verify_audit(db)
    if not audit.ok:
        found.add(f"database: the audit chain breaks after new work: {audit.problem}")


def check_station(
    db_path: Path, stick: Path, keys: StationKeys, summary: JournalSummary
) -> Findings:
    """Reopen the killed station the way the app does and check everything."""
    found = Findings(problems=list(summary.problems))
    with _opened(db_path, found) as db:
        if db is None:
            return found
        _database_checks(db, found)
        with closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as raw:
            check_edits(raw, summary, found)
            check_imports(raw, summary, found)
            check_bundles(raw, db_path, stick, keys, summary, found)
        check_backups(db_path, summary, found)
        if not found.problems:
            _still_works(db, stick, keys, found)
    return found
