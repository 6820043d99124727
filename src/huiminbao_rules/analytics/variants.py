"""What a scenario run and a dataset run share: the variants by name, their premium income,
each variant's adjudicated claims as one tidy per-claim frame, and the summary row of a
variant, defined once whether the claims are in memory (:mod:`~huiminbao_rules.analytics.scenarios`)
or in a dataset on disk (:mod:`~huiminbao_rules.analytics.dataset`).

Money is ``int64`` fen in every frame, exactly what the engine paid; :func:`yuan` turns
fen into exact ``Decimal`` yuan for tables a person reads. Ratios (loss ratio, share
benefiting) are ``float64``: they are not money.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import numpy as np
import pandas as pd

from huiminbao_rules.analytics.batch import BUCKETS, PROGRESS_MIN_CLAIMS, result_columns, result_rows
from huiminbao_rules.analytics.population import Population
from huiminbao_rules.analytics.progress import bar
from huiminbao_rules.core.errors import InputError, Problem
from huiminbao_rules.core.money import from_fen, parse_amount, to_fen
from huiminbao_rules.rules.product import Product

__all__ = [
    "PERCENTILES",
    "SUMMED",
    "Engine",
    "Premium",
    "PremiumIncome",
    "adjudicate_variants",
    "named_variants",
    "premiums",
    "summary_frame",
    "summary_row",
    "tidy_claims",
    "yuan",
]

Engine = Literal["batch", "reference"]
PremiumIncome = Decimal | int | str | Mapping[str, Decimal | int | str] | None

PERCENTILES = (50, 90, 99)
"""The payout percentiles of :meth:`ScenarioResult.summary` (``payout_p50`` …)."""

_MONEY_NAMES = {"owed", "eligible", "payable", "indemnity_cut", "pending", "premium_income", "payable_per_insured",
                "payout_max", "payable_a", "payable_b", "difference"}
_MONEY_PREFIXES = ("eligible_", "payable_", "payable:", "payout_p")


# ---- exact yuan for people to read ------------------------------------------------------


def _missing_or_yuan(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, (float, np.floating)) and np.isnan(value)):
        return pd.NA
    return from_fen(int(value))


def _is_money(column: Any) -> bool:
    return isinstance(column, str) and (column in _MONEY_NAMES or column.startswith(_MONEY_PREFIXES))


def yuan(value: Any) -> Any:
    """Fen as exact yuan: an integer becomes a ``Decimal`` with two places; a Series
    becomes ``Decimal`` objects; a DataFrame (any frame this module returns) has its money
    columns converted and the rest left alone. Missing stays missing.

    >>> yuan(123456)
    Decimal('1234.56')
    >>> yuan(-5)
    Decimal('-0.05')
    >>> str(yuan(0))
    '0.00'
    """
    if isinstance(value, pd.DataFrame):
        out = value.copy()
        for col in out.columns:
            if _is_money(col):
                out[col] = out[col].map(_missing_or_yuan).astype(object)
        return out
    if isinstance(value, pd.Series):
        return value.map(_missing_or_yuan).astype(object)
    return _missing_or_yuan(value)


# ---- naming the variants and their premium income --------------------------------------


def named_variants(variants: Mapping[str, Product] | Sequence[Product]) -> dict[str, Product]:
    if isinstance(variants, Product):
        variants = [variants]
    if isinstance(variants, Mapping):
        named = {str(k): v for k, v in variants.items()}
    else:
        named = {}
        for p in variants:
            if p.id in named:
                raise InputError("scenario variants", [Problem(
                    p.id, "two variants have this id; give them names in a mapping {name: product}, "
                          "or ids with product.with_changes(..., id=...)")])
            named[p.id] = p
    if not named:
        raise InputError("scenario variants", [Problem("", "no product was given; give at least one")])
    wrong = [Problem(k, f"is a {type(v).__name__}, not a Product") for k, v in named.items()
             if not isinstance(v, Product)]
    if wrong:
        raise InputError("scenario variants", wrong)
    return named


@dataclass(frozen=True)
class Premium:
    fen: int | None
    basis: str


def premiums(named: Mapping[str, Product], given: PremiumIncome, insured: int) -> dict[str, Premium]:
    """Each variant's premium income: given (one figure for all, or by variant name), else
    the insured count times the product's first premium, else none."""
    if given is not None and not isinstance(given, Mapping):
        given = {name: given for name in named}
    given = dict(given or {})
    unknown = [k for k in given if k not in named]
    if unknown:
        raise InputError("premium income", [Problem(k, f"no such variant; known: {', '.join(named)}")
                                            for k in unknown])
    out = {}
    for name, product in named.items():
        if name in given:
            try:
                out[name] = Premium(to_fen(parse_amount(given[name])), "given")
            except ValueError as exc:
                raise InputError("premium income", [Problem(name, str(exc))]) from None
        elif product.premiums:
            out[name] = Premium(insured * to_fen(product.premiums[0].amount), "insured × first premium")
        else:
            out[name] = Premium(None, "none")
    return out


# ---- the per-claim frame ------------------------------------------------------------------


def _columns(named: Mapping[str, Product]) -> list[str]:
    cols = ["variant"] + result_columns(next(iter(named.values())))
    fixed = [c for c in cols if not c.startswith("payable:")]
    per_resp = list(dict.fromkeys(f"payable:{r.id}" for p in named.values() for r in p.responsibilities))
    return fixed + per_resp


