"""The ward side of sync: keys, the province trust list, exporting bundles, receipts, outbox.

Every export carries everything changed since the last *acknowledged* bundle, so a lost
stick costs nothing; only a province-signed receipt moves that baseline forward. The same
holds for the audit trail: each bundle carries the entries after the last one the province
acknowledged, so the province keeps (and checks) a copy of the ward's hash-chained log.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import __version__
from app.core import backup, profile
from app.core.errors import EnvironmentProblem, UserFacingError
from app.core.packs.service import latest_known_time
from app.core.station_service import acting
from app.core.ward_trust import TRUST_ANCHOR as TRUST_ANCHOR
from app.core.ward_trust import current_trust_list as current_trust_list
from app.core.ward_trust import trust_list_for_export
from app.db import audit
from app.db.engine import Database
from app.db.migrate import SCHEMA_HEAD
from app.db.models import AppMeta, ChangeCounter
from app.db.sync_models import OutboxBundle, TrustList
from app.fileio import atomic_write_bytes
from app.i18n import N_, _
from app.security.accounts import Actor, Permission, require
from app.sync import bundle as fmt
from app.sync import changes as change_rows
from app.sync import keys as station_keys
from app.sync import trust
from app.sync.envelope import fingerprint

# what the officer sees for each state of an exported bundle
OUTBOX_STATES = {
    "exported": N_("exported, waiting for the receipt"),
    "acknowledged": N_("acknowledged by the province"),
    "returned": N_("returned for correction"),
    "superseded": N_("covered by a later bundle"),
    "failed": N_("export failed (nothing left the station)"),
}

ACKED_COUNTER = "sync_acked_counter"
ACKED_SEQ = "sync_acked_seq"
ACKED_AUDIT = "sync_acked_audit"  # the last audit entry a province receipt acknowledged

Progress = Callable[[int, int, str], None]


def _no_progress(_done: int, _total: int, _label: str) -> None:
    return None


def _meta_int(session: Session, key: str) -> int:
    row = session.get(AppMeta, key)
    return int(row.value) if row else 0


def _set_meta(session: Session, key: str, value: str) -> None:
    row = session.get(AppMeta, key)
    if row is None:
        session.add(AppMeta(key=key, value=value))
    else:
        row.value = value


@dataclass(frozen=True)
class TrustImport:
    version: int
    changed: bool
    province_name: str
    stations: int
    own_listed: bool


@dataclass(frozen=True)
class ExportResult:
    path: Path
    seq: int
    bundle_id: str
    records: int
    tombstones: int
    from_counter: int
    to_counter: int
    audit_entries: int = 0  # audit entries carried: ids audit_from..audit_to
    audit_from: int = 0
    audit_to: int = 0


@dataclass(frozen=True)
class ReceiptResult:
    seq: int
    status: str
    comments: str
    changed: bool
    acked_through: int
    missing_seqs: tuple[int, ...]


@dataclass(frozen=True)
class OutboxRow:
    seq: int
    bundle_id: str
    exported_at: datetime
    file_name: str
    records: int
    tombstones: int
    state: str
    receipt_at: datetime | None
    comments: str
    missing_seqs: tuple[int, ...]


def _audit_section(session: Session) -> tuple[fmt.AuditRange, bytes, int]:
    """The audit entries not yet acknowledged by the province, and the chain head."""
    after = _meta_int(session, ACKED_AUDIT)
    count, head = audit._head(session)
    entry = audit.AuditEntry
    rows = session.execute(
        audit.chain_select(entry, entry.id).where(entry.id > after).order_by(entry.id)
    ).mappings()
    entries = [dict(row) for row in rows]
    last = entries[-1]["id"] if entries else after
    span = fmt.AuditRange(after + 1, last, count, head)
    return span, fmt.encode_audit(entries), len(entries)


class KeyHolder:
    """A station's own keys, kept in ``keys_folder`` next to its database."""

    keys_folder: Path
    actor: Actor

    def require(self, permission: Permission) -> None:
        require(self.actor, permission)

    def public_keys(self) -> station_keys.PublicKeys | None:
        if not station_keys.has_keys(self.keys_folder):
            return None
        return station_keys.load_public(self.keys_folder)

    def create_keys(self, passphrase: str) -> station_keys.PublicKeys:
        self.require(Permission.MANAGE_KEYS)
        return station_keys.create_keys(self.keys_folder, passphrase).public

    def unlock(self, passphrase: str) -> station_keys.StationKeys:
        return station_keys.unlock(self.keys_folder, passphrase)


