"""The result rows of a population: their columns, and the reference engine's rows (each
person's year replayed claim by claim), the definition the columnar engine is held to.
Columns as described in :mod:`huiminbao_rules.analytics.batch`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pandas as pd

from huiminbao_rules.adjudication.engine import replay
from huiminbao_rules.analytics.population import Population
from huiminbao_rules.rules.product import Product
from huiminbao_rules.analytics.progress import bar
from huiminbao_rules.core.money import to_fen
from huiminbao_rules.core.vocabulary import BUCKETS

PROGRESS_MIN_CLAIMS = 5_000
"""With ``progress=None``, a reference run of at least this many claims shows a progress
bar (on a terminal)."""

__all__ = ["BUCKETS", "PROGRESS_MIN_CLAIMS", "reference_rows", "result_columns"]



def result_columns(product: Product) -> list[str]:
    cols = ["claim_id", "insured_id", "product_id", "service_on", "owed", "eligible", "payable", "indemnity_cut",
            "pending"]
    cols += [f"eligible_{b}" for b in BUCKETS] + [f"payable_{b}" for b in BUCKETS]
    cols += [f"payable:{r.id}" for r in product.responsibilities]
    return cols


def reference_rows(population: Population, product: Product, progress: bool | None = None,
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
               "service_on": pd.Timestamp(adj.service_on), "owed": to_fen(adj.owed),
               "eligible": to_fen(adj.eligible), "payable": to_fen(adj.payable),
               "indemnity_cut": to_fen(adj.indemnity_cut), "pending": to_fen(adj.pending_amount)}
        for b in BUCKETS:
            row[f"eligible_{b}"] = 0
            row[f"payable_{b}"] = 0
        for r in adj.responsibilities:
            row[f"eligible_{r.bucket}"] += to_fen(r.eligible)
            row[f"payable_{r.bucket}"] += to_fen(r.payable)
            row[f"payable:{r.id}"] = to_fen(r.payable)
        rows.append(row)
    return rows
