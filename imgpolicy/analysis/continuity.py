"""Which critical systems have no continuity plan: what rule DR001 reports and what the
documents list, computed in one place."""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Environment
from ..model.devices import Device


def critical_systems(env: Environment, kinds: Iterable[str]) -> list[Device]:
    """Devices of a critical kind that the organisation runs: a teleradiology provider's
    own systems (devices at a `teleradiology` site) are under its continuity plan, not
    ours."""
    critical = frozenset(kinds)
    remote = {site.name for site in env.sites if site.teleradiology}
    return [d for d in env.devices if d.kind in critical and d.site not in remote]


def without_plan(env: Environment, kinds: Iterable[str]) -> list[Device]:
    """The critical systems that no continuity plan names as its `system`."""
    planned = {plan.system for plan in env.continuity}
    return [d for d in critical_systems(env, kinds) if d.name not in planned]
