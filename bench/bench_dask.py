"""Benchmark: a synthetic city-year on disk, adjudicated by one process and by Dask.

1. The dataset (``huiminbao_rules.analytics.dataset``, partitioned by insured and year) is written
   once, in a separate process, and reused by later runs with the same arguments.
2. **One process**: a separate process reads the whole dataset and runs
   ``scenarios.run(population, [product])`` (the numba passes warmed up first). Its read
   time, run time and peak RSS are reported.
3. **Dask**, on a local cluster of 1 worker and then of ``--workers`` workers (one
   thread each, processes; each worker warmed up first): ``adjudicate_dataset`` reads,
   adjudicates and writes each partition on a worker; the driver only schedules and adds
   up the partitions' sums. Reported: wall time, each worker's peak RSS (and its RSS when
   idle after warm-up), the driver's peak RSS, and the largest partition.
4. The summary of every Dask run is checked equal, column for column, to the one-process
   summary (``identical``); the tests check every claim's row on a small dataset.

Run: python bench/bench_dask.py [--claims 100000] [--workers 2] [--lines 30] [--repeat 1]
     [--product hangzhou-2022] [--claims-per-partition 50000] [--data DIR] [--json]

Timed figures are medians of ``--repeat`` runs (every run is listed too).
"""

from __future__ import annotations

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

MB = 1024 * 1024
CHUNK_CLAIMS = 250_000  # claims per synthetic chunk when writing the dataset


