"""WL: Modality Worklist and MPPS. Who tells a modality what to scan, and who hears it is done."""

from __future__ import annotations

from collections.abc import Iterator

from .. import dicom, identity
from ..analysis import worklist
from ..analysis.index import Index
from ..findings import Finding, Related, Severity
from ..model.worklist import WorklistAssignment
from .base import Rule
from .common import ae_related, probable_aes, unknown_ae_hint


def _entry_entity(entry: WorklistAssignment) -> str:
    return identity.entity("worklist", entry.provider)


def _entry_detail(entry: WorklistAssignment, key: str) -> str:
    """Which reference of which entry: one provider may serve several entries, told apart
    by their consumers."""
    return f"{key} for {','.join(sorted(entry.consumers))}"


class ModalityWithoutWorklist(Rule):
    """An acquisition modality gets no Modality Worklist.

    What:
        An AE of a device with `kind: modality` that initiates associations is not among
        the `consumers` of any `worklist` entry (nor is another AE of the same device).
        Devices declared `workflow: encounter-based` are not checked.
    Why:
        Without a worklist the technologist types the patient's name, ID and accession
        number at the console: "Worklist failures cause technologists to manually enter
        patient demographics at the modality, introducing identity errors (wrong patient
        on study, misspelled names, incorrect MRN)" (practice guide, Step 1, "Modality
        Worklist"). A study filed under the wrong patient is a patient-safety event.
        Imaging without an order (point-of-care ultrasound, endoscopy, clinical photos,
        an OR C-arm) takes the patient from the encounter instead (IHE Encounter-Based
        Imaging Workflow, EBIW): declare such devices `workflow: encounter-based`.
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
                  - {sop_class: ModalityWorklistInformationModelFind, role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
          - name: ris
            site: MAIN
            kind: ris
            application_entities:
              - ae_title: RIS
                transfer_capabilities:
                  - {sop_class: ModalityWorklistInformationModelFind, role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
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
                  - {sop_class: ModalityWorklistInformationModelFind, role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
          - name: ris
            site: MAIN
            kind: ris
            application_entities:
              - ae_title: RIS
                transfer_capabilities:
                  - {sop_class: ModalityWorklistInformationModelFind, role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
        worklist:
          - provider: RIS
            consumers: [CT_1]
    """

    code = "WL001"
    name = "modality-without-worklist"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        misnamed = probable_aes(index, "worklist-consumer")
        for device, ae in worklist.unserved(index):
            if any(other.ae_title in misnamed for other in device.application_entities):
                continue  # a consumer names it wrongly: WL004 reports that, with a hint
            yield self.finding(
                f"{ae.ae_title} ({device.name}) is an acquisition modality that no worklist "
                "entry serves, so patient demographics are typed by hand: add it to the "
                "consumers of a worklist provider",
                index.where(ae, "ae_title"),
                entity=identity.ae(ae.ae_title),
            )


