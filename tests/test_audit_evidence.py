"""Evidence: what an audit measured, written as a file and read back by `imgpolicy docs`.

- the file: a round trip keeps every figure and dose series; the bytes do not depend on
  the order an audit filled its data in; anything but plain JSON data is refused;
- reading: the later measurement of an item wins, a tie goes to the file given later;
  a file that is not evidence (not JSON, another version, an unknown item, a value that is
  not a number, a FIFO) is exit 2 naming the file, never a traceback;
- the checklist: each evidence item is linked to exactly one checklist item by its exact
  text; evidence flips exactly the items it measures (met / not met, with the date);
  without evidence the documents are byte-for-byte what they were;
- the dose chart: well-formed SVG with the DRL line where the scale puts it, escaped
  labels, and, in headless Chromium, a chart with a size and nothing loaded.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from imgpolicy.audit.evidence import (
    DoseSeries,
    EvidenceError,
    read_evidence,
    write_evidence,
)
from imgpolicy.audit.result import EVIDENCE_ITEMS, AuditResult, Figure
from imgpolicy.docs import svg
from imgpolicy.docs.checklist import LISTS, Item

from .conftest import EXAMPLES, assert_no_traceback, run

EXAMPLE = EXAMPLES / "regional-health"
TODAY = "2026-11-28"
MEASURED = date(2026, 11, 29)
SVG = ""  # inline in HTML5, as the other diagrams: no namespace

ROUTING_TEXT = "0.05 % of 2,013 studies arrived over no declared route (target < 0.1 %)"
INVENTORY_TEXT = "2 declared AEs had no traffic and 1 caller is not declared"
DOSE_TEXT = "412 dose SRs evaluated; 1 exam's median above its DRL"


def traffic_result() -> AuditResult:
    return AuditResult(
        "traffic",
        figures=[
            Figure("routing-error-rate", True, ROUTING_TEXT, 0.0005),
            Figure("ae-inventory", False, INVENTORY_TEXT, 3.0),
        ],
        window=("2026-10-30", "2026-11-29"),
        observed=2013,
    )


def dose_series(**changes) -> dict:
    values = sorted([20.0 + 0.5 * i for i in range(41)] + [90.5])
    series = {
        "exam": "CT head without contrast",
        "metric": "ctdivol_mgy",  # the reference levels' key, as the dose audit names it
        "unit": "mGy",
        "drl": 57,
        "values_sorted": values,
        "median": 30.0,
        "p75": 35.0,
        "n": len(values),
    }
    series.update(changes)
    return series


def dose_result(*series: dict) -> AuditResult:
    return AuditResult(
        "dose",
        figures=[Figure("dose-monitoring", True, DOSE_TEXT, 412.0)],
        observed=412,
        data={"dose": list(series) or [dose_series()]},
    )


def write(tmp_path: Path, name: str, result: AuditResult, when: date = MEASURED) -> str:
    path = tmp_path / name
    path.write_text(write_evidence(result, when), encoding="utf-8")
    return str(path)


# --- the file ---------------------------------------------------------------------------


def test_round_trip_keeps_every_figure_and_dose_series(tmp_path):
    traffic = write(tmp_path, "traffic.json", traffic_result())
    dose = write(tmp_path, "dose.json", dose_result())
    evidence = read_evidence([traffic, dose])
    assert sorted(evidence.figures) == ["ae-inventory", "dose-monitoring", "routing-error-rate"]
    routing = evidence.figures["routing-error-rate"]
    assert (routing.met, routing.value, routing.text) == (True, 0.0005, ROUTING_TEXT)
    assert (routing.measured, routing.audit, routing.path) == (MEASURED, "traffic", traffic)
    assert evidence.figures["ae-inventory"].met is False
    (series,) = evidence.dose
    expected = dose_series()
    assert series == DoseSeries(
        "CT head without contrast",
        "ctdivol_mgy",
        "mGy",
        57.0,
        tuple(expected["values_sorted"]),
        30.0,
        35.0,
        expected["n"],
        MEASURED,
        dose,
    )


def test_the_document_has_a_fixed_shape_and_order():
    text = write_evidence(traffic_result(), MEASURED)
    assert text.endswith("}\n") and not text.endswith("\n\n")
    document = json.loads(text)
    assert list(document) == [
        "imgpolicy_evidence",
        "audit",
        "measured",
        "window",
        "observed",
        "figures",
        "data",
    ]
    assert document["imgpolicy_evidence"] == 1
    assert document["window"] == ["2026-10-30", "2026-11-29"]
    assert list(document["figures"][0]) == ["item", "met", "value", "text"]
    assert '\n  "audit": "traffic",\n' in text  # indent 2


def test_bytes_do_not_depend_on_the_order_data_was_filled_in():
    one = dose_result()
    one.data = {"dose": [dose_series()], "by_device": {"CT1": 3, "CT2": 4}}
    two = dose_result()
    two.data = {"by_device": {"CT2": 4, "CT1": 3}, "dose": [dose_series()]}
    assert write_evidence(one, MEASURED) == write_evidence(two, MEASURED)
    assert list(json.loads(write_evidence(two, MEASURED))["data"]) == ["by_device", "dose"]


class _PersonName(str):
    """Stands for a pydicom value that is a str underneath (and may be patient identity)."""


@pytest.mark.parametrize(
    "bad",
    [
        date(2026, 1, 1),
        {1, 2},
        float("nan"),
        float("inf"),
        _PersonName("DOE^JANE"),
        {3: "a key that is not a string"},
        [object()],
    ],
    ids=["date", "set", "nan", "inf", "str-subclass", "int-key", "object-in-list"],
)
def test_data_that_is_not_plain_json_is_refused(bad):
    result = dose_result()
    result.data = {"extra": bad}
    with pytest.raises(ValueError, match=r"evidence data\.extra"):
        write_evidence(result, MEASURED)


# --- reading several files --------------------------------------------------------------


def test_the_later_measurement_of_an_item_wins_whatever_the_file_order(tmp_path):
    old = traffic_result()
    new = AuditResult(
        "traffic", figures=[Figure("routing-error-rate", False, "0.4 % (target < 0.1 %)", 0.004)]
    )
    older = write(tmp_path, "older.json", old, date(2026, 10, 1))
    newer = write(tmp_path, "newer.json", new, date(2026, 11, 1))
    for order in ([older, newer], [newer, older]):
        evidence = read_evidence(order)
        assert evidence.figures["routing-error-rate"].met is False
        assert evidence.figures["routing-error-rate"].path == newer
        # an item only the older file measured is kept
        assert evidence.figures["ae-inventory"].path == older


def test_on_the_same_date_the_file_given_later_wins(tmp_path):
    first = write(tmp_path, "first.json", dose_result(dose_series(median=30.0)))
    second = write(tmp_path, "second.json", dose_result(dose_series(median=31.0)))
    assert read_evidence([first, second]).dose[0].median == 31.0
    assert read_evidence([second, first]).dose[0].median == 30.0


def _evidence_text(**changes) -> str:
    document = json.loads(write_evidence(traffic_result(), MEASURED))
    document.update(changes)
    return json.dumps(document)


BAD_FILES = {
    "not-json": ("{ this is not json", r":1:3: not JSON"),
    "not-evidence": (json.dumps({"figures": []}), "not an imgpolicy evidence file"),
    "wrong-version": (_evidence_text(imgpolicy_evidence=2), "version 2 is not one"),
    "unknown-item": (
        _evidence_text(figures=[{"item": "turnaround", "met": True, "value": 1, "text": "x"}]),
        "unknown checklist item 'turnaround'",
    ),
    "value-not-a-number": (
        _evidence_text(
            figures=[{"item": "ae-inventory", "met": True, "value": "3", "text": "all matched"}]
        ),
        "value '3' is not a number",
    ),
    "value-nan": (
        _evidence_text(
            figures=[{"item": "ae-inventory", "met": True, "value": 1, "text": "ok"}]
        ).replace('"value": 1', '"value": NaN'),
        "NaN is not a number",
    ),
    "dose-value-not-a-number": (
        _evidence_text(data={"dose": [dose_series(values_sorted=[1, "2"])]}),
        "values_sorted must be a list of numbers",
    ),
    "bad-date": (_evidence_text(measured="yesterday"), "measured 'yesterday' is not a date"),
    "unknown-key": (_evidence_text(patients=["DOE^JANE"]), "unknown key"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_evidence_file_is_exit_2_naming_the_file(tmp_path, case):
    text, message = BAD_FILES[case]
    bad = tmp_path / f"{case}.json"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(EvidenceError, match=re.escape(message)):
        read_evidence([str(bad)])
    good = write(tmp_path, "good.json", traffic_result())
    result = run(
        "docs", str(EXAMPLE), "-o", str(tmp_path / "out"), "--today", TODAY,
        "--evidence", good, "--evidence", str(bad),
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert_no_traceback(result)
    assert f"{bad}" in result.stderr and message in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_missing_file_and_a_fifo_are_exit_2_not_a_hang(tmp_path):
    fifo = tmp_path / "evidence.fifo"
    os.mkfifo(fifo)
    for path, message in ((fifo, "not a file imgpolicy reads"), (tmp_path / "gone.json", "")):
        result = run("docs", str(EXAMPLE), "-o", str(tmp_path / "out"), "--evidence", str(path))
        assert result.exit_code == 2, result.output
        assert_no_traceback(result)
        assert str(path) in result.stderr and message in result.stderr


# --- the checklist ----------------------------------------------------------------------


def test_every_evidence_item_is_linked_to_exactly_one_checklist_item_by_its_text():
    linked = [item for _, items in LISTS for item in items if item.evidence]
    assert sorted(item.evidence for item in linked) == sorted(EVIDENCE_ITEMS)
    for item in linked:
        assert item.text == EVIDENCE_ITEMS[item.evidence]


def test_a_reworded_item_cannot_keep_its_evidence_link():
    item = next(i for _, items in LISTS for i in items if i.evidence == "routing-error-rate")
    with pytest.raises(ValueError, match="is the item"):
        replace(item, text=item.text.replace("measured", "tracked"))
    with pytest.raises(ValueError, match="not an audit evidence item"):
        replace(item, evidence="routing-errors")
    Item(item.text, item.coverage, item.why, outside=item.outside)  # no link: allowed


def checklist_rows(markdown: str) -> dict[str, str]:
    """Checklist item text (unescaped) -> its whole table row, from architecture.md."""
    start = markdown.index("## Compliance checklist")
    rows = {}
    for line in markdown[start:].splitlines():
        cells = line.split(" | ")
        if (
            line.startswith("| ")
            and len(cells) >= 4
            and cells[0] in ("| ✅", "| ❌", "| ⬜", "| ◐", "| ➖")
        ):
            rows[html.unescape(cells[1])] = line
    return rows


def docs(tmp_path: Path, name: str, *evidence: str, env: Path = EXAMPLE) -> Path:
    out = tmp_path / name
    args = [a for path in evidence for a in ("--evidence", path)]
    result = run("docs", str(env), "-o", str(out), "--today", TODAY, *args)
    assert result.exit_code == 0, result.output + result.stderr
    return out


def test_evidence_flips_exactly_the_items_it_measures(tmp_path):
    traffic = write(tmp_path, "traffic.json", traffic_result())
    dose = write(tmp_path, "dose.json", dose_result())
    plain = checklist_rows((docs(tmp_path, "plain") / "architecture.md").read_text("utf-8"))
    measured = checklist_rows(
        (docs(tmp_path, "measured", traffic, dose) / "architecture.md").read_text("utf-8")
    )
    assert plain.keys() == measured.keys() and len(plain) == 24
    changed = {text for text in plain if plain[text] != measured[text]}
    routing = EVIDENCE_ITEMS["routing-error-rate"]
    inventory = EVIDENCE_ITEMS["ae-inventory"]
    monitoring = EVIDENCE_ITEMS["dose-monitoring"]
    assert changed == {routing, inventory, monitoring}  # patient ID accuracy: no evidence
    assert plain[routing].startswith("| ⬜ |") and "| not checked here |" in plain[routing]
    assert measured[routing].startswith("| ✅ |")
    assert (
        "| met; measured 2026-11-29 (traffic audit): 0.05 % of 2,013 studies arrived over no "
        "declared route (target &lt; 0.1 %) |" in measured[routing]
    )
    assert plain[inventory].startswith("| ◐ |") and measured[inventory].startswith("| ❌ |")
    assert (
        f"| not met; measured 2026-11-29 (traffic audit): {INVENTORY_TEXT} |" in measured[inventory]
    )
    assert plain[monitoring].startswith("| ◐ |") and measured[monitoring].startswith("| ✅ |")
    assert f"measured 2026-11-29 (dose audit): {DOSE_TEXT}" in measured[monitoring]
    # the HTML says the same
    page = (tmp_path / "measured" / "architecture.html").read_text("utf-8")
    assert page.count('<div class="checked evidence">measured 2026-11-29') == 3
    assert '<span class="status not-met">not met</span>' in page


def test_a_figure_without_a_verdict_leaves_the_status_and_shows_the_figure(tmp_path):
    result = AuditResult(
        "headers",
        figures=[Figure("patient-id-accuracy", None, "12 studies sampled: too few to say", 1.0)],
    )
    out = docs(tmp_path, "out", write(tmp_path, "headers.json", result))
    row = checklist_rows((out / "architecture.md").read_text("utf-8"))[
        EVIDENCE_ITEMS["patient-id-accuracy"]
    ]
    assert row.startswith("| ◐ |")
    assert "measured 2026-11-29 (headers audit): 12 studies sampled: too few to say" in row


def test_open_findings_keep_an_item_not_met_whatever_the_evidence(tmp_path):
    env = tmp_path / "env"
    shutil.copytree(EXAMPLE, env)
    dose_yaml = env / "dose.yaml"
    text = dose_yaml.read_text("utf-8")
    marker = " source: SPRH Radiation Safety Committee DRL table,"
    assert marker in text
    dose_yaml.write_text(text.replace(marker, "", 1), encoding="utf-8")  # a DRL with no source
    out = docs(tmp_path, "out", write(tmp_path, "dose.json", dose_result()), env=env)
    row = checklist_rows((out / "architecture.md").read_text("utf-8"))[
        EVIDENCE_ITEMS["dose-monitoring"]
    ]
    assert row.startswith("| ❌ |"), row
    assert f"(dose audit): {DOSE_TEXT}" in row


def test_without_evidence_the_documents_are_unchanged(tmp_path):
    empty = write(tmp_path, "empty.json", AuditResult("headers"))
    plain = docs(tmp_path, "plain")
    with_empty = docs(tmp_path, "empty", empty)
    for name in ("architecture.md", "architecture.html"):
        assert (plain / name).read_bytes() == (with_empty / name).read_bytes()
    page = (plain / "architecture.html").read_text("utf-8")
    assert "Measured doses" not in page and "diagram dose" not in page
    assert "measured 20" not in (plain / "architecture.md").read_text("utf-8")


def test_same_evidence_same_bytes_and_check_compares_with_it(tmp_path):
    traffic = write(tmp_path, "traffic.json", traffic_result())
    dose = write(tmp_path, "dose.json", dose_result())
    one = docs(tmp_path, "one", traffic, dose)
    two = docs(tmp_path, "two", traffic, dose)
    for name in ("architecture.md", "architecture.html"):
        assert (one / name).read_bytes() == (two / name).read_bytes()
    common = ("docs", str(EXAMPLE), "-o", str(one), "--check", "--today", TODAY)
    assert run(*common, "--evidence", traffic, "--evidence", dose).exit_code == 0
    stale = run(*common)  # the documents were made with evidence: without it they differ
    assert stale.exit_code == 1 and "out of date" in stale.output


# --- the dose section and its chart -----------------------------------------------------


def _series(**changes) -> DoseSeries:
    fields = {
        "exam": "CT chest",
        "metric": "DLP",
        "unit": "mGy·cm",
        "drl": 100.0,
        "values_sorted": (10.0, 20.0, 40.0, 40.0, 80.0),
        "median": 40.0,
        "p75": 40.0,
        "n": 5,
        "measured": MEASURED,
        "path": "dose.json",
    }
    fields.update(changes)
    return DoseSeries(**fields)


def test_the_dose_axis_is_round_with_room_past_the_largest_value():
    assert svg.dose_axis(100) == (125, 25)  # 105 needs a step of 25: 0, 25, ... 125
    assert svg.dose_axis(57) == (60, 20)
    assert svg.dose_axis(3.2) == (4.0, 1.0)
    assert svg.dose_axis(0) == (1.0, 0.25)


def test_the_chart_is_svg_with_the_drl_line_where_the_scale_puts_it():
    chart = str(svg.dose_chart(_series()))
    root = ET.fromstring(chart)
    assert root.tag == f"{SVG}svg" and "dose" in root.get("class")
    lines = {line.get("class"): line for line in root.iter(f"{SVG}line") if line.get("class")}
    # the axis runs to 125: the DRL 100 sits 4/5 along the 480 px plot that starts at 60
    assert lines["drl"].get("x1") == lines["drl"].get("x2") == "444"
    assert lines["median"].get("x1") == "213.6"  # 60 + 480 * 40 / 125
    assert lines["drl"].get("stroke") == "#b91c1c"
    title = root.find(f"{SVG}title").text
    assert title.startswith("CT chest: DLP of 5 studies, median 40 mGy·cm")
    assert "DRL 100 mGy·cm" in title and "measured 2026-11-29" in title
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "DRL 100 mGy·cm" in texts and "median 40" in texts
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    counts = sorted(int(r.find(f"{SVG}title").text.split(": ")[1].split()[0]) for r in bars)
    assert counts == [1, 1, 1, 2]  # 10, 20, 80 alone; the two 40s share a bin
    assert "<script" not in chart


def test_the_chart_escapes_names_and_shows_a_missing_drl():
    chart = str(svg.dose_chart(_series(exam="<script>x</script> & co", drl=None)))
    root = ET.fromstring(chart)  # still well-formed
    assert "<script>" not in chart and "&lt;script&gt;x&lt;/script&gt; &amp; co" in chart
    assert "drl" not in {line.get("class") for line in root.iter(f"{SVG}line")}
    assert "no DRL declared" in root.find(f"{SVG}title").text
    assert str(svg.dose_chart(_series(values_sorted=(), n=0))) == ""


def test_the_dose_section_lists_and_charts_the_measured_doses(tmp_path):
    above = dose_series(exam="CT chest with contrast", drl=12, median=14.0, p75=15.5)
    out = docs(tmp_path, "out", write(tmp_path, "dose.json", dose_result(dose_series(), above)))
    markdown = (out / "architecture.md").read_text("utf-8")
    assert "### Measured doses" in markdown
    assert (
        "| CT chest with contrast | CTDIvol (mGy) | 42 | 14 | 15.5 | 12 | **median above the DRL** "
        "| 2026-11-29 |" in markdown
    )
    assert (
        "| CT head without contrast | CTDIvol (mGy) | 42 | 30 | 35 | 57 | median within the DRL"
        in markdown
    )
    page = (out / "architecture.html").read_text("utf-8")
    charts = re.findall(r'<svg class="diagram dose".*?</svg>', page, re.S)
    assert len(charts) == 2
    for chart in charts:
        ET.fromstring(chart)


@pytest.mark.peers
def test_the_dose_chart_renders_in_chromium(tmp_path):
    from .test_docs_browser import _chromium, measure

    chromium = _chromium()
    out = docs(tmp_path, "out", write(tmp_path, "dose.json", dose_result()))
    result, requests = measure(chromium, out, tmp_path)
    classes = [s["cls"] for s in result["svgs"]]
    assert classes == ["diagram topology", "diagram capacity", "diagram dose"]
    dose = result["svgs"][2]
    assert dose["width"] >= 500 and dose["height"] >= 150 and dose["children"] > 20, dose
    assert result["scripts"] == 0 and result["overflow"] <= 0
    assert sorted(set(requests)) == ["/architecture.html", "/wrapper.html"], requests


# --- end to end: an audit's evidence in the documents ------------------------------------


def test_a_dose_audits_evidence_flips_its_item_and_charts_its_exams(tmp_path):
    """`imgpolicy audit dose ENV FOLDER --evidence F`, then `imgpolicy docs ENV --evidence
    F`: the seeded month (tests/test_audit_dose.py) has CT abdomen-pelvis's median above
    its DRL, so dose monitoring is "not met" and that exam's row says so."""
    from . import rdsr_data
    from .test_audit_dose import ENV, _seeded

    env = tmp_path / "env"
    env.mkdir()
    (env / "environment.yaml").write_text(ENV, encoding="utf-8")
    folder = tmp_path / "reports"
    folder.mkdir()
    for dataset in _seeded():
        rdsr_data.write(folder, dataset)
    evidence = tmp_path / "dose.json"
    audited = run("audit", "dose", str(env), str(folder), "--today", "2026-11-29",
                  "--evidence", str(evidence))  # fmt: skip
    assert audited.exit_code == 0, audited.output + audited.stderr
    written = json.loads(evidence.read_text("utf-8"))
    series = written["data"]["dose"]
    (figure,) = written["figures"]
    assert (figure["item"], figure["met"]) == ("dose-monitoring", False)
    out = docs(tmp_path, "out", str(evidence), env=env)
    markdown = (out / "architecture.md").read_text("utf-8")
    row = checklist_rows(markdown)[EVIDENCE_ITEMS["dose-monitoring"]]
    # not met twice over: the measured median, and this small environment's DOSE findings
    assert row.startswith("| ❌ |")
    assert f"measured 2026-11-29 (dose audit): {figure['text']}" in html.unescape(row)
    above = [line for line in markdown.splitlines() if "**median above the DRL**" in line]
    assert len(above) == 1 and above[0].startswith("| CT abdomen-pelvis | CTDIvol (mGy) | 20 |")
    page = (out / "architecture.html").read_text("utf-8")
    charts = re.findall(r'<svg class="diagram dose".*?</svg>', page, re.S)
    assert len(charts) == sum(1 for s in series if s["values_sorted"]) >= 3
    for chart in charts:
        ET.fromstring(chart)
