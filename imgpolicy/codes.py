"""Codes for problems found before any policy rule runs: the file cannot be read as YAML
(`YAML`), or its content does not fit the model (`SCHEMA`).

`YAML` problems make the input unusable (exit 2); `SCHEMA` problems are findings (exit 1);
`SUP` findings are about suppression comments themselves; `PROBE` findings come from
`imgpolicy probe`, which compares the live network with the files.
"""

from __future__ import annotations

from dataclasses import dataclass

from .findings import Severity

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    name: str
    summary: str
    severity: Severity = Severity.ERROR


_CODES = [
    Code("YAML001", "yaml-syntax", "The file is not valid YAML."),
    Code("YAML002", "duplicate-key", "A mapping sets the same key twice (also through `<<`)."),
    Code(
        "YAML003",
        "unsupported-tag",
        "A YAML tag (`!thing`, `!!python/...`) or a wrongly "
        "tagged value; imgpolicy files are plain YAML.",
    ),
    Code(
        "YAML004",
        "alias-error",
        "An alias that is undefined, recursive, or expands the "
        'document past the node limit ("billion laughs").',
    ),
    Code("YAML005", "encoding", "The file is not UTF-8."),
    Code("YAML006", "unreadable-file", "The file cannot be read or exceeds the size limit."),
    Code("YAML007", "too-deep", "The document nests deeper than the limit."),
    Code(
        "YAML008",
        "not-one-document",
        "Several YAML documents in one file, or an unsupported `imgpolicy:` format version.",
    ),
    Code(
        "YAML009",
        "complex-key",
        "A mapping key that is a mapping or list, or a `<<` merge "
        "of something that is not a mapping.",
    ),
    Code("SCHEMA001", "unknown-key", "A key the model does not have (often a typo)."),
    Code("SCHEMA002", "missing-key", "A required key is missing."),
    Code(
        "SCHEMA003",
        "wrong-type",
        "A value of the wrong type; nothing is coerced, so "
        '`"104"` is no port and `NO` is no boolean.',
    ),
    Code("SCHEMA004", "invalid-value", "A value outside what the field allows."),
    Code(
        "SCHEMA005",
        "unknown-uid",
        "A SOP class or transfer syntax that pydicom's UID registry does not know.",
    ),
    Code(
        "SCHEMA006",
        "wrong-uid-kind",
        "A transfer syntax where a SOP class belongs, or the other way round.",
    ),
    Code(
        "SCHEMA007",
        "invalid-ae-title",
        "An AE title that breaks DICOM PS3.5 (1-16 ASCII "
        "characters, no backslash or control characters).",
    ),
    Code("SCHEMA008", "invalid-quantity", "A duration, size or date that cannot be read."),
    Code(
        "SCHEMA009",
        "duplicate-name",
        "The same name (site, device, AE title, route, "
        "policy...) defined twice in the environment.",
    ),
    Code(
        "SUP001",
        "suppression-without-reason",
        "An `# imgpolicy: ignore[...]` comment "
        'without `reason="..."`; it suppresses nothing until it says why.',
    ),
    Code("SUP002", "unused-suppression", "A suppression comment that matches no finding.", WARNING),
    Code(
        "SUP003",
        "unsuppressible",
        "A suppression of a safety rule that cannot be suppressed; fix the configuration instead.",
    ),
    Code("SUP004", "unknown-code-in-suppression", "A suppression naming no known code.", WARNING),
    # `imgpolicy probe`: the live network against the files (findings, never exit 2)
    Code(
        "PROBE001",
        "unreachable",
        "No answer from a declared acceptor: its hostname does "
        "not resolve, the connection is refused or times out, or the association request "
        "gets no answer within --timeout.",
    ),
    Code(
        "PROBE002",
        "association-rejected",
        "The peer answered but did not accept the "
        "association: A-ASSOCIATE-RJ with its reason (e.g. called AE title not "
        "recognised), an A-ABORT, a closed connection or a non-DICOM answer.",
    ),
    Code(
        "PROBE003",
        "echo-failed",
        "The association was accepted but C-ECHO failed: "
        "Verification not accepted, no response, or a status other than success.",
    ),
    Code(
        "PROBE004",
        "capability-rejected",
        "The peer rejects a SOP class (abstract syntax "
        "not supported) or transfer syntaxes of it (transfer syntax not supported) that "
        "the files declare it accepts as SCP.",
    ),
    Code("PROBE005", "round-trip", "Information: the measured C-ECHO round-trip time.", INFO),
    Code(
        "PROBE006",
        "tls-failed",
        "The TLS handshake with a `tls: true` connection failed "
        "(untrusted or expired certificate, wrong hostname, no TLS on that port).",
    ),
    # `imgpolicy import`: the source system's security or safety posture, and what of it
    # could not be imported (printed by the importer, not by `check`).
    Code(
        "IMPORT001",
        "accepts-unknown-store",
        "The imported system stores C-STORE requests "
        "from any AE title (Orthanc DicomAlwaysAllowStore, a DCMTK AETable entry with peers "
        "ANY).",
        WARNING,
    ),
    Code(
        "IMPORT002",
        "accepts-unknown-query",
        "The imported system answers C-FIND, C-MOVE or "
        "C-GET from any AE title (Orthanc DicomAlwaysAllowFind/FindWorklist/Move/Get, DCMTK "
        "peers ANY).",
        WARNING,
    ),
    Code(
        "IMPORT003",
        "called-aet-not-checked",
        "Orthanc accepts associations whatever AE title they call (DicomCheckCalledAet false).",
        WARNING,
    ),
    Code(
        "IMPORT004",
        "aet-case-insensitive",
        "Orthanc compares AE titles case-insensitively (StrictAetComparison false, its default).",
        INFO,
    ),
    Code(
        "IMPORT005",
        "http-without-authentication",
        "Orthanc's REST API is open to other "
        "hosts without a password (RemoteAccessAllowed true, AuthenticationEnabled false).",
    ),
    Code(
        "IMPORT006",
        "modality-host-not-checked",
        "Orthanc recognises a modality by its AE "
        "title alone, not its address (DicomCheckModalityHost false).",
        INFO,
    ),
    Code(
        "IMPORT007",
        "unknown-sop-class-accepted",
        "Orthanc accepts SOP classes it does not know (UnknownSopClassAccepted true).",
        INFO,
    ),
    Code(
        "IMPORT008",
        "unknown-uid-name",
        "A transfer syntax or SOP class of the source that "
        "neither DCMTK's names nor pydicom's registry know; left out of the file.",
        WARNING,
    ),
    Code(
        "IMPORT009",
        "not-imported",
        "An entry of the source that cannot be written as valid "
        "imgpolicy YAML (bad AE title, host or port, a duplicate AE title, a dangling "
        "reference); left out.",
        WARNING,
    ),
]

CODES = {c.code: c for c in _CODES}
