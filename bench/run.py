"""Aviary's benchmark: the echo over REST and over Thrift, beside the servers it replaces.

    .venv/bin/python bench/run.py [--suite rest,thrift] [--seconds 5] [--rounds 3] ...

See bench/README.md for what is measured and how to read the table.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import platform
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from harness import report
from harness.measure import Options, run_suite
from harness.payload import WrongReply
from harness.suites import suites

BENCH = Path(__file__).resolve().parent
PACKAGES = ("aviary", "starlette", "uvicorn", "uvloop", "httptools", "thriftpy2", "flask", "gunicorn")


def parse_args(names: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--suite", default=",".join(names), help=f"comma-separated suites to run (default: {','.join(names)})")
    p.add_argument("--only", default="", help="comma-separated server names to run, e.g. aviary,starlette (default: all)")
    p.add_argument("--seconds", "--duration", type=int, default=2, help="seconds in one load window (default: 2)")
    p.add_argument("--rounds", type=int, default=7, help="load windows per server; figures are their medians (default: 7)")
    p.add_argument("--warmup", type=int, default=1, help="seconds of unmeasured load per server first (default: 1)")
    p.add_argument("--connections", type=int, default=16, help="concurrent connections (default: 16)")
    p.add_argument("--threads", type=int, default=2, help="wrk threads (default: 2)")
    p.add_argument("--out", type=Path, default=BENCH / "out", help="where results and logs go (default: bench/out)")
    p.add_argument("--profile", action="store_true", help="after the rounds, profile each server under load with py-spy")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed, not only on errors")
    args = p.parse_args()
    unknown = set(args.suite.split(",")) - set(names)
    if unknown:
        p.error(f"unknown suite {', '.join(sorted(unknown))}; choose from {', '.join(names)}")
    if args.rounds < 1 or args.seconds <= 0 or args.connections < 1:
        p.error("--rounds, --seconds and --connections must be positive")
    return args


def _version(cmd: list[str]) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True)
        return (done.stdout or done.stderr).splitlines()[0].strip()
    except (OSError, IndexError):
        return "?"


def environment() -> dict[str, Any]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    commit = _version(["git", "-C", str(BENCH), "rev-parse", "--short", "HEAD"])
    return {
        "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": commit,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "interpreter": os.path.realpath(sys.executable),  # which build: they differ by up to 20 %
        "wrk": _version(["wrk", "--version"]),
        "packages": versions,
    }


def main() -> int:
    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "aviary").exists():
        sys.exit(f"no aviary beside {sys.executable}: run this with the project's venv, e.g. .venv/bin/python bench/run.py")
    for tool in ("wrk", "gcc"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed (Debian: apt-get install {tool})")
    available = suites(bin_dir)
    args = parse_args(list(available))
    only = set(filter(None, args.only.split(",")))
    py_spy = bin_dir / "py-spy" if args.profile else None
    if py_spy is not None and not py_spy.exists():
        sys.exit(f"--profile needs py-spy beside {sys.executable}: {bin_dir / 'pip'} install py-spy")
    opts = Options(args.seconds, args.rounds, args.warmup, args.connections, args.threads, py_spy)
    env = environment()
    say = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    say(f"{env['cpus']} CPUs, load average {env['load_average'][0]:.2f}; load generators and servers share them")
    say(f"Python {env['python']} ({env['interpreter']})")

    failed = missed = False
    tables = []
    for name in args.suite.split(","):
        suite = available[name]
        if only:
            suite = dataclasses.replace(suite, servers=tuple(s for s in suite.servers if s.name in only))
            if not suite.servers:
                continue
        suite_opts = dataclasses.replace(opts, connections=suite.connections or opts.connections)
        try:
            samples = run_suite(suite, suite_opts, args.out, say)
        except (WrongReply, RuntimeError, subprocess.SubprocessError) as e:
            say(f"{name}: INVALID: {e}")
            failed = True
            continue
        labels = {s.name: s.label for s in suite.servers}
        summaries = {n: report.summarise(labels[n], xs) for n, xs in samples.items()}
        found = report.ratios(suite, summaries, samples)
        heading = (
            f"{name.upper()} echo: {suite_opts.connections} connections, {opts.rounds} rounds × {opts.seconds:g} s, "
            f"{env['cpus']} CPUs shared with the load generator (medians over rounds)"
        )
        tables.append(report.table(suite, summaries, found, heading))
        settings = {**vars(suite_opts), "py_spy": opts.py_spy is not None, **env}
        report.write_json(args.out / f"results-{name}.json", report.to_json(suite, summaries, found, samples, settings))
        failed |= any(not s.valid for s in summaries.values()) or any(r.value is None for r in found)
        missed |= any(r.verdict == "MISS" for r in found)

    print("\n\n".join(tables))
    print(f"\nresults: {args.out}/results-<suite>.json")
    return 1 if failed or (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
