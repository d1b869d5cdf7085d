"""Which acquisition AEs a Modality Worklist serves: what rule WL001 reports and what the
documents list, computed in one place."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from ..model.devices import ApplicationEntity, Device
from ..model.worklist import WorklistAssignment
from .index import ACQUISITION_KIND, Index


def acquisition_aes(index: Index) -> Iterator[tuple[Device, ApplicationEntity]]:
    """(device, AE) of every acquisition modality AE that initiates associations."""
    for device, ae in index.env.application_entities():
        if device.kind == ACQUISITION_KIND and ae.initiator:
            yield device, ae


def entries_by_consumer(index: Index) -> dict[str, list[WorklistAssignment]]:
    by_consumer: dict[str, list[WorklistAssignment]] = defaultdict(list)
    for entry in index.env.worklist:
        for title in entry.consumers:
            if not by_consumer[title] or by_consumer[title][-1] is not entry:
                by_consumer[title].append(entry)
    return by_consumer


def device_entries(
    device: Device, by_consumer: dict[str, list[WorklistAssignment]]
) -> list[WorklistAssignment]:
    """The worklist entries of any AE of `device`: a modality that queries the worklist
    through a sibling AE (one AE for storage, one for MWL) is served."""
    entries: dict[int, WorklistAssignment] = {}
    for ae in device.application_entities:
        for entry in by_consumer.get(ae.ae_title, ()):
            entries.setdefault(id(entry), entry)
    return list(entries.values())


def unserved(index: Index) -> Iterator[tuple[Device, ApplicationEntity]]:
    """Order-based acquisition AEs that no worklist entry serves (encounter-based devices,
    IHE EBIW, take their patient from the encounter instead)."""
    by_consumer = entries_by_consumer(index)
    for device, ae in acquisition_aes(index):
        if device.workflow != "encounter-based" and not device_entries(device, by_consumer):
            yield device, ae
