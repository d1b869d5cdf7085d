"""`imgpolicy diff`: what a change does to an environment, for a change board.

Two sides (a git revision materialised with `git archive`, or a directory) are each run
through the ordinary check (`engine.check`), and compared three ways:

- entities added, removed and changed (sites, devices, AEs with their transfer
  capabilities, routes, policies), each with file:line on the side where it lives;
- consequences through the flow analysis: for each acquisition AE, the destinations its
  own studies gain and lose (`analysis.reach.Reach`), by purpose, and the transfer syntax
  changes on the routes they travel;
- findings introduced and resolved, matched by `identity.key` (never by message).
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from . import identity
from .analysis import continuity, outage
from .analysis.index import ACQUISITION_KIND, CRITICAL_KINDS, Index, keyword
from .analysis.reach import Reach
from .analysis.retention import CATEGORIES, retention_of
from .config import Config, resolve_config
from .dicom import is_lossy
from .engine import CheckResult, check
from .findings import Finding, Severity

MARKDOWN_LIMIT = 60_000
"""A PR comment's bound (GitHub refuses bodies over 65,536 characters)."""


class DiffError(Exception):
    """A side that cannot be read or does not load: the message says which and what to do."""


# --- the two sides ------------------------------------------------------------------


@dataclass
class Side:
    """One environment of the comparison: what the user called it, its root and its check."""

    label: str
    root: str
    result: CheckResult
    config: Config | None = None

    @property
    def index(self) -> Index:
        assert isinstance(self.result.index, Index)
        return self.result.index

    def where(self, item: object) -> str:
        """file:line of `item`, the file relative to the side's root."""
        loc = self.index.where(item)
        return f"{identity.relative_path(loc.path, (self.root,))}:{loc.line}"


def _git(repo: str, *args: str) -> bytes:
    """Run git in `repo`; a failure is a DiffError with git's own words."""
    try:
        done = subprocess.run(["git", "-C", repo, *args], capture_output=True, check=False)
    except FileNotFoundError:
        raise DiffError("git is not installed: give two directories instead") from None
    if done.returncode != 0:
        words = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DiffError(f"git {' '.join(args[:2])}: {words[-1] if words else 'failed'}")
    return done.stdout


def _materialise(stack: ExitStack, spec: str, env: str) -> tuple[str, str]:
    """(label, environment directory) of `spec`: a directory as it is, else a git revision
    of the repository holding `env`, extracted into a temporary directory."""
    if os.path.isdir(spec):
        return spec, spec
    repo = os.path.abspath(env if os.path.isdir(env) else os.path.dirname(env) or ".")
    try:
        top = _git(repo, "rev-parse", "--show-toplevel").decode().strip()
    except DiffError:
        raise DiffError(
            f"{spec} is not a directory, and {repo} is not in a git repository: give two "
            "directories, or run inside the repository that holds the environment (--env)"
        ) from None
    inside = os.path.relpath(os.path.abspath(env), top)
    if inside.startswith(".."):
        raise DiffError(f"--env {env} is not inside the git repository {top}")
    try:
        _git(top, "rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}")
    except DiffError:
        raise DiffError(
            f"{spec} is neither a directory nor a revision of the git repository {top}"
        ) from None
    data = _git(top, "archive", "--format=tar", spec, "--", inside)
    folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="imgpolicy-diff-"))
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        archive.extractall(folder, filter="data")
    return spec, os.path.join(folder, inside)


def _load(label: str, root: str, config_path: str | None) -> Side:
    """Check one side; a side whose rules cannot run cannot be compared."""
    config = resolve_config(config_path, (root,))
    result = check((root,), config)
    if not result.load.files:
        raise DiffError(f"{label}: {result.load.nothing_found((root,))}")
    if not result.rules_ran:
        errors = [f for f in result.findings if f.severity >= Severity.ERROR]
        first = errors[0] if errors else None
        shown = ""
        if first is not None:
            where = identity.relative_path(first.location.path, (root,)) if first.location else ""
            line = f":{first.location.line}" if first.location else ""
            shown = f" (first: {where}{line} {first.code} {first.message})"
        raise DiffError(
            f"{label}: the environment does not load: {len(errors)} error(s){shown}; run "
            "`imgpolicy check` on it and fix them first"
        )
    return Side(label, root, result, config)


@contextmanager
def sides(
    base: str, head: str | None, env: str = ".", config_path: str | None = None
) -> Iterator[tuple[Side, Side]]:
    """The two checked sides; temporary copies of git revisions live while in use."""
    with ExitStack() as stack:
        base_label, base_root = _materialise(stack, base, env)
        if head is None:
            head_label, head_root = "working tree", env
        else:
            head_label, head_root = _materialise(stack, head, env)
        yield (
            _load(base_label, base_root, config_path),
            _load(head_label, head_root, config_path),
        )


