"""`imgpolicy import dcmtk`: DCMTK's dcmqrscp.cfg and association profiles as devices.

Two kinds of file, told apart by their content (or `--type`):

- `dcmqrscp.cfg` (dcmqrscp, DCMTK's query/retrieve SCP): `NetworkTCPPort`, the `AETable`
  (each line an AE title of dcmqrscp with its storage area, access `R`/`RW`/`W`, quota
  and the peers allowed to use it, or `ANY`), the `HostTable` (symbolic names for
  `(AETitle, host, port)` triples, which are also the C-MOVE destinations, and groups of
  symbolic names) and the `VendorTable` (a vendor name for a group). Parsed as DCMTK's
  dcmqrcnf.cc parses it: `#` in the first column starts a comment, values are separated
  by blanks, `=` or `,`, and `"`, `'`, `(` and `)` all open and close a quoted value.
  A peer triple is `(AETitle, host, port)` in both tables, as the code reads it (the
  comment in Debian's sample file says `(Hostname, AETitle, Portnumber)` for peers; the
  code does not).
- association negotiation profiles (`storescp.cfg`, `storescu.cfg`; DCMTK's asconfig.txt):
  `[[TransferSyntaxes]]`, `[[PresentationContexts]]`, `[[SCPSCURoleSelection]]` and
  `[[Profiles]]`. A profile is one of the ways the tool can be started (`-xf FILE
  PROFILE`), so one profile is imported (`--profile`, default `Default`). The file does
  not say whether the tool is an SCP or an SCU, its AE title or its port (all on the
  command line): `--role`, `--ae-title` and `--port` say so, with defaults taken from the
  file name (storescp: SCP, AE title STORESCP).

DCMTK names UIDs its own way (`LittleEndianExplicit`, `FINDStudyRootQueryRetrieve...`);
`dcmtk_names.NAMES` maps those that differ from pydicom's keywords. A name neither knows
is reported (IMPORT008) and left out rather than guessed.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .. import dicom
from .common import (
    AE,
    EXPLICIT_VR,
    EXPLICIT_VR_BIG,
    IMPLICIT_VR,
    PATIENT_ROOT,
    STUDY_ROOT,
    VERIFICATION,
    Capability,
    Connection,
    Device,
    ImportFailed,
    ImportResult,
    Names,
    Where,
    check_ae_title,
    check_hostname,
    check_port,
    placeholder_hostname,
    read_bounded,
    safe_name,
    storage_sop_classes,
)
from .dcmtk_names import (
    BYTE_ORDER_NAMES,
    CURRENT,
    EARLIER,
    HISTORY,
    NAMES,
    NEWEST_RELEASE,
    releases,
    span,
)

STORAGE_ANCHOR = "storage-sop-classes"
QUERY_RETRIEVE = [
    PATIENT_ROOT["FIND"],
    STUDY_ROOT["FIND"],
    PATIENT_ROOT["MOVE"],
    STUDY_ROOT["MOVE"],
    PATIENT_ROOT["GET"],
    STUDY_ROOT["GET"],
]
"""The query/retrieve SOP classes dcmqrscp answers (dcmqrsrv.cc; also the retired
Patient/Study Only model, which imgpolicy's rules need not see)."""
DCMQRSCP_TRANSFER_SYNTAXES = [EXPLICIT_VR, EXPLICIT_VR_BIG, IMPLICIT_VR]
"""dcmqrscp's default (no `+x` option): explicit VR in local byte order, then the other
byte order, then implicit VR, on a little-endian machine."""
TOOL_ROLES = {
    "storescp": "SCP",
    "dcmrecv": "SCP",
    "dcmqrscp": "SCP",
    "wlmscpfs": "SCP",
    "storescu": "SCU",
    "dcmsend": "SCU",
    "movescu": "SCU",
    "getscu": "SCU",
    "findscu": "SCU",
    "echoscu": "SCU",
}


def read_text(path: str) -> str:
    raw = read_bounded(path)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # DCMTK reads bytes; old files are often Latin-1


def detect(text: str) -> str | None:
    """'dcmqrscp', 'association', or None when the content says neither."""
    if re.search(
        r"^\s*\[\[\s*(TransferSyntaxes|PresentationContexts|Profiles)\s*\]\]",
        text,
        re.IGNORECASE | re.MULTILINE,
    ):
        return "association"
    if re.search(
        r"^\s*((HostTable|AETable|VendorTable)\s+BEGIN|NetworkTCPPort\b)", text, re.MULTILINE
    ):
        return "dcmqrscp"
    return None


# --- UID names -------------------------------------------------------------------------


def _dcmtk_text(name: str) -> str:
    """The name as DCMTK looks it up: blanks around it and one leading `=` do not count
    (dccfuidh.cc skips the `=` that dump2dcm-style files put before a symbolic name)."""
    text = name.strip()
    return text[1:] if text.startswith("=") else text


def resolve(name: str, want_transfer_syntax: bool) -> tuple[str | None, str | None]:
    """(UID, None) or (None, why not): a UID, a DCMTK name of any release, or a pydicom
    keyword (which DCMTK itself does not read: see `remark`)."""
    text = _dcmtk_text(name)
    what = "transfer syntax" if want_transfer_syntax else "SOP class"
    if re.fullmatch(r"[0-9]+(\.[0-9]+)+", text):
        info = dicom.lookup(text)
        if info is None:
            return None, f"UID {text} is not in pydicom's registry, so imgpolicy cannot check it"
    elif text in NAMES:
        info = dicom.lookup(NAMES[text])
        if info is None:
            return None, (
                f"{text!r} is DCMTK's name ({releases(text)}) of UID {NAMES[text]}, which "
                "pydicom's registry does not know, so imgpolicy cannot check it"
            )
    else:
        info = dicom.lookup(text)
        if info is None:
            hint = _suggest(text, want_transfer_syntax)
            return None, (
                f"{text!r} is neither a DCMTK name nor a pydicom keyword of a {what}"
                + (f" (did you mean {' or '.join(hint)}?)" if hint else "")
            )
    if info.is_transfer_syntax != want_transfer_syntax or not (
        want_transfer_syntax or info.is_sop_class
    ):
        return None, f"{text!r} is a {info.kind} ({info.name}), not a {what}"
    return info.uid, None


def remark(name: str, uid: str, want_transfer_syntax: bool) -> tuple[str, str] | None:
    """(code, message) when a name `resolve` translated to `uid` is not what today's
    DCMTK reads the same way: a name of an older release (IMPORT024) or a keyword no release reads
    (IMPORT025). DCMTK stops on such a name ("not a valid ... UID"), so it matters the
    day the tool is upgraded, or now if the file was never used."""
    text = _dcmtk_text(name)
    if re.fullmatch(r"[0-9.]+", text) or text in BYTE_ORDER_NAMES:
        return None
    what = "transfer syntax" if want_transfer_syntax else "abstract syntax"
    today = _current_name(uid)
    rename = f"write {today}" if today else f"write the UID {uid}"
    if text in EARLIER:
        old_uid, first, last = EARLIER[text]
        old = dicom.lookup(old_uid)
        return "IMPORT024", (
            f"{text!r} meant {old_uid} ({old.name if old else 'not in pydicom'}) in "
            f"{span(first, last)} and means {uid} since; imported as {uid}: if that "
            "DCMTK reads this file, correct the capability"
        )
    if text in CURRENT:
        return None
    if text in HISTORY:
        return "IMPORT024", (
            f"{text!r} is the name {releases(text)} gave to {uid}; imported as such, but "
            f"today's DCMTK ({NEWEST_RELEASE}) stops on it (not a valid {what} UID): {rename}"
        )
    return "IMPORT025", (
        f"{text!r} is pydicom's keyword of {uid}, not a DCMTK name: every DCMTK release "
        f"stops on it (not a valid {what} UID); imported as {uid}: {rename}"
    )


def _current_name(uid: str) -> str | None:
    """Today's DCMTK name of a UID, if it has one."""
    return next((n for n, u in CURRENT.items() if u == uid and n not in BYTE_ORDER_NAMES), None)


def _suggest(text: str, want_transfer_syntax: bool) -> list[str]:
    names = [
        n
        for n, uid in CURRENT.items()
        if (info := dicom.lookup(uid)) and info.is_transfer_syntax == want_transfer_syntax
    ]
    hits = difflib.get_close_matches(text, names, n=2, cutoff=0.8)
    return hits + [h for h in dicom.suggest(text, want_transfer_syntax) if h not in hits][:2]


def _note(name: str, where: Where) -> str:
    """A trailing comment: where, and DCMTK's spelling when it is not pydicom's keyword."""
    text = name.strip()
    info = dicom.lookup(text)
    spelled = (
        "" if (info and info.keyword == text) or re.fullmatch(r"[0-9.]+", text) else f" ({text})"
    )
    return f"line {where.line}{spelled}"


# --- association negotiation profiles --------------------------------------------------


@dataclass
class _Entry:
    key: str
    value: str
    where: Where


@dataclass
class _Section:
    name: str
    where: Where
    entries: list[_Entry] = field(default_factory=list)

    def numbered(self, prefix: str) -> list[_Entry]:
        """`Prefix1`, `Prefix2`, ... in order, as DCMTK reads them (it stops at a gap)."""
        by_key = {e.key: e for e in self.entries}
        found = []
        n = 1
        while f"{prefix}{n}" in by_key:
            found.append(by_key[f"{prefix}{n}"])
            n += 1
        return found

    def get(self, key: str) -> _Entry | None:
        return next((e for e in self.entries if e.key == key), None)


def _norm(text: str) -> str:
    """Section names and keys: case and whitespace do not count (asconfig.txt)."""
    return re.sub(r"\s+", "", text).upper()


def parse_ini(path: str, text: str, result: ImportResult) -> dict[str, dict[str, _Section]]:
    supers: dict[str, dict[str, _Section]] = {}
    current_super: dict[str, _Section] | None = None
    section: _Section | None = None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("[["):
            if not stripped.endswith("]]"):
                raise ImportFailed(f"{path}:{number}:1: '[[' without ']]'")
            current_super = supers.setdefault(_norm(stripped[2:-2]), {})
            section = None
            continue
        if stripped.startswith("["):
            if not stripped.endswith("]"):
                raise ImportFailed(f"{path}:{number}:1: '[' without ']'")
            if current_super is None:
                raise ImportFailed(
                    f"{path}:{number}:1: section {stripped} before any [[supersection]]"
                )
            name = stripped[1:-1].strip()
            where = Where(path, number, line.index("[") + 1, f"[{name}]")
            section = current_super.setdefault(_norm(name), _Section(name, where))
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ImportFailed(
                f"{path}:{number}:1: expected 'Key = Value', a [section] or a [[supersection]]"
            )
        if section is None:
            raise ImportFailed(f"{path}:{number}:1: {key.strip()} is outside any [section]")
        column = len(key) + 2 + (len(value) - len(value.lstrip()))
        section.entries.append(
            _Entry(_norm(key), value.strip(), Where(path, number, column, key.strip()))
        )
    return supers


def import_association(
    path: str,
    text: str,
    *,
    profile: str | None,
    role: str | None,
    ae_title: str | None,
    port: int | None,
    device_name: str | None,
    site: str,
    kind: str,
    hostname: str | None,
    result: ImportResult,
) -> None:
    supers = parse_ini(path, text, result)
    stem = os.path.splitext(os.path.basename(path))[0]
    for required in ("TRANSFERSYNTAXES", "PRESENTATIONCONTEXTS", "PROFILES"):
        if required not in supers:
            raise ImportFailed(
                f"{path}:1:1: no [[{required.title()}]] section: DCMTK needs "
                "[[TransferSyntaxes]], [[PresentationContexts]] and [[Profiles]]"
            )
    profiles = supers["PROFILES"]
    if not profiles:
        raise ImportFailed(f"{path}:1:1: [[Profiles]] defines no profile")
    if profile is not None:
        chosen = profiles.get(_norm(profile))
        if chosen is None:
            raise ImportFailed(
                f"{path}: no profile [{profile}] (the file has "
                + ", ".join(s.name for s in profiles.values())
                + ")"
            )
    else:
        chosen = profiles.get("DEFAULT") or next(iter(profiles.values()))
    app_role = role or _role_from_name(stem)
    if app_role is None:
        raise ImportFailed(
            f"{path}: cannot tell from the file name whether the tool using "
            "this profile is an SCP (storescp) or an SCU (storescu): give --role"
        )

    pc_ref = chosen.get("PRESENTATIONCONTEXTS")
    if pc_ref is None:
        raise ImportFailed(
            f"{chosen.where.at}: profile [{chosen.name}] names no PresentationContexts"
        )
    contexts = supers["PRESENTATIONCONTEXTS"].get(_norm(pc_ref.value))
    if contexts is None:
        raise ImportFailed(f"{pc_ref.where.at}: no [{pc_ref.value}] in [[PresentationContexts]]")

    def translate(name: str, want_transfer_syntax: bool, where: Where) -> str | None:
        """The UID of a name, reported where DCMTK would read it otherwise or not at all."""
        uid, problem = resolve(name, want_transfer_syntax)
        if uid is None:
            result.add("IMPORT008", f"{problem}; left out", where)
            return None
        said = remark(name, uid, want_transfer_syntax)
        if said is not None:
            result.add(*said, where)
        return uid

    roles: dict[str, set[str]] = {}
    role_ref = chosen.get("SCPSCUROLESELECTION")
    if role_ref is not None:
        selection = supers.get("SCPSCUROLESELECTION", {}).get(_norm(role_ref.value))
        if selection is None:
            result.add(
                "IMPORT009",
                f"no [{role_ref.value}] in [[SCPSCURoleSelection]]; default roles are used",
                role_ref.where,
            )
        else:
            for entry in selection.numbered("ROLE"):
                sop, _, which = entry.value.partition("\\")
                which = which.strip().upper()
                if which not in ("SCU", "SCP", "BOTH"):
                    result.add(
                        "IMPORT008",
                        f"role {which!r} is not SCU, SCP or BOTH; left out",
                        entry.where,
                    )
                    continue
                uid = translate(sop, False, entry.where)
                if uid is not None:
                    roles[uid] = {"SCU", "SCP"} if which == "BOTH" else {which}

    syntaxes = supers["TRANSFERSYNTAXES"]
    ts_cache: dict[str, list[str] | None] = {}

    def ts_list(label: str, where: Where) -> list[str] | None:
        key = _norm(label)
        if key in ts_cache:
            return ts_cache[key]
        section = syntaxes.get(key)
        if section is None:
            result.add(
                "IMPORT009",
                f"no transfer syntax list [{label}] in [[TransferSyntaxes]]; the "
                "presentation contexts using it are left out",
                where,
            )
            ts_cache[key] = None
            return None
        uids: list[str] = []
        for entry in section.numbered("TRANSFERSYNTAX"):
            uid = translate(entry.value, True, entry.where)
            if uid is not None and uid not in uids:
                uids.append(uid)
        ts_cache[key] = uids or None
        return ts_cache[key]

    # (SOP class, role) -> transfer syntaxes, merged over the contexts that name it
    merged: dict[tuple[str, str], list[str]] = {}
    notes: dict[str, str] = {}
    for entry in contexts.numbered("PRESENTATIONCONTEXT"):
        sop, sep, label = entry.value.partition("\\")
        if not sep:
            result.add(
                "IMPORT009",
                f"{entry.key.title()} = {entry.value!r} is not 'SOPClass\\"
                "TransferSyntaxList'; left out",
                entry.where,
            )
            continue
        uid = translate(sop, False, entry.where)
        if uid is None:
            continue
        tss = ts_list(label.strip(), entry.where)
        if not tss:
            continue
        for which in sorted(roles.get(uid, {app_role})):
            bucket = merged.setdefault((uid, which), [])
            bucket.extend(t for t in tss if t not in bucket)
        notes.setdefault(uid, _note(sop, entry.where))

    groups: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for (uid, which), tss in merged.items():
        groups.setdefault((which, tuple(tss)), []).append(uid)

    names = Names()
    name = names.device(safe_name(device_name or stem, "dcmtk"))
    conn = Connection("dicom", hostname or placeholder_hostname(name))
    conn.notes["hostname"] = (
        "--hostname"
        if hostname
        else "edit: the profile does not say on which host the tool runs; pass --hostname"
    )
    if port is not None:
        conn.port = port
        conn.notes["port"] = "--port"
    elif app_role == "SCP":
        conn.above.append(
            "edit: the SCP's port is on its command line: add `port:` (or pass --port)"
        )
    title_text = ae_title or stem.upper()
    title, problem = check_ae_title(title_text)
    if title is None:
        raise ImportFailed(f"{path}: AE title {title_text!r}: {problem}; give --ae-title")
    ae = AE(title, connections=["dicom"], initiator=app_role == "SCU", acceptor=app_role == "SCP")
    ae.notes["ae_title"] = (
        "--ae-title"
        if ae_title
        else "edit: the AE title is on the tool's command line (-aet); this is its default"
    )
    for (which, offered), uids in groups.items():
        ae.capabilities.append(
            Capability(which, uids, list(offered), sop_notes={u: notes[u] for u in uids})
        )
    if not ae.capabilities:
        ae.capabilities_above.append("no presentation context of the profile could be imported")
    others = [s.name for s in profiles.values() if s is not chosen]
    device = Device(name, site, kind, connections=[conn], application_entities=[ae])
    device.above = [
        f"DCMTK association profile [{chosen.name}] ({chosen.where.at}), "
        f"presentation contexts [{contexts.name}], as {app_role}"
    ]
    if others:
        device.above.append(
            "other profiles in the file, not imported: " + ", ".join(others) + " (--profile)"
        )
    device.notes["kind"] = "--kind" if kind != "other" else "edit: what this device is"
    result.devices.append(device)
    result.header.extend(
        [
            f"Imported by `imgpolicy import dcmtk` from {path}",
            f"(DCMTK association negotiation profile [{chosen.name}], role {app_role}).",
            'Review before committing: lines marked "edit:" are what the source does not say.',
            "Transfer syntaxes of a SOP class offered in several presentation contexts are "
            "merged, in the order of the file.",
        ]
    )


def _role_from_name(stem: str) -> str | None:
    lowered = stem.lower()
    for tool, role in TOOL_ROLES.items():
        if tool in lowered:
            return role
    if lowered.endswith("scp"):
        return "SCP"
    if lowered.endswith("scu"):
        return "SCU"
    return None


# --- dcmqrscp.cfg ----------------------------------------------------------------------

_GAPS = " \t\r\n=,"
_QUOTES = "\"'()"


@dataclass
class _Token:
    text: str
    column: int
    quoted: bool


def tokens(line: str, start: int = 0) -> list[_Token]:
    """dcmqrcnf.cc's parsevalues, applied until the end of the line."""
    found = []
    i = start
    while i < len(line):
        if line[i] in _GAPS:
            i += 1
            continue
        if line[i] in _QUOTES:
            end = i + 1
            while end < len(line) and line[end] not in _QUOTES:
                end += 1
            found.append(_Token(line[i + 1 : end], i + 1, True))
            i = end + 1
            continue
        end = i
        while end < len(line) and line[end] not in _GAPS:
            end += 1
        found.append(_Token(line[i:end], i + 1, False))
        i = end
    return found


@dataclass
class _Peer:
    aet: str
    host: str
    port: str
    where: Where
    symbolic: str | None = None
    device: Device | None = None
    groups: list[str] = field(default_factory=list)


@dataclass
class _Table:
    """One HostTable or VendorTable entry: a symbolic name and what it stands for."""

    name: str
    where: Where
    triples: list[_Peer] = field(default_factory=list)
    names: list[tuple[str, Where]] = field(default_factory=list)


@dataclass
class _AEEntry:
    title: str
    area: str
    access: str
    quota: str
    peers: list[_Token]
    where: Where
    access_where: Where | None = None
    any_where: Where | None = None


_OBSOLETE = {
    "APPLICATIONTITLE",
    "APPLICATIONCONTEXT",
    "IMPLEMENTATIONCLASS",
    "IMPLEMENTATIONVERSION",
    "NETWORKTYPE",
    "DISPLAY",
    "DISPLAYPORT",
}
_KNOWN = {
    "NetworkTCPPort",
    "MaxPDUSize",
    "MaxAssociations",
    "UserName",
    "GroupName",
    "SpecificCharacterSet",
}


def _triple(token: _Token, where: Where) -> _Peer | None:
    parts = [t.text for t in tokens(token.text)]
    if len(parts) != 3:
        return None
    return _Peer(parts[0], parts[1], parts[2], where)


def parse_dcmqrscp(path: str, text: str, result: ImportResult):
    options: dict[str, tuple[str, Where]] = {}
    hosts: dict[str, _Table] = {}
    vendors: dict[str, _Table] = {}
    aes: list[_AEEntry] = []
    lines = text.splitlines()
    number = 0

    def table(kind: str, begin: int) -> list[tuple[int, str]]:
        nonlocal number
        rows: list[tuple[int, str]] = []
        while number < len(lines):
            line = lines[number]
            number += 1
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            words = stripped.split()
            if words[0] == kind:
                if words[1:2] == ["END"]:
                    return rows
                raise ImportFailed(f"{path}:{number}:1: expected '{kind} END'")
            rows.append((number, line))
        raise ImportFailed(f"{path}:{begin}:1: '{kind} BEGIN' without '{kind} END'")

    while number < len(lines):
        line = lines[number]
        number += 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        mnemonic = stripped.split()[0]
        if mnemonic in ("HostTable", "VendorTable", "AETable"):
            state = stripped.split()[1:2]
            if state != ["BEGIN"]:
                raise ImportFailed(f"{path}:{number}:1: expected '{mnemonic} BEGIN'")
            begin = number
            for row_number, row in table(mnemonic, begin):
                toks = tokens(row)
                where = Where(path, row_number, toks[0].column if toks else 1)
                if mnemonic == "AETable":
                    if len(toks) < 5:
                        result.add(
                            "IMPORT009",
                            "AETable entry needs 'AETitle StorageArea Access (Quota) "
                            "Peers'; it is not imported",
                            where,
                        )
                        continue
                    aes.append(
                        _AEEntry(
                            toks[0].text,
                            toks[1].text,
                            toks[2].text,
                            toks[3].text,
                            toks[4:],
                            Where(
                                path, row_number, toks[0].column, f"AETable entry {toks[0].text}"
                            ),
                            Where(path, row_number, toks[2].column, f"access of {toks[0].text}"),
                        )
                    )
                    continue
                target = hosts if mnemonic == "HostTable" else vendors
                if len(toks) < 2:
                    result.add(
                        "IMPORT009",
                        f"{mnemonic} entry needs 'SymbolicName = ...'; it is not imported",
                        where,
                    )
                    continue
                symbolic = toks[0].text
                entry = _Table(
                    symbolic,
                    Where(path, row_number, toks[0].column, f"{mnemonic} entry {symbolic}"),
                )
                for tok in toks[1:]:
                    tok_where = Where(path, row_number, tok.column, f"{mnemonic} {symbolic}")
                    if tok.quoted and "," in tok.text:
                        peer = _triple(tok, tok_where)
                        if peer is None:
                            result.add(
                                "IMPORT009",
                                f"({tok.text}) is not (AETitle, host, port); not imported",
                                tok_where,
                            )
                        else:
                            peer.symbolic = symbolic
                            entry.triples.append(peer)
                    else:
                        entry.names.append((tok.text, tok_where))
                target[symbolic] = entry
            continue
        toks = tokens(line, len(line) - len(line.lstrip()) + len(mnemonic))
        where = Where(path, number, len(line) - len(line.lstrip()) + 1, mnemonic)
        if mnemonic in _KNOWN:
            options[mnemonic] = (" ".join(t.text for t in toks), where)
        elif mnemonic.upper() not in _OBSOLETE:
            result.add(
                "IMPORT009",
                f"unknown option {mnemonic!r} (dcmqrscp refuses to start with it); ignored",
                where,
            )
    return options, hosts, vendors, aes


def import_dcmqrscp(
    path: str,
    text: str,
    *,
    device_name: str | None,
    site: str,
    kind: str,
    hostname: str | None,
    result: ImportResult,
) -> None:
    options, hosts, vendors, entries = parse_dcmqrscp(path, text, result)
    names = Names()
    stem = os.path.splitext(os.path.basename(path))[0]
    name = names.device(safe_name(device_name or stem, "dcmqrscp"))
    conn = Connection("dicom", hostname or placeholder_hostname(name))
    conn.notes["hostname"] = (
        "--hostname" if hostname else "edit: dcmqrscp.cfg does not name its host; pass --hostname"
    )
    port_text, port_where = options.get("NetworkTCPPort", ("104", None))
    port, problem = check_port(port_text.split()[0] if port_text.split() else "")
    if port is None:
        raise ImportFailed(f"{port_where.at if port_where else path}: NetworkTCPPort: {problem}")
    conn.port = port
    conn.notes["port"] = (
        f"NetworkTCPPort, {port_where.at}"
        if port_where
        else "NetworkTCPPort is not set: dcmqrscp's default"
    )
    server = Device(name, site, kind, connections=[conn])
    server.above = [f"dcmqrscp, from {path}"]
    server.notes["kind"] = "--kind"
    result.devices.append(server)

    # The peers: every HostTable triple, then the triples written into AETable lines.
    peers: dict[tuple[str, str, str], _Peer] = {}

    def known(peer: _Peer) -> _Peer:
        return peers.setdefault((peer.aet, peer.host.lower(), peer.port), peer)

    def expand(symbol: str, where: Where, seen: tuple[str, ...] = ()) -> list[_Peer] | None:
        entry = hosts.get(symbol)
        if entry is None or symbol in seen:
            result.add(
                "IMPORT009",
                f"symbolic name {symbol!r} is not defined in the HostTable (dcmqrscp "
                "refuses to start); left out"
                if entry is None
                else f"HostTable group {symbol!r} contains itself; left out",
                where,
            )
            return None
        found = [known(p) for p in entry.triples]
        for sub, sub_where in entry.names:
            found += expand(sub, sub_where, (*seen, symbol)) or []
        return found

    for entry in hosts.values():
        for peer in entry.triples:
            known(peer)
    for symbol, entry in hosts.items():
        if entry.names:
            for peer in expand(symbol, entry.where) or []:
                peer.groups.append(symbol)
    manufacturers: dict[int, tuple[str, Where]] = {}
    for vendor, entry in vendors.items():
        for sub, sub_where in entry.names:
            for peer in expand(sub, sub_where) or []:
                manufacturers.setdefault(id(peer), (vendor, entry.where))

    permissions: dict[int, dict[str, list[str]]] = {}  # peer -> "R"/"W" -> AE titles
    for entry in entries:
        title, problem = check_ae_title(entry.title)
        if title is None:
            result.add("IMPORT009", f"{problem}; not imported", entry.where)
            continue
        first = names.claim_ae(title, entry.where)
        if first is not None:
            result.add(
                "IMPORT009",
                f"AE title {title} is defined twice (first at {first.at}); the second "
                "is not imported",
                entry.where,
            )
            continue
        writable = _writable(entry, title, result)
        server.application_entities.append(_dcmqrscp_ae(entry, title, writable))
        allowed = _allowed_peers(entry, title, writable, expand, known, result)
        for peer in allowed:
            for letter in ("R", "W") if writable else ("R",):
                bucket = permissions.setdefault(id(peer), {}).setdefault(letter, [])
                if title not in bucket:
                    bucket.append(title)

    for peer in peers.values():
        device = _peer_device(
            peer, names, site, permissions.get(id(peer), {}), manufacturers.get(id(peer)), result
        )
        if device:
            result.devices.append(device)
    if not entries:
        server.above.append(
            "the AETable is empty: dcmqrscp accepts no association until an AE title is configured"
        )
    result.header.extend(
        [
            f"Imported by `imgpolicy import dcmtk` from {path} (dcmqrscp configuration).",
            'Review before committing: lines marked "edit:" are what the source does not say.',
        ]
    )
    if entries:
        result.header.extend(
            [
                f"&{STORAGE_ANCHOR}: every non-retired storage SOP class in pydicom's registry "
                f"({len(storage_sop_classes())}); dcmqrscp accepts every storage SOP class of its "
                "DCMTK.",
                "Transfer syntaxes are dcmqrscp's defaults; its +x... command-line options change "
                "them.",
            ]
        )


WRITABLE_ACCESS = ("RW", "WR", "W")
"""dcmqrcnf.cc's writableStorageArea (3.5.4 to 3.7.0): these exact strings, nothing else."""


def _writable(entry: _AEEntry, title: str, result: ImportResult) -> bool:
    """Whether dcmqrscp stores into the AE's area: the access column compared exactly.

    The access gates storage only: dcmqrscp answers C-FIND, C-MOVE and C-GET on every
    AE of its AETable whatever the access says (dcmqrsrv.cc refuses only the storage
    presentation contexts of a non-writable area)."""
    if entry.access in WRITABLE_ACCESS:
        return True
    if entry.access != "R":
        result.add(
            "IMPORT023",
            f"access {entry.access!r} of {title} is not RW, WR or W: dcmqrscp refuses every "
            f"C-STORE to {title} (imported read-only)"
            if "W" in entry.access.upper()
            else f"access {entry.access!r} of {title} is not R, RW, WR or W: dcmqrscp reads it "
            "as read-only (C-FIND, C-MOVE and C-GET only)",
            entry.access_where or entry.where,
        )
    return False


def _dcmqrscp_ae(entry: _AEEntry, title: str, writable: bool) -> AE:
    """An AETable AE as dcmqrscp runs it: C-ECHO, C-FIND, C-MOVE and C-GET SCP always,
    C-STORE SCP when its area is writable, C-STORE SCU for the C-MOVE sub-operations."""
    ae = AE(
        title,
        connections=["dicom"],
        initiator=True,
        acceptor=True,
        description=f"storage area {entry.area}, access {entry.access}, quota ({entry.quota})",
    )
    ae.above = [f"AETable, {entry.where.at}"]
    if writable:
        ae.capabilities.append(
            Capability(
                "SCP",
                list(storage_sop_classes()),
                list(DCMQRSCP_TRANSFER_SYNTAXES),
                above=[
                    f"C-STORE SCP (access {entry.access}): every non-retired storage SOP class "
                    "in pydicom's registry, dcmqrscp's default transfer syntaxes"
                ],
                sop_anchor=STORAGE_ANCHOR,
            )
        )
    ae.capabilities.append(
        Capability(
            "SCP",
            [VERIFICATION, *QUERY_RETRIEVE],
            list(DCMQRSCP_TRANSFER_SYNTAXES),
            above=[
                "C-ECHO, C-FIND/C-MOVE/C-GET SCP: dcmqrscp answers them on every AE, "
                "whatever the access"
            ],
        )
    )
    ae.capabilities.append(
        Capability(
            "SCU",
            list(storage_sop_classes()),
            list(DCMQRSCP_TRANSFER_SYNTAXES),
            above=[
                "C-STORE SCU: the sub-operations of C-MOVE send to the HostTable's "
                "move destinations"
            ],
            sop_anchor=STORAGE_ANCHOR,
        )
    )
    return ae


def _allowed_peers(
    entry: _AEEntry,
    title: str,
    writable: bool,
    expand: Callable[[str, Where], list[_Peer] | None],
    known: Callable[[_Peer], _Peer],
    result: ImportResult,
) -> list[_Peer]:
    """The peers an AETable line lets in, as dcmqrcnf.cc's parsePeers reads them.

    `ANY` as the first value, quoted or not (`"ANY"`, `(ANY)`: the quotes are taken
    off before the comparison), opens the AE to every peer and ends the list; `ANY`
    later in the list is a symbolic name like any other."""
    allowed: list[_Peer] = []
    for index, tok in enumerate(entry.peers):
        tok_where = Where(entry.where.path, entry.where.line, tok.column, entry.where.what)
        if index == 0 and tok.text == "ANY":
            entry.any_where = tok_where
            break
        if tok.quoted and "," in tok.text:
            peer = _triple(tok, tok_where)
            if peer is None:
                result.add(
                    "IMPORT009",
                    f"({tok.text}) is not (AETitle, host, port); not imported",
                    tok_where,
                )
            else:
                allowed.append(known(peer))
        else:
            allowed += expand(tok.text, tok_where) or []
    if entry.any_where is not None:
        if writable:
            result.add(
                "IMPORT001",
                f"{title} accepts C-STORE from ANY peer: any AE on any host can "
                "store into its storage area; list the peers instead",
                entry.any_where,
            )
        result.add(
            "IMPORT002",
            f"{title} answers C-FIND/C-MOVE/C-GET from ANY peer: any AE on any "
            "host can query and retrieve its studies; list the peers instead",
            entry.any_where,
        )
    return allowed


def _peer_device(
    peer: _Peer,
    names: Names,
    site: str,
    access: dict[str, list[str]],
    vendor: tuple[str, Where] | None,
    result: ImportResult,
) -> Device | None:
    where = peer.where

    def skip(why: str) -> None:
        result.add(
            "IMPORT009", f"peer ({peer.aet}, {peer.host}, {peer.port}): {why}; not imported", where
        )

    title, problem = check_ae_title(peer.aet)
    if title is None:
        skip(problem or "not an AE title")
        return None
    host, problem = check_hostname(peer.host)
    if host is None:
        skip(f"host {problem}")
        return None
    port, problem = check_port(peer.port)
    if port is None:
        skip(problem or "not a port")
        return None
    first = names.claim_ae(title, where)
    if first is not None:
        skip(
            f"AE title {title} is already defined at {first.at} (imgpolicy needs unique AE titles)"
        )
        return None
    device = Device(names.device(safe_name(peer.symbolic or peer.aet, "peer")), site, "other")
    device.above = [f"from {where.what or 'a peer'} at {where.at}"]
    if peer.groups:
        device.above.append("in HostTable group " + ", ".join(sorted(set(peer.groups))))
    device.notes["kind"] = "edit: modality, workstation, pacs, ..."
    if vendor:
        device.manufacturer = vendor[0]
        device.notes["manufacturer"] = f"VendorTable, {vendor[1].at}"
    device.connections.append(Connection("dicom", host, port))
    ae = AE(title, connections=["dicom"], initiator=True, acceptor=True)
    if peer.symbolic:
        ae.capabilities_above.append(
            "edit: a C-MOVE destination of dcmqrscp: add the storage SOP classes it accepts "
            "as SCP (see its conformance statement)"
        )
    if access.get("W"):
        ae.capabilities.append(
            Capability(
                "SCU",
                list(storage_sop_classes()),
                [IMPLICIT_VR],
                above=["may store into " + ", ".join(access["W"]) + "; narrow to what it sends"],
                sop_anchor=STORAGE_ANCHOR,
            )
        )
    if access.get("R"):
        ae.capabilities.append(
            Capability(
                "SCU",
                [VERIFICATION, *QUERY_RETRIEVE],
                [IMPLICIT_VR],
                above=["may query and retrieve from " + ", ".join(access["R"])],
            )
        )
    device.application_entities.append(ae)
    return device
