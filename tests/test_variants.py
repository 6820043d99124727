"""Product variants as data: ``product.with_changes({clause path: value})``."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from huiminbao_rules import ProductError, adjudicate, get_product, parse_claim, replay

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "claims" / "shenzhen-2023-s1.json"


def test_a_variant_changes_only_the_named_clauses() -> None:
    base = get_product("shenzhen-2023")
    variant = base.with_changes({"responsibilities.in_list.deductible[0].amount": "10000",
                                 "responsibilities.in_list.ratio[0].rate": "0.90"})
    claim = parse_claim(EXAMPLE.read_text(encoding="utf-8"))
    a, b = adjudicate(claim, base), adjudicate(claim, variant)
    assert b.responsibility("in_list").payable == Decimal("9990.00")  # (21,100 − 10,000) × 0.90
    assert a.responsibility("in_list").payable == Decimal("4080.00")
    for rid in ("inpatient_self_pay", "outpatient_drugs"):
        assert a.responsibility(rid).payable == b.responsibility(rid).payable
    assert variant.id == "shenzhen-2023~variant" and base.responsibility_by_id["in_list"].deductible[0].amount == 16000


def test_a_variant_has_its_own_accumulators() -> None:
    base = get_product("shenzhen-2023")
    variant = base.with_changes({"total_cap.amount": "1000"} if base.total_cap else
                                {"responsibilities.in_list.cap.amount": "1000"}, id="shenzhen-2023-capped")
    claim = parse_claim(EXAMPLE.read_text(encoding="utf-8"))
    year = replay([claim], variant)
    assert year.year_to_date.product_id == "shenzhen-2023-capped"
    assert year.of("SZ23-0001").responsibility("in_list").payable == Decimal("1000.00")


@pytest.mark.parametrize("changes, says", [
    ({"responsibilities.nowhere.cap.amount": "1"}, "no 'nowhere'; known: in_list"),
    ({"responsibilities.in_list.ratio[0].rate": 0.9}, "binary float"),
    ({"responsibilities.in_list.deductible[5].amount": "1"}, "no item [5]"),
    ({"total_cap.amount": "1"}, "'total_cap' is not set"),
    ({"responsibilities.in_list.ratio[0].rate": "1.5"}, "outside 0..1"),
])
def test_a_bad_change_is_refused_clearly(changes, says) -> None:
    with pytest.raises(ProductError, match=says.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")):
        get_product("shenzhen-2023").with_changes(changes)
