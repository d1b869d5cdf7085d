"""Does `imgpolicy probe` wait for unreachable or stalling peers concurrently, and within
its bound?

    python benchmarks/probe_concurrency.py [--n 32] [--timeout 1] [--jobs 1 --jobs 16]
                                           [--peer silent|stall|trickle]

Opens N TCP listeners on loopback, writes an environment that declares one acceptor AE on
each, and runs `imgpolicy probe DIR --timeout T --jobs J` as a subprocess (interpreter
start-up included) for each J. The listeners (`--peer`):

- `silent` (default): accept and never answer the A-ASSOCIATE-RQ (a hung DICOM service:
  a full --timeout each). Serially about N x T; with --jobs >= N about T.
- `stall`: answer with the 6-byte header of an A-ASSOCIATE-AC, then nothing (a peer that
  stalls part-way through a PDU; per-step timeouts do not end it, the per-connection
  deadline of 4 x T does).
- `trickle`: the header, then one byte every 0.5 s.

Prints the wall times, the bound `imgpolicy.probe.run_bound` promises (ceil(N / J) x 4 x
T, before start-up) and the ratio of the first and last J. Not a test: machines differ;
tests/test_probe.py checks the findings with a hang guard only.
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

A_ASSOCIATE_AC_HEADER = bytes([0x02, 0x00, 0x00, 0x00, 0x01, 0x00])


class SilentListener:
    def __init__(self, peer: str = "silent") -> None:
        self.peer = peer
        self.stop = threading.Event()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn = self.sock.accept()[0]
            except OSError:
                return
            self.held.append(conn)
            if self.peer != "silent":
                threading.Thread(target=self._stall, args=(conn,), daemon=True).start()

    def _stall(self, conn: socket.socket) -> None:
        """Answer part of an A-ASSOCIATE-AC, then nothing (`stall`) or a byte every 0.5 s."""
        try:
            conn.recv(65536)
            conn.sendall(A_ASSOCIATE_AC_HEADER)
            while self.peer == "trickle" and not self.stop.wait(0.5):
                conn.sendall(b"\x00")
        except OSError:
            return

    def close(self) -> None:
        self.stop.set()
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
        "--peer",
        choices=["silent", "stall", "trickle"],
        default="silent",
        help="what each listener does (default silent)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        action="append",
        help="--jobs values to compare (default: 1 and the default, 16)",
    )
    args = parser.parse_args()
    jobs = args.jobs or [1, 16]

    from imgpolicy.probe import run_bound

    listeners = [SilentListener(args.peer) for _ in range(args.n)]
    try:
        with tempfile.TemporaryDirectory() as folder:
            Path(folder, "env.yaml").write_text(environment([s.port for s in listeners]))
            print(
                f"imgpolicy probe: {args.n} AEs, each a {args.peer} peer, "
                f"--timeout {args.timeout:g}"
            )
            print(
                f"python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.platform()}"
            )
            times = {}
            for j in jobs:
                times[j] = run(folder, args.timeout, j, args.n)
                bound = run_bound(args.n, j, args.timeout)
                print(
                    f"  --jobs {j:<3}  {times[j]:6.2f} s wall  (bound: ceil({args.n} / {j}) x 4 x "
                    f"{args.timeout:g} s = {bound:g} s, plus start-up)"
                )
            first, last = jobs[0], jobs[-1]
            print(f"  ratio --jobs {first} / --jobs {last}: {times[first] / times[last]:.1f}x")
    finally:
        for listener in listeners:
            listener.close()


if __name__ == "__main__":
    main()
