"""The Dask benchmark runs, small, and prints one JSON object with the figures docs/dask.md
describes (no timing is asserted: figures depend on the machine)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"

pytest.importorskip("distributed")


def test_bench_dask_prints_every_figure_in_one_json_object(tmp_path: Path) -> None:
    args = [sys.executable, str(BENCH / "bench_dask.py"), "--claims", "3000", "--claims-per-partition", "1000",
            "--data", str(tmp_path / "data"), "--json"]
    first = json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)
    assert first["written_now"] is not None and first["partitions"] >= 2
    assert first["claims"] > 2000 and first["fee_lines"] > first["claims"]
    assert {"read_s", "run_s", "run_cpu_s", "peak_rss_mb"} <= set(first["one_process"])
    assert first["one_process"]["identical_to_partitions"] is True
    assert {"wall_s", "cpu_s", "peak_rss_mb"} <= set(first["one_process_partitions"])
    assert first["disk_mb"] >= 0 and first["written_now"]["chunks"] == 1
    assert [r["workers"] for r in first["dask"]] == [1, 2]
    for r in first["dask"]:
        assert r["identical"] is True
        assert r["partitions"] == first["partitions"]
        assert len(r["worker_peak_rss_mb"]) == r["workers"] and r["driver_peak_rss_mb"] > 0
        assert r["worker_cpu_s"] > 0
    assert first["speedup_vs_one_process"] > 0 and first["speedup_vs_one_worker"] > 0
    again = json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)
    assert again["written_now"] is None  # the dataset is written once and reused
    assert again["claims"] == first["claims"]


def test_bench_dask_without_baselines_writes_on_workers_in_chunks(tmp_path: Path) -> None:
    """The shape of the 10M-claim run: the dataset written chunk by chunk on two workers, then
    only the two-worker run (nothing to compare with, so ``identical`` is None)."""
    args = [sys.executable, str(BENCH / "bench_dask.py"), "--claims", "2000", "--claims-per-partition", "1000",
            "--chunk-claims", "700", "--write-workers", "2", "--no-baselines", "--data", str(tmp_path / "data"),
            "--json"]
    out = json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)
    assert out["written_now"]["chunks"] == 3 and len(out["written_now"]["writer_peak_rss_mb"]) == 2
    assert out["written_now"]["compact_cpu_s"] > 0  # three writers' files, compacted once written
    for part in (tmp_path / "data").glob("year=*/bucket=*"):
        assert len(list(part.glob("*.parquet"))) == 4
    assert 0 < out["largest_partition"]["disk_mb"] < out["dask"][0]["largest_partition_in_memory_mb"]
    assert "one_process" not in out and "one_process_partitions" not in out
    assert [r["workers"] for r in out["dask"]] == [2] and out["dask"][0]["identical"] is None
    assert out["claims"] > 1000 and out["fee_lines"] > out["claims"]
