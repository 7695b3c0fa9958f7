"""Who follows up what the conference decides: the responsible units (`assignments:` in
config/alerts.yaml), strictly validated.

An incident or a lagging commune is assigned to one unit with a due time and a note
(metrics/alerts/assignments_store.py); an assignment still open at its due time is escalated
once to the unit's `channel`, one of the channels of the same file (config/channels.py).
Who may assign and close: `permissions.assign` in the same file.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from config.settings import Strict

UnitKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


class Unit(Strict):
    """One responsible unit: its name in Vietnamese and English and the channel that is told
    when work assigned to it is overdue."""

    vi: str = Field(min_length=1, max_length=120)
    en: str = Field(min_length=1, max_length=120)
    channel: str = Field(min_length=1)  # a key of `channels:` (checked by AlertsConfig)


class Assignments(Strict):
    """The units work can be assigned to (in the order the form offers them) and the due
    time the form proposes."""

    units: dict[UnitKey, Unit] = Field(default_factory=dict)
    default_due_h: float = Field(default=4, gt=0, le=24 * 30)

    def unit(self, key: str) -> Unit:
        """The unit named `key`; KeyError naming the known ones."""
        try:
            return self.units[key]
        except KeyError:
            raise KeyError(f"no responsible unit {key!r} "
                           f"(units: {', '.join(self.units) or 'none'})") from None