class ModalityWithoutMPPS(Rule):
    """An acquisition modality's worklist entries have no MPPS destination.

    What:
        An acquisition modality AE (device `kind: modality`, initiator) is a worklist
        consumer, but none of the worklist entries serving its device names an
        `mpps_destination`.
    Why:
        Modality Performed Procedure Step tells the RIS that the exam started, completed
        or was discontinued, with what was actually done: "Verify that modalities send
        MPPS messages to confirm study completion, enabling automated study tracking and
        dose reporting" (practice guide, Step 1, "MPPS"). Without it, completed exams stay
        "scheduled" until someone closes them by hand, and the reading worklist lags. (The
        dose fields of MPPS are a legacy path: IHE Radiation Exposure Monitoring collects
        dose from the Radiation Dose SR, which DOSE002 checks.)
    Bad:
        devices:
          - name: us-1
            site: MAIN
            kind: modality
            modality: US
            application_entities:
              - ae_title: US_1
                acceptor: false
                transfer_capabilities:
                  - {sop_classes: [ModalityWorklistInformationModelFind, ModalityPerformedProcedureStep], role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
          - name: ris
            site: MAIN
            kind: ris
            application_entities:
              - ae_title: RIS
                transfer_capabilities:
                  - {sop_classes: [ModalityWorklistInformationModelFind, ModalityPerformedProcedureStep], role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
        worklist:
          - provider: RIS
            consumers: [US_1]
    Good:
        devices:
          - name: us-1
            site: MAIN
            kind: modality
            modality: US
            application_entities:
              - ae_title: US_1
                acceptor: false
                transfer_capabilities:
                  - {sop_classes: [ModalityWorklistInformationModelFind, ModalityPerformedProcedureStep], role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
          - name: ris
            site: MAIN
            kind: ris
            application_entities:
              - ae_title: RIS
                transfer_capabilities:
                  - {sop_classes: [ModalityWorklistInformationModelFind, ModalityPerformedProcedureStep], role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
        worklist:
          - provider: RIS
            consumers: [US_1]
            mpps_destination: RIS
    """

    code = "WL002"
    name = "modality-without-mpps"
    severity = Severity.WARNING

    def check(self, index: Index) -> Iterator[Finding]:
        by_consumer = worklist.entries_by_consumer(index)
        for device, ae in worklist.acquisition_aes(index):
            entries = worklist.device_entries(device, by_consumer)
            if not entries or any(e.mpps_destination for e in entries):
                continue
            own = by_consumer.get(ae.ae_title) or entries
            entry = own[0]
            where = (
                index.where(entry, "consumers", entry.consumers.index(ae.ae_title))
                if ae.ae_title in entry.consumers
                else index.where(entry, "provider")
            )
            yield self.finding(
                f"{ae.ae_title} ({device.name}) gets its worklist from {entry.provider} but "
                "reports no procedure step: add mpps_destination (usually the RIS) to its "
                "worklist entry",
                where,
                entity=identity.ae(ae.ae_title),
                related=[Related(index.where(ae, "ae_title"), f"{ae.ae_title} is declared here")],
            )


class WorklistProviderNotSCP(Rule):
    """A worklist provider or MPPS destination cannot serve what the entry asks of it.

    What:
        A `worklist` entry's `provider` is not an AE title of any device, or is not SCP
        for ModalityWorklistInformationModelFind; or its `mpps_destination` is unknown or
        not SCP for ModalityPerformedProcedureStep.
    Why:
        The modality's C-FIND (or N-CREATE) is rejected at association negotiation, so the
        worklist is empty and the technologist falls back to typing demographics by hand
        (practice guide, Step 1, "Modality Worklist", "MPPS", and "DICOM conformance
        validation": verify Modality Worklist and MPPS SOP class support on both ends).
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
                  - {sop_classes: [ModalityWorklistInformationModelFind, ModalityPerformedProcedureStep], role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
          - name: ris
            site: MAIN
            kind: ris
            application_entities:
              - ae_title: RIS
                transfer_capabilities:
                  - {sop_class: ModalityWorklistInformationModelFind, role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
        worklist:
          - provider: RIS
            consumers: [CT_1]
            mpps_destination: RIS
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
                  - {sop_classes: [ModalityWorklistInformationModelFind, ModalityPerformedProcedureStep], role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
          - name: ris
            site: MAIN
            kind: ris
            application_entities:
              - ae_title: RIS
                transfer_capabilities:
                  - {sop_classes: [ModalityWorklistInformationModelFind, ModalityPerformedProcedureStep], role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
        worklist:
          - provider: RIS
            consumers: [CT_1]
            mpps_destination: RIS
    """

    code = "WL003"
    name = "worklist-provider-not-scp"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        for entry in index.env.worklist:
            for key, title, sop, what in (
                (
                    "provider",
                    entry.provider,
                    dicom.MODALITY_WORKLIST_FIND,
                    "ModalityWorklistInformationModelFind",
                ),
                (
                    "mpps_destination",
                    entry.mpps_destination,
                    dicom.MPPS,
                    "ModalityPerformedProcedureStep",
                ),
            ):
                if title is None:
                    continue
                if title not in index.aes:
                    yield self.finding(
                        f"worklist {key} '{title}' is not an AE title of any device{unknown_ae_hint(index, title)}",
                        index.where(entry, key),
                        entity=_entry_entity(entry),
                        detail=_entry_detail(entry, key),
                    )
                elif index.syntaxes(title, "SCP", sop) is None:
                    yield self.finding(
                        f"worklist {key} {title} is not SCP for {what}, so "
                        f"{', '.join(entry.consumers)} cannot use it: add the capability "
                        f"(role: SCP) to {title} or name the AE that provides it",
                        index.where(entry, key),
                        entity=_entry_entity(entry),
                        detail=_entry_detail(entry, key),
                        related=ae_related(index, title, f"{title} is declared here"),
                    )


