"""Where the app keeps its data, logs and bundled resources."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from app import APP_AUTHOR, APP_NAME

DATA_DIR_ENV = "MODELWARD_DATA_DIR"
DB_FILE_NAME = "modelward.sqlite"


def _install_root() -> Path:
    """The folder holding ``app/``, ``migrations/``, ``resources/`` and ``translations/``."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root)
    return Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """The user data folder (``MODELWARD_DATA_DIR`` overrides the platform default)."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    import platformdirs  # on use: nothing on the way to the first window needs it

    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def default_db_path() -> Path:
    return data_dir() / DB_FILE_NAME


def backups_dir(db_path: Path) -> Path:
    """Backups live beside the database they copy."""
    return db_path.parent / "backups"


def keys_folder(db_path: Path) -> Path:
    """Where the keys of the station whose database is ``db_path`` are kept (and the sync
    high-water file beside them): the one definition of that folder."""
    return db_path.parent / "keys" / db_path.stem


def log_dir() -> Path:
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override) / "logs"
    import platformdirs

    return Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR, opinion=True))


def resources_dir() -> Path:
    return _install_root() / "resources"


def translations_dir() -> Path:
    return _install_root() / "translations"


def migrations_dir() -> Path:
    return _install_root() / "migrations"
