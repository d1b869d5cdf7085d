"""The compliance checklist is honest: "met" only where the rules establish the item.

An auditor reads a ticked item as evidence. The table below is the reviewed decision for
every item of the practice guide's Checkpoint B and Quality Audit lists; the tests hold the
checklist (imgpolicy/docs/checklist.py) and the rendered documents to it.
"""

from __future__ import annotations

import shutil
from datetime import date

import pytest

from imgpolicy.config import Config
from imgpolicy.docs.checklist import LISTS, Item
from imgpolicy.docs.render import build_view
from imgpolicy.engine import check
from imgpolicy.rules.registry import all_rules

from .conftest import EXAMPLES, run

EXAMPLE = EXAMPLES / "regional-health"
TODAY = date(2026, 11, 28)

# Item (start of its text) -> the most a static check of the files can establish.
# "full" only where the item asks for something the files record and a rule compares
# (a test date, a capacity projection); everything that is a live test, a measurement or a
# document elsewhere is at most "partial"; "none" where no rule looks at it at all.
EXPECTED = {
    # Checkpoint B
    "All DICOM routing rules are tested": "partial",  # tested = studies sent
    "Modality Worklist delivery is verified": "partial",  # verified = a query answered
    "DICOM metadata quality meets": "partial",  # a rate, measured; PID rules the plumbing
    "VNA migration preserves": "none",  # a migration reconciliation
    "EHR-PACS integration launches correctly": "partial",  # the launch is live
    "AI integration delivers results within": "partial",  # latency is not modelled
    "Dose monitoring is operational": "partial",  # operational = running
    "Disaster recovery and failover procedures": "partial",  # procedures are documents
    "Non-radiology imaging departments": "partial",  # scope is a decision
    "DICOM transfer performance meets": "none",  # throughput, measured
    "Imaging disaster recovery has been tested within": "full",  # DR004 on the test date
    # Quality Audit
    "DICOM conformance statements are on file": "partial",  # named, not on file
    "AE title inventory is current and matches": "partial",  # matching = live
    "Imaging AI products have documented FDA": "partial",  # indications are a letter
    "MQSA compliance documentation is current": "partial",  # QC, personnel, audit
    "Radiation dose monitoring is active": "partial",  # active = running
    "Image retention policies comply": "partial",  # periods are a legal reading
    "Study routing error rate is measured": "none",  # a rate, measured
    "Turnaround time metrics are tracked": "partial",  # tracking is in the RIS
    "Enterprise imaging architecture documentation": "document",  # this document
    "AI results are documented in a standardized": "none",  # report content
    "Non-radiology imaging workflows are validated": "none",  # validation with departments
    "Storage capacity projections account": "full",  # ST001's projection
    "Critical exam notification workflow": "none",  # not modelled
}

# The over-claims a clinical review found when every item with a rule was ticked.
OVER_CLAIMS = (
    "EHR-PACS integration launches correctly from the patient chart",
    "AI integration delivers results within defined latency targets",
    "MQSA compliance documentation is current for mammography programs",
    "Dose monitoring is operational with DRL alerts configured",
    "Modality Worklist delivery is verified for all modalities",
)


def _items() -> list[Item]:
    return [item for _, items in LISTS for item in items]


def _expected(item: Item) -> str:
    [coverage] = [c for start, c in EXPECTED.items() if item.text.startswith(start)]
    return coverage


def _rows(view) -> dict[str, dict]:
    return {row["text"]: row for list_ in view["checklist"]["lists"] for row in list_["entries"]}


@pytest.fixture(scope="module")
def example_view():
    result = check([str(EXAMPLE)], Config(), today=TODAY)
    assert result.rules_ran and not result.active
    return build_view(result, root=str(EXAMPLE), today=TODAY)


def test_every_item_has_a_reviewed_coverage():
    assert len(_items()) == len(EXPECTED) == 24
    for item in _items():
        assert item.coverage == _expected(item), item.text
        assert item.why, item.text


@pytest.mark.parametrize("item", _items(), ids=lambda i: i.text[:40])
def test_an_item_claims_no_more_than_its_rules(item: Item):
    rules = all_rules()
    assert set(item.codes) <= set(rules), item.text
    if item.coverage in ("full", "partial"):
        assert item.codes and item.checked
    else:
        assert not item.codes
    if item.coverage in ("partial", "none"):
        assert item.outside, "say what evidence lies outside the files"
    else:
        assert not item.outside


