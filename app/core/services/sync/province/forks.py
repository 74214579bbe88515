"""Resolving a ward's fork at the province: an explicit, audited decision to keep one history.

Keeping the applied history refuses every quarantined bundle of the station. Accepting the
quarantined branch instead takes out everything the station's bundles wrote here and applies
again, from the province's archive of received files, the bundles before the fork and the
accepted branch (``province_rebuild``); the bundles of the other history are refused. Either
way the key both copies share is revoked after the last bundle kept, so the station must
enroll a new key; all of it happens in one transaction, on the record.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.orm import Session

from app.core.domain.access import Permission
from app.core.domain.errors import UserFacingError
from app.core.services import backup_steps as backup
from app.core.services import profile
from app.core.services.sync.province import audit as province_audit
from app.core.services.sync.province import chain as province_chain
from app.core.services.sync.province import rebuild as province_rebuild
from app.core.services.sync.province.bundles import BundleReport, Verified
from app.core.services.sync.province.trust import ForkResolution, ProvinceTrust, enrolled_station
from app.db import province_repo
from app.db.sync_models import InboxBundle, SyncStation
from app.i18n import _
from app.sync import keys as station_keys


class ProvinceForks(ProvinceTrust):
    """The fork half of ``ProvinceSync``, which supplies the import's steps below."""

    def verify_archived(
        self, session: Session, path: Path, data: bytes, keys: station_keys.StationKeys
    ) -> Verified:
        raise NotImplementedError

    def apply_rows(self, session: Session, item: Verified, report: BundleReport) -> None:
        raise NotImplementedError

    def _issue_receipt(
        self,
        session: Session,
        own: profile.StationProfile,
        item: Verified,
        report: BundleReport,
        keys: station_keys.StationKeys,
        returned: dict[str, str],
    ) -> None:
        raise NotImplementedError

    def _recheck_audit(self, session: Session, station_ids: set[str]) -> None:
        raise NotImplementedError

    def accepts_quarantined(self, station_id: str, accept: str) -> bool:
        """Whether ``accept`` names a quarantined bundle (accepting it needs the keys)."""
        self.require(Permission.MANAGE_KEYS)
        with self.db.read() as session:
            target = _find_bundle(session, station_id, accept)
            return target.status == province_chain.FORK

    def resolve_fork(
        self, station_id: str, accept: str, keys: station_keys.StationKeys | None = None
    ) -> ForkResolution:
        """End a station's fork by keeping the history that ``accept`` (a bundle id, its first
        8 characters, or the number of an applied bundle) belongs to. Every bundle of the
        other history is refused for good, and the key both copies share is revoked after
        the last bundle kept, so the station must enroll a new key. Accepting a quarantined
        branch applies it from the archive and needs the province's ``keys``."""
        self.require(Permission.MANAGE_KEYS)
        own = self._station()
        with self.db.write() as session:
            entry = enrolled_station(session, station_id)
            open_branches = province_chain.branches(session, station_id)
            if not open_branches:
                raise UserFacingError(
                    _("Station {code} has no quarantined fork to resolve.").format(code=station_id)
                )
            target = _find_bundle(session, station_id, accept)
            if target.status == province_chain.APPLIED:
                return self._keep_applied(session, entry, open_branches)
            if target.status == province_chain.REJECTED:
                raise UserFacingError(_("This bundle was refused when the fork was resolved."))
            branch = next(b for b in open_branches if (target.seq, target.bundle_id) in _members(b))
            chosen = province_rebuild.plan(session, station_id, branch)
            province_rebuild.check_links(station_id, chosen)
            files = province_rebuild.archived_files(session, station_id, chosen)
            if keys is None:
                raise UserFacingError(
                    _("Accepting the quarantined bundles needs the province's keys."),
                    hint=_("Unlock the province's keys with their passphrase, then try again."),
                )
            return self._accept_branch(session, own, entry, chosen, files, keys)

    def _keep_applied(
        self, session: Session, entry: SyncStation, open_branches: list[province_chain.Branch]
    ) -> ForkResolution:
        rejected = [b for branch in open_branches for b in branch.bundles]
        for row in province_repo.station_bundles_in(session, entry.station_id, province_chain.FORK):
            row.status = province_chain.REJECTED
        applied = sorted(province_repo.applied_seqs(session, entry.station_id))
        first = min(branch.first_seq for branch in open_branches)
        kept = tuple(s for s in applied if s >= first)
        self._audit(
            session,
            province_audit.RESOLVE_FORK,
            entry.station_id,
            {
                "kept_seqs": list(kept),
                "rejected": [b.bundle_id for b in rejected],
                "rejected_seqs": [b.seq for b in rejected],
            },
        )
        cutoff = self._revoke_shared_key(session, entry, kept, max(applied, default=0))
        return ForkResolution(
            entry.station_id, kept, tuple(sorted(b.seq for b in rejected)), cutoff
        )

    def _accept_branch(
        self,
        session: Session,
        own: profile.StationProfile,
        entry: SyncStation,
        chosen: province_rebuild.Plan,
        files: list[bytes],
        keys: station_keys.StationKeys,
    ) -> ForkResolution:
        """Take out the station's rows, apply the prefix and the accepted branch from the
        archive, refuse the rest (see the module's text)."""
        items = []
        for row, data in zip(chosen.to_apply, files, strict=True):
            item = self.verify_archived(session, Path(f"{row.bundle_id}.mwb"), data, keys)
            if (item.outer.bundle_id, item.inner.manifest_sha256) != (
                row.bundle_id,
                row.manifest_sha256,
            ):
                raise UserFacingError(
                    _(
                        "The archived file of bundle {seq} is not that bundle; nothing was changed."
                    ).format(seq=row.seq)
                )
            items.append(item)
        province_rebuild.clear_station(session, entry)
        reports = []
        for row, item in zip(chosen.to_apply, items, strict=True):
            report = BundleReport(item.path, "new", "", row.station_id, "", row.seq, row.bundle_id)
            self.apply_rows(session, item, report)
            row.status = province_chain.APPLIED
            row.summary = json.dumps(report.summary, ensure_ascii=False)
            reports.append(report)
        for row in chosen.refused:
            row.status = province_chain.REJECTED
        session.flush()
        for row, item, report in zip(chosen.to_apply, items, reports, strict=True):
            if row in chosen.accepted:
                self._issue_receipt(session, own, item, report, keys, {})
        self._recheck_audit(session, {entry.station_id})
        kept = tuple(row.seq for row in chosen.accepted)
        refused = sorted(chosen.refused, key=lambda r: (r.seq, r.id))
        self._audit(
            session,
            province_audit.RESOLVE_FORK,
            entry.station_id,
            {
                "accepted": [row.bundle_id for row in chosen.accepted],
                "kept_seqs": list(kept),
                "applied_again_seqs": [row.seq for row in chosen.prefix],
                "rejected": [row.bundle_id for row in refused],
                "rejected_seqs": [row.seq for row in refused],
            },
        )
        cutoff = self._revoke_shared_key(session, entry, kept, max(kept))
        # a copy of the database as it was before, for a restore (as before an import)
        backup.automatic_backup(self.db.path, "before-import")
        return ForkResolution(
            entry.station_id, kept, tuple(r.seq for r in refused), cutoff, accepted_quarantined=True
        )

    def _revoke_shared_key(
        self, session: Session, entry: SyncStation, kept: tuple[int, ...], last: int
    ) -> int:
        cutoff = last
        if entry.status == "revoked" and entry.last_trusted_seq is not None:
            cutoff = min(entry.last_trusted_seq, last)
        reason = _(
            "Two copies of the station sent bundles (a fork); the history with bundles {seqs} "
            "was kept. The station must enroll a new key."
        ).format(seqs=", ".join(map(str, kept)) or "—")
        self._revoke(session, entry, cutoff, reason, reopen=False)
        return cutoff


def _members(branch: province_chain.Branch) -> set[tuple[int, str]]:
    return {(b.seq, b.bundle_id) for b in branch.bundles}


def _find_bundle(session: Session, station_id: str, accept: str) -> InboxBundle:
    """The inbox row ``accept`` names: a whole bundle id, its first 8 or more characters, or
    the number of an applied bundle."""
    text = accept.strip().lower()
    if text.isdigit():
        rows = province_repo.applied_bundles_numbered(session, station_id, int(text))
    elif len(text) >= 8:
        rows = province_repo.station_bundles_starting(session, station_id, text)
    else:
        rows = []
    if len(rows) != 1:
        raise UserFacingError(
            _("No bundle of station {code} is named {name}.").format(code=station_id, name=accept)
            if not rows
            else _("More than one bundle of station {code} starts with {name}.").format(
                code=station_id, name=accept
            ),
            hint=_(
                "Give the bundle id shown by 'modelward province overview' (at least its first "
                "8 characters), or the number of an applied bundle."
            ),
        )
    return rows[0]
