"""SARIF 2.1.0, for GitHub code scanning and other static-analysis viewers."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .. import __version__
from ..catalogue import catalogue
from ..findings import Finding, Location, Severity
from ..identity import fingerprint
from . import Report

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _artifact(path: str) -> dict:
    """Relative paths resolve against the checkout (what code scanning expects). The URI
    percent-encodes the path's exact bytes, so a file name that is not UTF-8
    (`h\xf4pital.yaml`, legal on Linux) becomes `h%F4pital.yaml`, not an error."""
    if os.path.isabs(path):
        return {"uri": Path(path).as_uri()}  # quotes os.fsencode(path)
    return {"uri": quote(os.fsencode(path)), "uriBaseId": "%SRCROOT%"}


def _physical(loc: Location) -> dict:
    region: dict[str, int] = {"startLine": loc.line, "startColumn": loc.column}
    if loc.end_line:
        region["endLine"] = loc.end_line
        region["endColumn"] = max(loc.end_column, 1)
    return {"artifactLocation": _artifact(loc.path), "region": region}


def _result(f: Finding, rule_index: dict[str, int], roots: tuple[str, ...]) -> dict:
    result: dict[str, Any] = {
        "ruleId": f.code,
        "ruleIndex": rule_index[f.code],
        "level": _LEVEL[f.severity],
        "message": {"text": f.message},
        "partialFingerprints": {"imgpolicyFindingHash/v1": fingerprint(f, roots)},
    }
    if f.location:
        result["locations"] = [{"physicalLocation": _physical(f.location)}]
    if f.related:
        result["relatedLocations"] = [
            {"id": i, "physicalLocation": _physical(r.location), "message": {"text": r.message}}
            for i, r in enumerate(f.related, start=1)
        ]
    if f.entity:
        result["properties"] = {"entity": f.entity}
    if f.suppressed:
        result["suppressions"] = [
            {
                "kind": "inSource" if f.suppressed.kind == "inline" else "external",
                "status": "accepted",
                "justification": f.suppressed.reason,
            }
        ]
    return result


def render(report: Report) -> str:
    entries = list(catalogue().values())
    rule_index = {e.code: i for i, e in enumerate(entries)}
    rules = [
        {
            "id": e.code,
            "name": e.name,
            "shortDescription": {"text": e.summary},
            "fullDescription": {"text": e.summary},
            "help": {"text": e.help},
            "defaultConfiguration": {"level": _LEVEL[e.severity]},
            "properties": {"tags": [e.code.rstrip("0123456789")]},
        }
        for e in entries
    ]
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "imgpolicy",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": "https://pypi.org/project/imgpolicy/",
                        "rules": rules,
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": [
                            {"level": "note", "message": {"text": note}} for note in report.notes
                        ],
                    }
                ],
                "columnKind": "unicodeCodePoints",
                "artifacts": [{"location": _artifact(path)} for path in report.files],
                "results": [_result(f, rule_index, report.roots) for f in report.findings],
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
