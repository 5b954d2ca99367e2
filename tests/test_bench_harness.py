"""The pure parts of ``make bench`` (bench/measure.py): reading wrk, the targets, the table.

The wrk outputs are real ones, captured from wrk 4.1.0 (Debian) during the first bench runs.
"""

from __future__ import annotations

import importlib.util
import sys

import pytest

from cml_earth import PROJECT_ROOT

_spec = importlib.util.spec_from_file_location("bench_measure", PROJECT_ROOT / "bench/measure.py")
measure = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("bench_measure", measure)  # dataclasses look their module up there
_spec.loader.exec_module(measure)

HEALTHZ = """\
Running 2s test @ http://127.0.0.1:47949/healthz
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    14.21ms    5.31ms  52.93ms   74.14%
    Req/Sec   566.55     92.89   720.00     62.50%
  Latency Distribution
     50%   14.03ms
     75%   16.24ms
     90%   20.28ms
     99%   31.53ms
  2259 requests in 2.01s, 1.29MB read
Requests/sec:   1125.93
Transfer/sec:    658.62KB
"""

# wrk pads seconds with a space ("1.17s ").
SLOW_FEED = """\
Running 2s test @ http://127.0.0.1:47949/
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.16s   485.61ms   1.88s    58.82%
    Req/Sec     8.13      3.72    10.00     80.00%
  Latency Distribution
     50%    1.17s \n\
     75%    1.60s \n\
     90%    1.81s \n\
     99%    1.88s \n\
  17 requests in 2.01s, 270.07KB read
Requests/sec:      8.44
Transfer/sec:    134.06KB
"""

NOT_FOUND = """\
Running 2s test @ http://127.0.0.1:47123/missing
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    39.09ms  133.47ms 861.67ms   93.15%
    Req/Sec   800.47    204.31     1.12k    62.50%
  Latency Distribution
     50%    3.31ms
     75%    5.77ms
     90%   12.06ms
     99%  750.84ms
  3189 requests in 2.00s, 1.58MB read
  Non-2xx or 3xx responses: 3189
Requests/sec:   1593.37
Transfer/sec:    809.13KB
"""


def test_parses_rate_and_latency_distribution():
    m = measure.parse_wrk("/healthz", HEALTHZ)
    assert (m.requests, m.seconds, m.rate) == (2259, 2.01, 1125.93)
    assert (m.p50_ms, m.p99_ms) == (14.03, 31.53)  # the distribution, not the average
    assert m.errors == 0


def test_seconds_are_converted_to_milliseconds():
    m = measure.parse_wrk("feed", SLOW_FEED)
    assert m.p50_ms == pytest.approx(1170.0)
    assert m.p99_ms == pytest.approx(1880.0)
    assert m.rate == 8.44


def test_non_2xx_and_socket_errors_are_errors():
    assert measure.parse_wrk("404", NOT_FOUND).errors == 3189
    # The line wrk prints when connections fail (format from wrk's src/wrk.c).
    socket_line = "  Socket errors: connect 1, read 2, write 3, timeout 4\n"
    with_socket = NOT_FOUND.replace("  Non-2xx", socket_line + "  Non-2xx")
    m = measure.parse_wrk("404", with_socket)
    assert (m.non_2xx_3xx, m.socket_errors, m.errors) == (3189, 10, 3199)


def test_anything_else_is_refused():
    with pytest.raises(ValueError, match="not wrk"):
        measure.parse_wrk("x", "unable to connect to 127.0.0.1:1 Connection refused\n")


def _m(rate, p99=10.0, errors=0, write=False):
    return measure.Measurement("page", 100, 1.0, rate, 5.0, p99, non_2xx_3xx=errors, write=write)


def test_targets_ratio_p99_and_errors():
    healthz = _m(1000)
    verdicts = measure.judge_all([healthz, _m(350), _m(349), _m(900, p99=51), _m(900, errors=1)])
    assert verdicts[0].ratio is None and verdicts[0].passed
    assert verdicts[1].passed and verdicts[1].ratio == pytest.approx(0.35)
    assert verdicts[2].failures == ["ratio 0.35 < 0.35"]  # 0.349, shown rounded
    assert verdicts[3].failures == ["p99 51 ms > 50 ms"]
    assert verdicts[4].failures == ["1 errors"]


def test_the_p99_target_is_for_reads_only():
    verdicts = measure.judge_all([_m(1000), _m(500, p99=400, write=True)])
    assert verdicts[1].passed


