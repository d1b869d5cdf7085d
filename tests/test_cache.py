"""The cache of parsed files (imgpolicy/load/cache.py): the same output with and without it
on every example and test environment, and nothing untrustworthy ever read from it."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from imgpolicy.load import cache
from imgpolicy.load.files import read_source
from imgpolicy.load.yaml12 import MapPos, load_documents

from .conftest import EXAMPLES, ROOT, run

TODAY = "2026-11-28"
IMGPOLICY = [sys.executable, "-c", "from imgpolicy.cli import run; run()"]


def _environments() -> list[Path]:
    """Every example and test environment: a folder of examples/, examples/broken/,
    tests/corpus/*/ and tests/data*/ that holds a YAML file marked `imgpolicy:`."""
    folders = [
        *EXAMPLES.iterdir(),
        *(EXAMPLES / "broken").iterdir(),
        *(p for corpus in (ROOT / "tests" / "corpus").iterdir() for p in corpus.iterdir()),
        *(p for data in (ROOT / "tests").glob("data*") for p in data.iterdir()),
    ]
    return sorted(f for f in folders if f.is_dir() and _holds_environment_files(f))


def _holds_environment_files(folder: Path) -> bool:
    for path in folder.rglob("*.y*ml"):
        if ".imgpolicy_cache" in path.parts or not path.is_file():
            continue
        if b"imgpolicy:" in path.read_bytes()[:4096]:
            return True
    return False


def _copy(source: Path, tmp_path: Path) -> Path:
    """A private copy (links kept as links), so the cache starts empty and the repository
    is left alone."""
    target = tmp_path / source.name
    shutil.copytree(source, target, symlinks=True, ignore=shutil.ignore_patterns(cache.FOLDER_NAME))
    return target


def _check(env: Path, *options: str):
    return run("check", str(env), "--today", TODAY, "-v", *options)


def _served(result) -> tuple[int, int] | None:
    """(files from the cache, files parsed) from the -v line, None when it has none."""
    for line in result.stderr.splitlines():
        if line.startswith("imgpolicy: cache: "):
            words = line.split()
            return int(words[2]), int(words[4])
    return None


ENVIRONMENTS = _environments()


def test_there_are_environments_of_every_kind():
    names = {p.parent.name for p in ENVIRONMENTS}
    assert {"examples", "broken", "normal-practice"} <= names
    assert len(ENVIRONMENTS) > 40


@pytest.mark.parametrize("source", ENVIRONMENTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_cached_output_is_byte_identical(source: Path, tmp_path: Path):
    """JSON and text, without the cache, then cold (filling it), then warm (reading it)."""
    env = _copy(source, tmp_path)
    outputs = {}
    for fmt in ("json", "text"):
        plain = _check(env, "--format", fmt, "--no-cache")
        assert plain.exception is None or isinstance(plain.exception, SystemExit)
        cold = _check(env, "--format", fmt)
        warm = _check(env, "--format", fmt)
        for result in (cold, warm):
            assert (result.stdout, result.exit_code) == (plain.stdout, plain.exit_code)
        outputs[fmt] = (plain, warm)
        assert _served(plain) is None
    parsed = _parsed_files(env)
    if parsed:  # the warm runs read back every file that parses (errors are not kept)
        assert _served(outputs["text"][1])[0] == parsed, outputs["text"][1].stderr
        assert _served(outputs["json"][1])[0] == parsed


def _parsed_files(env: Path) -> int:
    """How many files of `env` parse (the ones the cache keeps), found without it."""
    from imgpolicy.config import ConfigError, resolve_config
    from imgpolicy.load import load_environment

    try:
        exclusions = resolve_config(None, (str(env),)).exclusions()
    except ConfigError:
        return 0
    return len(load_environment([str(env)], exclusions).sources)


# --- the mechanism ------------------------------------------------------------------------

SMALL = EXAMPLES / "seeded-faults"


@pytest.fixture
def env(tmp_path: Path) -> Path:
    return _copy(SMALL, tmp_path)


def _members(env: Path) -> list[Path]:
    """The environment's own files (not the configuration, not the cache)."""
    return sorted(
        p
        for p in env.rglob("*.yaml")
        if not any(part.startswith(".") for part in p.relative_to(env).parts)
    )


def _entries(env: Path) -> list[Path]:
    """The parsed files' entries (not the model's validator: test_prebuilt_validator.py)."""
    return sorted(
        p
        for p in (env / cache.FOLDER_NAME).glob("*/*")
        if not p.name.startswith((".", "validator-"))
    )


def test_a_warm_run_reads_every_file_from_the_cache(env: Path):
    cold = _check(env)
    assert _served(cold) == (0, len(_entries(env))) and _entries(env)
    warm = _check(env)
    assert _served(warm) == (len(_entries(env)), len(_entries(env)))


def test_one_changed_file_is_parsed_again_and_the_rest_read(env: Path):
    plain_before = _check(env, "--no-cache")
    _check(env)
    changed = _members(env)[0]
    changed.write_text(changed.read_text() + "\n# reviewed\n")
    plain = _check(env, "--no-cache")
    warm = _check(env)
    hits, total = _served(warm)
    assert (hits, total) == (total - 1, total)
    assert warm.stdout == plain.stdout and plain.stdout == plain_before.stdout


