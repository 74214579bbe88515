"""Accepting a quarantined branch of a ward's history: what is taken out and applied again.

A bundle's rows cannot be told apart once merged, so accepting the quarantined branch takes
out everything the station's bundles wrote here — its records, indicators, locks,
assessments, approvals (each known by the station's ``sync_versions``), its record versions
and its audit trail as received — and then applies again, from the archive
(``app.db.bundle_archive``), the bundles before the fork and the accepted branch, in bundle
order. The result is the state the province would hold had it only ever received those. The
caller (``province_forks``) does it all in one transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.core.domain.errors import UserFacingError
from app.core.services.sync.province import chain as province_chain
from app.db import bundle_archive, province_repo
from app.db.sync_models import InboxBundle, SyncStation
from app.db.sync_tables import SYNC_MODELS
from app.i18n import _

# rows that name a synced row by its id here, besides the synced tables themselves
_CHILDREN = {"assessments": ("assessment_items", "assessment_events")}


@dataclass(frozen=True)
class Plan:
    """The station's inbox rows, sorted into what a branch's acceptance does with them."""

    prefix: tuple[InboxBundle, ...]  # applied before the fork: applied again
    accepted: tuple[InboxBundle, ...]  # the quarantined branch: applied
    refused: tuple[InboxBundle, ...]  # every other bundle from the fork on: refused for good

    @property
    def to_apply(self) -> tuple[InboxBundle, ...]:
        return self.prefix + self.accepted


def plan(session: Session, station_id: str, branch: province_chain.Branch) -> Plan:
    rows = province_repo.station_bundles_by_seq(session, station_id)
    members = {(b.seq, b.bundle_id) for b in branch.bundles}
    accepted = [
        r for r in rows if r.status == province_chain.FORK and (r.seq, r.bundle_id) in members
    ]
    prefix = [r for r in rows if r.status == province_chain.APPLIED and r.seq < branch.first_seq]
    refused = [
        r
        for r in rows
        if (r.status == province_chain.APPLIED and r.seq >= branch.first_seq)
        or (r.status == province_chain.FORK and r not in accepted)
    ]
    return Plan(tuple(prefix), tuple(accepted), tuple(refused))


def check_links(station_id: str, chosen: Plan) -> None:
    """Refuse (nothing changed) a branch whose first bundle does not follow the applied bundle
    before it: the copies parted earlier, and accepting it would mix the two histories."""
    first = chosen.accepted[0]
    below = province_chain.predecessor(first.seq, frozenset(json.loads(first.void_seqs)))
    held = {row.seq: row for row in chosen.prefix}.get(below)
    if (below == 0 and first.prev_manifest_sha256 != "") or (
        held is not None and held.manifest_sha256 != first.prev_manifest_sha256
    ):
        raise UserFacingError(
            _(
                "Bundle {seq} of the quarantined copy of station {code} does not follow bundle "
                "{before} applied here: the two copies parted before it, and accepting it would "
                "mix them; nothing was changed."
            ).format(seq=first.seq, code=station_id, before=below),
            hint=_(
                "Import the quarantined copy's bundles from the number where the copies parted "
                "(the ward sends them again), then resolve the fork again."
            ),
        )


def archived_files(session: Session, station_id: str, chosen: Plan) -> list[bytes]:
    """The archived file of every bundle to apply, in order; refused (nothing changed) when
    any is not in the archive, naming those bundles and what to do."""
    files: list[bytes] = []
    missing: list[int] = []
    for row in chosen.to_apply:
        data = bundle_archive.find(session, row.bundle_id, row.manifest_sha256)
        if data is None:
            missing.append(row.seq)
        else:
            files.append(data)
    if missing:
        raise UserFacingError(
            _(
                "The quarantined bundles of station {code} cannot be accepted: the province "
                "does not hold the files of bundles {seqs} (received before bundles were "
                "archived, or removed); nothing was changed."
            ).format(code=station_id, seqs=", ".join(map(str, sorted(set(missing))))),
            hint=_(
                "Ask the ward to send bundles {seqs} again and import them (they are kept "
                "without being applied twice), or restore a backup that holds them; then "
                "resolve the fork again."
            ).format(seqs=", ".join(map(str, sorted(set(missing))))),
        )
    return files


def clear_station(session: Session, entry: SyncStation) -> None:
    """Take out everything the station's bundles wrote here (see the module's text)."""
    connection = session.connection()
    params = {"unit": entry.unit_id, "station": entry.station_id}
    for table in reversed(list(SYNC_MODELS)):  # children before their parents
        sent = (
            f"SELECT id FROM {table} WHERE owner_unit_id = :unit AND uuid IN "
            "(SELECT record_uuid FROM sync_versions WHERE station_id = :station "
            f"AND table_name = '{table}')"
        )
        for child in _CHILDREN.get(table, ()):
            connection.execute(text(f"DELETE FROM {child} WHERE assessment_id IN ({sent})"), params)
        connection.execute(text(f"DELETE FROM {table} WHERE id IN ({sent})"), params)
    for table in ("sync_versions", "sync_ward_audit", "sync_ward_audit_rewrites"):
        connection.execute(text(f"DELETE FROM {table} WHERE station_id = :station"), params)
    entry.audit_head = ""
    entry.audit_head_seq = 0
    entry.audit_entries = 0
    entry.audit_broken_at = None
    entry.audit_problem = ""
