"""A python-tuf fetcher that reads a repository folder (a USB stick) instead of the network.

Every path is confined to the repository folder: a URL that resolves outside it, through
``..``, an absolute path, an encoded separator in a role name or a symbolic link, is refused
as not found, so python-tuf treats it like a missing file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tuf.api.exceptions import DownloadHTTPError
from tuf.ngclient import FetcherInterface

SCHEME = "usb"
CHUNK = 64 * 1024


class UsbFetcher(FetcherInterface):
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.requested: list[str] = []

    def _resolve(self, url: str) -> Path | None:
        parts = urlsplit(url)
        if parts.scheme != SCHEME or parts.query or parts.fragment:
            return None
        area = parts.netloc
        if area not in ("metadata", "targets"):
            return None
        relative = parts.path.lstrip("/")
        names = relative.split("/")
        # A role name is percent-encoded by python-tuf; an encoded "/" must not become a
        # directory separator (GHSA-wjw6-2cqr-j4qr).
        decoded = [unquote(name) for name in names]
        if any(not name or name in (".", "..") or "/" in name or "\\" in name for name in decoded):
            return None
        candidate = self.root.joinpath(area, *decoded)
        try:
            resolved = candidate.resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        base = (self.root / area).resolve()
        if not resolved.is_relative_to(base) or not resolved.is_file():
            return None
        return resolved

    def _fetch(self, url: str) -> Iterator[bytes]:
        self.requested.append(url)
        path = self._resolve(url)
        if path is None:
            raise DownloadHTTPError(f"not found in the repository folder: {url}", 404)
        return self._chunks(path)

    @staticmethod
    def _chunks(path: Path) -> Iterator[bytes]:
        with path.open("rb") as stream:
            while chunk := stream.read(CHUNK):
                yield chunk
