"""Small pieces several rule families share: what an unresolved reference probably meant,
the hint that says so, and related locations.

A reference names something in one namespace: routes, worklist entries, the dose monitor
and AI products name AE titles; continuity plans, integrations and storage tiers name
devices. The commonest mistake is a name from the other namespace (the device `ct-main-1`
where its AE title `CT_MAIN_1` belongs), then a case variant, then a typo: the hints say
which. `probable_aes` tells the rules that would otherwise report a consequence of such a
reference (an orphan AE, a modality without worklist, a study never archived) to leave it
to the rule that reports the reference itself.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from ..analysis.index import Index
from ..findings import Related

_NEAR = 0.75
"""How alike two names must be (difflib's ratio) for a "did you mean"."""


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """` (did you mean 'X'?)` for a name differing by case or a near miss, else ''."""
    near = _near(name, known)
    return f" (did you mean '{near}'?)" if near else ""


def _near(name: str, known: Iterable[str]) -> str | None:
    """The known name `name` differs from only by case, else the closest near miss."""
    known = list(known)
    folded = {k.casefold(): k for k in known}
    if name.casefold() in folded:
        return folded[name.casefold()]
    near = difflib.get_close_matches(name, sorted(known), n=1, cutoff=_NEAR)
    return near[0] if near else None


def _device_named(index: Index, name: str):
    """The device called `name` (or that differs by case only), if any."""
    device = index.devices.get(name)
    if device is None:
        folded = {d.casefold(): d for d in index.devices}
        device = index.devices.get(folded.get(name.casefold(), ""))
    return device


def meant_ae(index: Index, title: str) -> str | None:
    """The AE title an unknown AE reference most probably meant: the same title in another
    case, the only AE of a device of that name, or a near miss; None when unsure."""
    same_but_case = index.aes_folded.get(title.casefold())
    if same_but_case:
        return same_but_case[0][1].ae_title
    device = _device_named(index, title)
    if device is not None:
        titles = [ae.ae_title for ae in device.application_entities]
        return titles[0] if len(titles) == 1 else None
    return _near(title, index.aes)


def unknown_ae_hint(
    index: Index, title: str, fix: str = "declare it on a device or correct the title"
) -> str:
    """What to say after "'X' is not an AE title of any device": the device whose name was
    written instead of its AE title, the case variant, a near miss, else `fix`."""
    same_but_case = index.aes_folded.get(title.casefold())
    if same_but_case:
        return (
            f" (did you mean '{same_but_case[0][1].ae_title}'? AE titles are compared "
            "exactly by some systems)"
        )
    device = _device_named(index, title)
    if device is not None:
        titles = [ae.ae_title for ae in device.application_entities]
        if not titles:
            return f": '{title}' is a device, with no AE; declare its AE and name its AE title"
        if len(titles) == 1:
            return f": '{title}' is a device; its AE title is {titles[0]}"
        return f": '{title}' is a device; name one of its AE titles ({', '.join(titles)})"
    near = _near(title, index.aes)
    return f" (did you mean '{near}'?)" if near else f": {fix}"


def meant_device(index: Index, name: str) -> str | None:
    """The device an unknown device reference most probably meant: the device of an AE
    title written instead of its name, a case variant or a near miss; None when unsure."""
    device = index.device_of(name)
    if device is not None:
        return device.name
    return _near(name, index.devices)


def unknown_device_hint(index: Index, name: str, fix: str) -> str:
    """What to say after "'X' is no device": the AE title written instead of its device's
    name, a case variant, a near miss, else `fix`."""
    device = index.device_of(name)
    if device is not None:
        return f": '{name}' is an AE title; its device is {device.name}"
    near = _near(name, index.devices)
    return f" (did you mean '{near}'?)" if near else f": {fix}"


def _unknown_ae_references(index: Index) -> list[tuple[str, str]]:
    """(kind, AE title) of every place that names an AE title no device declares: route
    ends, worklist providers, consumers and MPPS destinations, the dose monitor, AI hosts
    and results (the known ones, nearly all, are passed over without building a pair)."""
    env = index.env
    aes = index.aes
    refs: list[tuple[str, str]] = []

    def note(kind: str, titles: Iterable[str]) -> None:
        refs.extend((kind, t) for t in titles if t not in aes)

    for route in env.routes:
        if route.from_ not in aes:
            refs.append(("route-from", route.from_))
        if route.to not in aes:
            refs.append(("route-to", route.to))
        if route.match and route.match.calling_ae:
            note("route-calling-ae", route.match.calling_ae)
    for entry in env.worklist:
        note("worklist-provider", [entry.provider])
        note("worklist-consumer", entry.consumers)
        if entry.mpps_destination:
            note("worklist-mpps", [entry.mpps_destination])
    if env.dose_monitor:
        note("dose-monitor", [env.dose_monitor])
    for product in env.ai:
        note("ai-runs-on", [product.runs_on])
        note("ai-results", [t for result in product.results for t in result.to])
    return refs


def probable_aes(index: Index, *kinds: str) -> frozenset[str]:
    """AE titles that an unresolved reference of these kinds (all kinds when none given)
    probably meant: what happens to them follows from that reference, which its own rule
    reports with the hint, so the consequence is not a second, independent finding."""

    def build(index: Index) -> dict[str, set[str]]:
        meant: dict[str, set[str]] = {}
        for kind, title in _unknown_ae_references(index):
            target = meant_ae(index, title)
            if target is not None:
                meant.setdefault(kind, set()).add(target)
        return meant

    by_kind: dict[str, set[str]] = index.shared("probable-aes", build)
    chosen = kinds or tuple(by_kind)
    return frozenset(t for kind in chosen for t in by_kind.get(kind, ()))


def probable_devices(index: Index, names: Iterable[str]) -> frozenset[str]:
    """Devices that these names (some unresolved) probably meant."""
    found = set()
    for name in names:
        if name not in index.devices:
            target = meant_device(index, name)
            if target is not None:
                found.add(target)
    return frozenset(found)


def lost_to_unresolved_routes(index: Index, title: str) -> set:
    """Items (modality, SOP class) of `title` that travel into a route whose destination is
    no AE title: where they were meant to go is unknown, so "they never arrive" follows
    from that route (RT001), not from a missing route."""

    def build(index: Index) -> list:
        return [r for r in index.env.routes if r.enabled and r.to not in index.aes]

    broken = index.shared("routes-to-unknown-aes", build)
    lost: set = set()
    for route in broken:
        carried = index.flow.carries(route)
        if not carried:
            continue
        reach = index.flow.reaching(frozenset({route.from_}))
        lost |= {item for item in carried if title == route.from_ or title in reach.get(item, ())}
    return lost


def ae_related(index: Index, title: str, message: str) -> list[Related]:
    found = index.aes.get(title)
    return [Related(index.where(found[1], "ae_title"), message)] if found else []


def device_related(index: Index, name: str, message: str) -> list[Related]:
    device = index.devices.get(name)
    return [Related(index.where(device, "name"), message)] if device else []


def origins_reaching(index: Index, targets: frozenset[str]) -> set[str]:
    """The AE titles whose own studies (what they originate) reach one of `targets` over
    routes, following each origin's studies (`analysis.reach`)."""
    from ..analysis.reach import Reach

    return Reach.of(index).origins_reaching(targets)