class WardSync(KeyHolder):
    """Sync for a ward station. ``now`` is injectable so tests can move the clock."""

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

    # -- keys ---------------------------------------------------------------------------

    def enrollment_request(self, keys: station_keys.StationKeys) -> bytes:
        station = profile.load(self.db)
        return trust.make_enrollment(
            keys.signing,
            keys.public,
            {
                "station_id": station.unit.code,
                "station_name": station.unit.name,
                "province_id": station.province.code,
                "instance_id": station.instance_id,
            },
            self.now(),
            demo=station.is_demo,
        )

    # -- trust list ---------------------------------------------------------------------

    def trust_list(self) -> trust.TrustListDoc | None:
        with self.db.read() as session:
            return current_trust_list(session)

    def pinned_anchor(self) -> str | None:
        with self.db.read() as session:
            row = session.get(AppMeta, TRUST_ANCHOR)
            return row.value if row else None

    def import_trust_list(self, data: bytes, confirm_fingerprint: str | None = None) -> TrustImport:
        """Verify and install a province trust list.

        The first list pins the province key, and only after the officer confirmed its
        fingerprint against the one the province gave on paper (``confirm_fingerprint``).
        Later lists must be signed by the pinned key, carry a higher version (an equal one is
        a quiet no-op) and not be expired, even if the PC clock was set back.
        """
        self.require(Permission.MANAGE_KEYS)
        station = profile.load(self.db)
        with self.db.write() as session:
            anchor_row = session.get(AppMeta, TRUST_ANCHOR)
            if anchor_row is None:
                signer = trust.trust_list_signer(data)
                expected = fingerprint(trust.signing_key_id(signer))
                given = (confirm_fingerprint or "").upper().replace(" ", "")
                if given != expected.replace(" ", ""):
                    raise UserFacingError(
                        _(
                            "The province key fingerprint was not confirmed. Its fingerprint is "
                            "{fingerprint}."
                        ).format(fingerprint=expected),
                        hint=_(
                            "Compare it with the fingerprint the province sent on paper and "
                            "confirm it to trust this province key."
                        ),
                    )
                anchor = signer
            else:
                anchor = anchor_row.value
            doc = trust.read_trust_list(data, anchor)
            if doc.province_id != station.province.code:
                raise UserFacingError(
                    _(
                        "The trust list is for province {code}, not for this station's province."
                    ).format(code=doc.province_id)
                )
            reference = max(self.now(), latest_known_time(session) or self.now())
            current = current_trust_list(session)
            if current is not None and doc.version < current.version:
                raise UserFacingError(
                    _(
                        "This trust list (version {new}) is older than the one installed "
                        "(version {old}); it was not installed."
                    ).format(new=doc.version, old=current.version),
                    hint=_("Ask the province for its latest trust list."),
                )
            if current is not None and doc.version == current.version:
                return TrustImport(
                    doc.version,
                    False,
                    doc.province_name,
                    len(doc.stations),
                    doc.station(station.unit.code) is not None,
                )
            if doc.expires <= reference:
                raise UserFacingError(
                    _("This trust list expired on {date}; it was not installed.").format(
                        date=doc.expires.astimezone().strftime("%d/%m/%Y")
                    ),
                    hint=_("Ask the province for a current trust list."),
                )
            if anchor_row is None:
                session.add(AppMeta(key=TRUST_ANCHOR, value=anchor))
            session.add(
                TrustList(
                    province_code=doc.province_id,
                    version=doc.version,
                    signer_key=anchor,
                    content=data.decode("ascii"),
                    expires=doc.expires,
                    recorded_at=self.now(),
                    recorded_by=self.author,
                )
            )
        return TrustImport(
            doc.version,
            True,
            doc.province_name,
            len(doc.stations),
            doc.station(station.unit.code) is not None,
        )

    # -- export -------------------------------------------------------------------------

    def export(
        self,
        out_dir: Path,
        keys: station_keys.StationKeys,
        progress: Progress = _no_progress,
    ) -> ExportResult:
        """Write one bundle with every change since the last acknowledged one."""
        self.require(Permission.EXPORT_BUNDLES)
        station = profile.load(self.db)
        if keys.public != station_keys.load_public(self.keys_folder):
            raise UserFacingError(_("These keys are not this station's keys."))
        progress(0, 4, _("Reading the changes…"))
        with self.db.read() as session:
            doc = trust_list_for_export(session, station, keys, self.now())
            acked = _meta_int(session, ACKED_COUNTER)
            acked_seq = _meta_int(session, ACKED_SEQ)
            until = session.execute(
                select(ChangeCounter.value).where(ChangeCounter.id == 1)
            ).scalar_one()
            rows = change_rows.read_changes(session, station.unit.id, acked, until)
            last = session.execute(
                select(OutboxBundle.seq, OutboxBundle.manifest_sha256)
                .where(OutboxBundle.state != "failed")
                .order_by(OutboxBundle.seq.desc())
                .limit(1)
            ).one_or_none()
            # after a restore from backup, the chain goes on from the newest bundle known
            floor = _meta_int(session, backup.SEQ_FLOOR)
            if last is not None and last.seq > floor:
                prev_hash = last.manifest_sha256
            else:
                floor_row = session.get(AppMeta, backup.PREV_MANIFEST_FLOOR)
                prev_hash = floor_row.value if floor_row else (last.manifest_sha256 if last else "")
            void = [
                s
                for (s,) in session.execute(
                    select(OutboxBundle.seq).where(OutboxBundle.state == "failed")
                )
            ]
            audit_range, audit_body, audit_count = _audit_section(session)
        progress(1, 4, _("Signing and encrypting…"))
        bundle_id = str(uuid.uuid4())
        # the sequence number is taken before anything is written, and never given again
        with self.db.write() as session:
            used = session.execute(select(func.max(OutboxBundle.seq))).scalar() or 0
            seq = max(used, _meta_int(session, backup.SEQ_FLOOR)) + 1
            name = fmt.file_name(station.unit.code, seq, bundle_id)
            entry = OutboxBundle(
                bundle_id=bundle_id,
                seq=seq,
                instance_id=station.instance_id,
                from_counter=acked + 1,
                to_counter=until,
                manifest_sha256="",
                file_name=name,
                records=len(rows),
                tombstones=sum(1 for r in rows if r["op"] == "tombstone"),
                state="failed",  # until the file is written and read back
                exported_at=self.now(),
                exported_by=self.author,
                audit_to=audit_range.to_id,
            )
            session.add(entry)
        by_table: dict[str, int] = {}
        for row in rows:
            by_table[row["table"]] = by_table.get(row["table"], 0) + 1
        import pyrage

        recipients = [pyrage.x25519.Recipient.from_str(r) for r in doc.recipients]
        own = pyrage.x25519.Recipient.from_str(keys.public.age_recipient)
        manifest = {
            "format": "modelward.bundle",
            "format_version": fmt.FORMAT_VERSION,
            "bundle_id": bundle_id,
            "station_id": station.unit.code,
            "station_name": station.unit.name,
            "station_instance_id": station.instance_id,
            "province_id": station.province.code,
            "sender_key_id": keys.signing_id,
            "recipient_key_ids": [*doc.recipient_ids, station_keys.age_key_id(str(own))],
            "trust_list_version": doc.version,
            "seq": seq,
            "prev_manifest_sha256": prev_hash,
            "void_seqs": void,
            "change_range": {
                "instance_id": station.instance_id,
                "from_counter": acked + 1,
                "to_counter": until,
            },
            "acked_through": {"seq": acked_seq, "counter": acked},
            "schema_version": SCHEMA_HEAD,
            "app_version": __version__,
            "counts": {
                "records": len(rows),
                "tombstones": entry.tombstones,
                "by_table": by_table,
            },
            "created_at": self.now().isoformat(),
        }
        if station.is_demo:  # signed: a real province refuses invented records
            manifest[fmt.DEMO_FIELD] = True
        data, manifest_hash = fmt.seal(
            manifest,
            change_rows.encode(rows),
            keys.signing,
            [*recipients, own],
            audit=(audit_range, audit_body),
        )
        progress(2, 4, _("Writing to the drive…"))
        out_dir = Path(out_dir)
        if not out_dir.is_dir():
            raise EnvironmentProblem(
                _("The folder {folder} does not exist or the USB stick was removed.").format(
                    folder=out_dir
                ),
                hint=_("Plug the USB stick in again or choose another folder."),
            )
        path = out_dir / name
        # the hash is kept before the file exists: if the app dies between writing the file and
        # marking it exported, a receipt for this very file is still recognised (below)
        with self.db.write() as session:
            session.execute(
                select(OutboxBundle).where(OutboxBundle.bundle_id == bundle_id)
            ).scalar_one().manifest_sha256 = manifest_hash
        # written through a temp file, fsync'd and renamed; _read_back then checks every byte
        atomic_write_bytes(path, data, verify=False)
        progress(3, 4, _("Checking the written file…"))
        self._read_back(path, keys, data)
        with self.db.write() as session:
            stored = session.execute(
                select(OutboxBundle).where(OutboxBundle.bundle_id == bundle_id)
            ).scalar_one()
            stored.manifest_sha256 = manifest_hash
            stored.state = "exported"
        self._remember_high_water()
        progress(4, 4, _("Done"))
        return ExportResult(
            path,
            seq,
            bundle_id,
            len(rows),
            entry.tombstones,
            acked + 1,
            until,
            audit_count,
            audit_range.from_id,
            audit_range.to_id,
        )

    def _read_back(self, path: Path, keys: station_keys.StationKeys, written: bytes) -> None:
        """Read the file back from the drive: every byte as written, and its signed header
        and ciphertext hash verifying as the province will check them. (Decrypting adds
        nothing: the ciphertext is byte-identical to the one just made.)"""
        try:
            data = path.read_bytes()
            if data != written:
                raise fmt.BundleError(_("The bundle is incomplete: the file was cut short."))
            fmt.read_outer(data, lambda _station: [keys.signing.public_key()])
        except (OSError, fmt.BundleError) as error:
            raise EnvironmentProblem(
                _("The bundle written to {folder} could not be read back correctly.").format(
                    folder=path.parent
                ),
                hint=_("Nothing was lost: export again, or use another USB stick."),
            ) from error

    # -- receipts -----------------------------------------------------------------------

    def import_receipt(self, data: bytes) -> ReceiptResult:
        """Apply a province receipt: it acknowledges one of this station's bundles."""
        self.require(Permission.EXPORT_BUNDLES)
        station = profile.load(self.db)
        with self.db.write() as session:
            doc = current_trust_list(session)
            if doc is None:
                raise UserFacingError(
                    _("The province trust list has not been imported yet."),
                    hint=_("Import the trust list the province sent, then the receipt."),
                )
            receipt = trust.read_receipt(data, list(doc.receipt_keys))
            if receipt.station_id != station.unit.code:
                raise UserFacingError(
                    _("This receipt is for station {code}, not for this station.").format(
                        code=receipt.station_id
                    )
                )
            entry = session.execute(
                select(OutboxBundle).where(OutboxBundle.bundle_id == receipt.bundle_id)
            ).scalar_one_or_none()
            if (
                entry is None
                or entry.seq != receipt.seq
                or entry.manifest_sha256 != receipt.manifest_sha256
                or not entry.manifest_sha256
            ):
                raise UserFacingError(
                    _("This receipt does not match any bundle exported by this station."),
                    hint=_("Check that it is the receipt for this station's bundle."),
                )
            missing = json.dumps(list(receipt.missing_seqs))
            acked = _meta_int(session, ACKED_COUNTER)
            # a receipt not newer than the one already applied (a replay) changes nothing
            state = "returned" if receipt.status == "returned" else "acknowledged"
            if entry.receipt_at is not None and (
                receipt.issued_at < entry.receipt_at
                or (
                    receipt.issued_at == entry.receipt_at
                    and (entry.state, entry.receipt_comments) == (state, receipt.comments)
                )
            ):
                return ReceiptResult(
                    entry.seq, receipt.status, receipt.comments, False, acked, receipt.missing_seqs
                )
            entry.state = "returned" if receipt.status == "returned" else "acknowledged"
            entry.receipt_at = receipt.issued_at  # the province's time, for ordering receipts
            entry.receipt_comments = receipt.comments
            entry.missing_seqs = missing
            # the entries a bundle carried are the same in any later state of this database
            # (the log is append-only), so the audit baseline moves whatever the instance
            if entry.audit_to is not None and entry.audit_to > _meta_int(session, ACKED_AUDIT):
                _set_meta(session, ACKED_AUDIT, str(entry.audit_to))
            if (
                receipt.instance_id == station.instance_id == entry.instance_id
                and entry.to_counter > acked
            ):
                acked = entry.to_counter
                _set_meta(session, ACKED_COUNTER, str(acked))
                _set_meta(session, ACKED_SEQ, str(entry.seq))
                for older in session.execute(
                    select(OutboxBundle).where(
                        OutboxBundle.seq < entry.seq, OutboxBundle.state == "exported"
                    )
                ).scalars():
                    older.state = "superseded"
        self._remember_high_water()
        return ReceiptResult(
            entry.seq, receipt.status, receipt.comments, True, acked, receipt.missing_seqs
        )

    def _remember_high_water(self) -> None:
        """Keep the sync numbers outside the database too, so a restore never reuses them."""
        with contextlib.closing(backup.connect_read_only(self.db.path)) as raw:
            mark = backup.read_high_water(raw)
        backup.record_high_water(self.db.path, mark)

    # -- outbox -------------------------------------------------------------------------

    def outbox(self) -> list[OutboxRow]:
        with self.db.read() as session:
            rows = session.execute(select(OutboxBundle).order_by(OutboxBundle.seq.desc()))
            return [
                OutboxRow(
                    r.seq,
                    r.bundle_id,
                    r.exported_at,
                    r.file_name,
                    r.records,
                    r.tombstones,
                    r.state,
                    r.receipt_at,
                    r.receipt_comments,
                    tuple(json.loads(r.missing_seqs)),
                )
                for r in rows.scalars()
            ]

    def acked_counter(self) -> int:
        with self.db.read() as session:
            return _meta_int(session, ACKED_COUNTER)

    def acked_audit(self) -> int:
        """The last audit entry the province acknowledged (the next bundle starts after it)."""
        with self.db.read() as session:
            return _meta_int(session, ACKED_AUDIT)

    def pending_changes(self) -> int:
        """How many rows the next export would carry."""
        station = profile.load(self.db)
        with self.db.read() as session:
            acked = _meta_int(session, ACKED_COUNTER)
            return len(change_rows.read_changes(session, station.unit.id, acked))
