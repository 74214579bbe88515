"""Snapshots of real database files, to prove a rejection changed nothing."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Any

from app.db.engine import Database
from app.db.sync_tables import SYNC_MODELS, carried_columns


def db_digest(db: Database, *, skip_audit: bool = False) -> str:
    """SHA-256 of a full SQL dump of the database file (every table, every row); with
    ``skip_audit``, of everything but the audit trail (its entries and its head)."""
    connection = sqlite3.connect(f"file:{db.path}?mode=ro", uri=True)
    try:
        digest = hashlib.sha256()
        for line in connection.iterdump():
            if skip_audit and (
                line.startswith('INSERT INTO "audit_log"')
                or line.startswith("INSERT INTO \"app_meta\" VALUES('audit_head'")
            ):
                continue
            digest.update(line.encode())
        return digest.hexdigest()
    finally:
        connection.close()


def audit_actions(db: Database) -> list[str]:
    """The actions of the station's own audit trail, oldest first."""
    connection = sqlite3.connect(f"file:{db.path}?mode=ro", uri=True)
    try:
        return [a for (a,) in connection.execute("SELECT action FROM audit_log ORDER BY id")]
    finally:
        connection.close()


def ward_state(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every synced row's carried content (no local ids or counters), by table, by uuid.

    Rows are keyed by their unit's code, so a ward's own database and the province's copy of
    that ward compare equal; assessment items name their assessment by uuid.
    """
    connection = sqlite3.connect(f"file:{db.path}?mode=ro", uri=True)
    try:
        state: dict[str, list[tuple[Any, ...]]] = {}
        for name in SYNC_MODELS:
            columns = [c.name for c in carried_columns(name)]
            select = ", ".join(
                "(SELECT uuid FROM assessments a WHERE a.id = t.assessment_id)"
                if (name, c) == ("assessment_items", "assessment_id")
                else f"t.{c}"
                for c in columns
            )
            rows = connection.execute(
                f"SELECT u.code, {select} FROM {name} t JOIN units u ON u.id = t.owner_unit_id "
                "WHERE u.kind = 'ward_police' ORDER BY t.uuid"
            ).fetchall()
            state[name] = rows
        return state
    finally:
        connection.close()


def province_state(db: Database) -> tuple[dict[str, list[tuple[Any, ...]]], list[tuple[Any, ...]]]:
    """The wards' rows plus the inbox (which bundles were applied or quarantined)."""
    connection = sqlite3.connect(f"file:{db.path}?mode=ro", uri=True)
    try:
        inbox = connection.execute(
            "SELECT bundle_id, station_id, seq, manifest_sha256, status FROM sync_inbox "
            "ORDER BY bundle_id, status"
        ).fetchall()
    finally:
        connection.close()
    return ward_state(db), inbox


def flip(path: Path, offset: int, out: Path) -> Path:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    out.write_bytes(bytes(data))
    return out
