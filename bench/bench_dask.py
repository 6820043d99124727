"""Benchmark: a synthetic city-year on disk, adjudicated by one process and by Dask.

1. The dataset (``huiminbao_rules.analytics.dataset``, partitioned by insured and year) is written
   once, in a separate process, and reused by later runs with the same arguments.
2. **One process**, in a separate process (the numba passes warmed up first): the same
   partitions read, adjudicated and written one after the other in that one process
   (``adjudicate_dataset`` on Dask's synchronous scheduler: ``one_process_partitions``), and,
   up to ``--run-max-claims`` claims, the whole dataset read into memory and run with
   ``scenarios.run(population, [product])`` (``one_process``). Wall and CPU time and peak
   RSS are reported.
3. **Dask**, on a local cluster of 1 worker and then of ``--workers`` workers (one
   thread each, processes; each worker warmed up first): ``adjudicate_dataset`` reads,
   adjudicates and writes each partition on a worker; the driver only schedules and adds
   up the partitions' sums. Reported: wall time, each worker's peak RSS (and its RSS when
   idle after warm-up), the driver's peak RSS, and the largest partition.
4. The summary of every Dask run is checked equal, column for column, to the one-process
   summary (``identical``; ``run()``'s when it ran); the tests check every claim's row on a
   small dataset.

``--no-baselines`` runs only Dask on ``--workers`` workers (for a dataset no one process
can hold). ``--write-workers N`` writes the synthetic dataset on a local cluster of N
workers, chunk by chunk (``--chunk-claims``): no process ever holds the whole population;
the writing's wall and CPU time, the writers' peak RSS and the dataset's size on disk are
reported.

The dataset's fee-line amounts are int32 fen unless ``--line-amounts int64``.

Run: python bench/bench_dask.py [--claims 100000] [--workers 2] [--lines 30] [--repeat 1]
     [--product hangzhou-2022] [--claims-per-partition 50000] [--data DIR] [--json]
     [--run-max-claims 2000000] [--no-baselines] [--chunk-claims 250000] [--write-workers 0]
     [--dask-malloc-trim] [--line-amounts int32|int64]

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


def _params(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from huiminbao_rules.analytics.synthetic import SyntheticParams

    return SyntheticParams(line_amounts=args.line_amounts).sized(claims=args.claims, lines_per_claim=args.lines)


def _data_dir(args: argparse.Namespace) -> Path:
    if args.data:
        return Path(args.data)
    name = (f"{args.product}-{args.claims}-l{args.lines:g}-s{args.seed}-p{args.claims_per_partition}"
            f"{'-i32' if args.line_amounts == 'int32' else ''}")
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


def _cpu_s() -> float:
    """CPU seconds this process has used (user + system)."""
    import resource

    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


def _partition_mb(path: str) -> float:
    """The in-memory size (pandas, deep) of a partition's four tables, in MB."""
    from huiminbao_rules.analytics.dataset import TABLES, _read_partition

    pop = _read_partition(Path(path))
    return round(sum(int(getattr(pop, t).memory_usage(deep=True).sum()) for t in TABLES) / MB, 1)


