"""Applying a province receipt at the ward: it acknowledges one of the station's bundles and
moves the baselines the next export starts from (``app.core.services.sync.ward``)."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from app.core.domain.errors import UserFacingError
from app.core.services.sync.ward_trust import current_trust_list
from app.db import sync_repo
from app.db.sync_models import OutboxBundle
from app.db.sync_repo import ACKED_AUDIT, ACKED_COUNTER, ACKED_SEQ
from app.i18n import _
from app.sync import trust


def read_receipt(session: Session, data: bytes, station_code: str) -> trust.Receipt:
    """A receipt signed by a receipt key of the installed trust list, for this station."""
    doc = current_trust_list(session)
    if doc is None:
        raise UserFacingError(
            _("The province trust list has not been imported yet."),
            hint=_("Import the trust list the province sent, then the receipt."),
        )
    receipt = trust.read_receipt(data, list(doc.receipt_keys))
    if receipt.station_id != station_code:
        raise UserFacingError(
            _("This receipt is for station {code}, not for this station.").format(
                code=receipt.station_id
            )
        )
    return receipt


def receipted_entry(session: Session, receipt: trust.Receipt) -> OutboxBundle:
    """The outbox entry the receipt names: same bundle, sequence number and manifest hash."""
    entry = sync_repo.outbox_entry(session, receipt.bundle_id)
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
    return entry


def _receipt_state(receipt: trust.Receipt) -> str:
    return "returned" if receipt.status == "returned" else "acknowledged"


def already_applied(entry: OutboxBundle, receipt: trust.Receipt) -> bool:
    """A receipt not newer than the one already applied (a replay, or an older one)."""
    return entry.receipt_at is not None and (
        receipt.issued_at < entry.receipt_at
        or (
            receipt.issued_at == entry.receipt_at
            and (entry.state, entry.receipt_comments) == (_receipt_state(receipt), receipt.comments)
        )
    )


def record(entry: OutboxBundle, receipt: trust.Receipt) -> None:
    entry.state = _receipt_state(receipt)
    entry.receipt_at = receipt.issued_at  # the province's time, for ordering receipts
    entry.receipt_comments = receipt.comments
    entry.missing_seqs = json.dumps(list(receipt.missing_seqs))


def advance_baselines(
    session: Session, entry: OutboxBundle, receipt: trust.Receipt, instance_id: str
) -> int:
    """Move the acknowledged baselines forward to what ``entry`` carried; returns the
    acknowledged change counter."""
    # the entries a bundle carried are the same in any later state of this database
    # (the log is append-only), so the audit baseline moves whatever the instance
    if entry.audit_to is not None and entry.audit_to > sync_repo.meta_int(session, ACKED_AUDIT):
        sync_repo.set_meta(session, ACKED_AUDIT, str(entry.audit_to))
    acked = sync_repo.meta_int(session, ACKED_COUNTER)
    if receipt.instance_id == instance_id == entry.instance_id and entry.to_counter > acked:
        acked = entry.to_counter
        sync_repo.set_meta(session, ACKED_COUNTER, str(acked))
        sync_repo.set_meta(session, ACKED_SEQ, str(entry.seq))
        sync_repo.supersede_before(session, entry.seq)
    return acked
