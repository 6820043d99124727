"""The package as a whole: its public API, its module boundaries, its examples and its
command line."""

from __future__ import annotations

import ast
import json
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

import huiminbao_rules
from huiminbao_rules.cli import main

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "huiminbao_rules"
EXAMPLES = ROOT / "examples"


def test_the_public_api_is_exactly_all() -> None:
    public = {name for name in dir(huiminbao_rules) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(huiminbao_rules, name)).__name__ == "module"}
    assert public - modules == set(huiminbao_rules.__all__)


def _modules() -> dict[str, ast.Module]:
    return {str(p.relative_to(SRC)): ast.parse(p.read_text(encoding="utf-8")) for p in SRC.rglob("*.py")}


def _calls(tree: ast.Module) -> set[str]:
    return {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}


def _imports(tree: ast.Module) -> set[str]:
    out = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Import):
            out |= {a.name.split(".")[0] for a in n.names}
        elif isinstance(n, ast.ImportFrom) and n.module and n.level == 0:
            out.add(n.module.split(".")[0])
    return out


def test_only_the_cli_prints_and_only_the_catalog_reads_files() -> None:
    # analytics/loaders.py reads claim data files and analytics/dataset.py reads and writes
    # datasets of claims (the optional scenarios extra); the catalog reads product files, and
    # core/inputs.py is the bounded reader every one of them uses; nothing else touches the
    # file system. Only the command line's verbs print.
    for name, tree in _modules().items():
        calls = _calls(tree)
        if name not in ("cli/main.py", "cli/ledger.py"):
            assert "print" not in calls, name
        if name not in ("catalog.py", "cli/main.py", "analytics/loaders.py", "analytics/dataset.py"):
            assert "open" not in calls, name
            attrs = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
            assert not attrs & {"read_text", "read_bytes", "write_text", "glob"}, name


def _imported_names(tree: ast.Module) -> set[str]:
    """Every module imported, and every name imported from a module, fully qualified
    (``from datetime import date`` gives ``datetime.date``)."""
    out = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Import):
            out |= {a.name for a in n.names}
        elif isinstance(n, ast.ImportFrom) and n.module and n.level == 0:
            out |= {f"{n.module}.{a.name}" for a in n.names}
    return out


def test_the_engine_uses_no_clock_randomness_or_io() -> None:
    pure = [name for name in _modules() if name.split("/")[0] in ("core", "claims", "rules", "adjudication")
            and name != "core/inputs.py"]
    assert "adjudication/engine.py" in pure and "core/money.py" in pure
    for name in [*pure, "render/explain.py"]:
        tree = _modules()[name]
        assert not _imports(tree) & {"time", "random", "os", "io", "pathlib", "sys"}, name
        # dates are data; datetime.datetime (a clock reading) is imported nowhere in the engine,
        # except by the strict date field, which names it only to refuse a timestamp as a date
        if name != "core/fields.py":
            assert "datetime.datetime" not in _imported_names(tree), name
        attrs = {f"{n.value.id}.{n.attr}" for n in ast.walk(tree)
                 if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)}
        assert not attrs & {"datetime.datetime", "datetime.now", "date.today", "datetime.today"}, name
        source = (SRC / name).read_text(encoding="utf-8")
        assert "date.today" not in source and "datetime.now" not in source, name


def test_the_library_never_imports_hypothesis_at_run_time() -> None:
    for name, tree in _modules().items():
        if not name.startswith("testing"):
            assert "hypothesis" not in _imports(tree), name
    code = "import huiminbao_rules, huiminbao_rules.cli, sys; print('hypothesis' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# The synthetic generator draws sizes from continuous distributions and turns each into
# exact fen at once; the scenario charts plot yuan. Neither computes a payable.
FLOAT_ALLOWED = {"analytics/synthetic.py", "analytics/scenarios.py"}


def test_no_binary_float_touches_money_in_the_library() -> None:
    for name, tree in _modules().items():
        if name in FLOAT_ALLOWED:
            continue
        floats = [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, float)]
        assert not floats, name
        assert "float" not in _calls(tree), name


@pytest.mark.parametrize("script", sorted(p for p in EXAMPLES.glob("*.py") if not p.name.startswith("test_")),
                         ids=lambda p: p.name)
def test_every_example_script_runs(script: Path, capsys) -> None:
    runpy.run_path(str(script), run_name="__main__")
    printed = capsys.readouterr().out.splitlines()
    assert script.name in EXAMPLE_FIGURES, f"write down the figures {script.name} must print"
    for line in EXAMPLE_FIGURES[script.name]:
        assert line in printed, (line, printed)


# What each example prints, worked out by hand from shenzhen-2023's terms (in-list
# self-pay: deductible 16,000 a year, then 80%).
EXAMPLE_FIGURES = {
    "enroll_then_claim.py": [
        # applied 2023-10-20 through the newborn channel: covered from the next day, 88 yuan
        "P-BABY: eligible True, covered from 2023-10-21, premium 88.00",
        "NB-1 on 2023-10-15: pays 0.00 (not paid: before_coverage_start)",
        # (21,000 − 16,000) × 0.80
        "NB-2 on 2023-11-20: pays 4000.00",
    ],
    "replay_a_year.py": [
        "C1 2023-08-01: eligible 10000.00, deductible taken 10000.00, pays 0.00",
        # 6,000 of the deductible left; (8,000 − 6,000) × 0.80
        "C2 2023-11-15: eligible 8000.00, deductible taken 6000.00, pays 1600.00",
        "C3 2024-03-01: eligible 9000.00, deductible taken 0.00, pays 7200.00",  # 9,000 × 0.80
        "year: 8800.00; deductible used 16000.00",
        # without C2, C3 takes the last 6,000 of the deductible: (9,000 − 6,000) × 0.80
        "without C2: 2400.00",
    ],
    "ledger_backend.py": [
        "C3: payable 0.00, 0 adjustment(s)",  # 9,000 alone: all deductible
        "C3: already recorded, payable 0.00",  # the retry pays nothing again
        # C1 (10,000) comes first: all deductible; C3 then has 6,000 of it left: (9,000 − 6,000) × 0.80
        "C1: payable 0.00, 1 adjustment(s)",
        "  pay       2400.00 on C3 (adjustment v1->v2)",
        # C2 (8,000) between them takes the last 6,000: (8,000 − 6,000) × 0.80; C3 then 9,000 × 0.80
        "C2: payable 1600.00, 1 adjustment(s)",
        "  pay       1600.00 on C2 (claim)",
        "  pay       4800.00 on C3 (adjustment v2->v3)",
        # the reversal recovers C2's 1,600 and brings C3 back to 2,400
        "  recover   1600.00 on C2 (reversal of C2)",
        "  recover   4800.00 on C3 (reversal of C2)",
        "person-year payable total 2400.00; paid out net 2400.00",
    ],
}


