"""Each ward's chain of bundles at the province: does a bundle extend the history already
applied, or does it belong to another copy of the station's history (a fork)?

A ward links every bundle to the one before it (``prev_manifest_sha256``). The province
applies a bundle only if nothing it holds contradicts that link: the bundle before it (when
held) is the one it names, the bundle after it (when held) names it, no other bundle holds its
number, and it does not continue a bundle already quarantined. Across a gap (a bundle not
received yet) the link cannot be checked, so the audit entries the bundle carries are compared
with the ward's audit trail held here: two copies of a station that both changed records write
different entries under the same numbers. A bundle that fails any of these is quarantined with
its fork and never merged; only an explicit, audited resolution (``province_trust``) ends a
fork. Wards that made no change at all on one side carry nothing to tell them apart, and
nothing to mix either.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.db import province_repo
from app.db.sync_models import InboxBundle
from app.i18n import _
from app.sync.bundle import AuditLine, AuditRange

APPLIED = "applied"
FORK = "fork"  # quarantined, waiting for a province decision
REJECTED = "rejected"  # quarantined, then refused when the fork was resolved


@dataclass(frozen=True)
class Candidate:
    """What the chain rule needs to know about a verified bundle."""

    station_id: str
    bundle_id: str
    seq: int
    manifest_sha256: str
    prev_manifest_sha256: str
    void_seqs: frozenset[int]
    instance_id: str = ""  # the ward database that sent it (``station_instance_id``)
    audit_span: AuditRange | None = None
    audit_lines: Sequence[AuditLine] = ()


def predecessor(seq: int, void: frozenset[int] | set[int]) -> int:
    """The bundle a ward's bundle ``seq`` links to: the one before, skipping its void numbers
    (0: none, the chain starts here)."""
    previous = seq - 1
    while previous in void:
        previous -= 1
    return max(previous, 0)


def _void(row: InboxBundle) -> frozenset[int]:
    return frozenset(json.loads(row.void_seqs))


def fork_reason(session: Session, bundle: Candidate) -> str | None:
    """Why ``bundle`` cannot be applied (it belongs to a fork), or None when it extends the
    history applied here. Same bundle id or same manifest twice is the caller's concern."""
    rows = province_repo.station_bundles(session, bundle.station_id)
    applied = {row.seq: row for row in rows if row.status == APPLIED}
    code, seq = bundle.station_id, bundle.seq
    if seq in applied:
        return _(
            "Station {code} sent two different bundles with number {seq}: the second was "
            "quarantined. This happens when a station's database was restored from an old "
            "copy, or its key is misused."
        ).format(code=code, seq=seq)
    if any(
        row.status in (FORK, REJECTED) and row.manifest_sha256 == bundle.prev_manifest_sha256
        for row in rows
    ):
        return _(
            "Bundle {seq} of station {code} continues a bundle quarantined as a fork; it was "
            "quarantined with it and nothing of it was applied."
        ).format(code=code, seq=seq)
    below = predecessor(seq, bundle.void_seqs)
    held_below = applied.get(below)
    if (below == 0 and bundle.prev_manifest_sha256 != "") or (
        held_below is not None and held_below.manifest_sha256 != bundle.prev_manifest_sha256
    ):
        return _(
            "Bundle {seq} of station {code} does not follow the bundle {before} held here: it "
            "continues another copy of the station's history (a fork). It was quarantined and "
            "nothing of it was applied."
        ).format(code=code, seq=seq, before=below)
    followers = [row for row in applied.values() if predecessor(row.seq, _void(row)) == seq]
    for row in followers:
        if row.prev_manifest_sha256 != bundle.manifest_sha256:
            return _(
                "Bundle {seq} of station {code} is not the one that bundle {after} held here "
                "follows: it belongs to another copy of the station's history (a fork). It was "
                "quarantined and nothing of it was applied."
            ).format(code=code, seq=seq, after=row.seq)
    gap_below = below > 0 and held_below is None
    gap_above = not followers and any(s > seq for s in applied)
    if (gap_below or gap_above) and audit_diverges(session, bundle):
        return _(
            "Bundle {seq} of station {code} carries audit entries that differ from the ones "
            "received here under the same numbers: it comes from another copy of the "
            "station's history (a fork). It was quarantined and nothing of it was applied."
        ).format(code=code, seq=seq)
    return None


