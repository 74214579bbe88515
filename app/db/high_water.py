"""The sync numbers a station must never hand out again ("high-water marks"): read from a
database file without the ORM, remembered in a file beside the station keys at every export,
and carried in every backup's sidecar, so a restore can carry them forward."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from app.fileio import atomic_write_bytes
from app.paths import keys_folder

HIGH_WATER_NAME = "sync-high-water.json"

# app_meta keys shared with the sync and profile modules (kept as strings here so the backup
# modules need no ORM and can run while the database is closed)
INSTANCE_KEY = "instance_id"
ACKED_COUNTER = "sync_acked_counter"
ACKED_SEQ = "sync_acked_seq"
SEQ_FLOOR = "sync_seq_floor"
PREV_MANIFEST_FLOOR = "sync_prev_manifest_floor"
RESTORED_KEY = "restored_from"


@dataclass(frozen=True)
class HighWater:
    """The sync numbers a station must never hand out again."""

    counter: int = 0
    seq: int = 0
    manifest: str = ""  # the manifest hash of the bundle with sequence ``seq``
    acked_counter: int = 0
    acked_seq: int = 0

    def merged(self, other: HighWater) -> HighWater:
        newer = self if self.seq >= other.seq else other
        return HighWater(
            counter=max(self.counter, other.counter),
            seq=newer.seq,
            manifest=newer.manifest,
            acked_counter=max(self.acked_counter, other.acked_counter),
            acked_seq=max(self.acked_seq, other.acked_seq),
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "counter": self.counter,
            "seq": self.seq,
            "manifest": self.manifest,
            "acked_counter": self.acked_counter,
            "acked_seq": self.acked_seq,
        }

    @classmethod
    def from_dict(cls, data: object) -> HighWater:
        if not isinstance(data, dict):
            return cls()

        def number(key: str) -> int:
            value = data.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else 0

        manifest = data.get("manifest")
        return cls(
            counter=number("counter"),
            seq=number("seq"),
            manifest=manifest if isinstance(manifest, str) else "",
            acked_counter=number("acked_counter"),
            acked_seq=number("acked_seq"),
        )


def meta(raw: sqlite3.Connection, key: str) -> str | None:
    row = raw.execute("SELECT value FROM app_meta WHERE key = ?", (key,)).fetchone()
    return str(row[0]) if row else None


def meta_int(raw: sqlite3.Connection, key: str) -> int:
    value = meta(raw, key)
    try:
        return int(value) if value is not None else 0
    except ValueError:
        return 0


def read_high_water(raw: sqlite3.Connection) -> HighWater:
    """The sync numbers recorded in an open database (zeros where a table is missing)."""
    counter = raw.execute("SELECT value FROM change_counter WHERE id = 1").fetchone()
    tables = {n for (n,) in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    seq, manifest = 0, ""
    if "sync_outbox" in tables:
        last = raw.execute(
            "SELECT seq, manifest_sha256 FROM sync_outbox WHERE state != 'failed' "
            "ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        top = raw.execute("SELECT max(seq) FROM sync_outbox").fetchone()
        if last:
            seq, manifest = int(last[0]), str(last[1])
        if top and top[0] is not None:
            seq = max(seq, int(top[0]))  # a failed bundle's number is used up too
    floor = meta_int(raw, SEQ_FLOOR)
    if floor > seq:
        seq, manifest = floor, meta(raw, PREV_MANIFEST_FLOOR) or ""
    return HighWater(
        counter=int(counter[0]) if counter else 0,
        seq=seq,
        manifest=manifest,
        acked_counter=meta_int(raw, ACKED_COUNTER),
        acked_seq=meta_int(raw, ACKED_SEQ),
    )


def high_water_file(db_path: Path) -> Path:
    """Beside the station keys: written at every export, read when restoring."""
    return keys_folder(db_path) / HIGH_WATER_NAME


def record_high_water(db_path: Path, mark: HighWater) -> None:
    """Remember ``mark`` outside the database (merged with what is there already)."""
    path = high_water_file(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    merged = read_high_water_file(path).merged(mark)
    atomic_write_bytes(path, json.dumps(merged.as_dict()).encode(), verify=False)


def read_high_water_file(path: Path) -> HighWater:
    try:
        return HighWater.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return HighWater()
