"""Benchmark: a synthetic city-year under one product, three ways.

- the columnar batch engine over the whole population (median of several runs, after a
  warm-up run that compiles its passes);
- the reference engine, claim by claim, on a sample of people (median of the same number
  of runs; the full population would take it a quarter of an hour);
- a naive pandas baseline on the same sample: ``groupby("insured_id").apply(...)`` replaying each
  person's claims with the reference rules (what an analyst would write first);

and checks the batch engine's figures equal the reference's on a sample of people
(``--verify-all`` checks every claim; slow). Single core: the passes are single-threaded,
and the thread pools of numpy/numba are held to one thread.

Run: python bench/bench_batch.py [--claims 1000000] [--lines 30] [--product hangzhou-2022]
"""

from __future__ import annotations

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import pandas as pd  # noqa: E402

from huiminbao_rules import get_product, replay  # noqa: E402
from huiminbao_rules.batch import adjudicate_population  # noqa: E402
from huiminbao_rules.synthetic import SyntheticParams, population  # noqa: E402


def _timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--claims", type=int, default=1_000_000)
    ap.add_argument("--lines", type=float, default=30.0, help="mean fee lines per claim")
    ap.add_argument("--product", default="hangzhou-2022")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sample", type=int, default=3000, help="people in the reference/pandas/equality sample")
    ap.add_argument("--verify-all", action="store_true", help="check every claim against the reference engine")
    ap.add_argument("--chunk", type=int, default=20_000, help="people per chunk when checking every claim")
    ap.add_argument("--seed", type=int, default=20261124)
    args = ap.parse_args()

    product = get_product(args.product)
    t0 = time.perf_counter()
    pop = population(product, SyntheticParams().sized(claims=args.claims, lines_per_claim=args.lines), seed=args.seed)
    built = time.perf_counter() - t0
    n_claims, n_lines = len(pop.claims), len(pop.fee_lines)
    print(f"synthetic {args.product}: {n_claims:,} claims, {n_lines:,} fee lines, "
          f"{len(pop.insured):,} insured (built in {built:.1f} s)")

    adjudicate_population(pop.subset(pop.insured["insured_id"].head(50)), product)  # compile the passes
    batch_time, batch = _timed(lambda: adjudicate_population(pop, product), args.repeat)
    on_fast_path = (batch["engine"] == "batch").mean()
    print(f"batch engine     {n_claims / batch_time:12,.0f} claims/s  {n_lines / batch_time:14,.0f} lines/s  "
          f"({batch_time:.2f} s for {n_claims:,} claims; {on_fast_path:.1%} on the columnar path)")

    people = pop.claims["insured_id"].drop_duplicates().sample(
        n=min(args.sample, pop.claims["insured_id"].nunique()), random_state=1)
    sample = pop.subset(people)
    s_claims, s_lines = len(sample.claims), len(sample.fee_lines)
    ref_time, reference = _timed(lambda: adjudicate_population(sample, product, engine="reference"), args.repeat)
    print(f"reference engine {s_claims / ref_time:12,.0f} claims/s  {s_lines / ref_time:14,.0f} lines/s  "
          f"(sample of {s_claims:,} claims)")

    def naive_pandas() -> pd.DataFrame:
        claims = {c.claim_id: c for c in sample.to_claims()}
        table = sample.claims.assign(claim=sample.claims["claim_id"].map(claims))

        def person(group: pd.DataFrame) -> pd.Series:
            year = replay(list(group["claim"]), product)
            return pd.Series({a.claim_id: int(a.payable * 100) for a in year.adjudications})

        return table.groupby("insured_id").apply(person, include_groups=False)

    pandas_time, _ = _timed(naive_pandas, args.repeat)
    print(f"pandas baseline  {s_claims / pandas_time:12,.0f} claims/s  {s_lines / pandas_time:14,.0f} lines/s  "
          f"(groupby().apply() over the same sample)")
    print(f"batch / pandas baseline: {(n_claims / batch_time) / (s_claims / pandas_time):,.0f}x")

    columns = [c for c in reference.columns if c not in ("service_on", "engine")]
    if not args.verify_all:
        got = adjudicate_population(sample, product)
        pd.testing.assert_frame_equal(reference[columns], got[columns], check_dtype=False)
        print(f"batch figures equal the reference engine's on {len(got):,} claims (the sample); "
              f"payable {got['payable'].sum() / 100:,.2f} yuan")
        return
    # Every claim: the full run's rows against the reference engine, a chunk of people at a
    # time (the reference engine's objects for a whole city would not fit in memory).
    claimants = batch["insured_id"].drop_duplicates().to_numpy()
    checked = 0
    t0 = time.perf_counter()
    for start in range(0, len(claimants), args.chunk):
        ids = claimants[start:start + args.chunk]
        expected = adjudicate_population(pop.subset(ids), product, engine="reference")
        got = batch[batch["insured_id"].isin(ids)].reset_index(drop=True)
        pd.testing.assert_frame_equal(expected[columns], got[columns], check_dtype=False)
        checked += len(got)
    print(f"batch figures equal the reference engine's on every claim ({checked:,}; "
          f"checked in {time.perf_counter() - t0:.0f} s); payable {batch['payable'].sum() / 100:,.2f} yuan")


if __name__ == "__main__":
    main()
