"""The province's trust decisions about its wards: enrolling a station, replacing its key,
revoking it by sequence cutoff and publishing the signed trust list (resolving a fork is
``province_forks``). Each decision is written to the province's own hash-chained audit trail
in the same transaction."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from app.core.domain.access import Permission
from app.core.domain.errors import UserFacingError
from app.core.services import profile
from app.core.services.sync.province import audit as province_audit
from app.core.services.sync.ward import KeyHolder
from app.db import province_repo
from app.db.engine import Database
from app.db.models import Unit
from app.db.sync_models import SyncStation, TrustList
from app.fileio import atomic_write_bytes
from app.i18n import _
from app.sync import keys as station_keys
from app.sync import trust

TRUST_LIST_DAYS = 180
ENROLLED = "enrolled"
SAME_KEY = "same_key"
KEY_REPLACED = "key_replaced"


@dataclass(frozen=True)
class EnrollResult:
    request: trust.Enrollment
    outcome: str  # ENROLLED | SAME_KEY | KEY_REPLACED
    status: str = "active"  # the station's status afterwards
    cutoff: int | None = None  # its revocation cutoff afterwards, when revoked


@dataclass(frozen=True)
class RevokeResult:
    station_id: str
    old_status: str
    old_cutoff: int | None
    cutoff: int
    reopened: tuple[int, int] | None = None  # first and last seq acceptable again


@dataclass(frozen=True)
class ForkResolution:
    station_id: str
    kept_seqs: tuple[int, ...]  # the bundles kept from the first fork number on
    rejected_seqs: tuple[int, ...]
    cutoff: int  # the shared key is revoked after this bundle
    # the quarantined branch was accepted: the bundles it replaced were taken out
    accepted_quarantined: bool = False


def enrolled_station(session: Session, station_id: str) -> SyncStation:
    entry = province_repo.find_station(session, station_id)
    if entry is None:
        raise UserFacingError(_("Station {code} is not enrolled.").format(code=station_id))
    return entry


class ProvinceTrust(KeyHolder):
    """The trust half of ``ProvinceSync`` (which sets these attributes)."""

    db: Database
    now: Callable[[], datetime]
    author: str

    def _station(self) -> profile.StationProfile:
        station = profile.load(self.db)
        if not profile.is_province(station):
            raise UserFacingError(
                _("This station is a ward station; only the province imports bundles.")
            )
        return station

    def _audit(
        self, session: Session, action: str, subject: str, details: dict[str, object]
    ) -> None:
        province_audit.record(session, self.author, action, subject, details, self.now())

    # -- enrollment ---------------------------------------------------------------------

    def read_enrollment(self, data: bytes) -> trust.Enrollment:
        return trust.read_enrollment(data)

    def enroll(self, data: bytes, *, replace_key: bool = False) -> EnrollResult:
        """Enroll a ward station from its request (after its fingerprint was confirmed)."""
        self.require(Permission.MANAGE_KEYS)
        own = self._station()
        request = trust.read_enrollment(data)
        if request.province_id != own.unit.code:
            raise UserFacingError(
                _("The request is from a station of province {code}, not of this province.").format(
                    code=request.province_id
                )
            )
        trust.check_enrollment_demo(request, own.is_demo)
        with self.db.write() as session:
            existing = province_repo.find_station(session, request.station_id)
            if existing is not None:
                return self._enroll_again(session, existing, request, replace_key)
            unit = self._ward_unit(session, own, request)
            session.add(
                SyncStation(
                    station_id=request.station_id,
                    unit_id=unit.id,
                    signing_key=request.keys.signing,
                    key_id=request.keys.signing_id,
                    age_recipient=request.keys.age_recipient,
                    status="active",
                    last_trusted_seq=None,
                    reason="",
                    enrolled_at=self.now(),
                    enrolled_by=self.author,
                )
            )
            self._audit(
                session,
                province_audit.ENROLL,
                request.station_id,
                {"name": request.station_name, "key": request.keys.signing_id},
            )
        return EnrollResult(request, ENROLLED)

    def _enroll_again(
        self,
        session: Session,
        existing: SyncStation,
        request: trust.Enrollment,
        replace_key: bool,
    ) -> EnrollResult:
        if existing.signing_key == request.keys.signing:
            # nothing changes, and a revoked station stays revoked: only a new key re-opens it
            return EnrollResult(request, SAME_KEY, existing.status, existing.last_trusted_seq)
        if not replace_key:
            raise UserFacingError(
                _("Station {code} is already enrolled with another key.").format(
                    code=request.station_id
                ),
                hint=_(
                    "If the station really has a new key (new PC, lost key), confirm "
                    "its fingerprint on paper and enroll it again, replacing the key."
                ),
            )
        self._audit(
            session,
            province_audit.REPLACE_KEY,
            request.station_id,
            {
                "key": (existing.key_id, request.keys.signing_id),
                "status": (existing.status, "active"),
                "cutoff": (existing.last_trusted_seq, None),
            },
        )
        existing.signing_key = request.keys.signing
        existing.key_id = request.keys.signing_id
        existing.age_recipient = request.keys.age_recipient
        existing.status = "active"
        existing.last_trusted_seq = None
        existing.reason = ""
        return EnrollResult(request, KEY_REPLACED)

    def _ward_unit(
        self, session: Session, own: profile.StationProfile, request: trust.Enrollment
    ) -> Unit:
        unit = province_repo.other_unit_with_code(session, request.station_id, own.unit.id)
        if unit is not None:
            return unit
        now = self.now()
        unit = Unit(
            uuid=str(uuid.uuid4()),
            code=request.station_id,
            name=request.station_name,
            kind="ward_police",
            parent_id=own.unit.id,
            place_name="",
            valid_from=now.date(),
            created_at=now,
            updated_at=now,
        )
        session.add(unit)
        session.flush()
        return unit

    # -- revocation ---------------------------------------------------------------------

    def revoke(
        self, station_id: str, last_trusted_seq: int, reason: str, *, reopen: bool = False
    ) -> RevokeResult:
        """Revoke a station's key: its bundles after ``last_trusted_seq`` are refused.

        The cutoff is a sequence number, not a time: times inside bundles are chosen by
        whoever holds the key. Raising the cutoff of a revoked station makes bundles it
        refused acceptable again, so it needs ``reopen``.
        """
        self.require(Permission.MANAGE_KEYS)
        if last_trusted_seq < 0:
            raise UserFacingError(_("The last trusted bundle number cannot be negative."))
        if not reason.strip():
            raise UserFacingError(_("Write why the key is revoked."))
        with self.db.write() as session:
            entry = enrolled_station(session, station_id)
            return self._revoke(session, entry, last_trusted_seq, reason.strip(), reopen)

    def _revoke(
        self, session: Session, entry: SyncStation, cutoff: int, reason: str, reopen: bool
    ) -> RevokeResult:
        old_status, old_cutoff = entry.status, entry.last_trusted_seq
        reopened = None
        if old_status == "revoked" and cutoff > (old_cutoff or 0):
            reopened = ((old_cutoff or 0) + 1, cutoff)
            if not reopen:
                raise UserFacingError(
                    _(
                        "Station {code} is revoked after bundle {old}. Moving the cutoff to "
                        "{new} would make its bundles {first} to {last} acceptable again; "
                        "nothing was changed."
                    ).format(
                        code=entry.station_id,
                        old=old_cutoff or 0,
                        new=cutoff,
                        first=reopened[0],
                        last=reopened[1],
                    ),
                    hint=_(
                        "If those bundles are really from the station, run the command again "
                        "with --reopen."
                    ),
                )
        entry.status = "revoked"
        entry.last_trusted_seq = cutoff
        entry.reason = reason
        details: dict[str, object] = {
            "status": (old_status, "revoked"),
            "cutoff": (old_cutoff, cutoff),
            "reason": reason,
        }
        if reopened is not None:
            details["reopened"] = list(reopened)
        self._audit(session, province_audit.REVOKE, entry.station_id, details)
        return RevokeResult(entry.station_id, old_status, old_cutoff, cutoff, reopened)

    # -- trust list ---------------------------------------------------------------------

    def publish_trust_list(self, keys: station_keys.StationKeys, out: Path) -> int:
        """Sign the current list of enrolled stations with a new version; return it."""
        self.require(Permission.MANAGE_KEYS)
        own = self._station()
        with self.db.write() as session:
            version = province_repo.latest_trust_list_version(session, own.unit.code) + 1
            stations = _trusted_stations(session)
            now = self.now()
            doc = trust.TrustListDoc(
                province_id=own.unit.code,
                province_name=own.unit.name,
                version=version,
                issued_at=now,
                expires=now + timedelta(days=TRUST_LIST_DAYS),
                signer_key=keys.public.signing,
                stations=stations,
                recipients=(keys.public.age_recipient,),
                receipt_keys=(keys.public.signing,),
            )
            data = trust.make_trust_list(doc, keys.signing)
            session.add(
                TrustList(
                    province_code=own.unit.code,
                    version=version,
                    signer_key=keys.public.signing,
                    content=data.decode("ascii"),
                    expires=doc.expires,
                    recorded_at=now,
                    recorded_by=self.author,
                )
            )
            self._audit(
                session,
                province_audit.PUBLISH,
                str(version),
                {
                    "stations": len(stations),
                    "revoked": [s.station_id for s in stations if s.status == "revoked"],
                    "file": out.name,
                },
            )
            session.flush()
            atomic_write_bytes(out, data)  # inside the transaction: no file, no new version
        return version


def _trusted_stations(session: Session) -> tuple[trust.TrustedStation, ...]:
    return tuple(
        trust.TrustedStation(
            s.station_id,
            session.get(Unit, s.unit_id).name,  # type: ignore[union-attr]
            s.signing_key,
            s.age_recipient,
            s.status,
            s.last_trusted_seq,
        )
        for s in province_repo.stations_in_order(session)
    )
