"""Benchmark: the backend path, one claim at a time, as a web service would run it.

For claims of 5, 30 and 200 fee lines under three products (shenzhen-2023, the README's;
hangzhou-2022; beijing-2024, with sub-limits), median CPU time per claim of:

- ``parse``: the bare pydantic parse of the claim JSON (``Claim.model_validate_json``),
  the yardstick;
- ``parse_claim``: the library's parse (identities of the settlement checked too);
- ``adjudicate``: adjudicating the parsed claim;
- ``result_json``: the full result (every line, portion and step) as JSON text: the output
  models made from the adjudication (``render.output.result_of``) and written by
  pydantic-core (``render.output.to_json``), the per-line detail included (it is worked out
  when the result is first written);
- ``to_dict``: the same as JSON-ready data (``to_dict``, what the ledger stores);
- ``backend``: parse_claim + adjudicate + result JSON from the claim's text;

and the ratio backend / parse (the goal: at most 1.5). Then, in fresh processes (median
of ``--processes`` runs): ``import huiminbao_rules`` (``python -X importtime``, the
package's cumulative time; goal at most 150 ms), the import a user's script does
(``from huiminbao_rules import adjudicate, get_product, parse_claim``, wall), and the wall
time of the README example, ``huiminbao adjudicate examples/claims/shenzhen-2023-s1.json
--product shenzhen-2023`` (goal at most 0.3 s), with the library's bytecode cached as an
installed package has it, and in the environment as it is.

Run: python bench/bench_adjudicate.py [--n 200] [--repeat 5] [--lines 5 30 200]
     [--products shenzhen-2023 hangzhou-2022 beijing-2024] [--processes 7] [--json]
Small: python bench/bench_adjudicate.py --n 20 --repeat 3 --processes 3
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README_CLAIM = ROOT / "examples" / "claims" / "shenzhen-2023-s1.json"


def claim_data(product, n_lines: int) -> dict:  # type: ignore[no-untyped-def]
    """An inpatient stay inside ``product``'s policy year with ``n_lines`` fee lines of every
    catalogue level and common fee types (drugs, examinations, tests, surgery, materials)."""
    lines = []
    ful = pre = inscp = Decimal("0.00")
    for i in range(n_lines):
        level = ("01", "02", "03")[i % 3]
        fee_type = ("09", "03", "04", "06", "08", "11")[i % 6]
        amount = Decimal(1000 + 137 * i) + Decimal("0.37")
        line = {"feedetl_sn": f"L{i:03d}", "med_list_codg": f"X{i:05d}", "name": f"item {i}",
                "chrgitm_lv": level, "med_chrgitm_type": fee_type, "det_item_fee_sumamt": str(amount)}
        if level == "03":
            line["fulamt_ownpay_amt"] = str(amount)
            ful += amount
        elif level == "02":
            p = (amount * Decimal("0.10")).quantize(Decimal("0.01"))
            line["preselfpay_amt"] = str(p)
            pre += p
            inscp += amount - p
        else:
            inscp += amount
        lines.append(line)
    total = ful + pre + inscp
    public = (inscp * Decimal("0.85")).quantize(Decimal("0.01"))
    start = product.period.start
    return {
        "claim_id": f"BENCH-{n_lines}",
        "insured": {"id": "P-1", "birth_date": "1960-01-01", "scheme": "employee",
                    "enrolled_on": str(start - timedelta(days=60))},
        "encounters": [{
            "id": "E1", "kind": "inpatient", "admitted_on": str(start + timedelta(days=62)),
            "discharged_on": str(start + timedelta(days=81)), "diagnoses": ["C34.9"],
            "settlement": {"medfee_sumamt": str(total), "fulamt_ownpay_amt": str(ful), "preselfpay_amt": str(pre),
                           "inscp_scp_amt": str(inscp), "hifp_pay": str(public)},
            "fee_lines": lines,
        }],
    }


def _per_call_us(fn, n: int, repeat: int) -> float:  # type: ignore[no-untyped-def]
    """Median over ``repeat`` runs of the CPU microseconds per call, each run ``n`` calls."""
    out = []
    for _ in range(repeat):
        t0 = time.process_time()
        for _ in range(n):
            fn()
        out.append((time.process_time() - t0) / n * 1e6)
    return statistics.median(out)


def backend(products: list[str], sizes: list[int], n: int, repeat: int) -> list[dict[str, object]]:
    from huiminbao_rules import adjudicate, get_product, parse_claim, to_dict
    from huiminbao_rules.claims.models import Claim
    from huiminbao_rules.render.output import to_json as result_json

    rows = []
    for pid in products:
        product = get_product(pid)
        for size in sizes:
            text = json.dumps(claim_data(product, size))
            claim = parse_claim(text)
            adj = adjudicate(claim, product)
            # warm up every path once, and check the JSON text is the data to_dict gives
            assert json.loads(result_json(adj, product)) == to_dict(adj, product)
            k = max(1, n * 30 // max(size, 30))  # fewer calls for long claims
            row: dict[str, object] = {"product": pid, "lines": size, "payable": str(adj.payable)}
            row["parse_us"] = _per_call_us(lambda: Claim.model_validate_json(text), k, repeat)
            row["parse_claim_us"] = _per_call_us(lambda: parse_claim(text), k, repeat)
            row["adjudicate_us"] = _per_call_us(lambda: adjudicate(claim, product), k, repeat)
            row["result_json_us"] = _per_call_us(lambda: result_json(adjudicate(claim, product), product), k,
                                                 repeat) - row["adjudicate_us"]  # type: ignore[operator]
            row["to_dict_us"] = _per_call_us(lambda: to_dict(adjudicate(claim, product), product), k,
                                             repeat) - row["adjudicate_us"]  # type: ignore[operator]
            row["backend_us"] = _per_call_us(lambda: result_json(adjudicate(parse_claim(text), product), product),
                                             k, repeat)
            row["ratio"] = row["backend_us"] / row["parse_us"]  # type: ignore[operator]
            rows.append(row)
    return rows


def _env() -> dict[str, str]:
    env = dict(os.environ)
    src = str(ROOT / "src")
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def import_ms(processes: int) -> dict[str, float]:
    """Median over fresh processes: the package's cumulative import time (-X importtime),
    and the wall time of a user's import line measured inside the process."""
    own, user = [], []
    for _ in range(processes):
        out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import huiminbao_rules"],
                             capture_output=True, text=True, check=True, env=_env())
        last = [ln for ln in out.stderr.splitlines() if re.search(r"\|\s*huiminbao_rules$", ln)][-1]
        own.append(int(last.split("|")[1]) / 1000)
        code = ("import time; t = time.perf_counter(); c = time.process_time(); "
                "from huiminbao_rules import adjudicate, get_product, parse_claim; "
                "print(time.perf_counter() - t, time.process_time() - c)")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=_env())
        user.append([float(x) * 1000 for x in out.stdout.split()])
    return {"import_huiminbao_rules_ms": statistics.median(own),
            "user_import_line_ms": statistics.median(u[0] for u in user),
            "user_import_line_cpu_ms": statistics.median(u[1] for u in user)}