def _cluster(workers: int, args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """A local cluster of ``workers`` processes, one thread each. Unless ``--dask-malloc-trim``,
    the workers start without the ``MALLOC_TRIM_THRESHOLD_`` that Dask sets by default: with
    it, glibc gives every large temporary array back to the kernel when freed and takes fresh
    zeroed pages for the next, about 4-5 times the page faults per task (docs/dask.md)."""
    import dask
    from distributed import LocalCluster

    trim = {} if args.dask_malloc_trim else {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
    with dask.config.set(trim):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                            memory_limit=0)


def _disk_bytes(root: Path) -> int:
    return sum(f.stat().st_size for f in root.rglob("*") if f.is_file())


# ---- the child processes -------------------------------------------------------------------------


def _write_and_compact(args: argparse.Namespace, client) -> dict:  # type: ignore[no-untyped-def]
    """Write the synthetic dataset chunk by chunk, then compact it: wall and CPU seconds of
    each step (the driver's and, with a client, the workers')."""
    from huiminbao_rules import get_product
    from huiminbao_rules.analytics.dataset import compact_dataset, write_synthetic_dataset

    def cpu() -> float:
        return _cpu_s() + (sum(client.run(_cpu_s).values()) if client is not None else 0.0)

    product = get_product(args.product)
    chunks = max(1, -(-args.claims // args.chunk_claims))
    t0, c0 = time.perf_counter(), cpu()
    ds = write_synthetic_dataset(_data_dir(args), product, _params(args), seed=args.seed, chunks=chunks,
                                 claims_per_partition=args.claims_per_partition, client=client, compact=False)
    t1, c1 = time.perf_counter(), cpu()
    compact_dataset(ds, client=client)
    t2, c2 = time.perf_counter(), cpu()
    return {"write_s": round(t1 - t0, 2), "write_cpu_s": round(c1 - c0, 2), "compact_s": round(t2 - t1, 2),
            "compact_cpu_s": round(c2 - c1, 2), "chunks": chunks}


def write_only(args: argparse.Namespace) -> None:
    if args.write_workers:
        from distributed import Client

        with _cluster(args.write_workers, args) as cluster, Client(cluster) as client:
            out = _write_and_compact(args, client)
            peaks = client.run(_worker_peak)
        writer_peaks = sorted(round(v / MB) for v in peaks.values())
    else:
        out, writer_peaks = _write_and_compact(args, None), []
    from huiminbao_rules.analytics.dataset import _peak_rss

    print(json.dumps(out | {"chunk_claims": args.chunk_claims, "write_workers": args.write_workers,
                            "writer_peak_rss_mb": writer_peaks or [round(_peak_rss() / MB)],
                            "disk_mb": round(_disk_bytes(_data_dir(args)) / MB)}))


def one_process(args: argparse.Namespace) -> None:
    import dask

    from huiminbao_rules import get_product
    from huiminbao_rules.analytics.dataset import _peak_rss, adjudicate_dataset, open_dataset
    from huiminbao_rules.analytics.scenarios import run

    _warm()
    product = get_product(args.product)
    ds = open_dataset(_data_dir(args))
    walls, cpus = [], []
    with tempfile.TemporaryDirectory(prefix="huiminbao-bench-out-") as out, dask.config.set(scheduler="synchronous"):
        for k in range(args.repeat):
            t0, c0 = time.perf_counter(), _cpu_s()
            by_parts = adjudicate_dataset(ds, [product], out=f"{out}/{k}")
            walls.append(time.perf_counter() - t0)
            cpus.append(_cpu_s() - c0)
    partitions = {"wall_s": round(statistics.median(walls), 2), "cpu_s": round(statistics.median(cpus), 2),
                  "wall_s_all": [round(w, 2) for w in walls], "peak_rss_mb": round(_peak_rss() / MB),
                  "claims": sum(p["claims"] for p in by_parts.partitions),
                  "fee_lines": sum(p["fee_lines"] for p in by_parts.partitions),
                  "summary": _summary_json(by_parts.summary())}
    if partitions["claims"] > args.run_max_claims:
        print(json.dumps({"partitions": partitions}))
        return
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
                      "fee_lines": len(pop.fee_lines), "summary": _summary_json(result.summary()),
                      "partitions": partitions}))


def _child(mode: str, args: argparse.Namespace) -> dict:
    cmd = [sys.executable, __file__, mode, "--claims", str(args.claims), "--lines", str(args.lines),
           "--product", args.product, "--seed", str(args.seed), "--line-amounts", args.line_amounts,
           "--claims-per-partition", str(args.claims_per_partition), "--repeat", str(args.repeat),
           "--run-max-claims", str(args.run_max_claims), "--chunk-claims", str(args.chunk_claims),
           "--write-workers", str(args.write_workers)] + (["--dask-malloc-trim"] if args.dask_malloc_trim else [])
    if args.data:
        cmd += ["--data", args.data]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"bench_dask: {mode} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---- the driver ----------------------------------------------------------------------------------