# --- entities -----------------------------------------------------------------------

_POLICIES = {
    "retention": "name",
    "continuity": "system",
    "ai": "name",
    "integrations": "name",
    "site_links": "name",
    "worklist": None,
    "tiers": "name",
    "lifecycle": None,
}


def _entities(side: Side) -> dict[str, tuple[object, dict]]:
    """Entity key -> (the item, its content to compare)."""
    env = side.index.env
    found: dict[str, tuple[object, dict]] = {}
    for s in env.sites:
        found[identity.site(s.name)] = (s, s.model_dump(mode="json", warnings=False))
    for d in env.devices:
        found[identity.device(d.name)] = (
            d,
            d.model_dump(mode="json", exclude={"application_entities"}, warnings=False),
        )
        for ae in d.application_entities:
            found[identity.ae(ae.ae_title)] = (
                ae,
                {"device": d.name, **ae.model_dump(mode="json", warnings=False)},
            )
    for r in env.routes:
        found[identity.route(r.name)] = (r, r.model_dump(mode="json", warnings=False))
    for section, attr in _POLICIES.items():
        for item in getattr(env, section, []):
            content = item.model_dump(mode="json", warnings=False)
            name = getattr(item, attr) if attr else _unnamed(content)
            found[identity.entity(section, name)] = (item, content)
    return found


def _unnamed(content: dict) -> str:
    """A name for an item without one (a worklist assignment, a lifecycle): what it is
    about and a digest of its content, so an edit reads as one removed and one added
    rather than as whichever item now sits at its position."""
    import hashlib
    import json

    about = content.get("provider") or content.get("tier") or content.get("name") or "item"
    text = json.dumps(content, sort_keys=True)
    return f"{about}@{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def _capabilities(content: dict) -> dict[tuple[str, str], tuple[str, ...]]:
    """(role, SOP class keyword) -> transfer syntaxes, from an AE's dumped content."""
    caps: dict[tuple[str, str], tuple[str, ...]] = {}
    for cap in content.get("transfer_capabilities") or []:
        for sop in cap.get("classes") or []:
            caps[(cap["role"], keyword(sop))] = tuple(
                keyword(ts) for ts in cap.get("transfer_syntaxes") or []
            )
    return caps


def _changed_fields(before: dict, after: dict) -> list[str]:
    """The top-level fields whose value differs, in a stable order."""
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def entity_changes(base: Side, head: Side) -> list[dict]:
    """Entities added, removed and changed, ordered by kind then name."""
    old, new = _entities(base), _entities(head)
    changes: list[dict] = []
    for key in sorted(old.keys() | new.keys()):
        kind, _, name = key.partition(":")
        if key not in new:
            changes.append(
                {"change": "removed", "kind": kind, "name": name, "at": base.where(old[key][0])}
            )
        elif key not in old:
            changes.append(
                {"change": "added", "kind": kind, "name": name, "at": head.where(new[key][0])}
            )
        elif old[key][1] != new[key][1]:
            entry: dict[str, Any] = {
                "change": "changed",
                "kind": kind,
                "name": name,
                "at": head.where(new[key][0]),
                "fields": _changed_fields(old[key][1], new[key][1]),
            }
            if kind == "ae":
                entry["capabilities"] = _capability_changes(old[key][1], new[key][1])
            changes.append(entry)
    return changes


def _capability_changes(before: dict, after: dict) -> list[str]:
    """Presentation contexts gained, lost or with other transfer syntaxes, in words."""
    old, new = _capabilities(before), _capabilities(after)
    lines = []
    for role, sop in sorted(old.keys() | new.keys()):
        was, now = old.get((role, sop)), new.get((role, sop))
        if was is None:
            lines.append(f"+ {sop} as {role}")
        elif now is None:
            lines.append(f"- {sop} as {role}")
        elif was != now:
            lines.append(f"~ {sop} as {role}: {', '.join(was)} -> {', '.join(now)}")
    return lines


# --- consequences through the flow analysis -------------------------------------------

PURPOSES = ("archive of record", "PACS", "AI", "dose monitor", "teleradiology", "DR")


