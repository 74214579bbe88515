"""The publisher's side: a TUF repository folder of criteria packs, built and signed with
python-tuf's Metadata API. This is what ``modelward pack init-repo`` and ``pack sign`` run at
the ministry or province; stations only ever verify (``tuf_client``).

Layout (consistent snapshots, so a stick can hold several releases side by side)::

    <repo>/metadata/1.root.json, 2.root.json, …   N.targets.json   N.snapshot.json
    <repo>/metadata/timestamp.json
    <repo>/targets/packs/<sha256>.<pack_id>.json

Keys are Ed25519 in PEM (PKCS#8), encrypted with a passphrase unless they are the clearly
marked development keys shipped for demos and tests.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import (
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

from app.core.domain.errors import UserFacingError
from app.core.domain.packs.loader import load_pack
from app.fileio import atomic_write_bytes
from app.i18n import _

TOP_ROLES = ("root", "targets", "snapshot", "timestamp")
PACK_DIR = "packs"
PRETTY = JSONSerializer(compact=False)


@dataclass(frozen=True)
class Expiry:
    """How long each role stays fresh: sized to how often a USB stick comes round."""

    root_days: int = 730
    targets_days: int = 180
    snapshot_days: int = 60
    timestamp_days: int = 60


def _in(days: int, now: datetime | None = None) -> datetime:
    return (now or datetime.now(UTC)).replace(microsecond=0) + timedelta(days=days)


# --- keys ------------------------------------------------------------------------------------


def key_file(keys_dir: Path, role: str, number: int = 1) -> Path:
    return keys_dir / (f"{role}-{number}.pem" if role == "root" else f"{role}.pem")


def generate_key(path: Path, passphrase: bytes | None) -> CryptoSigner:
    """Create an Ed25519 key at ``path`` (never overwriting one)."""
    if path.exists():
        raise UserFacingError(_("The key file {path} already exists.").format(path=path))
    private = Ed25519PrivateKey.generate()
    encryption = BestAvailableEncryption(passphrase) if passphrase else NoEncryption()
    pem = private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, encryption)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, pem)
    path.chmod(0o600)
    return CryptoSigner(private)


def load_signer(path: Path, passphrase: bytes | None) -> CryptoSigner:
    try:
        private = load_pem_private_key(path.read_bytes(), password=passphrase)
    except FileNotFoundError:
        raise UserFacingError(_("The key file {path} does not exist.").format(path=path)) from None
    except (ValueError, TypeError) as error:
        raise UserFacingError(
            _("The key file {path} cannot be opened: wrong passphrase or not a key.").format(
                path=path
            )
        ) from error
    if not isinstance(private, Ed25519PrivateKey):
        raise UserFacingError(_("The key file {path} is not an Ed25519 key.").format(path=path))
    return CryptoSigner(private)


# --- repository ------------------------------------------------------------------------------


class Repository:
    """A repository folder and the signers able to sign its roles."""

    def __init__(
        self, folder: Path, signers: dict[str, list[CryptoSigner]], expiry: Expiry = Expiry()
    ) -> None:
        self.folder = folder
        self.signers = signers
        self.expiry = expiry

    @property
    def metadata_dir(self) -> Path:
        return self.folder / "metadata"

    @property
    def targets_dir(self) -> Path:
        return self.folder / "targets"

    # reading -------------------------------------------------------------------------------

    def latest(self, role: str) -> Metadata:  # type: ignore[type-arg]
        if role == "timestamp":
            return Metadata.from_file(str(self.metadata_dir / "timestamp.json"))
        versions = [int(p.name.split(".")[0]) for p in self.metadata_dir.glob(f"*.{role}.json")]
        if not versions:
            raise UserFacingError(
                _("{folder} is not a pack repository (no {role} metadata).").format(
                    folder=self.folder, role=role
                )
            )
        return Metadata.from_file(str(self.metadata_dir / f"{max(versions)}.{role}.json"))

    # writing -------------------------------------------------------------------------------

    def _write(self, metadata: Metadata, role: str) -> None:  # type: ignore[type-arg]
        name = "timestamp.json" if role == "timestamp" else f"{metadata.signed.version}.{role}.json"
        atomic_write_bytes(self.metadata_dir / name, metadata.to_bytes(PRETTY))

    def _sign(self, metadata: Metadata, role: str) -> None:  # type: ignore[type-arg]
        metadata.signatures.clear()
        for signer in self.signers.get(role, []):
            metadata.sign(signer, append=True)

    def create(self, root_threshold: int) -> None:
        """Write version 1 of every top-level role, with no targets yet."""
        if (self.metadata_dir / "1.root.json").exists():
            raise UserFacingError(
                _("{folder} already holds a repository.").format(folder=self.folder)
            )
        self.metadata_dir.mkdir(parents=True, exist_ok=True)
        root = Metadata(Root(expires=_in(self.expiry.root_days), consistent_snapshot=True))
        for role in TOP_ROLES:
            for signer in self.signers[role]:
                root.signed.add_key(signer.public_key, role)
        root.signed.roles["root"].threshold = root_threshold
        self._sign(root, "root")
        self._write(root, "root")
        targets = Metadata(Targets(expires=_in(self.expiry.targets_days)))
        self._sign(targets, "targets")
        self._write(targets, "targets")
        self._publish_snapshot(targets.signed.version, snapshot_version=1)

    def _publish_snapshot(self, targets_version: int, snapshot_version: int | None = None) -> None:
        if snapshot_version is None:
            snapshot_version = self.latest("snapshot").signed.version + 1
        snapshot = Metadata(
            Snapshot(version=snapshot_version, expires=_in(self.expiry.snapshot_days))
        )
        snapshot.signed.meta["targets.json"] = MetaFile(version=targets_version)
        self._sign(snapshot, "snapshot")
        self._write(snapshot, "snapshot")
        timestamp_version = 1
        if (self.metadata_dir / "timestamp.json").exists():
            timestamp_version = self.latest("timestamp").signed.version + 1
        timestamp = Metadata(
            Timestamp(version=timestamp_version, expires=_in(self.expiry.timestamp_days))
        )
        timestamp.signed.snapshot_meta = MetaFile(version=snapshot_version)
        self._sign(timestamp, "timestamp")
        self._write(timestamp, "timestamp")

    def add_packs(self, pack_files: Iterable[Path]) -> list[str]:
        """Check, add (or replace) the packs as targets and publish a new release."""
        targets = self.latest("targets")
        added = []
        for path in pack_files:
            data = path.read_bytes()
            pack = load_pack(data)  # a publisher can never sign a broken pack
            target_path = f"{PACK_DIR}/{pack.pack_id}.json"
            digest = hashlib.sha256(data).hexdigest()
            stored = self.targets_dir / PACK_DIR / f"{digest}.{pack.pack_id}.json"
            stored.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(stored, data)
            targets.signed.targets[target_path] = TargetFile.from_data(
                target_path, data, ["sha256"]
            )
            added.append(target_path)
        targets.signed.version += 1
        targets.signed.expires = _in(self.expiry.targets_days)
        self._sign(targets, "targets")
        self._write(targets, "targets")
        self._publish_snapshot(targets.signed.version)
        return added

    def refresh_timestamp(self) -> int:
        """A new snapshot and timestamp with fresh expiry (keeps a stick's release usable)."""
        self._publish_snapshot(self.latest("targets").signed.version)
        return int(self.latest("timestamp").signed.version)

    def rotate_root(self, new_root_signers: Sequence[CryptoSigner], threshold: int) -> int:
        """Replace the root keys: the new root is signed by the old and the new keys."""
        root = self.latest("root")
        for key_id in list(root.signed.roles["root"].keyids):
            root.signed.revoke_key(key_id, "root")
        for signer in new_root_signers:
            root.signed.add_key(signer.public_key, "root")
        root.signed.roles["root"].threshold = threshold
        root.signed.version += 1
        root.signed.expires = _in(self.expiry.root_days)
        root.signatures.clear()
        for signer in (*self.signers["root"], *new_root_signers):
            root.sign(signer, append=True)
        self._write(root, "root")
        self.signers["root"] = list(new_root_signers)
        return int(root.signed.version)


def open_repository(
    folder: Path, keys_dir: Path, passphrase: bytes | None, expiry: Expiry = Expiry()
) -> Repository:
    """The repository at ``folder`` with every key found in ``keys_dir`` loaded."""
    signers: dict[str, list[CryptoSigner]] = {role: [] for role in TOP_ROLES}
    for path in sorted(keys_dir.glob("*.pem")):
        role = path.stem.split("-")[0]
        if role in signers:
            signers[role].append(load_signer(path, passphrase))
    return Repository(folder, signers, expiry)


def init_repository(
    folder: Path,
    keys_dir: Path,
    passphrase: bytes | None,
    root_keys: int = 3,
    root_threshold: int = 2,
    expiry: Expiry = Expiry(),
) -> Repository:
    """Generate keys (if missing) and write version 1 of a new, empty repository."""
    signers: dict[str, list[CryptoSigner]] = {}
    for role in TOP_ROLES:
        count = root_keys if role == "root" else 1
        signers[role] = [
            load_signer(key_file(keys_dir, role, n), passphrase)
            if key_file(keys_dir, role, n).exists()
            else generate_key(key_file(keys_dir, role, n), passphrase)
            for n in range(1, count + 1)
        ]
    repository = Repository(folder, signers, expiry)
    repository.create(root_threshold)
    return repository
