"""Where each AE's own studies go: the AEs reached from every origin, following what each
route lets through and who sent it (`calling_ae`), computed once per check.

`Flow` follows kinds of items (modality, SOP class) whoever sent them; rules about where a
site's patients' studies end up (teleradiology licensure, patient identity domains) need
to follow each origin's studies, so a route that forwards only what certain AEs sent keeps
the others' out. A walk from one origin is a walk over states (AE, the AE that sent to it,
items, arrived by prefetch); past the origin's own hop (once the sender is not the origin)
a state's reach no longer depends on the origin, so it is computed once and shared by
every origin that passes through it. That keeps the whole computation near linear in
origins x hops instead of origins x stores x routes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from ..model.routes import Route
from .index import Index

_State = tuple[str, str | None, frozenset, bool]


class Reach:
    """`reached(origin)`: the AE titles `origin`'s own studies reach (itself excluded)."""

    def __init__(self, index: Index, by_sender: frozenset[str] | None = None):
        self.index = index
        self._by_origin: dict[str, frozenset[str]] = {}
        self._by_state: dict[_State, frozenset[str]] = {}
        self._origins_of: dict[str, set[str]] | None = None
        self._groups: dict[frozenset[str], frozenset[str]] | None = None
        self._interned: dict[frozenset[str], frozenset[str]] = {}
        if by_sender is None:
            by_sender = frozenset(
                r.from_ for r in index.env.routes if r.match and r.match.calling_ae
            )
        self._by_sender: frozenset[str] = by_sender
        """AEs with a route that forwards by who sent (`calling_ae`): the only ones where
        the sender changes what a state reaches."""
        self._base: Reach | None = None
        self._down: frozenset[str] = frozenset()
        self._parts: dict[str, tuple[frozenset[str], frozenset[_State]]] = {}
        """Per origin walked: the AEs its own hop reaches, and the shared states it hands on."""
        self._by_parts: dict[tuple[frozenset[str], frozenset[_State]], frozenset[str]] = {}
        self._candidates: dict[str, tuple[list, dict[str, list]]] = {}

    def without(self, index: Index, down: frozenset[str]) -> Reach:
        """The reach on `index`, this reach's index with the AEs `down` cut off (their
        routes, and the routes to them, taken away): an outage. An origin or a state
        whose reach here never met a down AE walked no route that is gone, so its reach
        is taken over as it is; only what reached a down AE is walked again (one outage
        per critical system in the documents would otherwise walk every origin again)."""
        after = Reach(index, self._by_sender)  # the same routes, fewer of them walkable
        after._base = self
        after._down = down
        return after

    def _unchanged(self, reach: frozenset[str] | None) -> bool:
        """Whether a reach of the base never met a down AE (so it holds here too)."""
        return reach is not None and reach.isdisjoint(self._down)

    @classmethod
    def of(cls, index: Index) -> Reach:
        """The one `Reach` of a check."""
        return index.shared(cls, cls)

    def origins_reaching(self, targets: frozenset[str]) -> set[str]:
        """The AE titles whose own studies reach one of `targets`.

        Looked up in the reverse of `reached` (built once), so asking for every image
        store or worklist of an estate costs what the answers hold, not stores x AEs."""
        origins_of = self._reverse()
        found: set[str] = set()
        for target in targets:
            found |= origins_of.get(target, set())
        return found - targets

    def groups(self) -> dict[frozenset[str], frozenset[str]]:
        """What the origins reach -> the origins (AEs that originate studies) that reach
        exactly that. An estate's modalities fall into few groups (those of a site mostly
        reach the same stores), so a rule asking per store can work per group."""
        if self._groups is None:
            index = self.index
            members: dict[frozenset[str], set[str]] = {}
            for _, ae in index.env.application_entities():
                origin = ae.ae_title
                if index.flow.origin(origin):
                    members.setdefault(self.reached(origin), set()).add(origin)
            self._groups = {reach: frozenset(titles) for reach, titles in members.items()}
        return self._groups

    def _reverse(self) -> dict[str, set[str]]:
        """AE title -> the origins (AEs that originate studies) whose studies reach it."""
        if self._origins_of is None:
            origins_of: dict[str, set[str]] = {}
            for reach, origins in self.groups().items():
                for target in reach:
                    origins_of.setdefault(target, set()).update(origins)
            self._origins_of = origins_of
        return self._origins_of

    def reached(self, origin: str) -> frozenset[str]:
        if origin not in self._by_origin:
            base = self._base
            if base is not None and origin not in self._down:
                was = base.reached(origin)
                if self._unchanged(was):
                    self._by_origin[origin] = was
                    return was
                parts = base._parts.get(origin)
                if parts is not None and self._own_hop_unchanged(*parts):
                    reach = self._from_parts(origin, *parts)
                    self._by_origin[origin] = self._interned.setdefault(reach, reach)
                    return self._by_origin[origin]
            start = (origin, None, frozenset(self.index.flow.origin(origin)), False)
            reach = self._walk(start, origin) - {origin}
            self._by_origin[origin] = self._interned.setdefault(reach, reach)
        return self._by_origin[origin]

    def _own_hop_unchanged(self, own: frozenset[str], handed: frozenset[_State]) -> bool:
        """Whether an origin's own hop (in the base) met no down AE: then it hands on the
        same states here, and only their reach may differ."""
        down = self._down
        return own.isdisjoint(down) and not any(key[0] in down for key in handed)

    def _from_parts(self, origin: str, own: frozenset[str], handed: frozenset[_State]):
        """An origin's reach from its own hop's AEs and the states it hands on: the
        modalities of a kind at a site share it, so an outage costs what reaches the down
        AE, not every origin again."""
        reach = self.full_reach((own, handed))
        return reach - {origin} if origin in reach else reach

    def parts(self, origin: str) -> tuple[frozenset[str], frozenset[_State]] | None:
        """What `reached(origin)` was made of: the AEs the origin's own hop reaches and the
        shared states it hands on (None when it was not walked in parts). Origins with the
        same parts reach the same AEs, with or without an outage past their own hop."""
        return self._parts.get(origin)

    def full_reach(self, parts: tuple[frozenset[str], frozenset[_State]]) -> frozenset[str]:
        """Every AE that an origin's `parts` reach, the origin itself included when its
        studies come back to it; once per distinct parts."""
        reach = self._by_parts.get(parts)
        if reach is None:
            own, handed = parts
            found = set(own)
            for key in handed:
                found |= self._shared_key(key)
            reach = self._by_parts[parts] = frozenset(found)
        return reach

    def _key(self, state: _State) -> _State:
        """A state past the origin's own hop as the shared walks know it. Where no route
        from the state's AE looks at who sent (`calling_ae`), the sender cannot change
        what it reaches, so states that differ only in their sender share one walk (the
        VNA fed by every site's router walks its routes once per kind of items, not once
        per router)."""
        title, _, items, last = state
        return state if title in self._by_sender else (title, None, items, last)

    def _shared_key(self, key: _State) -> frozenset[str]:
        """The reach of a shared state (`_key`), walked once per check (or per outage,
        when the base's reach of it met a down AE)."""
        if key not in self._by_state:
            base = self._base
            was = base._by_state.get(key) if base is not None else None
            if was is not None and self._unchanged(was):
                self._by_state[key] = was
            else:
                self._by_state[key] = self._walk(key, None)
        return self._by_state[key]

    def _walk(self, start: _State, origin: str | None) -> frozenset[str]:
        index = self.index
        reached: set[str] = set()
        handed: set[_State] = set()  # an origin's walk: the shared states it hands on
        seen: dict[tuple[str, str | None], frozenset] = {}
        queue: deque[_State] = deque([start])
        while queue:
            state = queue.popleft()
            title, sender, items, last = state
            if state is not start and origin is not None and sender != origin:
                handed.add(self._key(state))
                continue
            reached.add(title)
            known = seen.get((title, sender), frozenset())
            if last or items <= known:
                continue  # what arrives by prefetch is not forwarded again
            seen[(title, sender)] = known | items
            if title != origin:
                sends = index.storage_scu(title)
                items = frozenset(i for i in items if i[1] in sends)
            for route in self._routes(title, sender, title == origin):
                passed = _let_through(route, items, sender, title == origin)
                accepts = index.storage_scp(route.to)
                passed = frozenset(i for i in passed if i[1] in accepts)
                if route.enabled and passed:
                    queue.append((route.to, title, passed, route.purpose == "prefetch"))
        if origin is not None:
            self._parts[origin] = (frozenset(reached - {origin}), frozenset(handed))
            for key in handed:
                reached |= self._shared_key(key)
        return frozenset(reached)

    def _routes(self, title: str, sender: str | None, own: bool) -> list[Route]:
        """The routes from `title` that can carry what `sender` sent, in declaration
        order: those that do not look at the caller, and those whose `calling_ae` names
        `sender` (or `title` itself for its own studies). A router holds a rule per
        modality, so scanning them all on every walk through it would cost AEs x rules;
        the skipped ones are exactly those `_let_through` lets nothing through."""
        found = self._candidates.get(title)
        if found is None:
            open_routes: list[tuple[int, Route]] = []
            named: dict[str, list[tuple[int, Route]]] = {}
            for position, route in enumerate(self.index.routes_from.get(title, ())):
                calling = route.match.calling_ae if route.match is not None else None
                if calling:
                    for ae in calling:
                        named.setdefault(ae, []).append((position, route))
                else:
                    open_routes.append((position, route))
            found = self._candidates[title] = (open_routes, named)
        open_routes, named = found
        if not named:
            return [route for _, route in open_routes]
        picked = dict(open_routes)
        if sender is not None:
            picked.update(named.get(sender, ()))
        if own:
            picked.update(named.get(title, ()))
        return [picked[position] for position in sorted(picked)]


def _let_through(route: Route, items: Iterable, sender: str | None, own: bool) -> frozenset:
    """The items `route` carries of those its source holds, `sender` having sent them
    (`own`: the source originated them)."""
    match = route.match
    items = frozenset(items)
    if match is None:
        return items
    if match.calling_ae and not (
        sender in match.calling_ae or (own and route.from_ in match.calling_ae)
    ):
        return frozenset()
    if match.sop_classes:
        items = frozenset(i for i in items if i[1] in match.sop_classes)
    if match.modality:
        items = frozenset(i for i in items if i[0] in match.modality)
    return items
