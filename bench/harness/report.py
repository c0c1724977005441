"""Summarise samples (medians over rounds), compute the target ratios, print a table, write JSON.

A ratio is paired by round: within a round the two servers ran minutes apart at most, under
the same neighbours, so each round gives one ratio and the report shows their median.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .measure import Sample
from .suites import Suite, Target


@dataclass(frozen=True)
class Summary:
    """One server's figures: medians over the rounds (errors and requests: totals)."""

    label: str
    rps: float
    p50_us: float
    p99_us: float
    cpu_us_per_req: float
    cpu_spread_pct: float  # (max - min) / median of CPU/req over the rounds
    sys_pct: float  # share of the server's CPU time spent in the kernel
    server_cpu_pct: float
    client_cpu_pct: float
    requests: int
    errors: int

    @property
    def valid(self) -> bool:
        return self.errors == 0 and self.requests > 0


@dataclass(frozen=True)
class Ratio:
    target: Target
    value: float | None  # median of per_round; None: a server it depends on had errors
    per_round: list[float]

    @property
    def verdict(self) -> str:
        if self.value is None:
            return "INVALID"
        if not self.target.op:
            return ""
        return "PASS" if self.target.met(self.value) else "MISS"


def summarise(label: str, samples: list[Sample]) -> Summary:
    med = statistics.median
    cpu = [s.cpu_us_per_req for s in samples]
    return Summary(
        label=label,
        rps=med(s.rps for s in samples),
        p50_us=med(s.load.p50_us for s in samples),
        p99_us=med(s.load.p99_us for s in samples),
        cpu_us_per_req=med(cpu),
        cpu_spread_pct=100 * (max(cpu) - min(cpu)) / med(cpu) if med(cpu) else 0.0,
        sys_pct=100 * sum(s.server_sys_s for s in samples) / max(sum(s.server_cpu_s for s in samples), 1e-9),
        server_cpu_pct=med(s.server_cpu_pct for s in samples),
        client_cpu_pct=med(s.client_cpu_pct for s in samples),
        requests=sum(s.load.requests for s in samples),
        errors=sum(s.load.errors for s in samples),
    )


def ratios(suite: Suite, summaries: dict[str, Summary], samples: dict[str, list[Sample]]) -> list[Ratio]:
    out = []
    for t in suite.targets:
        if t.subject not in summaries or t.baseline not in summaries:
            continue  # a server left out with --only
        per_round = [getattr(a, t.metric) / getattr(b, t.metric) for a, b in zip(samples[t.subject], samples[t.baseline])]
        valid = summaries[t.subject].valid and summaries[t.baseline].valid
        out.append(Ratio(t, statistics.median(per_round) if valid else None, per_round))
    return out


def table(suite: Suite, summaries: dict[str, Summary], found: list[Ratio], heading: str) -> str:
    cols = f"{'server':<21}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'CPU µs/req':>12}{'spread':>8}{'kernel':>8}{'server CPU':>12}{'client CPU':>12}{'errors':>8}"
    lines = [heading, "", cols, "-" * len(cols)]
    for s in summaries.values():
        lines.append(
            f"{s.label:<21}{s.rps:>8,.0f}{s.p50_us / 1000:>8.2f}{s.p99_us / 1000:>8.2f}{s.cpu_us_per_req:>12.1f}"
            f"{s.cpu_spread_pct:>7.0f}%{s.sys_pct:>7.0f}%{s.server_cpu_pct:>11.0f}%{s.client_cpu_pct:>11.0f}%{s.errors:>8}"
        )
    if found:
        lines.append("")
        for r in found:
            value = "—" if r.value is None else f"{r.value:.3f}×"
            target = f"{'≤' if r.target.op == '<=' else '≥'} {r.target.bound:g}×" if r.target.op else "—"
            spread = f"(rounds {min(r.per_round):.2f}–{max(r.per_round):.2f})" if len(r.per_round) > 1 else ""
            lines.append(f"{r.target.text:<44}{value:>7}   target {target:<7}{r.verdict:<9}{spread}")
    invalid = [s.label for s in summaries.values() if not s.valid]
    if invalid:
        lines.append(f"\nINVALID (errors or no requests): {', '.join(invalid)}; see the logs in bench/out/{suite.name}/")
    return "\n".join(lines)


def to_json(suite: Suite, summaries: dict[str, Summary], found: list[Ratio], samples: dict[str, list[Sample]], settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "suite": suite.name,
        "settings": settings,
        "servers": {
            name: {
                **asdict(s),
                "valid": s.valid,
                "rounds": [
                    {**asdict(x.load), "server_user_s": x.server_user_s, "server_sys_s": x.server_sys_s, "rps": x.rps, "cpu_us_per_req": x.cpu_us_per_req}
                    for x in samples[name]
                ],
            }
            for name, s in summaries.items()
        },
        "ratios": [
            {"name": r.target.text, "metric": r.target.metric, "subject": r.target.subject, "baseline": r.target.baseline,
             "value": r.value, "per_round": r.per_round, "op": r.target.op, "target": r.target.bound, "verdict": r.verdict}
            for r in found
        ],
    }


def write_json(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
