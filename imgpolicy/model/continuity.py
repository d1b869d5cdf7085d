"""`continuity`: disaster-recovery objectives per critical system."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from .types import DurationField, IsoDate, Name, Strict, Text


class Replication(Strict):
    """Where a system's data is copied for disaster recovery."""

    # a window-scope replication states its window (`_window_scope_has_window`), for editors too.
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"required": ["scope"], "properties": {"scope": {"const": "full"}}},
            "else": {"required": ["window"]},
        }
    )

    target_site: Name = Field(description="The site that holds the copy.")
    scope: Literal["full", "window"] = Field(
        default="window",
        description="full: the target holds every study (a complete second copy); window: "
        "only the recent ones, as long as `window` says.",
    )
    window: DurationField | None = Field(
        default=None,
        description="How much recent data the target holds (the practice guide asks for "
        "30d); needed when `scope` is window.",
    )

    @model_validator(mode="after")
    def _window_scope_has_window(self):
        if self.scope == "window" and self.window is None:
            raise ValueError("give 'window' (e.g. 30d), or 'scope: full' for a complete copy")
        return self


class DrTest(Strict):
    """The last recovery test: when, how far it went, and how it ended."""

    date: IsoDate = Field(description="When the test ran, YYYY-MM-DD.")
    outcome: Literal["passed", "failed", "partial"] = Field(
        description="passed: recovered within the objectives; partial: recovered with "
        "gaps; failed: did not recover."
    )
    scope: Literal["failover", "tabletop"] = Field(
        default="failover",
        description="failover: the system was actually switched over; tabletop: the "
        "procedure was walked through on paper.",
    )
    description: Text | None = Field(default=None, description="What was found, in words.")


class Backup(Strict):
    """A backup copy of a system's data, apart from replication."""

    to_site: Name = Field(description="The site that holds the backup.")
    every: DurationField = Field(description="How often a backup is taken, e.g. 1d.")
    immutable: bool = Field(
        default=False,
        description="The copy cannot be altered or deleted before it expires (WORM, "
        "object lock, offline media): it survives ransomware.",
    )
    description: Text | None = Field(default=None, description="What the backup is.")


class ContinuityPlan(Strict):
    """Disaster-recovery objectives and arrangements for one critical system."""

    # one record of the last test (`_one_test_record`), for editors too.
    model_config = ConfigDict(json_schema_extra={"not": {"required": ["last_test", "last_tested"]}})

    system: Name = Field(description="The device this plan is for.")
    rpo: DurationField | None = Field(
        default=None, description="Recovery point objective: the data that may be lost, e.g. 15m."
    )
    rto: DurationField | None = Field(
        default=None, description="Recovery time objective: how long it may be down, e.g. 4h."
    )
    replication: Replication | None = Field(
        default=None, description="Where its data is replicated."
    )
    backups: list[Backup] = Field(
        default_factory=list, description="Backup copies of its data, apart from replication."
    )
    read_only_fallback: Name | None = Field(
        default=None,
        description="A device that shows images while the system is down: a viewer or "
        "workstation, or a pacs or vna at another site.",
    )
    last_tested: IsoDate | None = Field(
        default=None,
        description="When the recovery was last tested, YYYY-MM-DD (or give `last_test`).",
    )
    last_test: DrTest | None = Field(
        default=None,
        description="The last recovery test with its outcome and scope (instead of `last_tested`).",
    )
    description: Text | None = Field(default=None, description="What the plan covers.")

    @model_validator(mode="after")
    def _one_test_record(self):
        if self.last_test is not None and self.last_tested is not None:
            raise ValueError("give 'last_test' or 'last_tested', not both")
        return self

    @property
    def tested_on(self):
        """The date of the last recovery test, from either way of writing it."""
        return self.last_test.date if self.last_test is not None else self.last_tested
