"""Progress on standard error (a terminal only; never in a pipe, under CI or -q) and
-q/-v on every command: real `imgpolicy` processes, standard error on a real
pseudo-terminal (`os.openpty`), standard output on a pipe."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from imgpolicy import progress

from .conftest import EXAMPLES, run

IMGPOLICY = [sys.executable, "-c", "from imgpolicy.cli import run; run()"]
DCMQRSCP = Path(__file__).parent / "data" / "dcmtk" / "3.7.0" / "dcmqrscp.cfg"
TIMING = re.compile(r"^imgpolicy: [a-z' ]+: \d+\.\d{3} s$", re.MULTILINE)
FINDING = re.compile(r"^\S+: [A-Z]+\d+ ")
CLEAN = EXAMPLES / "regional-health"
FAULTY = EXAMPLES / "seeded-faults"


@pytest.fixture(autouse=True)
def _not_in_ci(monkeypatch):
    """These tests decide CI themselves: the suite itself may run under CI=true."""
    monkeypatch.delenv("CI", raising=False)
    progress.configure()
    yield
    progress.configure()


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR")}
    env["IMGPOLICY_NO_RESULT_CACHE"] = "1"  # the phases of a whole check, never a stored answer
    env.update(extra)
    return env


def _drain(fd: int, into: bytearray) -> None:
    """Read the terminal's side until the last writer is gone (EIO on Linux)."""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            return
        if not chunk:
            return
        into.extend(chunk)


def on_terminal(*args: str, **env: str) -> tuple[bytes, bytes, int]:
    """`imgpolicy ARGS` with standard error on a pseudo-terminal, standard output on a
    pipe: (standard output, what the terminal got, exit status)."""
    leader, follower = os.openpty()
    screen = bytearray()
    try:
        proc = subprocess.Popen(
            IMGPOLICY + list(args),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=follower,
            env=_env(**env),
        )
        os.close(follower)
        follower = -1
        reader = threading.Thread(target=_drain, args=(leader, screen), daemon=True)
        reader.start()
        out, _ = proc.communicate(timeout=120)
        reader.join(timeout=30)
    finally:
        if follower != -1:
            os.close(follower)
        os.close(leader)
    return out, bytes(screen), proc.returncode