def audit_diverges(session: Session, bundle: Candidate) -> bool:
    """Whether the audit entries ``bundle`` carries contradict the ward's trail held here: an
    entry with another hash under a number held, a first entry that does not link to the
    entry held before it, or a head that names another hash for an entry held.

    Only entries sent by the same ward database (instance) count: a copy of the file keeps
    its instance, while a database restored from a backup gets a new one and rewrites entries
    on purpose (that is flagged by the audit check, §8.11, not taken for a fork)."""
    span = bundle.audit_span
    if span is None:
        return False
    numbers = [line.id for line in bundle.audit_lines]
    wanted = set(numbers) | {span.head_count}
    if numbers:
        wanted.add(numbers[0] - 1)
    held = province_repo.ward_audit_hashes(session, bundle.station_id, bundle.instance_id, wanted)
    for line in bundle.audit_lines:
        if held.get(line.id, line.hash) != line.hash:
            return True
    if (
        numbers
        and numbers[0] - 1 in held
        and held[numbers[0] - 1] != bundle.audit_lines[0].prev_hash
    ):
        return True
    return held.get(span.head_count, span.head_hash) != span.head_hash


# -- gaps and breaks in the applied chain ------------------------------------------------------


def missing_seqs(session: Session, station_id: str) -> list[int]:
    """Sequence numbers of a station never received (and not declared void by the station)."""
    rows = province_repo.station_seq_links(session, station_id)
    seen = {seq for seq, _void, status in rows if status == "applied"}
    if not seen:
        return []
    void: set[int] = set()
    for _seq, listed, status in rows:
        if status == "applied":
            void.update(json.loads(listed))
    return [s for s in range(1, max(seen)) if s not in seen and s not in void]


def chain_breaks(applied: Sequence[InboxBundle]) -> list[int]:
    """Bundles whose link to the previous bundle (``prev_manifest_sha256``) does not match
    the bundle the province holds under that number: the station's history was rewritten
    (a restored database, or a key used on two machines). Checked only where the previous
    bundle was received."""
    by_seq = {row.seq: row for row in applied}
    broken = []
    for row in applied:
        void = set(json.loads(row.void_seqs))
        previous = row.seq - 1
        while previous in void:
            previous -= 1
        if previous < 1:
            continue
        before = by_seq.get(previous)
        if before is not None and before.manifest_sha256 != row.prev_manifest_sha256:
            broken.append(row.seq)
    return sorted(broken)


# -- the overview: each quarantined branch beside the applied one ------------------------------


@dataclass(frozen=True)
class BranchBundle:
    seq: int
    bundle_id: str
    received_at: datetime


@dataclass(frozen=True)
class Branch:
    """A quarantined branch of a ward's history: bundles linked to each other by their chain,
    and the applied bundles it competes with (the other branch, from its first number on)."""

    bundles: tuple[BranchBundle, ...]
    rival_seqs: tuple[int, ...]

    @property
    def first_seq(self) -> int:
        return self.bundles[0].seq

    @property
    def seqs(self) -> tuple[int, ...]:
        return tuple(b.seq for b in self.bundles)


def branches(session: Session, station_id: str) -> list[Branch]:
    """The quarantined branches of a station still waiting for a decision, oldest first."""
    rows = province_repo.station_bundles_by_seq(session, station_id)
    forks = [row for row in rows if row.status == FORK]
    applied = sorted(row.seq for row in rows if row.status == APPLIED)
    by_manifest = {row.manifest_sha256: row for row in forks}
    groups: dict[int, list[InboxBundle]] = {}
    for row in forks:  # by seq: a parent is always placed before its children
        root = row
        while root.prev_manifest_sha256 in by_manifest:
            parent = by_manifest[root.prev_manifest_sha256]
            if parent is root or parent.seq >= root.seq:
                break
            root = parent
        groups.setdefault(root.id, []).append(row)
    result = []
    for members in groups.values():
        first = members[0].seq
        result.append(
            Branch(
                tuple(BranchBundle(m.seq, m.bundle_id, m.received_at) for m in members),
                tuple(s for s in applied if s >= first),
            )
        )
    return sorted(result, key=lambda b: (b.first_seq, b.bundles[0].bundle_id))
