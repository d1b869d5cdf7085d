"""`imgpolicy audit traffic`: the judgement on constructed exchanges, the DCMTK log and
audit-message sources on real runs and samples, and the command end to end (a real
storescp log, and a seeded Orthanc)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import pytest
from pydicom.uid import generate_uid

from imgpolicy.analysis.index import Index
from imgpolicy.audit import traffic
from imgpolicy.audit.observed import Exchange, SourceFailed, Unsupported, Window
from imgpolicy.audit.phi import Identity
from imgpolicy.audit.sources import Settings, open_source
from imgpolicy.audit.sources.audit_messages import AuditMessageFile
from imgpolicy.audit.sources.dcmtk_log import DcmtkLog
from imgpolicy.load import load_environment

from .audit_data import instance, write_study
from .audit_peers import dcmtk, free_port, need, orthanc_factory, store  # noqa: F401
from .conftest import assert_no_traceback, run

DATA = Path(__file__).parent / "data_audit"
TODAY = "2026-11-29"
CT, MR = "1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.4"

ENV = """\
imgpolicy: 1
sites:
  - {name: MAIN, jurisdiction: US-CA, region: west}
  - {name: EAST, jurisdiction: US-CA, region: west}
devices:
  - name: pacs
    site: MAIN
    kind: pacs
    connections:
      - {name: dicom, hostname: 127.0.0.1, port: 11112}
    application_entities:
      - ae_title: ARCHIVE
        peers: [CT_1, CT_2, US_1, WS_1]
        transfer_capabilities:
          - {sop_classes: [CTImageStorage, MRImageStorage], role: SCP, transfer_syntaxes: [ImplicitVRLittleEndian]}
  - name: ct-1
    site: MAIN
    kind: modality
    modality: CT
    application_entities:
      - {ae_title: CT_1, acceptor: false}
  - name: ct-2
    site: MAIN
    kind: modality
    modality: CT
    application_entities:
      - {ae_title: CT_2, acceptor: false}
  - name: mr-1
    site: MAIN
    kind: modality
    modality: MR
    application_entities:
      - {ae_title: MR_1, acceptor: false}
  - name: us-1
    site: MAIN
    kind: modality
    modality: US
    application_entities:
      - {ae_title: US_1, acceptor: false}
  - name: ws-1
    site: MAIN
    kind: workstation
    application_entities:
      - {ae_title: WS_1, acceptor: false}
  - name: ct-east
    site: EAST
    kind: modality
    modality: CT
    application_entities:
      - {ae_title: CT_EAST, acceptor: false}
routes:
  - {name: ct1-to-archive, from: CT_1, to: ARCHIVE, purpose: archive}
  - {name: ct2-to-archive, from: CT_2, to: ARCHIVE, purpose: archive}
  - {name: us1-to-archive, from: US_1, to: ARCHIVE, purpose: archive}