def test_no_cache_neither_reads_nor_writes(env: Path):
    result = _check(env, "--no-cache")
    assert _served(result) is None
    assert not (env / cache.FOLDER_NAME).exists()


def test_the_folder_is_tagged_and_ignored_by_git(env: Path):
    if not shutil.which("git"):
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(env)], check=True)
    _check(env)
    folder = env / cache.FOLDER_NAME
    assert (
        (folder / "CACHEDIR.TAG")
        .read_text()
        .startswith("Signature: 8a477f597d28d172789f06886806bc55")
    )
    assert "*" in (folder / ".gitignore").read_text().split()
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert status and cache.FOLDER_NAME not in status


def test_the_folder_can_be_moved(env: Path, tmp_path: Path, monkeypatch):
    _check(env, "--cache-dir", str(tmp_path / "given"))
    assert list((tmp_path / "given").glob("*/*")) and not (env / cache.FOLDER_NAME).exists()
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "from-env"))
    _check(env)
    assert list((tmp_path / "from-env").glob("*/*"))
    monkeypatch.delenv(cache.ENV_VAR)
    config = env / ".imgpolicy.yaml"
    config.write_text("cache_dir: ../configured\n")
    _check(env)
    assert list((tmp_path / "configured").glob("*/*")) and not (env / cache.FOLDER_NAME).exists()


def test_an_existing_folder_is_not_marked_as_a_cache(env: Path):
    """`--cache-dir .` must not write a `.gitignore` of `*` into the environment."""
    _check(env, "--cache-dir", str(env))
    assert _served(_check(env, "--cache-dir", str(env)))[0] > 0
    assert not (env / ".gitignore").exists() and not (env / "CACHEDIR.TAG").exists()


def test_cache_dir_in_the_configuration_must_be_a_folder(env: Path):
    (env / ".imgpolicy.yaml").write_text("cache_dir: 3\n")
    result = _check(env)
    assert result.exit_code == 2 and "cache_dir must be a folder" in result.output


# --- entries that must not be trusted ----------------------------------------------------


def _forge(entry: Path, content: bytes) -> None:
    """Make `entry` (a good entry for other bytes) claim to be the parse of `content`,
    with a correct checksum: what someone who can write the folder could do."""
    blob = entry.read_bytes()
    magic, salt, _, _, size = cache._HEADER.unpack_from(blob)
    payload = blob[cache._HEADER.size :]
    checksum = hashlib.blake2b(payload, digest_size=cache._DIGEST).digest()
    digest = hashlib.sha256(content).digest()
    target = entry.parent / digest.hex()
    target.write_bytes(cache._HEADER.pack(magic, salt, digest, checksum, size) + payload)
    target.chmod(0o600)


def _two_files(env: Path) -> tuple[Path, Path]:
    """A file whose entry is planted over another file's (both with findings)."""
    files = _members(env)
    return files[0], files[1]


def _plant(env: Path) -> tuple[str, Path]:
    """Fill the cache, then plant file A's entry as the entry of file B's bytes; return the
    uncached output and B's entry."""
    plain = _check(env, "--no-cache", "--format", "json").stdout
    _check(env)
    a, b = _two_files(env)
    entry_a = next(e for e in _entries(env) if e.name == hashlib.sha256(a.read_bytes()).hexdigest())
    _forge(entry_a, b.read_bytes())
    return plain, entry_a.parent / hashlib.sha256(b.read_bytes()).hexdigest()


def test_a_planted_entry_in_a_safe_folder_is_read(env: Path):
    """The control for the tests below: a forged entry in a folder only we may write IS
    believed, so they show the folder and entry checks, not a check that cannot fail."""
    plain, _ = _plant(env)
    assert _check(env, "--format", "json").stdout != plain


def test_an_entry_writable_by_others_is_not_read(env: Path):
    plain, entry = _plant(env)
    entry.chmod(0o606)
    assert _check(env, "--format", "json").stdout == plain


def test_a_folder_writable_by_others_is_not_used(env: Path):
    plain, entry = _plant(env)
    entry.parent.chmod(0o707)
    result = _check(env, "--format", "json")
    assert result.stdout == plain
    assert _served(result) is None
    assert result.stderr.count("cache not used") == 1 and "writable by other users" in result.stderr
    (env / cache.FOLDER_NAME).chmod(0o777)
    entry.parent.chmod(0o700)
    again = _check(env, "--format", "json")
    assert again.stdout == plain and "writable by other users" in again.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_entries_and_folders_of_another_user_are_not_read(env: Path):
    plain, entry = _plant(env)
    os.chown(entry, 4242, -1)
    assert _check(env, "--format", "json").stdout == plain
    os.chown(entry, 0, -1)
    os.chown(entry.parent, 4242, -1)
    result = _check(env, "--format", "json")
    assert result.stdout == plain and "owned by another user" in result.stderr


