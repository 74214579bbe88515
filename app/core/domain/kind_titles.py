"""The record kinds' codes and names, in sidebar order: all the window frame needs of them.

Kept apart from ``app.core.domain.records`` (field lists, validation) so that drawing the first
window does not have to load the whole domain model.
"""

from __future__ import annotations

from app.i18n import N_

# code -> (title, singular), both English msgids translated when shown
KIND_TITLES: dict[str, tuple[str, str]] = {
    "sessions": (N_("Outreach sessions"), N_("outreach session")),
    "teams": (N_("Fire-safety teams"), N_("fire-safety team")),
    "fire_points": (N_("Public fire points"), N_("public fire point")),
    "cameras": (N_("Security cameras"), N_("security camera")),
    "models": (N_("Community models"), N_("community model")),
    "officers": (N_("Officers"), N_("officer")),
}
