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


def test_the_per_claim_frame_is_in_order_however_the_rows_came() -> None:
    # tidy_claims orders rows by variant, insured, service date and claim id; it skips the
    # sort when they come in that order already (the columnar engine's), so rows given in
    # any other order must come out the same.
    import numpy as np
    import pandas as pd

    from huiminbao_rules.analytics.synthetic import SyntheticParams, population
    from huiminbao_rules.analytics.variants import _in_order, adjudicate_variants, tidy_claims

    base = get_product("hangzhou-2021")
    named = {"a": base, "b": base.with_changes({"responsibilities.in_list.deductible[0].amount": "15000"}, id="hz-b")}
    pop = population(base, SyntheticParams().sized(claims=300, lines_per_claim=6), seed=5)
    frames = adjudicate_variants(pop, named, None)
    expected = tidy_claims(frames, named)
    keys = ["variant", "insured_id", "service_on", "claim_id"]
    assert expected.equals(expected.sort_values(keys, ignore_index=True, kind="stable"))
    shuffled = {k: f.sample(frac=1, random_state=1).reset_index(drop=True) for k, f in frames.items()}
    pd.testing.assert_frame_equal(tidy_claims(shuffled, named), expected)
    # the check itself: text by code point, dates, ties decided by the next key
    rows = pd.DataFrame({"o": [0, 0, 0, 1], "p": pd.Series(["P1", "P1", "P2", "P0"], dtype="str"),
                         "d": pd.to_datetime(["2023-01-02", "2023-01-02", "2023-01-01", "2023-01-01"]),
                         "c": pd.Series(["A", "B", "C", "D"], dtype="str")})
    k = ["o", "p", "d", "c"]
    assert _in_order(rows, k) and _in_order(rows.astype({"p": object}), k)
    for column, row, value in (("c", 1, "0"), ("p", 2, "P0"), ("d", 0, pd.Timestamp("2023-02-01")), ("o", 3, -1)):
        broken = rows.copy()
        broken.loc[row, column] = value
        assert not _in_order(broken, k), (column, row)
    assert not _in_order(rows.assign(p=pd.Series(["P1", None, "P2", "P0"], dtype=object)), k)
    assert _in_order(rows.iloc[:1], k) and np.all(rows["o"] >= 0)
