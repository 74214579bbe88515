"""The province side of sync: enrolling wards, publishing the trust list, importing bundles,
issuing receipts, and the overview of who reported what.

Every bundle is verified completely (signature, hashes, decryption, manifest, every change
row and audit entry) before the database is touched; the good ones are then applied in one
transaction. A rejected bundle leaves the database exactly as it was. The wards' audit
entries are kept per station and their hash chain is checked here too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core import approval_service as approvals
from app.core import audit_service, backup, profile, province_audit, province_chain
from app.core.errors import EnvironmentProblem, UserFacingError
from app.core.fileio import atomic_write_bytes
from app.core.province_trust import ProvinceTrust, enrolled_station
from app.core.station_service import acting
from app.db.engine import Database
from app.db.models import RECORD_MODELS, Unit
from app.db.pack_models import IndicatorValue, PeriodLock
from app.db.sync_models import InboxBundle, SyncStation
from app.i18n import _
from app.security.accounts import Actor, Permission
from app.sync import bundle as fmt
from app.sync import changes as change_rows
from app.sync import keys as station_keys
from app.sync import trust
from app.sync.envelope import public_from_hex

Progress = Callable[[int, int, str], None]


def _no_progress(_done: int, _total: int, _label: str) -> None:
    return None


@dataclass
class BundleReport:
    """What importing one file did or would do."""

    path: Path
    outcome: str  # new | duplicate | fork | rejected
    reason: str = ""
    station_id: str = ""
    station_name: str = ""
    seq: int = 0
    bundle_id: str = ""
    records: int = 0
    summary: dict[str, Any] = field(default_factory=dict)
    receipt_path: Path | None = None
    # the import was committed but the receipt file could not be written: why, and how to
    # write it again
    receipt_problem: str = ""


@dataclass
class _Verified:
    path: Path
    outer: fmt.Outer
    inner: fmt.Inner
    changes: list[change_rows.Change]
    station: SyncStation
    report: BundleReport | None = None
    audit: list[fmt.AuditLine] = field(default_factory=list)


@dataclass(frozen=True)
class StationOverview:
    station_id: str
    name: str
    status: str
    last_seq: int
    last_received: datetime | None
    months: tuple[tuple[int, int], ...]
    missing_seqs: tuple[int, ...]
    forks: int
    records: int
    chain_breaks: tuple[int, ...] = ()
    audit_entries: int = 0  # the ward's audit entries held here
    audit_broken_at: int | None = None  # the first break found at the last import
    audit_problem: str = ""  # its kind (audit_service.REWRITTEN, …)
    cutoff: int | None = None  # when revoked: the last bundle still accepted
    branches: tuple[province_chain.Branch, ...] = ()  # quarantined histories, undecided


class ProvinceSync(ProvinceTrust):
    def __init__(
        self,
        db: Database,
        *,
        now: Callable[[], datetime] | None = None,
        author: str | None = None,
        actor: Actor | None = None,
        keys_folder: Path | None = None,
    ) -> None:
        self.db = db
        self.now = now or (lambda: datetime.now(UTC))
        self.author, self.actor = acting(author, actor)
        self.keys_folder = keys_folder or station_keys.keys_folder(db.path)

    # -- bundles ------------------------------------------------------------------------

    def _keys_for(self, session: Session) -> Callable[[str], list[Any]]:
        def keys_for(station_id: str) -> list[Any]:
            entry = session.execute(
                select(SyncStation).where(SyncStation.station_id == station_id)
            ).scalar_one_or_none()
            if entry is None:
                raise fmt.BundleError(
                    _(
                        "Station {code} is not enrolled with this province; its bundle was refused."
                    ).format(code=station_id),
                    hint=_("Enroll the station first (after confirming its key fingerprint)."),
                )
            return [public_from_hex(entry.signing_key)]

        return keys_for

    def inspect(self, data: bytes) -> dict[str, Any]:
        """The verified cleartext header of a bundle (nothing decrypted)."""
        with self.db.read() as session:
            _outer, header = fmt.read_outer(data, self._keys_for(session))
        return header

    def _verify(
        self,
        session: Session,
        path: Path,
        data: bytes,
        identities: Sequence[Any],
        own_recipient_id: str,
    ) -> _Verified:
        outer, _header = fmt.read_outer(data, self._keys_for(session))
        entry = session.execute(
            select(SyncStation).where(SyncStation.station_id == outer.station_id)
        ).scalar_one()
        if entry.status == "revoked" and (
            entry.last_trusted_seq is None or outer.seq > entry.last_trusted_seq
        ):
            raise fmt.BundleError(
                _(
                    "The key of station {code} was revoked after bundle {cutoff}; bundle {seq} "
                    "was refused."
                ).format(code=outer.station_id, cutoff=entry.last_trusted_seq or 0, seq=outer.seq),
                hint=_("The station must enroll a new key; then it exports again."),
            )
        if own_recipient_id not in outer.recipient_key_ids:
            raise fmt.BundleError(
                _("The bundle is not addressed to this province; it was refused.")
            )
        inner = fmt.open_inner(outer, identities)
        fmt.check_demo(inner, outer.station_id, outer.seq, profile.load(self.db).is_demo)
        manifest = inner.manifest
        change_range = manifest["change_range"]
        if (
            not isinstance(change_range, dict)
            or set(change_range) != {"instance_id", "from_counter", "to_counter"}
            or not isinstance(change_range["to_counter"], int)
            or not isinstance(change_range["instance_id"], str)
            or change_range["instance_id"] != manifest["station_instance_id"]
            or manifest["province_id"] != profile.load(self.db).unit.code
        ):
            raise fmt.BundleError(_("The bundle's manifest is not in the expected form."))
        void = manifest["void_seqs"]
        if not isinstance(void, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in void
        ):
            raise fmt.BundleError(_("The bundle's manifest is not in the expected form."))
        already = session.execute(
            select(InboxBundle.id).where(
                InboxBundle.bundle_id == outer.bundle_id,
                InboxBundle.manifest_sha256 == inner.manifest_sha256,
            )
        ).first()
        if already is not None:
            # the same signed manifest (and so the same records) was imported before
            return _Verified(path, outer, inner, [], entry)
        try:
            changes = change_rows.parse_records(inner.records, change_range["to_counter"])
        except change_rows.ChangeError as error:
            raise fmt.BundleError(
                _("The bundle's records are not valid: {problem}").format(problem=error.message)
            ) from error
        span = inner.audit_range
        entries = fmt.parse_audit(inner.audit, span) if span is not None else []
        return _Verified(path, outer, inner, changes, entry, audit=entries)

    def import_bundles(
        self,
        paths: Sequence[Path],
        keys: station_keys.StationKeys,
        *,
        dry_run: bool = False,
        receipts_dir: Path | None = None,
        returned: dict[str, str] | None = None,
        progress: Progress = _no_progress,
    ) -> list[BundleReport]:
        """Verify every file, then apply the new bundles in one transaction.

        Files are read whole into memory first, so pulling the stick out mid-import cannot
        leave half a file being parsed. ``returned`` maps a bundle id to the comments of a
        "returned for correction" receipt. A ``dry_run`` runs every step of the import in
        the same transaction and then rolls it back, so its reports are the import's own; only
        the backup before the import and the receipt files are left out.
        """
        self.require(Permission.IMPORT_BUNDLES)
        own = self._station()
        returned = returned or {}
        reports: list[BundleReport] = []
        try:
            self._import_in_transaction(paths, keys, reports, dry_run, returned, progress, own)
        except _DryRun:
            pass
        else:
            self._audit_refusals(reports)
            # receipts go out only after the commit
            for report in reports:
                if report.outcome in ("new", "duplicate") and report.bundle_id:
                    report.receipt_path = self._write_receipt(report, receipts_dir)
        progress(len(paths) + 1, len(paths) + 1, _("Done"))
        return reports

    def _import_in_transaction(
        self,
        paths: Sequence[Path],
        keys: station_keys.StationKeys,
        reports: list[BundleReport],
        dry_run: bool,
        returned: dict[str, str],
        progress: Progress,
        own: profile.StationProfile,
    ) -> None:
        total = len(paths) + 1
        with self.db.write() as session:
            verified = self._verify_all(session, paths, keys, reports, progress)
            # same bundle twice in one batch: keep one
            unique: dict[tuple[str, str], _Verified] = {}
            for item in verified:
                unique.setdefault((item.outer.bundle_id, item.inner.manifest_sha256), item)
            for item in verified:
                assert item.report is not None
                if unique[(item.outer.bundle_id, item.inner.manifest_sha256)] is not item:
                    item.report.outcome = "duplicate"
                    item.report.reason = _("The same bundle appears twice in this import.")
            ordered = sorted(unique.values(), key=lambda v: (v.outer.station_id, v.outer.seq))
            applied: list[tuple[_Verified, BundleReport]] = []
            for item in ordered:
                report = item.report
                assert report is not None
                self._apply_one(session, item, report)
                if report.outcome == "new":
                    applied.append((item, report))
            self._recheck_audit(session, {item.outer.station_id for item, _r in applied})
            if applied and not dry_run:
                # Another connection copies the database as it was before this transaction
                # (a WAL snapshot), so a wrong import can be undone by a restore.
                backup.automatic_backup(self.db.path, "before-import")
            session.flush()
            progress(total - 1, total, _("Issuing receipts…"))
            for item, report in applied:
                self._issue_receipt(session, own, item, report, keys, returned)
            for report in reports:
                if report.outcome == "duplicate" and report.bundle_id:
                    stored = session.execute(
                        select(InboxBundle).where(
                            InboxBundle.bundle_id == report.bundle_id,
                            InboxBundle.status == "applied",
                        )
                    ).scalar_one_or_none()
                    if stored is not None and stored.receipt:
                        report.summary = json.loads(stored.summary)
            if dry_run:
                raise _DryRun  # leaves the transaction by rolling every step back

    def _verify_all(
        self,
        session: Session,
        paths: Sequence[Path],
        keys: station_keys.StationKeys,
        reports: list[BundleReport],
        progress: Progress,
    ) -> list[_Verified]:
        verified: list[_Verified] = []
        own_recipient = station_keys.age_key_id(keys.public.age_recipient)
        for number, path in enumerate(sorted(paths, key=lambda p: p.name)):
            progress(number, len(paths) + 1, _("Checking {name}…").format(name=path.name))
            report = BundleReport(path, "rejected")
            reports.append(report)
            try:
                data = _read_file(path)
                item = self._verify(session, path, data, [keys.age_identity], own_recipient)
            except UserFacingError as error:
                report.reason = str(error)
                continue
            report.station_id = item.outer.station_id
            report.station_name = str(item.inner.manifest["station_name"])
            report.seq = item.outer.seq
            report.bundle_id = item.outer.bundle_id
            counts = item.inner.manifest["counts"]
            report.records = counts.get("records", 0) if isinstance(counts, dict) else 0
            item.report = report
            verified.append(item)
        return verified

    def _apply_one(self, session: Session, item: _Verified, report: BundleReport) -> None:
        outer, inner = item.outer, item.inner
        same_id = (
            session.execute(select(InboxBundle).where(InboxBundle.bundle_id == outer.bundle_id))
            .scalars()
            .all()
        )
        same = [r for r in same_id if r.manifest_sha256 == inner.manifest_sha256]
        if any(r.status == "applied" for r in same):
            report.outcome = "duplicate"
            report.reason = _("Already imported; nothing changed.")
            return
        if any(r.status == province_chain.REJECTED for r in same):
            report.outcome = "rejected"
            report.reason = _("This bundle was refused when its station's fork was resolved.")
            return
        if same:  # this fork is already in quarantine
            report.outcome = "fork"
            report.reason = _("This bundle is already quarantined as a fork.")
            return
        reason = (
            _(
                "Station {code} sent two different bundles with the id {id}: the second was "
                "quarantined."
            ).format(code=outer.station_id, id=outer.bundle_id)
            if same_id
            else province_chain.fork_reason(session, self._candidate(item))
        )
        if reason is not None:
            report.outcome, report.reason = "fork", reason
            session.add(self._inbox_row(item, province_chain.FORK, {}))
            province_audit.record(
                session,
                self.author,
                province_audit.QUARANTINE,
                outer.bundle_id,
                {"station": outer.station_id, "seq": outer.seq, "reason": reason},
                self.now(),
            )
            return
        summary = change_rows.apply_changes(
            session,
            item.changes,
            outer.station_id,
            item.station.unit_id,
            str(inner.manifest["station_instance_id"]),
        )
        report.outcome = "new"
        report.summary = summary.as_dict()
        span = inner.audit_range
        if span is not None:
            stored = audit_service.store_ward_entries(
                session,
                item.station,
                outer.seq,
                str(inner.manifest["station_instance_id"]),
                outer.bundle_id,
                span,
                item.audit,
                self.now(),
            )
            report.summary["audit"] = {"from": span.from_id, "to": span.to_id, **stored.as_dict()}
        session.add(self._inbox_row(item, "applied", report.summary))
        from app.db import audit

        counts = {k: report.summary[k] for k in ("new", "updated", "duplicate", "conflict")}
        if span is not None:
            counts["audit"] = report.summary["audit"]
        audit.append(
            session,
            [
                (
                    self.author,
                    "import",
                    "sync_inbox",
                    outer.bundle_id,
                    {
                        "station": [None, outer.station_id],
                        "seq": [None, outer.seq],
                        "rows": [None, counts],
                    },
                )
            ],
            self.now(),
        )
        session.flush()

    def _audit_refusals(self, reports: Sequence[BundleReport]) -> None:
        """Refused files go on the record too, after the import (which they did not touch)."""
        refused = [r for r in reports if r.outcome == "rejected"]
        if not refused:
            return
        with self.db.write() as session:
            for report in refused:
                province_audit.record(
                    session,
                    self.author,
                    province_audit.REFUSE,
                    report.bundle_id or report.path.name,
                    {
                        "file": report.path.name,
                        "station": report.station_id,
                        "seq": report.seq,
                        "reason": report.reason,
                    },
                    self.now(),
                )

    def _candidate(self, item: _Verified) -> province_chain.Candidate:
        manifest = item.inner.manifest
        return province_chain.Candidate(
            station_id=item.outer.station_id,
            bundle_id=item.outer.bundle_id,
            seq=item.outer.seq,
            manifest_sha256=item.inner.manifest_sha256,
            prev_manifest_sha256=str(manifest["prev_manifest_sha256"]),
            void_seqs=frozenset(manifest["void_seqs"]),
            audit_span=item.inner.audit_range,
            audit_lines=item.audit,
        )

    def _recheck_audit(self, session: Session, station_ids: set[str]) -> None:
        """Check again the audit trails of the wards whose bundles were just applied."""
        for station in session.execute(
            select(SyncStation).where(SyncStation.station_id.in_(station_ids))
        ).scalars():
            audit_service.record_ward_check(session, station)

    def _inbox_row(self, item: _Verified, status: str, summary: dict[str, Any]) -> InboxBundle:
        manifest = item.inner.manifest
        return InboxBundle(
            bundle_id=item.outer.bundle_id,
            station_id=item.outer.station_id,
            seq=item.outer.seq,
            manifest_sha256=item.inner.manifest_sha256,
            prev_manifest_sha256=str(manifest["prev_manifest_sha256"]),
            instance_id=str(manifest["station_instance_id"]),
            to_counter=int(manifest["change_range"]["to_counter"]),
            void_seqs=json.dumps(sorted(set(manifest["void_seqs"]))),
            status=status,
            summary=json.dumps(summary, ensure_ascii=False),
            receipt="",
            received_at=self.now(),
            received_by=self.author,
        )

    def _issue_receipt(
        self,
        session: Session,
        own: profile.StationProfile,
        item: _Verified,
        report: BundleReport,
        keys: station_keys.StationKeys,
        returned: dict[str, str],
    ) -> None:
        comments = returned.get(item.outer.bundle_id, "")
        conflicts = report.summary.get("conflicts", [])
        if report.summary.get("conflict"):
            # rows that could not be applied: the ward must see them, not a plain "accepted"
            listed = "; ".join(conflicts[:10])
            comments = "\n".join(
                filter(
                    None,
                    [
                        comments,
                        _("{n} records could not be applied: {list}").format(
                            n=report.summary["conflict"], list=listed
                        ),
                    ],
                )
            )
        receipt = trust.Receipt(
            station_id=item.outer.station_id,
            bundle_id=item.outer.bundle_id,
            seq=item.outer.seq,
            manifest_sha256=item.inner.manifest_sha256,
            status="returned" if comments else "accepted",
            comments=comments,
            instance_id=str(item.inner.manifest["station_instance_id"]),
            applied_through=int(item.inner.manifest["change_range"]["to_counter"]),
            missing_seqs=tuple(missing_seqs(session, item.outer.station_id)),
            province_id=own.unit.code,
            issued_at=self.now(),
        )
        row = session.execute(
            select(InboxBundle).where(
                InboxBundle.bundle_id == item.outer.bundle_id,
                InboxBundle.manifest_sha256 == item.inner.manifest_sha256,
                InboxBundle.status == "applied",
            )
        ).scalar_one()
        row.receipt = trust.make_receipt(receipt, keys.signing).decode("ascii")

    def _write_receipt(self, report: BundleReport, receipts_dir: Path | None) -> Path | None:
        with self.db.read() as session:
            row = session.execute(
                select(InboxBundle).where(
                    InboxBundle.bundle_id == report.bundle_id, InboxBundle.status == "applied"
                )
            ).scalar_one_or_none()
            if row is None or not row.receipt:
                return None
            data = row.receipt.encode("ascii")
        folder = receipts_dir or report.path.parent
        path = folder / trust.receipt_name(report.station_id, report.seq, report.bundle_id)
        try:
            atomic_write_bytes(path, data)
        except (EnvironmentProblem, OSError) as error:
            # the import is committed whatever happens to the file: say so, and how to redo it
            report.receipt_problem = _(
                "The import was committed, but its receipt could not be written: {reason} "
                "Write it again with 'modelward bundle receipt {id} --out FOLDER'."
            ).format(reason=str(error).strip(), id=report.bundle_id)
            return None
        return path

    def write_receipt_again(self, bundle: str, out_dir: Path) -> Path:
        """Write the stored receipt of an imported bundle (its id, or its first 8 or more
        characters) to ``out_dir`` again: after a receipt could not be written, or was lost."""
        self.require(Permission.IMPORT_BUNDLES)
        self._station()
        text = bundle.strip().lower()
        with self.db.read() as session:
            rows = (
                session.execute(
                    select(InboxBundle).where(
                        InboxBundle.bundle_id.startswith(text),
                        InboxBundle.status == province_chain.APPLIED,
                    )
                )
                .scalars()
                .all()
                if len(text) >= 8
                else []
            )
            if len(rows) != 1 or not rows[0].receipt:
                raise UserFacingError(
                    _("No imported bundle has this id."),
                    hint=_(
                        "Give the bundle id printed by the import (at least its first 8 "
                        "characters)."
                    ),
                )
            row = rows[0]
            path = out_dir / trust.receipt_name(row.station_id, row.seq, row.bundle_id)
            data = row.receipt.encode("ascii")
        atomic_write_bytes(path, data)
        return path

    def return_for_correction(
        self, bundle_id: str, comments: str, keys: station_keys.StationKeys, out_dir: Path
    ) -> Path:
        """Re-issue an applied bundle's receipt as "returned for correction" with comments."""
        self.require(Permission.IMPORT_BUNDLES)
        self._station()
        if not comments.strip():
            raise UserFacingError(_("Write what the ward has to correct."))
        with self.db.write() as session:
            row = session.execute(
                select(InboxBundle).where(
                    InboxBundle.bundle_id == bundle_id, InboxBundle.status == "applied"
                )
            ).scalar_one_or_none()
            if row is None:
                raise UserFacingError(_("No imported bundle has this id."))
            old = trust.read_receipt(row.receipt.encode("ascii"), [keys.public.signing])
            receipt = replace(
                old, status="returned", comments=comments.strip(), issued_at=self.now()
            )
            row.receipt = trust.make_receipt(receipt, keys.signing).decode("ascii")
            path = out_dir / trust.receipt_name(row.station_id, row.seq, row.bundle_id)
            atomic_write_bytes(path, row.receipt.encode("ascii"))
        return path

    # -- overview -----------------------------------------------------------------------

    def overview(self) -> list[StationOverview]:
        with self.db.read() as session:
            result = []
            for entry in session.execute(
                select(SyncStation).order_by(SyncStation.station_id)
            ).scalars():
                unit = session.get(Unit, entry.unit_id)
                assert unit is not None
                rows = (
                    session.execute(
                        select(InboxBundle).where(InboxBundle.station_id == entry.station_id)
                    )
                    .scalars()
                    .all()
                )
                applied = [r for r in rows if r.status == "applied"]
                months = session.execute(
                    select(IndicatorValue.year, IndicatorValue.month)
                    .where(
                        IndicatorValue.owner_unit_id == unit.id,
                        IndicatorValue.deleted_at.is_(None),
                        IndicatorValue.value.is_not(None),
                    )
                    .distinct()
                    .order_by(IndicatorValue.year, IndicatorValue.month)
                ).all()
                result.append(
                    StationOverview(
                        station_id=entry.station_id,
                        name=unit.name,
                        status=entry.status,
                        last_seq=max((r.seq for r in applied), default=0),
                        last_received=max((r.received_at for r in applied), default=None),
                        months=tuple((y, m) for y, m in months),
                        missing_seqs=tuple(missing_seqs(session, entry.station_id)),
                        forks=sum(1 for r in rows if r.status == "fork"),
                        chain_breaks=tuple(chain_breaks(applied)),
                        records=record_count(session, unit.id),
                        audit_entries=entry.audit_entries,
                        audit_broken_at=entry.audit_broken_at,
                        audit_problem=entry.audit_problem,
                        cutoff=entry.last_trusted_seq if entry.status == "revoked" else None,
                        branches=tuple(province_chain.branches(session, entry.station_id)),
                    )
                )
            return result

    def locked_months(self, station_id: str) -> list[tuple[int, int]]:
        with self.db.read() as session:
            entry = session.execute(
                select(SyncStation).where(SyncStation.station_id == station_id)
            ).scalar_one()
            return [
                (y, m)
                for y, m in session.execute(
                    select(PeriodLock.year, PeriodLock.month).where(
                        PeriodLock.owner_unit_id == entry.unit_id,
                        PeriodLock.locked.is_(True),
                        PeriodLock.deleted_at.is_(None),
                    )
                )
            ]

    def inbox(self, station_id: str | None = None) -> list[InboxBundle]:
        with self.db.read() as session:
            query = select(InboxBundle).order_by(InboxBundle.received_at.desc())
            if station_id:
                query = query.where(InboxBundle.station_id == station_id)
            return list(session.execute(query).scalars())


