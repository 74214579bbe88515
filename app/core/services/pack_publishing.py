"""Publishing criteria packs from above (the Ministry or a province): creating the signed TUF
repository the stations update from, and signing a new release with packs added. The
repository format and its keys are ``app.sync.tuf_repo``; stations install packs through
``app.core.services.packs``."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from app.sync import tuf_repo


def create_repository(
    folder: Path, keys_dir: Path, passphrase: bytes | None, root_keys: int, threshold: int
) -> None:
    """A new repository in ``folder`` with its signing keys in ``keys_dir``."""
    tuf_repo.init_repository(folder, keys_dir, passphrase, root_keys, threshold)


def publish_packs(
    folder: Path, keys_dir: Path, passphrase: bytes | None, pack_files: Iterable[Path]
) -> list[str]:
    """Check the pack files, add them to the repository and sign a new release; the packs'
    names."""
    return tuf_repo.open_repository(folder, keys_dir, passphrase).add_packs(pack_files)