def dask_run(args: argparse.Namespace, workers: int) -> dict:
    from distributed import Client

    from huiminbao_rules import get_product
    from huiminbao_rules.analytics.dataset import _peak_rss, adjudicate_dataset, open_dataset

    product = get_product(args.product)
    ds = open_dataset(_data_dir(args))
    with _cluster(workers, args) as cluster, Client(cluster) as client, \
            tempfile.TemporaryDirectory(prefix="huiminbao-bench-out-") as out:
        idle = client.run(_warm)
        load = os.getloadavg()[0]
        walls, task_walls, task_cpus, worker_cpus = [], [], [], []
        for k in range(args.repeat):
            before = client.run(_cpu_s)
            t0 = time.perf_counter()
            result = adjudicate_dataset(ds, [product], out=f"{out}/{k}", client=client)
            walls.append(time.perf_counter() - t0)
            after = client.run(_cpu_s)
            worker_cpus.append(sum(after[w] - before[w] for w in after))
            tasks = result.timings()
            task_walls.append(float(tasks["wall_s"].sum()))
            task_cpus.append(float(tasks["cpu_s"].sum()))
        peaks = client.run(_worker_peak)
        summary = _summary_json(result.summary())
        biggest = client.submit(_partition_mb, args.largest_path, pure=False).result()  # after the peaks
    return {"workers": workers, "wall_s": round(statistics.median(walls), 2),
            "wall_s_all": [round(w, 2) for w in walls], "partitions": len(result.partitions),
            "task_wall_s": round(statistics.median(task_walls), 2), "task_cpu_s": round(statistics.median(task_cpus), 2),
            "worker_cpu_s": round(statistics.median(worker_cpus), 2),
            "worker_peak_rss_mb": sorted(round(v / MB) for v in peaks.values()),
            "worker_idle_rss_mb": sorted(round(v / MB) for v in idle.values()),
            "driver_peak_rss_mb": round(_peak_rss() / MB), "largest_partition_in_memory_mb": biggest,
            "load_1min_at_start": round(load, 2),
            "summary": summary}


