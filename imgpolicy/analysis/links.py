"""Which sites are joined by an encrypted network path (`site_links`).

Traffic between two sites travels on the link declared between them. Without a direct
link it goes through other sites, as in a hub-and-spoke WAN where every clinic has a
tunnel to the data centre: it is encrypted when a chain of encrypting links joins them,
each WAN hop inside a tunnel. A direct link wins over any chain, so a declared plain
circuit between two sites is never hidden by tunnels elsewhere.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass

from ..model.links import SiteLink


@dataclass(frozen=True)
class Carriage:
    """How traffic between two sites is carried, as far as the environment says."""

    encrypted: bool
    links: tuple[SiteLink, ...]
    """The links it travels on: the direct ones, or the encrypted chain; () when unknown."""

    def explain(self, a: str, b: str) -> str:
        """Why the path between sites `a` and `b` is not encrypted, for a message."""
        if self.encrypted:
            names = ", ".join(f"'{link.name}'" for link in self.links)
            return f"site link {names} encrypts it"
        plain = [link for link in self.links if not link.encrypts]
        if not plain:
            return f"no site link between {a} and {b} is declared"
        if len(plain) == 1:
            link = plain[0]
            return f"site link '{link.name}' between them is {_kind(link)}"
        return "site links " + ", ".join(f"'{x.name}' ({_kind(x)})" for x in plain) + " do not"


def _kind(link: SiteLink) -> str:
    """A link's protection in words: MPLS separates traffic but does not encrypt it."""
    if link.encryption == "mpls":
        return "MPLS (separated, not encrypted)"
    return "not encrypted"


class SiteLinks:
    """The declared site links, looked up by pair of sites."""

    def __init__(self, links: list[SiteLink]):
        self._direct: dict[frozenset[str], list[SiteLink]] = defaultdict(list)
        self._encrypted_neighbours: dict[str, list[tuple[str, SiteLink]]] = defaultdict(list)
        for link in links:
            a, b = link.sites
            self._direct[frozenset((a, b))].append(link)
            if link.encrypts:
                self._encrypted_neighbours[a].append((b, link))
                self._encrypted_neighbours[b].append((a, link))
        self._cache: dict[frozenset[str], Carriage] = {}

    def between(self, a: str, b: str) -> Carriage:
        """How traffic between sites `a` and `b` is carried (`a != b`)."""
        pair = frozenset((a, b))
        if pair not in self._cache:
            direct = self._direct.get(pair)
            if direct:
                # Several direct links (a primary tunnel and a backup circuit): traffic may
                # take any of them, so each must encrypt.
                carriage = Carriage(all(link.encrypts for link in direct), tuple(direct))
            else:
                chain = self._encrypted_chain(a, b)
                carriage = Carriage(chain is not None, chain or ())
            self._cache[pair] = carriage
        return self._cache[pair]

    def _encrypted_chain(self, a: str, b: str) -> tuple[SiteLink, ...] | None:
        """The shortest chain of encrypting links from `a` to `b` (breadth first), or None."""
        came_from: dict[str, tuple[str, SiteLink] | None] = {a: None}
        queue = deque([a])
        while queue:
            here = queue.popleft()
            if here == b:
                chain: list[SiteLink] = []
                step = came_from[here]
                while step is not None:
                    previous, link = step
                    chain.append(link)
                    step = came_from[previous]
                return tuple(reversed(chain))
            for there, link in self._encrypted_neighbours.get(here, ()):
                if there not in came_from:
                    came_from[there] = (here, link)
                    queue.append(there)
        return None
