"""PID: patient identity. Image stores hear of merges and updates; ID domains are declared."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .. import identity
from ..analysis.index import ACQUISITION_KIND, Index
from ..analysis.reach import Reach
from ..findings import Finding, Related, Severity
from ..model.devices import Device
from .base import Rule
from .common import probable_devices

IMAGE_STORE_KINDS = frozenset({"pacs", "vna", "cardiology-pvs"})
"""Devices that keep studies under the patient's identity."""


def _image_stores(index: Index) -> Iterator[tuple[Device, frozenset[str]]]:
    """Each image store that receives identified studies (by flow analysis), with its AE
    titles."""
    for device in index.env.devices:
        if device.kind not in IMAGE_STORE_KINDS and not device.is_archive_of_record:
            continue
        titles = frozenset(ae.ae_title for ae in device.application_entities)
        if any(
            _identified(route) and index.flow.carries(route)
            for title in titles
            for route in index.routes_to.get(title, ())
        ):
            yield device, titles


def _identified(route) -> bool:
    """An enabled route that brings studies under the patient's identity: not a
    replication (the replica hears of updates from its primary), not de-identified."""
    return (
        route.enabled
        and route.purpose not in ("replication", "research")
        and route.deidentify is None
    )


def _carries_adt(integration) -> bool:
    """An HL7 feed that carries ADT (patient updates and merges); a feed that declares
    neither messages nor events is given the benefit of the doubt."""
    if integration.kind != "hl7":
        return False
    if not integration.messages and not integration.events:
        return True
    return "ADT" in integration.messages or any(e.startswith("ADT^") for e in integration.events)


class ImageStoreWithoutADT(Rule):
    """An image store receives studies but no HL7 ADT feed.

    What:
        A PACS, VNA, cardiology PVS or archive of record (teleradiology PACS included)
        that receives studies by flow analysis over routes other than `replication` (a
        replica hears of updates from its primary), `research` or de-identified ones, and
        that no `hl7` integration targets
        with ADT (`messages: [ADT]` or `events` such as ADT^A08, ADT^A40). A feed from an
        interface engine counts like one from the EHR. An HL7 integration that declares
        neither messages nor events is assumed to carry ADT.
    Why:
        Patients are registered under temporary identities in the ED, renamed, and merged
        when duplicates are found; IHE Patient Information Reconciliation (PIR) sends
        those updates (ADT^A08) and merges (ADT^A40) to every system that stores images
        so studies follow the patient. "DICOM metadata errors are patient safety events"
        and Checkpoint B asks for "patient ID accuracy > 99.9%" (practice guide,
        Guidelines; Step 4, "Study integrity monitoring"). A store that never hears of a
        merge keeps the patient's priors under the old ID: the radiologist reads without
        them, or reads another patient's.
    Bad:
        devices:
          - name: ct-1
            site: MAIN
            kind: modality
            modality: CT
            application_entities:
              - ae_title: CT_1
                acceptor: false
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [ExplicitVRLittleEndian]}
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - ae_title: PACS_MAIN
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: [ExplicitVRLittleEndian]}
          - {name: ehr, site: MAIN, kind: emr}
        routes:
          - {name: ct-to-pacs, from: CT_1, to: PACS_MAIN, purpose: reading}
        integrations:
          - {name: orders, kind: hl7, source: ehr, target: pacs, endpoint: "mllps://pacs.example.org:2575", messages: [ORM]}
    Good:
        devices:
          - name: ct-1
            site: MAIN
            kind: modality
            modality: CT
            application_entities:
              - ae_title: CT_1
                acceptor: false
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [ExplicitVRLittleEndian]}
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - ae_title: PACS_MAIN
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: [ExplicitVRLittleEndian]}
          - {name: ehr, site: MAIN, kind: emr}
        routes:
          - {name: ct-to-pacs, from: CT_1, to: PACS_MAIN, purpose: reading}
        integrations:
          - name: orders-and-adt
            kind: hl7
            source: ehr
            target: pacs
            endpoint: "mllps://pacs.example.org:2575"
            messages: [ORM, ADT]
            events: ["ORM^O01", "ADT^A08", "ADT^A40"]
    """

    code = "PID001"
    name = "image-store-without-adt"
    severity = Severity.WARNING

    def check(self, index: Index) -> Iterator[Finding]:
        targets = [i.target for i in index.env.integrations if _carries_adt(i)]
        # a feed whose target is misnamed: INT002 reports it, with the device it meant
        fed = set(targets) | probable_devices(index, targets)
        for device, _ in _image_stores(index):
            if device.name in fed:
                continue
            yield self.finding(
                f"{device.kind} '{device.name}' stores studies but receives no HL7 ADT feed: "
                "patient updates and merges (ADT^A08, ADT^A40) never reach it, so studies "
                "stay under old or duplicate identities; add an hl7 integration to it with "
                "messages: [ADT] (from the EHR or the interface engine)",
                index.where(device, "name"),
                entity=identity.device(device.name),
            )


