"""GitHub Actions workflow commands: findings as annotations on the changed lines."""

from __future__ import annotations

from ..findings import Severity
from . import Report
from .text import summary

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render(report: Report) -> str:
    lines = []
    for f in report.active:
        props = []
        if f.location:
            loc = f.location
            props += [f"file={_property(loc.path)}", f"line={loc.line}", f"col={loc.column}"]
            if loc.end_line:
                props.append(f"endLine={loc.end_line}")
                if loc.end_line == loc.line:
                    props.append(f"endColumn={loc.end_column}")
        props.append(f"title={_property(f.code)}")
        lines.append(f"::{_COMMAND[f.severity]} {','.join(props)}::{_data(f.message)}")
    lines += [f"::notice title=imgpolicy::{_data(note)}" for note in report.notes]
    lines.append(summary(report))
    return "\n".join(lines) + "\n"
