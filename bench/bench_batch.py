"""Benchmark: a synthetic city-year under one product, against what a user would write.

In one run, for one product (default hangzhou-2022, 1,000,000 claims of about 30 fee lines):

- the columnar batch engine over the whole population: claims/s, fee lines/s, CPU and
  wall time (median of ``--repeat`` runs after a warm-up that compiles its passes), and
  the share of claims it hands to the reference engine;
- a memory pass over the line amounts (numpy sums of the four fen columns): the floor
  any engine pays to read its input once; the engine's time as a multiple of it;
- the hand-written baselines of ``baseline_pandas.py`` (vectorised pandas) and
  ``baseline_polars.py`` (lazy Polars, one thread) over the same population, their times
  and the engine's speed as a multiple of theirs; their payable is checked equal to the
  engine's on every claim (hangzhou-2022 only: the product they transcribe);
- the engine's figures checked against the reference engine on a sample of people
  (``--verify-all``: every claim, in chunks; slow);
- per bundled product, on a small population each (``--products-claims``): the share of
  claims that falls back to the reference engine and claims/s;
- peak resident memory of the process after the engine runs (population included) and at
  the end (baselines included);
- as a footnote, a naive ``groupby().apply()`` replaying the reference engine per person, on
  the sample (what an analyst might write first; no actuary would).

The population's fee-line amounts are int32 fen (``--line-amounts int32``, the default
here: half the memory of the largest columns, read by the engine as they are); ``--line-amounts
int64`` builds them as the generator does by default. Every table, baselines included, reads
the same population.

Single core: numpy/numba thread pools are held to one thread and Polars to one
(``POLARS_MAX_THREADS=1``, overridable). Times are CPU seconds of this process (what the
machine spent, whatever else runs on it) with wall seconds alongside.

Run: python bench/bench_batch.py [--claims 1000000] [--lines 30] [--product hangzhou-2022]
     [--line-amounts int32|int64] [--repeat 3] [--sample 1000] [--products-claims 1000] [--json]
Small: python bench/bench_batch.py --claims 20000 --repeat 1 --products-claims 200
"""

from __future__ import annotations

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS",
            "POLARS_MAX_THREADS"):
    os.environ.setdefault(var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

from huiminbao_rules import bundled_ids, get_product, replay  # noqa: E402
from huiminbao_rules.analytics.batch import adjudicate_population  # noqa: E402
from huiminbao_rules.analytics.population import LINE_MONEY  # noqa: E402
from huiminbao_rules.analytics.synthetic import SyntheticParams, population  # noqa: E402

import hangzhou_2022 as H  # noqa: E402  (the reading of unknown lists the baselines implement)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def _timed(fn, repeat: int) -> tuple[dict[str, Any], object]:  # type: ignore[no-untyped-def]
    """Median CPU and wall seconds over ``repeat`` calls (and each call's CPU seconds), and the last result."""
    cpu, wall, result = [], [], None
    for _ in range(repeat):
        result = None  # the last run's result is not held while the next one runs (its peak RSS is its own)
        c0, w0 = time.process_time(), time.perf_counter()
        result = fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return {"cpu_s": statistics.median(cpu), "wall_s": statistics.median(wall),
            "cpu_s_all": [round(x, 3) for x in cpu]}, result


def _rates(times: dict[str, Any], claims: int, lines: int) -> dict[str, Any]:
    return {**times, "claims_per_s": claims / times["cpu_s"], "lines_per_s": lines / times["cpu_s"]}


def _equal_payable(expected: pd.DataFrame, got: pd.DataFrame) -> int:
    """Claims compared; raises AssertionError naming the first claims that differ."""
    a = expected[["claim_id", "payable"]].astype({"claim_id": str})
    b = got[["claim_id", "payable"]].astype({"claim_id": str})
    both = a.merge(b, on="claim_id", how="outer", suffixes=("", "_baseline"), indicator=True)
    bad = both[(both["_merge"] != "both") | (both["payable"] != both["payable_baseline"])]
    if len(bad):
        raise AssertionError(f"{len(bad)} claims differ, e.g.\n{bad.head()}")
    return len(both)


def machine() -> dict[str, object]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import numba
    import polars

    return {"cpu": model or platform.processor(), "cores": os.cpu_count(), "load_1min": os.getloadavg()[0],
            "python": platform.python_version(), "numpy": np.__version__, "pandas": pd.__version__,
            "polars": polars.__version__, "numba": numba.__version__}


def fallback_by_product(n_claims: int, lines: float, seed: int, line_amounts: str) -> dict[str, dict[str, float]]:
    """Per bundled product, on a small population: share of claims the columnar engine
    hands to the reference engine, and claims/s (CPU, after a warm-up)."""
    out = {}
    for pid in bundled_ids():
        product = get_product(pid)
        params = SyntheticParams(line_amounts=line_amounts).sized(claims=n_claims, lines_per_claim=lines)
        pop = population(product, params, seed=seed)
        adjudicate_population(pop.subset(pop.insured["insured_id"].head(20)), product)  # compile, warm up
        times, frame = _timed(lambda: adjudicate_population(pop, product), 1)
        out[pid] = {"claims": len(frame), "fallback_share": float((frame["engine"] == "reference").mean()),
                    "claims_per_s": len(frame) / times["cpu_s"]}
    return out


def main(argv: list[str] | None = None) -> dict[str, object]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--claims", type=int, default=1_000_000)
    ap.add_argument("--lines", type=float, default=30.0, help="mean fee lines per claim")
    ap.add_argument("--product", default="hangzhou-2022")
    ap.add_argument("--line-amounts", choices=("int32", "int64"), default="int32",
                    help="type of the fee lines' amount columns (default int32)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sample", type=int, default=1000, help="people in the reference-engine sample")
    ap.add_argument("--products-claims", type=int, default=1000,
                    help="claims per bundled product for the fallback shares (0: skip)")
    ap.add_argument("--verify-all", action="store_true", help="check every claim against the reference engine")
    ap.add_argument("--chunk", type=int, default=20_000, help="people per chunk when checking every claim")
    ap.add_argument("--seed", type=int, default=20261124)
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = ap.parse_args(argv)
    say = (lambda *a, **k: None) if args.json else print
    report: dict[str, object] = {"machine": machine(), "product": args.product}

    product = get_product(args.product)
    t0 = time.perf_counter()
    # The baselines implement the rules that need no list member (bench/hangzhou_2022.py): the
    # population draws no line named on a product list (listed_share=0).
    params = SyntheticParams(listed_share=0.0, line_amounts=args.line_amounts)
    pop = population(product, params.sized(claims=args.claims, lines_per_claim=args.lines), seed=args.seed)
    n_claims, n_lines = len(pop.claims), len(pop.fee_lines)
    report["population"] = {"claims": n_claims, "fee_lines": n_lines, "insured": len(pop.insured),
                            "line_amounts": args.line_amounts, "seed": args.seed,
                            "built_wall_s": time.perf_counter() - t0}
    say(f"synthetic {args.product}: {n_claims:,} claims, {n_lines:,} fee lines ({args.line_amounts} amounts), "
        f"{len(pop.insured):,} insured (built in {report['population']['built_wall_s']:.1f} s); "
        f"machine load {report['machine']['load_1min']:.1f}")

    # The engine.
    adjudicate_population(pop.subset(pop.insured["insured_id"].head(50)), product, unknown_lists=H.UNKNOWN_LISTS)  # compile the passes
    times, batch = _timed(lambda: adjudicate_population(pop, product, unknown_lists=H.UNKNOWN_LISTS), args.repeat)
    engine = _rates(times, n_claims, n_lines)
    engine["fallback_share"] = float((batch["engine"] == "reference").mean())
    engine["peak_rss_mb"] = _peak_mb()
    report["engine"] = engine
    say(f"batch engine      {engine['claims_per_s']:12,.0f} claims/s {engine['lines_per_s']:14,.0f} lines/s  "
        f"{engine['cpu_s']:7.2f} s CPU ({engine['wall_s']:.2f} s wall); "
        f"{engine['fallback_share']:.1%} to the reference engine; peak RSS so far {engine['peak_rss_mb']:,.0f} MB")

    # A memory pass over the line amounts: reading the input once.
    columns = [pop.fee_lines[c] for c in LINE_MONEY]

    def memory_pass() -> int:
        return int(sum(int(c.to_numpy().sum()) for c in columns))

    times, _ = _timed(memory_pass, max(args.repeat, 3))
    report["memory_pass"] = {**times, "bytes": sum(c.to_numpy().nbytes for c in columns),
                             "engine_ratio": engine["cpu_s"] / times["cpu_s"]}
    say(f"memory pass       {times['cpu_s'] * 1000:9.1f} ms over {report['memory_pass']['bytes'] / 2**20:,.0f} MB "
        f"of line amounts: the engine takes {report['memory_pass']['engine_ratio']:,.0f}x that")

    # The hand-written baselines (the product they transcribe only).
    baselines: dict[str, object] = {}
    if args.product == "hangzhou-2022":
        import baseline_pandas
        import baseline_polars
        import polars

        times, (got, capped) = _timed(lambda: baseline_pandas.payable(pop), args.repeat)
        checked = _equal_payable(batch, got)
        baselines["pandas"] = {**_rates(times, n_claims, n_lines), "equal_on_claims": checked,
                               "people_through_cap_loop": capped,
                               "engine_speedup": times["cpu_s"] / engine["cpu_s"]}
        del got
        t0 = time.perf_counter()
        frames = baseline_polars.frames(pop)
        convert = time.perf_counter() - t0
        times, (got, capped) = _timed(lambda: baseline_polars.payable(frames), args.repeat)
        checked = _equal_payable(batch, got.to_pandas())
        baselines["polars"] = {**_rates(times, n_claims, n_lines), "equal_on_claims": checked,
                               "people_through_cap_loop": capped, "threads": polars.thread_pool_size(),
                               "frames_from_pandas_wall_s": convert,
                               "engine_speedup": times["cpu_s"] / engine["cpu_s"]}
        del got, frames
        for name, b in baselines.items():
            say(f"{name:6s} baseline   {b['claims_per_s']:12,.0f} claims/s {b['lines_per_s']:14,.0f} lines/s  "
                f"{b['cpu_s']:7.2f} s CPU ({b['wall_s']:.2f} s wall); equal to the engine on "
                f"{b['equal_on_claims']:,} claims; the engine is {b['engine_speedup']:.2f}x it")
    else:
        say("(baselines: only hangzhou-2022 is transcribed by hand; none for this product)")
    report["baselines"] = baselines

    # The reference engine on a sample of people; the engine's figures checked against it.
    people = pop.claims["insured_id"].drop_duplicates().sample(
        n=min(args.sample, pop.claims["insured_id"].nunique()), random_state=1)
    sample = pop.subset(people)
    s_claims, s_lines = len(sample.claims), len(sample.fee_lines)
    times, reference = _timed(lambda: adjudicate_population(sample, product, engine="reference", unknown_lists=H.UNKNOWN_LISTS), 1)
    report["reference_engine"] = {**_rates(times, s_claims, s_lines), "sample_claims": s_claims}
    columns_cmp = [c for c in reference.columns if c not in ("service_on", "engine")]
    got = adjudicate_population(sample, product, unknown_lists=H.UNKNOWN_LISTS)
    pd.testing.assert_frame_equal(reference[columns_cmp], got[columns_cmp], check_dtype=False)
    report["verified"] = {"claims": len(got), "scope": "sample"}
    say(f"reference engine  {report['reference_engine']['claims_per_s']:12,.0f} claims/s "
        f"{report['reference_engine']['lines_per_s']:14,.0f} lines/s  (sample of {s_claims:,} claims; "
        f"the batch engine's figures equal its on every one)")
    if args.verify_all:
        claimants = batch["insured_id"].drop_duplicates().to_numpy()
        checked = 0
        for start in range(0, len(claimants), args.chunk):
            ids = claimants[start:start + args.chunk]
            expected = adjudicate_population(pop.subset(ids), product, engine="reference", unknown_lists=H.UNKNOWN_LISTS)
            part = batch[batch["insured_id"].isin(ids)].reset_index(drop=True)
            pd.testing.assert_frame_equal(expected[columns_cmp], part[columns_cmp], check_dtype=False)
            checked += len(part)
        report["verified"] = {"claims": checked, "scope": "all"}
        say(f"batch figures equal the reference engine's on every claim ({checked:,})")

    # Fallback share per bundled product.
    if args.products_claims:
        report["products"] = fallback_by_product(args.products_claims, args.lines, args.seed, args.line_amounts)
        say(f"per bundled product ({args.products_claims:,} claims each): share to the reference engine, claims/s")
        for pid, row in report["products"].items():
            say(f"  {pid:24s} {row['fallback_share']:7.1%} {row['claims_per_s']:10,.0f}")

    # Footnote: the naive groupby().apply() over the reference engine, on the sample.
    def naive_pandas() -> pd.DataFrame:
        claims = {c.claim_id: c for c in sample.to_claims()}
        table = sample.claims.assign(claim=sample.claims["claim_id"].map(claims))

        def person(group: pd.DataFrame) -> pd.Series:
            year = replay(list(group["claim"]), product, unknown_lists=H.UNKNOWN_LISTS)
            return pd.Series({a.claim_id: int(a.payable * 100) for a in year.adjudications})

        return table.groupby("insured_id").apply(person, include_groups=False)

    times, _ = _timed(naive_pandas, 1)
    naive = _rates(times, s_claims, s_lines)
    naive["engine_speedup"] = naive["cpu_s"] / s_claims * n_claims / engine["cpu_s"]
    report["naive_apply"] = naive
    report["peak_rss_mb"] = _peak_mb()
    say(f"peak RSS {report['peak_rss_mb']:,.0f} MB (process, baselines included); "
        f"after the engine {engine['peak_rss_mb']:,.0f} MB (population included)")
    say(f"footnote: groupby().apply() over the reference engine: {naive['claims_per_s']:,.0f} claims/s on the "
        f"sample; the engine is {naive['engine_speedup']:,.0f}x it (not a fair baseline: no one would write it)")
    if args.json:
        print(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main()
