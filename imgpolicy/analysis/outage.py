"""What stops when some devices are down: the what-if of `imgpolicy check --down` and the
failure-impact table of the documents, computed in one place.

The same walk the rules use (`Reach`, over what each route lets through and who sent it)
runs twice: once as declared and once with every route into or out of a down device's AEs
taken away. An acquisition AE whose studies reached a destination before and no longer do
has lost it; one that reaches nothing any more has stopped. Each down device is then set
against its continuity plan (a read-only fallback that is itself up, replication, RTO), and
each site against what its modalities lose: worklist, reading (a PACS) or the archive of
record.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ..model.continuity import ContinuityPlan
from .index import ACQUISITION_KIND, Index
from .reach import Reach
from .worklist import acquisition_aes, device_entries, entries_by_consumer

_PURPOSE_OF_KIND = {
    "pacs": "PACS",
    "ai": "AI",
    "dose-monitor": "dose monitor",
    "viewer": "viewer",
    "workstation": "workstation",
}


@dataclass(frozen=True)
class LostFlow:
    """One acquisition AE's studies and the destinations they no longer reach."""

    ae_title: str
    device: str
    site: str
    produces: tuple[str, ...]
    """The modalities the device acquires."""
    lost: tuple[tuple[str, str], ...]
    """(purpose, AE title) of each destination lost, sorted."""
    stops: bool
    """Nothing is reached any more: the modality has nowhere to send."""

    def as_dict(self) -> dict:
        return {
            "ae_title": self.ae_title,
            "device": self.device,
            "site": self.site,
            "produces": list(self.produces),
            "stops": self.stops,
            "lost": [{"purpose": p, "ae_title": t} for p, t in self.lost],
        }


@dataclass(frozen=True)
class DownSystem:
    """A down device and what its continuity plan offers while it is down."""

    device: str
    kind: str
    site: str
    plan: bool
    fallback: str | None
    fallback_up: bool
    rto: str | None
    replication: str | None

    @property
    def covered(self) -> bool:
        """A plan exists and keeps something going: a fallback that is up, or a replica."""
        return self.plan and (
            (self.fallback is not None and self.fallback_up) or bool(self.replication)
        )

    def as_dict(self) -> dict:
        return {
            "device": self.device,
            "kind": self.kind,
            "site": self.site,
            "continuity_plan": self.plan,
            "read_only_fallback": self.fallback,
            "fallback_up": self.fallback_up,
            "rto": self.rto,
            "replication": self.replication,
            "covered": self.covered,
        }


@dataclass
class Outage:
    """The whole what-if: the down devices, the flows they break, what each site loses."""

    down: list[DownSystem]
    flows: list[LostFlow]
    sites: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    """Site -> what some of its modalities lose ('worklist', 'reading', 'archive') -> the
    acquisition AEs that lose it."""

    def as_dict(self) -> dict:
        return {
            "devices": [d.as_dict() for d in self.down],
            "flows": [f.as_dict() for f in self.flows],
            "sites": dict(sorted(self.sites.items())),
        }

    def as_text(self) -> str:
        """The section of the text report, one line per fact."""
        names = ", ".join(d.device for d in self.down)
        lines = [f"What-if: {names} down"]
        for d in self.down:
            lines.append(f"  {d.device} ({d.kind}, {d.site}): {_plan_words(d)}")
        if not self.flows:
            lines.append("  No flow stops or loses a destination.")
        for f in self.flows:
            what = "stops" if f.stops else "loses"
            lost = ", ".join(f"{t} ({p})" for p, t in f.lost)
            produces = "/".join(f.produces) or "-"
            lines.append(f"  {f.ae_title} [{produces}] at {f.site} {what}: {lost}")
        for site, losses in sorted(self.sites.items()):
            for what, aes in losses.items():
                lines.append(f"  Site {site} loses {what} for {len(aes)} AE(s): {', '.join(aes)}")
        return "\n".join(lines) + "\n"