def purposes_of(index: Index, title: str) -> list[str]:
    """What a destination AE is for: the archive of record, a PACS, an AI product, the dose
    monitor, teleradiology or disaster recovery (from its device and the routes into it);
    empty for a router or cache on the way."""
    device = index.device_of(title)
    kind = device.kind if device else ""
    arriving = {r.purpose for r in index.routes_to.get(title, ()) if r.enabled}
    labels = {
        "archive of record": title in index.archive_titles,
        "PACS": kind == "pacs",
        "AI": kind == "ai" or "ai" in arriving,
        "dose monitor": kind == "dose-monitor" or title == index.env.dose_monitor,
        "teleradiology": "teleradiology" in arriving,
        "DR": "replication" in arriving,
    }
    return [p for p in PURPOSES if labels[p]]


def _acquisition(index: Index) -> dict[str, object]:
    """Acquisition AE title -> its device."""
    return {
        ae.ae_title: d for d, ae in index.env.application_entities() if d.kind == ACQUISITION_KIND
    }


def _syntaxes_on_the_way(index: Index, origin: str, reached: frozenset[str]) -> dict:
    """(route, SOP class keyword) -> transfer syntaxes, for every enabled route the origin's
    own studies travel (a route leaving the origin or an AE they reach, carrying one of
    the origin's SOP classes)."""
    classes = {sop for _, sop in index.flow.origin(origin)}
    found: dict[tuple[str, str], tuple[str, ...]] = {}
    for title in sorted({origin, *reached}):
        for route in index.routes_from.get(title, ()):
            if not route.enabled or (route.to not in reached):
                continue
            for _, sop in sorted(index.flow.carries(route)):
                if sop in classes:
                    found[(route.name, keyword(sop))] = tuple(
                        keyword(ts) for ts in index.route_syntaxes(route, sop)
                    )
    return found


def _uids(index: Index, route_name: str, sop_keyword: str) -> list[str]:
    """The transfer syntax UIDs a route may use for a class named by keyword."""
    for route in index.env.routes:
        if route.name == route_name:
            for _, sop in index.flow.carries(route):
                if keyword(sop) == sop_keyword:
                    return index.route_syntaxes(route, sop)
    return []


def flow_changes(base: Side, head: Side) -> list[dict]:
    """Per acquisition AE (on either side): destinations gained and lost with their
    purposes, what it produces, and transfer syntax changes on its routes. Unchanged AEs
    are left out."""
    b, h = base.index, head.index
    b_reach, h_reach = Reach.of(b), Reach.of(h)
    b_acq, h_acq = _acquisition(b), _acquisition(h)
    changes = []
    for title in sorted(b_acq.keys() | h_acq.keys()):
        before = b_reach.reached(title) if title in b_acq else frozenset()
        after = h_reach.reached(title) if title in h_acq else frozenset()
        b_ts = _syntaxes_on_the_way(b, title, before) if title in b_acq else {}
        h_ts = _syntaxes_on_the_way(h, title, after) if title in h_acq else {}
        syntaxes = []
        for route, sop in sorted(b_ts.keys() & h_ts.keys()):
            if b_ts[(route, sop)] != h_ts[(route, sop)]:
                lossy = any(is_lossy(ts) for ts in _uids(h, route, sop))
                syntaxes.append(
                    {
                        "route": route,
                        "sop_class": sop,
                        "before": list(b_ts[(route, sop)]),
                        "after": list(h_ts[(route, sop)]),
                        "lossy": lossy,
                    }
                )
        gained = [{"ae": t, "purposes": purposes_of(h, t)} for t in sorted(after - before)]
        lost = [{"ae": t, "purposes": purposes_of(b, t)} for t in sorted(before - after)]
        if not (gained or lost or syntaxes) and (title in b_acq) == (title in h_acq):
            continue
        produces = h.flow.origin(title) if title in h_acq else b.flow.origin(title)
        changes.append(
            {
                "ae": title,
                "status": "added"
                if title not in b_acq
                else "removed"
                if title not in h_acq
                else "changed",
                "produces": sorted({f"{m or '?'} {keyword(s)}" for m, s in produces}),
                "gained": gained,
                "lost": lost,
                "syntaxes": syntaxes,
            }
        )
    return changes


# --- retention and DR coverage ------------------------------------------------------


def _retention_by_modality(side: Side, device: Any) -> dict[str, str | None]:
    """'MODALITY category' -> the retention that applies to the device's studies there,
    worded as the RET rules word it ('7y by ca-adult'), or None when no policy applies
    (what RET001 reports)."""
    site = side.index.sites.get(device.site)
    if site is None:
        return {}
    retention = retention_of(side.index)
    kept: dict[str, str | None] = {}
    for modality in device.modality:
        for category in CATEGORIES:
            found = retention.longest(site.jurisdiction, [modality], category)
            kept[f"{modality} {category}"] = (
                None if found is None else f"{found.describe()} by {found.policy.name}"
            )
    return kept


