"""The ward's installed province trust list, and whether it lets this station export now."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.domain.errors import UserFacingError
from app.core.services import profile
from app.core.services.packs import latest_known_time
from app.db.models import AppMeta
from app.db.sync_models import TrustList
from app.i18n import _
from app.sync import keys as station_keys
from app.sync import trust

TRUST_ANCHOR = "sync_trust_anchor"


def current_trust_list(session: Session) -> trust.TrustListDoc | None:
    anchor = session.get(AppMeta, TRUST_ANCHOR)
    if anchor is None:
        return None
    row = session.execute(
        select(TrustList).order_by(TrustList.version.desc()).limit(1)
    ).scalar_one_or_none()
    if row is None:
        return None
    return trust.read_trust_list(row.content.encode("ascii"), anchor.value)


def trust_list_for_export(
    session: Session,
    station: profile.StationProfile,
    keys: station_keys.StationKeys,
    now: datetime,
) -> trust.TrustListDoc:
    """The installed trust list, if it is current and lists this station's key as active."""
    doc = current_trust_list(session)
    if doc is None:
        raise UserFacingError(
            _("The province trust list has not been imported yet."),
            hint=_("Import the trust list the province sent, then export again."),
        )
    reference = max(now, latest_known_time(session) or now)
    if doc.expires <= reference:
        raise UserFacingError(
            _("The province trust list expired on {date}.").format(
                date=doc.expires.astimezone().strftime("%d/%m/%Y")
            ),
            hint=_("Import the new trust list from the province, then export again."),
        )
    listed = doc.station(station.unit.code)
    if listed is not None and listed.status == "revoked":
        raise UserFacingError(
            _("The province has revoked this station's key."),
            hint=_("Create new keys and enroll them with the province again."),
        )
    if listed is None or listed.signing_key != keys.public.signing:
        raise UserFacingError(
            _("This station's key is not enrolled in the province trust list."),
            hint=_(
                "Send the enrollment request to the province and import the trust list "
                "it publishes afterwards."
            ),
        )
    return doc
