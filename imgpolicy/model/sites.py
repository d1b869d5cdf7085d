"""`sites`: where devices stand; the jurisdiction drives retention law, the region DR."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from .types import ClockTime, IsoDate, Jurisdiction, Name, Strict, Text, Timezone, _kind


class Coverage(Strict):
    """When a reading provider reads: its contracted window, in the site's time zone."""

    from_: ClockTime = Field(alias="from", description="When coverage starts, HH:MM (e.g. 22:00).")
    to: ClockTime = Field(description="When coverage ends, HH:MM (e.g. 07:00).")


class Teleradiology(Strict):
    """A teleradiology provider's contract: where its radiologists are licensed, until when
    they are credentialed by proxy, when it reads, and whether a BAA covers it."""

    licensed_in: list[Jurisdiction] = Field(
        default_factory=list,
        description="Jurisdictions (US-CA, US-NV...) where its radiologists hold a license; "
        "studies of sites elsewhere must not be read there (state licensure).",
    )
    credentialing_until: IsoDate | None = Field(
        default=None,
        description="When the credentialing-by-proxy agreement ends (CMS 42 CFR 482.12(e), "
        "482.22(a)), YYYY-MM-DD.",
    )
    coverage: Coverage | None = Field(
        default=None, description="The contracted reading window, e.g. from 22:00 to 07:00."
    )
    baa: bool = Field(
        default=True,
        description="A HIPAA business associate agreement covers it (45 CFR 164.504(e)); "
        "false: studies sent there must be de-identified.",
    )


def _reading_contract(value: Any) -> Any:
    """`teleradiology: true` is a contract with nothing recorded, `false` none at all; a
    mapping records it. (One field type, not a union, so an error names one fix.)"""
    if value is True:
        return {}
    if value is False:
        return None
    if not isinstance(value, dict):
        raise PydanticCustomError(
            "bool_type",
            "expected true, false or a mapping (licensed_in, credentialing_until, coverage, "
            "baa), got {got}",
            {"got": _kind(value)},
        )
    return value


def _true_false_or_contract(schema: dict[str, Any]) -> None:
    """The JSON Schema of `teleradiology`: a boolean or the contract mapping."""
    schema["anyOf"] = [{"type": "boolean"}, *(s for s in schema["anyOf"] if "$ref" in s)]
    schema["default"] = False


class Site(Strict):
    """A facility (hospital, imaging center, data center) or a remote reading provider."""

    name: Name = Field(description="The site's name, which devices refer to in `site`.")
    description: Text | None = Field(default=None, description="What and where the site is.")
    jurisdiction: Jurisdiction = Field(
        description="Whose law applies (ISO 3166: US, US-CA, DE-BY); retention policies "
        "are chosen by it."
    )
    region: Name = Field(
        description="A failure domain (e.g. us-west); DR replication should leave it."
    )
    timezone: Timezone | None = Field(
        default=None, description="IANA time zone of the site, e.g. America/Los_Angeles."
    )
    teleradiology: Annotated[Teleradiology | None, BeforeValidator(_reading_contract)] = Field(
        default=None,
        json_schema_extra=_true_false_or_contract,
        description="A remote reading provider rather than a facility of ours: true, or "
        "what its contract records (licensure, credentialing, coverage, BAA).",
    )
    patient_id_issuer: Text | None = Field(
        default=None,
        description="Issuer of Patient ID (0010,0021): the assigning authority of the site's "
        "medical record numbers (IHE PIX/PIR patient identifier domain).",
    )
    emergency: bool = Field(default=False, description="The site runs a 24/7 emergency department.")
