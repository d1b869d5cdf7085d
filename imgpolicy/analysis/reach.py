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

    def __init__(self, index: Index):
        self.index = index
        self._by_origin: dict[str, frozenset[str]] = {}
        self._by_state: dict[_State, frozenset[str]] = {}

    @classmethod
    def of(cls, index: Index) -> Reach:
        """The one `Reach` of a check."""
        return index.shared(cls, cls)

    def origins_reaching(self, targets: frozenset[str]) -> set[str]:
        """The AE titles whose own studies reach one of `targets`."""
        index = self.index
        return {
            ae.ae_title
            for _, ae in index.env.application_entities()
            if ae.ae_title not in targets
            and index.flow.origin(ae.ae_title)
            and self.reached(ae.ae_title) & targets
        }

    def reached(self, origin: str) -> frozenset[str]:
        if origin not in self._by_origin:
            start = (origin, None, frozenset(self.index.flow.origin(origin)), False)
            self._by_origin[origin] = self._walk(start, origin) - {origin}
        return self._by_origin[origin]

    def _shared_state(self, state: _State) -> frozenset[str]:
        """The reach of a state past the origin's own hop, computed once."""
        if state not in self._by_state:
            self._by_state[state] = self._walk(state, None)
        return self._by_state[state]

    def _walk(self, start: _State, origin: str | None) -> frozenset[str]:
        index = self.index
        reached: set[str] = set()
        seen: dict[tuple[str, str | None], frozenset] = {}
        queue: deque[_State] = deque([start])
        while queue:
            state = queue.popleft()
            title, sender, items, last = state
            if state is not start and origin is not None and sender != origin:
                reached |= self._shared_state(state)
                continue
            reached.add(title)
            known = seen.get((title, sender), frozenset())
            if last or items <= known:
                continue  # what arrives by prefetch is not forwarded again
            seen[(title, sender)] = known | items
            if title != origin:
                items = frozenset(i for i in items if i[1] in index.storage_scu(title))
            for route in index.routes_from.get(title, ()):
                passed = _let_through(route, items, sender, title == origin)
                passed = frozenset(i for i in passed if i[1] in index.storage_scp(route.to))
                if route.enabled and passed:
                    queue.append((route.to, title, passed, route.purpose == "prefetch"))
        return frozenset(reached)


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
