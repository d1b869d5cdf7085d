"""`path:line:col: CODE message`, the form editors, pre-commit and grep understand."""

from __future__ import annotations

from . import Report


def render(report: Report, *, color: bool = False) -> str:
    lines = []
    for f in report.active:
        where = str(f.location) if f.location else "imgpolicy"
        code = f"{f.code}"
        if color:
            paint = {"error": "31", "warning": "33", "info": "36"}[f.severity.label]
            code = f"\x1b[1;{paint}m{code}\x1b[0m"
        lines.append(
            f"{where}: {code} {f.message}"
            + ("" if f.severity.label == "error" else f" [{f.severity.label}]")
        )
        for rel in f.related:
            lines.append(f"    {rel.location}: {rel.message}")
    lines.extend(report.notes)
    lines.append(summary(report))
    return "\n".join(lines) + "\n"


def summary(report: Report) -> str:
    counts = report.counts
    n_files = len(report.files)
    checked = f"{n_files} file{'s' if n_files != 1 else ''} checked"
    if report.excluded:
        checked += f", {len(report.excluded)} excluded by {report.excluded_by or 'configuration'}"
    hidden = len(report.suppressed)
    if hidden:
        checked += f", {hidden} suppressed"
    if not report.active:
        return f"No problems found ({checked})."
    parts = [
        f"{counts[s]} {s}{'s' if counts[s] != 1 else ''}"
        for s in ("error", "warning", "info")
        if counts[s]
    ]
    failed = len(report.failed_files)
    return f"Found {', '.join(parts)} in {failed} file{'s' if failed != 1 else ''} ({checked})."
