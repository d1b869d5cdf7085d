"""`imgpolicy import dcmtk`: DCMTK's names across releases, dcmqrscp.cfg as dcmqrscp reads it.

The claims the importer makes about DCMTK are checked against the real DCMTK installed
here (Debian's 3.6.7: libdcmdata, storescp, dcmqrscp) and against DCMTK's own sample
files of 3.5.4, 3.6.0 and 3.7.0 (tests/data/dcmtk, OFFIS copyright: see its README).
Without Debian's dcmtk the tests that need it skip, except under CI=true.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from imgpolicy.importers import import_dcmtk, render
from imgpolicy.importers.dcmtk import resolve
from imgpolicy.importers.dcmtk_names import (
    CURRENT,
    EARLIER,
    HISTORY,
    NAMES,
    NEWEST_RELEASE,
    read_by,
    release_key,
)

from .conftest import run
from .test_import import (
    CT,
    DCMQRSCP_CFG,
    EXPLICIT,
    IMPLICIT,
    STORESCP_CFG,
    STORESCU_CFG,
    VERIFICATION,
    capabilities,
    line_of,
    need,
    roundtrip,
    write,
)

DATA = Path(__file__).parent / "data" / "dcmtk"
ROOT = Path(__file__).parent.parent
STORESCP_BIN = shutil.which("storescp", path="/usr/bin")  # DCMTK's, not pynetdicom's
DCMQRSCP_BIN = shutil.which("dcmqrscp", path="/usr/bin")
PET = "1.2.840.10008.5.1.4.1.1.128"
BASIC_TEXT_SR = "1.2.840.10008.5.1.4.1.1.88.11"
ENHANCED_SR = "1.2.840.10008.5.1.4.1.1.88.22"
COMPREHENSIVE_SR = "1.2.840.10008.5.1.4.1.1.88.33"
KEY_OBJECTS = "1.2.840.10008.5.1.4.1.1.88.59"
DOSE_SR = "1.2.840.10008.5.1.4.1.1.88.67"
STUDY_FIND = "1.2.840.10008.5.1.4.1.2.2.1"


def codes(result) -> list[str]:
    return [f.code for f in result.sorted_findings()]


def found(result, code: str) -> dict[int, str]:
    """line -> message, for one code."""
    return {f.location.line: f.message for f in result.findings if f.code == code}


def contexts(path: Path, section: str) -> dict[int, str]:
    """line -> SOP class name, of one [[PresentationContexts]] section, read naively."""
    lines = path.read_text(encoding="latin-1").splitlines()
    start = lines.index(f"[{section}]")
    names = {}
    for number, line in enumerate(lines[start + 1 :], start + 2):
        if line.startswith("["):
            break
        if m := re.match(r"PresentationContext\d+\s*=\s*([^\\]+)\\", line):
            names[number] = m.group(1).strip()
    return names


# --- the table of names -------------------------------------------------------------


def installed_libdcmdata():
    library = ctypes.util.find_library("dcmdata")  # Debian's libdcmtk
    if not library:
        need(None, "dcmtk")
    lib = ctypes.CDLL(library)
    uid_of = lib._Z18dcmFindUIDFromNamePKc  # dcmFindUIDFromName(const char*)
    uid_of.restype, uid_of.argtypes = ctypes.c_char_p, [ctypes.c_char_p]
    name_of = lib._Z16dcmFindNameOfUIDPKcS0_  # dcmFindNameOfUID(const char*, const char*)
    name_of.restype, name_of.argtypes = ctypes.c_char_p, [ctypes.c_char_p, ctypes.c_char_p]
    return uid_of, name_of


def installed_release() -> str:
    need(STORESCP_BIN, "dcmtk")
    done = subprocess.run([STORESCP_BIN, "--version"], capture_output=True, text=True, timeout=60)
    return re.search(r"storescp v(\d+\.\d+\.\d+)", done.stdout + done.stderr).group(1)


def test_the_table_reads_names_as_the_installed_dcmtk_does():
    """Both directions: every name the table gives this release resolves in libdcmdata
    to the same UID, and every name libdcmdata has for a known UID is in the table."""
    uid_of, name_of = installed_libdcmdata()
    release = installed_release()
    expected = read_by(release)
    for name in NAMES:
        if name in ("LocalEndianExplicit", "OppositeEndianExplicit"):
            continue  # dcmnet resolves these, not dcmdata's table
        got = (uid_of(name.encode()) or b"").decode()
        assert got == expected.get(name, ""), f"{name} in DCMTK {release}"
    from pydicom._uid_dict import UID_dictionary

    for uid in {*UID_dictionary, *NAMES.values()}:
        name = (name_of(uid.encode(), None) or b"").decode()
        if name:
            assert expected.get(name) == uid, f"DCMTK {release} names {uid} {name}"


def test_names_of_each_release_as_dcmtks_sources_say():
    # dcuid.cc at DCMTK-3.5.4: { UID_PETImageStorage, "PETImageStorage" }, ...
    old = read_by("3.5.4")
    assert old["PETImageStorage"] == PET
    assert old["BasicTextSR"] == BASIC_TEXT_SR
    assert old["KeyObjectSelectionDocument"] == KEY_OBJECTS
    assert old["XRayRadiationDoseSR"] == DOSE_SR
    assert "PositronEmissionTomographyImageStorage" not in old
    assert "PETImageStorage" not in read_by(NEWEST_RELEASE)
    # 3.6.0 named the draft UPS SOP classes; the 2011-05-19 snapshot the final ones
    assert read_by("3.6.0")["UnifiedProcedureStepPushSOPClass"] == "1.2.840.10008.5.1.4.34.4.1"
    assert read_by("3.6.2")["UnifiedProcedureStepPushSOPClass"] == "1.2.840.10008.5.1.4.34.6.1"
    assert "UnifiedProcedureStepPushSOPClass" in EARLIER
    # renamed in 3.6.8 (ImplantationPlanSRStorage), present in Debian 12's 3.6.7
    assert "ImplantationPlanSRDocumentStorage" in read_by("3.6.7")
    assert "ImplantationPlanSRDocumentStorage" not in CURRENT
    assert release_key("3.6.1_20110225") < release_key("3.6.2") < release_key("3.6.10")
    # every name of every release: today's, or an older one with its last release
    assert all(
        last is None or release_key(last) < release_key(NEWEST_RELEASE)
        for _, _, last in HISTORY.values()
    )


def dcmtk_source() -> Path | None:
    """A clone of github.com/DCMTK/dcmtk with its tags: $IMGPOLICY_DCMTK_SOURCE."""
    path = os.environ.get("IMGPOLICY_DCMTK_SOURCE") or "/work/.mirror/DCMTK+dcmtk/repo"
    return Path(path) if Path(path).is_dir() else None


def test_the_committed_table_is_what_the_generator_makes_from_dcmtks_tags():
    source = dcmtk_source()
    if source is None:
        pytest.skip("no DCMTK clone (set IMGPOLICY_DCMTK_SOURCE to one with its tags)")
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "dcmtk_uid_names.py"), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    committed = (ROOT / "imgpolicy" / "importers" / "dcmtk_names.py").read_text()
    assert done.stdout in committed


def test_resolve_reads_what_dcmtk_reads():
    assert resolve("LittleEndianExplicit", True) == (EXPLICIT, None)
    assert resolve("=LittleEndianExplicit", True) == (EXPLICIT, None)  # dccfuidh.cc skips '='
    assert resolve("PETImageStorage", False) == (PET, None)
    assert resolve(" 1.2.840.10008.1.2 ", True) == (IMPLICIT, None)
    uid, why = resolve("JPEGXL", True)  # DCMTK 3.6.9's name of a UID pydicom 3.0 lacks
    assert uid is None and "DCMTK's name (DCMTK 3.6.9 and later)" in why
    uid, why = resolve("CTImageStorag", False)
    assert uid is None and "CTImageStorage" in why
    uid, why = resolve("CTImageStorage", True)
    assert uid is None and "not a transfer syntax" in why


# --- old and current profiles ---------------------------------------------------------


@pytest.mark.parametrize("release", ["3.5.4", "3.6.0", "3.7.0"])
def test_dcmtks_own_storescp_profile_of_each_release_loses_no_context(release, tmp_path):
    path = DATA / release / "storescp.cfg"
    result = import_dcmtk(str(path))
    env = roundtrip(render(result), tmp_path)
    [ae] = env.devices[0].application_entities
    accepted = capabilities(ae, "SCP")
    names = contexts(path, "GenericStorageSCP")
    left_out = found(result, "IMPORT008")
    # only names of UIDs pydicom does not know (JPEG XL in 3.7.0) may be left out
    assert all("pydicom's registry does not know" in m for m in left_out.values())
    sop_lines = {line for line in names if line not in left_out}
    assert len(accepted) == len({resolve(names[line], False)[0] for line in sop_lines})
    # the names today's DCMTK no longer reads are the ones reported, at their lines
    renamed = {line for line, name in names.items() if name not in CURRENT}
    assert set(found(result, "IMPORT024")) == renamed | {
        line for line, name in names.items() if name in EARLIER
    }


def test_an_old_storescp_profile_keeps_pet_sr_key_objects_and_dose_reports(tmp_path):
    path = DATA / "3.5.4" / "storescp.cfg"
    result = import_dcmtk(str(path))
    env = roundtrip(render(result), tmp_path)
    accepted = capabilities(env.devices[0].application_entities[0], "SCP")
    for uid in (PET, BASIC_TEXT_SR, ENHANCED_SR, COMPREHENSIVE_SR, KEY_OBJECTS, DOSE_SR):
        assert uid in accepted, uid
    assert "IMPORT008" not in codes(result)
    message = found(result, "IMPORT024")[line_of(path.read_text(), "= PETImageStorage")]
    assert "DCMTK 3.2.0 to 3.5.4" in message
    assert "write PositronEmissionTomographyImageStorage" in message


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def storescp_starts(profile: Path, tmp_path: Path) -> tuple[bool, str]:
    """Start DCMTK's storescp with the profile: (True, "") once it listens, or (False,
    its error) when it stops. A hang guard only bounds the wait."""
    need(STORESCP_BIN, "dcmtk")
    port = free_port()
    proc = subprocess.Popen(
        [STORESCP_BIN, "-od", str(tmp_path), "-xf", str(profile), "Default", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return False, proc.stdout.read() if proc.stdout else ""
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return True, ""
            except OSError:
                time.sleep(0.05)
        raise AssertionError("storescp neither listened nor stopped within 60 s")
    finally:
        proc.kill()
        proc.wait(timeout=60)


def test_the_real_storescp_stops_where_the_import_says_and_starts_once_renamed(tmp_path):
    """DCMTK 3.5.4's own profile under the installed DCMTK: it stops on the first name
    reported IMPORT024; with every reported name renamed as the finding says, it runs."""
    release = installed_release()
    source = DATA / "3.5.4" / "storescp.cfg"
    result = import_dcmtk(str(source))
    reported = found(result, "IMPORT024")
    started, error = storescp_starts(source, tmp_path)
    first = contexts(source, "GenericStorageSCP")[min(reported)]
    assert not started and f"not a valid abstract syntax UID: {first}" in error
    lines = source.read_text(encoding="latin-1").splitlines()
    for line, message in reported.items():
        old = re.search(r"'([^']+)'", message).group(1)
        new = re.search(r"write (\S+)$", message).group(1)
        assert new in read_by(release), f"{new}: advice for a newer DCMTK than {release}"
        lines[line - 1] = lines[line - 1].replace(old, new)
    fixed = write(tmp_path, "storescp.cfg", "\n".join(lines) + "\n")
    assert storescp_starts(fixed, tmp_path) == (True, "")
    again = import_dcmtk(str(fixed))
    assert "IMPORT024" not in codes(again)
    assert capabilities(
        roundtrip(render(again), tmp_path).devices[0].application_entities[0], "SCP"
    ) == capabilities(
        roundtrip(render(result), tmp_path, "old.yaml").devices[0].application_entities[0], "SCP"
    )


KEYWORDS = """\
[[TransferSyntaxes]]
[Plain]
TransferSyntax1 = ExplicitVRLittleEndian
TransferSyntax2 = =LittleEndianImplicit