def _critical_kinds(side: Side) -> frozenset[str]:
    """The kinds DR001 treats as critical on this side (its `critical_kinds` option)."""
    if side.config is None:
        return CRITICAL_KINDS
    from .engine import configured_rule
    from .rules.registry import all_rules

    rule = all_rules().get("DR001")
    if rule is None:
        return CRITICAL_KINDS
    return frozenset(configured_rule(side.config, rule).settings["critical_kinds"])


def _plan_of(side: Side, device: Any) -> dict[str, str | None]:
    """What a critical system's continuity plan promises, as DR001-DR005 read it (None
    values: not stated; `plan` None: no plan at all)."""
    plan = next((p for p in side.index.env.continuity if p.system == device.name), None)
    if plan is None:
        return dict.fromkeys(_PLAN_FIELDS) | {"plan": None}
    replication = None
    if plan.replication is not None:
        r = plan.replication
        scope = "full" if r.scope == "full" else f"{_words(r.window)} window"
        replication = f"{scope} to {r.target_site}"
    return {
        "plan": "yes",
        "rpo": _words(plan.rpo),
        "rto": _words(plan.rto),
        "replication": replication,
        "read_only_fallback": plan.read_only_fallback,
        "backups": ", ".join(
            f"every {_words(b.every)} to {b.to_site}" + (" (immutable)" if b.immutable else "")
            for b in plan.backups
        )
        or None,
    }


_PLAN_FIELDS = ("rpo", "rto", "replication", "read_only_fallback", "backups")


def _words(duration: object) -> str | None:
    """A duration as the YAML wrote it (e.g. 4h); None stays None."""
    if duration is None:
        return None
    return str(getattr(duration, "text", None) or duration)


def _protection(side: Side, title: str, reached: frozenset[str]) -> list[str]:
    """How the studies of an acquisition AE are protected against losing a site: each
    archive of record they reach with its plan's replication, and each DR copy they reach
    (an AE fed by a `replication` route)."""
    index = side.index
    found = set()
    for target in sorted(reached):
        device = index.device_of(target)
        if device is None:
            continue
        if target in index.archive_titles:
            plan = _plan_of(side, device)
            if plan["plan"] is None:
                found.add(f"{device.name}: no continuity plan")
            else:
                found.add(f"{device.name}: replication {plan['replication'] or 'none'}")
        if "DR" in purposes_of(index, target):
            found.add(f"{target}: DR copy")
    return sorted(found)


def _protected(entries: list[str]) -> bool:
    """Whether one entry is a copy at another site (a replica or a DR copy)."""
    return any(e.endswith("DR copy") or " to " in e for e in entries)


def coverage_changes(base: Side, head: Side) -> dict:
    """Retention and DR coverage gained or lost by an unchanged set of systems:

    - per acquisition AE on both sides, the retention that applies to each modality and
      patient category (the RET rules' `Retention.longest`) and how its studies are
      protected (the archives they reach with their replication, the DR copies);
    - per critical system on both sides (DR001's `critical_kinds`), what its continuity
      plan promises, with the acquisition AEs whose studies reach it.

    Systems added or removed are entity changes; their flows are in `flows`."""
    b_reach, h_reach = Reach.of(base.index), Reach.of(head.index)
    b_acq, h_acq = _acquisition(base.index), _acquisition(head.index)
    aes = []
    for title in sorted(b_acq.keys() & h_acq.keys()):
        old_kept = _retention_by_modality(base, b_acq[title])
        new_kept = _retention_by_modality(head, h_acq[title])
        retention = [
            {
                "what": what,
                "change": _coverage_change(old_kept.get(what), new_kept.get(what)),
                "before": old_kept.get(what),
                "after": new_kept.get(what),
            }
            for what in sorted(old_kept.keys() | new_kept.keys())
            if old_kept.get(what) != new_kept.get(what)
        ]
        was = _protection(base, title, b_reach.reached(title))
        now = _protection(head, title, h_reach.reached(title))
        dr = None
        if was != now:
            dr = {
                "change": _coverage_change(_protected(was) or None, _protected(now) or None),
                "before": was,
                "after": now,
            }
        if retention or dr:
            aes.append({"ae": title, "retention": retention, "dr": dr})
    return {"acquisition_aes": aes, "systems": _system_changes(base, head)}