@pytest.mark.parametrize(
    "fields",
    [
        {"coverage": "full"},  # met with no rule
        {"coverage": "full", "codes": ("DR004",)},  # met without saying what is checked
        {"coverage": "partial", "codes": ("DR004",), "checked": "x"},  # no outside evidence
        {"coverage": "full", "codes": ("DR004",), "checked": "x", "outside": "a report"},
        {"coverage": "none", "codes": ("DR004",), "outside": "x"},
        {"coverage": "none"},  # not checked, without saying what would check it
    ],
)
def test_an_item_that_would_over_claim_is_refused(fields):
    with pytest.raises(ValueError):
        Item("An item", why="because", **fields)


def test_met_only_where_the_rules_establish_the_item(example_view):
    """On a clean environment (every rule passes) the statuses follow the coverage alone."""
    by_coverage = {"full": "met", "document": "met", "partial": "partly", "none": None}
    rows = _rows(example_view)
    for item in _items():
        row = rows[item.text]
        expected = by_coverage[item.coverage] or "not-checked-here"
        assert row["status"] == expected, item.text
        if row["status"] == "partly":
            assert row["label"] == f"partly: {item.checked}"
    assert [t for t, r in rows.items() if r["status"] == "met"] == [
        i.text for i in _items() if i.coverage in ("full", "document")
    ]


def test_the_reviewed_over_claims_are_partly(example_view):
    rows = _rows(example_view)
    for text in OVER_CLAIMS:
        assert rows[text]["status"] == "partly", text
        assert rows[text]["label"].startswith("partly: "), text
        assert rows[text]["outside"], text


def test_the_three_states_read_differently(tmp_path):
    out = tmp_path / "out"
    result = run("docs", str(EXAMPLE), "-o", str(out), "--today", TODAY.isoformat())
    assert result.exit_code == 0, result.output
    md = (out / "architecture.md").read_text(encoding="utf-8")
    lines = {
        line.split(" | ")[1]: line
        for line in md.splitlines()
        if line.startswith("| ") and line.count(" | ") >= 4
    }
    # no green tick for a partial item: each state has its own mark and word
    assert lines[OVER_CLAIMS[0]].startswith("| ◐ | ") and "| partly: " in lines[OVER_CLAIMS[0]]
    tested = "Imaging disaster recovery has been tested within the last 12 months"
    assert lines[tested].startswith("| ✅ | ") and "| met: " in lines[tested]
    routing_rate = next(t for t in lines if t.startswith("Study routing error rate"))
    assert (
        lines[routing_rate].startswith("| ⬜ | ") and "| not checked here |" in lines[routing_rate]
    )
    html = (out / "architecture.html").read_text(encoding="utf-8")
    row = html[html.index(f"<tr><td>{OVER_CLAIMS[0]}") :]
    row = row[: row.index("</tr>")]
    assert '<span class="status partly">partly</span>' in row and "status met" not in row
    assert ".status.partly" in html and ".status.not-checked-here" in html


@pytest.mark.parametrize(
    ("rule", "option", "value", "item"),
    [
        ("DR004", "max_age", "24mo", "Imaging disaster recovery has been tested within"),
        ("ST001", "horizon", "1y", "Storage capacity projections account"),
    ],
)
def test_a_rule_configured_looser_than_the_item_only_partly_establishes_it(
    tmp_path, rule, option, value, item
):
    shutil.copytree(EXAMPLE, tmp_path / "env")
    config = Config(rules={rule: {option: value}})
    result = check([str(tmp_path / "env")], config, today=TODAY)
    view = build_view(result, root=str(tmp_path / "env"), today=TODAY, config=config)
    [row] = [r for t, r in _rows(view).items() if t.startswith(item)]
    assert row["status"] == "partly"
    assert row["label"].endswith(f"({rule} configured with {option} {value})")
    strict = Config(rules={rule: {option: "12mo" if option == "max_age" else "3y"}})
    result = check([str(tmp_path / "env")], strict, today=TODAY)
    view = build_view(result, root=str(tmp_path / "env"), today=TODAY, config=strict)
    [row] = [r for t, r in _rows(view).items() if t.startswith(item)]
    assert row["status"] == "met"


def test_open_findings_make_a_partial_item_not_met(tmp_path):
    shutil.copytree(EXAMPLE, tmp_path / "env")
    worklist = tmp_path / "env" / "worklist.yaml"
    text = worklist.read_text(encoding="utf-8")
    # drop the worklist entries: order-based modalities lose their provider (WL001)
    head = text[: text.index("\nworklist:") + 1]
    worklist.write_text(head + "worklist: []\n", encoding="utf-8")
    result = check([str(tmp_path / "env")], Config(), today=TODAY)
    assert any(f.code == "WL001" for f in result.active)
    view = build_view(result, root=str(tmp_path / "env"), today=TODAY)
    row = _rows(view)["Modality Worklist delivery is verified for all modalities"]
    assert row["status"] == "not-met" and row["label"] == "not met"
    assert any(f["code"] == "WL001" for f in row["findings"])