def in_pipes(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        IMGPOLICY + list(args),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=_env(**env),
        timeout=120,
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unreachable_environment(folder: Path) -> Path:
    """Two acceptor AEs on 127.0.0.1 ports nobody listens on: a quick, real probe."""
    devices = "".join(
        f"  - name: pacs{i}\n    site: MAIN\n    kind: pacs\n"
        f"    connections:\n      - {{name: dicom, hostname: 127.0.0.1, port: {closed_port()}}}\n"
        f"    application_entities:\n      - ae_title: PACS{i}\n"
        for i in (1, 2)
    )
    (folder / "env.yaml").write_text(
        "imgpolicy: 1\nsites:\n  - {name: MAIN, jurisdiction: US-CA, region: west}\n"
        "devices:\n" + devices,
        encoding="utf-8",
    )
    return folder


# --- progress: a terminal only --------------------------------------------------------


@pytest.mark.parametrize("example", [CLEAN, FAULTY], ids=["clean", "findings"])
def test_check_shows_its_phases_on_a_terminal_and_stdout_is_unchanged(example):
    out, screen, code = on_terminal("check", str(example))
    piped = in_pipes("check", str(example))
    assert b"loading the environment..." in screen and b"running the rules..." in screen
    assert screen.rstrip(b"\r\n").endswith(progress.CLEAR.encode())  # nothing left behind
    assert (out, code) == (piped.stdout, piped.returncode)
    assert b"\r" not in piped.stderr and b"\x1b" not in piped.stderr


@pytest.mark.parametrize(
    ("options", "env"),
    [(("-q",), {}), ((), {"CI": "true"}), ((), {"CI": "1"})],
    ids=["quiet", "CI=true", "CI=1"],
)
def test_no_progress_under_quiet_or_ci(options, env):
    out, screen, code = on_terminal("check", *options, str(CLEAN), **env)
    assert screen == b""
    assert code == 0
    if not options:  # CI changes nothing but progress
        assert out == in_pipes("check", str(CLEAN)).stdout


def test_ci_false_still_shows_progress():
    _, screen, _ = on_terminal("check", str(CLEAN), CI="false")
    assert b"loading the environment..." in screen


def test_docs_shows_its_phases_on_a_terminal(tmp_path):
    out, screen, code = on_terminal("docs", str(CLEAN), "-o", str(tmp_path / "a"))
    assert code == 0
    assert b"rendering the documents..." in screen and b"writing the documents..." in screen
    piped = in_pipes("docs", str(CLEAN), "-o", str(tmp_path / "b"))
    assert out.replace(b"/a/", b"/b/") == piped.stdout and piped.stderr == b""
    assert (tmp_path / "a" / "architecture.md").read_bytes() == (
        tmp_path / "b" / "architecture.md"
    ).read_bytes()


def test_probe_draws_its_bar_on_a_terminal_only(tmp_path):
    pytest.importorskip("pynetdicom")
    env = str(unreachable_environment(tmp_path))
    _, screen, code = on_terminal("probe", env, "--timeout", "2", "--format", "json")
    assert b"probing [" in screen and b"2/2" in screen
    piped = in_pipes("probe", env, "--timeout", "2", "--format", "json")
    assert code == piped.returncode == 1
    assert b"probing [" not in piped.stderr
    _, quiet_screen, _ = on_terminal("probe", env, "--timeout", "2", "-q")
    assert b"probing" not in quiet_screen


def _read_until(fd: int, end: bytes, wait: float = 30.0) -> bytes:
    """What the terminal shows, read until it ends with `end` (a pseudo-terminal hands
    over what was written in pieces, as they arrive) or nothing more comes for `wait` s."""
    import select

    seen = b""
    while not seen.endswith(end):
        ready, _, _ = select.select([fd], [], [], wait)
        if not ready:
            break
        seen += os.read(fd, 4096)
    return seen


def test_bar_only_on_a_terminal_and_not_under_ci(monkeypatch):
    leader, follower = os.openpty()
    try:
        with os.fdopen(follower, "w", closefd=False) as terminal:
            show = progress.bar("probing", terminal)
            assert show is not None
            monkeypatch.setenv("CI", "true")
            assert progress.bar("probing", terminal) is None
            monkeypatch.delenv("CI")
            progress.configure(quiet=True)
            assert progress.bar("probing", terminal) is None
            show(1, 2)
            show(2, 2)
        assert _read_until(leader, b"2/2" + progress.CLEAR.encode()).endswith(
            b"2/2" + progress.CLEAR.encode()
        )
    finally:
        os.close(follower)
        os.close(leader)
    with open(os.devnull, "w") as not_a_terminal:
        progress.configure()
        assert progress.bar("probing", not_a_terminal) is None


# --- -q and -v on every command -------------------------------------------------------


def _every_command(tmp_path: Path) -> dict[str, list[str]]:
    return {
        "check": ["check", str(FAULTY)],
        "docs": ["docs", str(CLEAN), "-o", str(tmp_path / "docs")],
        "import": ["import", "dcmtk", str(DCMQRSCP), "-o", str(tmp_path / "imported.yaml")],
        "rules": ["rules"],
        "rule": ["rule", "RT001"],
        "schema": ["schema"],
        "init": ["init", str(tmp_path / "starter")],
    }


@pytest.mark.parametrize("command", ["check", "docs", "import", "rules", "rule", "schema", "init"])
@pytest.mark.parametrize("flag", ["-q", "--quiet", "-v", "--verbose"])
def test_every_command_accepts_quiet_and_verbose(tmp_path, command, flag):
    args = _every_command(tmp_path)[command]

    def fresh(*given: str):
        """Run with the outputs of an earlier run gone (init and import never overwrite)."""
        for leftover in ("docs", "imported.yaml", "starter"):
            target = tmp_path / leftover
            if target.is_dir():
                for child in target.iterdir():
                    child.unlink()
                target.rmdir()
            elif target.exists():
                target.unlink()
        return run(*given)

    plain = fresh(*args)
    assert plain.exit_code in (0, 1), plain.output + plain.stderr
    for given in (fresh(*args, flag), fresh(flag, *args)):
        assert given.exit_code == plain.exit_code, given.output + given.stderr
        assert "Traceback" not in given.stderr and "no such option" not in given.stderr


def test_probe_accepts_quiet_and_verbose(tmp_path):
    pytest.importorskip("pynetdicom")
    env = str(unreachable_environment(tmp_path))
    plain = in_pipes("probe", env, "--timeout", "2")
    verbose = in_pipes("probe", env, "--timeout", "2", "-v")
    quiet = in_pipes("probe", env, "--timeout", "2", "-q")
    assert plain.returncode == verbose.returncode == quiet.returncode == 1
    assert verbose.stdout == plain.stdout
    assert b"imgpolicy: probing: " in verbose.stderr
    assert b"Probed 2 connections" in plain.stdout and b"Probed" not in quiet.stdout
    assert b"PROBE" in quiet.stdout


@pytest.mark.parametrize("command", ["rules", "rule", "schema"])
def test_quiet_and_verbose_leave_listings_alone(tmp_path, command):
    args = _every_command(tmp_path)[command]
    plain = run(*args)
    assert run(*args, "-q").output == plain.output
    verbose = run(*args, "-v")
    assert verbose.stdout == plain.stdout and verbose.stderr == plain.stderr


def test_quiet_check_prints_findings_only():
    plain = run("check", str(FAULTY)).output.splitlines()
    quiet = run("check", str(FAULTY), "-q")
    assert quiet.exit_code == 1
    shown = quiet.output.splitlines()
    assert shown and plain[: len(shown)] == shown  # the findings, as they were
    assert all(FINDING.match(line) or line.startswith("    ") for line in shown)
    left_out = plain[len(shown) :]
    assert left_out[-1].startswith("Found ")  # the summary, and notes before it
    assert not any(FINDING.match(line) for line in left_out)
    assert run("check", str(CLEAN), "-q").output == ""
    assert "No problems found" in run("check", str(CLEAN)).stdout


def test_quiet_leaves_other_formats_and_files_alone(tmp_path):
    plain = run("check", str(FAULTY), "--format", "json", "--output", f"sarif={tmp_path}/a")
    quiet = run("check", str(FAULTY), "--format", "json", "--output", f"sarif={tmp_path}/b", "-q")
    assert quiet.output == plain.output
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()


def test_verbose_times_each_phase_on_stderr_only():
    plain = run("check", str(FAULTY))
    verbose = run("check", str(FAULTY), "-v")
    assert verbose.stdout == plain.stdout and verbose.exit_code == plain.exit_code
    phases = [line.split(":")[1].strip() for line in TIMING.findall(verbose.stderr)]
    for name in ("loading the environment", "running the rules", "writing the report"):
        assert name in phases


def test_quiet_docs_prints_only_what_it_wrote(tmp_path):
    out = str(tmp_path / "docs")
    first = run("docs", str(CLEAN), "-o", out, "-q")
    assert first.exit_code == 0
    assert first.output.splitlines() and all(
        line.startswith("wrote ") for line in first.output.splitlines()
    )
    again = run("docs", str(CLEAN), "-o", out, "-q")
    assert (again.exit_code, again.output) == (0, "")
    assert "unchanged" in run("docs", str(CLEAN), "-o", out).output
    assert run("docs", str(CLEAN), "-o", out, "--check", "-q").output == ""
    verbose = run("docs", str(CLEAN), "-o", out, "-v")
    assert "imgpolicy: rendering the documents: " in verbose.stderr


def test_quiet_init_writes_the_files_silently(tmp_path):
    quiet = run("init", str(tmp_path / "q"), "-q")
    plain = run("init", str(tmp_path / "p"))
    assert quiet.exit_code == plain.exit_code == 0
    assert quiet.output == "" and "next: imgpolicy check" in plain.output
    assert sorted(p.name for p in (tmp_path / "q").rglob("*")) == sorted(
        p.name for p in (tmp_path / "p").rglob("*")
    )


def test_quiet_import_keeps_findings_drops_the_summary(tmp_path):
    plain = run("import", "dcmtk", str(DCMQRSCP), "-o", str(tmp_path / "a.yaml"))
    quiet = run("import", "dcmtk", str(DCMQRSCP), "-o", str(tmp_path / "b.yaml"), "-q")
    assert quiet.exit_code == plain.exit_code == 0
    assert f"wrote {tmp_path / 'a.yaml'}" in plain.stderr
    assert "wrote" not in quiet.stderr
    findings = [line for line in plain.stderr.splitlines() if not line.startswith("wrote ")]
    assert quiet.stderr.splitlines() == findings
    assert (tmp_path / "a.yaml").read_text() == (tmp_path / "b.yaml").read_text()
    verbose = run("import", "dcmtk", str(DCMQRSCP), "-v")
    assert "imgpolicy: importing: " in verbose.stderr
    assert verbose.stdout == run("import", "dcmtk", str(DCMQRSCP)).stdout