def test_table_marks_each_row():
    table = measure.markdown_table(measure.judge_all([_m(1000), _m(100)]))
    rows = table.splitlines()
    assert rows[2].endswith("| 1 (baseline) | pass |")
    assert rows[3].endswith("| 0.10 | fail: ratio 0.10 < 0.35 |")


def test_percentile_is_nearest_rank():
    assert measure.percentile([], 0.99) == 0.0
    assert measure.percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert measure.percentile(list(range(1, 101)), 0.99) == 99


# --- full size against medium -----------------------------------------------------------------


def _page(key, p50, name=None):
    return measure.Measurement(name or f"{key} page", 100, 1.0, 500.0, p50, 2 * p50, key=key)


def test_parse_wrk_keeps_the_key():
    assert measure.parse_wrk("/healthz", HEALTHZ, key="healthz").key == "healthz"
    assert measure.parse_wrk("/healthz", HEALTHZ).key == ""  # the old callers still work


def test_compare_scales_by_key_in_the_larger_runs_order():
    medium = {"healthz": 10.0, "feed": 40.0, "profile": 20.0, "search": 5.0}
    full = [
        _page("healthz", 11.0),
        _page("feed", 52.0, "home feed (member)"),
        _page("profile", 30.4, "profile /members/SkogenPaul9993"),
        _page("country", 8.0),  # not in the medium run: left out
        _page("", 9.0),  # no key: left out
        _page("search", 5.0),
    ]
    rows = measure.compare_scales(medium, full)
    assert [row.key for row in rows] == ["healthz", "feed", "profile", "search"]
    feed = rows[1]
    assert (feed.name, feed.smaller_p50_ms, feed.larger_p50_ms) == ("home feed (member)", 40, 52)
    assert feed.growth == pytest.approx(1.3) and feed.passed  # exactly at the target passes
    assert rows[2].growth == pytest.approx(1.52) and not rows[2].passed
    assert rows[3].growth == pytest.approx(1.0) and rows[3].passed


def test_a_zero_p50_gives_no_ratio_and_no_zero_division():
    rows = measure.compare_scales({"feed": 0.0}, [_page("feed", 3.0)])
    assert rows[0].growth is None and not rows[0].passed
    table = measure.scale_table(rows, "medium", "full")
    assert table.splitlines()[2].endswith(
        "| 0.0 ms | 3.0 ms | – | fail: p50 at medium is 0 ms, no ratio |"
    )
    # A zero at the larger size is a ratio like any other.
    assert measure.compare_scales({"feed": 4.0}, [_page("feed", 0.0)])[0].passed


def test_scale_table_marks_pass_and_fail():
    rows = measure.compare_scales(
        {"feed": 40.0, "profile": 20.0},
        [_page("feed", 44.0, "home feed (member)"), _page("profile", 30.4, "profile /members/X")],
    )
    lines = measure.scale_table(rows, "medium", "full").splitlines()
    assert lines[0] == "| page | p50 at medium | p50 at full | growth | target |"
    assert lines[1] == "|---|---:|---:|---:|---|"
    assert lines[2] == "| home feed (member) | 40.0 ms | 44.0 ms | 1.10 | pass |"
    assert lines[3] == "| profile /members/X | 20.0 ms | 30.4 ms | 1.52 | fail: growth 1.52 > 1.3 |"
    assert len(lines) == 4


def test_results_json_is_keyed_and_reads_back():
    import datetime
    import json

    started = datetime.datetime(2026, 11, 26, 14, 5, tzinfo=datetime.UTC)
    feed = measure.Measurement(
        "home feed (member)", 80, 10.0, 8.0, 41.5, 90.0, non_2xx_3xx=2, key="feed"
    )
    unkeyed = measure.Measurement("something else", 10, 1.0, 10.0, 1.0, 2.0)
    data = measure.results_json("sqlite", "medium", started, {"members": 10_000}, [feed, unkeyed])
    assert data == {
        "backend": "sqlite",
        "size": "medium",
        "started": "2026-11-26T14:05:00+00:00",
        "counts": {"members": 10_000},
        "pages": {
            "feed": {
                "name": "home feed (member)",
                "rate": 8.0,
                "p50_ms": 41.5,
                "p99_ms": 90.0,
                "errors": 2,
            },
            "something else": {
                "name": "something else",
                "rate": 10.0,
                "p50_ms": 1.0,
                "p99_ms": 2.0,
                "errors": 0,
            },
        },
    }
    again = json.loads(json.dumps(data))
    assert measure.p50s(again) == {"feed": 41.5, "something else": 1.0}
    assert measure.compare_scales(measure.p50s(again), [_page("feed", 83.0)])[0].growth == 2.0