def _command_s(cmd: list[str], env: dict[str, str], processes: int) -> tuple[float, float]:
    """Median wall and CPU seconds of a command over ``processes`` runs."""
    walls, cpus = [], []
    for _ in range(processes):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True, env=env)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def cli_wall_s(processes: int) -> dict[str, object]:
    """Median wall (and CPU) seconds of the README example on the command line, as an
    installed package runs it: its bytecode compiled once and cached (``pip install``
    compiles it; here a warm-up run writes it under a temporary ``PYTHONPYCACHEPREFIX``,
    whatever ``PYTHONDONTWRITEBYTECODE`` says); and, for comparison, with the
    environment as it is (where ``PYTHONDONTWRITEBYTECODE`` is set, every run compiles
    the library's modules from source)."""
    import tempfile

    exe = shutil.which("huiminbao")
    base = [exe] if exe else [sys.executable, "-c", "import sys; from huiminbao_rules.cli import main; "
                              "sys.exit(main())"]
    cmd = [*base, "adjudicate", str(README_CLAIM), "--product", "shenzhen-2023"]
    with tempfile.TemporaryDirectory(prefix="huiminbao-pyc-") as cache:
        env = {k: v for k, v in _env().items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = cache
        subprocess.run(cmd, capture_output=True, check=True, env=env)  # compiles and caches the bytecode
        wall, cpu = _command_s(cmd, env, processes)
    as_is_wall, as_is_cpu = _command_s(cmd, _env(), processes)
    t0 = time.perf_counter()
    for _ in range(processes):
        subprocess.run([sys.executable, "-c", "pass"], check=True)
    bare = (time.perf_counter() - t0) / processes
    return {"cli_readme_example_wall_s": wall, "cli_readme_example_cpu_s": cpu,
            "cli_readme_example_env_wall_s": as_is_wall, "cli_readme_example_env_cpu_s": as_is_cpu,
            "bytecode_cached_in_env": not os.environ.get("PYTHONDONTWRITEBYTECODE"),
            "python_startup_wall_s": bare,
            "command": "huiminbao adjudicate examples/claims/shenzhen-2023-s1.json --product shenzhen-2023"}


def main(argv: list[str] | None = None) -> dict[str, object]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=200, help="calls per run for a 30-line claim (scaled by size)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--lines", type=int, nargs="+", default=[5, 30, 200])
    ap.add_argument("--products", nargs="+", default=["shenzhen-2023", "hangzhou-2022", "beijing-2024"])
    ap.add_argument("--processes", type=int, default=7, help="fresh processes for import and command-line times")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = ap.parse_args(argv)

    report: dict[str, object] = {"load_1min": os.getloadavg()[0]}
    report.update(import_ms(args.processes))
    report.update(cli_wall_s(args.processes))
    report["backend"] = backend(args.products, args.lines, args.n, args.repeat)
    report["worst_ratio"] = max(r["ratio"] for r in report["backend"])  # type: ignore[union-attr,index]
    if args.json:
        print(json.dumps(report, indent=1))
        return report
    print(f"machine load {report['load_1min']:.1f}; CPU microseconds per claim, median of {args.repeat} runs")
    print(f"{'product':16s} {'lines':>5s} {'parse':>8s} {'parse_claim':>11s} {'adjudicate':>10s} "
          f"{'result JSON':>11s} {'to_dict':>8s} {'backend':>8s} {'backend/parse':>13s}")
    for r in report["backend"]:  # type: ignore[union-attr]
        print(f"{r['product']:16s} {r['lines']:5d} {r['parse_us']:8.0f} {r['parse_claim_us']:11.0f} "
              f"{r['adjudicate_us']:10.0f} {r['result_json_us']:11.0f} {r['to_dict_us']:8.0f} {r['backend_us']:8.0f} "
              f"{r['ratio']:12.1f}x")
    print(f"backend / bare parse, worst: {report['worst_ratio']:.1f}x (goal: at most 1.5x)")
    print(f"import huiminbao_rules: {report['import_huiminbao_rules_ms']:.0f} ms (-X importtime, goal at most 150 ms); "
          f"'from huiminbao_rules import adjudicate, get_product, parse_claim': "
          f"{report['user_import_line_ms']:.0f} ms wall, {report['user_import_line_cpu_ms']:.0f} ms CPU")
    print(f"{report['command']}: {report['cli_readme_example_wall_s']:.2f} s wall, "
          f"{report['cli_readme_example_cpu_s']:.2f} s CPU, bytecode cached (goal at most 0.3 s; "
          f"python startup alone {report['python_startup_wall_s']:.2f} s); in this environment as it is "
          f"({'bytecode cached' if report['bytecode_cached_in_env'] else 'PYTHONDONTWRITEBYTECODE: compiled each run'}): "
          f"{report['cli_readme_example_env_wall_s']:.2f} s wall, {report['cli_readme_example_env_cpu_s']:.2f} s CPU")
    return report


if __name__ == "__main__":
    main()
