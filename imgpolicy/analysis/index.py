"""The lookups every rule needs, built once per check so no rule compares all with all."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from functools import cached_property

from .. import dicom
from ..findings import Location
from ..load import LoadResult
from ..model.devices import ApplicationEntity, Device
from ..model.routes import Route
from ..model.sites import Site
from .flow import Flow

CRITICAL_KINDS = frozenset({"pacs", "vna", "ris", "router", "dose-monitor"})
ACQUISITION_KIND = "modality"


def is_storage(sop_uid: str) -> bool:
    """A SOP class that carries content (images, SRs...), not a service like MWL or MPPS."""
    info = dicom.lookup(sop_uid)
    if info is None:
        return False
    if info.private:
        return info.is_sop_class  # vendors declare private storage classes (sent by C-STORE)
    return "Storage" in info.name and "Commitment" not in info.name


def declared_syntax(route: Route, sop_uid: str) -> str | None:
    """The transfer syntax `route` is declared to use for `sop_uid`: its per-class entry in
    `transfer_syntaxes`, else its `transfer_syntax`; None when the ends negotiate it."""
    return route.transfer_syntaxes.get(sop_uid) or route.transfer_syntax


def keyword(uid: str) -> str:
    """The spelling users write (and reports show): the pydicom keyword, or the UID."""
    info = dicom.lookup(uid)
    return info.keyword if info and info.keyword else uid


_NO_ROLES: dict[str, dict[str, list[str]]] = {}
_NO_CLASSES: dict[str, list[str]] = {}


def _roles(ae: ApplicationEntity) -> dict[str, dict[str, list[str]]]:
    """Role -> SOP class UID -> transfer syntaxes (in order of preference, each once) of
    one AE, its capabilities for the same class and role merged in declaration order."""
    roles: dict[str, dict[str, list[str]]] = {"SCU": {}, "SCP": {}}
    for cap in ae.transfer_capabilities:
        by_class = roles[cap.role]
        syntaxes = cap.transfer_syntaxes
        for sop in cap.classes:
            listed = by_class.get(sop)
            if listed is None:
                by_class[sop] = list(dict.fromkeys(syntaxes))
            else:
                listed.extend(ts for ts in dict.fromkeys(syntaxes) if ts not in listed)
    return roles


class Index:
    def __init__(self, result: LoadResult, today: date):
        self.result = result
        self.env = result.environment
        self.today = today
        env = self.env
        self.sites: dict[str, Site] = {s.name: s for s in env.sites}
        self.devices: dict[str, Device] = {d.name: d for d in env.devices}
        self.aes: dict[str, tuple[Device, ApplicationEntity]] = {}
        self.aes_folded: dict[str, list[tuple[Device, ApplicationEntity]]] = defaultdict(list)
        # AE title -> role -> SOP class UID -> transfer syntaxes (in order of preference)
        self.capabilities: dict[str, dict[str, dict[str, list[str]]]] = {}
        for device, ae in env.application_entities():
            self.aes.setdefault(ae.ae_title, (device, ae))
            self.aes_folded[ae.ae_title.casefold()].append((device, ae))
            self.capabilities[ae.ae_title] = _roles(ae)
        self.routes_from: dict[str, list[Route]] = defaultdict(list)
        self.routes_to: dict[str, list[Route]] = defaultdict(list)
        for route in env.routes:
            self.routes_from[route.from_].append(route)
            self.routes_to[route.to].append(route)
        self._storage_cache: dict[str, dict[str, frozenset[str]]] = {"SCU": {}, "SCP": {}}
        self._is_storage: dict[str, bool] = {}
        self._carried_classes: dict[int, list[str]] = {}
        self._sorted_classes: dict[frozenset[str], list[str]] = {}
        self._shared: dict[object, object] = {}

    def shared(self, key: object, build):
        """A result several rules of a family need, built once per check (`build(self)`)."""
        if key not in self._shared:
            self._shared[key] = build(self)
        return self._shared[key]

    # --- locations --------------------------------------------------------------

    def where(self, item: object, *path: str | int) -> Location:
        """file:line:col of a merged item, or of a node inside it."""
        return self.result.location(item, *path)

    # --- AEs and devices ----------------------------------------------------------

    def device_of(self, title: str) -> Device | None:
        found = self.aes.get(title)
        return found[0] if found else None

    def site_of(self, title: str) -> Site | None:
        device = self.device_of(title)
        return self.sites.get(device.site) if device else None

    def syntaxes(self, title: str, role: str, sop_uid: str) -> list[str] | None:
        """Transfer syntaxes `title` offers for `sop_uid` in `role`; None when it has no such
        capability."""
        return self.capabilities.get(title, {}).get(role, {}).get(sop_uid)

    def storage_scu(self, title: str) -> frozenset[str]:
        """Storage SOP classes `title` can send."""
        return self._storage(title, "SCU")

    def storage_scp(self, title: str) -> frozenset[str]:
        """Storage SOP classes `title` accepts."""
        return self._storage(title, "SCP")

    def _storage(self, title: str, role: str) -> frozenset[str]:
        cache = self._storage_cache[role]
        found = cache.get(title)
        if found is None:
            classes = self.capabilities.get(title, {}).get(role, {})
            found = cache[title] = frozenset(s for s in classes if self._stores(s))
        return found

    def _stores(self, sop_uid: str) -> bool:
        """`is_storage`, asked once per SOP class: a thousand modalities list the same few."""
        stores = self._is_storage.get(sop_uid)
        if stores is None:
            stores = self._is_storage[sop_uid] = is_storage(sop_uid)
        return stores

    def carried_classes(self, route: Route) -> list[str]:
        """The SOP classes `route` carries (`flow`), in the order findings list them (by
        keyword); worked out once per route for all the rules that walk them, and sorted
        once per distinct set of classes (routes repeat a few). Shared: do not change it."""
        found = self._carried_classes.get(id(route))
        if found is None:
            classes = frozenset([sop for _, sop in self.flow.carries(route)])
            found = self._sorted_classes.get(classes)
            if found is None:
                found = self._sorted_classes[classes] = sorted(classes, key=keyword)
            self._carried_classes[id(route)] = found
        return found

    def role_classes(self, title: str, role: str) -> dict[str, list[str]]:
        """SOP class UID -> the transfer syntaxes `title` lists for it in `role` (empty when
        the AE is unknown): one lookup per AE for loops over many classes (see `syntaxes`)."""
        return self.capabilities.get(title, _NO_ROLES).get(role, _NO_CLASSES)

    @cached_property
    def acquisition_modalities(self) -> dict[str, list[tuple[Device, int]]]:
        """Modality in use -> the acquisition devices using it (with the modality's position
        in the device's `modality` list), in declaration order."""
        used: dict[str, list[tuple[Device, int]]] = {}
        for device in self.env.devices:
            if device.kind == ACQUISITION_KIND:
                for i, modality in enumerate(device.modality):
                    used.setdefault(modality, []).append((device, i))
        return used

    @cached_property
    def archive_titles(self) -> frozenset[str]:
        """AEs of the archive of record (a `vna`, or a device flagged archive_of_record)."""
        return frozenset(
            ae.ae_title for d, ae in self.env.application_entities() if d.is_archive_of_record
        )

    @cached_property
    def flow(self) -> Flow:
        return Flow(self)

    def where_class_syntax(self, route: Route, sop_uid: str) -> Location:
        """file:line:col of `sop_uid`'s entry in the route's `transfer_syntaxes`, found by
        the key as the file spells it (a keyword, a UID or a private name)."""
        file, loc = self.env.origin(route)
        node: object = self.result.sources[file].data
        for part in (*loc, "transfer_syntaxes"):
            node = node[part]  # type: ignore[index]
        for key in node if isinstance(node, dict) else ():
            info = dicom.lookup(key) if isinstance(key, str) else None
            if info is not None and info.uid == sop_uid:
                return self.where(route, "transfer_syntaxes", key)
        return self.where(route, "transfer_syntaxes")

    def route_syntaxes(self, route: Route, sop_uid: str) -> list[str]:
        """Transfer syntaxes that may be used on `route` for `sop_uid`: the one declared for
        that class or for the route, or any both ends list (the acceptor chooses)."""
        declared = declared_syntax(route, sop_uid)
        if declared:
            return [declared]
        offered = self.syntaxes(route.from_, "SCU", sop_uid) or []
        accepted = set(self.syntaxes(route.to, "SCP", sop_uid) or [])
        return [ts for ts in offered if ts in accepted]