"""
"""ARCHIVE receives; CT_1, CT_2 and US_1 are routed to it, WS_1 is a peer (queries),
MR_1 is declared with no route, CT_EAST at another site sends nowhere ARCHIVE sees."""


def index_of(folder: Path) -> Index:
    result = load_environment((str(folder),), None)
    assert result.schema_valid and not result.unusable, result.findings
    return Index(result, date(2026, 11, 29))


@pytest.fixture
def env(write_env) -> Path:
    return write_env({"env.yaml": ENV})


class Listed:
    """A source that yields the exchanges it was given (the judgement's unit tests)."""

    def __init__(self, *exchanges: Exchange, name: str = "listed") -> None:
        self.given = exchanges
        self.name = name
        self.notes: list[str] = []
        self.records_every_association = True  # as a log would

    def exchanges(self, window: Window):
        return iter(e for e in self.given if window.holds(e.when.date() if e.when else None))


def stored(caller: str, called: str, study: str, objects: int = 3, **more) -> Exchange:
    return Exchange(caller, called, study_uid=study, objects=objects, sop_class=CT, **more)


def judge(env: Path, *exchanges: Exchange, threshold: float = 0.001, window=None):
    sources: list[Any] = [Listed(*exchanges)]
    return traffic.audit(
        index_of(env), sources, window or Window(), identity=Identity(), threshold=threshold
    )


def codes(result) -> list[tuple[str, str]]:
    return sorted((f.code, f.entity) for f in result.findings)


# --- the judgement, on constructed exchanges ---------------------------------------


def test_silent_ae_undeclared_sender_undeclared_flow_and_the_rate(env):
    result = judge(
        env,
        stored("CT_1", "ARCHIVE", "1.2.3.1"),
        stored("CT_1", "ARCHIVE", "1.2.3.2"),
        stored("CT_2", "ARCHIVE", "1.2.3.3"),
        stored("MR_1", "ARCHIVE", "1.2.3.4"),
        stored("ROGUE", "ARCHIVE", "1.2.3.5", host="10.0.0.9"),
        Exchange("WS_1", "ARCHIVE"),  # a query: WS_1 is a peer
    )
    assert codes(result) == [
        ("AUDIT001", "ae:US_1"),
        ("AUDIT002", "ae:ROGUE"),
        ("AUDIT005", "flow:MR_1>ARCHIVE"),
        ("AUDIT008", "figure:routing-error-rate"),
    ]
    rate = next(f for f in result.figures if f.item == "routing-error-rate")
    assert rate.value == pytest.approx(2 / 5) and rate.met is False
    assert "40.00 %: 2 of 5 studies" in rate.text
    inventory = next(f for f in result.figures if f.item == "ae-inventory")
    assert inventory.met is False and "US_1" in inventory.text and "ROGUE" in inventory.text
    rogue = next(f for f in result.findings if f.code == "AUDIT002")
    assert "10.0.0.9" in rogue.message and "3 objects of 1 study" in rogue.message
    assert rogue.location is None  # a constructed exchange has no line
    silent = next(f for f in result.findings if f.code == "AUDIT001")
    assert silent.location is not None and silent.location.path.endswith("env.yaml")
    # CT_EAST (other site) and its absence of flows: not judged, and said so
    assert any("CT_EAST" in n and "not judged" in n and "EAST" in n for n in result.notes)
    assert result.observed == 6


def test_a_clean_month_meets_both_items_and_finds_nothing(env):
    result = judge(
        env,
        stored("CT_1", "ARCHIVE", "1.2.3.1"),
        stored("CT_2", "ARCHIVE", "1.2.3.2"),
        stored("US_1", "ARCHIVE", "1.2.3.3"),
        Exchange("WS_1", "ARCHIVE"),
    )
    assert result.findings == []
    assert {f.item: f.met for f in result.figures} == {
        "routing-error-rate": True,
        "ae-inventory": True,
    }


def test_the_threshold_decides_the_rate_item(env):
    exchanges = [stored("CT_1", "ARCHIVE", f"1.2.3.{i}") for i in range(9)]
    exchanges.append(stored("MR_1", "ARCHIVE", "1.2.9"))
    lenient = judge(
        env,
        *exchanges,
        stored("US_1", "ARCHIVE", "1"),
        stored("CT_2", "ARCHIVE", "2"),
        threshold=0.2,
    )
    assert "AUDIT008" not in {f.code for f in lenient.findings}
    strict = judge(
        env,
        *exchanges,
        stored("US_1", "ARCHIVE", "1"),
        stored("CT_2", "ARCHIVE", "2"),
        threshold=0.05,
    )
    assert "AUDIT008" in {f.code for f in strict.findings}
    assert next(f for f in strict.figures if f.item == "routing-error-rate").value == pytest.approx(
        1 / 12
    )


def test_peers_declare_queries_but_storing_needs_a_route(env):
    query = judge(env, Exchange("WS_1", "ARCHIVE"))
    assert "AUDIT005" not in {f.code for f in query.findings}
    storing = judge(env, stored("WS_1", "ARCHIVE", "1.2.3"))
    flow = next(f for f in storing.findings if f.code == "AUDIT005")
    assert "no route declares WS_1 -> ARCHIVE" in flow.message
    unlisted = judge(env, Exchange("MR_1", "ARCHIVE"))
    assert ("AUDIT006", "flow:MR_1>ARCHIVE") in codes(unlisted)


def test_c_move_routes_and_move_destinations_declare_the_retrieve(write_env):
    folder = write_env(
        {
            "env.yaml": ENV.replace(
                "routes:\n",
                "  - name: vna\n    site: MAIN\n    kind: vna\n    application_entities:\n"
                "      - {ae_title: VNA, move_destinations: [ARCHIVE]}\n"
                "routes:\n  - {name: priors, from: VNA, to: ARCHIVE, purpose: prefetch}\n",
            )
        }
    )
    result = judge(
        folder,
        stored("VNA", "ARCHIVE", "1.2.3.1"),  # the C-STORE sub-association of the move
        Exchange("ARCHIVE", "VNA"),  # the query and the C-MOVE request
        stored("CT_1", "ARCHIVE", "1.2.3.2"),
        stored("CT_2", "ARCHIVE", "1.2.3.3"),
        stored("US_1", "ARCHIVE", "1.2.3.4"),
        Exchange("WS_1", "ARCHIVE"),
    )
    assert result.findings == []


def test_traffic_over_a_disabled_route_is_undeclared_and_names_the_route(write_env):
    folder = write_env(
        {
            "env.yaml": ENV
            + "  - {name: mr, from: MR_1, to: ARCHIVE, purpose: archive, enabled: false}\n"
        }
    )
    result = judge(folder, stored("MR_1", "ARCHIVE", "1.2.3"))
    flow = next(f for f in result.findings if f.code == "AUDIT005")
    assert "route 'mr' declares it with enabled: false" in flow.message


def test_refusals_are_counted_by_caller_called_and_cause(env):
    refused = Exchange(
        "CT_2", "ARCHIVE", accepted=False, cause="no acceptable presentation context"
    )
    other = Exchange("CT_2", "ARCHIVE", accepted=False, cause="called AE title not recognized")
    result = judge(env, refused, refused, refused, other, stored("CT_1", "ARCHIVE", "1"))
    found = sorted((f.detail, f.message) for f in result.findings if f.code == "AUDIT009")
    assert [d for d, _ in found] == [
        "called AE title not recognized",
        "no acceptable presentation context",
    ]
    assert found[1][1].startswith("3 associations from CT_2 to ARCHIVE")
    assert "route 'ct2-to-archive' declares this flow" in found[1][1]
    # CT_2 was refused, not silent: it is up, and its route's problem is the refusal
    assert "AUDIT001" not in {f.code for f in result.findings if f.entity == "ae:CT_2"}


def test_an_unused_route_is_reported_only_when_its_sender_talked(write_env):
    folder = write_env(
        {
            "env.yaml": ENV
            + "  - {name: ct1-to-ws, from: CT_1, to: WS_1, purpose: reading}\n"
            + "  - {name: us1-to-ws, from: US_1, to: WS_1, purpose: reading}\n"
        }
    )
    result = judge(
        folder,
        stored("CT_1", "ARCHIVE", "1"),
        stored("CT_2", "WS_1", "2"),  # WS_1 is an observed receiver now
        stored("CT_2", "ARCHIVE", "3"),
    )
    unused = [f for f in result.findings if f.code == "AUDIT007"]
    assert [f.entity for f in unused] == ["route:ct1-to-ws"]
    assert ("AUDIT001", "ae:US_1") in codes(result)  # silent: once, not per route


def test_an_undeclared_called_ae_and_a_case_variant(env):
    result = judge(
        env,
        stored("CT_1", "ARCHIVE_OLD", "1"),
        stored("CT_1", "ARCHIVE", "4"),
        stored("ct_2", "archive", "2"),  # Orthanc compares AE titles ignoring case
        stored("US_1", "ARCHIVE", "3"),
        Exchange("WS_1", "ARCHIVE"),
    )
    assert codes(result) == [
        ("AUDIT004", "ae:ARCHIVE_OLD"),
        ("AUDIT008", "figure:routing-error-rate"),
    ]


def test_the_window_and_the_order_of_sources_do_not_change_the_outcome(env):
    day = datetime(2026, 11, 2, 10, 0)
    early = datetime(2026, 9, 1, 10, 0)
    exchanges = [
        stored("CT_1", "ARCHIVE", "1", when=day),
        stored("MR_1", "ARCHIVE", "2", when=early),
        stored("CT_2", "ARCHIVE", "3", when=day),
        stored("US_1", "ARCHIVE", "4", when=day),
        Exchange("WS_1", "ARCHIVE", when=day),
    ]
    window = Window(date(2026, 11, 1), None)
    one = judge(env, *exchanges, window=window)
    two = judge(env, *reversed(exchanges), window=window)
    assert one.findings == [] and [f.message for f in one.findings] == [
        f.message for f in two.findings
    ]
    assert one.window == ("2026-11-02", "2026-11-02")
    everything = judge(env, *exchanges)
    assert "AUDIT005" in {f.code for f in everything.findings}


def test_no_traffic_measures_nothing(env):
    result = judge(env)
    assert result.findings == []
    assert all(f.met is None for f in result.figures)


def test_transfers_stand_in_for_studies_when_the_source_names_none(env):
    result = judge(
        env,
        Exchange("CT_1", "ARCHIVE", objects=2),
        Exchange("MR_1", "ARCHIVE", objects=1),
        Exchange("CT_2", "ARCHIVE", objects=1),
        Exchange("US_1", "ARCHIVE", objects=1),
    )
    rate = next(f for f in result.figures if f.item == "routing-error-rate")
    assert rate.value == pytest.approx(1 / 4) and "transfers" in rate.text


# --- DCMTK logs ------------------------------------------------------------------------


def test_a_storescp_verbose_pc_log_gives_callers_refusals_and_dates():
    log = DcmtkLog(DATA / "storescp-verbose-pc.log")
    found = list(log.exchanges(Window()))
    summary = [(e.calling_ae, e.called_ae, e.accepted, e.objects) for e in found]
    assert summary == [
        ("CT_1", "ARCHIVE", True, 2),
        ("MR_1", "ARCHIVE", False, 0),
        ("CT_2", "ARCHIVE", False, 0),
        ("ROGUE", "ARCHIVE", True, 2),
        ("CT_1", "ARCHIVE_OLD", True, 2),
    ]
    assert "Abstract Syntax Not Supported: MRImageStorage" in found[1].cause
    assert "Transfer Syntaxes Not Supported: CTImageStorage" in found[2].cause
    assert found[1].location is not None and found[1].location.line == 63
    assert all(e.when is not None and e.when.date() == date(2026, 11, 29) for e in found)
    assert list(log.exchanges(Window(date(2026, 11, 30), None))) == []
    assert log.notes == []


def test_a_dcmqrscp_log_gives_hosts_refusals_and_sop_classes():
    log = DcmtkLog(DATA / "dcmqrscp-verbose.log")
    found = list(log.exchanges(Window()))
    assert [(e.calling_ae, e.called_ae, e.host, e.accepted) for e in found] == [
        ("CT_1", "PACS_QR", "localhost", True),
        ("MR_1", "PACS_QR", "localhost", False),
        ("CT_1", "WRONG_AE", "localhost", False),
        ("CT_1", "PACS_QR", "localhost", True),  # a C-FIND: no objects
    ]
    assert found[0].sop_class == CT and found[0].objects == 2 and found[3].objects == 0
    assert "not among its peers" in found[1].cause
    # no dates: the window cannot filter, and the note says so
    assert len(list(log.exchanges(Window(date(2030, 1, 1), None)))) == 4
    assert any("no date" in n and "cannot filter" in n for n in log.notes)


def test_a_plain_storescp_verbose_log_names_no_aes_and_says_how_to_get_them():
    log = DcmtkLog(DATA / "storescp-verbose.log")
    assert list(log.exchanges(Window())) == []
    assert any("-v +v" in n and "3 of 3" in n for n in log.notes)


def test_a_log_answers_only_for_exchanges_and_refuses_binary(tmp_path):
    log = DcmtkLog(DATA / "dcmqrscp-verbose.log")
    with pytest.raises(Unsupported, match="records associations, not studies"):
        log.studies(Window())
    binary = tmp_path / "x.log"
    binary.write_bytes(b"\0\1\2" * 100)
    with pytest.raises(SourceFailed, match="binary"):
        list(DcmtkLog(binary).exchanges(Window()))


def storescp_run(folder: Path, sends: list[tuple[list[str], list[Path]]], *options: str) -> Path:
    """Run DCMTK storescp `options` on a free loopback port, send each (storescu options,
    files) to it, stop it, and return its log."""
    binary = need(dcmtk("storescp"), "dcmtk")
    storescu = need(dcmtk("storescu"), "dcmtk")
    port = free_port()
    log = folder / "storescp.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [binary, *options, "--ignore", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        _wait_listening(port)
        for args, files in sends:
            subprocess.run(
                [storescu, *args, "127.0.0.1", str(port), *map(str, files)],
                capture_output=True,
                timeout=60,
                stdin=subprocess.DEVNULL,
            )
    finally:
        process.terminate()
        process.wait(timeout=30)
    return log


def _wait_listening(port: int) -> None:
    """Until something accepts TCP connections on `port` (a hang guard of 30 s, not a
    timing assertion; a bare connection is no association, so nothing is logged)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


CT_ONLY = """\
[[TransferSyntaxes]]
[Implicit]
TransferSyntax1  = LittleEndianImplicit
[[PresentationContexts]]
[CTOnly]
PresentationContext1   = VerificationSOPClass\\Implicit
PresentationContext2   = CTImageStorage\\Implicit
[[Profiles]]
[CTOnly]
PresentationContexts = CTOnly
"""


def synthetic(folder: Path, modality: str, n: int = 1) -> list[Path]:
    """One synthetic study of `n` images, written to `folder`."""
    study = generate_uid()
    made = [
        instance(
            patient_id="MRN0001",
            patient_name="TEST^TRAFFIC",
            accession="ACC1",
            modality=modality,
            study_uid=study,
        )
        for _ in range(n)
    ]
    return write_study(folder, made)


@pytest.mark.peers
def test_a_real_storescp_association_log_is_read(tmp_path):
    config = tmp_path / "ct-only.cfg"
    config.write_text(CT_ONLY)
    ct = synthetic(tmp_path / "ct", "CT", 2)
    mr = synthetic(tmp_path / "mr", "MR")
    log = storescp_run(
        tmp_path,
        [
            (["-R", "-aet", "CT_1", "-aec", "ARCHIVE"], ct),
            (["-R", "-aet", "MR_1", "-aec", "ARCHIVE"], mr),
            (["-R", "-aet", "ROGUE", "-aec", "ARCHIVE"], ct[:1]),
        ],
        "-v",
        "+v",
        "-aet",
        "ARCHIVE",
        "-xf",
        str(config),
        "CTOnly",
    )
    found = list(DcmtkLog(log).exchanges(Window()))
    assert [(e.calling_ae, e.accepted, e.objects) for e in found] == [
        ("CT_1", True, 2),
        ("MR_1", False, 0),
        ("ROGUE", True, 1),
    ]
    assert "Abstract Syntax Not Supported: MRImageStorage" in found[1].cause


@pytest.mark.peers
def test_a_real_storescp_log_audited_end_to_end(tmp_path, env):
    ct = synthetic(tmp_path / "ct", "CT")
    log = storescp_run(
        tmp_path,
        [
            (["-aet", "CT_1", "-aec", "ARCHIVE"], ct),
            (["-aet", "CT_2", "-aec", "ARCHIVE"], ct),
            (["-aet", "US_1", "-aec", "ARCHIVE"], ct),
            (["-aet", "MR_1", "-aec", "ARCHIVE"], ct),
        ],
        "-d",
        "-aet",
        "ARCHIVE",
    )
    result = run("audit", "traffic", str(env), str(log), "--today", TODAY, "--format", "json")
    assert_no_traceback(result)
    assert result.exit_code == 1
    found = sorted((f["code"], f["entity"]) for f in json.loads(result.output)["findings"])
    assert found == [
        ("AUDIT001", "ae:WS_1"),
        ("AUDIT005", "flow:MR_1>ARCHIVE"),
        ("AUDIT008", "figure:routing-error-rate"),
    ]
    notes = json.loads(result.output)["notes"]
    assert any(n.startswith("Read 4 exchanges (0 refused, 4 objects)") for n in notes)
    rate = "Routing error rate 25.00 %: 1 of 4 transfers arrived over flows no route declares"
    assert f"{rate} (target at most 0.10 %)" in notes


# --- DICOM audit messages ----------------------------------------------------------


def audit_message(
    event: str,
    when: str,
    source: str | None,
    destination: str | None,
    *,
    host: str = "",
    outcome: str = "0",
    description: str = "",
    studies: list[tuple[str, str, int]] = (),  # type: ignore[assignment]
    event_type: tuple[str, str] | None = None,
    app: str = "ARCHIVE",
) -> str:
    """One PS3.15 A.5 message: `event` from `source` to `destination` (AE titles; for a
    query or an authentication the source is the requestor), with studies (UID, SOP class,
    instances) and a synthetic patient, as the A.5.3 event tables give them."""
    names = {
        "110104": "DICOM Instances Transferred",
        "110112": "Query",
        "110114": "User Authentication",
        "110100": "Application Activity",
    }
    action = {"110104": "C", "110112": "E", "110114": "E", "110100": "E"}[event]
    lines = [
        "<AuditMessage>",
        f'  <EventIdentification EventActionCode="{action}" EventDateTime="{when}" '
        f'EventOutcomeIndicator="{outcome}">',
        f'    <EventID csd-code="{event}" codeSystemName="DCM" originalText="{names[event]}"/>',
    ]
    if event_type:
        lines.append(
            f'    <EventTypeCode csd-code="{event_type[0]}" codeSystemName="DCM" '
            f'originalText="{event_type[1]}"/>'
        )
    if description:
        lines.append(f"    <EventOutcomeDescription>{description}</EventOutcomeDescription>")
    lines.append("  </EventIdentification>")
    point = f' NetworkAccessPointID="{host}" NetworkAccessPointTypeCode="2"' if host else ""
    if source and destination:
        requestor = "true"
        for title, role, label in (
            (source, "110153", "Source Role ID"),
            (destination, "110152", "Destination Role ID"),
        ):
            lines += [
                f'  <ActiveParticipant UserID="{title.lower()}-process" '
                f'AlternativeUserID="AETITLES={title}" UserIsRequestor="{requestor}"'
                f"{point if title == source else ''}>",
                f'    <RoleIDCode csd-code="{role}" codeSystemName="DCM" originalText="{label}"/>',
                "  </ActiveParticipant>",
            ]
            requestor = "false"
    else:
        lines.append(
            f'  <ActiveParticipant UserID="{app.lower()}-process" '
            f'AlternativeUserID="AETITLES={app}" UserIsRequestor="false">'
            '<RoleIDCode csd-code="110150" codeSystemName="DCM" originalText="Application"/>'
            "</ActiveParticipant>"
        )
    lines.append(f'  <AuditSourceIdentification AuditSourceID="{app}"/>')
    for uid, sop, count in studies:
        lines += [
            '  <ParticipantObjectIdentification ParticipantObjectID="MRN0001" '
            'ParticipantObjectTypeCode="1" ParticipantObjectTypeCodeRole="1">',
            '    <ParticipantObjectIDTypeCode csd-code="2" codeSystemName="RFC-3881" '
            'originalText="Patient Number"/>',
            "    <ParticipantObjectName>TEST^TRAFFIC</ParticipantObjectName>",
            "  </ParticipantObjectIdentification>",
            f"  <ParticipantObjectIdentification ParticipantObjectID={quoteattr(uid)} "
            'ParticipantObjectTypeCode="2" ParticipantObjectTypeCodeRole="3">',
            '    <ParticipantObjectIDTypeCode csd-code="110180" codeSystemName="DCM" '
            'originalText="Study Instance UID"/>',
            "    <ParticipantObjectName>CT HEAD</ParticipantObjectName>",
            "    <ParticipantObjectDescription>",
            f'      <SOPClass UID="{sop}" NumberOfInstances="{count}"/>',
            "    </ParticipantObjectDescription>",
            "  </ParticipantObjectIdentification>",
        ]
    lines.append("</AuditMessage>\n")
    return "\n".join(lines)


def syslog_line(message: str, number: int) -> str:
    """`message` as an RFC 5424 syslog line (RFC 5425/5426 transport of DICOM audit
    messages: PRI 85 = facility authpriv, severity notice; MSGID IHE+RFC-3881)."""
    xml = " ".join(part.strip() for part in message.splitlines())
    return f'<85>1 2026-11-29T19:17:0{number}.000Z archive.local ARCHIVE 4711 IHE+RFC-3881 - \ufeff<?xml version="1.0" encoding="UTF-8"?>{xml}\n'


def test_audit_messages_give_transfers_failures_queries_and_refusals():
    source = AuditMessageFile(DATA / "audit-messages.xml")
    found = list(source.exchanges(Window()))
    assert [(e.calling_ae, e.called_ae, e.accepted, e.objects, e.study_uid) for e in found] == [
        ("CT_1", "ARCHIVE", True, 2, "1.2.826.0.1.3680043.8.498.10001"),
        ("MR_1", "ARCHIVE", False, 1, "1.2.826.0.1.3680043.8.498.10002"),
        ("ROGUE", "ARCHIVE", True, 2, "1.2.826.0.1.3680043.8.498.10003"),
        ("WS_1", "ARCHIVE", True, 0, ""),
        ("CT_9", "ARCHIVE", False, 0, ""),
    ]
    assert found[0].sop_class == CT and found[0].host == "127.0.0.1"
    assert found[1].cause.startswith("no acceptable presentation context")
    assert found[4].cause == "Node Authentication (minor failure)"
    assert found[0].location is not None and found[0].location.line == 1
    assert any("1 of 6 audit messages record no exchange" in n for n in source.notes)


def test_a_syslog_capture_gives_the_same_exchanges_as_the_messages():
    messages = list(AuditMessageFile(DATA / "audit-messages.xml").exchanges(Window()))
    captured = list(AuditMessageFile(DATA / "audit-syslog.log").exchanges(Window()))
    strip = [(e.calling_ae, e.called_ae, e.accepted, e.cause, e.objects) for e in messages]
    assert strip == [(e.calling_ae, e.called_ae, e.accepted, e.cause, e.objects) for e in captured]
    assert [e.location.line for e in captured if e.location] == [1, 2, 3, 4, 5]


def test_audit_message_files_and_logs_are_told_apart():
    assert isinstance(open_source(str(DATA / "audit-syslog.log"), Settings()), AuditMessageFile)
    assert isinstance(open_source(str(DATA / "audit-messages.xml"), Settings()), AuditMessageFile)
    assert isinstance(open_source(str(DATA / "dcmqrscp-verbose.log"), Settings()), DcmtkLog)


@pytest.mark.parametrize(
    "declaration",
    [
        '<!DOCTYPE AuditMessage [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>',
        '<!DOCTYPE AuditMessage SYSTEM "file:///etc/passwd">',
    ],
)
def test_entities_are_never_expanded(tmp_path, declaration):
    path = tmp_path / "evil.xml"
    body = audit_message("110104", "2026-11-29T10:00:00Z", "CT_1", "ARCHIVE")
    path.write_text(declaration + body.replace("CT_1", "&b;"))
    with pytest.raises(SourceFailed, match="DOCTYPE or ENTITY"):
        list(AuditMessageFile(path).exchanges(Window()))


def test_a_broken_message_is_skipped_and_named(tmp_path):
    path = tmp_path / "audit.xml"
    good = audit_message("110104", "2026-11-29T10:00:00Z", "CT_1", "ARCHIVE")
    path.write_text("<AuditMessage><EventIdentification></AuditMessage>\n" + good)
    source = AuditMessageFile(path)
    assert [e.calling_ae for e in source.exchanges(Window())] == ["CT_1"]
    assert any("not well-formed" in n and "line 1" in n for n in source.notes)


XMLLINT = shutil.which("xmllint")


@pytest.mark.peers  # xmllint (Debian libxml2-utils), which scripts/test.sh installs
@pytest.mark.parametrize(
    "message",
    [
        audit_message(
            "110104", "2026-11-29T10:00:00Z", "CT_1", "ARCHIVE", studies=[("1.2.3", CT, 4)]
        ),
        audit_message("110112", "2026-11-29T10:00:00+01:00", "WS_1", "ARCHIVE", host="10.0.0.5"),
        audit_message(
            "110104", "2026-11-29T10:00:00Z", "MR_1", "ARCHIVE", outcome="8", description="refused"
        ),
    ],
    ids=["transfer", "query", "failure"],
)
def test_the_messages_the_tests_write_are_valid_ps3_15_a5_messages(tmp_path, message):
    path = tmp_path / "message.xml"
    path.write_text(message)
    assert _valid(path)


@pytest.mark.peers  # xmllint (Debian libxml2-utils), which scripts/test.sh installs
def test_the_stored_samples_are_valid_and_the_schema_rejects_a_wrong_one(tmp_path):
    text = (DATA / "audit-messages.xml").read_text()
    messages = [m + "</AuditMessage>\n" for m in text.split("</AuditMessage>\n") if m.strip()]
    assert len(messages) == 6
    for i, message in enumerate(messages):
        path = tmp_path / f"m{i}.xml"
        path.write_text(message)
        assert _valid(path), message
    wrong = tmp_path / "wrong.xml"  # no AuditSourceIdentification: the schema requires it
    wrong.write_text(
        messages[0].replace('<AuditSourceIdentification AuditSourceID="ARCHIVE"/>', "")
    )
    assert not _valid(wrong)


def _valid(path: Path) -> bool:
    xmllint = need(XMLLINT, "libxml2-utils")
    done = subprocess.run(
        [xmllint, "--noout", "--relaxng", str(DATA / "audit-message.rng"), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode == 0


# --- the command ------------------------------------------------------------------------


def test_the_command_on_a_stored_log_in_text_json_and_sarif(env, tmp_path):
    log = str(DATA / "storescp-verbose-pc.log")
    text = run("audit", "traffic", str(env), log, "--today", TODAY)
    assert_no_traceback(text)
    assert text.exit_code == 1
    assert "AUDIT002" in text.output and "ROGUE" in text.output
    assert "storescp-verbose-pc.log:179:1" in text.output  # where ROGUE first called
    assert "routing error rate" in text.output.lower() or "arrived over flows" in text.output
    as_json = run("audit", "traffic", str(env), log, "--today", TODAY, "--format", "json")
    found = sorted((f["code"], f.get("entity", "")) for f in json.loads(as_json.output)["findings"])
    assert found == [
        ("AUDIT001", "ae:US_1"),
        ("AUDIT001", "ae:WS_1"),  # a peer of ARCHIVE: could have been seen
        ("AUDIT002", "ae:ROGUE"),
        ("AUDIT004", "ae:ARCHIVE_OLD"),
        ("AUDIT008", "figure:routing-error-rate"),
        ("AUDIT009", "flow:CT_2>ARCHIVE"),
        ("AUDIT009", "flow:MR_1>ARCHIVE"),
    ]
    sarif_path = tmp_path / "out.sarif"
    sarif = run(
        "audit", "traffic", str(env), log, "--today", TODAY, "--output", f"sarif={sarif_path}"
    )
    assert_no_traceback(sarif)
    results = json.loads(sarif_path.read_text())["runs"][0]["results"]
    assert sorted(r["ruleId"] for r in results) == [c for c, _ in found]


@pytest.mark.peers
def test_a_seeded_orthanc_shows_the_silent_ae_the_undeclared_sender_and_flow(
    orthanc_factory,  # noqa: F811
    tmp_path,
    write_env,
):
    pacs = orthanc_factory(aet="ARCHIVE")
    # Orthanc records stores only: WS_1's queries would leave no trace, so no peer here
    folder = write_env({"env.yaml": ENV.replace("peers: [CT_1, CT_2, US_1, WS_1]", "peers: any")})
    studies = {
        name: synthetic(tmp_path / name, "CT" if name != "mr" else "MR", 2)
        for name in ("ct1", "ct2", "mr", "rogue")
    }
    store(pacs, studies["ct1"], calling_ae="CT_1")
    store(pacs, studies["ct2"], calling_ae="CT_2")
    store(pacs, studies["mr"], calling_ae="MR_1")  # declared, but no route: undeclared flow
    store(pacs, studies["rogue"], calling_ae="ROGUE")  # nobody declares ROGUE
    source = f"orthanc+{pacs.url}"
    common = ("audit", "traffic", str(folder), source, "--today", TODAY)
    env_vars = {"IMGPOLICY_SOURCE_USER": pacs.user, "IMGPOLICY_SOURCE_PASSWORD": pacs.password}
    import os

    old = {k: os.environ.get(k) for k in env_vars}
    os.environ.update(env_vars)
    try:
        as_json = run(*common, "--format", "json")
        text = run(*common)
        sarif = run(*common, "--format", "sarif")
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    for result in (as_json, text, sarif):
        assert_no_traceback(result)
        assert result.exit_code == 1, result.output + result.stderr
    found = sorted((f["code"], f.get("entity", "")) for f in json.loads(as_json.output)["findings"])
    assert found == [
        ("AUDIT001", "ae:US_1"),
        ("AUDIT002", "ae:ROGUE"),
        ("AUDIT005", "flow:MR_1>ARCHIVE"),
        ("AUDIT008", "figure:routing-error-rate"),
    ]
    assert "50.00 %: 2 of 4 studies" in text.output  # MR_1's and ROGUE's of 4
    assert sorted(r["ruleId"] for r in json.loads(sarif.output)["runs"][0]["results"]) == [
        c for c, _ in found
    ]
    everything = "".join(r.output + r.stderr for r in (as_json, text, sarif))
    assert pacs.password not in everything
    assert "TEST^TRAFFIC" not in everything and "MRN0001" not in everything


# --- normal practice of the regional example (issue 13 review) -----------------------

REGIONAL = Path(__file__).parent.parent / "examples" / "regional-health"


def regional(write_env, dose_query: bool = False) -> Path:
    """A copy of examples/regional-health; with `dose_query`, its dose monitor pulls the
    dose SRs from the VNA (`collection: query`) instead of receiving them."""
    files = {
        str(p.relative_to(REGIONAL)): p.read_text()
        for p in sorted(REGIONAL.rglob("*.yaml"))
        if ".imgpolicy_cache" not in p.parts
    }
    if dose_query:
        files["dose.yaml"] = files["dose.yaml"].replace(
            "  monitor: DOSE_SPMC\n",
            "  monitor: DOSE_SPMC\n  collection: query\n  collect_from: VNA_SPMC\n",
        )
    return write_env(files)


def test_an_archive_that_records_only_stores_judges_no_query_only_caller_silent(write_env):
    """At VNA_SPMC the TMCH edge only queries and C-MOVEs (vna.prefetch-to-edge-tmch): an
    Orthanc's records (stored instances) cannot show that, so the edge is not silent
    there; a source that records every association can, and then it is."""
    folder = regional(write_env)
    exchanges = (
        stored("PACS_SPMC", "VNA_SPMC", "1.2.3.1"),
        stored("CVIS_SPMC", "VNA_SPMC", "1.2.3.2"),
    )
    stores_only = Listed(*exchanges)
    stores_only.records_every_association = False
    result = traffic.audit(index_of(folder), [stores_only], Window(), identity=Identity())
    assert codes(result) == []
    assert next(f for f in result.figures if f.item == "ae-inventory").met is True
    every = judge(folder, *exchanges)
    assert codes(every) == [("AUDIT001", "ae:EDGE_TMCH")]


def test_worklist_mpps_storage_commitment_and_a_pulling_dose_monitor_are_declared(write_env):
    """Normal practice that stores nothing or stores where no route says: MWL queries and
    MPPS (worklist.yaml), the VNA's storage commitment result on its own association
    (pacs.to-vna, commitment: true) and a dose monitor that queries the VNA and has the
    dose SRs moved to it (collection: query)."""
    folder = regional(write_env, dose_query=True)
    normal = (
        Exchange("CT_SPMC_ED", "RIS_SPMC"),  # MWL C-FIND and MPPS
        Exchange("CT_TMCH_ED", "MWL_TMCH"),  # the TMCH broker's worklist
        Exchange("MWL_TMCH", "RIS_SPMC"),  # the broker's own queries
        Exchange("US_SPMC_ECHO1", "CVIS_SPMC"),  # the echo lab's worklist (cardiology)
        Exchange("VNA_SPMC", "PACS_SPMC"),  # N-EVENT-REPORT of the commitment
        Exchange("EDGE_TMCH", "CT_TMCH_ED"),  # the edge's commitment to the modality
        Exchange("DOSE_SPMC", "VNA_SPMC"),  # the monitor's C-FIND and C-MOVE
        stored("VNA_SPMC", "DOSE_SPMC", "1.2.3.9"),  # the moved RDSR
    )
    result = judge(folder, *normal)
    flows = [c for c in codes(result) if c[0] in ("AUDIT005", "AUDIT006", "AUDIT008")]
    assert flows == []
    # the same dose SR stored into a push monitor is a flow nobody declared
    push = judge(regional(write_env), stored("VNA_SPMC", "DOSE_SPMC", "1.2.3.9"))
    assert ("AUDIT005", "flow:VNA_SPMC>DOSE_SPMC") in codes(push)
