"""TEL: teleradiology. Remote readers licensed where the patients are, under a current contract."""

from __future__ import annotations

from collections.abc import Iterator

from .. import identity
from ..analysis.index import Index
from ..analysis.jurisdiction import is_us
from ..findings import Finding, Related, Severity
from ..model.sites import Site
from .base import Rule
from .common import origins_reaching


def _reading_sites(index: Index) -> Iterator[tuple[Site, frozenset[str]]]:
    """Each teleradiology site with the AE titles of its devices."""
    for site in index.env.sites:
        if site.teleradiology is None:
            continue
        titles = frozenset(
            ae.ae_title
            for device in index.env.devices
            if device.site == site.name
            for ae in device.application_entities
        )
        yield site, titles


def _origin_sites(index: Index, targets: frozenset[str]) -> dict[str, Site]:
    """The sites whose acquisition devices' own studies reach `targets` (flow analysis:
    through routers and PACS too), by name."""
    found: dict[str, Site] = {}
    for title in origins_reaching(index, targets):
        site = index.site_of(title)
        if site is not None and site.teleradiology is None:
            found[site.name] = site
    return found


class TeleradiologyNotLicensed(Rule):
    """Studies reach a teleradiology provider not licensed in the patient's state.

    What:
        By flow analysis (through routers and PACS, priors included), studies acquired at
        a site in a US state (jurisdiction US-xx) reach an AE of a teleradiology site
        whose `teleradiology.licensed_in` is given and does not list that state. Sites
        whose contract does not record `licensed_in` are not checked.
    Why:
        Checkpoint A of the practice guide lists "state licensing for teleradiology"
        among the compliance requirements, and asks about "remote reading or
        teleradiology workflows". In the US the radiologist who interprets must hold a
        license in the state where the patient was imaged (state medical practice acts;
        ACR-AAPM-SIIM Practice Parameter for Electronic Medical Information Privacy and
        Security and ACR Technical Standard for Electronic Practice of Medical Imaging);
        a report by an unlicensed reader is unauthorized practice, and the hospital's
        credentialing by proxy (CMS 42 CFR 482.12(e), 482.22(a)) does not cure it.
    Bad:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
          - {name: RENO, jurisdiction: US-NV, region: us-west}
          - name: NIGHTREAD
            jurisdiction: US-AZ
            region: us-southwest
            teleradiology: {licensed_in: [US-CA]}
        devices:
          - name: ct-reno
            site: RENO
            kind: modality
            modality: CT
            application_entities:
              - ae_title: CT_RENO
                acceptor: false
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [ExplicitVRLittleEndian]}
          - name: tele-pacs
            site: NIGHTREAD
            kind: pacs
            application_entities:
              - ae_title: TELE_PACS
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: [ExplicitVRLittleEndian]}
        routes:
          - {name: reno-to-tele, from: CT_RENO, to: TELE_PACS, purpose: teleradiology}
    Good:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
          - {name: RENO, jurisdiction: US-NV, region: us-west}
          - name: NIGHTREAD
            jurisdiction: US-AZ
            region: us-southwest
            teleradiology: {licensed_in: [US-CA, US-NV]}
        devices:
          - name: ct-reno
            site: RENO
            kind: modality
            modality: CT
            application_entities:
              - ae_title: CT_RENO
                acceptor: false
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [ExplicitVRLittleEndian]}
          - name: tele-pacs
            site: NIGHTREAD
            kind: pacs
            application_entities:
              - ae_title: TELE_PACS
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: [ExplicitVRLittleEndian]}
        routes:
          - {name: reno-to-tele, from: CT_RENO, to: TELE_PACS, purpose: teleradiology}
    """

    code = "TEL001"
    name = "teleradiology-not-licensed"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        for site, titles in _reading_sites(index):
            contract = site.teleradiology
            if contract is None or not contract.licensed_in or not titles:
                continue
            unlicensed: dict[str, list[Site]] = {}
            for origin in _origin_sites(index, titles).values():
                state = origin.jurisdiction
                if is_us(state) and state != "US" and state not in contract.licensed_in:
                    unlicensed.setdefault(state, []).append(origin)
            for state, origins in sorted(unlicensed.items()):
                names = ", ".join(sorted(o.name for o in origins))
                yield self.finding(
                    f"studies from {names} ({state}) reach teleradiology site '{site.name}', "
                    f"whose radiologists are licensed in {', '.join(contract.licensed_in)} "
                    f"only: add {state} to licensed_in once they are licensed there, or keep "
                    f"{state} studies off its routes",
                    index.where(site, "teleradiology", "licensed_in"),
                    entity=identity.site(site.name),
                    detail=state,
                    related=[
                        Related(index.where(o, "jurisdiction"), f"'{o.name}' is in {state}")
                        for o in sorted(origins, key=lambda o: o.name)
                    ],
                )


class TeleradiologyCredentialingExpired(Rule):
    """A teleradiology provider's credentialing agreement has ended.

    What:
        A teleradiology site whose `teleradiology.credentialing_until` is before today
        (`--today`).
    Why:
        A hospital may credential remote radiologists by proxy only under a written
        agreement with the distant-site hospital or telemedicine entity (CMS Conditions
        of Participation, 42 CFR 482.12(e) and 482.22(a)(3)-(4)); the practice guide's
        Checkpoint A asks about "remote reading or teleradiology workflows" and their
        compliance requirements. Studies still routed there after it ended are read by
        radiologists the medical staff has not privileged.
    Bad:
        sites:
          - name: NIGHTREAD
            jurisdiction: US-AZ
            region: us-southwest
            teleradiology: {licensed_in: [US-CA], credentialing_until: 2025-06-30}
    Good:
        sites:
          - name: NIGHTREAD
            jurisdiction: US-AZ
            region: us-southwest
            teleradiology: {licensed_in: [US-CA], credentialing_until: 2027-06-30}
    """

    code = "TEL002"
    name = "teleradiology-credentialing-expired"
    severity = Severity.WARNING

    def check(self, index: Index) -> Iterator[Finding]:
        for site in index.env.sites:
            contract = site.teleradiology
            until = contract.credentialing_until if contract else None
            if until is None or until >= index.today:
                continue
            yield self.finding(
                f"the credentialing-by-proxy agreement with teleradiology site '{site.name}' "
                f"ended on {until.isoformat()} (today is {index.today.isoformat()}): renew it "
                "and record the new date, or stop routing studies there",
                index.where(site, "teleradiology", "credentialing_until"),
                entity=identity.site(site.name),
            )
