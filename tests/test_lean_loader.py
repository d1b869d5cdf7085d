"""The lean loader (issue 15, memory): environment files load as plain data, and a file's
positions are made only when a finding first needs a line and column in it, by a partial
scan of its text for one location or by parsing it again for the whole tree."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from imgpolicy.load import cache, files, yaml12
from imgpolicy.load.files import LazyPositions, locate, read_source
from imgpolicy.load.yaml12 import YAMLLoadError, load_data, load_documents, locate_path
from imgpolicy.model.devices import TransferCapability

from .conftest import EXAMPLES, run
from .test_fuzz import FUZZ
from .test_fuzz import text as any_text

TODAY = "2026-11-28"


def _trees_built(monkeypatch) -> list[str]:
    """The texts whose position tree the environment loader builds from now on (the one
    builder it uses for them: `files.load_documents`)."""
    built: list[str] = []
    real = files.load_documents

    def spy(text: str, **options: Any):
        built.append(text)
        return real(text, **options)

    monkeypatch.setattr(files, "load_documents", spy)
    return built


def _names_of(texts: list[str], env: Path) -> set[str]:
    by_text = {p.read_text(encoding="utf-8"): p.name for p in env.rglob("*.yaml")}
    return {by_text.get(t, "?") for t in texts}


# --- a clean check builds no tree --------------------------------------------------------


def test_a_clean_check_builds_no_position_tree(monkeypatch):
    """Before the lean loader every file's tree was built; now none is: a rule asks for a
    location only when it reports (WL004 used to prepare one for every worklist consumer)."""
    built = _trees_built(monkeypatch)
    result = run("check", str(EXAMPLES / "regional-health"), "--no-cache", "--today", TODAY)
    assert result.exit_code == 0 and "No problems found" in result.output
    assert _names_of(built, EXAMPLES / "regional-health") == set()


def test_a_finding_is_located_exactly_as_from_the_whole_tree(monkeypatch):
    """The seeded faults report the same file:line:col whether locations come from partial
    scans and late trees, or from each file's whole tree built at once (the old loader)."""
    env = str(EXAMPLES / "seeded-faults")
    lean = run("check", env, "--no-cache", "--today", TODAY, "--format", "json")
    monkeypatch.setattr(LazyPositions, "locate", lambda self, loc: None)
    monkeypatch.setattr(files, "load_data", _whole_tree_data)
    whole = run("check", env, "--no-cache", "--today", TODAY, "--format", "json")
    assert lean.exit_code == whole.exit_code == 1
    assert lean.output == whole.output
    assert any(f["location"]["line"] > 1 for f in json.loads(lean.output)["findings"])


def _whole_tree_data(text: str, keys: set | None = None) -> list:
    """`load_data` as the old loader did it: every node's position built, then dropped."""
    data = [d.data for d in load_documents(text)]
    if keys is not None:
        yaml12.mapping_keys(data, keys)
    return data


# --- a location without the tree ---------------------------------------------------------


def _paths(data: Any, loc: tuple = ()):
    """Every path into `data`, and one step past each collection (a missing key or item,
    which locates at the collection itself)."""
    yield loc
    if isinstance(data, dict):
        yield (*loc, "no-such-key")
        for key, value in data.items():
            yield from _paths(value, (*loc, key))
    elif isinstance(data, list):
        yield (*loc, len(data))
        yield (*loc, "not-an-index")
        for i, value in enumerate(data):
            yield from _paths(value, (*loc, i))
    else:
        yield (*loc, "below-a-scalar")


@pytest.mark.parametrize(
    "path",
    sorted((EXAMPLES / "regional-health").glob("*.yaml")),
    ids=lambda p: p.name,
)
def test_a_partial_scan_locates_every_node_as_the_tree_does(path: Path):
    text = path.read_text(encoding="utf-8")
    tree = load_documents(text)[0].pos
    data = load_data(text)[0]
    aliased = "*" in text or "<<" in text
    answered = 0
    for loc in _paths(data):
        found = locate_path(text, loc)
        assert found == locate(tree, loc) or (found is None and aliased), loc
        answered += found is not None
    assert answered > 0


