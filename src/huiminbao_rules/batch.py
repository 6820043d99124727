"""Adjudicating a whole population: per (insured, policy year), in service-date order,
with the same semantics as :func:`huiminbao_rules.engine.adjudicate`.

:func:`adjudicate_population` returns one row per claim. ``engine="reference"`` replays
each person's year through the reference engine, claim by claim; ``engine="batch"`` (the
default) uses the columnar engine of :mod:`huiminbao_rules.columnar`, which must agree
with it to the fen on every claim (a differential property test holds it to that).

The result columns: ``claim_id``, ``insured_id``, ``product_id``, ``service_on``,
``owed``, ``eligible``, ``payable``, ``indemnity_cut``, ``pending`` (held for review) (int64 fen); per bucket
``eligible_<bucket>`` and ``payable_<bucket>``; per responsibility ``payable:<id>``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Literal

import pandas as pd

from .engine import replay
from .population import Population
from .product import Product

__all__ = ["BUCKETS", "adjudicate_population", "result_columns"]

BUCKETS = ("compliant", "reasonable", "special_drug", "other")


def result_columns(product: Product) -> list[str]:
    cols = ["claim_id", "insured_id", "product_id", "service_on", "owed", "eligible", "payable", "indemnity_cut",
            "pending"]
    cols += [f"eligible_{b}" for b in BUCKETS] + [f"payable_{b}" for b in BUCKETS]
    cols += [f"payable:{r.id}" for r in product.responsibilities]
    return cols


def _reference(population: Population, product: Product, unknown_lists: str = "pend") -> pd.DataFrame:
    by_person = defaultdict(list)
    for claim in population.to_claims():
        by_person[claim.insured.id].append(claim)
    rows = []
    for claims in by_person.values():
        for adj in replay(claims, product, unknown_lists=unknown_lists).adjudications:
            row = {"claim_id": adj.claim_id, "insured_id": adj.insured_id, "product_id": product.id,
                   "service_on": pd.Timestamp(adj.service_on), "owed": int(adj.owed * 100),
                   "eligible": int(adj.eligible * 100), "payable": int(adj.payable * 100),
                   "indemnity_cut": int(adj.indemnity_cut * 100), "pending": int(adj.pending_amount * 100)}
            for b in BUCKETS:
                row[f"eligible_{b}"] = 0
                row[f"payable_{b}"] = 0
            for r in adj.responsibilities:
                row[f"eligible_{r.bucket}"] += int(r.eligible * 100)
                row[f"payable_{r.bucket}"] += int(r.payable * 100)
                row[f"payable:{r.id}"] = int(r.payable * 100)
            rows.append(row)
    frame = pd.DataFrame(rows, columns=result_columns(product))
    return frame.sort_values(["insured_id", "service_on", "claim_id"], ignore_index=True)


def adjudicate_population(population: Population, product: Product,
                          engine: Literal["batch", "reference"] = "batch",
                          unknown_lists: Literal["pend", "member", "non-member"] = "pend") -> pd.DataFrame:
    """One row per claim: what ``product`` pays, each person's claims replayed in
    service-date order as one policy year (money in int64 fen). ``unknown_lists`` as for
    :func:`huiminbao_rules.engine.adjudicate`; ``pending`` is what is held for review."""
    if engine == "reference":
        return _reference(population, product, unknown_lists)
    from .columnar import adjudicate_columns

    return adjudicate_columns(population, product, unknown_lists)
