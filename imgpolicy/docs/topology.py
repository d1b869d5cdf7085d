"""The study-flow topology as a small graph, and the path each origin's studies take.

Both diagrams (SVG in the HTML, Mermaid in the Markdown) draw the same graph, so they
show the same thing. It stays readable at enterprise scale because acquisition modalities
are grouped per site and routes are bundled: one edge per (from, to, purpose), labelled
with how many routes it stands for.

Layers, left to right: acquisition modalities, routers, PACS / AI / processing (and the dose
monitor), the archive (VNA, archive of record), teleradiology.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field

from .. import identity
from ..analysis.index import Index

LAYERS = (
    ("acquisition", "Acquisition"),
    ("routing", "Routing"),
    ("reading", "PACS, AI & processing"),
    ("archive", "Archive"),
    ("teleradiology", "Teleradiology"),
)

PURPOSES = (
    "reading",
    "archive",
    "replication",
    "prefetch",
    "ai",
    "results",
    "teleradiology",
    "dose",
    "forward",
)

GROUP_LIST_LIMIT = 20
"""A site's modality group lists each AE up to this many; above, it counts per modality."""


@dataclass
class Node:
    key: str
    layer: str
    title: str
    subtitle: str = ""
    rows: list[str] = field(default_factory=list)
    roles: tuple[str, ...] = ()
    """archive (of record), replica, ai, teleradiology, dose, unknown."""
    tooltip: str = ""
    site: str = ""
    order: tuple = ()


@dataclass
class Edge:
    source: str
    target: str
    purpose: str
    enabled: bool
    routes: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.routes)


@dataclass
class Graph:
    nodes: dict[str, Node]
    edges: list[Edge]

    def layers(self) -> list[tuple[str, str, list[Node]]]:
        by_layer: dict[str, list[Node]] = defaultdict(list)
        for node in self.nodes.values():
            by_layer[node.layer].append(node)
        return [
            (key, label, sorted(by_layer[key], key=lambda n: n.order))
            for key, label in LAYERS
            if by_layer.get(key)
        ]


def _tele_sites(index: Index) -> set[str]:
    return {s.name for s in index.env.sites if s.teleradiology}


def layer_of(index: Index, title: str, tele_targets: set[str]) -> str:
    found = index.aes.get(title)
    if not found:
        return "reading"
    device = found[0]
    if device.kind == "modality":
        return "acquisition"
    if device.site in _tele_sites(index) or (
        title in tele_targets and not device.is_archive_of_record
    ):
        return "teleradiology"
    if device.kind == "router":
        return "routing"
    if device.kind == "vna" or device.is_archive_of_record:
        return "archive"
    return "reading"


def build_graph(index: Index) -> Graph:
    env = index.env
    site_order = {s.name: i for i, s in enumerate(env.sites)}
    tele_targets = {r.to for r in env.routes if r.purpose == "teleradiology"}
    ai_hosts = {p.runs_on for p in env.ai}
    titles: list[str] = []
    for route in env.routes:
        titles += [route.from_, route.to]
    titles += sorted(index.archive_titles)
    titles += [p.runs_on for p in env.ai]
    if env.dose_monitor:
        titles.append(env.dose_monitor)

    nodes: dict[str, Node] = {}
    node_of: dict[str, str] = {}
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)  # site -> (modality, title)
    for title in dict.fromkeys(titles):
        layer = layer_of(index, title, tele_targets)
        found = index.aes.get(title)
        device = found[0] if found else None
        if layer == "acquisition" and device is not None:
            key = f"acq:{device.site}"
            node_of[title] = key
            groups[device.site].append(("/".join(device.modality) or "?", title))
            continue
        roles = []
        if device is None:
            roles.append("unknown")
        else:
            if device.is_archive_of_record:
                roles.append("archive")
            elif device.kind == "vna":
                roles.append("replica")
            if device.kind == "ai" or title in ai_hosts:
                roles.append("ai")
            if layer == "teleradiology":
                roles.append("teleradiology")
            if device.kind == "dose-monitor" or title == env.dose_monitor:
                roles.append("dose")
        site = device.site if device else ""
        subtitle = f"{device.name} · {device.site}" if device else "no device declares it"
        badge = {"archive": "archive of record", "replica": "replica"}
        tooltip = (
            f"{title}: {device.name} ({device.kind}) at {device.site}"
            if device
            else f"{title}: no device declares it"
        ) + "".join(f" · {badge[r]}" for r in roles if r in badge)
        key = identity.ae(title)
        node_of[title] = key
        nodes[key] = Node(
            key,
            layer,
            title,
            subtitle,
            roles=tuple(roles),
            tooltip=tooltip,
            site=site,
            order=(site_order.get(site, len(site_order)), site, title),
        )
    for site, members in groups.items():
        members.sort(key=lambda m: (m[0], m[1]))
        if len(members) <= GROUP_LIST_LIMIT:
            rows = [f"{modality}  {title}" for modality, title in members]
        else:
            counts: dict[str, int] = defaultdict(int)
            for modality, _ in members:
                counts[modality] += 1
            rows = [f"{modality} ×{n}" for modality, n in sorted(counts.items())]
        key = f"acq:{site}"
        plural = "modality" if len(members) == 1 else "modalities"
        nodes[key] = Node(
            key,
            "acquisition",
            site,
            f"{len(members)} {plural}",
            rows=rows,
            tooltip=f"{site}: " + ", ".join(t for _, t in members),
            site=site,
            order=(site_order.get(site, len(site_order)), site, ""),
        )

    bundles: dict[tuple[str, str, str, bool], Edge] = {}
    for route in env.routes:
        source, target = node_of[route.from_], node_of[route.to]
        bundle = (source, target, route.purpose, route.enabled)
        if bundle not in bundles:
            bundles[bundle] = Edge(source, target, route.purpose, route.enabled)
        bundles[bundle].routes.append(route.name)
    edges = sorted(
        bundles.values(),
        key=lambda e: (
            nodes[e.source].order,
            nodes[e.target].order,
            PURPOSES.index(e.purpose) if e.purpose in PURPOSES else 99,
            not e.enabled,
        ),
    )
    return Graph(nodes, edges)


