"""`organisation` and `audit`: who runs the environment, and where its audit trail goes."""

from __future__ import annotations

from pydantic import Field

from .types import Name, Strict, Text


class Organisation(Strict):
    """The organisation the environment belongs to (one per environment)."""

    name: Text = Field(description="The organisation's name, e.g. Sierra Regional Health.")
    description: Text | None = Field(default=None, description="What the organisation is.")


class Audit(Strict):
    """The audit trail and time: IHE ATNA audit record repository and IHE CT time sources."""

    repository: Name | None = Field(
        default=None,
        description="The device (an audit-repository) that receives the ATNA audit messages "
        "(RFC 5424 syslog, DICOM PS3.15 Annex A.5) of every device holding PHI.",
    )
    time_sources: list[Name] = Field(
        default_factory=list,
        description="The devices (time-servers) every device synchronises its clock with "
        "(IHE Consistent Time, NTP).",
    )
