"""Two versions of Aviary side by side: is a change to the hot path faster, end to end?

    git worktree add /tmp/before HEAD~1
    .venv/bin/python bench/ab.py /tmp/before [--kind thrift|http] [--rounds 15]

Runs the echo from this tree and from the other one (telemetry on, the default), plus this
tree with ``telemetry=false`` as a fixed reference, paired as the telemetry suites are (see
bench/README.md, "What telemetry costs"): a fresh set each round, all on one core, loaded at
the same moment. Prints the medians of the per-round req/s ratios. A change of one percent is
within what two runs of the same code differ by; look for more, or repeat.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from harness.measure import Options, Sample, run_paired
from harness.procs import ServerSpec
from harness.suites import Suite, _aviary_flags

HERE = Path(__file__).resolve().parent.parent


def echo_from(tree: Path, bin_dir: Path, *extra: str) -> list[str]:
    """`aviary run echo` with `tree`'s framework and services ahead of the installed ones."""
    boot = f"import sys; sys.path.insert(0, {str(tree)!r}); from framework.cli import main; sys.exit(main())"
    return [str(bin_dir / "python"), "-c", boot, "run", "echo", *_aviary_flags(bin_dir / "aviary"), *extra]


def ratios(a: list[Sample], b: list[Sample]) -> str:
    r = [x.rps / y.rps for x, y in zip(a, b)]
    return f"{statistics.median(r):.3f}× (rounds {min(r):.2f}–{max(r):.2f})"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("other", type=Path, help="another checkout of this repository (git worktree add ...)")
    p.add_argument("--kind", choices=("thrift", "http"), default="thrift")
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--out", type=Path, default=HERE / "bench" / "out")
    args = p.parse_args()
    if not (args.other / "framework").is_dir():
        sys.exit(f"{args.other} has no framework/: give a checkout of this repository")
    bin_dir = Path(sys.executable).parent
    suite = Suite(
        "ab",
        args.kind,
        (
            ServerSpec("this", "this tree", echo_from(HERE, bin_dir), args.kind),
            ServerSpec("other", str(args.other), echo_from(args.other.resolve(), bin_dir), args.kind),
            ServerSpec("off", "this tree, telemetry off", echo_from(HERE, bin_dir, "--set", "telemetry=false"), args.kind),
        ),
        (),
        paired=True,
    )
    opts = Options(seconds=2, rounds=args.rounds, warmup=1, connections=16, wrk_threads=2)
    s = run_paired(suite, opts, args.out, lambda line: print(line, flush=True))
    print(f"this tree ÷ {args.other}: {ratios(s['this'], s['other'])}")
    print(f"this tree ÷ telemetry off: {ratios(s['this'], s['off'])}")
    print(f"{args.other} ÷ telemetry off: {ratios(s['other'], s['off'])}")


if __name__ == "__main__":
    main()