def _arguments() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", nargs="?", default="bench", choices=["bench", "write-only", "one-process"],
                    help=argparse.SUPPRESS)
    ap.add_argument("--claims", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--lines", type=float, default=30.0, help="mean fee lines per claim")
    ap.add_argument("--product", default="hangzhou-2022")
    ap.add_argument("--line-amounts", choices=("int32", "int64"), default="int32",
                    help="type of the fee lines' amount columns in the dataset (default int32)")
    ap.add_argument("--seed", type=int, default=20261124)
    ap.add_argument("--claims-per-partition", type=int, default=50_000,
                    help="partition size when the dataset is written (it is reused afterwards)")
    ap.add_argument("--data", help="the dataset directory (default: under the temporary directory, "
                                   "named after the arguments; written if absent)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="timed runs of each configuration (the median is reported, and every run)")
    ap.add_argument("--run-max-claims", type=int, default=2_000_000,
                    help="above this many claims, one process does not read the whole dataset into run()")
    ap.add_argument("--no-baselines", action="store_true",
                    help="only Dask on --workers workers: no one-process run, no 1-worker run")
    ap.add_argument("--chunk-claims", type=int, default=250_000,
                    help="claims per synthetic chunk when the dataset is written")
    ap.add_argument("--write-workers", type=int, default=0,
                    help="write the synthetic dataset on a local cluster of this many workers (0: in one process)")
    ap.add_argument("--dask-malloc-trim", action="store_true",
                    help="start the workers with Dask's default MALLOC_TRIM_THRESHOLD_=65536 (slower: more page faults)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    return ap.parse_args()


def _baselines(args: argparse.Namespace, out: dict) -> dict | None:
    """The one-process figures into ``out``; the summary the Dask runs must equal."""
    one = _child("one-process", args)
    parts = one["partitions"]
    out["claims"], out["fee_lines"] = parts["claims"], parts["fee_lines"]
    out["one_process_partitions"] = {k: parts[k] for k in ("wall_s", "cpu_s", "wall_s_all", "peak_rss_mb")}
    if "run_s" in one:
        out["one_process"] = {k: one[k] for k in ("read_s", "run_s", "run_cpu_s", "run_s_all", "peak_rss_mb")}
        out["one_process"]["identical_to_partitions"] = one["summary"] == parts["summary"]
        return one["summary"]
    return parts["summary"]


def _speedups(out: dict, runs: list[dict]) -> None:
    top = runs[-1]
    if "one_process_partitions" in out:
        out["speedup_vs_one_process_partitions"] = round(out["one_process_partitions"]["wall_s"] / top["wall_s"], 2)
    if "one_process" in out:
        one = out["one_process"]
        out["speedup_vs_one_process"] = round(one["run_s"] / top["wall_s"], 2)
        out["speedup_vs_one_process_with_read"] = round((one["read_s"] + one["run_s"]) / top["wall_s"], 2)
    if len(runs) > 1:
        out["speedup_vs_one_worker"] = round(runs[0]["wall_s"] / top["wall_s"], 2)


def _print(out: dict, args: argparse.Namespace) -> None:
    big = out["largest_partition"]
    print(f"{out['claims']:,} claims, {out['fee_lines']:,} fee lines, {out['partitions']} partitions "
          f"(largest {big['claims']:,} claims / {big['fee_lines']:,} lines), {args.product}, "
          f"{out['disk_mb']:,} MB on disk")
    if out["written_now"]:
        w = out["written_now"]
        print(f"written: {w['write_s']} s wall, {w['write_cpu_s']} s CPU, {w['chunks']} chunks; compacted: "
              f"{w['compact_s']} s wall, {w['compact_cpu_s']} s CPU; writers' peak RSS {w['writer_peak_rss_mb']} MB")
    if "one_process_partitions" in out:
        o = out["one_process_partitions"]
        print(f"one process, partition by partition: {o['wall_s']} s wall ({o['cpu_s']} s CPU), "
              f"peak RSS {o['peak_rss_mb']} MB")
    if "one_process" in out:
        o = out["one_process"]
        print(f"one process, whole: read {o['read_s']} s, run() {o['run_s']} s wall ({o['run_cpu_s']} s CPU), "
              f"peak RSS {o['peak_rss_mb']} MB")
    for r in out["dask"]:
        print(f"dask, {r['workers']} worker(s): {r['wall_s']} s wall (workers' CPU {r['worker_cpu_s']} s; tasks: "
              f"{r['task_wall_s']} s wall, {r['task_cpu_s']} s CPU); worker peak RSS {r['worker_peak_rss_mb']} MB "
              f"(idle {r['worker_idle_rss_mb']}; largest partition {r['largest_partition_in_memory_mb']} MB "
              f"in memory); driver peak {r['driver_peak_rss_mb']} MB; "
              f"identical to one process: {r['identical']}")
    for k in ("speedup_vs_one_process_partitions", "speedup_vs_one_process", "speedup_vs_one_process_with_read",
              "speedup_vs_one_worker"):
        if k in out:
            print(f"{k.replace('_', ' ')}: {out[k]}x")
    print(f"load average (1 min) before {out['machine']['load_1min_before']}, after "
          f"{out['machine']['load_1min_after']} on {out['machine']['cpus']} CPUs")


def main() -> None:
    args = _arguments()
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
    at = max(range(len(rows)), key=lambda i: rows[i]["fee_lines"])
    biggest = rows[at]
    args.largest_path = str(parts[at].path)
    big_disk = _disk_bytes(parts[at].path)
    out: dict = {"product": args.product, "line_amounts": args.line_amounts, "dataset": str(data),
                 "written_now": written,
                 "dask_malloc_trim": args.dask_malloc_trim,
                 "partitions": len(parts), "largest_partition": {"claims": biggest["claims"],
                                                                 "fee_lines": biggest["fee_lines"],
                                                                 "disk_mb": round(big_disk / MB, 1)},
                 "disk_mb": round(_disk_bytes(data) / MB),
                 "claims": sum(r["claims"] for r in rows), "fee_lines": sum(r["fee_lines"] for r in rows),
                 "machine": {"cpus": os.cpu_count(), "load_1min_before": round(os.getloadavg()[0], 2)}}
    expected = None if args.no_baselines else _baselines(args, out)
    counts = [args.workers] if args.no_baselines else sorted({1, args.workers})
    runs = [dask_run(args, w) for w in counts]
    for r in runs:
        summary = r.pop("summary")
        r["identical"] = None if expected is None else summary == expected
    out["dask"] = runs
    _speedups(out, runs)
    out["machine"]["load_1min_after"] = round(os.getloadavg()[0], 2)
    if args.json:
        print(json.dumps(out))
    else:
        _print(out, args)


if __name__ == "__main__":
    main()