def _example_claims() -> list[tuple[Path, str]]:
    out = []
    for path in sorted((EXAMPLES / "claims").glob("*.json")):
        city, year = path.stem.split("-")[:2]
        out.append((path, f"{city}-{year}"))
    return out


@pytest.mark.parametrize("path, product", _example_claims(), ids=lambda x: getattr(x, "name", x))
def test_every_example_claim_adjudicates_from_the_command_line(path: Path, product: str, capsys) -> None:
    assert main(["adjudicate", str(path), "--product", product]) == 0
    zh = capsys.readouterr().out
    assert "理赔计算书" in zh and "合计赔付" in zh
    assert main(["adjudicate", str(path), "--product", product, "--lang", "en", "--trace"]) == 0
    en = capsys.readouterr().out
    assert "Claim statement" in en and "Total payable" in en
    assert main(["adjudicate", str(path), "--product", product, "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert isinstance(results, list) and len(results) == 1
    assert results[0]["schema"] == "huiminbao_rules.adjudication/1"
    assert isinstance(results[0]["payable"], str)


def test_the_readme_example_claim_holds_its_drugs_for_review_by_default(capsys) -> None:
    assert main(["adjudicate", str(EXAMPLES / "claims" / "shenzhen-2023-s1.json"), "--product", "shenzhen-2023",
                 "--json"]) == 0
    result = json.loads(capsys.readouterr().out)[0]
    assert (result["payable"], result["pending_amount"], result["unknown_lists"]) == ("4080.00", "98500.00", "pend")
    assert {c["code"] for c in result["caveats"]} == {"list_unknown"}
    assert sorted({c["line"] for c in result["caveats"]}) == ["E1#1", "E2#1"]


def test_the_readme_example_claim_pays_the_published_figures(capsys) -> None:
    assert main(["adjudicate", str(EXAMPLES / "claims" / "shenzhen-2023-s1.json"), "--product", "shenzhen-2023",
                 "--json", "--unknown-lists", "non-member"]) == 0
    result = json.loads(capsys.readouterr().out)[0]
    assert result["payable"] == "38600.00"
    assert result["unknown_lists"] == "non-member"
    paid = {r["id"]: r["payable"] for r in result["responsibilities"]}
    assert (paid["in_list"], paid["inpatient_self_pay"], paid["outpatient_drugs"]) == ("4080.00", "25270.00", "9250.00")


def test_several_claim_files_are_one_persons_year_in_service_date_order(tmp_path, capsys) -> None:
    data = json.loads((EXAMPLES / "claims" / "shenzhen-2023-s1.json").read_text(encoding="utf-8"))
    later = json.loads(json.dumps(data))
    later["claim_id"] = "SZ23-0002"
    for enc in later["encounters"]:
        for key in ("admitted_on", "discharged_on", "service_date"):
            if key in enc:
                enc[key] = enc[key].replace("2023-", "2024-").replace("-09-", "-02-").replace("-11-", "-03-")
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps(later), encoding="utf-8")
    second.write_text(json.dumps(data), encoding="utf-8")
    assert main(["adjudicate", str(first), str(second), "--product", "shenzhen-2023", "--json",
                 "--unknown-lists", "non-member"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert [r["claim_id"] for r in results] == ["SZ23-0001", "SZ23-0002"]
    # The second claim's deductibles were used up by the first: it pays ratio × eligible.
    paid = {r["id"]: r["payable"] for r in results[1]["responsibilities"]}
    assert paid["in_list"] == "16880.00"  # 21,100 × 0.80
    assert paid["inpatient_self_pay"] == "36470.00"  # 52,100 × 0.70
    assert paid["outpatient_drugs"] == "29250.00"  # 58,500 × 0.50
    assert results[1]["year_to_date"]["total_paid"] == "121200.00"  # 38,600 + 82,600


def test_products_json_lists_id_city_name_year_and_period(capsys) -> None:
    assert main(["products", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["schema"] == "huiminbao_rules.products/1"
    rows = data["products"]
    assert {r["id"] for r in rows} >= {"shenzhen-2023", "mianyang-2022", "weifang-2022", "hangzhou-2022"}
    for r in rows:
        assert r["city"].isascii() and r["city"].islower()
        assert set(r) >= {"id", "city", "name", "policy_year", "period"}
        assert r["period"]["start"] <= r["period"]["end"]
        assert str(r["policy_year"]) == r["period"]["start"][:4]


def test_the_command_is_installed() -> None:
    out = subprocess.run(["huiminbao", "products"], capture_output=True, text=True)
    assert out.returncode == 0 and "shenzhen-2023" in out.stdout