def _params(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from huiminbao_rules.analytics.synthetic import SyntheticParams

    return SyntheticParams().sized(claims=args.claims, lines_per_claim=args.lines)


def _data_dir(args: argparse.Namespace) -> Path:
    if args.data:
        return Path(args.data)
    name = f"{args.product}-{args.claims}-l{args.lines:g}-s{args.seed}-p{args.claims_per_partition}"
    return Path(tempfile.gettempdir()) / "huiminbao-bench-dask" / name


def _summary_json(summary) -> dict:  # type: ignore[no-untyped-def]
    """The summary's exact columns (money, counts) as plain ints, for comparing across processes."""
    row = summary.iloc[0]
    return {k: (None if str(v) == "<NA>" else int(v)) for k, v in row.items()
            if k not in ("product_id", "premium_basis", "loss_ratio", "share_benefiting")}


def _warm() -> int:
    """Import and run the columnar engine once on a tiny population (loads the compiled
    passes); return this process's RSS after it (bytes)."""
    from huiminbao_rules import get_product
    from huiminbao_rules.analytics.batch import adjudicate_population
    from huiminbao_rules.analytics.dataset import _peak_rss
    from huiminbao_rules.analytics.synthetic import SyntheticParams, population

    p = get_product("hangzhou-2022")
    adjudicate_population(population(p, SyntheticParams(insured=400), seed=1, progress=False), p)
    return _peak_rss()


def _worker_peak() -> int:
    from huiminbao_rules.analytics.dataset import _peak_rss

    return _peak_rss()


# ---- the child processes -------------------------------------------------------------------------


def write_only(args: argparse.Namespace) -> None:
    from huiminbao_rules import get_product
    from huiminbao_rules.analytics.dataset import write_synthetic_dataset

    product = get_product(args.product)
    params = _params(args)
    chunks = max(1, -(-args.claims // CHUNK_CLAIMS))
    t0 = time.perf_counter()
    write_synthetic_dataset(_data_dir(args), product, params, seed=args.seed, chunks=chunks,
                            claims_per_partition=args.claims_per_partition)
    print(json.dumps({"write_s": round(time.perf_counter() - t0, 2), "chunks": chunks}))


def one_process(args: argparse.Namespace) -> None:
    from huiminbao_rules import get_product
    from huiminbao_rules.analytics.dataset import _peak_rss, open_dataset
    from huiminbao_rules.analytics.scenarios import run

    _warm()
    product = get_product(args.product)
    t0 = time.perf_counter()
    pop = open_dataset(_data_dir(args)).read()
    read_s = time.perf_counter() - t0
    walls, cpus = [], []
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        result = run(pop, [product])
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    run_s, run_cpu_s = statistics.median(walls), statistics.median(cpus)
    print(json.dumps({"read_s": round(read_s, 2), "run_s": round(run_s, 2), "run_cpu_s": round(run_cpu_s, 2),
                      "run_s_all": [round(w, 2) for w in walls],
                      "peak_rss_mb": round(_peak_rss() / MB), "claims": len(pop.claims),
                      "fee_lines": len(pop.fee_lines), "summary": _summary_json(result.summary())}))


def _child(mode: str, args: argparse.Namespace) -> dict:
    cmd = [sys.executable, __file__, mode, "--claims", str(args.claims), "--lines", str(args.lines),
           "--product", args.product, "--seed", str(args.seed),
           "--claims-per-partition", str(args.claims_per_partition), "--repeat", str(args.repeat)]
    if args.data:
        cmd += ["--data", args.data]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"bench_dask: {mode} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---- the driver ----------------------------------------------------------------------------------


def dask_run(args: argparse.Namespace, workers: int) -> dict:
    from distributed import Client, LocalCluster

    from huiminbao_rules import get_product
    from huiminbao_rules.analytics.dataset import _peak_rss, adjudicate_dataset, open_dataset

    product = get_product(args.product)
    ds = open_dataset(_data_dir(args))
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      memory_limit=0) as cluster, Client(cluster) as client, \
            tempfile.TemporaryDirectory(prefix="huiminbao-bench-out-") as out:
        idle = client.run(_warm)
        load = os.getloadavg()[0]
        walls, task_walls, task_cpus = [], [], []
        for k in range(args.repeat):
            t0 = time.perf_counter()
            result = adjudicate_dataset(ds, [product], out=f"{out}/{k}", client=client)
            walls.append(time.perf_counter() - t0)
            tasks = result.timings()
            task_walls.append(float(tasks["wall_s"].sum()))
            task_cpus.append(float(tasks["cpu_s"].sum()))
        peaks = client.run(_worker_peak)
        summary = _summary_json(result.summary())
    return {"workers": workers, "wall_s": round(statistics.median(walls), 2),
            "wall_s_all": [round(w, 2) for w in walls], "partitions": len(result.partitions),
            "task_wall_s": round(statistics.median(task_walls), 2), "task_cpu_s": round(statistics.median(task_cpus), 2),
            "worker_peak_rss_mb": sorted(round(v / MB) for v in peaks.values()),
            "worker_idle_rss_mb": sorted(round(v / MB) for v in idle.values()),
            "driver_peak_rss_mb": round(_peak_rss() / MB), "load_1min_at_start": round(load, 2),
            "summary": summary}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", nargs="?", default="bench", choices=["bench", "write-only", "one-process"],
                    help=argparse.SUPPRESS)
    ap.add_argument("--claims", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--lines", type=float, default=30.0, help="mean fee lines per claim")
    ap.add_argument("--product", default="hangzhou-2022")
    ap.add_argument("--seed", type=int, default=20261124)
    ap.add_argument("--claims-per-partition", type=int, default=50_000,
                    help="partition size when the dataset is written (it is reused afterwards)")
    ap.add_argument("--data", help="the dataset directory (default: under the temporary directory, "
                                   "named after the arguments; written if absent)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="timed runs of each configuration (the median is reported, and every run)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()
    if args.mode == "write-only":
        return write_only(args)
    if args.mode == "one-process":
        return one_process(args)

    from huiminbao_rules.analytics.dataset import MANIFEST, open_dataset

    data = _data_dir(args)
    written = None
    if not (data / MANIFEST).exists():
        written = _child("write-only", args)
    parts = open_dataset(data).partitions()
    rows = [p.rows() for p in parts]
    biggest = max(rows, key=lambda r: r["fee_lines"])
    out: dict = {"product": args.product, "dataset": str(data), "written_now": written,
                 "partitions": len(parts), "largest_partition": {"claims": biggest["claims"],
                                                                 "fee_lines": biggest["fee_lines"]},
                 "machine": {"cpus": os.cpu_count(), "load_1min_before": round(os.getloadavg()[0], 2)}}
    one = _child("one-process", args)
    out["claims"], out["fee_lines"] = one["claims"], one["fee_lines"]
    out["one_process"] = {k: one[k] for k in ("read_s", "run_s", "run_cpu_s", "run_s_all", "peak_rss_mb")}
    runs = [dask_run(args, w) for w in sorted({1, args.workers})]
    for r in runs:
        r["identical"] = r.pop("summary") == one["summary"]
    out["dask"] = runs
    top = runs[-1]
    out["speedup_vs_one_process"] = round(one["run_s"] / top["wall_s"], 2)
    out["speedup_vs_one_process_with_read"] = round((one["read_s"] + one["run_s"]) / top["wall_s"], 2)
    out["speedup_vs_one_worker"] = round(runs[0]["wall_s"] / top["wall_s"], 2)
    out["machine"]["load_1min_after"] = round(os.getloadavg()[0], 2)
    if args.json:
        print(json.dumps(out))
        return
    print(f"{out['claims']:,} claims, {out['fee_lines']:,} fee lines, {out['partitions']} partitions "
          f"(largest {biggest['claims']:,} claims / {biggest['fee_lines']:,} lines), {args.product}")
    print(f"one process: read {one['read_s']} s, run() {one['run_s']} s wall ({one['run_cpu_s']} s CPU), peak RSS {one['peak_rss_mb']} MB")
    for r in runs:
        print(f"dask, {r['workers']} worker(s): {r['wall_s']} s wall (tasks: {r['task_wall_s']} s wall, "
              f"{r['task_cpu_s']} s CPU); worker peak RSS {r['worker_peak_rss_mb']} MB "
              f"(idle {r['worker_idle_rss_mb']}); driver peak {r['driver_peak_rss_mb']} MB; "
              f"identical to one process: {r['identical']}")
    print(f"speedup {args.workers} workers vs one process: {out['speedup_vs_one_process']}x "
          f"({out['speedup_vs_one_process_with_read']}x counting its read); vs 1 worker: "
          f"{out['speedup_vs_one_worker']}x")
    print(f"load average (1 min) before {out['machine']['load_1min_before']}, after "
          f"{out['machine']['load_1min_after']} on {out['machine']['cpus']} CPUs")


if __name__ == "__main__":
    main()