[[PresentationContexts]]
[Contexts]
PresentationContext1 = CTImageStorage\\Plain

[[Profiles]]
[Default]
PresentationContexts = Contexts
"""


def test_a_dicom_keyword_dcmtk_does_not_read_is_imported_and_reported(tmp_path):
    path = write(tmp_path, "storescp.cfg", KEYWORDS)
    result = import_dcmtk(str(path))
    env = roundtrip(render(result), tmp_path)
    assert capabilities(env.devices[0].application_entities[0], "SCP") == {CT: [EXPLICIT, IMPLICIT]}
    assert codes(result) == ["IMPORT025"]
    [finding] = result.findings
    assert (finding.location.line, finding.location.column) == (3, 19)
    assert "write LittleEndianExplicit" in finding.message
    started, error = storescp_starts(path, tmp_path)
    assert not started and "not a valid transfer syntax UID: ExplicitVRLittleEndian" in error
    fixed = write(
        tmp_path, "fixed.cfg", KEYWORDS.replace("ExplicitVRLittleEndian", "LittleEndianExplicit")
    )
    assert storescp_starts(fixed, tmp_path) == (True, "")  # '=LittleEndianImplicit' too


def test_debian_storescp_and_storescu(tmp_path):
    need(STORESCP_CFG, "dcmtk")
    result = import_dcmtk(str(STORESCP_CFG))
    env = roundtrip(render(result), tmp_path)
    [ae] = env.devices[0].application_entities
    assert (ae.ae_title, ae.acceptor, ae.initiator) == ("STORESCP", True, False)
    # Debian 12's DCMTK 3.6.7 file: one name that DCMTK 3.6.8 renamed
    assert codes(result) == ["IMPORT024"]
    assert "ImplantationPlanSRDocumentStorage" in result.findings[0].message
    accepted = capabilities(ae, "SCP")
    assert len(accepted) == len(set(contexts(STORESCP_CFG, "GenericStorageSCP").values())) == 128
    assert accepted[VERIFICATION] == [EXPLICIT, "1.2.840.10008.1.2.2", IMPLICIT]
    assert accepted[CT][0] == "1.2.840.10008.1.2.4.91"  # JPEG2000, first in AnyTransferSyntax
    assert capabilities(ae, "SCU") == {}

    result = import_dcmtk(str(STORESCU_CFG))
    env = roundtrip(render(result), tmp_path, "scu.yaml")
    [ae] = env.devices[0].application_entities
    assert (ae.ae_title, ae.initiator, ae.acceptor) == ("STORESCU", True, False)
    assert result.findings == []
    proposed = capabilities(ae, "SCU")
    # CTImageStorage\JPEGBaseline, \JPEGLossless, \Uncompressed -> one capability
    assert proposed[CT] == [
        "1.2.840.10008.1.2.4.50",
        "1.2.840.10008.1.2.4.70",
        EXPLICIT,
        "1.2.840.10008.1.2.2",
        IMPLICIT,
    ]
    assert len(proposed) == len(
        set(contexts(STORESCU_CFG, "StorageCompressedAndUncompressed").values())
    )


# --- dcmqrscp.cfg ---------------------------------------------------------------------


def test_debian_dcmqrscp_cfg(tmp_path):
    need(DCMQRSCP_CFG, "dcmtk")
    result = import_dcmtk(str(DCMQRSCP_CFG))
    env = roundtrip(render(result), tmp_path)
    [server] = env.devices  # Debian's AETable and HostTable are all comments
    assert server.name == "dcmqrscp" and server.kind == "pacs"
    assert server.connections[0].port == 104 and server.application_entities == []
    assert result.findings == []


@pytest.mark.parametrize("release", ["3.5.4", "3.6.0", "3.7.0"])
def test_dcmtks_own_dcmqrscp_cfg_of_each_release(release, tmp_path):
    path = DATA / release / "dcmqrscp.cfg"
    text = path.read_text(encoding="latin-1")
    result = import_dcmtk(str(path), hostname="qr.example.org")
    env = roundtrip(render(result), tmp_path)
    aes = {ae.ae_title: ae for ae in env.devices[0].application_entities}
    assert list(aes) == ["COMMON", "ACME_STORE", "UNITED_STORE"]
    assert CT not in capabilities(aes["COMMON"], "SCP")  # R: read-only
    assert STUDY_FIND in capabilities(aes["COMMON"], "SCP")
    assert CT in capabilities(aes["ACME_STORE"], "SCP")
    # COMMON is open to ANY peer: it answers queries from anyone, stores nothing
    assert codes(result) == ["IMPORT002"]
    assert result.findings[0].location.line == line_of(text, "COMMON ")
    vendors = {d.manufacturer for d in env.devices[1:]}
    assert {"Acme", "United"} <= {v.split()[0] for v in vendors if v}


DCMQRSCP = """\
NetworkTCPPort  = 11112
MaxPDUSize      = 16384
UserName        = dcmtk