def _plan_words(d: DownSystem) -> str:
    if not d.plan:
        return "no continuity plan"
    parts = [f"RTO {d.rto or 'not stated'}"]
    if d.fallback:
        parts.append(f"fallback {d.fallback}" + ("" if d.fallback_up else " (also down)"))
    else:
        parts.append("no read-only fallback")
    parts.append(f"replication {d.replication}" if d.replication else "no replication")
    parts.append("covered" if d.covered else "NOT covered")
    return "; ".join(parts)


class _WithoutDevices:
    """The check's Index seen with the down devices' routes taken away: `Reach` walks
    `routes_from`, so hiding those routes is the whole outage."""

    def __init__(self, index: Index, titles: frozenset[str]):
        self._index = index
        self.routes_from = _RoutesWithout(index.routes_from, titles)

    def __getattr__(self, name: str):
        return getattr(self._index, name)


class _RoutesWithout:
    """`Index.routes_from` without the routes from or to the down AEs, filtered per
    source when a walk first asks (an outage walks again only what reached them, so
    copying every route of the estate would be most of its cost)."""

    def __init__(self, routes_from: dict, titles: frozenset[str]):
        self._all = routes_from
        self._titles = titles
        self._kept: dict[str, list] = {}

    def get(self, source: str, default=()):
        if source in self._titles or source not in self._all:
            return default
        if source not in self._kept:
            self._kept[source] = [r for r in self._all[source] if r.to not in self._titles]
        return self._kept[source]


def unknown_devices(index: Index, names: Iterable[str]) -> list[str]:
    """Each name given to --down that names no device, with the closest device names."""
    problems = []
    for name in names:
        if name not in index.devices:
            close = difflib.get_close_matches(name, index.devices, n=3, cutoff=0.5)
            hint = f" (did you mean {' or '.join(close)}?)" if close else ""
            problems.append(f"{name!r} is not the name of a device{hint}")
    return problems


def outage(index: Index, names: Iterable[str]) -> Outage:
    """What stops when the devices `names` (all known) are down."""
    down_devices = [index.devices[n] for n in dict.fromkeys(names)]
    flows: list[LostFlow] = []
    sites: dict[str, dict[str, set[str]]] = {}
    for device, ae, lost, stops, site_losses in _broken(index, down_devices):
        if lost:
            flows.append(
                LostFlow(ae.ae_title, device.name, device.site, tuple(device.modality), lost, stops)
            )
        for what in site_losses:
            sites.setdefault(device.site, {}).setdefault(what, set()).add(ae.ae_title)
    plans = {p.system: p for p in index.env.continuity}
    down_names = {d.name for d in down_devices}
    down = [_down_system(d, plans.get(d.name), down_names) for d in down_devices]
    flows.sort(key=lambda f: (f.site, f.ae_title))
    order = ("worklist", "reading", "archive")
    return Outage(
        down,
        flows,
        {s: {w: sorted(lost[w]) for w in order if w in lost} for s, lost in sorted(sites.items())},
    )


def _broken(index: Index, down_devices: list) -> Iterator[tuple]:
    """(device, AE, destinations lost, whether it stops, site losses) of each acquisition
    AE the outage of `down_devices` takes something from, in the order of the estate's
    AEs, for the what-if (which names every AE). The failure-impact table counts the
    same answers per class of alike AEs (`_broken_classes`, judged with `_judged` as
    here); tests/test_docs_scale.py holds the two to each other.

    Only the origins whose studies reached a down AE are looked at (the reverse of the
    check's `Reach`), and the worklist is judged per set of providers: an outage costs
    what it breaks, not the whole estate again."""
    down_names = {d.name for d in down_devices}
    titles = frozenset(ae.ae_title for d in down_devices for ae in d.application_entities)
    before = Reach.of(index)
    after = before.without(_WithoutDevices(index, titles), titles)  # type: ignore[arg-type]
    affected = before.origins_reaching(titles)
    losing_worklist = _losing_worklist(index, titles)
    losses = _Losses(index)
    for device, ae in _acquisition(index):
        title = ae.ae_title
        worklist = ("worklist",) if title in losing_worklist else ()
        lost, stops, site_losses = (), False, worklist
        if title in affected and device.name not in down_names:
            was, now = before.reached(title), after.reached(title)
            lost, stops, site_losses = _judged(losses, was, now, worklist)
        if lost or site_losses:
            yield device, ae, lost, stops, site_losses


