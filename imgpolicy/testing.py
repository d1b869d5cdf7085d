"""A pytest helper for plugin rules: run a rule's `Bad:` and `Good:` docstring examples
the way the shipped rules' are run (tests/test_rule_examples.py).

    from imgpolicy.testing import assert_examples

    def test_examples(tmp_path):
        assert_examples(MyRule, tmp_path)
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from .config import Config
from .engine import check
from .findings import Finding
from .rules.base import Rule

TODAY = date(2026, 11, 28)


def run_example(rule: type[Rule], which: str, folder: Path, today: date = TODAY) -> list[Finding]:
    """The findings of `rule` alone on its `which` ("Bad" or "Good") example, written as
    an environment file in `folder`; an example that does not load cleanly fails."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "env.yaml").write_text(rule.example(which), encoding="utf-8")
    config = Config(select=[rule.code], extensions=[rule], origins={rule.code: "plugin"})
    result = check([str(folder)], config, today=today)
    assert not result.failures, "; ".join(result.failures)
    assert result.load.findings == [], f"{rule.code}: the {which} example does not load cleanly"
    return [f for f in result.active if f.code == rule.code]


def assert_examples(rule: type[Rule], folder: Path, today: date = TODAY) -> None:
    """`Bad:` triggers `rule`, `Good:` does not."""
    for title in ("What", "Bad", "Good"):
        assert rule.sections().get(title), f"{rule.code} has no {title}: section"
    assert run_example(rule, "Bad", folder / "bad", today), f"{rule.code}: Bad finds nothing"
    good = run_example(rule, "Good", folder / "good", today)
    assert good == [], f"{rule.code}: Good finds {[f.message for f in good]}"
