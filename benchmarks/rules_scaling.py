"""Do the policy rules and the shared analyses grow linearly with the environment?

Generates the benchmark environment at 1x (10 sites, 1,000 AEs, 4,000 routes) and 10x
(100 sites, 10,000 AEs, 40,000 routes), loads each once, then times, on both, in rounds
that alternate 1x and 10x (so a burst of load elsewhere hits both alike):

    (index)                 `Index(load, today)`: lookups by AE title, device, site
    (flow)                  `index.flow`: what every route carries, through routers
    (reach, every origin)   `analysis.reach`: where each origin's own studies go
    (retention)             `analysis.retention`: the family's shared periods
    <CODE>                  each configured rule, on the index above (the analyses built),
                            so its line is the rule's own work

and prints, per line, the median of the rounds at 1x and 10x and their ratio. Times are
the process's CPU time (`time.process_time`), not the wall clock: on a shared machine the
wall clock also counts the time other processes held the CPU. Beside them, the work:
the Python function calls of each line (cProfile's count, one more pass) and the lines of
Python it executes (a trace function's count, another pass: a loop whose body calls
nothing, such as DR005's scan of every integration per plan, shows only there), which no
clock blurs; a 10x heap misses the processor's caches more, so CPU time can grow 11-14x
where the work grows 10x. Linear is 10x; the bar (issue 15) is 11x: a line whose calls or
executed lines grow more is marked over the bar (one whose CPU time alone does is marked
"time only"), and with `--strict` the exit status is 1 when any is, so the script can
guard a change.

    python benchmarks/rules_scaling.py [--repeat 3] [--scale 10] [--all] [--strict]

Small lines (under a millisecond at 1x) are noise-dominated: their ratio is shown but
never marked.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import gc
import pstats
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate

from imgpolicy.analysis.index import Index
from imgpolicy.analysis.reach import Reach
from imgpolicy.analysis.retention import retention_of
from imgpolicy.config import Config
from imgpolicy.engine import configured_rules
from imgpolicy.load import LoadResult, load_environment
from imgpolicy.rules.base import Rule

TODAY = datetime.date(2026, 11, 1)
BAR = 11.0
"""Issue 15: every rule and analysis within 11x at 10x the environment."""
NOISE_FLOOR = 0.001
"""Seconds at 1x below which a ratio says more about the clock than about the rule."""

ANALYSES: list[tuple[str, Callable[[Index], object]]] = [
    ("(flow)", lambda index: index.flow),
    ("(reach, every origin)", lambda index: Reach.of(index).origins_reaching(frozenset())),
    ("(retention)", retention_of),
]
"""The shared analyses, built in this order on the index before the rules run."""


def one_round(load: LoadResult, meter: Callable[[Callable[[], object]], float]) -> dict:
    """`meter` of each line for one pass: the index, each analysis, then each rule."""
    out: dict[str, float] = {}
    box: list[Index] = []
    out["(index)"] = meter(lambda: box.append(Index(load, TODAY)))
    index = box[0]
    for name, build in ANALYSES:
        out[name] = meter(partial(build, index))
    for rule in configured_rules(Config()):
        out[rule.code] = meter(partial(_findings, rule, index))
    out["(all)"] = sum(out.values())
    return out


def _findings(rule: Rule, index: Index) -> list:
    return list(rule.check(index))


def cpu_seconds(work: Callable[[], object]) -> float:
    began = time.process_time()
    work()
    return time.process_time() - began


def calls(work: Callable[[], object]) -> float:
    """Python function calls `work` makes (cProfile's count): the work itself, which no
    clock, cache or neighbour on the machine changes."""
    profiler = cProfile.Profile()
    profiler.enable()
    work()
    profiler.disable()
    stats: dict = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    return float(sum(entry[1] for entry in stats.values()))


def lines(work: Callable[[], object]) -> float:
    """Lines of Python `work` executes (a trace function's count): the work of loops
    that make no call, which `calls` cannot see."""
    executed = 0

    def local(frame, event, arg):
        nonlocal executed
        executed += event == "line"
        return local

    def enter(frame, event, arg):
        return local

    sys.settrace(enter)
    try:
        work()
    finally:
        sys.settrace(None)
    return float(executed)


def measure(loads: dict[int, LoadResult], repeat: int) -> dict[int, dict[str, float]]:
    """Median seconds per line and scale over `repeat` rounds, the scales interleaved."""
    runs: dict[int, dict[str, list[float]]] = {s: defaultdict(list) for s in loads}
    for _ in range(repeat):
        for scale, load in loads.items():
            gc.collect()
            for name, seconds in one_round(load, cpu_seconds).items():
                runs[scale][name].append(seconds)
    return {
        scale: {name: statistics.median(values) for name, values in lines.items()}
        for scale, lines in runs.items()
    }


def count(
    loads: dict[int, LoadResult], meter: Callable[[Callable[[], object]], float]
) -> dict[int, dict[str, float]]:
    """`meter` (calls or lines) per line and scale (one pass each: the count does not vary)."""
    return {scale: one_round(load, meter) for scale, load in loads.items()}


def over_bar(small: float, large: float, factor: int, floor: float = NOISE_FLOOR) -> bool:
    """Whether a line grows faster than the bar allows (scaled to `factor`)."""
    return small >= floor and large / small > BAR * factor / 10


def report(
    medians: dict[int, dict[str, float]],
    counted: dict[int, dict[str, float]],
    executed: dict[int, dict[str, float]],
    factor: int,
    show_all: bool,
) -> int:
    """Print the table; return how many lines do over the bar's work (calls or executed
    lines), the measures a clock on a busy machine cannot blur."""
    small, large = medians[1], medians[factor]
    names = sorted(small, key=lambda n: (not n.startswith("("), -large[n]))
    total = names.index("(all)")
    names.insert(0, names.pop(total))
    slow = {n for n in names if over_bar(small[n], large[n], factor)}
    over = [
        n
        for n in names
        if over_bar(counted[1][n], counted[factor][n], factor, 100)
        or over_bar(executed[1][n], executed[factor][n], factor, 100)
    ]
    print(
        f"{'line':<24} {'1x ms':>9} {f'{factor}x ms':>10} {'time':>7} "
        f"{'1x calls':>10} {f'{factor}x calls':>11} {'calls':>7} {'lines':>7}"
    )
    for n, name in enumerate(names):
        if not show_all and n >= 16 and name not in over and name not in slow:
            continue
        ratio = large[name] / max(small[name], 1e-9)
        work = counted[factor][name] / max(counted[1][name], 1)
        steps = executed[factor][name] / max(executed[1][name], 1)
        mark = "  <- over the bar" if name in over else ("  (time only)" if name in slow else "")
        print(
            f"{name:<24} {small[name] * 1000:>9.1f} {large[name] * 1000:>10.1f} {ratio:>6.1f}x "
            f"{counted[1][name]:>10.0f} {counted[factor][name]:>11.0f} {work:>6.1f}x "
            f"{steps:>6.1f}x{mark}"
        )
    if not show_all:
        print(f"(the 16 costliest lines at {factor}x and any over the bar; --all for every line)")
    print(
        f"linear: {factor}x; bar: {BAR * factor / 10:g}x. Over it in calls or lines (the work): "
        f"{', '.join(over) or 'none'}; in CPU time only: {', '.join(sorted(slow - set(over))) or 'none'}"
    )
    return len(over)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds per scale (median)")
    parser.add_argument("--scale", type=int, default=10, help="the larger scale (default 10)")
    parser.add_argument("--all", action="store_true", help="print every rule's line")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a line is over")
    args = parser.parse_args(argv)
    gc.disable()  # as the console script runs
    loads: dict[int, LoadResult] = {}
    with tempfile.TemporaryDirectory() as work:
        for scale in (1, args.scale):
            folder = Path(work) / f"{scale}x"
            generate(str(folder), 10 * scale, 1000 * scale, 4000 * scale)
            loads[scale] = load_environment([str(folder)])
            assert not loads[scale].findings, "the generated environment must load clean"
        # inside the `with`: the files stay, locations read them
        medians = measure(loads, max(1, args.repeat))
        counted = count(loads, calls)
        executed = count(loads, lines)
    print(f"median of {max(1, args.repeat)} interleaved rounds per scale")
    over = report(medians, counted, executed, args.scale, args.all)
    return 1 if over and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