def missing_seqs(session: Session, station_id: str) -> list[int]:
    """Sequence numbers of a station never received (and not declared void by the station)."""
    rows = session.execute(
        select(InboxBundle.seq, InboxBundle.void_seqs, InboxBundle.status).where(
            InboxBundle.station_id == station_id
        )
    ).all()
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


def record_count(session: Session, unit_id: int) -> int:
    """Live ward records held for a unit, recounted (never incremented on import)."""
    total = 0
    for model in RECORD_MODELS.values():
        total += session.execute(
            select(func.count())
            .select_from(model)
            .where(model.owner_unit_id == unit_id, model.deleted_at.is_(None))
        ).scalar_one()
    return total


def _read_file(path: Path) -> bytes:
    if path.name.endswith(".part") or path.name.startswith("."):
        raise fmt.BundleError(_("The file is an unfinished copy; it was skipped."))
    try:
        size = path.stat().st_size
        if size > fmt.MAX_BUNDLE:
            raise fmt.BundleError(_("The file is too large to be a bundle."))
        return path.read_bytes()
    except OSError as error:
        raise fmt.BundleError(
            _("The file {name} cannot be read: {reason}.").format(
                name=path.name, reason=error.strerror or error
            ),
            hint=_("Check that the USB stick is still plugged in, then try again."),
        ) from error