def tidy_claims(frames: Mapping[str, pd.DataFrame], named: Mapping[str, Product]) -> pd.DataFrame:
    """One per-claim frame from each variant's rows: the same columns, dtypes and order
    whichever engine, process or partition produced the rows.

    A responsibility a variant does not have pays 0 under it. Rows are ordered by the
    variants' order, then insured, service date and claim id."""
    cols = _columns(named)
    parts = []
    for name in named:
        f = frames[name].copy()
        f.insert(0, "variant", name)
        parts.append(f.reindex(columns=cols))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    for c in cols:
        if c in ("variant", "claim_id", "insured_id", "product_id"):
            out[c] = out[c].astype(str) if len(out) else out[c].astype(object).astype(str)
        elif c == "service_on":
            out[c] = pd.to_datetime(out[c]).astype("datetime64[ns]")
        else:
            out[c] = out[c].fillna(0).astype("int64")
    order = {name: i for i, name in enumerate(named)}
    out["_order"] = out["variant"].map(order).astype("int64")
    keys = ["_order", "insured_id", "service_on", "claim_id"]
    if not _in_order(out, keys):  # the columnar engine's rows come in this order already
        out = out.sort_values(keys, ignore_index=True, kind="stable")
    return out.drop(columns="_order")


def _in_order(frame: pd.DataFrame, keys: list[str]) -> bool:
    """Whether ``frame``'s rows are in order of ``keys`` already (text compared by code
    point, as the sort compares it): adjacent rows compared in columns, through Arrow for
    text; False where pyarrow is missing (the caller then sorts)."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:  # pragma: no cover - pyarrow is part of the extra
        return False
    if len(frame) < 2:
        return True
    ok = None  # built from the last key to the first: a < b, or a == b and the rest in order
    for key in reversed(keys):
        column = frame[key]
        if column.dtype.kind in "iMmu":
            values = column.to_numpy()
            before, after = values[:-1], values[1:]
            less, same = before < after, before == after
        else:
            try:
                values = pa.array(column, from_pandas=True)
                before, after = values.slice(0, len(values) - 1), values.slice(1)
                less = pc.less(before, after).fill_null(False).to_numpy(zero_copy_only=False)
                same = pc.equal(before, after).fill_null(False).to_numpy(zero_copy_only=False)
            except (pa.ArrowException, TypeError, ValueError):  # not one kind of value: the sort decides
                return False
        ok = (less | same) if ok is None else (less | (same & ok))
    return bool(np.all(ok))


def adjudicate_variants(population: Population, named: Mapping[str, Product], engine: Engine | None,
                progress: bool | None = None) -> dict[str, pd.DataFrame]:
    kw: dict[str, Any] = {} if engine is None else {"engine": engine}
    out = {}
    with bar(progress, large=len(population.claims) >= PROGRESS_MIN_CLAIMS, total=len(named), unit="variant",
             desc="variants") as shown:
        for name, product in named.items():
            shown.set_description_str(f"variant {name}")
            out[name] = result_rows(population, product, progress=False, **kw)
            shown.update(1)
    return out


# ---- results ----------------------------------------------------------------------------


def _round_half_up_div(total: int, n: int) -> int:
    """``total / n`` rounded half up, for non-negative integers.

    >>> _round_half_up_div(5, 2), _round_half_up_div(4, 3), _round_half_up_div(0, 7)
    (3, 1, 0)
    """
    return (2 * total + n) // (2 * n)


def _percentile(values: np.ndarray, q: int) -> int:
    """The smallest observed value with at least q% of ``values`` at or below it (no
    interpolation, so a payout percentile is a payout someone received, in whole fen)."""
    return int(np.percentile(values, q, method="inverted_cdf"))


SUMMED = ("owed", "eligible", *(f"eligible_{b}" for b in BUCKETS), "payable", *(f"payable_{b}" for b in BUCKETS),
          "indemnity_cut", "pending")
"""The per-claim money columns a summary adds up (int64 fen)."""


def summary_row(name: str, product: Product, *, claims: int, insured: int, claimants: int, sums: dict[str, int],
                paid: np.ndarray, premium: Any) -> dict[str, Any]:
    """One variant's row of a summary, from its sums over the claims (:data:`SUMMED`), the
    payouts of the people paid (int64 fen) and its premium income; the one definition of
    every summary column, whether the claims are in memory or in a dataset on disk."""
    row: dict[str, Any] = {"variant": name, "product_id": product.id, "claims": claims, "insured": insured,
                           "claimants": claimants, "beneficiaries": len(paid)}
    row |= {k: sums[k] for k in SUMMED}
    row["payable_per_insured"] = _round_half_up_div(row["payable"], insured) if insured else pd.NA
    row["premium_income"] = pd.NA if premium.fen is None else premium.fen
    row["premium_basis"] = premium.basis
    row["loss_ratio"] = row["payable"] / premium.fen if premium.fen else np.nan
    row["share_benefiting"] = len(paid) / insured if insured else np.nan
    for q in PERCENTILES:
        row[f"payout_p{q}"] = _percentile(paid, q) if len(paid) else pd.NA
    row["payout_max"] = int(paid.max()) if len(paid) else pd.NA
    return row


def summary_frame(rows: list[dict[str, Any]], unit: Literal["fen", "yuan"] = "fen") -> pd.DataFrame:
    """Summary rows as the frame of :meth:`ScenarioResult.summary`, typed column by column."""
    out = pd.DataFrame(rows).set_index("variant")
    for col in out.columns:
        if col in ("product_id", "premium_basis"):
            out[col] = out[col].astype(str)
        elif col in ("loss_ratio", "share_benefiting"):
            out[col] = out[col].astype("float64")
        elif col in ("premium_income", "payable_per_insured", "payout_max") or col.startswith("payout_p"):
            out[col] = out[col].astype("Int64")
        else:
            out[col] = out[col].astype("int64")
    return yuan(out) if unit == "yuan" else out
