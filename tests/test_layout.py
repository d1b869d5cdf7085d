"""The folder layout is the architecture (ARCHITECTURE.md): `analysis/` sits below
`rules/` and `docs/`, and neither the documents nor the output formats import a rule
module, so what a rule decides is computed where both can reuse it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "imgpolicy"


def imported(path: Path) -> set[str]:
    """The imgpolicy modules a file imports, as dotted names relative to the package."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = path.relative_to(PACKAGE).with_suffix("").parts[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(here[: len(here) - node.level + 1])
            target = [*base, *(node.module.split(".") if node.module else [])]
            if node.module is None:
                found.update(".".join([*target, a.name]) for a in node.names)
            else:
                found.add(".".join(target))
                found.update(".".join([*target, a.name]) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("imgpolicy."):
            found.add(node.module.removeprefix("imgpolicy."))
    return found


RULE_MODULES = {p.stem for p in (PACKAGE / "rules").glob("*.py")} - {
    "__init__",
    "registry",
}


@pytest.mark.parametrize(
    "path",
    sorted([*(PACKAGE / "docs").glob("*.py"), *(PACKAGE / "report").glob("*.py")]),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_documents_and_formats_import_no_rule_module(path):
    rule_imports = {m for m in imported(path) if m.startswith("rules.")}
    assert not {m for m in rule_imports if m.split(".")[1] in RULE_MODULES}, rule_imports


@pytest.mark.parametrize(
    "path", sorted((PACKAGE / "audit").rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_audits_judge_with_the_analysis_not_with_rule_modules(path):
    """An audit reuses what the rules know through `analysis/` (character repertoires,
    reach), never a rule module's private helpers."""
    above = {m for m in imported(path) if m.split(".")[0] in ("rules", "docs", "engine")}
    assert not above, above


@pytest.mark.parametrize("path", sorted((PACKAGE / "analysis").glob("*.py")), ids=lambda p: p.name)
def test_the_analysis_layer_imports_neither_rules_nor_docs(path):
    above = {m for m in imported(path) if m.split(".")[0] in ("rules", "docs", "report")}
    assert not above, above


def test_the_rules_folder_holds_only_rules_and_their_plumbing():
    plumbing = {"__init__", "base", "registry", "common"}
    from imgpolicy.catalogue import families

    family_modules = {p.stem for p in (PACKAGE / "rules").glob("*.py")} - plumbing
    import importlib

    for name in family_modules:
        module = importlib.import_module(f"imgpolicy.rules.{name}")
        from imgpolicy.rules.base import Rule

        rules = [v for v in vars(module).values() if isinstance(v, type) and issubclass(v, Rule)]
        assert rules, f"rules/{name}.py holds no rule: move it to analysis/"
    assert {f.prefix for f in families().values() if f.kind == "rule"}
