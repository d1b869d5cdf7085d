"""JUnit XML, for CI test dashboards: one test case per file and code.

A file with no findings is one passing test case, so the dashboard shows what was checked.
"""

from __future__ import annotations

from collections import defaultdict
from xml.etree import ElementTree as ET

from ..catalogue import catalogue
from ..findings import Finding
from . import Report


def render(report: Report) -> str:
    names = catalogue()
    by_case: dict[tuple[str, str], list] = defaultdict(list)
    for f in report.active:
        path = f.location.path if f.location else "(environment)"
        by_case[(path, f.code)].append(f)
    cases: list[tuple[str, str, list[Finding]]] = []
    for path in report.files:
        if not any(p == path for p, _ in by_case):
            cases.append((path, "schema and rules", []))
    cases.extend(
        (path, f"{code} {names[code].name if code in names else ''}".strip(), found)
        for (path, code), found in by_case.items()
    )
    cases.sort(key=lambda c: (c[0], c[1]))
    failing = [c for c in cases if any(f.severity >= report.fail_on for f in c[2])]
    suites = ET.Element(
        "testsuites",
        name="imgpolicy",
        tests=str(len(cases)),
        failures=str(len(failing)),
        errors="0",
    )
    suite = ET.SubElement(
        suites,
        "testsuite",
        name="imgpolicy check",
        tests=str(len(cases)),
        failures=str(len(failing)),
        errors="0",
        skipped="0",
    )
    for path, name, found in cases:
        case = ET.SubElement(suite, "testcase", classname=path, name=name, file=path)
        blocking = [f for f in found if f.severity >= report.fail_on]
        if found and blocking:
            failure = ET.SubElement(
                case,
                "failure",
                type=found[0].code,
                message=f"{len(found)} finding{'s' if len(found) > 1 else ''}: {found[0].message}",
            )
            failure.text = "\n".join(
                f"{f.location}: {f.code} [{f.severity.label}] {f.message}" for f in found
            )
        elif found:
            out = ET.SubElement(case, "system-out")
            out.text = "\n".join(
                f"{f.location}: {f.code} [{f.severity.label}] {f.message}" for f in found
            )
    if report.notes:
        ET.SubElement(suite, "system-out").text = "\n".join(report.notes)
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )
