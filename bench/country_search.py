"""Country search speed: load the name index once, then time 1,000 searches.

    .venv/bin/python bench/country_search.py [--searches 1000] [--seed 1]

The queries mix names in several languages, ISO codes, prefixes of every length and junk, the
way members type them into the group search. Prints the load time of the index, then the total
and the per-search mean, p50 and p99 in microseconds. Standard library only (plus the app).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from cml_earth.groups.countries import country_index, find_countries

QUERIES = [
    # names in several languages and scripts
    *"Sverige Sweden Schweden Suède Suecia Ruotsi Švédsko Deutschland Allemagne Norge".split(),
    *"Danmark Suomi Finland España Italia Österreich Polska Россия Україна Ελλάδα".split(),
    *"スウェーデン 德国 Brasil México Nigeria Kenya Türkiye Turkey Nederland Éire".split(),
    "united kingdom",
    "United States",
    "Côte d'Ivoire",
    "south korea",
    "bosnia and herzegovina",
    # codes
    *"SE se SWE DE deu NO GB gbr US usa FR fr ES esp FI fin JP CN".split(),
    # prefixes, short and long
    *"s sv sver sw swe d de deu deut n no nor u un united k ko kor ic isl".split(),
    *"a b c e g i m p t z ma me ni po sa sc".split(),
    # junk
    *["", " ", "%", "_", ".*", "[a-z]+", "\x00", "a" * 200, "'; drop table --", "zzzz", "qxq"],
]


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--searches", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    started = time.perf_counter()
    index = country_index()
    load_seconds = time.perf_counter() - started
    print(
        f"index loaded in {load_seconds * 1000:.0f} ms: {len(index.name_keys)} names, "
        f"{len(index.word_keys)} word starts"
    )

    queries = random.Random(args.seed).choices(QUERIES, k=args.searches)  # noqa: S311 (a sample)
    timings: list[float] = []
    total_started = time.perf_counter()
    for query in queries:
        started = time.perf_counter()
        find_countries(query)
        timings.append((time.perf_counter() - started) * 1_000_000)
    total = time.perf_counter() - total_started

    timings.sort()
    print(f"{args.searches} searches in {total * 1000:.1f} ms")
    print(
        f"per search: mean {statistics.fmean(timings):.1f} µs, "
        f"p50 {percentile(timings, 0.50):.1f} µs, p99 {percentile(timings, 0.99):.1f} µs, "
        f"max {timings[-1]:.1f} µs"
    )


if __name__ == "__main__":
    main()
