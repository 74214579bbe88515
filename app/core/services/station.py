"""Setting up a new station: its unit, then the default criteria packs shipped with the app."""

from __future__ import annotations

from datetime import UTC, datetime

from app.core.domain.access import Actor, Permission, require
from app.core.services import profile
from app.core.services.packs import install_bundled
from app.core.services.profile import ProfileInput, StationProfile
from app.core.services.station_service import default_author
from app.db.engine import Database


def _author(author: str | None, actor: Actor | None) -> str:
    if actor is not None:
        require(actor, Permission.SET_UP)  # the administrator sets a station up
        return author or actor.username
    return author or default_author()


def set_up_province_station(
    db: Database, province_code: str, author: str | None = None, *, actor: Actor | None = None
) -> StationProfile:
    """Set the station up as the provincial police, which receives the wards' bundles."""
    who = _author(author, actor)
    station = profile.set_up_province(db, province_code)
    install_bundled(db, datetime.now(UTC), who)
    return station


def set_up_station(
    db: Database, data: ProfileInput, author: str | None = None, *, actor: Actor | None = None
) -> StationProfile:
    """Create the unit, then install the bundled packs (verified like any other repository)."""
    who = _author(author, actor)
    station = profile.set_up(db, data)
    install_bundled(db, datetime.now(UTC), who)
    return station
