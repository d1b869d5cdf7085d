"""A baseline: the findings an existing environment already has, accepted for now.

An entry is a finding's identity (`identity.key`: code, file path relative to the
environment root, entity, detail) and its fingerprint, never a line number or a message,
so edits elsewhere in a file, a date in a message or running from another folder do not
resurrect it, and a new problem (another entity or detail) is never absorbed. Entries that
match nothing any more are stale: every report says how many, and `--write-baseline` over
the old file drops them and says so. Findings of rules that cannot be suppressed (lossy
mammography, plaintext secrets...) are never written into a baseline.

Format (JSON): {"format": "imgpolicy-baseline", "version": 2, "findings": [{"code",
"path", "entity", "fingerprint"}]}. Version 1 files (matched by message and by the path as
typed) are refused with a message saying to rewrite them.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from . import fsutil, identity
from .findings import Finding, Suppression

FORMAT = "imgpolicy-baseline"
VERSION = 2
MAX_BYTES = 64 * fsutil.MiB


class BaselineError(Exception):
    pass


class OldBaseline(BaselineError):
    """A version 1 baseline: unusable for matching, but `--write-baseline` may replace it."""


@dataclass(frozen=True, order=True)
class Entry:
    """One accepted finding, as stored."""

    code: str
    path: str
    entity: str
    fingerprint: str

    @classmethod
    def of(cls, finding: Finding, roots: Sequence[str]) -> Entry:
        code, path, entity, _ = identity.key(finding, roots)
        return cls(code, path, entity, identity.fingerprint(finding, roots))


@dataclass
class Baseline:
    path: str
    entries: list[Entry] = field(default_factory=list)


@dataclass
class Applied:
    """The findings with those in the baseline marked, and the entries nothing matched."""

    findings: list[Finding]
    stale: list[Entry]

    @property
    def notes(self) -> list[str]:
        if not self.stale:
            return []
        count = len(self.stale)
        return [
            f"{count} baseline entr{'ies' if count != 1 else 'y'} no longer match"
            f"{'' if count != 1 else 'es'} a finding: rerun --write-baseline to drop "
            f"{'them' if count != 1 else 'it'}."
        ]


@dataclass
class Written:
    """What `--write-baseline` did, for its message."""

    count: int
    kept: int
    dropped: int
    added: int
    left_out: Counter = field(default_factory=Counter)
    """Codes that cannot be suppressed -> how many of their findings were left out."""

    def summary(self, path: str) -> str:
        text = (
            f"wrote {path} with {self.count} finding{'s' if self.count != 1 else ''} "
            f"(kept {self.kept}, dropped {self.dropped} stale, added {self.added})"
        )
        if self.left_out:
            total = sum(self.left_out.values())
            text += (
                f"; left out {total} finding{'s' if total != 1 else ''} of rules that cannot "
                f"be suppressed ({', '.join(sorted(self.left_out))}): fix "
                f"{'them' if total != 1 else 'it'}"
            )
        return text


def unsuppressible_codes() -> set[str]:
    """Codes whose findings no baseline may hold (safety rules)."""
    from .rules.registry import all_rules

    return {code for code, rule in all_rules().items() if not rule.suppressible}


def write(
    path: str,
    findings: Iterable[Finding],
    roots: Sequence[str] = (),
    *,
    unsuppressible: set[str] | None = None,
) -> Written:
    """Record the findings (those not suppressed inline) as the baseline at `path`, keeping
    what an existing baseline there still matches; an existing file that is not a baseline
    is refused rather than replaced."""
    blocked = unsuppressible_codes() if unsuppressible is None else unsuppressible
    previous: Counter = Counter()
    if os.path.lexists(path):
        try:
            previous = Counter(read(path).entries)
        except OldBaseline:
            pass  # rewriting it is the upgrade
    left_out: Counter = Counter()
    current: Counter = Counter()
    for finding in findings:
        if finding.suppressed is not None and finding.suppressed.kind != "baseline":
            continue
        if finding.code in blocked or not finding.suppressible:
            left_out[finding.code] += 1
            continue
        current[Entry.of(finding, roots)] += 1
    kept = sum((current & previous).values())
    document = {
        "format": FORMAT,
        "version": VERSION,
        "findings": [
            {"code": e.code, "path": e.path, "entity": e.entity, "fingerprint": e.fingerprint}
            for e in sorted(current.elements())
        ],
    }
    fsutil.write_atomic(path, json.dumps(document, indent=2, sort_keys=True) + "\n")
    count = sum(current.values())
    return Written(count, kept, sum(previous.values()) - kept, count - kept, left_out)


def read(path: str) -> Baseline:
    """The baseline at `path` (bounded read, strict shape); `BaselineError` saying what to
    do when it cannot be used."""

    def refuse(why: str, kind: type[BaselineError] = BaselineError) -> BaselineError:
        return kind(f"{path}: cannot use as a baseline: {why}; write one with --write-baseline")

    try:
        raw = fsutil.read_bounded(path, MAX_BYTES)
    except OSError as err:
        raise refuse(str(err.strerror or err)) from None
    try:
        document = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise refuse("it nests too deeply to be a baseline") from None
    except (ValueError, UnicodeDecodeError) as err:  # JSONDecodeError, 5,000-digit ints
        raise refuse(f"not JSON ({err})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise refuse("not an imgpolicy baseline")
    version = document.get("version")
    if type(version) is not int:  # not true, 2.0 or "2"
        raise refuse(f"'version' must be the number {VERSION}")
    if version == 1:
        raise refuse(
            "it is a version 1 baseline (matched by message and by the path as typed), "
            "which this imgpolicy no longer reads: rewrite it",
            OldBaseline,
        )
    if version != VERSION:
        raise refuse(f"version {version} is not {VERSION}")
    items = document.get("findings")
    if not isinstance(items, list):
        raise refuse("'findings' must be a list")
    entries = []
    names = ("code", "path", "entity", "fingerprint")
    for number, item in enumerate(items):
        if not isinstance(item, dict) or not all(isinstance(item.get(n), str) for n in names):
            raise refuse(f"findings[{number}] needs the strings {', '.join(names)}")
        entries.append(Entry(*(item[n] for n in names)))
    return Baseline(path, entries)


def apply(
    findings: list[Finding],
    accepted: Baseline,
    unsuppressible: set[str],
    roots: Sequence[str] = (),
) -> Applied:
    """Mark the findings the baseline holds (each entry once) as suppressed; findings of
    rules that cannot be suppressed stay active whatever the file says."""
    remaining = Counter(accepted.entries)
    out = []
    for finding in findings:
        if (
            finding.suppressed is None
            and finding.code not in unsuppressible
            and finding.suppressible
        ):
            entry = Entry.of(finding, roots)
            if remaining[entry]:
                remaining[entry] -= 1
                finding = replace(
                    finding, suppressed=Suppression("baseline", f"in baseline {accepted.path}")
                )
        out.append(finding)
    return Applied(out, sorted(remaining.elements()))
