"""Pure types shared by the sync wire format (``app.sync.change_rows``) and the database side
(``app.db.sync_tables``, ``app.db.merge``): one carried change row, and how one column of a
synced table travels. Importable by every layer; no SQLAlchemy here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

# how a carried value is written on the wire and checked when it arrives
WireKind = Literal["bool", "int", "float", "moment", "day", "text"]


@dataclass(frozen=True)
class Change:
    """One change row, checked: the record's current state at version ``counter``."""

    table: str
    record_id: str
    counter: int
    deleted: bool
    data: Mapping[str, Any]


@dataclass(frozen=True)
class CarriedColumn:
    """One column a change row carries, described for the format checks (no ORM types).

    ``parent``: a foreign key carried as the referenced row's uuid. ``choices``: the codes a
    record kind allows for this field (None: any value of the kind). ``max_length``: the
    longest text the database takes (None: the format's own limit)."""

    name: str
    kind: WireKind
    nullable: bool
    max_length: int | None = None
    parent: bool = False
    choices: frozenset[str] | None = None


# table name -> the columns its change rows carry (the uuid travels as ``record_id``)
WireTables = Mapping[str, tuple[CarriedColumn, ...]]
