"""Case files: a claim (or a year of claims), a product, the expected figures, and where
the expectation comes from. Each ``tests/cases/**/*.json`` file is one test.

Keys of a case file (see tests/cases/README.md):
  title               what the case shows, as a sentence
  expectation_source  "published: <source>" or "hand-computed: <the arithmetic>"
  product             a bundled id, or {"file": "<path relative to tests/cases>"}
  claims              claims in the interchange format (replayed in service-date order)
  year_to_date        optional accumulators from before these claims
  expect              {"year_payable": "...", "claims": {claim_id: {...}}}
     per claim: payable, indemnity_cut, excluded {reason: amount},
     responsibilities {id: {eligible, deductible, payable, cap_cut, indemnity_cut, rounded, raw}}
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from huiminbao_rules import YearToDate, get_product, parse_claim, read_product, replay, statement, to_dict

CASES = Path(__file__).parent / "cases"
FILES = sorted(p for p in CASES.rglob("*.json") if not {"enrollment", "bad"} & set(p.relative_to(CASES).parts))


def _load(path: Path):
    case = json.loads(path.read_text(encoding="utf-8"))
    ref = case["product"]
    product = read_product(CASES / ref["file"]) if isinstance(ref, dict) else get_product(ref)
    claims = [parse_claim(c) for c in case["claims"]]
    ytd = YearToDate.model_validate(case["year_to_date"]) if case.get("year_to_date") else None
    return case, product, claims, ytd


@pytest.mark.parametrize("path", FILES, ids=[str(f.relative_to(CASES)) for f in FILES])
def test_case(path: Path) -> None:
    case, product, claims, ytd = _load(path)
    assert case["title"] and case["expectation_source"], "a case says what it shows and where its figures come from"
    year = replay(claims, product, ytd)
    expect = case["expect"]
    if "year_payable" in expect:
        assert year.payable == Decimal(expect["year_payable"])
    for claim_id, exp in expect.get("claims", {}).items():
        adj = year.of(claim_id)
        if "payable" in exp:
            assert adj.payable == Decimal(exp["payable"]), claim_id
        if "indemnity_cut" in exp:
            assert adj.indemnity_cut == Decimal(exp["indemnity_cut"])
        if "excluded" in exp:
            got: dict[str, Decimal] = {}
            for line in adj.lines:
                for p in line.portions:
                    for e in p.exclusions:
                        got[e.reason] = got.get(e.reason, Decimal(0)) + e.amount
            assert got == {k: Decimal(v) for k, v in exp["excluded"].items()}
        for rid, figures in exp.get("responsibilities", {}).items():
            r = adj.responsibility(rid)
            actual = {"eligible": r.eligible, "deductible": r.deductible, "payable": r.payable,
                      "cap_cut": r.cap_cut, "indemnity_cut": r.indemnity_cut, "rounded": r.rounded, "raw": r.raw}
            for key, value in figures.items():
                assert actual[key] == Decimal(value), f"{claim_id} {rid} {key}"
        # Every case also renders and serialises.
        assert statement(adj, product, "zh") and statement(adj, product, "en")
        assert to_dict(adj, product)["payable"] == f"{adj.payable:.2f}"
