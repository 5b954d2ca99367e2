"""The pure parts of ``make bench``: reading wrk's output, the targets, the Markdown tables.

No I/O here, so ``tests/test_bench_harness.py`` checks it in milliseconds.
"""

from __future__ import annotations

import datetime
import math
import re
from dataclasses import dataclass

#: Every key page must serve at least this share of /healthz's requests per second.
MIN_RATIO = 0.35
#: A read page's 99th percentile at 16 connections, in milliseconds.
MAX_READ_P99_MS = 50.0
#: p50 at 100,000 members within this many times p50 at 10,000 members (full against medium).
MAX_SCALE_GROWTH = 1.3

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_LATENCY = re.compile(r"^\s*(50|75|90|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
_REQUESTS = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)", re.MULTILINE)
_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_SOCKET = re.compile(
    r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", re.MULTILINE
)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")


@dataclass
class Measurement:
    """One page under load: what wrk (or the journey driver) saw."""

    name: str
    requests: int
    seconds: float
    rate: float  # requests per second
    p50_ms: float
    p99_ms: float
    non_2xx_3xx: int = 0
    socket_errors: int = 0
    write: bool = False  # a POST: the read p99 target does not apply
    key: str = ""  # the same for a page at every size ("feed", "profile", ...); name is not

    @property
    def errors(self) -> int:
        return self.non_2xx_3xx + self.socket_errors


def _ms(value: str, unit: str) -> float:
    return float(value) * _UNITS_MS[unit]


def parse_wrk(name: str, output: str, write: bool = False, key: str = "") -> Measurement:
    """Read ``wrk --latency`` output; raises ValueError when it is not wrk's summary."""
    rate = _RATE.search(output)
    requests = _REQUESTS.search(output)
    latencies = {int(pct): _ms(value, unit) for pct, value, unit in _LATENCY.findall(output)}
    if not rate or not requests or 50 not in latencies or 99 not in latencies:
        raise ValueError(f"not wrk --latency output:\n{output}")
    socket = _SOCKET.search(output)
    non_2xx = _NON_2XX.search(output)
    return Measurement(
        name=name,
        requests=int(requests.group(1)),
        seconds=_ms(requests.group(2), requests.group(3)) / 1000,
        rate=float(rate.group(1)),
        p50_ms=latencies[50],
        p99_ms=latencies[99],
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in socket.groups()) if socket else 0,
        write=write,
        key=key,
    )


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of ``values`` (0 < share <= 1); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass
class Verdict:
    measurement: Measurement
    ratio: float | None  # to /healthz in the same run; None for /healthz itself
    failures: list[str]

    @property
    def passed(self) -> bool:
        return not self.failures


def judge(measurement: Measurement, healthz_rate: float, baseline: bool = False) -> Verdict:
    """The issue's targets for one row: ratio, read p99 and zero errors."""
    failures = []
    ratio = None
    if not baseline:
        ratio = measurement.rate / healthz_rate if healthz_rate else 0.0
        if ratio < MIN_RATIO:
            failures.append(f"ratio {ratio:.2f} < {MIN_RATIO}")
    if not measurement.write and measurement.p99_ms > MAX_READ_P99_MS:
        failures.append(f"p99 {measurement.p99_ms:.0f} ms > {MAX_READ_P99_MS:.0f} ms")
    if measurement.errors:
        failures.append(f"{measurement.errors} errors")
    return Verdict(measurement, ratio, failures)


def judge_all(measurements: list[Measurement]) -> list[Verdict]:
    """Judge every row against the first one, which must be /healthz."""
    baseline = measurements[0]
    return [judge(baseline, baseline.rate, baseline=True)] + [
        judge(m, baseline.rate) for m in measurements[1:]
    ]


def markdown_table(verdicts: list[Verdict]) -> str:
    lines = [
        "| page | req/s | p50 ms | p99 ms | errors | ratio to /healthz | targets |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for verdict in verdicts:
        m = verdict.measurement
        ratio = "1 (baseline)" if verdict.ratio is None else f"{verdict.ratio:.2f}"
        status = "pass" if verdict.passed else "fail: " + "; ".join(verdict.failures)
        lines.append(
            f"| {m.name} | {m.rate:,.0f} | {m.p50_ms:.1f} | {m.p99_ms:.1f} | {m.errors} "
            f"| {ratio} | {status} |"
        )
    return "\n".join(lines)


def markdown_pairs(pairs: list[tuple[str, str]]) -> str:
    return "\n".join(f"- **{key}**: {value}" for key, value in pairs)


# --- one size against another ---------------------------------------------------------------


def results_json(
    backend: str,
    size: str,
    started: datetime.datetime,
    counts: dict[str, int],
    measurements: list[Measurement],
) -> dict:
    """What bench/results/<date>-<backend>-<size>.json holds: a later run at another size
    compares its pages with these by key (the names carry data-dependent parts)."""
    return {
        "backend": backend,
        "size": size,
        "started": started.isoformat(),
        "counts": dict(counts),
        "pages": {
            (m.key or m.name): {
                "name": m.name,
                "rate": m.rate,
                "p50_ms": m.p50_ms,
                "p99_ms": m.p99_ms,
                "errors": m.errors,
            }
            for m in measurements
        },
    }


def p50s(results: dict) -> dict[str, float]:
    """Each page's p50 in milliseconds, by key, from a ``results_json`` dict read back."""
    return {key: float(page["p50_ms"]) for key, page in results.get("pages", {}).items()}


@dataclass
class ScaleRow:
    key: str
    name: str  # the page's name at the larger size
    smaller_p50_ms: float
    larger_p50_ms: float
    growth: float | None  # larger / smaller; None when the smaller p50 is 0 (no ratio)

    @property
    def passed(self) -> bool:
        return self.growth is not None and self.growth <= MAX_SCALE_GROWTH


def compare_scales(smaller: dict[str, float], larger: list[Measurement]) -> list[ScaleRow]:
    """The larger run's pages, in its order, against the smaller run's p50 by key.

    Pages without a key, or whose key the smaller run lacks, are left out. /healthz is kept:
    it does not touch the data, so its growth shows how much the two runs differ anyway.
    """
    rows = []
    for m in larger:
        if not m.key or m.key not in smaller:
            continue
        before = smaller[m.key]
        growth = m.p50_ms / before if before > 0 else None
        rows.append(ScaleRow(m.key, m.name, before, m.p50_ms, growth))
    return rows


def scale_table(rows: list[ScaleRow], smaller_label: str, larger_label: str) -> str:
    lines = [
        f"| page | p50 at {smaller_label} | p50 at {larger_label} | growth | target |",
        "|---|---:|---:|---:|---|",
    ]
    for row in rows:
        if row.growth is None:
            growth, status = "–", f"fail: p50 at {smaller_label} is 0 ms, no ratio"
        elif row.passed:
            growth, status = f"{row.growth:.2f}", "pass"
        else:
            growth = f"{row.growth:.2f}"
            status = f"fail: growth {row.growth:.2f} > {MAX_SCALE_GROWTH}"
        lines.append(
            f"| {row.name} | {row.smaller_p50_ms:.1f} ms | {row.larger_p50_ms:.1f} ms "
            f"| {growth} | {status} |"
        )
    return "\n".join(lines)
