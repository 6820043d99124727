"""The benchmark scripts run, small, and print one JSON object with the figures
docs/performance.md describes (no timing is asserted: figures depend on the machine)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _run(script: str, *args: str) -> dict:  # type: ignore[type-arg]
    out = subprocess.run([sys.executable, str(BENCH / script), *args, "--json"],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_bench_batch_prints_every_figure_in_one_json_object() -> None:
    report = _run("bench_batch.py", "--claims", "1500", "--repeat", "1", "--sample", "20",
                  "--products-claims", "20")
    claims = report["population"]["claims"]
    assert claims > 1000 and report["population"]["line_amounts"] == "int32"  # the baselines read them too
    assert {"claims_per_s", "lines_per_s", "cpu_s", "wall_s", "fallback_share", "peak_rss_mb"} <= set(report["engine"])
    assert report["memory_pass"]["engine_ratio"] > 0
    for name in ("pandas", "polars"):
        baseline = report["baselines"][name]
        assert baseline["equal_on_claims"] == claims
        assert baseline["engine_speedup"] > 0
    assert report["baselines"]["polars"]["threads"] == 1
    from huiminbao_rules import bundled_ids

    assert set(report["products"]) == set(bundled_ids())
    assert all(0 <= row["fallback_share"] <= 1 for row in report["products"].values())
    assert report["peak_rss_mb"] >= report["engine"]["peak_rss_mb"] > 0
    assert report["naive_apply"]["engine_speedup"] > 0


def test_bench_adjudicate_prints_the_backend_ratios_in_one_json_object() -> None:
    report = _run("bench_adjudicate.py", "--n", "3", "--repeat", "1", "--processes", "1",
                  "--lines", "5", "30", "--products", "shenzhen-2023", "hangzhou-2022")
    rows = report["backend"]
    assert [(r["product"], r["lines"]) for r in rows] == [
        ("shenzhen-2023", 5), ("shenzhen-2023", 30), ("hangzhou-2022", 5), ("hangzhou-2022", 30)]
    for r in rows:
        assert r["ratio"] == r["backend_us"] / r["parse_us"] > 0
    assert report["worst_ratio"] == max(r["ratio"] for r in rows)
    assert report["import_huiminbao_rules_ms"] > 0 and report["cli_readme_example_wall_s"] > 0
