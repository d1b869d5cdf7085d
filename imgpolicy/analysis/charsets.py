"""Which character repertoires an AE accepts: shared by CF rules (what the files declare)
and the headers audit (what the studies carry)."""

from __future__ import annotations

from .. import dicom
from ..model.devices import ApplicationEntity

DEFAULT_REPERTOIRE = "ISO_IR 6"
"""The default repertoire (ASCII), which every AE accepts (PS3.5 6.1.2.2)."""


def repertoire(term: str) -> str:
    """One name per repertoire: `ISO 2022 IR 100` (Latin-1 with code extensions) decodes
    the same characters as `ISO_IR 100`, and `ISO 2022 IR 6` is the default."""
    if term.startswith("ISO 2022 IR "):
        plain = "ISO_IR " + term[len("ISO 2022 IR ") :]
        if plain in dicom.SINGLE_BYTE_CHARACTER_SETS:
            return plain
    return term


_SUPPORTED: dict[tuple[str, ...], frozenset[str]] = {}


def supported(ae: ApplicationEntity) -> frozenset[str]:
    """The repertoires `ae` declares, the default included (cached: lists repeat)."""
    key = tuple(ae.character_sets)
    if key not in _SUPPORTED:
        _SUPPORTED[key] = frozenset(map(repertoire, key)) | {DEFAULT_REPERTOIRE}
    return _SUPPORTED[key]
