"""`continuity`: disaster-recovery objectives per critical system."""

from __future__ import annotations

from .types import DurationField, IsoDate, Name, Strict, Text


class Replication(Strict):
    target_site: Name
    window: DurationField
    """How much recent data the target holds (the practice guide asks for 30 days)."""


class ContinuityPlan(Strict):
    system: Name
    """The device this plan is for."""
    rpo: DurationField | None = None
    rto: DurationField | None = None
    replication: Replication | None = None
    read_only_fallback: Name | None = None
    """A device (viewer) that can show images while the system is down."""
    last_tested: IsoDate | None = None
    description: Text | None = None