def _system_changes(base: Side, head: Side) -> list[dict]:
    """Critical systems on both sides whose continuity plan changed."""
    old = {d.name: d for d in continuity.critical_systems(base.index.env, _critical_kinds(base))}
    new = {d.name: d for d in continuity.critical_systems(head.index.env, _critical_kinds(head))}
    h_reach = Reach.of(head.index)
    systems = []
    for name in sorted(old.keys() & new.keys()):
        was, now = _plan_of(base, old[name]), _plan_of(head, new[name])
        if was == now:
            continue
        titles = frozenset(ae.ae_title for ae in new[name].application_entities)
        systems.append(
            {
                "system": name,
                "kind": new[name].kind,
                "site": new[name].site,
                "at": _plan_where(base, head, name) or head.where(new[name]),
                "change": _coverage_change(was["plan"], now["plan"]),
                "fields": sorted(k for k in was if was[k] != now[k] and k != "plan"),
                "before": was,
                "after": now,
                "acquisition_aes": sorted(
                    t for t in _acquisition(head.index) if h_reach.reached(t) & titles
                ),
            }
        )
    return systems


def _plan_where(base: Side, head: Side, system: str) -> str | None:
    """file:line of the continuity plan for `system`: on the head side, else where it was
    (a plan removed)."""
    for side in (head, base):
        for plan in side.index.env.continuity:
            if plan.system == system:
                return side.where(plan)
    return None


def _coverage_change(before: object, after: object) -> str:
    """gained (nothing before), lost (nothing after) or changed."""
    if before is None:
        return "gained"
    if after is None:
        return "lost"
    return "changed"


# --- what-if on both sides ------------------------------------------------------------


def down_changes(base: Side, head: Side, names: list[str]) -> dict:
    """What the change does to the outage of `names` (`analysis.outage`, run on each
    side): acquisition AEs that newly stop or no longer stop, destinations newly lost or
    kept, what each site newly loses or keeps, and each down system's plan coverage."""
    for side in (base, head):
        unknown = outage.unknown_devices(side.index, names)
        if unknown:
            raise DiffError(
                f"--down on {side.label}: {'; '.join(unknown)}: give device names that "
                "exist on both sides, separated by commas"
            )
    was, now = outage.outage(base.index, names), outage.outage(head.index, names)
    old = {f.ae_title: f for f in was.flows}
    new = {f.ae_title: f for f in now.flows}
    b_reach, h_reach = Reach.of(base.index), Reach.of(head.index)
    flows = []
    for title in sorted(old.keys() | new.keys()):
        b, h = old.get(title), new.get(title)
        # destinations reached on one side only are flow changes (`flows`), not the
        # outage's: compare what the outage takes of what both sides reach
        both = b_reach.reached(title) & h_reach.reached(title)
        b_lost = {t: p for p, t in b.lost if t in both} if b else {}
        h_lost = {t: p for p, t in h.lost if t in both} if h else {}
        b_stops, h_stops = bool(b and b.stops), bool(h and h.stops)
        if b_lost == h_lost and b_stops == h_stops:
            continue
        flows.append(
            {
                "ae": title,
                "change": _outage_change(b_stops, h_stops, set(b_lost), set(h_lost)),
                "newly_lost": [
                    {"ae": t, "purpose": h_lost[t]} for t in sorted(h_lost.keys() - b_lost.keys())
                ],
                "no_longer_lost": [
                    {"ae": t, "purpose": b_lost[t]} for t in sorted(b_lost.keys() - h_lost.keys())
                ],
            }
        )
    sites = []
    for site in sorted(was.sites.keys() | now.sites.keys()):
        for what in ("worklist", "reading", "archive"):
            b_aes = set(was.sites.get(site, {}).get(what, []))
            h_aes = set(now.sites.get(site, {}).get(what, []))
            if b_aes != h_aes:
                sites.append(
                    {
                        "site": site,
                        "loses": what,
                        "newly": sorted(h_aes - b_aes),
                        "no_longer": sorted(b_aes - h_aes),
                    }
                )
    plans = []
    for b_sys, h_sys in zip(was.down, now.down, strict=True):
        before, after = b_sys.as_dict(), h_sys.as_dict()
        if before == after:
            continue
        plans.append(
            {
                "device": h_sys.device,
                "covered": "gained"
                if after["covered"] and not before["covered"]
                else "lost"
                if before["covered"] and not after["covered"]
                else "unchanged",
                "fields": _plan_fields(before, after),
                "before": before,
                "after": after,
            }
        )
    return {"devices": list(dict.fromkeys(names)), "flows": flows, "sites": sites, "plans": plans}


def _plan_fields(before: dict, after: dict) -> list[str]:
    """The plan's facts that differ; whether the fallback is up follows from which
    fallback it is, so it is named only when the fallback itself is unchanged."""
    fields = {k for k in before if before[k] != after[k]} - {"covered"}
    if "read_only_fallback" in fields:
        fields.discard("fallback_up")
    return sorted(fields)