class _Losses:
    """What an AE loses between its reach before and during an outage, worked out once
    per pair of reaches: `Reach` hands the same set to every AE that reaches the same
    AEs, so the modalities of a kind at a site share one answer."""

    def __init__(self, index: Index):
        self.index = index
        self.lookouts = (("archive", index.archive_titles), ("reading", _pacs(index)))
        self._known: dict[tuple[int, int], tuple[tuple, tuple[str, ...], tuple]] = {}

    def between(self, was: frozenset[str], now: frozenset[str]) -> tuple[tuple, tuple[str, ...]]:
        """(the (purpose, AE title) destinations lost, sorted; the site losses among
        archive and reading). Keyed by identity, the pair kept with its answer so an id
        is never reused while it is a key."""
        pair = (id(was), id(now))
        if pair not in self._known:
            lost = tuple(sorted((_purpose(self.index, t), t) for t in was - now))
            site_losses = tuple(
                what for what, targets in self.lookouts if was & targets and not now & targets
            )
            self._known[pair] = (lost, site_losses, (was, now))
        lost, site_losses, _ = self._known[pair]
        return lost, site_losses


def _purpose(index: Index, title: str) -> str:
    """What a destination is for, in the words of a change board."""
    device = index.device_of(title)
    if device is None:
        return "unknown"
    site = index.sites.get(device.site)
    if site is not None and site.teleradiology:
        return "teleradiology"
    if device.is_archive_of_record:
        return "archive of record"
    if device.site in _dr_sites(index):
        return "DR"
    return _PURPOSE_OF_KIND.get(device.kind, device.kind)


def _dr_sites(index: Index) -> frozenset[str]:
    """Sites that continuity plans replicate to and where nothing is acquired: a
    hospital that holds another's replica is still a hospital. Once per check: it is
    asked for every destination lost."""

    def build(index: Index) -> frozenset[str]:
        acquiring = {d.site for d in index.env.devices if d.kind == ACQUISITION_KIND}
        return frozenset(
            p.replication.target_site
            for p in index.env.continuity
            if p.replication is not None and p.replication.target_site not in acquiring
        )

    return index.shared(_dr_sites, build)


def _pacs(index: Index) -> frozenset[str]:
    """AEs radiologists read from (once per check: asked for every acquisition AE)."""

    def build(index: Index) -> frozenset[str]:
        return frozenset(
            ae.ae_title for d, ae in index.env.application_entities() if d.kind == "pacs"
        )

    return index.shared(_pacs, build)


def _acquisition(index: Index) -> list:
    """(device, AE) of every acquisition AE, listed once per check: every outage asks."""
    return index.shared(_acquisition, lambda index: list(acquisition_aes(index)))


def _losing_worklist(index: Index, titles: frozenset[str]) -> set[str]:
    """Titles of the order-based modalities whose every worklist provider is down (a
    broker that caches the worklist, like a site's MWL broker, keeps serving)."""
    return {
        title
        for providers, members in _worklist_providers(index).items()
        if providers <= titles
        for title in members
    }


def _worklist_providers(index: Index) -> dict[frozenset[str], list[str]]:
    """The providers an order-based modality's worklist comes from -> the modalities'
    AE titles, once per check: an estate's modalities share a few sets of providers, so
    each outage judges a set once rather than every modality."""

    def build(index: Index) -> dict[frozenset[str], list[str]]:
        by_consumer = entries_by_consumer(index)
        groups: dict[frozenset[str], list[str]] = {}
        for device, ae in _acquisition(index):
            if device.workflow == "encounter-based":
                continue
            entries = device_entries(device, by_consumer)
            if entries:
                providers = frozenset(e.provider for e in entries)
                groups.setdefault(providers, []).append(ae.ae_title)
        return groups

    return index.shared(_worklist_providers, build)