def _issuer(index: Index, device: Device) -> str | None:
    """The Issuer of Patient ID of what `device` writes: its own, else its site's."""
    if device.patient_id_issuer:
        return device.patient_id_issuer
    site = index.sites.get(device.site)
    return site.patient_id_issuer if site else None


class SharedStoreWithoutIssuer(Rule):
    """Studies of several sites share an image store or a worklist without a declared issuer.

    What:
        An image store (PACS, VNA, cardiology PVS, archive of record) receiving studies
        from acquisition devices of two or more sites, or a worklist provider serving
        modalities of two or more sites, where some of those devices have no Issuer of
        Patient ID (`patient_id_issuer` on the device or its site). Teleradiology sites
        are not counted.
    Why:
        Two hospitals' medical record numbers are two identifier domains: MRN 100234 at
        one is another patient than MRN 100234 at the other unless both use one
        enterprise MRN. DICOM records the assigning authority in Issuer of Patient ID
        (0010,0021) (PS3.3 C.7.1.1) and IHE PIX cross-references the domains; a shared
        archive that does not know the domains merges different patients' studies.
        "DICOM metadata errors are patient safety events" (practice guide, Guidelines;
        Checkpoint B: "patient ID accuracy > 99.9%"). Declare the issuer of every site
        (the same one where the sites share an enterprise MRN).
    Bad:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west}
          - {name: EAST, jurisdiction: US-CA, region: us-west}
        devices:
          - name: ct-main
            site: MAIN
            kind: modality
            modality: CT
            application_entities:
              - ae_title: CT_MAIN
                acceptor: false
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [ExplicitVRLittleEndian]}
          - name: ct-east
            site: EAST
            kind: modality
            modality: CT
            application_entities:
              - ae_title: CT_EAST
                acceptor: false
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [ExplicitVRLittleEndian]}
          - name: vna
            site: MAIN
            kind: vna
            application_entities:
              - ae_title: VNA
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: [ExplicitVRLittleEndian]}
        routes:
          - {name: main-to-vna, from: CT_MAIN, to: VNA, purpose: archive}
          - {name: east-to-vna, from: CT_EAST, to: VNA, purpose: archive}
    Good:
        sites:
          - {name: MAIN, jurisdiction: US-CA, region: us-west, patient_id_issuer: MAIN_MRN}
          - {name: EAST, jurisdiction: US-CA, region: us-west, patient_id_issuer: EAST_MRN}
        devices:
          - name: ct-main
            site: MAIN
            kind: modality
            modality: CT
            application_entities:
              - ae_title: CT_MAIN
                acceptor: false
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [ExplicitVRLittleEndian]}
          - name: ct-east
            site: EAST
            kind: modality
            modality: CT
            application_entities:
              - ae_title: CT_EAST
                acceptor: false
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [ExplicitVRLittleEndian]}
          - name: vna
            site: MAIN
            kind: vna
            application_entities:
              - ae_title: VNA
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: [ExplicitVRLittleEndian]}
        routes:
          - {name: main-to-vna, from: CT_MAIN, to: VNA, purpose: archive}
          - {name: east-to-vna, from: CT_EAST, to: VNA, purpose: archive}
    """

    code = "PID002"
    name = "shared-store-without-issuer"
    severity = Severity.WARNING

    def check(self, index: Index) -> Iterator[Finding]:
        suspects = self._reached_without_issuer(index)
        for device, titles in _image_stores(index):
            if suspects.isdisjoint(titles):
                continue  # every site whose studies reach it declares its issuer
            sites, undeclared_sites = self._origin_sites(index, titles)
            finding = self._verdict(
                sites, undeclared_sites, f"{device.kind} '{device.name}' stores"
            )
            if finding:
                message, undeclared = finding
                yield self.finding(
                    message,
                    index.where(device, "name"),
                    entity=identity.device(device.name),
                    related=self._related(index, undeclared),
                )
        for entry in index.env.worklist:
            consumers = [index.device_of(t) for t in entry.consumers]
            sources = self._acquiring(index, [d for d in consumers if d is not None])
            finding = self._judge(index, sources, f"worklist provider {entry.provider} serves")
            if finding:
                message, undeclared = finding
                yield self.finding(
                    message,
                    index.where(entry, "provider"),
                    entity=identity.entity("worklist", entry.provider),
                    detail=",".join(sorted(entry.consumers)),
                    related=self._related(index, undeclared),
                )

    @classmethod
    def _reached_without_issuer(cls, index: Index) -> frozenset[str]:
        """The AEs that studies of some site without an issuer reach: a store outside them
        cannot be reported (its origins' sites all declare one, and `_origin_sites` only
        ever takes fewer origins), so only these stores are judged in full. Every PACS of
        an estate gets every site's priors from the VNA (a dense relation): judging every
        store against every group of origins cost stores x groups even where every site
        declares its issuer and nothing is reported; this costs what the groups of
        origins without an issuer reach."""
        groups = index.shared("pid-origin-groups", cls._origin_groups)
        return frozenset().union(*(reach for reach, _, _, undeclared in groups if undeclared))

    @classmethod
    def _origin_sites(cls, index: Index, titles: frozenset[str]) -> tuple[set[str], set[str]]:
        """The sites of the acquisition devices (at our own sites) whose own studies reach
        `titles`, and those of them without an issuer. Worked out per group of origins that
        reach the same AEs (`Reach.groups`), each group's sites once: every store of an
        estate is reached by most of its modalities (prior prefetch from the VNA), so going
        through them one by one per store would cost stores x modalities."""
        sites: set[str] = set()
        undeclared: set[str] = set()
        for reach, origins, group_sites, group_undeclared in index.shared(
            "pid-origin-groups", cls._origin_groups
        ):
            if reach.isdisjoint(titles):
                continue
            if origins.isdisjoint(titles):
                sites |= group_sites
                undeclared |= group_undeclared
            else:  # an origin among the targets is not its own origin (Reach.origins_reaching)
                own, without = cls._sites_of(index, origins - titles)
                sites |= own
                undeclared |= without
        return sites, undeclared

    @classmethod
    def _origin_groups(cls, index: Index) -> list:
        """(what they reach, the origins, their sites, those without an issuer) per group."""
        out = []
        for reach, origins in Reach.of(index).groups().items():
            out.append((reach, origins, *cls._sites_of(index, origins)))
        return out

    @classmethod
    def _sites_of(cls, index: Index, titles: Iterable[str]) -> tuple[set[str], set[str]]:
        """Sites of the acquisition devices at our own sites among `titles`' devices, and
        those of them without an issuer."""
        devices: dict[str, Device] = {}
        for title in titles:
            device = index.device_of(title)
            if device is not None:
                devices[device.name] = device
        kept = cls._acquiring(index, list(devices.values()))
        return {d.site for d in kept}, {d.site for d in kept if _issuer(index, d) is None}

    @staticmethod
    def _acquiring(index: Index, devices: list[Device]) -> list[Device]:
        """The acquisition devices among `devices` at our own sites (not teleradiology)."""
        kept = []
        for device in devices:
            site = index.sites.get(device.site)
            if device.kind == ACQUISITION_KIND and site is not None and site.teleradiology is None:
                kept.append(device)
        return kept

    @classmethod
    def _judge(cls, index: Index, devices: list[Device], what: str) -> tuple[str, list[str]] | None:
        """The message when `devices` span several sites and some have no issuer."""
        return cls._verdict(
            {d.site for d in devices}, {d.site for d in devices if _issuer(index, d) is None}, what
        )

    @staticmethod
    def _verdict(
        all_sites: set[str], without_issuer: set[str], what: str
    ) -> tuple[str, list[str]] | None:
        """The message when studies of several sites meet and some sites have no issuer."""
        sites = sorted(all_sites)
        if len(sites) < 2:
            return None
        undeclared = sorted(without_issuer)
        if not undeclared:
            return None
        return (
            f"{what} studies of sites {', '.join(sites)}, but {', '.join(undeclared)} "
            f"declare{'s' if len(undeclared) == 1 else ''} no Issuer of Patient ID: the "
            "same MRN at two sites can be two "
            "patients; add patient_id_issuer to each site (the same one where they share "
            "an enterprise MRN)",
            undeclared,
        )

    @staticmethod
    def _related(index: Index, sites: list[str]) -> list[Related]:
        return [
            Related(index.where(index.sites[name], "name"), f"site '{name}'")
            for name in sites
            if name in index.sites
        ]