def _outage_change(b_stops: bool, h_stops: bool, b_lost: set[str], h_lost: set[str]) -> str:
    """How an acquisition AE's outage changes, in a change board's words."""
    if h_stops != b_stops:
        return "newly stops" if h_stops else "no longer stops"
    if b_lost < h_lost:
        return "loses more"
    if h_lost < b_lost:
        return "loses less"
    return "loses other destinations"


# --- findings -----------------------------------------------------------------------


def _keyed(side: Side) -> dict[tuple[str, str, str, str], Finding]:
    return {identity.key(f, (side.root,)): f for f in side.result.active}


def finding_changes(base: Side, head: Side) -> tuple[list[dict], list[dict]]:
    """(introduced, resolved): active findings matched by `identity.key`."""
    old, new = _keyed(base), _keyed(head)

    def shown(side: Side, f: Finding) -> dict:
        loc = f.location
        at = f"{identity.relative_path(loc.path, (side.root,))}:{loc.line}" if loc else ""
        return {
            "code": f.code,
            "severity": f.severity.label,
            "entity": f.entity,
            "at": at,
            "message": f.message,
            "fingerprint": identity.fingerprint(f, (side.root,)),
        }

    def order(d: dict) -> tuple:
        return (-Severity.parse(d["severity"]), d["code"], d["at"], d["entity"], d["message"])

    introduced = sorted((shown(head, new[k]) for k in new.keys() - old.keys()), key=order)
    resolved = sorted((shown(base, old[k]) for k in old.keys() - new.keys()), key=order)
    return introduced, resolved


def compare(base: Side, head: Side, down: list[str] | None = None) -> dict:
    """The whole difference, as the JSON output holds it; `down`: the what-if of those
    devices down, on both sides."""
    introduced, resolved = finding_changes(base, head)
    diff = {
        "base": base.label,
        "head": head.label,
        "entities": entity_changes(base, head),
        "flows": flow_changes(base, head),
        "coverage": coverage_changes(base, head),
        "findings": {"introduced": introduced, "resolved": resolved},
    }
    if down:
        diff["down"] = down_changes(base, head, down)
    return diff


def new_at_or_above(diff: dict, threshold: Severity) -> int:
    """How many introduced findings are at least `threshold` severe (`--fail-on-new`)."""
    return sum(
        1 for f in diff["findings"]["introduced"] if Severity.parse(f["severity"]) >= threshold
    )


# --- output -------------------------------------------------------------------------


def summary(diff: dict) -> list[str]:
    """The counts a reader sees first."""
    counts = {"added": 0, "removed": 0, "changed": 0}
    for e in diff["entities"]:
        counts[e["change"]] += 1
    gained = sum(len(f["gained"]) for f in diff["flows"])
    lost = sum(len(f["lost"]) for f in diff["flows"])
    syntaxes = sum(len(f["syntaxes"]) for f in diff["flows"])
    found = diff["findings"]
    lines = [
        f"Entities: {counts['added']} added, {counts['removed']} removed, "
        f"{counts['changed']} changed",
        f"Flows: {len(diff['flows'])} acquisition AE(s) affected, {gained} destination(s) "
        f"gained, {lost} lost, {syntaxes} transfer syntax change(s)",
        _coverage_summary(diff["coverage"]),
    ]
    if "down" in diff:
        lines.append(_down_summary(diff["down"]))
    lines.append(
        f"Findings: {len(found['introduced'])} introduced, {len(found['resolved'])} resolved"
    )
    return lines


def _coverage_summary(coverage: dict) -> str:
    """Retention and DR coverage in one line: how many acquisition AEs gain or lose each."""
    retention: dict[str, set[str]] = {"gained": set(), "lost": set(), "changed": set()}
    dr: dict[str, set[str]] = {"gained": set(), "lost": set(), "changed": set()}
    for entry in coverage["acquisition_aes"]:
        for r in entry["retention"]:
            retention[r["change"]].add(entry["ae"])
        if entry["dr"]:
            dr[entry["dr"]["change"]].add(entry["ae"])
    return (
        "Coverage: retention lost for {} acquisition AE(s), gained for {}, changed for {}; "
        "DR coverage lost for {}, gained for {}, changed for {}; {} continuity plan(s) "
        "changed"
    ).format(
        *(len(retention[k]) for k in ("lost", "gained", "changed")),
        *(len(dr[k]) for k in ("lost", "gained", "changed")),
        len(coverage["systems"]),
    )


