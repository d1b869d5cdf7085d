"""Every rule's docstring is complete, and its Bad/Good examples behave as documented."""

from __future__ import annotations

import re
from datetime import date

import pytest

from imgpolicy.catalogue import RULE, families
from imgpolicy.config import Config
from imgpolicy.engine import check
from imgpolicy.rules.registry import all_rules

RULES = all_rules()
TODAY = date(2026, 11, 28)


def run_example(tmp_path, rule, which):
    (tmp_path / "env.yaml").write_text(rule.example(which), encoding="utf-8")
    result = check([str(tmp_path)], Config(select=[rule.code]), today=TODAY)
    assert result.load.findings == [], f"{which} example does not load cleanly"
    return result.active


@pytest.mark.parametrize("code", RULES)
def test_rule_is_documented(code):
    rule = RULES[code]
    assert re.fullmatch(r"[A-Z]+\d{3}", code)
    assert families()[code.rstrip("0123456789")].kind == RULE
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", rule.name)
    sections = rule.sections()
    for title in ("What", "Why", "Bad", "Good"):
        assert sections.get(title), f"{code} has no {title}: section"
    assert rule.summary().endswith(".")
    for option in rule.options:
        assert option in sections.get("Options", ""), f"{code} does not document {option}"


@pytest.mark.parametrize("code", RULES)
def test_bad_example_triggers_the_rule(tmp_path, code):
    found = run_example(tmp_path, RULES[code], "Bad")
    assert {f.code for f in found} == {code}
    assert all(f.location and f.location.path.endswith("env.yaml") for f in found)


@pytest.mark.parametrize("code", RULES)
def test_good_example_does_not(tmp_path, code):
    assert run_example(tmp_path, RULES[code], "Good") == []


def test_names_are_unique():
    names = [r.name for r in RULES.values()]
    assert len(names) == len(set(names))
