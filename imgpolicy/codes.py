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
        "ANY, a dcm4chee AE without dcmAcceptedCallingAETitle).",
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
        "peers ANY, a dcm4chee AE without dcmAcceptedCallingAETitle).",
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
    # IMPORT010-012: how Orthanc reads its configuration, and what its DICOM server accepts.
    Code(
        "IMPORT010",
        "unresolved-placeholder",
        "An Orthanc `${VAR}` placeholder with no value (not in the environment or "
        "--env-file, no `:-default`), imported as written because --keep-placeholders asks "
        "for it.",
        WARNING,
        what="Orthanc substitutes `${VAR}`, `${VAR:-default}` in the raw text of its "
        "configuration with its own environment; the import runs elsewhere, so it takes the "
        "values from its environment and --env-file. Without --keep-placeholders an "
        "unresolved placeholder stops the import (exit 2) at the same position.",
        why="Orthanc reads an unset `${VAR}` as an empty string: an AE title of `${AET}` in "
        "the imported file is neither what Orthanc uses nor a title any peer calls.",
        example="Message: orthanc.json:12:16: IMPORT010 ${ORTHANC_AET} is not set (no value "
        "in the environment or --env-file, no default): imported as written\nFix: "
        "imgpolicy import orthanc orthanc.json --env-file /etc/default/orthanc, or edit "
        "the AE title in the imported file.",
    ),
    Code(
        "IMPORT011",
        "no-storage-transfer-syntax",
        "Orthanc accepts no transfer syntax for storage: its C-STORE SCP is disabled and "
        "every study sent to it is refused.",
        ERROR,
        what="`AcceptedTransferSyntaxes` is empty, or its patterns match nothing Orthanc "
        "knows, or the ...TransferSyntaxAccepted options remove everything it matched. "
        "Orthanc starts anyway (it logs a warning); the imported AE gets no storage SCP.",
        why="Every modality and router sending to this Orthanc fails at association time "
        "while the configuration looks fine; `check` then reports the routes to it (RT002).",
        example="Message: orthanc.json:147:3: IMPORT011 Orthanc accepts no transfer syntax for "
        'storage (AcceptedTransferSyntaxes [] ...)\nFix: "AcceptedTransferSyntaxes": '
        '[ "1.2.840.10008.1.*" ], or remove the option (default: all).',
    ),
    Code(
        "IMPORT012",
        "transfer-syntax-ignored",
        "An Orthanc transfer syntax setting that this Orthanc version does not act on: an "
        "`AcceptedTransferSyntaxes` entry matching no transfer syntax it can negotiate "
        "(HTJ2K, a typo), or an option older versions do not read.",
        WARNING,
        what="Orthanc matches `AcceptedTransferSyntaxes` against its own list of transfer "
        "syntaxes, not against the DICOM standard's, and negotiates only those its DCMTK "
        "knows; before 1.9.0 it reads neither that option nor H265TransferSyntaxAccepted.",
        why="The configuration says a syntax is accepted; the server refuses associations "
        "that offer only it. The import declares what the server really negotiates.",
        example="Message: orthanc.json:147:7: IMPORT012 AcceptedTransferSyntaxes entry "
        '"1.2.840.10008.1.2.4.201" matches HTJ2KLossless, which Orthanc 1.10.1 does not '
        "know: Orthanc ignores it\nFix: send HTJ2K studies elsewhere or transcode them at "
        "the sender; remove the entry.",
    ),
    # IMPORT013-022: Orthanc's routing (Lua and Python auto-routing scripts) and posture.
    Code(
        "IMPORT013",
        "routing-not-imported",
        "An Orthanc auto-routing script (LuaScripts, the Python plugin) sends studies on in "
        "a way the import cannot state as a route; the route is left out.",
        WARNING,
        what="A `SendToModality` or `RestApiPost('/modalities/.../store')` call whose target "
        "is computed, that sits in a loop, under a condition other than Modality, SOP class "
        "or calling AE title tests, outside a stored-instance or stable-study callback, or "
        "a script that cannot be read or parsed. Scripts are read, never run.",
        why="Auto-forwarding scripts are the real routes of many Orthanc setups: a route "
        "missing from the environment is a flow nobody checks (transfer syntaxes, "
        "encryption across sites, where PHI goes).",
        example="Message: autorouting.lua:7:5: IMPORT013 SendToModality(instanceId, target): "
        "the target is computed at run time; routing was not imported\nFix: add the route "
        "by hand (`routes:`), with the match the script applies.",
    ),
    Code(
        "IMPORT014",
        "lua-execution-enabled",
        "Orthanc runs any Lua script posted to its REST API (ExecuteLuaEnabled true).",
        ERROR,
        what="`POST /tools/execute-script` executes the Lua code in the request body, with the "
        "rights of the Orthanc process (`os.execute` included).",
        why="Whoever can reach the REST API (or trick a browser that can) runs commands on "
        "the server: remote code execution, every study readable and deletable. Orthanc "
        "disables it by default since 1.5.8.",
        example="Message: orthanc.json:727:3: IMPORT014 ExecuteLuaEnabled is true\nFix: set "
        "ExecuteLuaEnabled to false; load scripts through LuaScripts instead.",
    ),
    Code(
        "IMPORT015",
        "https-peers-not-verified",
        "Orthanc does not verify the certificates of the HTTPS servers it calls "
        "(HttpsVerifyPeers false).",
        WARNING,
        what="Orthanc peers, DICOMweb servers and every outgoing HTTPS request accept any "
        "certificate.",
        why="Whoever answers at the peer's address (DNS spoofing, a rogue proxy) receives the "
        "studies sent there and the credentials Orthanc presents (see SEC003).",
        example="Message: orthanc.json:499:3: IMPORT015 HttpsVerifyPeers is false\nFix: set "
        "HttpsVerifyPeers to true and HttpsCACertificates to the CA that signs the peers.",
    ),
    Code(
        "IMPORT016",
        "http-credentials-in-clear",
        "Orthanc asks remote HTTP clients for a password over plain HTTP (AuthenticationEnabled "
        "with RemoteAccessAllowed and SslEnabled false).",
        ERROR,
        what="HTTP Basic authentication, whose password is only base64-encoded, on an HTTP "
        "server reachable from other hosts without TLS.",
        why="Anyone on the path reads the passwords of RegisteredUsers and then has the "
        "REST API: every study, and deleting them (HIPAA transmission security).",
        example="Message: orthanc.json:183:3: IMPORT016 SslEnabled is false while "
        "RemoteAccessAllowed asks for passwords\nFix: set SslEnabled with SslCertificate, or "
        "terminate TLS at a reverse proxy and keep RemoteAccessAllowed false.",
    ),
    Code(
        "IMPORT017",
        "plaintext-registered-users",
        "Orthanc's RegisteredUsers holds passwords in plain text in the configuration.",
        WARNING,
        what="`RegisteredUsers` maps user names to literal passwords (Orthanc has no hashed "
        "form); the import names the users, never the passwords.",
        why="Whoever reads the configuration file (a backup, a container image, a "
        "repository) has the REST API.",
        example="Message: credentials.json:10:3: IMPORT017 RegisteredUsers holds the plain "
        "text passwords of 2 users (alice, bob)\nFix: write them as ${ENV_VAR} references "
        "that Orthanc substitutes, keep the file readable by Orthanc's user only, or "
        "authenticate in a reverse proxy or the authorization plugin.",
    ),
    Code(
        "IMPORT018",
        "storage-recycling",
        "Orthanc deletes its oldest patients when its storage limit is reached "
        "(MaximumStorageSize or MaximumPatientCount with MaximumStorageMode Recycle).",
        WARNING,
        what="A storage or patient-count limit with recycling, Orthanc's default mode: when "
        "the limit is reached, the least recently stored unprotected patients are deleted.",
        why="Studies disappear without a message, whatever retention period the law or the "
        "policy requires; if this Orthanc is an archive of record, that is a retention "
        "breach (see the `retention` rules).",
        example="Message: orthanc.json:37:3: IMPORT018 MaximumStorageSize 500000 MB with "
        "MaximumStorageMode Recycle\nFix: set MaximumStorageMode to Reject (Orthanc >= "
        "1.11.2) or remove the limit, and declare the retention it really gives.",
    ),
    Code(
        "IMPORT019",
        "storage-compression",
        "Orthanc compresses the files of its storage area (StorageCompression true).",
        INFO,
        what="Stored DICOM files are zlib-compressed by Orthanc, not DICOM files on disk.",
        why="Tools that read the storage folder directly (backup verification, restore "
        "outside Orthanc) see no DICOM files; ingest and retrieval cost CPU.",
        example="Message: orthanc.json:33:3: IMPORT019 StorageCompression is true\nFix: "
        "nothing if backups and restores go through Orthanc; otherwise plan for it.",
    ),
    Code(
        "IMPORT020",
        "lossy-ingest-transcoding",
        "Orthanc transcodes what it receives to a lossy transfer syntax before storing it "
        "(IngestTranscoding).",
        ERROR,
        what="`IngestTranscoding` names a lossy transfer syntax (JPEG baseline, JPEG 2000, "
        "...) and applies to received images.",
        why="The original pixel data is never stored: the archive keeps an irreversibly "
        "compressed copy under a new SOP Instance UID, which breaks references and may be "
        "unfit for diagnosis (lossy compression needs a documented, approved decision).",
        example="Message: orthanc.json:767:3: IMPORT020 IngestTranscoding "
        "1.2.840.10008.1.2.4.50 (JPEG Baseline) is lossy\nFix: transcode losslessly (e.g. "
        "1.2.840.10008.1.2.4.90) or not at all, and compress lossily on the routes that "
        "need it.",
    ),
    Code(
        "IMPORT021",
        "http-without-tls",
        "Orthanc exchanges studies over HTTP without TLS (an Orthanc peer or DICOMweb "
        "server at http://, or its DICOMweb service open to other hosts without SslEnabled).",
        WARNING,
        what="An `OrthancPeers` or `DicomWeb.Servers` URL with http://, or the DICOMweb "
        "plugin served to other hosts (RemoteAccessAllowed) while SslEnabled is false.",
        why="Studies (PHI) and credentials cross the network readable by anyone on the path "
        "(HIPAA transmission security); across sites see INT001.",
        example='Message: orthanc.json:446:5: IMPORT021 OrthancPeers["remote"] is '
        "http://pacs2:8042/: studies travel without TLS\nFix: use https:// (with "
        "HttpsVerifyPeers true), or carry it over an encrypted site link.",
    ),
    Code(
        "IMPORT022",
        "routing-over-http",
        "An Orthanc auto-routing script sends to an Orthanc peer or a DICOMweb server: "
        "recorded as its integration, not as a DICOM route.",
        INFO,
        what="`SendToPeer`, `RestApiPost('/peers/.../store')` or "
        "`RestApiPost('/dicom-web/servers/.../stow')` in an auto-routing script.",
        why="imgpolicy's routes are DICOM associations between AE titles; a transfer over "
        "HTTP is the integration with that peer or server, which the import writes.",
        example="Message: autorouting.lua:4:3: IMPORT022 SendToPeer(instanceId, 'remote') "
        "sends over HTTP: see integration orthanc-peer-remote\nFix: nothing; check the "
        "integration's endpoint and credentials.",
    ),
    Code(
        "IMPORT023",
        "dcmqrscp-access-not-writable",
        "A dcmqrscp AETable access that is not exactly `RW`, `WR` or `W` (`rw`, `Write`): "
        "dcmqrscp reads it as read-only and refuses every C-STORE to that AE.",
        WARNING,
        what="dcmqrscp compares the access column case-sensitively with RW, WR and W; "
        "anything else (lowercase `rw` too) makes the storage area read-only. C-FIND, "
        "C-MOVE and C-GET are allowed whatever the access says.",
        why="The file looks writable to a reader but every modality storing to that AE "
        "gets its storage presentation contexts rejected; imported as dcmqrscp runs it.",
        example="Message: dcmqrscp.cfg:70:1: IMPORT023 access 'rw' of ARCHIVE is not RW, "
        "WR or W: dcmqrscp refuses every C-STORE to ARCHIVE (imported read-only)\n"
        "Fix: write RW in upper case, or R if the area is meant to be read-only.",
    ),
    Code(
        "IMPORT024",
        "dcmtk-name-of-another-release",
        "A UID name of an older DCMTK release (3.5.4's `PETImageStorage`, `BasicTextSR`), "
        "or one whose UID changed: imported as that release read it; today's DCMTK stops "
        "on it.",
        INFO,
        what="A transfer syntax or SOP class named as an older DCMTK named it; DCMTK's "
        "current name table no longer has it (or gives it another UID).",
        why="The running (old) DCMTK reads the file, but an upgrade stops the tool with "
        '"not a valid abstract syntax UID": the profile must be renamed first.',
        example="Message: storescp.cfg:94:26: IMPORT024 'PETImageStorage' is the name "
        "DCMTK 3.2.0 to 3.5.4 gave to 1.2.840.10008.5.1.4.1.1.128; imported as such, but "
        "today's DCMTK (3.7.0) stops on it (not a valid abstract syntax UID): write "
        "PositronEmissionTomographyImageStorage\nFix: rename it in the profile before "
        "upgrading DCMTK.",
    ),
    Code(
        "IMPORT025",
        "not-a-dcmtk-name",
        "A DICOM keyword (pydicom's) in a DCMTK file where DCMTK reads only its own names: "
        "no DCMTK release starts with it.",
        WARNING,
        what="`ExplicitVRLittleEndian` where DCMTK expects `LittleEndianExplicit`: the tool "
        'stops with "not a valid transfer syntax UID". Imported with the keyword\'s UID.',
        why="The file cannot be the configuration of a running tool as written; the "
        "imported capability is what was meant, not what runs.",
        example="Message: storescp.cfg:12:19: IMPORT025 'ExplicitVRLittleEndian' is "
        "pydicom's keyword of 1.2.840.10008.1.2.1, not a DCMTK name: every DCMTK release "
        "stops on it (not a valid transfer syntax UID); imported as 1.2.840.10008.1.2.1: "
        "write LittleEndianExplicit\nFix: use DCMTK's name or the UID.",
    ),
    Code(
        "IMPORT026",
        "into-conflict",
        "`import --into`: the import and the environment disagree about an AE (its title on "
        "another host or port, its host:port under another title, a title that differs "
        "only by case, an AE the known device does not list, a site the environment lacks); "
        "left out.",
        WARNING,
        what="An imported AE that cannot be the environment's AE of that title, nor a new "
        "one: one of the two descriptions is wrong. Routes that join such an AE are left "
        "out with it.",
        why="Adding it would define one AE title twice (the environment would not load) or "
        "give two devices one host:port; picking either silently would hide a wiring error "
        "that fails associations (C-MOVE to the wrong port, a study sent to another host).",
        example="Message: env/devices/core.yaml:101:9: IMPORT026 AE title PACS_SPMC is on "
        "pacs.spmc.example.org:11112 in the environment, but on 10.1.2.3:104 in the import "
        '(from DicomModalities["pacs"] in orthanc.json:12:5): one AE title, two hosts; '
        "left out: correct whichever is wrong\nFix: correct the source's peer table or the "
        "environment, then import again.",
    ),
    Code(
        "IMPORT027",
        "into-renamed",
        "`import --into`: a new device, route or integration whose name the environment "
        "already uses; written with a suffix (`-2`).",
        INFO,
        what="A device the environment does not have (no AE title or host:port in common) "
        "under a name another device of the environment has.",
        why="Names are unique across the environment (SCHEMA009); the suffix keeps both, "
        "and integrations of the import that name the device follow it.",
        example="Message: env/devices/core.yaml:85:11: IMPORT027 device name 'pacs-spmc' "
        '(from DicomModalities["pacs-spmc"] in orthanc.json:9:5) is taken by another '
        "device of the environment: the imported one is written as 'pacs-spmc-2'\nFix: "
        "rename it in the generated file if another name says more.",
    ),
    Code(
        "IMPORT028",
        "into-matched",
        "`import --into`: an imported device the environment already has (same AE title on "
        "the same host, or the source names no host); its definition there is kept.",
        INFO,
        what="An AE of the import found in the environment by its AE title and host.",
        why="The environment is what the team maintains: the import adds what is new and "
        "never rewrites what is there; this says which of the source's devices were "
        "recognised, so a wrong match is visible.",
        example="Message: env/devices/spmc-modalities.yaml:65:9: IMPORT028 AE title "
        'CT_SPMC_2 (from DicomModalities["ct2"] in orthanc.json:6:5) is device '
        "'ct-spmc-2' of the environment, matched by AE title and host: its definition "
        "there is kept\nFix: nothing; if the match is wrong, correct the AE title.",
    ),
    # IMPORT030-036: dcm4chee-arc-light (device JSON, LDIF).
    Code(
        "IMPORT030",
        "dicom-without-tls",
        "The dcm4chee archive accepts associations on a DICOM connection without TLS "
        "(no dicomTLSCipherSuite).",
        INFO,
        what="A connection of the archive's AEs with a port and no dicomTLSCipherSuite.",
        why="Studies and queries on it travel in clear text; inside one site that may be "
        "accepted, between sites it must be encrypted (PS3.15 Annex B; `check`'s transport "
        "rules decide once sites are set).",
        example="Message: default-config.ldif:190:1: IMPORT030 connection 'dicom' (port "
        "11112) accepts associations without TLS for DCM4CHEE, WORKLIST\nFix: point remote "
        "senders at the TLS connection (dicom-tls, 2762) and remove the plain one, or carry "
        "the traffic over an encrypted site link.",
    ),
    Code(
        "IMPORT031",
        "weak-tls",
        "A dcm4chee TLS connection offers weak cipher suites (3DES, RC4, DES, NULL, export, "
        "anonymous, SSL_) or protocols (SSLv3, TLSv1, TLSv1.1).",
        WARNING,
        what="dicomTLSCipherSuite or dcmTLSProtocol of a connection names a suite or a "
        "protocol version that is broken or deprecated.",
        why="A peer that offers only the weak choice is accepted, and the traffic can be "
        "decrypted (SWEET32 for 3DES; RFC 8996 deprecates TLS 1.0 and 1.1; BCP 195).",
        example="Message: default-config.ldif:231:1: IMPORT031 TLS connection 'dicom-tls' "
        "offers weak cipher suites SSL_RSA_WITH_3DES_EDE_CBC_SHA\nFix: keep "
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (or the BCP 195 profile's suites) and "
        "dcmTLSProtocol TLSv1.2/TLSv1.3.",
    ),
    Code(
        "IMPORT032",
        "export-condition-not-mapped",
        "An export rule's condition (dcmProperty) that a route's match cannot say: the "
        "imported route carries more than the archive exports.",
        WARNING,
        what="A condition other than plain Modality, SendingApplicationEntityTitle, "
        "BodyPartExamined or SOPClassUID values (a regular expression, a negation `!=`, "
        "another attribute, another receiving AE).",
        why="`check` then reasons about studies the archive never sends there (syntaxes, "
        "transport, de-identification); the condition is kept as a comment on the route.",
        example="Message: archive.json:88:11: IMPORT032 export rule 'Forward to AI': the "
        "condition InstitutionName=Site A cannot be written as the route's match: route "
        "'Forward-to-AI' carries more than the archive exports\nFix: narrow the route's "
        "match by hand if it can say the condition, or accept the wider route.",
    ),
    Code(
        "IMPORT033",
        "export-not-imported",
        "A dcm4chee export or forward rule that is not a DICOM C-STORE route: left out.",
        INFO,
        what="An exporter that is not `dicom:AET` (WADO, XDS-I, storage copy, nop), an "
        "export rule naming an exporter that does not exist, or an MPPS, HL7 or "
        "export-priors forward rule.",
        why="imgpolicy's routes are C-STORE transfers between AEs; these move data in "
        "other ways and are listed so no flow is silently lost.",
        example="Message: archive.ldif:120:1: IMPORT033 export rule 'Copy to nearline' "
        "exports with 'NEARLINE' to 'storage:nearline' (storage, not DICOM C-STORE): not "
        "imported as a route\nFix: model a storage copy as a storage tier, an HL7 feed as "
        "an integration, by hand.",
    ),
    Code(
        "IMPORT034",
        "retention-not-imported",
        "A dcm4chee study retention policy (dcmStudyRetentionPolicy, "
        "hl7StudyRetentionPolicy): written as a comment, not as `retention`.",
        INFO,
        what="A retention period the archive enforces (it expires studies after it).",
        why="imgpolicy's retention policies are per jurisdiction (the law they implement), "
        "which the archive does not record; add the policy under `retention:` so the "
        "retention rules can compare the archive's period with the law.",
        example="Message: archive.json:140:9: IMPORT034 retention policy 'Mammography' (keep "
        "P10Y, Modality=MG) is not imported: imgpolicy's retention needs the jurisdiction "
        "whose law it implements\nFix: add `retention: [{name: mammography, jurisdiction: "
        "US-CA, modality: MG, keep: 10y}]`.",
    ),
    Code(
        "IMPORT035",
        "storage-deletes-studies",
        "A dcm4chee storage deletes studies by free space or age (dcmDeleterThreshold, "
        "dcmDeleteStudiesOlderThan...).",
        WARNING,
        what="A storage descriptor with a deleter: studies are removed when usable space "
        "falls below a threshold or after a period, whatever the retention policy says.",
        why="Deletion by disk space is a retention decision taken by the storage: with "
        "dcmNoDeletionConstraint a study may be deleted while no other copy exists.",
        example="Message: archive.json:60:9: IMPORT035 storage 'fs1' (PERMANENT) deletes "
        "studies by dcmDeleterThreshold 1GB; studies are deleted once exported or stored on "
        "another storage\nFix: confirm that the deleter only removes copies kept elsewhere "
        "(no dcmNoDeletionConstraint) and that it matches the retention policy.",
    ),
    Code(
        "IMPORT036",
        "lossy-compression-on-store",
        "A dcm4chee compression rule stores studies in a lossy transfer syntax "
        "(dcmArchiveCompressionRule).",
        WARNING,
        what="The archive recompresses received instances with an irreversible syntax "
        "(JPEG baseline, JPEG 2000, JPEG-LS near-lossless, HTJ2K, JPEG XL, MPEG).",
        why="The original pixels are gone: a lossy archive copy is not the diagnostic "
        "original (ACR-AAPM-SIIM; never for mammography, 21 CFR 900.12).",
        example="Message: archive.json:170:9: IMPORT036 compression rule 'US lossy' stores "
        "Modality=US in the lossy JPEGBaseline8Bit: the originals are not kept\nFix: use a "
        "lossless syntax (JPEGLSLossless, JPEG2000Lossless), or document the approval.",
    ),
    # IMPORT037-040: mercure (mercure.json).
    Code(
        "IMPORT037",
        "mercure-condition-not-mapped",
        "A mercure rule's condition, or part of it, cannot be a route's `match`; the "
        "route is imported with a wider match and the rule kept as a comment.",
        WARNING,
        what="A rule expression (a Python expression over the series' tags) that uses "
        "something a route match cannot say: a substring test, `!=`, `not`, a number, a "
        "tag other than Modality, BodyPartExamined, SenderAET or SOPClassUID, or an `or` "
        "across different tags.",
        why="The route then claims more than mercure sends, so rules about what reaches "
        "the target (lossy compression, AI clearance, archive reachability) may report "
        "studies that never go there; a narrower guess could hide real problems instead.",
        example='Message: mercure.json:88:13: IMPORT037 rule "cardiac": "\'CINE\' in '
        'tags.SeriesDescription" cannot be a route match; its routes carry more than '
        "mercure sends\nFix: narrow the route's match by hand (the rule is in the "
        "comment above it), or suppress it if the wider route is acceptable.",
    ),
    Code(
        "IMPORT038",
        "mercure-route-not-imported",
        "A mercure rule sends somewhere a route cannot reach: a non-DICOM target (DICOMweb, "
        "SFTP, S3, folder, rsync, XNAT), the sending host (`ip: sender`), a missing "
        "target, targets chosen at run time, or an invalid expression.",
        WARNING,
        what="Routes run from AE title to AE title; these destinations have none, or are "
        "only known when mercure runs.",
        why="Studies leave through a path the environment does not show: the destination "
        "is out of reach of the routing, transport and compliance rules.",
        example='Message: mercure.json:95:9: IMPORT038 rule "research" routes to target '
        '"s3-bucket", but it is a s3 target (files, not DICOM); no route\nFix: document '
        "the destination by hand (a device and a note, or an integration for DICOMweb).",
    ),
    Code(
        "IMPORT039",
        "mercure-force-discard",
        "A mercure rule with action discard drops what it selects before every other "
        "rule; the routes imported for the other rules do not exclude it.",
        INFO,
        what='A "Force discard" rule: mercure stops evaluating and discards the series.',
        why="Another rule's route then carries less than its match says; imgpolicy's "
        "route match has no exclusion to express it.",
        example='Message: mercure.json:70:13: IMPORT039 rule "drop-scouts" discards what '
        "\"tags.SeriesDescription == 'SCOUT'\" selects before any other rule\nFix: nothing "
        "to fix in mercure; keep it in mind when reading findings about the other routes.",
    ),
    Code(
        "IMPORT040",
        "mercure-secret-in-config",
        "A password, token or key is stored in plain text in mercure.json (a target's "
        "password, http_password, access_token or secret_access_key, bookkeeper_api_key, "
        "influxdb_token, a module's secret-looking environment variable).",
        WARNING,
        what="A credential in the configuration file, readable by whoever reads the file "
        "or a backup of it.",
        why="The environment file never holds it (SEC002): the import writes a `${ENV}` "
        "reference where the model has a credential field and reports the secret here, "
        "without its value.",
        example='Message: mercure.json:41:13: IMPORT040 target "ext-pacs-web": '
        "http_password is stored in mercure.json in plain text; not imported\nFix: use a "
        "restricted account for the target, limit who can read mercure.json and its "
        "backups, and rotate the secret if the file was shared.",
    ),
    # AUDIT020-039: `imgpolicy audit headers` (sampled studies' DICOM headers).
    Code(
        "AUDIT020",
        "patient-id-missing",
        "A sampled study has no Patient ID, or a placeholder (UNKNOWN, TEMP, 000000).",
        ERROR,
        what="Patient ID (0010,0020) is empty, all zeros, or a word that stands for no "
        "patient, typed at the console when the worklist had no entry.",
        why="The study cannot be matched to the patient's record: priors are missing, the "
        "report cannot be filed. Checkpoint B: patient ID accuracy > 99.9 %; the "
        "practice guide calls metadata errors patient safety events.",
        example="Message: devices.yaml:12:13: AUDIT020 study …1234ab (CT, "
        "2026-11-02, ct-1): there is no Patient ID (0010,0020): the study cannot be matched "
        "to the patient's record\nFix: reconcile the study with the patient's MRN in the "
        "archive (IHE Patient Information Reconciliation) and have the modality use the "
        "worklist.",
    ),
    Code(
        "AUDIT021",
        "issuer-missing",
        "A sampled study has no Issuer of Patient ID where its device or site declares one.",
        WARNING,
        what="Issuer of Patient ID (0010,0021) is absent, and the environment declares "
        "`patient_id_issuer` for the sending device or its site.",
        why="In an archive shared by several identifier domains the same MRN can be two "
        "patients; the issuer says whose number it is (PS3.3 C.7.1.1, IHE PIX).",
        example="Message: sites.yaml:4:24: AUDIT021 study …1234ab (CT, 2026-11-02, "
        "ct-1): no Issuer of Patient ID (0010,0021), where site 'MAIN' declares "
        "'MAIN_MRN'\nFix: have the modality take the issuer from the worklist, or the "
        "archive coerce it on receipt for the sending AE.",
    ),
    Code(
        "AUDIT022",
        "issuer-mismatch",
        "A sampled study's Issuer of Patient ID differs from its device's or site's.",
        ERROR,
        what="Issuer of Patient ID (0010,0021) is present but not the declared "
        "`patient_id_issuer` of the sending device (or its site).",
        why="The MRN is read in another identifier domain: the archive files the study "
        "under another patient, or under nobody.",
        example="Message: sites.yaml:4:24: AUDIT022 study …1234ab (CT, 2026-11-02, "
        "ct-1): Issuer of Patient ID is 'EAST_MRN', where site 'MAIN' declares "
        "'MAIN_MRN'\nFix: correct the study, and the worklist or coercion rule that wrote "
        "the issuer.",
    ),
    Code(
        "AUDIT023",
        "patient-id-not-the-orders",
        "A sampled study's Patient ID differs from the MRN of the order its accession names.",
        ERROR,
        what="With --orders: the study's Accession Number names an order whose patient ID "
        "(CSV MRN column, HL7 PID-3) is not the study's Patient ID.",
        why="The images are filed under one patient and ordered for another: the wrong "
        "patient's images may be read. The practice guide's audit: 'Patient ID matches "
        "EHR MRN'.",
        example="Message: devices.yaml:12:13: AUDIT023 study …1234ab (CT, "
        "2026-11-02, ct-1): Patient ID ******89 does not match the order (accession "
        "******01, patient ID ******12, orders.csv:7)\nFix: reconcile the study with the "
        "RIS before it is read; find why the modality did not take the worklist entry.",
    ),
    Code(
        "AUDIT024",
        "patient-name-format",
        "A sampled study's Patient's Name is missing or not a well-formed PN.",
        WARNING,
        what="No name; family and given names not separated by `^` (`DOE JOHN`, `DOE, "
        "JOHN`); more than five components; spaces around a component; characters outside "
        "the declared Specific Character Set. Upper versus mixed case is not reported.",
        why="Patient matching between RIS, PACS and EHR compares names component by "
        "component (PS3.5 6.2 PN); a name typed at the console instead of taken from the "
        "worklist breaks it.",
        example="Message: devices.yaml:12:13: AUDIT024 study …1234ab (CT, "
        "2026-11-02, ct-1): patient name (name, 8 characters): family and given names are "
        "not separated by ^\nFix: correct the study from the order, and have the modality "
        "take the name from the worklist.",
    ),
    Code(
        "AUDIT025",
        "accession-missing",
        "A sampled study from an order-based device has no Accession Number.",
        WARNING,
        what="Accession Number (0008,0050) is empty on a study whose device is not "
        "`workflow: encounter-based` (or whose device is unknown).",
        why="The accession links the images to the order and the report; without it the "
        "study is unbilled and unreported (practice guide: 'Accession Number is populated "
        "and matches RIS order').",
        example="Message: devices.yaml:12:13: AUDIT025 study …1234ab (CT, "
        "2026-11-02, ct-1): no Accession Number (0008,0050)\nFix: perform exams from the "
        "worklist; correct this one from the RIS order.",
    ),
    Code(
        "AUDIT026",
        "study-without-order",
        "With --orders: a sampled study's accession matches no order.",
        WARNING,
        what="The study's Accession Number is not in the order list (CSV export or HL7 "
        "ORM/OMI messages); cancelled orders do not count.",
        why="An unordered study, or a mistyped accession: it is not reported or billed, "
        "and its images may be attached to the wrong order.",
        example="Message: devices.yaml:12:13: AUDIT026 study …1234ab (CT, "
        "2026-11-02, ct-1): accession ******99 matches no order in orders.csv\nFix: "
        "reconcile the study with the RIS (order it, or correct the accession).",
    ),
    Code(
        "AUDIT027",
        "study-description-missing",
        "A sampled study has no Study Description.",
        WARNING,
        what="Study Description (0008,1030) is empty.",
        why="Worklists, hanging protocols and prior selection use it; the practice guide's "
        "audit checks that it is there and accurate.",
        example="Message: devices.yaml:12:13: AUDIT027 study …1234ab (CT, "
        "2026-11-02, ct-1): Study Description (0008,1030) is empty\nFix: have the "
        "modality take it from the worklist's Requested Procedure Description.",
    ),
    Code(
        "AUDIT028",
        "referring-physician-missing",
        "A sampled study has no Referring Physician's Name.",
        WARNING,
        what="Referring Physician's Name (0008,0090) is empty.",
        why="The report cannot be routed to the clinician who asked for the exam "
        "(practice guide: 'Referring Physician is populated').",
        example="Message: devices.yaml:12:13: AUDIT028 study …1234ab (CT, "
        "2026-11-02, ct-1): Referring Physician's Name (0008,0090) is empty\nFix: fill "
        "it from the order (worklist Referring Physician's Name).",
    ),
    Code(
        "AUDIT029",
        "modality-not-declared",
        "A sampled study's modality is not among its sending device's declared modalities.",
        WARNING,
        what="The study's image series have a Modality (0008,0060) that the acquisition "
        "device it was traced to (by Source AE Title, Station Name, calling AE or "
        "Institution Name) does not list in `modality`.",
        why="The environment does not describe what the device sends: routes, retention "
        "and dose rules judge the wrong modality; or the study was traced to the wrong "
        "device because a Station Name or AE title is shared.",
        example="Message: devices.yaml:14:15: AUDIT029 study …1234ab (MR, "
        "2026-11-02, ct-1): modality MR from device 'ct-1' (found by Station Name), which "
        "declares CT\nFix: add the modality to the device, or correct the device's "
        "Station Name/AE title.",
    ),
    Code(
        "AUDIT030",
        "character-set-not-accepted",
        "A sampled study's Specific Character Set is not declared by an AE that receives "
        "its device's studies.",
        WARNING,
        what="Specific Character Set (0008,0005) of the study names a repertoire that an "
        "AE its device sends to over an enabled route does not list in `character_sets` "
        "(none listed: only ISO_IR 6).",
        why="Names with accents or non-Latin scripts arrive garbled or are rejected, and "
        "patient matching breaks (PS3.5 6.1; PS3.15 H.4.3). CF003 judges the declarations; "
        "this is what was actually sent.",
        example="Message: devices.yaml:30:11: AUDIT030 study …1234ab (CT, "
        "2026-11-02, ct-1): Specific Character Set ISO_IR 192 is not declared by PACS, "
        "which receive from device 'ct-1'\nFix: add the set to the receiver's "
        "character_sets if it supports it, or configure the modality to send one it "
        "declares.",
    ),
    Code(
        "AUDIT031",
        "duplicate-study",
        "Two sampled studies have the same patient, exam and date under different Study "
        "Instance UIDs.",
        WARNING,
        what="Same Patient ID and issuer, same Study Description (ignoring case and "
        "spacing) and same Study Date; reported on every study but the first by UID. Only "
        "the sampled studies are compared.",
        why="A resend that got a new Study UID, or one exam split in two: readers see half "
        "the images, the patient may be billed twice, and the archive keeps two copies.",
        example="Message: devices.yaml:12:13: AUDIT031 study ********5678cd (CT, "
        "2026-11-02, ct-1): the same patient, exam and date as study …1234ab under "
        "another Study Instance UID\nFix: merge the two in the archive, or delete the "
        "repeat.",
    ),
    Code(
        "AUDIT032",
        "study-patient-inconsistent",
        "A sampled study's instances disagree on the patient or the accession.",
        ERROR,
        what="Patient ID, Patient's Name or Accession Number differ between instances of "
        "one study.",
        why="Part of the study was identified differently (an edit or a merge that did not "
        "reach every series): one study shows images of two identities.",
        example="Message: devices.yaml:12:13: AUDIT032 study …1234ab (CT, "
        "2026-11-02, ct-1): its 3 instances disagree on Patient ID\nFix: split or "
        "reconcile the study in the archive.",
    ),
    # AUDIT040-059: `imgpolicy audit dose` (Radiation Dose SRs against DRLs and CT Dose
    # Check values).
    Code(
        "AUDIT040",
        "median-above-drl",
        "An exam's facility median dose, over at least 20 studies, is above its "
        "diagnostic reference level.",
        WARNING,
        what="The median (and 75th percentile) of a dose metric over the studies mapped to "
        "a `dose.reference_levels` entry (by procedure code, description pattern, or a "
        "Study Description equal to the exam), compared with the level's value for that "
        "metric; exams with fewer than 20 studies get a note, not a verdict.",
        why="A DRL benchmarks the facility's typical dose, not one patient (ICRP "
        "Publication 135; ACR-AAPM-SPR practice parameter): a median above it means the "
        "protocol doses most patients more than comparable facilities, and calls for a "
        "review of the protocol and technique. It is a warning because a DRL is not a "
        "limit: a justified reason may be recorded instead.",
        example="Message: dose.yaml:5:44: AUDIT040 CT head without contrast: the facility "
        "median CTDIvol of 24 studies is 68 mGy, above the DRL of 57 mGy (ACR-AAPM, "
        "2023); 75th percentile 71 mGy: review the protocol and the technique with the "
        "medical physicist\nFix: optimise the protocol (tube current modulation, kV, "
        "scan length), then audit again.",
    ),
    Code(
        "AUDIT041",
        "above-notification-value",
        "A CT acquisition's CTDIvol or DLP is above the notification value of its protocol group.",
        WARNING,
        what="Each CT Acquisition of a CT Radiation Dose SR (TID 10011) against the "
        "`dose.notification_values` entry its acquisition protocol or study maps to; one "
        "finding per study and metric, for the acquisition furthest above.",
        why="The notification value is the per-scan check at the console (NEMA XR 25, "
        "AAPM Dose Check Guidelines): exceeding it is allowed with a reason (a large "
        "patient), but each one should be reviewed, and frequent ones mean the protocol "
        "or the value is wrong.",
        example="Message: dose.yaml:12:34: AUDIT041 study ******8c41d2 of 2026-11-02 on "
        "'ct-1': CTDIvol 95 mGy in the acquisition 'Head' is above the notification value "
        "of 80 mGy for the protocol group 'Adult head'\nFix: check the technologist's "
        "recorded reason; review the protocol if it recurs.",
    ),
    Code(
        "AUDIT042",
        "above-alert-value",
        "A CT study's accumulated CTDIvol or total DLP is above the CT Dose Check alert value.",
        ERROR,
        what="The sum of a CT study's acquisitions' CTDIvol (an upper bound of the dose "
        "accumulated at one place) and its total DLP against `dose.alert_values`.",
        why="The alert value (AAPM suggests 1000 mGy CTDIvol) is set so that exceeding it "
        "may harm the patient (skin effects): the console asks for a reason and a "
        "confirmation, and the examination needs the medical physicist's review and may "
        "need the patient's follow-up.",
        example="Message: dose.yaml:15:20: AUDIT042 study ******8c41d2 of 2026-11-02 on "
        "'ct-1': accumulated CTDIvol (sum of the acquisitions) 1240 mGy is above the alert "
        "value of 1000 mGy\nFix: have the medical physicist review the examination and "
        "the patient's follow-up, and the protocol.",
    ),
    Code(
        "AUDIT043",
        "no-dose-reports",
        "A modality whose devices should send Radiation Dose SRs has none in the sources.",
        WARNING,
        what="An acquisition modality with `dose_report: rdsr` (the default for CT, XA, "
        "RF, DX and MG) or `rrdsr` (NM, PET) whose exams left no dose report in the "
        "sources over the window.",
        why="Without dose reports the exams are never compared with their DRL and "
        "single high doses go unseen: the dose monitoring the practice guide asks for is "
        "not operational for that modality.",
        example="Message: devices.yaml:8:39: AUDIT043 no X-Ray Radiation Dose SR of a DX "
        "exam was found in the sources between 2026-11-01 and 2026-11-28, though 'dx-1' "
        "and other DX devices should make one for every exam\nFix: enable the unit's "
        "RDSR export and its route, or set dose_report: none on a device that cannot "
        "make one.",
    ),
    # AUDIT001-019: `imgpolicy audit traffic` (exchanges between AEs against the routes).
    Code(
        "AUDIT001",
        "silent-ae",
        "A declared AE the sources could have seen had no association in the window.",
        WARNING,
        what="An AE with a declared flow (a route, a move destination, a `peers` entry) "
        "into a receiver the sources observed, with no association to or from it in the "
        "window. AEs whose flows reach no observed receiver are not judged (a note lists "
        "them).",
        why="The practice guide's orphaned AE title: configured but no traffic. A retired "
        "modality left in the inventory keeps its routes, firewall openings and peer "
        "entries alive; a device that should send and does not is losing studies. Either "
        "way someone should look, but it is not yet a fault: a warning.",
        example="Message: devices.yaml:21:21: AUDIT001 US_1 ('us-1', site MAIN) is declared "
        "to talk to PACS_MAIN but had no association with it in the window\nFix: remove "
        "a retired device and its routes, or check that the device still sends.",
    ),
    Code(
        "AUDIT002",
        "undeclared-sender",
        "An AE the environment does not declare stored objects in an observed receiver.",
        ERROR,
        what="A calling AE title that no device declares, with accepted associations that "
        "transferred objects.",
        why="The guide's missing entry: studies of a device nobody configured are in the "
        "archive, outside the routing, retention, DR and dose rules and outside the AE "
        "inventory the Quality Audit asks to match production; its studies count as "
        "misrouted. An error, since studies are already affected.",
        example="Message: storescp.log:1402:1: AUDIT002 CT_NEW from 10.1.4.20 stored 1,204 "
        "objects of 3 studies in PACS_MAIN, but the environment declares no AE CT_NEW\n"
        "Fix: declare the device, its AE and its route (or stop it sending).",
    ),
    Code(
        "AUDIT003",
        "undeclared-caller",
        "An AE the environment does not declare opened associations, without storing.",
        WARNING,
        what="A calling AE title that no device declares, whose associations were refused "
        "or carried no objects (queries, verification).",
        why="A device on the network with a title nobody declared: a new modality being "
        "set up, or one misconfigured with a wrong calling AE title. Nothing was stored, "
        "so a warning.",
        example="Message: dcmqrscp.log:45:1: AUDIT003 CT_TEST from 10.1.4.21 opened 12 "
        "associations with PACS_QR (12 refused), but the environment declares no AE "
        "CT_TEST\nFix: declare it if it belongs, or correct the device's calling AE "
        "title.",
    ),
    Code(
        "AUDIT004",
        "undeclared-called-ae",
        "Callers used a called AE title that no device declares.",
        WARNING,
        what="The Called AE Title of observed associations is not the title of any declared AE.",
        why="The caller's destination table names a title that does not exist: a "
        "receiver that checks the called AE refuses it and studies stay on the sender; "
        "one that does not check (Orthanc by default) takes them under a name the "
        "inventory does not know. A warning: the sender's configuration is wrong, the "
        "studies may have arrived.",
        example="Message: dcmqrscp.log:45:1: AUDIT004 CT_1 called AE title PACS_OLD 3 "
        "times (3 refused), but no device declares PACS_OLD\nFix: correct the "
        "destination AE title in CT_1's configuration, or declare PACS_OLD.",
    ),
    Code(
        "AUDIT005",
        "undeclared-flow",
        "Declared AEs exchanged studies over a flow that no route declares.",
        ERROR,
        what="Objects were stored from one declared AE into another with no enabled route "
        "between them (by the route's method: c-store and c-move from `from` to `to`) "
        "and no C-MOVE destination entry.",
        why="The guide's misconfigured routing: studies going to destinations nobody "
        "declared, so the checks of the files (lossless archive hops, retention, "
        "de-identification, AI clearance) never covered that path. These studies make "
        "the routing error rate.",
        example="Message: devices.yaml:14:21: AUDIT005 MR_1 stored 240 objects of 2 "
        "studies in PACS_MAIN, but no route declares MR_1 -> PACS_MAIN\nFix: declare the "
        "route if it is intended, else correct MR_1's destination.",
    ),
    Code(
        "AUDIT006",
        "undeclared-association",
        "Declared AEs associated (queries, verification) where no route or peer entry declares it.",
        INFO,
        what="Accepted associations without objects between two declared AEs, where the "
        "called AE's `peers` does not list the caller and no route joins them.",
        why="A workstation querying a PACS it is not declared to use: the known-peer "
        "table in the files is incomplete. Nothing was stored: information.",
        example="Message: devices.yaml:30:21: AUDIT006 WS_3 opened 14 associations with "
        "PACS_MAIN (queries or verification, no objects), but no route and no `peers` "
        "entry of PACS_MAIN declares it\nFix: add WS_3 to PACS_MAIN's peers.",
    ),
    Code(
        "AUDIT007",
        "route-unused",
        "A declared route into an observed receiver carried nothing while its sender talked.",
        WARNING,
        what="An enabled storage route whose destination the sources observe, with no "
        "stored object over it in the window, while its sender had other associations. "
        "A sender with no traffic at all is reported once, as AUDIT001.",
        why="The sender's studies go somewhere else than the files say, or the route is "
        "stale: the documentation and the rules describe a path that is not used.",
        example="Message: routes.yaml:4:5: AUDIT007 route 'ct-to-pacs' (CT_1 -> PACS_MAIN) "
        "carried no study in the window, though CT_1 did talk\nFix: find where CT_1's "
        "studies go, or remove the stale route.",
    ),
    Code(
        "AUDIT008",
        "routing-error-rate",
        "The routing error rate is above the threshold (--threshold, 0.1 % by default).",
        ERROR,
        what="Studies that arrived over undeclared flows (AUDIT002, AUDIT004, AUDIT005), "
        "divided by the studies observed (by associations that stored objects when the "
        "sources name no study), is above the threshold.",
        why="The practice guide's Quality Audit: \"study routing error rate is measured "
        'and below organizational threshold (< 0.1 %)". Above it, the item is not met.',
        example="Message: AUDIT008 routing error rate 1.20 % (24 of 2,013 studies) is "
        "above 0.10 %\nFix: correct or declare the flows reported with it.",
    ),
    Code(
        "AUDIT009",
        "associations-refused",
        "Associations were refused, or transfers failed (counted by caller, called AE and cause).",
        WARNING,
        what="Refused associations (called AE title not recognized, caller not a peer, no "
        "acceptable presentation context) and failed transfers the sources recorded, one "
        "finding per caller, called AE and cause, with the count.",
        why="A refused association leaves the studies on the sender, whose queue grows "
        "until someone notices. When a route declares the flow the configuration of one "
        "end is wrong; when none does the refusal may be right, so a warning either way "
        "with the route named.",
        example="Message: devices.yaml:9:21: AUDIT009 3 associations from CT_2 to "
        "PACS_MAIN were refused or failed: no acceptable presentation context "
        "(Transfer Syntaxes Not Supported: CTImageStorage); route 'ct2-to-pacs' declares "
        "this flow\nFix: align the receiver's accepted transfer syntaxes with the "
        "sender's (or the sender's with the receiver's).",
    ),
]

CODES = {c.code: c for c in _CODES}
