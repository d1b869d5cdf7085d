"""Codes for problems found before any policy rule runs: the file cannot be read as YAML
(`YAML`), or its content does not fit the model (`SCHEMA`).

`YAML` problems make the input unusable (exit 2); `SCHEMA` problems are findings (exit 1);
`SUP` findings are about suppression comments themselves.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    name: str
    summary: str


_CODES = [
    Code("YAML001", "yaml-syntax", "The file is not valid YAML."),
    Code("YAML002", "duplicate-key", "A mapping sets the same key twice (also through `<<`)."),
    Code("YAML003", "unsupported-tag", "A YAML tag (`!thing`, `!!python/...`) or a wrongly "
         "tagged value; imgpolicy files are plain YAML."),
    Code("YAML004", "alias-error", "An alias that is undefined, recursive, or expands the "
         "document past the node limit (\"billion laughs\")."),
    Code("YAML005", "encoding", "The file is not UTF-8."),
    Code("YAML006", "unreadable-file", "The file cannot be read or exceeds the size limit."),
    Code("YAML007", "too-deep", "The document nests deeper than the limit."),
    Code("YAML008", "not-one-document", "Several YAML documents in one file, or an "
         "unsupported `imgpolicy:` format version."),
    Code("YAML009", "complex-key", "A mapping key that is a mapping or list, or a `<<` merge "
         "of something that is not a mapping."),
    Code("SCHEMA001", "unknown-key", "A key the model does not have (often a typo)."),
    Code("SCHEMA002", "missing-key", "A required key is missing."),
    Code("SCHEMA003", "wrong-type", "A value of the wrong type; nothing is coerced, so "
         "`\"104\"` is no port and `NO` is no boolean."),
    Code("SCHEMA004", "invalid-value", "A value outside what the field allows."),
    Code("SCHEMA005", "unknown-uid", "A SOP class or transfer syntax that pydicom's UID "
         "registry does not know."),
    Code("SCHEMA006", "wrong-uid-kind", "A transfer syntax where a SOP class belongs, or the "
         "other way round."),
    Code("SCHEMA007", "invalid-ae-title", "An AE title that breaks DICOM PS3.5 (1-16 ASCII "
         "characters, no backslash or control characters)."),
    Code("SCHEMA008", "invalid-quantity", "A duration, size or date that cannot be read."),
    Code("SCHEMA009", "duplicate-name", "The same name (site, device, AE title, route, "
         "policy...) defined twice in the environment."),
    Code("SUP001", "suppression-without-reason", "An `# imgpolicy: ignore[...]` comment "
         "without `reason=\"...\"`; it suppresses nothing until it says why."),
    Code("SUP002", "unused-suppression", "A suppression comment that matches no finding."),
    Code("SUP003", "unsuppressible", "A suppression of a safety rule that cannot be "
         "suppressed; fix the configuration instead."),
    Code("SUP004", "unknown-code-in-suppression", "A suppression naming no known code."),
]

CODES = {c.code: c for c in _CODES}
