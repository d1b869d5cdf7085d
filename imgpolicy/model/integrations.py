"""`integrations`: HL7, FHIR and DICOMweb endpoints between systems."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .types import Name, Strict, Text


class Credentials(Strict):
    """Secrets should be references (`${ENV_VAR}`), never literal values."""

    username: Text | None = None
    password: Text | None = None
    token: Text | None = None
    api_key: Text | None = None


class Integration(Strict):
    name: Name
    kind: Literal["hl7", "fhir", "dicomweb"]
    source: Name
    """The device that sends or calls."""
    target: Name
    """The device that receives or serves."""
    endpoint: Text
    """A URL: mllp:// or mllps:// for HL7, http(s):// for FHIR and DICOMweb."""
    messages: list[Literal["ORM", "ORU", "ADT", "SIU", "MDM", "OMI"]] = Field(default_factory=list)
    services: list[Literal["QIDO-RS", "WADO-RS", "STOW-RS", "UPS-RS", "WADO-URI"]] = Field(
        default_factory=list
    )
    credentials: Credentials | None = None
    description: Text | None = None