class _DryRun(Exception):
    """Raised inside the import transaction to roll a dry run back."""


# -- read-only drill-down into one ward ----------------------------------------------------


@dataclass(frozen=True)
class WardDetail:
    unit_id: int
    code: str
    name: str


def ward_detail(db: Database, station_id: str) -> WardDetail:
    with db.read() as session:
        entry = enrolled_station(session, station_id)
        unit = session.get(Unit, entry.unit_id)
        assert unit is not None
        return WardDetail(unit.id, unit.code, unit.name)


def ward_records(db: Database, unit_id: int, kind_code: str) -> list[dict[str, Any]]:
    """The live records of one kind a ward has sent, sorted by the kind's order."""
    from app.core.records import kind_by_code

    kind = kind_by_code(kind_code)
    model = RECORD_MODELS[kind_code]
    with db.read() as session:
        rows = session.execute(
            select(model)
            .where(model.owner_unit_id == unit_id, model.deleted_at.is_(None))
            .order_by(model.id)
        ).scalars()
        return [{spec.name: getattr(row, spec.name) for spec in kind.fields} for row in rows]


def ward_indicators(db: Database, unit_id: int, year: int) -> dict[str, dict[int, float | None]]:
    """Indicator code → month → value a ward reported for ``year``."""
    with db.read() as session:
        values: dict[str, dict[int, float | None]] = {}
        for code, month, value in session.execute(
            select(IndicatorValue.indicator_code, IndicatorValue.month, IndicatorValue.value)
            .where(
                IndicatorValue.owner_unit_id == unit_id,
                IndicatorValue.year == year,
                IndicatorValue.deleted_at.is_(None),
            )
            .order_by(IndicatorValue.indicator_code, IndicatorValue.month)
        ):
            values.setdefault(code, {})[month] = value
        return values


