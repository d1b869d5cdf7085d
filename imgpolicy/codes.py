"""Codes for problems found outside the policy rules, each documented like a rule.

`YAML`: the file cannot be read as YAML, so the input is unusable (exit 2). `SCHEMA`: the
content does not fit the model; findings (exit 1), and the policy rules do not run until
they are fixed. `SUP`: findings about suppression comments themselves. `PROBE`: from
`imgpolicy probe`, the live network against the files. `IMPORT`: from `imgpolicy import`,
the source system's posture and what of it could not be imported.

Every code has the sections a rule's docstring has (summary, What, Why, then Bad and Good
as whole environment files, run as tests like the rules' examples), so `imgpolicy rule
CODE`, SARIF's help and the documents show both the same way. A code whose example cannot
be a file (bytes that are not UTF-8, a live peer, a foreign configuration) gives `example`:
the message and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass

from .findings import Severity

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

_SITE = "imgpolicy: 1\nsites:\n  - {name: MAIN, jurisdiction: US-CA, region: west}\n"
"""A valid start for the examples that need one."""


def _route_to_ghost(comment: str = "") -> str:
    """A file whose route finds RT001, with `comment` above the route."""
    above = f"  {comment}\n" if comment else ""
    return (
        f"imgpolicy: 1\nroutes:\n{above}"
        "  - {name: ct-to-ghost, from: CT_1, to: GHOST, purpose: reading}\n"
    )


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    name: str
    summary: str
    severity: Severity = Severity.ERROR
    what: str = ""
    why: str = ""
    bad: str = ""
    """A whole file that produces the code (with `good`, run as a test)."""
    good: str = ""
    """The same file fixed: it does not produce the code."""
    example: str = ""
    """For a code whose Bad cannot be a file: the message, and the fix."""

    def sections(self) -> dict[str, str]:
        """The same sections as `Rule.sections()`: Summary, What, Why, Bad/Good or Example."""
        found = {"Summary": self.summary, "What": self.what, "Why": self.why}
        for title, text in (("Bad", self.bad), ("Good", self.good), ("Example", self.example)):
            if text:
                found[title] = text.rstrip("\n")
        return found


_CODES = [
    Code(
        "YAML001",
        "yaml-syntax",
        "The file is not valid YAML.",
        what="The YAML parser stops: a tab in indentation, an unclosed bracket or quote, "
        "a key indented inconsistently.",
        why="Nothing in the file can be read, so nothing in it can be checked; tools that "
        "read the same file (editors, CI) disagree about what it means. The check stops "
        "with exit 2.",
        bad="imgpolicy: 1\nsites:\n\t- {name: MAIN, jurisdiction: US-CA, region: west}\n",
        good=_SITE,
    ),
    Code(
        "YAML002",
        "duplicate-key",
        "A mapping sets the same key twice (also through `<<`).",
        what="One mapping names a key twice, directly or by merging (`<<: *defaults`) a "
        "mapping that sets it too.",
        why="YAML 1.2 forbids it, and parsers disagree about which value wins (PyYAML "
        "keeps the last, others the first or fail), so the file means different things "
        "to different tools.",
        bad="imgpolicy: 1\nsites:\n  - {name: MAIN, name: EAST, jurisdiction: US-CA, "
        "region: west}\n",
        good=_SITE,
    ),
    Code(
        "YAML003",
        "unsupported-tag",
        "A YAML tag (`!thing`, `!!python/...`) or a wrongly "
        "tagged value; imgpolicy files are plain YAML.",
        what="A tag other than the YAML 1.2 core schema's, or a core tag on a value it "
        "does not fit (`!!int abc`).",
        why="Tags that construct objects are how YAML files run code in loaders that "
        "allow them; imgpolicy files are data, read the same by every tool.",
        bad="imgpolicy: 1\nsites:\n  - !!python/object {name: MAIN, jurisdiction: US-CA, "
        "region: west}\n",
        good=_SITE,
    ),
    Code(
        "YAML004",
        "alias-error",
        "An alias that is undefined, recursive, or expands the "
        'document past the node limit ("billion laughs"), or a document of more than '
        "2,000,000 values.",
        what="`*name` without an `&name` before it, an anchor that contains its own alias, "
        "aliases that multiply the document beyond the node limit, or a file that holds "
        "more than 2,000,000 values even without aliases (split it into several files).",
        why="An undefined alias is a typo that leaves a value out; a recursive or "
        "exponential one makes a reader loop or exhaust memory, and so does a file of "
        "millions of values: the limit keeps a check bounded in time and memory.",
        bad="imgpolicy: 1\nsites:\n  - *main\n",
        good="imgpolicy: 1\nsites:\n  - &main {name: MAIN, jurisdiction: US-CA, region: west}\n",
    ),
    Code(
        "YAML005",
        "encoding",
        "The file is not UTF-8.",
        what="Bytes that are not UTF-8, typically a file saved as Latin-1 or Windows-1252 "
        "(a name like `Hôpital`).",
        why="YAML files are UTF-8; a byte in another encoding becomes a different "
        "character in each tool, or an error.",
        example="Message: sites.yaml:3:15: YAML005 the file is not UTF-8 (byte 0xf4)\n"
        "Fix: save the file as UTF-8 (iconv -f latin1 -t utf-8 sites.yaml).",
    ),
    Code(
        "YAML006",
        "unreadable-file",
        "The file cannot be read or exceeds the size limit.",
        what="A file of the environment that cannot be opened (permissions, a dangling "
        "symbolic link, a FIFO or device) or is larger than 16 MiB.",
        why="An environment with a file left out is checked incompletely; the size limit "
        "keeps a mistaken file from exhausting memory.",
        example="Message: devices.yaml: YAML006 cannot read the file: permission denied\n"
        "Fix: make the file readable by the user running imgpolicy, or remove it.",
    ),
    Code(
        "YAML007",
        "too-deep",
        "The document nests deeper than the limit.",
        what="Mappings or lists nested more than 100 levels deep.",
        why="No environment needs that depth; a generated or hostile file would exhaust "
        "the parser's stack.",
        bad="imgpolicy: 1\nsites: " + "[" * 101 + "]" * 101 + "\n",
        good=_SITE,
    ),
    Code(
        "YAML008",
        "not-one-document",
        "Several YAML documents in one file, or an unsupported `imgpolicy:` format version.",
        what="A `---` that starts a second document in one file, or `imgpolicy:` with a "
        "format version this imgpolicy does not read.",
        why="Each file is one part of the environment; a second document would be "
        "silently ignored by some tools, and a newer format cannot be checked by an older "
        "imgpolicy.",
        bad="imgpolicy: 2\nsites:\n  - {name: MAIN, jurisdiction: US-CA, region: west}\n",
        good=_SITE,
    ),
    Code(
        "YAML009",
        "complex-key",
        "A mapping key that is a mapping or list, or a `<<` merge "
        "of something that is not a mapping.",
        what="`? [a, b]: value`, `{a: 1}: value`, or `<<: 5`.",
        why="Keys of imgpolicy files are names; a structured key cannot be one and most "
        "tools reject it.",
        bad="imgpolicy: 1\nsites:\n  - {[name]: MAIN, jurisdiction: US-CA, region: west}\n",
        good=_SITE,
    ),
    Code(
        "YAML010",
        "not-an-environment-file",
        "A YAML file under the environment without `imgpolicy: 1` at its top level (or "
        "with a misspelled marker): add the marker, or exclude the file in the configuration.",
        what="A `*.yaml` / `*.yml` file in the environment's folder whose top level does "
        "not start with the `imgpolicy: 1` marker, or spells it wrongly.",
        why="A file meant to be part of the environment but left out by a typo in its "
        "marker would silently not be checked.",
        example="Message: routes.yaml:1:1: YAML010 no `imgpolicy: 1` at the top level\n"
        "Fix: add `imgpolicy: 1` as the first line, or exclude the file (CI configs, "
        "Helm charts) in the configuration.",
    ),
    Code(
        "SCHEMA001",
        "unknown-key",
        "A key the model does not have (often a typo).",
        what="A key that the section's model does not define; the message suggests the "
        "nearest known key.",
        why="A misspelt key is a setting silently ignored (`acceptr: false` leaves the AE "
        "an acceptor); nothing is ignored here.",
        bad="imgpolicy: 1\nsites:\n  - {name: MAIN, jurisdiction: US-CA, regoin: west}\n",
        good=_SITE,
    ),
    Code(
        "SCHEMA002",
        "missing-key",
        "A required key is missing.",
        what="An item without a key the model requires (a device without `site`, a route "
        "without `to`).",
        why="What the key would say cannot be checked, nor guessed.",
        bad="imgpolicy: 1\nsites:\n  - {name: MAIN, region: west}\n",
        good=_SITE,
    ),
    Code(
        "SCHEMA003",
        "wrong-type",
        "A value of the wrong type; nothing is coerced, so "
        '`"104"` is no port and `NO` is no boolean.',
        what="A string where a number belongs, a list where a mapping belongs, `yes` or "
        "`NO` where `true`/`false` belongs (YAML 1.2).",
        why='Coercion hides mistakes: `port: "104"` may be a template left unexpanded, and '
        "`tls: NO` is the country code of Norway in YAML 1.2.",
        bad=_SITE + "devices:\n  - name: pacs\n    site: MAIN\n    kind: pacs\n"
        '    connections:\n      - {name: dicom, hostname: pacs.example.org, port: "104"}\n',
        good=_SITE + "devices:\n  - name: pacs\n    site: MAIN\n    kind: pacs\n"
        "    connections:\n      - {name: dicom, hostname: pacs.example.org, port: 104}\n",
    ),
    Code(
        "SCHEMA004",
        "invalid-value",
        "A value outside what the field allows.",
        what="A value of the right type that the field does not allow: an unknown device "
        "kind or modality code, a port above 65535, a lower-case jurisdiction.",
        why="A value no system accepts configures nothing; the message lists what is allowed.",
        bad=_SITE + "devices:\n  - {name: pacs, site: MAIN, kind: archive}\n",
        good=_SITE + "devices:\n  - {name: pacs, site: MAIN, kind: pacs}\n",
    ),
    Code(
        "SCHEMA005",
        "unknown-uid",
        "A SOP class or transfer syntax that pydicom's UID registry does not know.",
        what="A SOP class or transfer syntax, by keyword or UID, that is in no edition of "
        "the standard pydicom knows (often a misspelt keyword) and that `private_uids` does "
        "not declare as a vendor's private UID.",
        why="A capability for a class that does not exist negotiates nothing, and every "
        "route check that reads it would be wrong (PS3.6 Annex A lists the UIDs).",
        bad=_SITE + "devices:\n  - name: pacs\n    site: MAIN\n    kind: pacs\n"
        "    application_entities:\n      - ae_title: PACS\n        transfer_capabilities:\n"
        "          - {sop_class: CTImageStorge, role: SCP, transfer_syntaxes: "
        "[ImplicitVRLittleEndian]}\n",
        good=_SITE + "devices:\n  - name: pacs\n    site: MAIN\n    kind: pacs\n"
        "    application_entities:\n      - ae_title: PACS\n        transfer_capabilities:\n"
        "          - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: "
        "[ImplicitVRLittleEndian]}\n",
    ),
    Code(
        "SCHEMA006",
        "wrong-uid-kind",
        "A transfer syntax where a SOP class belongs, or the other way round.",
        what="`sop_class: ExplicitVRLittleEndian`, or a SOP class in `transfer_syntaxes`.",
        why="The two kinds of UID are negotiated in different fields of a presentation "
        "context (PS3.8); swapped, the association fails.",
        bad=_SITE + "devices:\n  - name: pacs\n    site: MAIN\n    kind: pacs\n"
        "    application_entities:\n      - ae_title: PACS\n        transfer_capabilities:\n"
        "          - {sop_class: ExplicitVRLittleEndian, role: SCP, transfer_syntaxes: "
        "[ImplicitVRLittleEndian]}\n",
        good=_SITE + "devices:\n  - name: pacs\n    site: MAIN\n    kind: pacs\n"
        "    application_entities:\n      - ae_title: PACS\n        transfer_capabilities:\n"
        "          - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: "
        "[ExplicitVRLittleEndian, ImplicitVRLittleEndian]}\n",
    ),
    Code(
        "SCHEMA007",
        "invalid-ae-title",
        "An AE title that breaks DICOM PS3.5 (1-16 ASCII "
        "characters, no backslash or control characters).",
        what="An AE title longer than 16 characters, empty or all spaces, or with a "
        "backslash, a control character or a character outside ASCII.",
        why="Peers reject or truncate such titles in A-ASSOCIATE (PS3.5 AE value "
        "representation), so nothing can address the AE.",
        bad=_SITE + "devices:\n  - name: pacs\n    site: MAIN\n    kind: pacs\n"
        "    application_entities:\n      - {ae_title: PACS_MAIN_HOSPITAL_1}\n",
        good=_SITE + "devices:\n  - name: pacs\n    site: MAIN\n    kind: pacs\n"
        "    application_entities:\n      - {ae_title: PACS_MAIN}\n",
    ),
    Code(
        "SCHEMA008",
        "invalid-quantity",
        "A duration, size or date that cannot be read.",
        what="A duration that is not like `30d`, `7y` or ISO 8601 `P7Y`, a size that is "
        "not like `250MB` or `4TiB`, a date that is not `YYYY-MM-DD`.",
        why="Retention, capacity and DR checks compute with these values; a guessed unit "
        "would make them silently wrong.",
        bad=_SITE + "devices:\n  - {name: pacs, site: MAIN, kind: pacs}\ncontinuity:\n"
        "  - {system: pacs, rpo: 15 minutes, rto: 4h}\n",
        good=_SITE + "devices:\n  - {name: pacs, site: MAIN, kind: pacs}\ncontinuity:\n"
        "  - {system: pacs, rpo: 15m, rto: 4h}\n",
    ),
    Code(
        "SCHEMA009",
        "duplicate-name",
        "The same name (site, device, AE title, route, "
        "policy...) defined twice in the environment.",
        what="Two sites, devices, routes, tiers or policies with one name, or two AEs "
        "with one AE title, in one file or across files; the finding points at both.",
        why="References by name become ambiguous, and two devices answering to one AE "
        "title receive each other's studies.",
        bad=_SITE + "devices:\n  - {name: pacs, site: MAIN, kind: pacs}\n"
        "  - {name: pacs, site: MAIN, kind: vna}\n",
        good=_SITE + "devices:\n  - {name: pacs, site: MAIN, kind: pacs}\n"
        "  - {name: vna, site: MAIN, kind: vna}\n",
    ),
    Code(
        "SUP001",
        "suppression-without-reason",
        "An `# imgpolicy: ignore[...]` comment "
        'without `reason="..."`; it suppresses nothing until it says why.',
        what='A suppression comment with no `reason="..."`.',
        why="A suppression is an audit record of an accepted risk; without its reason "
        "nobody can review it, so it suppresses nothing.",
        bad=_route_to_ghost("# imgpolicy: ignore[RT001]"),
        good=_route_to_ghost(
            '# imgpolicy: ignore[RT001] reason="GHOST is decommissioned; CAB-2291"'
        ),
    ),
    Code(
        "SUP002",
        "unused-suppression",
        "A suppression comment that matches no finding.",
        WARNING,
        what="A suppression of a selected rule with no finding of that rule on the "
        "comment's line or the next.",
        why="A stale suppression would silently hide the next problem at that place; "
        "remove it once its finding is fixed.",
        bad=_route_to_ghost('# imgpolicy: ignore[RT003] reason="old vendor"'),
        good=_route_to_ghost(),
    ),
    Code(
        "SUP003",
        "unsuppressible",
        "A suppression of a safety rule or finding that cannot be suppressed; fix the "
        "configuration instead.",
        what="A suppression naming a safety rule (RET003 mammography below MQSA; SEC002 "
        "plaintext secrets), or covering a safety finding of another rule (RT006 lossy "
        "mammography at a US site).",
        why="These are patient-safety and legal obligations that no local decision can "
        "waive; the finding stays and the comment is reported.",
        bad=_route_to_ghost('# imgpolicy: ignore[SEC002] reason="we accept plaintext"'),
        good=_route_to_ghost(),
    ),
    Code(
        "SUP004",
        "unknown-code-in-suppression",
        "A suppression naming no known code.",
        WARNING,
        what="A suppression whose code is no rule code or family.",
        why="A misspelt code suppresses nothing, while the comment looks like it does.",
        bad=_route_to_ghost('# imgpolicy: ignore[RT01] reason="decommissioned"'),
        good=_route_to_ghost('# imgpolicy: ignore[RT001] reason="decommissioned"'),
    ),
    # `imgpolicy probe`: the live network against the files (findings, never exit 2)
    Code(
        "PROBE001",
        "unreachable",
        "No answer from a declared acceptor: its hostname does "
        "not resolve, the connection is refused or times out, the association request "
        "gets no answer within --timeout, or the peer stalls part-way through an answer (no "
        "complete answer within 4 x --timeout).",
        what="The probe cannot reach the AE at the hostname and port its connection "
        "declares, or the peer never answers the A-ASSOCIATE-RQ.",
        why="Whatever routes to this AE fails the same way in production: studies queue "
        "on the sender, or are lost (practice guide, Step 1, connectivity testing).",
        example="Message: devices/core.yaml:14:19: PROBE001 PACS_MAIN: connection refused "
        "on pacs.example.org:11112: nothing listens on that port, or a firewall rejects "
        "the connection\nFix: start the DICOM service, open the firewall, or correct the "
        "hostname or port in the files.",
    ),
    Code(
        "PROBE002",
        "association-rejected",
        "The peer answered but did not accept the "
        "association: A-ASSOCIATE-RJ with its reason (e.g. called AE title not "
        "recognised), an A-ABORT, a closed connection or a non-DICOM answer.",
        what="The peer refuses the association (A-ASSOCIATE-RJ, PS3.8 9.3.4), aborts it, "
        "or answers with something that is not DICOM.",
        why="The called AE title the files declare is not the one the node is configured "
        "with, or the node does not trust the caller: every sender fails the same way.",
        example="Message: devices/core.yaml:14:19: PROBE002 PACS_MAIN: the association was "
        "rejected permanently by the service user: called AE title not recognised\n"
        "Fix: declare the AE title the node really uses, or configure the node with the "
        "declared one (and --calling-ae for peers that accept known callers only).",
    ),
    Code(
        "PROBE003",
        "echo-failed",
        "The association was accepted but C-ECHO failed: "
        "Verification not accepted, no response, or a status other than success.",
        what="The Verification SOP class is refused, or C-ECHO gets no response or a "
        "status other than 0x0000.",
        why="Every acceptor should be a Verification SCP (PS3.4 Annex A); without it, "
        "monitoring and connectivity checks cannot tell whether the node is alive.",
        example="Message: devices/core.yaml:14:19: PROBE003 PACS_MAIN: C-ECHO answered with "
        "status 0xC000, not success (0x0000)\nFix: enable the Verification service on the "
        "node.",
    ),
    Code(
        "PROBE004",
        "capability-rejected",
        "The peer rejects a SOP class (abstract syntax "
        "not supported) or transfer syntaxes of it (transfer syntax not supported) that "
        "the files declare it accepts as SCP.",
        what="A presentation context for a declared SCP capability is rejected during negotiation.",
        why="The files promise a capability the node does not have, so every route check "
        "that relies on it is wrong and those studies are refused.",
        example="Message: devices/core.yaml:22:28: PROBE004 PACS_MAIN rejects "
        "JPEG2000Lossless for CTImageStorage (transfer syntax not supported); the files "
        "declare it\nFix: remove the syntax from the capability (declare what the node "
        "negotiates), or enable it on the node.",
    ),
    Code(
        "PROBE005",
        "round-trip",
        "Information: the measured C-ECHO round-trip time.",
        INFO,
        what="The time from C-ECHO request to response, for each reachable AE.",
        why="A baseline for latency across sites and teleradiology links; a slow echo "
        "foretells slow transfers.",
        example="Message: devices/core.yaml:14:19: PROBE005 PACS_MAIN: C-ECHO round trip "
        "3.2 ms\nFix: nothing; information only.",
    ),
    Code(
        "PROBE006",
        "tls-failed",
        "The TLS handshake with a `tls: true` connection failed "
        "(untrusted or expired certificate, wrong hostname, no TLS on that port).",
        what="The TLS handshake on a connection the files declare with `tls: true` fails.",
        why="Senders configured for TLS cannot connect either; PHI between sites must be "
        "encrypted (PS3.15 Annex B secure transport).",
        example="Message: devices/core.yaml:14:19: PROBE006 PACS_MAIN: the TLS handshake "
        "failed (certificate verify failed: unable to get local issuer certificate)\n"
        "Fix: give --tls-ca with the issuing CA, renew the certificate, or correct the "
        "port (2762 is DICOM over TLS).",
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
        what="The source accepts C-STORE from AE titles it does not know.",
        why="Anyone on the network can write studies into the archive, including to the "
        "wrong patient (HIPAA integrity safeguard).",
        example="Message: orthanc.json:41:3: IMPORT001 DicomAlwaysAllowStore is true: any "
        "AE title may store studies\nFix: set DicomAlwaysAllowStore to false and declare "
        "the senders in DicomModalities.",
    ),
    Code(
        "IMPORT002",
        "accepts-unknown-query",
        "The imported system answers C-FIND, C-MOVE or "
        "C-GET from any AE title (Orthanc DicomAlwaysAllowFind/FindWorklist/Move/Get, DCMTK "
        "peers ANY).",
        WARNING,
        what="The source answers queries or retrievals from AE titles it does not know.",
        why="Anyone on the network can search and retrieve patient data (HIPAA access control).",
        example="Message: orthanc.json:42:3: IMPORT002 DicomAlwaysAllowFind is true: any AE "
        "title may query\nFix: set it to false and allow queries per modality "
        "(AllowFind).",
    ),
    Code(
        "IMPORT003",
        "called-aet-not-checked",
        "Orthanc accepts associations whatever AE title they call (DicomCheckCalledAet false).",
        WARNING,
        what="Orthanc does not check that the called AE title is its own.",
        why="Studies addressed to another AE are stored here silently, so a routing "
        "mistake goes unnoticed.",
        example="Message: orthanc.json:12:3: IMPORT003 DicomCheckCalledAet is false\n"
        "Fix: set DicomCheckCalledAet to true.",
    ),
    Code(
        "IMPORT004",
        "aet-case-insensitive",
        "Orthanc compares AE titles case-insensitively (StrictAetComparison false, its default).",
        INFO,
        what="Orthanc treats `ct_1` and `CT_1` as one AE title.",
        why="Other systems compare exactly (dcm4chee), so two AEs that differ by case "
        "are one here and two there (see AE001).",
        example="Message: orthanc.json:1:1: IMPORT004 StrictAetComparison is false (the "
        "default)\nFix: set StrictAetComparison to true, or keep titles unique by case.",
    ),
    Code(
        "IMPORT005",
        "http-without-authentication",
        "Orthanc's REST API is open to other "
        "hosts without a password (RemoteAccessAllowed true, AuthenticationEnabled false).",
        what="The REST API answers any host without authentication.",
        why="The REST API reads, modifies and deletes every study: open, it is a PHI "
        "breach (HIPAA access control).",
        example="Message: orthanc.json:8:3: IMPORT005 RemoteAccessAllowed without "
        "AuthenticationEnabled\nFix: set AuthenticationEnabled to true with "
        "RegisteredUsers, or RemoteAccessAllowed to false.",
    ),
    Code(
        "IMPORT006",
        "modality-host-not-checked",
        "Orthanc recognises a modality by its AE "
        "title alone, not its address (DicomCheckModalityHost false).",
        INFO,
        what="A modality's rights are granted to any host that uses its AE title.",
        why="AE titles are not secrets; checking the host makes spoofing harder.",
        example="Message: orthanc.json:1:1: IMPORT006 DicomCheckModalityHost is false\n"
        "Fix: set DicomCheckModalityHost to true.",
    ),
    Code(
        "IMPORT007",
        "unknown-sop-class-accepted",
        "Orthanc accepts SOP classes it does not know (UnknownSopClassAccepted true).",
        INFO,
        what="Orthanc accepts storage of SOP classes outside its dictionary.",
        why="Objects it cannot index are stored but not searchable as expected.",
        example="Message: orthanc.json:30:3: IMPORT007 UnknownSopClassAccepted is true\n"
        "Fix: set it to false unless a device really sends private SOP classes.",
    ),
    Code(
        "IMPORT008",
        "unknown-uid-name",
        "A transfer syntax or SOP class of the source that "
        "neither DCMTK's names nor pydicom's registry know; left out of the file.",
        WARNING,
        what="A UID name in the source that can be translated neither through DCMTK's "
        "names nor pydicom's registry.",
        why="The written file would fail the schema (SCHEMA005); left out, the capability "
        "is missing until you add it.",
        example="Message: storescp.cfg:12:1: IMPORT008 'JPEGLosslessP14SV1' is neither a "
        "DCMTK name nor a UID pydicom knows; left out\nFix: add the capability by hand "
        "with its keyword or UID.",
    ),
    Code(
        "IMPORT009",
        "not-imported",
        "An entry of the source that cannot be written as valid "
        "imgpolicy YAML (bad AE title, host or port, a duplicate AE title, a dangling "
        "reference); left out.",
        WARNING,
        what="An entry the source's own program would refuse or that breaks the model.",
        why="Writing it would produce a file that fails the schema; it is left out and "
        "reported so you can decide.",
        example="Message: dcmqrscp.cfg:31:5: IMPORT009 symbolic name 'ct9' is not defined "
        "in the HostTable (dcmqrscp refuses to start); left out\nFix: define the host in "
        "the source, or add the device by hand.",
    ),
]

CODES = {c.code: c for c in _CODES}
