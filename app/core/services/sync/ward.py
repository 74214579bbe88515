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

from sqlalchemy.orm import Session

from app import __version__
from app.core.domain.access import Actor, Permission, require
from app.core.domain.errors import EnvironmentProblem, UserFacingError
from app.core.services import backup_steps as backup
from app.core.services import profile
from app.core.services.packs import latest_known_time
from app.core.services.station_service import acting
from app.core.services.sync import ward_receipts
from app.core.services.sync.ward_trust import TRUST_ANCHOR as TRUST_ANCHOR
from app.core.services.sync.ward_trust import current_trust_list as current_trust_list
from app.core.services.sync.ward_trust import trust_list_for_export
from app.db import sync_repo
from app.db.engine import Database
from app.db.migrate import SCHEMA_HEAD
from app.db.models import AppMeta
from app.db.sync_models import OutboxBundle, TrustList
from app.db.sync_repo import ACKED_AUDIT as ACKED_AUDIT
from app.db.sync_repo import ACKED_COUNTER as ACKED_COUNTER
from app.db.sync_repo import ACKED_SEQ as ACKED_SEQ
from app.fileio import atomic_write_bytes
from app.i18n import N_, _
from app.sync import bundle as fmt
from app.sync import change_rows, trust
from app.sync import keys as station_keys
from app.sync.envelope import fingerprint
from app.sync.manifest import ChangeRange, Counts, Manifest

# what the officer sees for each state of an exported bundle
OUTBOX_STATES = {
    "exported": N_("exported, waiting for the receipt"),
    "acknowledged": N_("acknowledged by the province"),
    "returned": N_("returned for correction"),
    "superseded": N_("covered by a later bundle"),
    "failed": N_("export failed (nothing left the station)"),
}


Progress = Callable[[int, int, str], None]


def _no_progress(_done: int, _total: int, _label: str) -> None:
    return None


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


@dataclass(frozen=True)
class _Contents:
    """What one export carries, read in one transaction: the change rows since the last
    acknowledged bundle, the audit entries after the last acknowledged one, and where the
    chain of bundles stands."""

    acked: int  # the acknowledged change counter: the rows start after it
    acked_seq: int
    until: int  # the change counter when read: the rows end there
    prev_hash: str
    void: tuple[int, ...]
    tables: list[sync_repo.TableChanges]
    audit_range: fmt.AuditRange
    audit_body: bytes
    audit_count: int

    @property
    def records(self) -> int:
        return sum(len(changes.rows) for changes in self.tables)

    @property
    def tombstones(self) -> int:
        count = 0
        for changes in self.tables:
            if "deleted_at" in changes.names:
                at = 2 + changes.names.index("deleted_at")
                count += sum(1 for row in changes.rows if row[at])
        return count

    def by_table(self) -> dict[str, int]:
        return {changes.name: len(changes.rows) for changes in self.tables if changes.rows}

    def encoded(self) -> bytes:
        """The records section: every change row as NDJSON (``app.sync.change_rows``)."""
        return "".join(
            change_rows.encode_table(changes.name, changes.names, changes.rows)
            for changes in self.tables
        ).encode()


def _audit_section(session: Session) -> tuple[fmt.AuditRange, bytes, int]:
    """The audit entries not yet acknowledged by the province, and the chain head."""
    after = sync_repo.meta_int(session, ACKED_AUDIT)
    count, head, entries = sync_repo.audit_after(session, after)
    last = entries[-1][0] if entries else after
    span = fmt.AuditRange(after + 1, last, count, head)
    return span, fmt.encode_audit_rows(entries), len(entries)


def _prev_hash(session: Session) -> str:
    """The manifest hash the next bundle chains to: after a restore from backup, the chain goes
    on from the newest bundle known, which may be newer than any in this database."""
    last = sync_repo.last_bundle(session)
    if last is not None and last[0] > sync_repo.meta_int(session, backup.SEQ_FLOOR):
        return last[1]
    floor = sync_repo.meta_text(session, backup.PREV_MANIFEST_FLOOR)
    return floor if floor is not None else (last[1] if last else "")


def _read_contents(session: Session, unit_id: int) -> _Contents:
    acked = sync_repo.meta_int(session, ACKED_COUNTER)
    until = sync_repo.change_counter(session)
    audit_range, audit_body, audit_count = _audit_section(session)
    return _Contents(
        acked=acked,
        acked_seq=sync_repo.meta_int(session, ACKED_SEQ),
        until=until,
        prev_hash=_prev_hash(session),
        void=tuple(sync_repo.failed_seqs(session)),
        tables=sync_repo.read_change_tables(session, unit_id, acked, until),
        audit_range=audit_range,
        audit_body=audit_body,
        audit_count=audit_count,
    )