def ward_assessments(db: Database, unit_id: int) -> list[dict[str, Any]]:
    """Each assessment a ward sent: pack, year, and its findings by criterion."""
    from app.db.pack_models import Assessment, AssessmentItem

    with db.read() as session:
        result = []
        for assessment in session.execute(
            select(Assessment)
            .where(Assessment.owner_unit_id == unit_id, Assessment.deleted_at.is_(None))
            .order_by(Assessment.year.desc())
        ).scalars():
            items = session.execute(
                select(AssessmentItem)
                .where(
                    AssessmentItem.assessment_id == assessment.id,
                    AssessmentItem.deleted_at.is_(None),
                )
                .order_by(AssessmentItem.criterion_code)
            ).scalars()
            result.append(
                {
                    "pack_id": assessment.pack_id,
                    "pack_version": assessment.pack_version,
                    "year": assessment.year,
                    "items": [
                        (i.criterion_code, i.status, i.points, i.evidence or "") for i in items
                    ],
                }
            )
        return result


def ward_approvals(db: Database, station_id: str) -> list[approvals.ApprovalState]:
    """The chief's approvals a ward has sent, each checked against the ward's enrolled key and
    against the ward's data held here: approved, changed since approval, or altered."""
    with db.read() as session:
        entry = enrolled_station(session, station_id)
        return approvals.approval_states(session, entry.unit_id, [entry.signing_key])


def ward_audit_check(db: Database, station_id: str) -> audit_service.AuditCheck:
    """Check, now, the copy of a ward's audit trail that its bundles carried here: every
    entry's hash recomputed in order, the links and numbers, entries that arrived again with
    other content, and the head the ward last reported. The first break, or ok."""
    with db.read() as session:
        entry = enrolled_station(session, station_id)
        check, _held = audit_service.check_ward(session, entry)
        return check


def ward_audit_checks(db: Database) -> list[tuple[str, str, audit_service.AuditCheck]]:
    """Every enrolled ward's received audit trail checked now: (code, name, result)."""
    with db.read() as session:
        result = []
        for entry in session.execute(
            select(SyncStation).order_by(SyncStation.station_id)
        ).scalars():
            unit = session.get(Unit, entry.unit_id)
            check, _held = audit_service.check_ward(session, entry)
            result.append((entry.station_id, unit.name if unit else "", check))
        return result
