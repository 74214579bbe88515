"""Change rows of this database's schema: where the wire format (``app.sync.change_rows``)
meets the tables that travel (``app.db.sync_tables``). Reading them for an export is
``app.db.sync_repo.read_changes``; applying them at the province is ``app.db.merge``."""

from __future__ import annotations

from app.core.domain.sync_types import Change as Change
from app.db.merge import apply_changes as apply_changes
from app.db.sync_tables import KIND_OF_TABLE as KIND_OF_TABLE
from app.db.sync_tables import wire_tables
from app.sync import change_rows
from app.sync.change_rows import ChangeError as ChangeError
from app.sync.change_rows import encode as encode


def parse_records(blob: bytes, to_counter: int) -> list[Change]:
    """A bundle's change rows, checked against the tables this database syncs."""
    return change_rows.parse_records(blob, to_counter, wire_tables())
