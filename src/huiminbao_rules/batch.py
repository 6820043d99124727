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
from typing import Any, Literal

import pandas as pd

from .engine import replay
from .money import exact
from .population import Population
from .product import Product
from .progress import bar

PROGRESS_MIN_CLAIMS = 5_000
"""With ``progress=None``, a reference run of at least this many claims shows a progress
bar (on a terminal)."""

__all__ = ["BUCKETS", "adjudicate_population", "result_columns"]

BUCKETS = ("compliant", "reasonable", "special_drug", "other")


def result_columns(product: Product) -> list[str]:
    cols = ["claim_id", "insured_id", "product_id", "service_on", "owed", "eligible", "payable", "indemnity_cut",
            "pending"]
    cols += [f"eligible_{b}" for b in BUCKETS] + [f"payable_{b}" for b in BUCKETS]
    cols += [f"payable:{r.id}" for r in product.responsibilities]
    return cols


def _reference(population: Population, product: Product, progress: bool | None = None,
               unknown_lists: str = "pend") -> pd.DataFrame:
    by_person = defaultdict(list)
    claims_in = list(population.to_claims())
    for claim in claims_in:
        by_person[claim.insured.id].append(claim)
    rows = []
    with bar(progress, large=len(claims_in) >= PROGRESS_MIN_CLAIMS, total=len(claims_in), unit="claim",
             desc=f"adjudicating ({product.id})") as shown:
        for claims in by_person.values():
            rows += _rows(replay(claims, product, unknown_lists=unknown_lists).adjudications, product)
            shown.update(len(claims))
    frame = pd.DataFrame(rows, columns=result_columns(product))
    return frame.sort_values(["insured_id", "service_on", "claim_id"], ignore_index=True)


def _rows(adjudications: Any, product: Product) -> list[dict[str, Any]]:
    rows = []
    for adj in adjudications:
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
    return rows


@exact
def adjudicate_population(population: Population, product: Product,
                          engine: Literal["batch", "reference"] = "batch",
                          unknown_lists: Literal["pend", "member", "non-member"] = "pend", *,
                          progress: bool | None = None) -> pd.DataFrame:
    """One row per claim: what ``product`` pays, each person's claims replayed in
    service-date order as one policy year (money in int64 fen). ``unknown_lists`` as for
    :func:`huiminbao_rules.engine.adjudicate`; ``pending`` is what is held for review.
    Computed in the library's own decimal context, whatever the caller's.

    ``progress``: a progress bar on stderr for the reference engine's claim-by-claim run
    (True: always; None: from ``PROGRESS_MIN_CLAIMS`` claims, on a terminal; False: never).
    The columnar engine works on whole columns at once and shows none."""
    if engine == "reference":
        return _reference(population, product, progress, unknown_lists)
    from .columnar import adjudicate_columns

    return adjudicate_columns(population, product, unknown_lists)
