"""Patient identity in audit output: masked unless the user asks (`--show-phi`).

An audit finding names the study it is about so the team can find it, but its output
travels (CI logs, SARIF on a code host, a PR annotation), so by default it shows a masked
identifier: enough to match against the archive when one has it, not enough to identify.
Only the text and JSON formats ever show identity, and only under `--show-phi`.
"""

from __future__ import annotations

from dataclasses import dataclass

PHI_FORMATS = frozenset({"text", "json"})
"""The formats `--show-phi` may print identity in; SARIF, JUnit and code-host annotations
end up on servers the imaging team does not control."""


def mask(value: str, keep: int = 2) -> str:
    """`value` with all but its last `keep` characters replaced by `*` (at most `keep`,
    and none of a short value): `MRN0012345` -> `********45`."""
    text = value.strip()
    if not text:
        return ""
    shown = text[-keep:] if len(text) > 2 * keep else ""
    return "*" * (len(text) - len(shown)) + shown


@dataclass(frozen=True)
class Identity:
    """How identifiers are shown in one run."""

    show: bool = False

    def patient_id(self, value: str) -> str:
        return value if self.show else mask(value)

    def name(self, value: str) -> str:
        """A person name (PN): shown whole, or only as `(n characters)`."""
        if self.show:
            return value
        return f"(name, {len(value)} characters)" if value else "(no name)"

    def accession(self, value: str) -> str:
        return value if self.show else mask(value)

    def study(self, uid: str) -> str:
        """A Study Instance UID: a key to the patient in the archive (PS3.15 Annex E
        replaces UIDs when de-identifying), so shown only by its last six characters;
        with the study date, device and masked accession the team can still find it."""
        return uid if self.show else "…" + uid.strip()[-6:]


def study_key(uid: str) -> str:
    """A study's part of a finding's identity (`entity`, `detail`): stable across runs,
    and no more of the UID than a masked one shows."""
    return mask(uid, keep=6)
