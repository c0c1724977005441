"""Where a server's CPU goes: py-spy samples during a load window, summed per function.

Profiling slows the server, so it runs in its own window after the measured rounds. The raw
output is the folded-stack format that speedscope.app, flamegraph.pl and inferno read.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(?::\d+)?\)$")
_SITE = re.compile(r".*/site-packages/|.*/lib/python3\.\d+/")


def record(py_spy: Path, pid: int, seconds: int, out: Path) -> None:
    """Sample `pid` at 250 Hz for `seconds` into `out` (folded stacks)."""
    subprocess.run(
        [str(py_spy), "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "250",
         "--nonblocking", "--format", "raw", "--output", str(out)],
        check=True, capture_output=True, text=True,
    )


def _function(frame: str) -> str:
    m = _FRAME.match(frame)
    if m is None:
        return frame or "(native or unknown)"
    where = _SITE.sub("", m["file"])
    root = Path(__file__).resolve().parents[2]
    where = where.removeprefix(f"{root}/")
    return f"{m['func']} ({where})"


def top_functions(folded: Path, n: int = 15) -> tuple[int, list[tuple[float, float, str]]]:
    """(samples, [(self %, total %, function)]) for the `n` functions with most self time."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in folded.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        k = int(count)
        samples += k
        frames = [_function(f) for f in stack.split(";")]
        own[frames[-1]] += k
        for f in set(frames):
            total[f] += k
    if not samples:
        return 0, []
    return samples, [(100 * k / samples, 100 * total[f] / samples, f) for f, k in own.most_common(n)]


def summary_text(label: str, folded: Path, n: int = 15) -> str:
    samples, rows = top_functions(folded, n)
    lines = [f"{label}: {samples} samples (py-spy, Python frames; time in C and the kernel lands on its caller), {folded}"]
    lines += [f"  {own:5.1f}% self {tot:5.1f}% total  {f}" for own, tot, f in rows]
    return "\n".join(lines)