def _checked_folder(out_dir: Path) -> Path:
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise EnvironmentProblem(
            _("The folder {folder} does not exist or the USB stick was removed.").format(
                folder=out_dir
            ),
            hint=_("Plug the USB stick in again or choose another folder."),
        )
    return out_dir


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
            pinned = sync_repo.meta_text(session, TRUST_ANCHOR)
            anchor = pinned or _confirmed_signer(data, confirm_fingerprint)
            doc = trust.read_trust_list(data, anchor)
            if doc.province_id != station.province.code:
                raise UserFacingError(
                    _(
                        "The trust list is for province {code}, not for this station's province."
                    ).format(code=doc.province_id)
                )
            current = current_trust_list(session)
            changed = current is None or doc.version != current.version
            if changed:
                self._check_newer(session, doc, current)
                self._install_trust_list(session, doc, data, anchor, pin=pinned is None)
        return TrustImport(
            doc.version,
            changed,
            doc.province_name,
            len(doc.stations),
            doc.station(station.unit.code) is not None,
        )

    def _check_newer(
        self, session: Session, doc: trust.TrustListDoc, current: trust.TrustListDoc | None
    ) -> None:
        """A new list is newer than the installed one, and not expired (by the PC's clock or
        the newest time this database has seen, whichever is later)."""
        if current is not None and doc.version < current.version:
            raise UserFacingError(
                _(
                    "This trust list (version {new}) is older than the one installed "
                    "(version {old}); it was not installed."
                ).format(new=doc.version, old=current.version),
                hint=_("Ask the province for its latest trust list."),
            )
        reference = max(self.now(), latest_known_time(session) or self.now())
        if doc.expires <= reference:
            raise UserFacingError(
                _("This trust list expired on {date}; it was not installed.").format(
                    date=doc.expires.astimezone().strftime("%d/%m/%Y")
                ),
                hint=_("Ask the province for a current trust list."),
            )

    def _install_trust_list(
        self, session: Session, doc: trust.TrustListDoc, data: bytes, anchor: str, *, pin: bool
    ) -> None:
        if pin:
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
            contents = _read_contents(session, station.unit.id)
        progress(1, 4, _("Signing and encrypting…"))
        entry = self._reserve(station, contents)
        recipients = fmt.age_recipients([*doc.recipients, keys.public.age_recipient])
        own_id = station_keys.age_key_id(str(recipients[-1]))
        data, manifest_hash = fmt.seal(
            self._manifest(station, keys, doc, entry, contents, own_id),
            contents.encoded(),
            keys.signing,
            recipients,
            audit=(contents.audit_range, contents.audit_body),
        )
        progress(2, 4, _("Writing to the drive…"))
        path = _checked_folder(out_dir) / entry.file_name
        self._write(path, entry.bundle_id, data, manifest_hash, keys, progress)
        self._remember_high_water()
        progress(4, 4, _("Done"))
        return ExportResult(
            path,
            entry.seq,
            entry.bundle_id,
            contents.records,
            entry.tombstones,
            contents.acked + 1,
            contents.until,
            contents.audit_count,
            contents.audit_range.from_id,
            contents.audit_range.to_id,
        )

    def _reserve(self, station: profile.StationProfile, contents: _Contents) -> OutboxBundle:
        """The outbox entry of a new bundle, marked failed until the file is written and read
        back: the sequence number is taken before anything is written, and never given again."""
        bundle_id = str(uuid.uuid4())
        with self.db.write() as session:
            used = sync_repo.highest_seq(session)
            seq = max(used, sync_repo.meta_int(session, backup.SEQ_FLOOR)) + 1
            entry = OutboxBundle(
                bundle_id=bundle_id,
                seq=seq,
                instance_id=station.instance_id,
                from_counter=contents.acked + 1,
                to_counter=contents.until,
                manifest_sha256="",
                file_name=fmt.file_name(station.unit.code, seq, bundle_id),
                records=contents.records,
                tombstones=contents.tombstones,
                state="failed",
                exported_at=self.now(),
                exported_by=self.author,
                audit_to=contents.audit_range.to_id,
            )
            session.add(entry)
        return entry

    def _manifest(
        self,
        station: profile.StationProfile,
        keys: station_keys.StationKeys,
        doc: trust.TrustListDoc,
        entry: OutboxBundle,
        contents: _Contents,
        own_id: str,
    ) -> Manifest:
        """The signed manifest, ``own_id`` (the station's own age key) last of the recipients:
        the station can read its own bundles."""
        return Manifest(
            format_version=fmt.FORMAT_VERSION,
            bundle_id=entry.bundle_id,
            station_id=station.unit.code,
            station_name=station.unit.name,
            station_instance_id=station.instance_id,
            province_id=station.province.code,
            sender_key_id=keys.signing_id,
            recipient_key_ids=(*doc.recipient_ids, own_id),
            trust_list_version=doc.version,
            seq=entry.seq,
            prev_manifest_sha256=contents.prev_hash,
            void_seqs=contents.void,
            change_range=ChangeRange(station.instance_id, contents.acked + 1, contents.until),
            acked_seq=contents.acked_seq,
            acked_counter=contents.acked,
            schema_version=SCHEMA_HEAD,
            app_version=__version__,
            counts=Counts(contents.records, entry.tombstones, contents.by_table()),
            created_at=self.now().isoformat(),
            demo=station.is_demo,  # signed: a real province refuses invented records
        )

    def _write(
        self,
        path: Path,
        bundle_id: str,
        data: bytes,
        manifest_hash: str,
        keys: station_keys.StationKeys,
        progress: Progress,
    ) -> None:
        """Write the bundle, read it back, then mark it exported. The hash is kept before the
        file exists: if the app dies between writing the file and marking it exported, a
        receipt for this very file is still recognised (``import_receipt``)."""
        with self.db.write() as session:
            _outbox_entry(session, bundle_id).manifest_sha256 = manifest_hash
        # written through a temp file, fsync'd and renamed; _read_back then checks every byte
        atomic_write_bytes(path, data, verify=False)
        progress(3, 4, _("Checking the written file…"))
        self._read_back(path, keys, data)
        with self.db.write() as session:
            stored = _outbox_entry(session, bundle_id)
            stored.manifest_sha256 = manifest_hash
            stored.state = "exported"

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
            receipt = ward_receipts.read_receipt(session, data, station.unit.code)
            entry = ward_receipts.receipted_entry(session, receipt)
            acked = sync_repo.meta_int(session, ACKED_COUNTER)
            if ward_receipts.already_applied(entry, receipt):  # a replay changes nothing
                return ReceiptResult(
                    entry.seq, receipt.status, receipt.comments, False, acked, receipt.missing_seqs
                )
            ward_receipts.record(entry, receipt)
            acked = ward_receipts.advance_baselines(session, entry, receipt, station.instance_id)
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
                for r in sync_repo.outbox(session)
            ]

    def acked_counter(self) -> int:
        with self.db.read() as session:
            return sync_repo.meta_int(session, ACKED_COUNTER)

    def acked_audit(self) -> int:
        """The last audit entry the province acknowledged (the next bundle starts after it)."""
        with self.db.read() as session:
            return sync_repo.meta_int(session, ACKED_AUDIT)

    def pending_changes(self) -> int:
        """How many rows the next export would carry."""
        station = profile.load(self.db)
        with self.db.read() as session:
            acked = sync_repo.meta_int(session, ACKED_COUNTER)
            tables = sync_repo.read_change_tables(session, station.unit.id, acked)
            return sum(len(changes.rows) for changes in tables)


def _confirmed_signer(data: bytes, confirm_fingerprint: str | None) -> str:
    """The key that signed a first trust list, once the officer confirmed its fingerprint
    against the one the province gave on paper."""
    signer = trust.trust_list_signer(data)
    expected = fingerprint(trust.signing_key_id(signer))
    given = (confirm_fingerprint or "").upper().replace(" ", "")
    if given != expected.replace(" ", ""):
        raise UserFacingError(
            _(
                "The province key fingerprint was not confirmed. Its fingerprint is {fingerprint}."
            ).format(fingerprint=expected),
            hint=_(
                "Compare it with the fingerprint the province sent on paper and "
                "confirm it to trust this province key."
            ),
        )
    return signer


def _outbox_entry(session: Session, bundle_id: str) -> OutboxBundle:
    entry = sync_repo.outbox_entry(session, bundle_id)
    assert entry is not None  # reserved by this export
    return entry
