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
    assert [r["workers"] for r in first["dask"]] == [1, 2]
    for r in first["dask"]:
        assert r["identical"] is True
        assert r["partitions"] == first["partitions"]
        assert len(r["worker_peak_rss_mb"]) == r["workers"] and r["driver_peak_rss_mb"] > 0
    assert first["speedup_vs_one_process"] > 0 and first["speedup_vs_one_worker"] > 0
    again = json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)
    assert again["written_now"] is None  # the dataset is written once and reused
    assert again["claims"] == first["claims"]
