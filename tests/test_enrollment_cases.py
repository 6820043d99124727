"""Enrollment case files: ``tests/cases/enrollment/*.json``, one test each.

Keys of a case file:
  title               what the case shows, as a sentence
  expectation_source  where each expected figure and decision comes from (the product
                      clause and its source, and the arithmetic)
  product             a bundled id, or {"file": "<path relative to tests/cases>"}
  application         an application (docs/enrollment.md)
  expect              {"persons": {person_id: {...}}, "account_used": "..."}
     per person (every key optional): eligible (bool), codes (list: every reason code, in
     order), premium, subsidy, personal_account, cash (money strings), tier, cover_start,
     waiting_until (ISO dates or null)
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from huiminbao_rules import get_product, read_product
from huiminbao_rules.enrollment import enroll, parse_application

CASES = Path(__file__).parent / "cases"
FILES = sorted((CASES / "enrollment").glob("*.json"))


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_enrollment_case(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    assert case["title"] and case["expectation_source"]
    ref = case["product"]
    product = read_product(CASES / ref["file"]) if isinstance(ref, dict) else get_product(ref)
    result = enroll(parse_application(case["application"]), product)
    expect = case["expect"]
    if "account_used" in expect:
        assert result.account_used == Decimal(expect["account_used"])
    for pid, exp in expect["persons"].items():
        d = result.of(pid)
        actual = {
            "eligible": d.eligible, "codes": list(d.codes), "tier": d.tier,
            "premium": None if d.premium is None else f"{d.premium:.2f}",
            "subsidy": f"{d.subsidy:.2f}", "personal_account": f"{d.personal_account:.2f}", "cash": f"{d.cash:.2f}",
            "cover_start": d.cover_start.isoformat() if d.cover_start else None,
            "waiting_until": d.waiting_until.isoformat() if d.waiting_until else None,
        }
        for key, value in exp.items():
            assert actual[key] == value, f"{pid} {key}: {actual[key]!r} != {value!r}"
        if d.eligible and d.premium is not None:
            assert d.subsidy + d.personal_account + d.cash == d.premium
