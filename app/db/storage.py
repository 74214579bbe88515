"""Where the database file lives: a local disk, a removable drive, or a network share.

SQLite's WAL mode needs shared memory that network file systems do not provide, and a USB
drive can be pulled out mid-write; so a database on a network share is refused and one on a
removable drive is opened with a warning (signing-sync.md, T60).
"""

from __future__ import annotations

import os
from pathlib import Path

LOCAL, REMOVABLE, NETWORK = "local", "removable", "network"

NETWORK_TYPES = {
    "nfs",
    "nfs4",
    "cifs",
    "smb3",
    "smbfs",
    "9p",
    "afs",
    "ceph",
    "glusterfs",
    "davfs",
    "ncpfs",
    "fuse.sshfs",
    "fuse.davfs2",
    "fuse.rclone",
    "fuse.gvfsd-fuse",
}
REMOVABLE_TYPES = {"vfat", "msdos", "exfat", "fuseblk", "iso9660", "udf"}


def _unescape(field: str) -> str:
    # /proc/mounts escapes space, tab, newline and backslash as octal
    return (field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n")).replace(
        "\\134", "\\"
    )


def classify_mount(path: Path, mounts: str) -> tuple[str, str]:
    """(kind, file system type) of the mount holding ``path``, from /proc/mounts text."""
    target = str(path)
    best, best_type, best_device = "", "", ""
    for line in mounts.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        device, point, fstype = _unescape(parts[0]), _unescape(parts[1]), parts[2]
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, best_type, best_device = point, fstype, device
    if best_type in NETWORK_TYPES or best_device.startswith("//"):
        return NETWORK, best_type
    if best_type in REMOVABLE_TYPES or _removable_block_device(best_device):
        return REMOVABLE, best_type
    return LOCAL, best_type


def _removable_block_device(device: str) -> bool:
    if not device.startswith("/dev/"):
        return False
    name = Path(device).name.rstrip("0123456789")
    if name.startswith("nvme") or name.startswith("mmcblk"):
        name = name.rstrip("p")
    flag = Path("/sys/block") / name / "removable"
    try:
        return flag.read_text().strip() == "1"
    except OSError:
        return False


def classify(path: Path) -> tuple[str, str]:
    """Where the folder of ``path`` is: LOCAL, REMOVABLE or NETWORK, and the file system."""
    folder = path.resolve().parent
    if os.name == "nt":  # pragma: no cover - exercised on the Windows build only
        import ctypes

        root = f"{folder.drive}\\"
        if root.startswith("\\\\"):
            return NETWORK, "smb"
        kind = ctypes.windll.kernel32.GetDriveTypeW(root)  # type: ignore[attr-defined]
        return {2: REMOVABLE, 4: NETWORK}.get(kind, LOCAL), ""
    try:
        mounts = Path("/proc/mounts").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return LOCAL, ""
    return classify_mount(folder, mounts)
