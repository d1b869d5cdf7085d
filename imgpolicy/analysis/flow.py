"""What each route carries, computed once over the whole route graph.

A route without `match` carries whatever reaches its source: what a modality is SCU for,
or, for a router or PACS, what arrives over its inbound routes and it can send on. So a
mammography study that a router forwards "everything" to teleradiology is seen on that
route just as if the modality had sent it there directly. The transfer-syntax, lossy-
compression, AI-clearance, dose and archive-reachability rules all read this one result.

Prefetch routes carry priors that are pulled on demand from the archive; what arrives over
them is not forwarded again, so a PACS that archives to the VNA and prefetches from it is
not a loop.

An item is `(modality, SOP class UID)`: the modality of the device that produced it
("" when unknown, e.g. an AI result) and what it is stored as.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..model.routes import Route

if TYPE_CHECKING:
    from .index import Index

Item = tuple[str, str]

ORIGINATING_KINDS = frozenset({"modality", "ai", "workstation"})
"""Devices whose own storage SCU classes start flows (the others only forward)."""


class Flow:
    def __init__(self, index: Index):
        self.index = index
        self.available: dict[str, set[Item]] = defaultdict(set)
        """AE title -> items it holds and can send on."""
        self.arriving: dict[str, set[Item]] = defaultdict(set)
        """AE title -> items that reach it over routes and that it accepts as SCP."""
        self.arriving_from: dict[str, dict[str, set[Item]]] = defaultdict(lambda: defaultdict(set))
        self.carried: dict[int, set[Item]] = defaultdict(set)
        """id(route) -> items it carries."""
        self._origin: dict[str, set[Item]] = {}
        self._reach_cache: dict[frozenset[str], dict[Item, set[str]]] = {}
        self._compute()

    def origin(self, title: str) -> set[Item]:
        return self._origin.get(title, set())

    def carries(self, route: Route) -> set[Item]:
        return self.carried.get(id(route), set())

    def _compute(self) -> None:
        index = self.index
        queue: deque[str] = deque()
        for device, ae in index.env.application_entities():
            if device.kind not in ORIGINATING_KINDS:
                continue
            modalities = device.modality or [""]
            items = {(m, sop) for sop in index.storage_scu(ae.ae_title) for m in modalities}
            if items:
                self._origin[ae.ae_title] = items
                self.available[ae.ae_title] |= items
                queue.append(ae.ae_title)
        queued = set(queue)
        while queue:
            title = queue.popleft()
            queued.discard(title)
            for route in index.routes_from.get(title, ()):
                if not route.enabled:
                    continue
                new = self._matching(route) - self.carried[id(route)]
                if not new:
                    continue
                self.carried[id(route)] |= new
                dest = route.to
                accepted = index.storage_scp(dest)
                new = {item for item in new if item[1] in accepted}
                if not new:
                    continue  # RT002 reports what the destination refuses
                self.arriving[dest] |= new
                self.arriving_from[dest][title] |= new
                if route.purpose == "prefetch":
                    continue  # priors fetched on demand are not forwarded again
                sendable = index.storage_scu(dest)
                grow = {item for item in new if item[1] in sendable} - self.available[dest]
                if grow:
                    self.available[dest] |= grow
                    if dest not in queued:
                        queued.add(dest)
                        queue.append(dest)

    def _matching(self, route: Route) -> set[Item]:
        source = route.from_
        match = route.match
        if match is None:
            return self.available[source]
        items: Iterable[Item] = self.available[source]
        if match.calling_ae:
            by_sender = self.arriving_from[source]
            chosen: set[Item] = set()
            for sender in match.calling_ae:
                chosen |= by_sender.get(sender, set())
                if sender == source:
                    chosen |= self.origin(source)
            items = chosen & self.available[source]
        if match.sop_classes:
            wanted = set(match.sop_classes)
            items = {i for i in items if i[1] in wanted}
        if match.modality:
            modalities = set(match.modality)
            items = {i for i in items if i[0] in modalities}
        return set(items)

    def reaching(self, targets: frozenset[str]) -> dict[Item, set[str]]:
        """Item -> AE titles from which that item reaches one of `targets` over routes.

        One reverse walk per distinct item over the routes that carry it: linear in
        routes x item kinds, not in AEs x AEs.
        """
        if targets in self._reach_cache:
            return self._reach_cache[targets]
        routes_into: dict[Item, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for route in self.index.env.routes:
            accepted = self.index.storage_scp(route.to)
            for item in self.carried.get(id(route), ()):
                if item[1] in accepted:
                    routes_into[item][route.to].append(route.from_)
        reach: dict[Item, set[str]] = {}
        for item, into in routes_into.items():
            seen = set(targets)
            stack = list(seen)
            while stack:
                node = stack.pop()
                for source in into.get(node, ()):
                    if source not in seen:
                        seen.add(source)
                        stack.append(source)
            reach[item] = seen
        self._reach_cache[targets] = reach
        return reach
