"""`integrations`: HL7, FHIR and DICOMweb endpoints between systems."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .types import HL7Event, Name, Strict, Text


def _secret(what: str):
    """A credential field: rule SEC002 wants a reference, not the secret itself."""
    return Field(default=None, description=f"{what}: a reference such as ${{ENV_VAR}}.")


class Credentials(Strict):
    """Secrets should be references (`${ENV_VAR}`), never literal values."""

    username: Text | None = Field(default=None, description="The user name.")
    password: Text | None = _secret("The password")
    token: Text | None = _secret("A bearer token")
    api_key: Text | None = _secret("An API key")


class Integration(Strict):
    """An HL7 v2, FHIR or DICOMweb connection from one device to another."""

    name: Name = Field(description="The integration's name, unique in the environment.")
    kind: Literal["hl7", "fhir", "dicomweb"] = Field(
        description="HL7 v2 (MLLP), FHIR (REST) or DICOMweb (PS3.18)."
    )
    source: Name = Field(description="The device that sends or calls.")
    target: Name = Field(description="The device that receives or serves.")
    endpoint: Text = Field(
        description="A URL: mllp:// or mllps:// for HL7, http(s):// for FHIR and DICOMweb."
    )
    messages: list[Literal["ORM", "ORU", "ADT", "SIU", "MDM", "OMI"]] = Field(
        default_factory=list, description="HL7 v2 message types carried."
    )
    events: list[HL7Event] = Field(
        default_factory=list,
        description="HL7 v2 trigger events carried, e.g. ADT^A08 (update patient "
        "information), ADT^A40 (merge patient), ORM^O01, ORU^R01.",
    )
    services: list[Literal["QIDO-RS", "WADO-RS", "STOW-RS", "UPS-RS", "WADO-URI"]] = Field(
        default_factory=list, description="DICOMweb services used."
    )
    credentials: Credentials | None = Field(
        default=None, description="How the source authenticates; references, not secrets."
    )
    verify_tls: bool = Field(
        default=True,
        description="The source verifies the endpoint's TLS certificate (https://, mllps://); "
        "false sends credentials to whoever answers (rule SEC003).",
    )
    description: Text | None = Field(default=None, description="What flows over it.")
