"""What each route carries, computed once over the whole route graph.

A route without `match` carries whatever reaches its source: what a modality is SCU for,
or, for a router or PACS, what arrives over its inbound routes and it can send on. So a
mammography study that a router forwards "everything" to teleradiology is seen on that
route just as if the modality had sent it there directly. The transfer-syntax, lossy-
compression, AI-clearance, dose and archive-reachability rules all read this one result.

Prefetch routes carry priors that are pulled on demand from the archive; what arrives over
them is not forwarded again, so a PACS that archives to the VNA and prefetches from it is
not a loop.

A loop is judged per item and per hop (`loops`): an item that arrives at an AE from a
sender is forwarded only by the routes whose `match.calling_ae` (if any) names that sender,
so two sites that sync each other's own studies (each route restricted to the local
modalities' calling AEs) form no loop, while "forward everything both ways" does.

An item is `(modality, SOP class UID)`: the modality of the device that produced it
("" when unknown, e.g. an AI result) and what it is stored as.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..model.routes import Route

if TYPE_CHECKING:
    from .index import Index

Item = tuple[str, str]

ORIGINATING_KINDS = frozenset({"modality", "ai", "workstation", "radiopharmacy"})
"""Devices whose own storage SCU classes start flows (the others only forward); a
radiopharmacy (hot-lab) system originates the Radiopharmaceutical Radiation Dose SRs."""


@dataclass
class Loop:
    """Routes around which some items can travel for ever: the AEs they pass, the routes
    (in declaration order) and the items that circulate."""

    titles: frozenset[str]
    routes: list[Route] = field(default_factory=list)
    items: set[Item] = field(default_factory=set)


Hop = tuple[str, str]
"""(AE title an item is at, the AE it arrived from; the AE itself where it originates)."""


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
        self._sets: dict[int, frozenset[str]] = {}
        self._routes_into: dict[Item, dict[str, list[str]]] | None = None
        self._compute()

    def origin(self, title: str) -> set[Item]:
        return self._origin.get(title, set())

    def carries(self, route: Route) -> set[Item]:
        return self.carried.get(id(route), set())

    def _compute(self) -> None:
        index = self.index
        storage_scu, storage_scp = index.storage_scu, index.storage_scp
        available, carried = self.available, self.carried
        queue: deque[str] = deque()
        for device, ae in index.env.application_entities():
            if device.kind not in ORIGINATING_KINDS:
                continue
            modalities = device.modality or [""]
            items = {(m, sop) for sop in storage_scu(ae.ae_title) for m in modalities}
            if items:
                self._origin[ae.ae_title] = items
                available[ae.ae_title] |= items
                queue.append(ae.ae_title)
        queued = set(queue)
        while queue:
            title = queue.popleft()
            queued.discard(title)
            for route in index.routes_from.get(title, ()):
                if not route.enabled:
                    continue
                new = self._matching(route)
                if not new:
                    continue
                had = carried.get(id(route))
                if had:
                    new = new - had
                    if not new:
                        continue
                    had |= new
                else:
                    carried[id(route)] = new  # `_matching` built it for this route
                dest = route.to
                accepted = storage_scp(dest)
                new = {item for item in new if item[1] in accepted}
                if not new:
                    continue  # RT002 reports what the destination refuses
                self.arriving[dest] |= new
                self.arriving_from[dest][title] |= new
                if route.purpose == "prefetch":
                    continue  # priors fetched on demand are not forwarded again
                sendable = storage_scu(dest)
                grow = {item for item in new if item[1] in sendable} - available[dest]
                if grow:
                    available[dest] |= grow
                    if dest not in queued:
                        queued.add(dest)
                        queue.append(dest)

    def _matching(self, route: Route) -> set[Item]:
        """What `route` takes of what its source holds now (its `match` applied), as a
        new set."""
        source = route.from_
        match = route.match
        available = self.available[source]
        if match is None:
            return set(available)
        items = available
        if match.calling_ae:
            by_sender = self.arriving_from[source]
            chosen: set[Item] = set()
            for sender in match.calling_ae:
                chosen |= by_sender.get(sender, set())
                if sender == source:
                    chosen |= self.origin(source)
            items = chosen & available
        if match.sop_classes:
            wanted = self._wanted(match.sop_classes)
            items = {i for i in items if i[1] in wanted}
        if match.modality:
            modalities = self._wanted(match.modality)
            items = {i for i in items if i[0] in modalities}
        return items if items is not available else set(items)

    def _wanted(self, listed: list[str]) -> frozenset[str]:
        """A match's list as a set, built once per list (routes are walked again each time
        their source receives more)."""
        found = self._sets.get(id(listed))
        if found is None:
            found = self._sets[id(listed)] = frozenset(listed)
        return found

    def reaching(self, targets: frozenset[str]) -> dict[Item, set[str]]:
        """Item -> AE titles from which that item reaches one of `targets` over routes.

        One reverse walk per distinct item over the routes that carry it: linear in
        routes x item kinds, not in AEs x AEs.
        """
        if targets in self._reach_cache:
            return self._reach_cache[targets]
        reach: dict[Item, set[str]] = {}
        for item, into in self._senders().items():
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

    def _senders(self) -> dict[Item, dict[str, list[str]]]:
        """Item -> AE title -> the AEs whose routes deliver that item to it (and it accepts),
        in route order: the reverse graph every `reaching` walks, built once."""
        if self._routes_into is None:
            routes_into: dict[Item, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
            storage_scp = self.index.storage_scp
            for route in self.index.env.routes:
                carried = self.carried.get(id(route))
                if not carried:
                    continue
                accepted = storage_scp(route.to)
                for item in carried:
                    if item[1] in accepted:
                        routes_into[item][route.to].append(route.from_)
            self._routes_into = routes_into
        return self._routes_into

    def loops(self) -> list[Loop]:
        """Cycles of routes around which some item can travel all the way round, honouring
        each route's match per hop (`calling_ae` names the AE the item arrived from).

        One walk per distinct item over the (AE, arrived-from) hops it can reach from where
        it originates; a strongly connected set of hops is a loop. Loops through the same
        AEs merge into one, whatever the items."""
        index = self.index
        position = {id(r): i for i, r in enumerate(index.env.routes)}
        forwarding: dict[str, list[Route]] = defaultdict(list)
        for route in index.env.routes:
            if route.enabled and route.purpose != "prefetch" and self.carried.get(id(route)):
                forwarding[route.from_].append(route)
        # only items carried on a cycle of the plain route graph can go round: most
        # environments have no cycle, and then no item needs a walk
        on_cycle = {
            id(route)
            for _, inner in _cycles(
                [(t, t) for t in sorted(forwarding)],
                lambda hop: [((r.to, r.to), r) for r in forwarding.get(hop[0], ())],
            )
            for route in inner
        }
        circling = {
            item
            for routes in forwarding.values()
            for r in routes
            if id(r) in on_cycle
            for item in self.carried[id(r)]
        }
        by_item: dict[Item, list[Route]] = defaultdict(list)
        for routes in forwarding.values():
            for route in routes:
                for item in self.carried[id(route)] & circling:
                    by_item[item].append(route)
        starts: dict[Item, list[Hop]] = defaultdict(list)
        for title, items in self._origin.items():
            for item in items:
                starts[item].append((title, title))
        found: dict[frozenset[str], Loop] = {}
        for item in sorted(by_item):
            routes_from: dict[str, list[Route]] = defaultdict(list)
            for route in by_item[item]:
                if item[1] in index.storage_scp(route.to):
                    routes_from[route.from_].append(route)

            def onward(hop: Hop, routes_from=routes_from, item=item) -> list[tuple[Hop, Route]]:
                title, sender = hop
                if title != sender and item[1] not in index.storage_scu(title):
                    return []  # it cannot send what it received
                out = []
                for route in routes_from.get(title, ()):
                    match = route.match
                    if match is not None and match.calling_ae and sender not in match.calling_ae:
                        continue
                    out.append(((route.to, title), route))
                return out

            for component, edges in _cycles(starts.get(item, []), onward):
                titles = frozenset(title for title, _ in component)
                loop = found.setdefault(titles, Loop(titles))
                loop.items.add(item)
                for route in edges:
                    if all(r is not route for r in loop.routes):
                        loop.routes.append(route)
        for loop in found.values():
            loop.routes.sort(key=lambda r: position[id(r)])
        return sorted(found.values(), key=lambda lp: sorted(lp.titles))


Node = Hop


def _cycles(
    roots: Iterable[Node], onward: Callable[[Node], list[tuple[Node, Route]]]
) -> list[tuple[set[Node], list[Route]]]:
    """Tarjan's algorithm, iteratively, over the nodes reachable from `roots`: each
    strongly connected set that contains a cycle, with the routes of its inner edges."""
    index_of: dict[Node, int] = {}
    low: dict[Node, int] = {}
    on_stack: set[Node] = set()
    stack: list[Node] = []
    successors: dict[Node, list[tuple[Node, Route]]] = {}
    found: list[tuple[set[Node], list[Route]]] = []
    counter = 0

    def enter(node: Node) -> None:
        nonlocal counter
        index_of[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        successors[node] = onward(node)

    for root in roots:
        if root in index_of:
            continue
        enter(root)
        work = [(root, iter(successors[root]))]
        while work:
            node, children = work[-1]
            advanced = False
            for child, _ in children:
                if child not in index_of:
                    enter(child)
                    work.append((child, iter(successors[child])))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index_of[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] != index_of[node]:
                continue
            component: set[Node] = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            inner = [r for m in component for child, r in successors[m] if child in component]
            if inner:  # more than one node, or a node with an edge to itself
                found.append((component, inner))
    return found