def _down_system(device, plan: ContinuityPlan | None, down: set[str]) -> DownSystem:
    replication = None
    if plan is not None and plan.replication is not None:
        r = plan.replication
        scope = "full" if r.scope == "full" else f"{_text(r.window)} window"
        replication = f"{scope} to {r.target_site}"
    fallback = plan.read_only_fallback if plan is not None else None
    return DownSystem(
        device=device.name,
        kind=device.kind,
        site=device.site,
        plan=plan is not None,
        fallback=fallback,
        fallback_up=fallback is not None and fallback not in down,
        rto=_text(plan.rto) if plan is not None and plan.rto is not None else None,
        replication=replication,
    )


def _text(duration: object) -> str:
    """A duration as the YAML wrote it (e.g. 4h)."""
    return str(getattr(duration, "text", None) or duration)


def with_outage(fmt: str, rendered: str, what_if: Outage | None) -> str:
    """A rendered report with the what-if joined: a section after the text report, a
    `down` object in the JSON one; the other formats carry findings only."""
    if what_if is None:
        return rendered
    if fmt == "text":
        return f"{rendered.rstrip(chr(10))}\n\n{what_if.as_text()}"
    if fmt == "json":
        document = json.loads(rendered)
        document["down"] = what_if.as_dict()
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return rendered


def failure_impact(index: Index, systems: Iterable[str]) -> list[dict]:
    """One row per critical system for the documents' failure-impact table: what stops
    when it alone is down (the same walk as `check --down SYSTEM`, counted rather than
    listed: at 10,000 AEs an outage of a PACS that every site prefetches to breaks a flow
    of nearly every AE, and the table shows how many), its fallback and RTO.

    Counted per class of acquisition AEs that every outage treats alike (`_alike`), not
    per AE: a table of one outage per critical system, each reaching every site, would
    otherwise cost systems x AEs (97 s of the documents at 100,000 AEs)."""
    plans = {p.system: p for p in index.env.continuity}
    rows = []
    for name in systems:
        device = index.devices[name]
        system = _down_system(device, plans.get(name), {name})
        impact = _Impact()
        for cls, count, lost, stop, site_losses in _broken_classes(index, device):
            impact.add(cls.site, count, lost, stop, site_losses)
        rows.append(
            {
                "system": name,
                "kind": system.kind,
                "site": system.site,
                "stops": impact.stops,
                "loses": impact.loses,
                "purposes": sorted(impact.purposes),
                "sites": {site: sorted(losses) for site, losses in sorted(impact.sites.items())},
                "plan": system.plan,
                "fallback": system.fallback or "",
                "rto": system.rto or "",
                "replication": system.replication or "",
                "covered": system.covered,
            }
        )
    return rows


class _Impact:
    """One outage's row of the failure-impact table, added up as `_broken` would count
    its AEs one by one: flows that stop, flows that lose a destination, for which
    purposes, and what each site loses."""

    def __init__(self) -> None:
        self.stops = self.loses = 0
        self.purposes: set[str] = set()
        self.sites: dict[str, set[str]] = {}

    def add(self, site: str, count: int, lost: tuple, stop: bool, site_losses: tuple) -> None:
        """`count` AEs of `site` that each lose `lost` (stopping or not) and `site_losses`."""
        if not count:
            return
        if lost:
            self.stops += count * stop
            self.loses += count * (not stop)
            self.purposes.update(purpose for purpose, _ in lost)
        if site_losses:
            self.sites.setdefault(site, set()).update(site_losses)


@dataclass(eq=False)
class _Alike:
    """Acquisition AEs of one site that any single outage treats alike: they reach the
    same AEs (`was`, the one set `Reach` interns), by the same own hop and handed-on states
    (`parts`), send the same items over routes of the same shape (`_own_hop_shape`), loop
    back to none of themselves, and take their worklist from the same providers. So an
    outage walks one member again, not each: it takes away the same routes from every
    member's walk (only the down device's own AEs are looked at one by one)."""

    site: str
    was: frozenset[str]
    parts: tuple | None
    providers: frozenset[str] | None
    members: list = field(default_factory=list)
    """(device, AE) in the estate's order."""