class WorklistConsumerNotSCU(Rule):
    """A worklist consumer cannot query the worklist or report MPPS.

    What:
        A `consumers` entry is not an AE title of any device, or is not SCU for
        ModalityWorklistInformationModelFind, or (when the entry has an
        `mpps_destination`) not SCU for ModalityPerformedProcedureStep.
    Why:
        An AE that never proposes the worklist presentation context never gets the
        scheduled patients, whatever the RIS is configured to send it; one that cannot
        send MPPS leaves every exam open in the RIS (practice guide, Step 1, "Modality
        Worklist" and "MPPS"). A consumer title that matches no device is usually a typo
        that the RIS's station table shares, so the real modality gets nothing.
    Bad:
        devices:
          - name: mr-1
            site: MAIN
            kind: modality
            modality: MR
            application_entities:
              - ae_title: MR_1
                acceptor: false
                transfer_capabilities:
                  - {sop_class: MRImageStorage, role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
          - name: ris
            site: MAIN
            kind: ris
            application_entities:
              - ae_title: RIS
                transfer_capabilities:
                  - {sop_class: ModalityWorklistInformationModelFind, role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
        worklist:
          - provider: RIS
            consumers: [MR_1]
    Good:
        devices:
          - name: mr-1
            site: MAIN
            kind: modality
            modality: MR
            application_entities:
              - ae_title: MR_1
                acceptor: false
                transfer_capabilities:
                  - {sop_class: MRImageStorage, role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
                  - {sop_class: ModalityWorklistInformationModelFind, role: SCU, transfer_syntaxes: [ImplicitVRLittleEndian]}
          - name: ris
            site: MAIN
            kind: ris
            application_entities:
              - ae_title: RIS
                transfer_capabilities:
                  - {sop_class: ModalityWorklistInformationModelFind, role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
        worklist:
          - provider: RIS
            consumers: [MR_1]
    """

    code = "WL004"
    name = "worklist-consumer-not-scu"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        for entry in index.env.worklist:
            for i, title in enumerate(entry.consumers):
                if title not in index.aes:
                    yield self.finding(
                        f"worklist consumer '{title}' is not an AE title of any device{unknown_ae_hint(index, title)}",
                        index.where(entry, "consumers", i),
                        entity=identity.ae(title),
                        detail=_entry_entity(entry),
                    )
                    continue
                missing = []
                if index.syntaxes(title, "SCU", dicom.MODALITY_WORKLIST_FIND) is None:
                    missing.append("ModalityWorklistInformationModelFind")
                if entry.mpps_destination and index.syntaxes(title, "SCU", dicom.MPPS) is None:
                    missing.append("ModalityPerformedProcedureStep")
                if missing:
                    device = index.aes[title][0]
                    yield self.finding(
                        f"worklist consumer {title} ({device.name}) is not SCU for "
                        f"{' or '.join(missing)}: add the capability (role: SCU) to {title}, "
                        "as its conformance statement lists it, or remove it from the entry",
                        index.where(entry, "consumers", i),
                        entity=identity.ae(title),
                        detail=_entry_entity(entry),
                        related=ae_related(index, title, f"{title} is declared here"),
                    )
