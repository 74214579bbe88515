"""Controls a role may not use are shown disabled, with the reason. This is for the officer's
eyes only: the services check the role themselves (StationService.require) whatever calls."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.i18n import _

if TYPE_CHECKING:
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QWidget

    from app.core.domain.access import Actor, Permission


def restrict(actor: Actor | None, permission: Permission, *controls: QWidget | QAction) -> None:
    """Disable ``controls`` unless ``actor`` may act (no actor: trusted code, nothing to do)."""
    if actor is None or actor.can(permission):
        return
    for control in controls:
        control.setEnabled(False)
        control.setToolTip(_("Your role does not allow this."))
