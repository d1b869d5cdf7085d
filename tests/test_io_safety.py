"""Files in, files out: devices, FIFOs, links, unreadable folders, full disks, closed pipes,
killed writers and concurrent writers (reliability audit D2, D5, D6, D11-D13, D17-D21).

Everything runs the real console script (`python -m imgpolicy.cli`, which is what the
`imgpolicy` entry point runs) on real FIFOs, device nodes and folders in a temp dir; the
timeouts are hang guards only.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from imgpolicy import fsutil

from .conftest import EXAMPLES

CLI = [sys.executable, "-m", "imgpolicy.cli"]
CLEAN = "imgpolicy: 1\nsites:\n  - {name: MAIN, jurisdiction: US-CA, region: west}\n"
HANG_GUARD = 60


def imgpolicy(*args, cwd=None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        **kwargs,
    )


@pytest.fixture(autouse=True)
def host_devices_stay_intact():
    """A regression of D2 would replace /dev/stdout (a link) with a regular file when these
    tests run as root: put it back, so the host is never left broken, and fail."""
    links = {name: os.readlink(name) for name in ("/dev/stdout", "/dev/stderr")
             if os.path.islink(name)}  # fmt: skip
    yield
    damaged = [name for name, target in links.items() if not os.path.islink(name)]
    for name in damaged:
        os.unlink(name)
        os.symlink(links[name], name)
    assert not damaged, f"{damaged} were replaced by regular files (restored)"


@pytest.fixture
def env(tmp_path) -> Path:
    root = tmp_path / "env"
    root.mkdir()
    (root / "sites.yaml").write_text(CLEAN)
    return root


def assert_clean_failure(proc: subprocess.CompletedProcess, *words: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    for word in words:
        assert word in proc.stdout + proc.stderr, proc.stdout + proc.stderr


# --- D2: devices and FIFOs are written in place ------------------------------------------------


def test_output_to_a_character_device_keeps_the_device(env, tmp_path):
    null = tmp_path / "null"
    try:
        os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("mknod of a character device is not permitted here")
    proc = imgpolicy("check", env, "--output", f"sarif={null}")
    assert proc.returncode == 0, proc.stderr
    assert stat.S_ISCHR(os.lstat(null).st_mode)  # before the fix: a regular SARIF file
    assert os.major(os.lstat(null).st_rdev) == 1


def test_output_to_a_fifo_with_a_reader_is_written_into_the_fifo(env, tmp_path):
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    proc = imgpolicy("check", env, "--output", f"sarif={fifo}")
    reader.join(HANG_GUARD)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert json.loads(received[0])["version"] == "2.1.0"


def test_output_to_a_fifo_nobody_reads_fails_at_once(env, tmp_path):
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    proc = imgpolicy("check", env, "--output", f"sarif={fifo}")
    assert_clean_failure(proc, f"cannot write {fifo}", "nobody is reading")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.parametrize("name", ["/dev/stdout", "-"])
def test_output_to_standard_output_puts_that_format_there(env, name):
    proc = imgpolicy("check", env, "--output", f"sarif={name}")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["version"] == "2.1.0"  # SARIF only, no text report
    assert os.path.islink("/dev/stdout")


def test_dev_stdout_redirected_to_a_file_is_not_replaced(env, tmp_path):
    out = tmp_path / "out.sarif"
    with open(out, "w") as handle:
        proc = subprocess.run(
            [*CLI, "check", str(env), "--output", "sarif=/dev/stdout"],
            stdout=handle,
            stderr=subprocess.PIPE,
            text=True,
            timeout=HANG_GUARD,
        )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["version"] == "2.1.0"
    assert os.readlink("/dev/stdout") == "/proc/self/fd/1"


@pytest.mark.parametrize(
    "args",
    [
        ["--output", "sarif=-", "--output", "json=/dev/stdout"],
        ["--format", "json", "--output", "sarif=-"],
    ],
)
def test_two_formats_on_standard_output_is_a_usage_error(env, args):
    proc = imgpolicy("check", env, *args)
    assert_clean_failure(proc, "both write to standard output")


# --- D20: outputs never destroy inputs -----------------------------------------------------


def test_output_over_an_environment_file_is_refused(env):
    before = (env / "sites.yaml").read_text()
    proc = imgpolicy("check", env, "--output", f"json={env / 'sites.yaml'}")
    assert_clean_failure(proc, "is an input of this check")
    assert (env / "sites.yaml").read_text() == before


def test_output_through_a_link_to_the_config_is_refused(env, tmp_path):
    (env / ".imgpolicy.yaml").write_text("fail_on: error\n")
    (tmp_path / "link.json").symlink_to(env / ".imgpolicy.yaml")
    proc = imgpolicy("check", env, "--output", f"json={tmp_path / 'link.json'}")
    assert_clean_failure(proc, "is an input of this check")
    assert (env / ".imgpolicy.yaml").read_text() == "fail_on: error\n"


def test_write_baseline_over_an_environment_file_is_refused(env):
    proc = imgpolicy("check", env, "--write-baseline", env / "sites.yaml")
    assert_clean_failure(proc, "is an input of this check")
    assert (env / "sites.yaml").read_text() == CLEAN


def test_read_only_output_is_refused_not_replaced(env, tmp_path):
    target = tmp_path / "report.sarif"
    target.write_text("old\n")
    target.chmod(0o444)
    proc = imgpolicy("check", env, "--output", f"sarif={target}")
    assert_clean_failure(proc, "is read-only")
    assert target.read_text() == "old\n"


def test_missing_parent_folders_are_created(env, tmp_path):
    target = tmp_path / "reports" / "ci" / "imgpolicy.sarif"
    assert imgpolicy("check", env, "--output", f"sarif={target}").returncode == 0
    assert json.loads(target.read_text())["version"] == "2.1.0"


def test_docs_refuse_to_overwrite_an_environment_file(tmp_path):
    root = tmp_path / "env"
    shutil.copytree(EXAMPLES / "regional-health", root)
    (root / "architecture.md").symlink_to(root / "sites.yaml")  # -o into the environment
    before = (root / "sites.yaml").read_text()
    proc = imgpolicy("docs", root, "-o", root, "--today", "2026-11-28")
    assert_clean_failure(proc, "is a file of the environment")
    assert (root / "sites.yaml").read_text() == before


# --- D19: temp files of killed writers -----------------------------------------------------


def _dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    return int(done.stdout)


def test_stale_temp_of_a_dead_writer_is_removed_by_the_next_write(env, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    stale = out / f".imgpolicy-{_dead_pid()}-k2x9.tmp"
    stale.write_text("half a report")
    alive = out / f".imgpolicy-{os.getppid()}-live.tmp"  # pytest's parent: still running
    alive.write_text("being written")
    foreign = out / ".imgpolicy-abcdefgh.tmp"  # an older imgpolicy's: whose, unknown
    foreign.write_text("")
    assert imgpolicy("check", env, "--output", f"sarif={out / 'r.sarif'}").returncode == 0
    assert not stale.exists()
    assert alive.exists() and foreign.exists()
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".imgpolicy-")) == [
        "r.sarif"
    ]


def test_temp_names_carry_the_writer_pid(tmp_path, monkeypatch):
    seen = []
    real = os.replace

    def spy(src, dst):
        seen.append(os.path.basename(src))
        real(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    fsutil.write_atomic(str(tmp_path / "x.txt"), "x\n")
    assert seen and seen[0].startswith(f".imgpolicy-{os.getpid()}-")


def test_sigterm_during_a_write_removes_the_temp_file(tmp_path):
    """A real SIGTERM while a temp file is pending: the handler removes it, then the
    process dies of SIGTERM as it would have."""
    pending = tmp_path / ".imgpolicy-0-pending.tmp"
    pending.write_text("partial")
    script = (
        "import os, signal\n"
        "from imgpolicy import fsutil\n"
        "fsutil._guard_sigterm()\n"
        f"fsutil._PENDING.add({str(pending)!r})\n"
        "os.kill(os.getpid(), signal.SIGTERM)\n"
        "import time; time.sleep(30)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], timeout=HANG_GUARD)
    assert proc.returncode == -signal.SIGTERM
    assert not pending.exists()


# --- D5, D13, D11: FIFOs, devices and huge files are never read unbounded ---------------------


def test_fifo_yaml_in_the_environment_is_yaml006(env):
    os.mkfifo(env / "pipe.yaml")
    proc = imgpolicy("check", env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "pipe.yaml:1:1: YAML006 file is a named pipe (FIFO)" in proc.stdout


def test_fifo_config_is_a_clear_error(env):
    os.mkfifo(env / ".imgpolicy.yaml")
    proc = imgpolicy("check", env)
    assert_clean_failure(proc, ".imgpolicy.yaml: cannot read: is a named pipe (FIFO)")


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_baseline_fifo_or_device_is_a_clear_error(env, tmp_path, kind):
    if kind == "fifo":
        baseline = tmp_path / "baseline.json"
        os.mkfifo(baseline)
    else:
        baseline = Path("/dev/zero")
    proc = imgpolicy("check", env, "--baseline", baseline)
    assert_clean_failure(proc, "cannot use as a baseline", "is a ")


@pytest.mark.parametrize("name", [".imgpolicy.yaml", "pyproject.toml"])
def test_huge_config_is_refused_without_reading_it(env, name):
    with open(env / name, "wb") as handle:
        handle.truncate(2 * 1024 * 1024 * 1024)  # sparse: 2 GiB of nothing
    proc = imgpolicy("check", env, "--config", env / name)
    assert_clean_failure(proc, "is larger than 1 MiB")


@pytest.mark.parametrize("check_only", [True, False])
def test_docs_with_a_fifo_document_never_hang(tmp_path, check_only):
    out = tmp_path / "docs"
    out.mkdir()
    os.mkfifo(out / "architecture.md")
    args = ["docs", EXAMPLES / "regional-health", "-o", out, "--today", "2026-11-28"]
    proc = imgpolicy(*args, *(["--check"] if check_only else []))
    assert "Traceback" not in proc.stderr
    if check_only:
        assert proc.returncode == 1 and "architecture.md: out of date" in proc.stdout
    else:
        assert_clean_failure(proc, "nobody is reading")
    assert stat.S_ISFIFO(os.lstat(out / "architecture.md").st_mode)


# --- D17: baselines that are not baselines -----------------------------------------------------


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("[" * 200_000 + "]" * 200_000, "nests too deeply"),
        ('{"format": "imgpolicy-baseline", "version": true, "findings": []}', "must be the number"),
        ('{"format": "imgpolicy-baseline", "version": 1, "findings": []}', "version 1"),
        (
            '{"format": "imgpolicy-baseline", "version": 2, "findings": [{"code": 1}]}',
            "findings[0]",
        ),
    ],
    ids=["deep", "version-true", "version-1", "bad-entry"],
)
def test_malformed_baselines_exit_2(env, tmp_path, content, words):
    baseline = tmp_path / "baseline.json"
    baseline.write_text(content)
    assert_clean_failure(imgpolicy("check", env, "--baseline", baseline), words)


# --- D6, D21: folders and links ----------------------------------------------------------------


def test_unreadable_folder_is_yaml006_not_a_silence(tmp_path):
    """Root reads every folder; the check runs as root without the capabilities that
    bypass file permissions, like an ordinary user."""
    if not shutil.which("setpriv"):
        pytest.skip("needs setpriv to drop the file-permission capabilities")
    root = tmp_path / "env"
    root.mkdir()
    (root / "sites.yaml").write_text(CLEAN)
    (root / "secret").mkdir()
    (root / "secret" / "x.yaml").write_text("imgpolicy: 1\nsites: [{name: X}]\n")
    (root / "secret").chmod(0o000)
    try:
        proc = subprocess.run(
            ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *CLI, "check", str(root)],
            capture_output=True,
            text=True,
            timeout=HANG_GUARD,
        )
    finally:
        (root / "secret").chmod(0o755)
    if "Operation not permitted" in proc.stderr and "setpriv" in proc.stderr:
        pytest.skip(f"setpriv cannot drop capabilities here: {proc.stderr.strip()}")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"{root}/secret:1:1: YAML006 cannot read folder: Permission denied" in proc.stdout


def test_linked_folder_is_followed_once(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "sites.yaml").write_text(CLEAN)
    root = tmp_path / "env"
    root.mkdir()
    (root / "sites").symlink_to(shared)
    (root / "loop").symlink_to(root)  # a loop: must end, not recurse
    proc = imgpolicy("check", root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No problems found (1 file checked)" in proc.stdout


def test_symlink_loop_is_named_a_loop(env):
    (env / "a.yaml").symlink_to("b.yaml")
    (env / "b.yaml").symlink_to("a.yaml")
    proc = imgpolicy("check", env)
    assert proc.returncode == 2
    assert "a.yaml:1:1: YAML006 file is a symbolic link loop" in proc.stdout
    assert "a.yaml -> b.yaml -> a.yaml" in proc.stdout
    assert "does not exist" not in proc.stdout


# --- D12, D21: standard output -----------------------------------------------------------------


def test_full_standard_output_is_an_error_not_a_traceback():
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [*CLI, "check", str(EXAMPLES / "regional-health")],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=HANG_GUARD,
        )
    assert proc.returncode == 2
    assert proc.stderr == "imgpolicy: cannot write to standard output: No space left on device\n"


def test_short_write_to_a_filling_disk_does_not_exit_0(tmp_path):
    """A disk that fills in the middle of the report: the part written is not reported as
    success (CPython's buffered stdout used to swallow the short write)."""
    proc = subprocess.run(
        [*CLI, "check", str(EXAMPLES / "seeded-faults"), "--format", "sarif"],
        capture_output=True,
        timeout=HANG_GUARD,
    )
    full_size = len(proc.stdout)
    mount = tmp_path / "small"
    mount.mkdir()
    mounted = subprocess.run(
        [
            "mount",
            "-t",
            "tmpfs",
            "-o",
            f"size={(full_size // 2) // 4096 * 4096}",
            "tmpfs",
            str(mount),
        ],
        capture_output=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        with open(mount / "out.sarif", "w") as out:
            proc = subprocess.run(
                [*CLI, "check", str(EXAMPLES / "seeded-faults"), "--format", "sarif"],
                stdout=out,
                stderr=subprocess.PIPE,
                text=True,
                timeout=HANG_GUARD,
            )
        assert proc.returncode == 2
        assert "cannot write to standard output: No space left on device" in proc.stderr
    finally:
        subprocess.run(["umount", str(mount)], check=False)


@pytest.mark.parametrize(
    ("args", "status"),
    [(["rules"], 0), (["check", str(EXAMPLES / "seeded-faults"), "--today", "2026-11-28"], 1)],
)
def test_a_closed_pipe_keeps_the_command_exit_status(args, status):
    """`| head -c1`: the status is the command's own, every time, whether or not a write hit
    the closed pipe."""
    codes = set()
    for _ in range(8):
        proc = subprocess.Popen([*CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        proc.stdout.read(1)
        proc.stdout.close()
        codes.add(proc.wait(HANG_GUARD))
        assert b"Traceback" not in proc.stderr.read()
        proc.stderr.close()
    assert codes == {status}


# --- D18: concurrent docs ----------------------------------------------------------------------


def _as_of(path: Path) -> str:
    return fsutil_marker(path.read_text(encoding="utf-8"))


def fsutil_marker(text: str) -> str:
    from imgpolicy.docs import AS_OF

    match = AS_OF.search(text)
    assert match
    return match.group(1)


def test_concurrent_docs_never_leave_a_mixed_pair(tmp_path):
    out = tmp_path / "docs"
    env = EXAMPLES / "regional-health"
    for _ in range(3):
        procs = [
            subprocess.Popen(
                [*CLI, "docs", str(env), "-o", str(out), "--today", day],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            for day in ("2026-11-28", "2026-12-01")
        ]
        for proc in procs:
            assert proc.wait(HANG_GUARD) == 0, proc.stderr.read()
            proc.stderr.close()
        assert _as_of(out / "architecture.md") == _as_of(out / "architecture.html")
    assert sorted(p.name for p in out.iterdir()) == ["architecture.html", "architecture.md"]


def test_docs_wait_for_the_folder_lock(tmp_path):
    """While another writer holds the output folder, `docs` writes nothing; it finishes
    once the lock is released."""
    out = tmp_path / "docs"
    with fsutil.folder_lock(str(out)):
        proc = subprocess.Popen(
            [
                *CLI,
                "docs",
                str(EXAMPLES / "regional-health"),
                "-o",
                str(out),
                "--today",
                "2026-11-28",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + HANG_GUARD
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                if "flock" in Path(f"/proc/{proc.pid}/wchan").read_text() or any(
                    "lock" in line for line in Path(f"/proc/{proc.pid}/stack").read_text().split()
                ):
                    break
            except OSError:
                pass
            time.sleep(0.05)
        assert proc.poll() is None, "docs finished while the folder was locked"
        assert list(out.iterdir()) == []
    assert proc.wait(HANG_GUARD) == 0
    assert sorted(p.name for p in out.iterdir()) == ["architecture.html", "architecture.md"]
    proc.stdout.close()
    proc.stderr.close()


@pytest.mark.parametrize("as_folder", [False, True], ids=["file", "folder"])
def test_import_over_its_own_source_is_refused(tmp_path, as_folder):
    """`import orthanc conf.json -o conf.json --force` would replace the configuration it
    reads with imgpolicy YAML; a file of an imported configuration folder neither."""
    source = tmp_path / "orthanc"
    source.mkdir()
    config = source / "orthanc.json"
    original = '{"DicomAet": "PACS", "DicomPort": 4242}\n'
    config.write_text(original)
    given = source if as_folder else config
    proc = imgpolicy("import", "orthanc", given, "-o", config, "--force")
    assert_clean_failure(proc, "is the imported configuration")
    assert config.read_text() == original
