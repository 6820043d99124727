"""Case files: a claim (or a year of claims), a product, the expected figures, and where
the expectation comes from. Each ``tests/cases/**/*.json`` file is one test.

Keys of a case file (see tests/cases/README.md):
  title               what the case shows, as a sentence
  expectation_source  "published: <source>" or "hand-computed: <the arithmetic>"
  product             a bundled id, or {"file": "<path relative to tests/cases>"}
  claims              claims in the interchange format (replayed in service-date order)
  year_to_date        optional accumulators from before these claims
  unknown_lists       optional: "pend" (default), "member" or "non-member" for the run that ``expect`` checks
  user_lists          optional: {list name: CSV file relative to tests/cases} supplied for that run
  expect              {"year_payable": "...", "claims": {claim_id: {...}}}
     per claim: payable, pending_amount, indemnity_cut, excluded {reason: amount},
     responsibilities {id: {eligible, deductible, payable, cap_cut, indemnity_cut, rounded, raw}},
     caveats [codes, in order, repeats kept]
  expect_default      optional: the same keys, for the run with the bundled lists and unknown
                      membership pended (what a case with user_lists or unknown_lists shows by default)
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from huiminbao_rules import (
    YearToDate,
    get_product,
    parse_claim,
    read_product,
    replay,
    statement,
    to_dict,
    with_user_list,
)

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
    if "expect_default" in case:
        assert "user_lists" in case or "unknown_lists" in case, "expect_default is for cases that change the run"
        _check(replay(claims, product, ytd), case["expect_default"], product)
    for name, file in case.get("user_lists", {}).items():
        product = with_user_list(product, name, CASES / file)
    year = replay(claims, product, ytd, unknown_lists=case.get("unknown_lists", "pend"))
    _check(year, case["expect"], product)


def _check(year, expect, product) -> None:  # type: ignore[no-untyped-def]
    if "year_payable" in expect:
        assert year.payable == Decimal(expect["year_payable"])
    if "year_pending" in expect:
        assert year.pending_amount == Decimal(expect["year_pending"])
    for claim_id, exp in expect.get("claims", {}).items():
        adj = year.of(claim_id)
        if "payable" in exp:
            assert adj.payable == Decimal(exp["payable"]), claim_id
        if "pending_amount" in exp:
            assert adj.pending_amount == Decimal(exp["pending_amount"]), claim_id
        if "caveats" in exp:
            assert [c.code for c in adj.caveats] == exp["caveats"], claim_id
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
        data = to_dict(adj, product)
        assert data["payable"] == f"{adj.payable:.2f}"
        assert data["pending_amount"] == f"{adj.pending_amount:.2f}"
        assert [c["code"] for c in data["caveats"]] == [c.code for c in adj.caveats]
