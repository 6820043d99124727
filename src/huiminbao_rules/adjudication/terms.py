"""Which of a responsibility's terms apply to a person: the first deductible variant and
the first ratio schedule whose condition holds for the facts of an encounter. The
reference engine and the columnar engine both choose through these functions.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from huiminbao_rules.adjudication.coverage import Facts, holds
from huiminbao_rules.rules.product import DeductibleVariant, Product, RatioSchedule, Responsibility

__all__ = ["deductible_for", "first_holding"]


def first_holding(variants: Iterable[DeductibleVariant | RatioSchedule], facts: Facts) -> tuple[int, Any]:
    """The first variant whose condition holds for these facts (and its index)."""
    for i, v in enumerate(variants):
        if holds(v.when, facts):
            return i, v
    raise AssertionError("the last variant always holds")  # enforced by Responsibility


def deductible_for(product: Product, r: Responsibility, facts: Facts) -> tuple[Decimal, str, str]:
    """(annual deductible, clause, source) for a responsibility and these facts."""
    i, v = first_holding(product.deductible_variants(r), facts)
    if v.reference is not None:
        ref = product.references[v.reference]
        amount, source = ref.for_scheme(facts.scheme), ref.source
    else:
        amount, source = v.amount, v.source
    where = f"deductible_pools.{r.deductible_pool}" if r.deductible_pool else f"responsibilities.{r.id}"
    return amount, f"{where}.deductible[{i}]", source
