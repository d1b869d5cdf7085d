"""Do the policy rules grow linearly with the environment?

Generates the benchmark environment at 1x (1,000 AEs / 4,000 routes) and 10x, loads each
once, then times every rule (index and flow analysis included) on both, interleaved,
best of N. Linear means the 10x run costs about 10x; the issue's bar is 11x.

    python benchmarks/rules_scaling.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime
import gc
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate

from imgpolicy.analysis.index import Index
from imgpolicy.config import Config
from imgpolicy.engine import configured_rules
from imgpolicy.load import load_environment

TODAY = datetime.date(2026, 11, 1)


def time_rules(load, repeat: int) -> tuple[float, dict[str, float]]:
    best_total = float("inf")
    per_rule: dict[str, float] = defaultdict(lambda: float("inf"))
    for _ in range(repeat):
        start = time.perf_counter()
        index = Index(load, TODAY)
        index.flow  # noqa: B018 - built once, as the engine does
        per_rule["(index + flow)"] = min(per_rule["(index + flow)"], time.perf_counter() - start)
        for rule in configured_rules(Config()):
            t = time.perf_counter()
            list(rule.check(index))
            per_rule[rule.code] = min(per_rule[rule.code], time.perf_counter() - t)
        best_total = min(best_total, time.perf_counter() - start)
    return best_total, dict(per_rule)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    gc.disable()  # as the console script runs
    with tempfile.TemporaryDirectory() as work:
        loads = {}
        for scale in (1, 10):
            folder = Path(work) / f"{scale}x"
            generate(str(folder), 10 * scale, 1000 * scale, 4000 * scale)
            loads[scale] = load_environment([str(folder)])
            assert not loads[scale].findings, "the generated environment must load clean"
        results = {scale: time_rules(loads[scale], args.repeat) for scale in (1, 10)}
    (t1, r1), (t10, r10) = results[1], results[10]
    print(
        f"all rules, index and flow included: 1x {t1:.3f} s, 10x {t10:.3f} s, "
        f"ratio {t10 / t1:.1f}x (linear: 10x; bar: 11x)"
    )
    print("slowest at 10x:")
    for code in sorted(r10, key=r10.get, reverse=True)[:8]:
        print(
            f"  {code:<16} 1x {r1[code] * 1000:7.1f} ms   10x {r10[code] * 1000:8.1f} ms   "
            f"{r10[code] / max(r1[code], 1e-9):5.1f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
