"""`site_links`: how traffic between two sites is carried, and whether that encrypts it.

Most multi-site hospitals encrypt DICOM, HL7 and DICOMweb between sites at the network
layer (a site-to-site IPsec tunnel, an SD-WAN overlay) rather than on every modality; a
link declared here lets the transport rules (SEC001, INT001) see that.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .types import Name, Strict, Text

Encryption = Literal["ipsec", "sd-wan", "mpls", "tls", "none"]

ENCRYPTING = frozenset({"ipsec", "sd-wan", "tls"})
"""Link kinds that encrypt what they carry. An MPLS VPN separates customers' traffic in the
carrier's network but does not encrypt it (RFC 4381, section 2: confidentiality is not
part of BGP/MPLS IP VPNs); IPsec over MPLS is declared as `ipsec`."""


class SiteLink(Strict):
    """The network path between two sites: a WAN circuit, a tunnel, an overlay."""

    name: Name = Field(description="The link's name, unique in the environment.")
    sites: list[Name] = Field(
        min_length=2,
        max_length=2,
        json_schema_extra={"uniqueItems": True},
        description="The two `sites` the link joins (their names).",
    )
    encryption: Encryption = Field(
        description="How traffic on the link is protected: ipsec (a site-to-site IPsec "
        "tunnel), sd-wan (an SD-WAN overlay, IPsec between its edges), tls (a TLS VPN), "
        "mpls (a carrier MPLS VPN: separated, not encrypted) or none."
    )
    description: Text | None = Field(
        default=None, description="What carries the traffic (carrier, circuit, tunnel end points)."
    )

    @model_validator(mode="after")
    def _two_different_sites(self):
        if self.sites[0] == self.sites[1]:
            raise ValueError("a site link joins two different sites")
        return self

    @property
    def encrypts(self) -> bool:
        """Whether what the link carries is encrypted on the way (ipsec, sd-wan, tls)."""
        return self.encryption in ENCRYPTING
