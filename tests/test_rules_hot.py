"""The rules' hot spots at benchmark scale (issue 15): work asked once per distinct thing,
not once per AE or route, and nothing looked up for a finding that is not made.

No clocks: work is counted on the benchmark generator's clean environment at two sizes,
four times apart. Work done once per distinct SOP class or capability list stays flat
while the estate grows; per-AE or per-route work would grow about 4x.
"""

from __future__ import annotations

import contextvars
import datetime

import pytest

from imgpolicy import dicom
from imgpolicy.analysis import index as index_module
from imgpolicy.analysis.index import Index
from imgpolicy.config import Config
from imgpolicy.engine import configured_rules
from imgpolicy.load import load_environment

from .conftest import generated

TODAY = datetime.date(2026, 11, 1)
SIZES = {1: dict(sites=2, aes=100, routes=400), 4: dict(sites=8, aes=400, routes=1600)}


@pytest.fixture(scope="module")
def estates(tmp_path_factory):
    """The generated (clean) environment at both sizes, loaded once."""
    loads = {}
    for scale, size in SIZES.items():
        folder = generated(tmp_path_factory, f"hot{scale}x", **size)
        loads[scale] = load_environment([str(folder)])
        assert not loads[scale].findings
    return loads


def test_a_clean_check_looks_up_no_position(estates, monkeypatch):
    """A rule that finds nothing reads no file:line:col (each is a scan of the file's
    events): DOSE006 and DOSE003 used to look theirs up before deciding."""
    result = estates[4]
    asked: list[tuple] = []
    kind = type(result)

    def counting(real):
        def located(self, *args):
            asked.append(args)
            return real(self, *args)

        return located

    monkeypatch.setattr(kind, "location", counting(kind.location))
    monkeypatch.setattr(kind, "location_of", counting(kind.location_of))
    index = Index(result, TODAY)
    findings = [f for rule in configured_rules(Config()) for f in rule.check(index)]
    assert findings == []
    assert index.acquisition_modalities.get("CT") and index.env.dose_monitor  # both rules run
    assert asked == []


def _storage_questions(result, monkeypatch) -> int:
    """How often the flow analysis asks whether a SOP class is a storage class."""
    calls = 0
    real = index_module.is_storage

    def counted(uid: str) -> bool:
        nonlocal calls
        calls += 1
        return real(uid)

    monkeypatch.setattr(index_module, "is_storage", counted)
    assert Index(result, TODAY).flow is not None
    return calls


def test_storage_classes_are_judged_once_per_class(estates, monkeypatch):
    """Every AE lists the same few classes: judging each class once keeps the count flat
    (it was once per class per AE: 4x for 4x the estate)."""
    small = _storage_questions(estates[1], monkeypatch)
    big = _storage_questions(estates[4], monkeypatch)
    assert small > 0
    assert big <= small * 1.5, (small, big)


def _keyword_sorts(result, monkeypatch) -> tuple[int, int]:
    """(keywords looked up to order every route's carried classes, routes carrying any)."""
    calls = 0
    real = index_module.keyword

    def counted(uid: str) -> str:
        nonlocal calls
        calls += 1
        return real(uid)

    index = Index(result, TODAY)
    assert index.flow is not None
    monkeypatch.setattr(index_module, "keyword", counted)
    carrying = sum(1 for route in index.env.routes if index.carried_classes(route))
    return calls, carrying


def test_carried_classes_are_sorted_once_per_distinct_set(estates, monkeypatch):
    """RT002, RT003 and RT004 walk each route's classes in keyword order: sorted once per
    distinct set of classes, so the keyword lookups do not grow with the routes."""
    small, small_routes = _keyword_sorts(estates[1], monkeypatch)
    big, big_routes = _keyword_sorts(estates[4], monkeypatch)
    assert big_routes >= 3 * small_routes  # the routes did grow
    assert small > 0 and big <= small * 1.5, (small, big)


def test_carried_classes_match_the_flow_in_keyword_order(estates):
    """The shared, sorted list says exactly what the flow says each route carries."""
    index = Index(estates[1], TODAY)
    for route in index.env.routes:
        expected = sorted({sop for _, sop in index.flow.carries(route)}, key=index_module.keyword)
        assert index.carried_classes(route) == expected


def test_lookup_answers_follow_the_private_declarations():
    """`lookup` remembers its answers per declaration of private UIDs: a UID unknown
    before a declaration is known after it, and unknown again once it is withdrawn."""

    def scenario() -> list[str | None]:
        uid = "1.2.826.0.1.3680043.9.7777.1"
        seen = []
        for declared in (
            [],
            [dicom.UidInfo(uid, "Acme Storage", "SOP Class", "AcmeStorage", False, True)],
            [],
        ):
            dicom.declare_private((info, False) for info in declared)
            for text in (uid, " AcmeStorage", uid):
                info = dicom.lookup(text)
                seen.append(info.keyword if info else None)
        return seen

    seen = contextvars.copy_context().run(scenario)  # the declarations stay in that context
    assert seen == [None] * 3 + ["AcmeStorage"] * 3 + [None] * 3
    ct = dicom.lookup("CTImageStorage")
    assert ct is not None and ct.uid == "1.2.840.10008.5.1.4.1.1.2"