def test_a_linked_entry_is_not_followed(env: Path, tmp_path: Path):
    plain, entry = _plant(env)
    moved = tmp_path / "elsewhere"
    entry.rename(moved)
    entry.symlink_to(moved)
    assert _check(env, "--format", "json").stdout == plain


@pytest.mark.parametrize(
    "damage",
    ["truncate", "flip-a-byte", "empty", "garbage", "other-version", "other-content"],
)
def test_damaged_or_stale_entries_are_ignored_and_rewritten(env: Path, damage: str):
    plain = _check(env, "--no-cache", "--format", "json")
    _check(env)
    entries = _entries(env)
    blobs = [e.read_bytes() for e in entries]
    for i, entry in enumerate(entries):
        blob = blobs[i]
        if damage == "truncate":
            blob = blob[: len(blob) // 2]
        elif damage == "flip-a-byte":
            middle = len(blob) - 10
            blob = blob[:middle] + bytes([blob[middle] ^ 0xFF]) + blob[middle + 1 :]
        elif damage == "empty":
            blob = b""
        elif damage == "garbage":
            blob = os.urandom(len(blob))
        elif damage == "other-version":  # a different salt in the header
            magic, salt, content, checksum, size = cache._HEADER.unpack_from(blob)
            salt = hashlib.sha256(b"imgpolicy 0.0.1" + salt).digest()
            blob = (
                cache._HEADER.pack(magic, salt, content, checksum, size)
                + blob[cache._HEADER.size :]
            )
        elif damage == "other-content":  # the entry of other bytes under this name
            blob = blobs[(i + 1) % len(blobs)]
        entry.write_bytes(blob)
    damaged = _check(env, "--format", "json")
    assert (damaged.stdout, damaged.exit_code) == (plain.stdout, plain.exit_code)
    assert _served(damaged) == (0, len(entries))
    healed = _check(env, "--format", "json")
    assert healed.stdout == plain.stdout and _served(healed) == (len(entries), len(entries))


def test_a_new_version_does_not_read_the_old_entries(env: Path, monkeypatch):
    _check(env)
    monkeypatch.setattr(cache, "__version__", "999.0")
    result = _check(env)
    assert _served(result)[0] == 0
    assert len(list((env / cache.FOLDER_NAME).iterdir())) == 4  # two versions, tag, ignore


def test_what_decides_a_parse_is_in_the_salt(monkeypatch):
    before = cache.salt()
    monkeypatch.setattr(cache.yaml12, "MAX_DEPTH", cache.yaml12.MAX_DEPTH + 1)
    assert cache.salt() != before
    monkeypatch.undo()
    old = sys.get_int_max_str_digits()
    try:
        sys.set_int_max_str_digits(old + 1)
        assert cache.salt() != before
    finally:
        sys.set_int_max_str_digits(old)


def test_concurrent_runs_agree_and_leave_no_temporary_files(env: Path):
    plain = _check(env, "--no-cache", "--format", "json").stdout
    argv = [*IMGPOLICY, "check", str(env), "--today", TODAY, "--format", "json"]
    environ = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    runs = [
        subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environ)
        for _ in range(4)
    ]
    outputs = [r.communicate(timeout=120)[0].decode() for r in runs]
    assert outputs == [plain] * 4
    left = [p.name for p in (env / cache.FOLDER_NAME).rglob(".imgpolicy-*")]
    assert left == []


# --- positions ----------------------------------------------------------------------------


def _tree(pos) -> object:
    """A position tree as comparable plain data."""
    return cache.plain_positions(pos)


def test_positions_round_trip_with_aliases_shared():
    text = "imgpolicy: 1\nbase: &b {x: [1, {y: 2}]}\none: *b\ntwo: [*b, 3]\n"
    pos = load_documents(text)[0].pos
    plain = cache.plain_positions(pos)
    back = cache.positions_from_plain(plain)
    assert _tree(back) == _tree(pos)
    assert isinstance(back, MapPos) and back.keys["one"][1] is back.keys["base"][1]


def test_stored_positions_are_rebuilt_from_the_text_when_unreadable(tmp_path: Path):
    path = tmp_path / "a.yaml"
    path.write_text("imgpolicy: 1\ndevices:\n  - name: pacs\n")
    source = read_source(str(path))
    assert source is not None
    stored = cache.StoredPositions(memoryview(b"\x00not marshal"), source.text)
    assert stored.span == source.pos.span and _tree(stored) == _tree(source.pos)


def test_a_finding_in_a_cached_file_has_its_line_and_column(env: Path):
    plain = _check(env, "--no-cache")
    _check(env)
    warm = _check(env)
    assert warm.stdout == plain.stdout and ".yaml:" in warm.stdout
    assert _served(warm)[0] > 0


def test_unsafe_folder_mode_is_refused_by_open(tmp_path: Path):
    folder = tmp_path / "c"
    folder.mkdir(mode=0o700)
    folder.chmod(0o770)
    said: list[str] = []
    assert cache.ParseCache.open(str(folder), said.append) is None
    assert (
        said
        and "writable by other users" in said[0]
        and stat.S_IMODE(folder.stat().st_mode) == 0o770
    )
