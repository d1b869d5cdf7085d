"""Does `imgpolicy probe` wait for unreachable peers concurrently?

    python benchmarks/probe_concurrency.py [--n 32] [--timeout 1] [--jobs 1 --jobs 16]

Opens N TCP listeners on loopback that accept connections and never answer the
A-ASSOCIATE-RQ (a hung DICOM service: the slowest way for a probe to fail, a full
--timeout each), writes an environment that declares one acceptor AE on each, and runs
`imgpolicy probe DIR --timeout T --jobs J` as a subprocess (interpreter start-up included)
for each J. Serially that is about N x T; with --jobs >= N about T. Prints the wall times
and their ratio. Not a test: machines differ; tests/test_probe.py checks a loose bound.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


class SilentListener:
    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                self.held.append(self.sock.accept()[0])
            except OSError:
                return

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        for conn in self.held:
            conn.close()


def environment(ports: list[int]) -> str:
    lines = [
        "imgpolicy: 1",
        "sites:",
        "  - {name: MAIN, jurisdiction: US-CA, region: west}",
        "devices:",
    ]
    for i, port in enumerate(ports):
        lines += [
            f"  - name: hung-{i}",
            "    site: MAIN",
            "    kind: pacs",
            f"    connections: [{{name: dicom, hostname: 127.0.0.1, port: {port}}}]",
            f"    application_entities: [{{ae_title: HUNG_{i}}}]",
        ]
    return "\n".join(lines) + "\n"


def run(folder: str, timeout: float, jobs: int, n: int) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "imgpolicy.cli",
            "probe",
            folder,
            "--format",
            "json",
            "--timeout",
            str(timeout),
            "--jobs",
            str(jobs),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    codes = [f["code"] for f in json.loads(done.stdout)["findings"]]
    if done.returncode != 1 or codes != ["PROBE001"] * n:
        raise SystemExit(f"unexpected result (exit {done.returncode}):\n{done.stdout}{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=32, help="unreachable AEs (default 32)")
    parser.add_argument("--timeout", type=float, default=1.0, help="--timeout (default 1 s)")
    parser.add_argument(
        "--jobs",
        type=int,
        action="append",
        help="--jobs values to compare (default: 1 and the default, 16)",
    )
    args = parser.parse_args()
    jobs = args.jobs or [1, 16]

    listeners = [SilentListener() for _ in range(args.n)]
    try:
        with tempfile.TemporaryDirectory() as folder:
            Path(folder, "env.yaml").write_text(environment([s.port for s in listeners]))
            print(
                f"imgpolicy probe: {args.n} AEs that accept TCP and never answer, "
                f"--timeout {args.timeout:g}"
            )
            print(
                f"python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.platform()}"
            )
            times = {}
            for j in jobs:
                times[j] = run(folder, args.timeout, j, args.n)
                waves = -(-args.n // j)
                print(
                    f"  --jobs {j:<3}  {times[j]:6.2f} s wall  (ideal {waves} x "
                    f"{args.timeout:g} s = {waves * args.timeout:g} s, plus start-up)"
                )
            first, last = jobs[0], jobs[-1]
            print(f"  ratio --jobs {first} / --jobs {last}: {times[first] / times[last]:.1f}x")
    finally:
        for listener in listeners:
            listener.close()


if __name__ == "__main__":
    main()