HostTable BEGIN
ct1             = (CT1, ct1.example.org, 104)
ws1             = (WS_1, ws1.example.org, 11112)
ctgroup         = ct1, ws1
far             = (FAR, far.example.org, 4006), (FAR2, far.example.org, 4007)
HostTable END

VendorTable BEGIN
"Acme CT Company" = ctgroup
VendorTable END

AETable BEGIN
ARCHIVE   /var/lib/dcmtk/db/ARCHIVE   RW (200, 1024mb)  ctgroup
OPEN      /var/lib/dcmtk/db/OPEN      RW (10, 1024mb)   ANY
READONLY  /var/lib/dcmtk/db/READ      R  (10, 1024mb)   (EXTRA, extra.example.org, 104)
BROKEN    /var/lib/dcmtk/db/BROKEN    W  (10, 1024mb)   nosuchgroup
AETable END
"""


def test_dcmqrscp_tables(tmp_path):
    path = write(tmp_path, "dcmqrscp.cfg", DCMQRSCP)
    result = import_dcmtk(str(path), hostname="qr.example.org")
    env = roundtrip(render(result), tmp_path)
    server = env.devices[0]
    assert server.connections[0].port == 11112
    titles = {ae.ae_title: ae for ae in server.application_entities}
    assert list(titles) == ["ARCHIVE", "OPEN", "READONLY", "BROKEN"]
    assert CT in capabilities(titles["ARCHIVE"], "SCP")
    assert "1.2.840.10008.5.1.4.1.2.2.2" in capabilities(titles["ARCHIVE"], "SCP")
    assert CT not in capabilities(titles["READONLY"], "SCP")  # R: no C-STORE SCP
    assert CT in capabilities(titles["READONLY"], "SCU")  # but C-MOVE sends
    # W only: stores, and answers queries too (dcmqrscp never checks R)
    assert CT in capabilities(titles["BROKEN"], "SCP")
    assert STUDY_FIND in capabilities(titles["BROKEN"], "SCP")

    peers = {d.name: d for d in env.devices[1:]}
    assert sorted(peers) == ["EXTRA", "ct1", "far", "far-2", "ws1"]
    assert peers["ct1"].manufacturer == "Acme CT Company"
    assert peers["far"].manufacturer is None
    assert peers["far"].connections[0].hostname == "far.example.org"
    ct1 = capabilities(peers["ct1"].application_entities[0], "SCU")
    assert CT in ct1 and STUDY_FIND in ct1  # ARCHIVE is RW for ctgroup
    extra = capabilities(peers["EXTRA"].application_entities[0], "SCU")
    assert CT not in extra and VERIFICATION in extra  # READONLY is R

    where = {(f.code, f.location.line) for f in result.findings}
    open_line = line_of(DCMQRSCP, "OPEN ")
    assert ("IMPORT001", open_line) in where and ("IMPORT002", open_line) in where
    assert ("IMPORT009", line_of(DCMQRSCP, "BROKEN ")) in where
    assert len(result.findings) == 3


def test_dcmqrscp_without_end_exits_2(tmp_path):
    path = write(tmp_path, "dcmqrscp.cfg", "HostTable BEGIN\nct = (CT, ct, 104)\n")
    result = run("import", "dcmtk", str(path))
    assert result.exit_code == 2 and f"{path}:1:1: 'HostTable BEGIN' without" in result.stderr


def access_config(folder: Path, port: int) -> str:
    """An older-style dcmqrscp.cfg: a quoted "ANY", lowercase rw, a W-only AE."""
    for area in ("QUOTED", "PAREN", "LOWER", "WONLY"):
        (folder / area).mkdir(exist_ok=True)
    return f"""\
