"""Moved to ``app.fileio`` (importable by ``app.db`` too); kept so that old imports work until
every importer says ``from app.fileio import ...``."""

from __future__ import annotations

from app.fileio import atomic_write, atomic_write_bytes, fsync_file, fsync_folder, fsync_handle

__all__ = ["atomic_write", "atomic_write_bytes", "fsync_file", "fsync_folder", "fsync_handle"]
