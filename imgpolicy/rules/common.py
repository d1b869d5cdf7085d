"""Small pieces several rule families share: hints for unknown names, related locations."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from ..analysis.index import Index
from ..findings import Related


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """` (did you mean 'X'?)` for a name differing by case or a near miss, else ''."""
    known = list(known)
    folded = {k.casefold(): k for k in known}
    if name.casefold() in folded:
        return f" (did you mean '{folded[name.casefold()]}'?)"
    near = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
    return f" (did you mean '{near[0]}'?)" if near else ""


def unknown_ae_hint(
    index: Index, title: str, fix: str = "declare it on a device or correct the title"
) -> str:
    """What to say about an AE title no device declares: the case variant if there is one."""
    same_but_case = index.aes_folded.get(title.casefold())
    if same_but_case:
        return (
            f" (did you mean '{same_but_case[0][1].ae_title}'? AE titles are compared "
            "exactly by some systems)"
        )
    return f": {fix}"


def ae_related(index: Index, title: str, message: str) -> list[Related]:
    found = index.aes.get(title)
    return [Related(index.where(found[1], "ae_title"), message)] if found else []


def device_related(index: Index, name: str, message: str) -> list[Related]:
    device = index.devices.get(name)
    return [Related(index.where(device, "name"), message)] if device else []
