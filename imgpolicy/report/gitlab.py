"""GitLab Code Quality report (a JSON array), shown in merge request widgets and diffs."""

from __future__ import annotations

import hashlib
import json

from ..findings import Severity
from ..identity import fingerprint
from . import Report

_SEVERITY = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def render(report: Report) -> str:
    issues = []
    seen: dict[str, int] = {}
    for f in report.active:
        path = f.location.path if f.location else ""
        base = fingerprint(f, report.roots)  # code, relative path, entity, detail
        seen[base] = seen.get(base, 0) + 1  # identical findings in one file stay distinct
        issues.append(
            {
                "type": "issue",
                "check_name": f.code,
                "description": f"{f.code} {f.message}",
                "categories": ["Bug Risk"],
                "severity": _SEVERITY[f.severity],
                "fingerprint": hashlib.md5(
                    f"{base}:{seen[base]}".encode(), usedforsecurity=False
                ).hexdigest(),
                "location": {
                    "path": path,
                    "lines": {"begin": f.location.line if f.location else 1},
                },
            }
        )
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