def _down_summary(down: dict) -> str:
    """The what-if in one line."""
    changes = [f["change"] for f in down["flows"]]
    covered = [p["device"] for p in down["plans"] if p["covered"] == "lost"]
    regained = [p["device"] for p in down["plans"] if p["covered"] == "gained"]
    return (
        f"What-if {', '.join(down['devices'])} down: {changes.count('newly stops')} "
        f"acquisition AE(s) newly stop, {changes.count('no longer stops')} no longer stop, "
        f"{len(down['flows'])} affected; plan coverage lost for {len(covered)}, gained for "
        f"{len(regained)}"
    )


def coverage_rows(diff: dict) -> list[list[str]]:
    """[what, change, before, after, acquisition AEs]: one row per distinct coverage
    change, the acquisition AEs it applies to grouped (a policy removed for a
    jurisdiction is one row, not one per modality AE)."""
    grouped: dict[tuple[str, str, str, str], list[str]] = {}
    for entry in diff["coverage"]["acquisition_aes"]:
        for r in entry["retention"]:
            key = (
                f"retention {r['what']}",
                r["change"],
                r["before"] or "none",
                r["after"] or "none",
            )
            grouped.setdefault(key, []).append(entry["ae"])
        if entry["dr"]:
            d = entry["dr"]
            key = (
                "DR",
                d["change"],
                "; ".join(d["before"]) or "none",
                "; ".join(d["after"]) or "none",
            )
            grouped.setdefault(key, []).append(entry["ae"])
    rows = [[*key, ", ".join(aes)] for key, aes in sorted(grouped.items())]
    for system in diff["coverage"]["systems"]:
        for field in system["fields"] or ["plan"]:
            rows.append(
                [
                    f"continuity plan of {system['system']} ({system['kind']}, {system['at']}): "
                    f"{field}",
                    system["change"],
                    system["before"].get(field) or "none",
                    system["after"].get(field) or "none",
                    f"{len(system['acquisition_aes'])} reach it",
                ]
            )
    return rows


def down_rows(down: dict) -> list[list[str]]:
    """[subject, change, details]: the what-if's changes, one row per AE, site loss and
    down system."""
    rows = []
    for f in down["flows"]:
        parts = [f"newly loses {_lost_words(f['newly_lost'])}"] if f["newly_lost"] else []
        if f["no_longer_lost"]:
            parts.append(f"no longer loses {_lost_words(f['no_longer_lost'])}")
        rows.append([f["ae"], f["change"], "; ".join(parts)])
    for s in down["sites"]:
        parts = [f"newly for {', '.join(s['newly'])}"] if s["newly"] else []
        if s["no_longer"]:
            parts.append(f"no longer for {', '.join(s['no_longer'])}")
        rows.append([f"site {s['site']}", f"loses {s['loses']}", "; ".join(parts)])
    for p in down["plans"]:
        fields = "; ".join(
            f"{k}: {p['before'][k] if p['before'][k] is not None else 'none'} -> "
            f"{p['after'][k] if p['after'][k] is not None else 'none'}"
            for k in p["fields"]
        )
        rows.append([f"plan of {p['device']}", f"coverage {p['covered']}", fields])
    return rows


def _lost_words(lost: list[dict]) -> str:
    return ", ".join(f"{d['ae']} ({d['purpose']})" for d in lost)


def _destination(d: dict) -> str:
    return f"{d['ae']} ({', '.join(d['purposes'])})" if d["purposes"] else d["ae"]


def _syntax(s: dict) -> str:
    before = ", ".join(s["before"]) or "negotiated: none in common"
    after = ", ".join(s["after"]) or "negotiated: none in common"
    return f"{s['route']} {s['sop_class']}: {before} -> {after}" + (
        " (lossy)" if s["lossy"] else ""
    )


def _entity_line(e: dict) -> str:
    sign = {"added": "+", "removed": "-", "changed": "~"}[e["change"]]
    text = f"{sign} {e['kind']} {e['name']} ({e['at']})"
    if e.get("fields"):
        text += f": {', '.join(e['fields'])}"
    return text