# --- the path each origin's studies take ------------------------------------------------


@dataclass
class OriginPaths:
    origin: str
    reached: dict[str, tuple[str, str] | None]
    """AE title -> (previous hop, route name) on the first path found (None for the origin)."""
    arrived: dict[str, set] = field(default_factory=dict)
    """AE title -> the origin's items that reach it (and it accepts)."""

    def chain(self, title: str) -> list[str]:
        hops = [title]
        while True:
            prev = self.reached.get(hops[-1])
            if prev is None:
                break
            hops.append(prev[0])
        return hops[::-1]


def origin_paths(index: Index, origin: str, filters: dict | None = None) -> OriginPaths:
    """Follow only the items `origin` produces, the way Flow does for all origins at once:
    a route without `match` forwards what reached its source, `calling_ae` looks at the
    previous hop, prefetched priors are not forwarded again. Breadth first, so each AE is
    reached by its shortest path. `filters` caches each route's match as sets across
    calls (pass the same dict for every origin of one index)."""
    if filters is None:
        filters = {}
    items0 = index.flow.origin(origin)
    arrived_from: dict[str, dict[str, set]] = defaultdict(dict)
    available: dict[str, set] = defaultdict(set)
    available[origin] = set(items0)
    reached: dict[str, tuple[str, str] | None] = {origin: None}
    queue = deque([origin])
    carried: dict[int, set] = defaultdict(set)
    while queue:
        title = queue.popleft()
        senders = arrived_from[title]
        if title not in filters:
            filters[title] = _routes_by_sender(index, title)
        open_routes, by_sender = filters[title]
        candidates = list(open_routes)
        for sender in sorted(senders.keys() | ({origin} if title == origin else set())):
            candidates.extend(by_sender.get(sender, ()))
        candidates.sort(key=lambda rc: rc[0])
        for _, route, (calling, sops, modalities) in candidates:
            key = id(route)
            items = available[title]
            if calling:
                chosen: set = set()
                for sender, got in senders.items():
                    if sender in calling:
                        chosen |= got
                if title == origin and origin in calling:
                    chosen |= items0
                items = chosen & items
                if not items:
                    continue
            if sops:
                items = {i for i in items if i[1] in sops}
            if modalities:
                items = {i for i in items if i[0] in modalities}
            if not items:
                continue
            new = items - carried[key]
            if not new:
                continue
            carried[key] |= new
            dest = route.to
            accepted = index.storage_scp(dest)
            new = {i for i in new if i[1] in accepted}
            if not new:
                continue
            arrived_from[dest].setdefault(title, set()).update(new)
            if dest not in reached:
                reached[dest] = (title, route.name)
            if route.purpose == "prefetch":
                continue
            sendable = index.storage_scu(dest)
            grow = {i for i in new if i[1] in sendable} - available[dest]
            if grow:
                available[dest] |= grow
                queue.append(dest)
    arrived = {
        dest: set().union(*by_sender.values())
        for dest, by_sender in arrived_from.items()
        if by_sender
    }
    return OriginPaths(origin, reached, arrived)


def _routes_by_sender(index: Index, title: str):
    """The enabled routes from `title`, as (position, route, (calling AEs, SOP classes,
    modalities)): those without a calling-AE filter, and the others by calling AE, so a
    walk looks only at routes that can match the AE a study came from."""
    open_routes, by_sender = [], defaultdict(list)
    for position, route in enumerate(index.routes_from.get(title, ())):
        if not route.enabled:
            continue
        m = route.match
        wanted = (
            (frozenset(), frozenset(), frozenset())
            if m is None
            else (frozenset(m.calling_ae), frozenset(m.sop_classes), frozenset(m.modality))
        )
        entry = (position, route, wanted)
        if wanted[0]:
            for sender in wanted[0]:
                by_sender[sender].append(entry)
        else:
            open_routes.append(entry)
    return open_routes, by_sender
