"""A versioned JSON document for scripts; its shape is documented in docs/json-output.md."""

from __future__ import annotations

import json

from .. import __version__
from ..catalogue import catalogue
from ..findings import Location
from . import Report

FORMAT = "imgpolicy-report"
VERSION = 1


def _location(loc: Location | None) -> dict | None:
    if loc is None:
        return None
    return {
        "path": loc.path,
        "line": loc.line,
        "column": loc.column,
        "end_line": loc.end_line,
        "end_column": loc.end_column,
    }


def render(report: Report) -> str:
    counts = report.counts
    names = {code: entry.name for code, entry in catalogue().items()}
    document = {
        "format": FORMAT,
        "version": VERSION,
        "tool": {"name": "imgpolicy", "version": __version__},
        "summary": {
            "files": len(report.files),
            "excluded": len(report.excluded),
            "findings": len(report.findings),
            "error": counts["error"],
            "warning": counts["warning"],
            "info": counts["info"],
            "suppressed": len(report.suppressed),
            "fail_on": report.fail_on.label,
        },
        "notes": list(report.notes),
        "files": report.files,
        "findings": [
            {
                "code": f.code,
                "name": names.get(f.code),
                "severity": f.severity.label,
                "message": f.message,
                "entity": f.entity or None,
                "location": _location(f.location),
                "related": [
                    {"message": r.message, "location": _location(r.location)} for r in f.related
                ],
                "suppressed": (
                    {"kind": f.suppressed.kind, "reason": f.suppressed.reason}
                    if f.suppressed
                    else None
                ),
            }
            for f in report.findings
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