def _alike(index: Index) -> tuple[list[_Alike], dict[str, list[_Alike]]]:
    """The classes of `_Alike` AEs, and for each device the classes its acquisition AEs
    are in (an outage leaves the down device's own AEs out of the flows), once per check.
    An AE whose own studies come back to it, or that was never walked, is a class of one."""

    def build(index: Index) -> tuple[list[_Alike], dict[str, list[_Alike]]]:
        reach = Reach.of(index)
        providers_of = {
            title: providers
            for providers, members in _worklist_providers(index).items()
            for title in members
        }
        naming: dict[str, list] = {}
        for route in index.env.routes:
            for sender in route.match.calling_ae if route.match else ():
                naming.setdefault(sender, []).append(route)
        classes: dict[tuple, _Alike] = {}
        by_device: dict[str, list[_Alike]] = {}
        for device, ae in _acquisition(index):
            title = ae.ae_title
            was = reach.reached(title)
            parts = reach.parts(title)
            providers = providers_of.get(title)
            shape = _own_hop_shape(index, title, naming.get(title, ()))
            key: tuple = (device.site, id(was), parts, providers, shape)
            if parts is None or title in reach.full_reach(parts):
                key = (title, id(ae))
            cls = classes.get(key)
            if cls is None:
                cls = classes[key] = _Alike(device.site, was, parts, providers)
            cls.members.append((device, ae))
            by_device.setdefault(device.name, []).append(cls)
        return list(classes.values()), by_device

    return index.shared(_alike, build)


def _own_hop_shape(index: Index, title: str, naming: Iterable) -> tuple:
    """What an origin's own hop depends on, with the origin's own title left out: the
    items it sends, its enabled routes (a walk follows no other) and those that name it
    as calling AE (`naming`), each as where it comes from and goes to, its purpose and
    what it lets through. A `Reach` walk from two origins of one shape takes the same routes
    with the same items, so they reach the same AEs, with or without a down device."""

    def described(route) -> tuple:
        m = route.match
        return (
            None if route.from_ == title else route.from_,
            None if route.to == title else route.to,
            route.purpose,
            route.enabled,
            None
            if m is None
            else (
                frozenset(a for a in m.calling_ae if a != title),
                title in m.calling_ae,
                frozenset(m.modality),
                frozenset(m.sop_classes),
            ),
        )

    routes = (*index.routes_from.get(title, ()), *naming)
    followed = frozenset(described(r) for r in routes if r.enabled)
    return frozenset(index.flow.origin(title)), followed


def _broken_classes(index: Index, device) -> Iterator[tuple]:
    """(class, how many of its AEs, destinations lost, whether they stop, site losses)
    for the outage of `device` alone: `_broken` worked out once per `_Alike` class rather
    than once per AE, with the same answers (tests/test_docs_scale.py holds the table
    to `check --down`)."""
    titles = frozenset(ae.ae_title for ae in device.application_entities)
    before = Reach.of(index)
    after = before.without(_WithoutDevices(index, titles), titles)  # type: ignore[arg-type]
    losses = _Losses(index)
    classes, by_device = _alike(index)
    on_down: dict[int, int] = {}
    for cls in by_device.get(device.name, ()):
        on_down[id(cls)] = on_down.get(id(cls), 0) + 1
    for cls in classes:
        worklist = ("worklist",) if cls.providers is not None and cls.providers <= titles else ()
        down_count = on_down.get(id(cls), 0)
        if down_count:
            yield cls, down_count, (), False, worklist
        up = len(cls.members) - down_count
        if not up:
            continue
        if cls.was.isdisjoint(titles):
            yield cls, up, (), False, worklist
        elif not down_count:
            title = cls.members[0][1].ae_title
            yield cls, up, *_judged(losses, cls.was, after.reached(title), worklist)
        else:
            for member, ae in cls.members:
                if member.name != device.name:
                    now = after.reached(ae.ae_title)
                    yield cls, 1, *_judged(losses, cls.was, now, worklist)


def _judged(losses: _Losses, was: frozenset[str], now: frozenset[str], worklist: tuple):
    """(destinations lost, whether the flow stops, site losses) of an AE whose reach
    went from `was` to `now`, as `_broken` judges it."""
    if was is now:
        return (), False, worklist
    lost, site_losses = losses.between(was, now)
    return lost, not now, (*worklist, *site_losses)