# dcmqrscp.cfg in the style of the DCMTK 3.5 era
NetworkTCPPort  = {port}
MaxPDUSize      = 16384
MaxAssociations = 16

HostTable BEGIN
ct1             = (CT1, 127.0.0.1, 4100)
HostTable END

AETable BEGIN
QUOTED  {folder}/QUOTED  RW (10, 1024mb)  "ANY"
PAREN   {folder}/PAREN   R  (10, 1024mb)  (ANY)
LOWER   {folder}/LOWER   rw (10, 1024mb)  ANY
WONLY   {folder}/WONLY   W  (10, 1024mb)  ct1
AETable END
"""


def test_quoted_any_lowercase_rw_and_w_only_as_dcmqrscp_reads_them(tmp_path):
    text = access_config(tmp_path, 11112)
    path = write(tmp_path, "dcmqrscp.cfg", text)
    result = import_dcmtk(str(path), hostname="qr.example.org")
    env = roundtrip(render(result), tmp_path)
    aes = {ae.ae_title: ae for ae in env.devices[0].application_entities}
    scp = {title: capabilities(ae, "SCP") for title, ae in aes.items()}
    assert CT in scp["QUOTED"] and CT not in scp["PAREN"]
    assert CT not in scp["LOWER"]  # 'rw' is not RW: read-only
    assert CT in scp["WONLY"]
    assert all(STUDY_FIND in accepted for accepted in scp.values())
    lines = {title: line_of(text, f"{title}  ") for title in aes}
    assert sorted((f.code, f.location.line) for f in result.findings) == sorted(
        [
            ("IMPORT001", lines["QUOTED"]),
            ("IMPORT002", lines["QUOTED"]),
            ("IMPORT002", lines["PAREN"]),
            ("IMPORT002", lines["LOWER"]),
            ("IMPORT023", lines["LOWER"]),
        ]
    )
    lower = next(f for f in result.findings if f.code == "IMPORT023")
    assert lower.location.column == text.splitlines()[lines["LOWER"] - 1].index(" rw ") + 2
    [ct1] = [d for d in env.devices if d.name == "ct1"]
    allowed = capabilities(ct1.application_entities[0], "SCU")
    assert CT in allowed and STUDY_FIND in allowed  # may store into and query WONLY


def test_the_real_dcmqrscp_agrees_with_the_import(tmp_path):
    """What the import claims, asked of DCMTK's dcmqrscp over loopback: open to any
    calling AE where the import says ANY, storage refused for 'rw', queries answered
    by a W-only AE, and only for its listed peer."""
    need(DCMQRSCP_BIN, "dcmtk")
    from pynetdicom import AE
    from pynetdicom.sop_class import CTImageStorage, StudyRootQueryRetrieveInformationModelFind

    port = free_port()
    path = write(tmp_path, "dcmqrscp.cfg", access_config(tmp_path, port))
    env = roundtrip(render(import_dcmtk(str(path))), tmp_path)
    claims = {ae.ae_title: capabilities(ae, "SCP") for ae in env.devices[0].application_entities}
    proc = subprocess.Popen(
        [DCMQRSCP_BIN, "-c", str(path), "-dhl", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "no dcmqrscp"
                time.sleep(0.05)

        def ask(called: str, calling: str) -> set[str] | None:
            ae = AE(ae_title=calling)
            ae.acse_timeout = ae.network_timeout = 30
            ae.add_requested_context(CTImageStorage)
            ae.add_requested_context(StudyRootQueryRetrieveInformationModelFind)
            assoc = ae.associate("127.0.0.1", port, ae_title=called)
            if not assoc.is_established:
                return None
            accepted = {c.abstract_syntax for c in assoc.accepted_contexts}
            assoc.release()
            return accepted

        for called in ("QUOTED", "PAREN", "LOWER"):  # ANY: any calling AE gets in
            assert ask(called, "SOMEONE") == {CT, STUDY_FIND} & set(claims[called]), called
        assert ask("WONLY", "CT1") == {CT, STUDY_FIND} & set(claims["WONLY"])
        assert ask("WONLY", "SOMEONE") is None  # not a listed peer
    finally:
        proc.kill()
        proc.wait(timeout=60)
