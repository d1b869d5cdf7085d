"""`sites`: where devices stand; the jurisdiction drives retention law, the region DR."""

from __future__ import annotations

from .types import Jurisdiction, Name, Strict, Text, Timezone


class Site(Strict):
    name: Name
    description: Text | None = None
    jurisdiction: Jurisdiction
    region: Name
    timezone: Timezone | None = None
    teleradiology: bool = False
    """A remote reading provider rather than a facility of ours."""