def test_a_partial_scan_leaves_aliases_and_merges_to_the_tree():
    text = "imgpolicy: 1\nbase: &b {x: 1}\none: *b\nm:\n  <<: *b\n  y: 2\nlast: [3]\n"
    tree = load_documents(text)[0].pos
    assert locate_path(text, ("one", "x")) is None  # an alias: its node is the anchor's
    assert locate_path(text, ("m", "x")) is None  # a merge: the key is in the anchor
    assert locate_path(text, ("base", "x")) == locate(tree, ("base", "x"))
    assert locate_path(text, ("last", 0)) == locate(tree, ("last", 0))  # not on the way


def test_many_lookups_in_one_file_build_its_tree_once(tmp_path: Path):
    """Partial scans read at most a few times the file; then the tree answers."""
    items = "".join(f"  - item-{i}\n" for i in range(200))
    (tmp_path / "a.yaml").write_text(f"imgpolicy: 1\nlist:\n{items}")
    source = read_source(str(tmp_path / "a.yaml"))
    assert source is not None and isinstance(source.pos, LazyPositions)
    tree = load_documents(source.text)[0].pos
    assert locate(source.pos, ("list", 0)) == locate(tree, ("list", 0))
    assert not source.pos.built
    for i in range(200):
        assert locate(source.pos, ("list", i)) == locate(tree, ("list", i))
    assert source.pos.built


# --- the lean builder and the positioned one agree ---------------------------------------


@FUZZ
@given(source=any_text, ignore=st.booleans(), max_depth=st.sampled_from([3, 100]))
def test_lean_data_and_errors_are_those_of_the_positioned_build(source, ignore, max_depth):
    options: dict[str, Any] = {
        "unknown_tags": "ignore" if ignore else "error",
        "max_nodes": 1000,
        "max_depth": max_depth,
    }
    try:
        whole = [d.data for d in load_documents(source, **options)]
    except YAMLLoadError as err:
        with pytest.raises(YAMLLoadError) as lean:
            load_data(source, **options)
        assert (lean.value.code, lean.value.line, lean.value.column, lean.value.message) == (
            err.code,
            err.line,
            err.column,
            err.message,
        )
    else:
        keys: set = set()
        assert repr(load_data(source, **options, keys=keys)) == repr(whole)
        walked: set = set()
        yaml12.mapping_keys(whole, walked)
        same = {k for k in keys if k == k} == {k for k in walked if k == k}  # NaN != NaN
        assert same  # the keys the redactor judges a file by (redact.py)


def test_equal_scalars_share_one_object():
    first, second = load_data("- {sop_class: '1.2.840.10008.1.1', port: 11112}\n" * 2)[0]
    assert first["sop_class"] is second["sop_class"] and first["port"] is second["port"]
    assert next(iter(first)) is next(iter(second))


# --- the parse cache keeps positions once made -------------------------------------------


def test_positions_made_once_are_kept_in_the_cache(tmp_path: Path, monkeypatch):
    """A file whose tree a run had to build (here: partial scans allowed no reading at
    all) keeps it in its cache entry, and the next run reads it back."""
    env = tmp_path / "seeded-faults"
    shutil.copytree(EXAMPLES / "seeded-faults", env, ignore=shutil.ignore_patterns(".*"))
    with monkeypatch.context() as first_run:
        first_run.setattr(files.LazyPositions, "SCANS_BEFORE_TREE", -1)
        built_cold = _trees_built(first_run)
        cold = run("check", str(env), "--today", TODAY, "--format", "json")
    assert built_cold  # the findings' files had their trees built
    built = _trees_built(monkeypatch)
    warm = run("check", str(env), "--today", TODAY, "--format", "json")
    assert warm.output == cold.output and cold.exit_code == warm.exit_code == 1
    assert built == []  # the trees made by the first run were read back from the entries
    with_positions = [
        e
        for e in (env / cache.FOLDER_NAME).glob("*/*")
        if cache._HEADER.unpack_from(e.read_bytes())[4] < len(e.read_bytes()) - cache._HEADER.size
    ]
    assert with_positions


# --- models share what they can -----------------------------------------------------------


def test_models_setting_the_same_fields_share_one_set_and_stay_apart():
    data = {
        "sop_class": "Verification",
        "role": "SCP",
        "transfer_syntaxes": ["ImplicitVRLittleEndian"],
    }
    one = TransferCapability.model_validate(data)
    two = TransferCapability.model_validate(dict(data))
    assert one.__pydantic_fields_set__ is two.__pydantic_fields_set__
    copy = one.model_copy(update={"role": "SCU"})
    assert copy.role == "SCU" and one.role == "SCP" and one.model_fields_set == set(data)
