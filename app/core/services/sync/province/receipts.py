"""Receipts the province writes again after an import: the stored receipt of an imported
bundle (when the file could not be written, or was lost), or the same receipt re-signed as
"returned for correction"."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from app.core.domain.access import Permission
from app.core.domain.errors import UserFacingError
from app.core.services.sync.province.trust import ProvinceTrust
from app.db import province_repo
from app.fileio import atomic_write_bytes
from app.i18n import _
from app.sync import keys as station_keys
from app.sync import trust


class ProvinceReceipts(ProvinceTrust):
    """The receipts half of ``ProvinceSync``."""

    def write_receipt_again(self, bundle: str, out_dir: Path) -> Path:
        """Write the stored receipt of an imported bundle (its id, or its first 8 or more
        characters) to ``out_dir`` again: after a receipt could not be written, or was lost."""
        self.require(Permission.IMPORT_BUNDLES)
        self._station()
        text = bundle.strip().lower()
        with self.db.read() as session:
            rows = province_repo.applied_bundles_starting(session, text) if len(text) >= 8 else []
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
            row = province_repo.applied_bundle(session, bundle_id)
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
