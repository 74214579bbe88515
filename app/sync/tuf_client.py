"""Verify a criteria-pack repository folder (a USB stick) with python-tuf before any pack in
it is used.

python-tuf runs the whole TUF client workflow: threshold-signed root with rotation,
timestamp → snapshot → targets with version rollback checks, mix-and-match protection,
expiry, length and hash of every file. Around it:

* the trusted metadata comes from, and goes back to, the station database (the caller stores
  the ``VerifiedRepository`` in the same transaction as the install), never from a cache
  folder that a power cut could leave empty;
* expiry is checked a second time against ``max(system clock, latest known time)``, so a PC
  whose clock was wound back cannot revive expired metadata;
* every file read is capped in size.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tuf.api import exceptions
from tuf.api.metadata import Metadata, Targets
from tuf.ngclient import Updater, UpdaterConfig

from app.core.domain.errors import UserFacingError
from app.i18n import _
from app.paths import resources_dir
from app.sync.tuf_repo import PACK_DIR
from app.sync.usb_fetcher import SCHEME, UsbFetcher

MAX_PACK_BYTES = 2 * 1024 * 1024
CONFIG = UpdaterConfig(
    max_root_rotations=64,
    max_delegations=8,
    root_max_length=256 * 1024,
    timestamp_max_length=16 * 1024,
    snapshot_max_length=256 * 1024,
    targets_max_length=1024 * 1024,
)
ROLES = ("root", "timestamp", "snapshot", "targets")


def embedded_root() -> bytes:
    """The root of trust shipped with the app (see docs/criteria-pack.md to replace it)."""
    return (resources_dir() / "trust" / "root.json").read_bytes()


def is_development_root(root: bytes) -> bool:
    return root == (resources_dir() / "trust" / "dev-root.json").read_bytes()


@dataclass(frozen=True)
class VerifiedRepository:
    """What a repository folder holds, every byte verified."""

    packs: dict[str, bytes]
    metadata: dict[str, bytes]
    versions: dict[str, int]
    expires: dict[str, datetime]


class TrustError(UserFacingError):
    """The repository folder failed verification; nothing from it may be used."""


def _trust_error(error: Exception) -> TrustError:
    hint = _("Nothing was installed. Ask the province police for a new copy of the packs.")
    if isinstance(error, exceptions.ExpiredMetadataError):
        return TrustError(
            _("The packs on this drive are out of date (their signature has expired)."), hint=hint
        )
    if isinstance(error, exceptions.BadVersionNumberError):
        return TrustError(
            _(
                "The packs on this drive are older than the ones already "
                "installed (rollback refused)."
            ),
            hint=hint,
        )
    if isinstance(error, exceptions.UnsignedMetadataError):
        return TrustError(
            _(
                "The packs on this drive are not signed by the ministry's keys, "
                "or not by enough of them."
            ),
            hint=hint,
        )
    if isinstance(
        error, exceptions.LengthOrHashMismatchError | exceptions.DownloadLengthMismatchError
    ):
        return TrustError(
            _("A file on this drive was changed or damaged after it was signed."), hint=hint
        )
    if isinstance(error, exceptions.DownloadError):
        return TrustError(
            _("This folder is not a complete pack repository: files are missing."),
            hint=_('Choose the folder that contains the "metadata" and "targets" folders.'),
        )
    return TrustError(
        _("The packs on this drive failed verification ({reason}).").format(
            reason=type(error).__name__
        ),
        hint=hint,
    )


def _check_fresh(role: str, data: bytes, reference: datetime) -> datetime:
    signed = Metadata.from_bytes(data).signed
    if signed.is_expired(reference):
        raise TrustError(
            _(
                "The packs on this drive are out of date: the {role} signature expired on {date}."
            ).format(role=role, date=signed.expires.strftime("%d/%m/%Y")),
            hint=_(
                "If the computer's clock is wrong, correct it. Otherwise ask the province "
                "police for a new copy of the packs."
            ),
        )
    return signed.expires


def verify_repository(
    folder: Path,
    trusted: Mapping[str, bytes],
    now: datetime,
    latest_known_time: datetime | None = None,
) -> VerifiedRepository:
    """Verify ``folder`` starting from the ``trusted`` metadata (role -> bytes; at least
    "root"); raise ``TrustError`` with a translated reason on any failure."""
    if not (folder / "metadata").is_dir():
        raise TrustError(
            _("{folder} is not a pack repository.").format(folder=folder),
            hint=_('Choose the folder that contains the "metadata" and "targets" folders.'),
        )
    reference = max(now, latest_known_time) if latest_known_time else now
    with tempfile.TemporaryDirectory(prefix="modelward-tuf-") as scratch:
        cache = Path(scratch)
        for role, data in trusted.items():
            (cache / f"{role}.json").write_bytes(data)
        try:
            updater = Updater(
                metadata_dir=str(cache),
                metadata_base_url=f"{SCHEME}://metadata/",
                target_base_url=f"{SCHEME}://targets/",
                target_dir=str(cache),
                fetcher=UsbFetcher(folder),
                config=CONFIG,
                bootstrap=trusted["root"],
            )
            updater.refresh()
            targets = Metadata[Targets].from_bytes((cache / "targets.json").read_bytes()).signed
            packs: dict[str, bytes] = {}
            for path, info in sorted(targets.targets.items()):
                if not path.startswith(f"{PACK_DIR}/") or (info.length or 0) > MAX_PACK_BYTES:
                    continue
                verified = updater.get_targetinfo(path)
                if verified is None:
                    continue
                local = updater.download_target(verified, str(cache / f"target-{len(packs)}"))
                packs[path] = Path(local).read_bytes()
        except (exceptions.RepositoryError, exceptions.DownloadError) as error:
            raise _trust_error(error) from error
        except ValueError as error:  # malformed JSON or metadata
            raise _trust_error(exceptions.RepositoryError(str(error))) from error
        except OSError as error:  # the fetcher reads lazily: a stick pulled out shows up here
            raise TrustError(
                _("The file {name} could not be read.").format(name=error.filename or folder),
                hint=_("Check that the USB stick is still plugged in, then try again."),
            ) from error
        metadata = {role: (cache / f"{role}.json").read_bytes() for role in ROLES}
    expires = {role: _check_fresh(role, data, reference) for role, data in metadata.items()}
    versions = {
        role: int(Metadata.from_bytes(data).signed.version) for role, data in metadata.items()
    }
    return VerifiedRepository(packs, metadata, versions, expires)