def render_text(diff: dict) -> str:
    """Plain text for a terminal."""
    lines = [f"imgpolicy diff {diff['base']} -> {diff['head']}", *summary(diff), ""]
    if diff["entities"]:
        lines.append("Entities:")
        for e in diff["entities"]:
            lines.append(f"  {_entity_line(e)}")
            lines.extend(f"      {c}" for c in e.get("capabilities", []))
    if diff["flows"]:
        lines.append("Flows of acquisition AEs:")
        for f in diff["flows"]:
            lines.append(f"  {f['ae']} ({f['status']}; produces {', '.join(f['produces'])})")
            lines.extend(f"    gains {_destination(d)}" for d in f["gained"])
            lines.extend(f"    loses {_destination(d)}" for d in f["lost"])
            lines.extend(f"    syntax {_syntax(s)}" for s in f["syntaxes"])
    rows = coverage_rows(diff)
    if rows:
        lines.append("Retention and DR coverage:")
        lines.extend(f"  {w} {c}: {b} -> {a} ({aes})" for w, c, b, a, aes in rows)
    if "down" in diff:
        lines.append(f"What-if {', '.join(diff['down']['devices'])} down, change:")
        rows = down_rows(diff["down"])
        lines.extend(f"  {subject} {change}: {details}" for subject, change, details in rows)
        if not rows:
            lines.append("  The outage has the same impact on both sides.")
    for title, key in (("Findings introduced:", "introduced"), ("Findings resolved:", "resolved")):
        if diff["findings"][key]:
            lines.append(title)
            lines.extend(
                f"  {f['at']} {f['code']} {f['severity']}: {f['message']}"
                for f in diff["findings"][key]
            )
    return "\n".join(lines) + "\n"


def _cell(text: object) -> str:
    """Text safe inside a GFM table cell."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: Sequence[Sequence[object]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    out.extend("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows)
    return out


def _details(title: str, body: list[str]) -> list[str]:
    return ["<details>", f"<summary>{title}</summary>", "", *body, "", "</details>", ""]


def render_markdown(diff: dict, json_hint: str = "", limit: int = MARKDOWN_LIMIT) -> str:
    """A pull-request comment: summary first, each section collapsed, at most `limit`
    characters (sections that do not fit are named with a pointer to the JSON)."""
    head = [f"### imgpolicy diff `{diff['base']}` → `{diff['head']}`", ""]
    head += [f"- {line}" for line in summary(diff)] + [""]
    sections: list[list[str]] = []
    found = diff["findings"]
    for title, key in (("Findings introduced", "introduced"), ("Findings resolved", "resolved")):
        if found[key]:
            rows = [[f["severity"], f["code"], f["at"], f["message"]] for f in found[key]]
            sections.append(
                _details(
                    f"{title} ({len(rows)})",
                    _table(["Severity", "Code", "Where", "Message"], rows),
                )
            )
    if diff["flows"]:
        rows = [
            [
                f["ae"],
                f["status"],
                "; ".join(_destination(d) for d in f["gained"]),
                "; ".join(_destination(d) for d in f["lost"]),
                "; ".join(_syntax(s) for s in f["syntaxes"]),
            ]
            for f in diff["flows"]
        ]
        sections.append(
            _details(
                f"Flows of acquisition AEs ({len(rows)})",
                _table(["AE", "Status", "Gains", "Loses", "Transfer syntax changes"], rows),
            )
        )
    rows = coverage_rows(diff)
    if rows:
        sections.append(
            _details(
                f"Retention and DR coverage ({len(rows)})",
                _table(["Coverage", "Change", "Before", "After", "Acquisition AEs"], rows),
            )
        )
    if "down" in diff and (rows := down_rows(diff["down"])):
        sections.append(
            _details(
                f"What-if {', '.join(diff['down']['devices'])} down ({len(rows)})",
                _table(["What", "Change", "Details"], rows),
            )
        )
    if diff["entities"]:
        rows = [
            [
                e["change"],
                e["kind"],
                e["name"],
                e["at"],
                "; ".join([*e.get("fields", []), *e.get("capabilities", [])]),
            ]
            for e in diff["entities"]
        ]
        sections.append(
            _details(
                f"Entities ({len(rows)})",
                _table(["Change", "Kind", "Name", "Where", "What changed"], rows),
            )
        )
    pointer = (
        f"_Truncated: the full report is {json_hint}._"
        if json_hint
        else "_Truncated: run `imgpolicy diff --format json` for the full report._"
    )
    out = list(head)
    left_out = []
    for section in sections:
        if len("\n".join([*out, *section, pointer])) <= limit:
            out.extend(section)
        else:
            left_out.append(section[1].removeprefix("<summary>").removesuffix("</summary>"))
    if left_out:
        out += [f"{pointer} Not shown: {', '.join(left_out)}.", ""]
    return "\n".join(out)


def render(diff: dict, fmt: str, json_hint: str = "") -> str:
    """`diff` in `fmt` (text, json or markdown), deterministic."""
    import json

    if fmt == "json":
        return json.dumps(diff, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return render_markdown(diff, json_hint)
    return render_text(diff)
