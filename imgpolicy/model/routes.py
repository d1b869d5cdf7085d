"""`routes`: where studies go, AE title to AE title."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .types import (
    AETitle,
    AETitles,
    Modalities,
    Name,
    SopClass,
    Strict,
    SyntaxPerSopClass,
    Text,
    TransferSyntax,
)

RoutePurpose = Literal[
    "archive",
    "reading",
    "ai",
    "prefetch",
    "teleradiology",
    "replication",
    "dose",
    "results",
    "forward",
    "research",
]

RouteMethod = Literal["c-store", "c-move", "c-get", "wado-rs"]


class RouteMatch(Strict):
    """What the route carries; an empty match carries everything that reaches `from`."""

    modality: Modalities = Field(
        default_factory=list, description="Only studies of these modalities (one or a list)."
    )
    sop_classes: list[SopClass] = Field(
        default_factory=list, description="Only instances of these SOP classes."
    )
    calling_ae: AETitles = Field(
        default_factory=list,
        description="Only what these AEs sent to `from` (one AE title or a list).",
    )
    body_part: list[Text] = Field(
        default_factory=list, description="Only these Body Part Examined (0018,0015) values."
    )
    min_age: int | None = Field(
        default=None,
        ge=0,
        le=130,
        description="Only patients at least this many years old (from Patient's Birth Date "
        "(0010,0030) or Patient's Age (0010,1010)).",
    )


class Deidentify(Strict):
    """De-identification applied on a route (PS3.15 Annex E), by the router or a
    de-identifier before the studies leave."""

    profile: Text = Field(
        default="PS3.15 Annex E Basic Application Level Confidentiality Profile",
        description="The de-identification profile applied (PS3.15 Annex E, Table E.1-1).",
    )
    options: list[Text] = Field(
        default_factory=list,
        description="The profile options applied, as PS3.15 Table E.1-1 names them (e.g. "
        "Retain Longitudinal Temporal Information with Modified Dates Option, Clean "
        "Pixel Data Option).",
    )


class Route(Strict):
    """A forwarding rule: what the `from` AE sends on to the `to` AE (C-STORE)."""

    name: Name = Field(description="The route's name, unique in the environment.")
    description: Text | None = Field(default=None, description="What the route is for.")
    from_: AETitle = Field(alias="from", description="The AE title that sends (the SCU).")
    to: AETitle = Field(description="The AE title that receives (the SCP).")
    match: RouteMatch | None = Field(
        default=None, description="What the route carries; none: everything that reaches `from`."
    )
    transfer_syntax: TransferSyntax | None = Field(
        default=None,
        description="The transfer syntax the sender uses on this route, if it is fixed "
        "(e.g. a router that compresses).",
    )
    transfer_syntaxes: SyntaxPerSopClass = Field(
        default_factory=dict,
        description="The transfer syntax the sender uses per SOP class (SOP class: "
        "transfer syntax), where it differs by class (e.g. JPEG 2000 lossless for CT, the "
        "MPEG-4 original for video); overrides `transfer_syntax` for the classes it names.",
    )
    lossy_approved: Text | None = Field(
        default=None,
        description="Who approved lossy (irreversible) compression on this teleradiology "
        "route, and when (ACR-AAPM-SIIM Technical Standard for Electronic Practice of "
        "Medical Imaging: under the direction of a qualified physician); never applies to "
        "mammography.",
    )
    purpose: RoutePurpose = Field(
        description="Why studies go there; rules check e.g. that archive routes reach the "
        "archive of record losslessly."
    )
    priority: Literal["high", "medium", "low"] = Field(
        default="medium", description="The sender's queue priority for this route."
    )
    enabled: bool = Field(
        default=True, description="false: the route is configured but off; flow analysis skips it."
    )
    method: RouteMethod | None = Field(
        default=None,
        description="How the studies travel: c-store (pushed by `from`), c-move (`from` is "
        "the Query/Retrieve SCP and opens a C-STORE sub-association to `to`), c-get "
        "(`to` retrieves over its own association) or wado-rs (DICOMweb); default c-store, "
        "c-move for a prefetch route.",
    )
    trigger: Name | None = Field(
        default=None,
        description="The `integrations` entry whose messages start the transfer (e.g. the "
        "ORM^O01 order feed that starts a prior prefetch).",
    )
    commitment: bool = Field(
        default=False,
        description="Storage Commitment is requested for what the route sends (PS3.4 "
        "Annex J): the sender learns when `to` has safely stored each instance.",
    )
    deidentify: Deidentify | None = Field(
        default=None,
        description="The studies are de-identified on the way (PS3.15 Annex E): needed for "
        "research routes and for recipients without a business associate agreement.",
    )

    @property
    def effective_method(self) -> str:
        """The declared method, or the usual one: C-MOVE for a prefetch, else C-STORE."""
        if self.method is not None:
            return self.method
        return "c-move" if self.purpose == "prefetch" else "c-store"
