"""The province side of sync: importing bundles and issuing receipts. ``ProvinceSync`` also
carries the trust decisions (``province_trust``), the receipts written again
(``province_receipts``) and the overview (``province_overview``).

Every bundle is verified completely (signature, hashes, decryption, manifest, every change
row and audit entry) before the database is touched; the good ones are then applied in one
transaction, unless their chain says they belong to a fork (``province_chain``): those are
quarantined. A rejected bundle leaves the records exactly as they were (the refusal itself is
audited). The wards' audit entries are kept per station and their hash chain is checked here
too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app.core.domain.access import Actor, Permission
from app.core.domain.errors import EnvironmentProblem, UserFacingError
from app.core.services import audit as audit_service
from app.core.services import backup_steps as backup
from app.core.services import profile
from app.core.services.station_service import acting
from app.core.services.sync import rows as change_rows
from app.core.services.sync.province import audit as province_audit
from app.core.services.sync.province import chain as province_chain
from app.core.services.sync.province.bundles import BundleReport as BundleReport
from app.core.services.sync.province.bundles import Progress, Verified, no_progress, read_file
from app.core.services.sync.province.chain import chain_breaks as chain_breaks
from app.core.services.sync.province.chain import missing_seqs
from app.core.services.sync.province.drilldown import WardDetail as WardDetail
from app.core.services.sync.province.drilldown import ward_approvals as ward_approvals
from app.core.services.sync.province.drilldown import ward_assessments as ward_assessments
from app.core.services.sync.province.drilldown import ward_audit_check as ward_audit_check
from app.core.services.sync.province.drilldown import ward_audit_checks as ward_audit_checks
from app.core.services.sync.province.drilldown import ward_detail as ward_detail
from app.core.services.sync.province.drilldown import ward_indicators as ward_indicators
from app.core.services.sync.province.drilldown import ward_records as ward_records
from app.core.services.sync.province.forks import ProvinceForks
from app.core.services.sync.province.overview import StationOverview as StationOverview
from app.core.services.sync.province.overview import station_overviews
from app.core.services.sync.province.receipts import ProvinceReceipts
from app.db import bundle_archive, province_repo
from app.db.engine import Database
from app.db.sync_models import InboxBundle, SyncStation
from app.fileio import atomic_write_bytes
from app.i18n import _
from app.sync import bundle as fmt
from app.sync import keys as station_keys
from app.sync import trust
from app.sync.envelope import public_from_hex
from app.sync.manifest import Manifest


class ProvinceSync(ProvinceReceipts, ProvinceForks):
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
            entry = province_repo.find_station(session, station_id)
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
    ) -> Verified:
        outer, inner, entry = self._open_bundle(session, data, identities, own_recipient_id)
        if province_repo.manifest_received(session, outer.bundle_id, inner.manifest_sha256):
            # the same signed manifest (and so the same records) was imported before
            return Verified(path, outer, inner, [], entry, data=data)
        return _with_contents(Verified(path, outer, inner, [], entry, data=data))

    def verify_archived(
        self, session: Session, path: Path, data: bytes, keys: station_keys.StationKeys
    ) -> Verified:
        """Verify an archived bundle again completely, as an import would (its records
        parsed even though it was received before), to apply it again."""
        own_recipient = station_keys.age_key_id(keys.public.age_recipient)
        outer, inner, entry = self._open_bundle(session, data, [keys.age_identity], own_recipient)
        return _with_contents(Verified(path, outer, inner, [], entry, data=data))

    def _open_bundle(
        self, session: Session, data: bytes, identities: Sequence[Any], own_recipient_id: str
    ) -> tuple[fmt.Outer, fmt.Inner, SyncStation]:
        """Signature, revocation, recipient, decryption and manifest of a bundle file."""
        outer, _header = fmt.read_outer(data, self._keys_for(session))
        entry = province_repo.known_station(session, outer.station_id)
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
        own = profile.load(self.db)
        fmt.check_demo(inner, outer.station_id, outer.seq, own.is_demo)
        _check_manifest(inner.parsed, own.unit.code)
        return outer, inner, entry

    def import_bundles(
        self,
        paths: Sequence[Path],
        keys: station_keys.StationKeys,
        *,
        dry_run: bool = False,
        receipts_dir: Path | None = None,
        returned: dict[str, str] | None = None,
        progress: Progress = no_progress,
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
            unique: dict[tuple[str, str], Verified] = {}
            for item in verified:
                unique.setdefault((item.outer.bundle_id, item.inner.manifest_sha256), item)
            for item in verified:
                assert item.report is not None
                if unique[(item.outer.bundle_id, item.inner.manifest_sha256)] is not item:
                    item.report.outcome = "duplicate"
                    item.report.reason = _("The same bundle appears twice in this import.")
            ordered = sorted(unique.values(), key=lambda v: (v.outer.station_id, v.outer.seq))
            applied: list[tuple[Verified, BundleReport]] = []
            for item in ordered:
                report = item.report
                assert report is not None
                self._apply_one(session, item, report)
                self._archive(session, item, report)
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
                    stored = province_repo.applied_bundle(session, report.bundle_id)
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
    ) -> list[Verified]:
        verified: list[Verified] = []
        own_recipient = station_keys.age_key_id(keys.public.age_recipient)
        for number, path in enumerate(sorted(paths, key=lambda p: p.name)):
            progress(number, len(paths) + 1, _("Checking {name}…").format(name=path.name))
            report = BundleReport(path, "rejected")
            reports.append(report)
            try:
                data = read_file(path)
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

    def _apply_one(self, session: Session, item: Verified, report: BundleReport) -> None:
        if self._not_new(session, item, report):
            return
        self.apply_rows(session, item, report)
        session.add(self._inbox_row(item, "applied", report.summary))
        self._record_import(session, item, report)
        session.flush()

    def _archive(self, session: Session, item: Verified, report: BundleReport) -> None:
        """Keep the file as received (still encrypted), in the import's transaction: the
        bundles applied and quarantined, and a duplicate sent again (which may be one received
        before the archive existed), so a fork can later be resolved either way."""
        if report.outcome in ("new", "fork", "duplicate"):
            bundle_archive.keep(
                session,
                item.data,
                station_id=item.outer.station_id,
                seq=item.outer.seq,
                bundle_id=item.outer.bundle_id,
                manifest_sha256=item.inner.manifest_sha256,
                now=self.now(),
            )

    def apply_rows(self, session: Session, item: Verified, report: BundleReport) -> None:
        """Apply a verified bundle's change rows and keep its audit entries (the inbox row
        and the import's audit entry are the caller's)."""
        outer, inner = item.outer, item.inner
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

    def _record_import(self, session: Session, item: Verified, report: BundleReport) -> None:
        """The import entry of the province's audit trail (what the bundle did)."""
        outer, span = item.outer, item.inner.audit_range
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

    def _not_new(self, session: Session, item: Verified, report: BundleReport) -> bool:
        """Whether ``item`` is a duplicate, a refused or quarantined bundle, or a fork (then
        quarantined here, on the record); ``report`` says which."""
        outer, inner = item.outer, item.inner
        same_id = province_repo.bundles_with_id(session, outer.bundle_id)
        same = [r for r in same_id if r.manifest_sha256 == inner.manifest_sha256]
        if any(r.status == "applied" for r in same):
            report.outcome = "duplicate"
            report.reason = _("Already imported; nothing changed.")
            return True
        if any(r.status == province_chain.REJECTED for r in same):
            report.outcome = "rejected"
            report.reason = _("This bundle was refused when its station's fork was resolved.")
            return True
        if same:  # this fork is already in quarantine
            report.outcome = "fork"
            report.reason = _("This bundle is already quarantined as a fork.")
            return True
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
            return True
        return False

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

    def _candidate(self, item: Verified) -> province_chain.Candidate:
        manifest = item.inner.manifest
        return province_chain.Candidate(
            station_id=item.outer.station_id,
            bundle_id=item.outer.bundle_id,
            seq=item.outer.seq,
            manifest_sha256=item.inner.manifest_sha256,
            prev_manifest_sha256=str(manifest["prev_manifest_sha256"]),
            void_seqs=frozenset(manifest["void_seqs"]),
            instance_id=str(manifest["station_instance_id"]),
            audit_span=item.inner.audit_range,
            audit_lines=item.audit,
        )

    def _recheck_audit(self, session: Session, station_ids: set[str]) -> None:
        """Check again the audit trails of the wards whose bundles were just applied."""
        for station in province_repo.stations_among(session, station_ids):
            audit_service.record_ward_check(session, station)

    def _inbox_row(self, item: Verified, status: str, summary: dict[str, Any]) -> InboxBundle:
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
        item: Verified,
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
        row = province_repo.applied_manifest(
            session, item.outer.bundle_id, item.inner.manifest_sha256
        )
        row.receipt = trust.make_receipt(receipt, keys.signing).decode("ascii")

    def _write_receipt(self, report: BundleReport, receipts_dir: Path | None) -> Path | None:
        with self.db.read() as session:
            row = province_repo.applied_bundle(session, report.bundle_id)
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

    # -- overview -----------------------------------------------------------------------

    def overview(self) -> list[StationOverview]:
        return station_overviews(self.db)


def _check_manifest(manifest: Manifest, province_code: str) -> None:
    """The form of every field was checked when the bundle was opened (app.sync.manifest)."""
    if manifest.province_id != province_code:
        raise fmt.BundleError(_("The bundle's manifest is not in the expected form."))


def _with_contents(item: Verified) -> Verified:
    """``item`` with its change rows and audit entries parsed and checked."""
    inner = item.inner
    try:
        item.changes = change_rows.parse_records(
            inner.records, inner.parsed.change_range.to_counter
        )
    except change_rows.ChangeError as error:
        raise fmt.BundleError(
            _("The bundle's records are not valid: {problem}").format(problem=error.message)
        ) from error
    span = inner.audit_range
    item.audit = fmt.parse_audit(inner.audit, span) if span is not None else []
    return item


class _DryRun(Exception):
    """Raised inside the import transaction to roll a dry run back."""
