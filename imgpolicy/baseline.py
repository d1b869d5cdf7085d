"""A baseline: the findings an existing environment already has, accepted for now.

Findings are matched on (code, file, entity, fingerprint of the message), never on line
numbers, so edits elsewhere in a file do not resurrect them, and a new problem (another
entity, or a different message) is never absorbed.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import replace

from .findings import Finding, Suppression
from .fsutil import write_atomic

FORMAT = "imgpolicy-baseline"
VERSION = 1


class BaselineError(Exception):
    pass


def fingerprint(finding: Finding) -> str:
    text = "\0".join((finding.code, finding.entity, finding.message))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def _key(finding: Finding) -> tuple[str, str, str, str]:
    path = finding.location.path if finding.location else ""
    return (finding.code, path, finding.entity, fingerprint(finding))


def write(path: str, findings: list[Finding]) -> int:
    entries = sorted(_key(f) for f in findings if f.suppressed is None)
    document = {
        "format": FORMAT,
        "version": VERSION,
        "findings": [
            {"code": c, "path": p, "entity": e, "fingerprint": fp} for c, p, e, fp in entries
        ],
    }
    write_atomic(path, json.dumps(document, indent=2, sort_keys=True) + "\n")
    return len(entries)


def read(path: str) -> Counter:
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
        if document.get("format") != FORMAT or document.get("version") != VERSION:
            raise ValueError("not an imgpolicy baseline (version 1)")
        return Counter(
            (e["code"], e["path"], e["entity"], e["fingerprint"]) for e in document["findings"]
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise BaselineError(
            f"{path}: cannot use as a baseline: {err}; write one with --write-baseline"
        ) from None


def apply(
    findings: list[Finding], accepted: Counter, path: str, unsuppressible: set[str]
) -> list[Finding]:
    remaining = Counter(accepted)
    out = []
    for finding in findings:
        key = _key(finding)
        if finding.suppressed is None and finding.code not in unsuppressible and remaining[key]:
            remaining[key] -= 1
            finding = replace(finding, suppressed=Suppression("baseline", f"in baseline {path}"))
        out.append(finding)
    return out
