"""Adjudicating a whole population: per (insured, policy year), in service-date order,
with the same semantics as :func:`huiminbao_rules.adjudication.engine.adjudicate`.

:func:`adjudicate_population` returns one row per claim. ``engine="reference"`` replays
each person's year through the reference engine, claim by claim; ``engine="batch"`` (the
default) uses the columnar engine of :mod:`huiminbao_rules.analytics.columnar`, which must agree
with it to the fen on every claim (a differential property test holds it to that).

The result columns: ``claim_id``, ``insured_id``, ``product_id``, ``service_on``,
``owed``, ``eligible``, ``payable``, ``indemnity_cut``, ``pending`` (held for review) (int64 fen); per bucket
``eligible_<bucket>`` and ``payable_<bucket>``; per responsibility ``payable:<id>``.
"""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd

from huiminbao_rules.analytics.population import Population
from huiminbao_rules.analytics.rows import BUCKETS, PROGRESS_MIN_CLAIMS, reference_rows, result_columns
from huiminbao_rules.core.money import exact
from huiminbao_rules.rules.product import Product

__all__ = ["BUCKETS", "PROGRESS_MIN_CLAIMS", "adjudicate_population", "as_frames_of", "result_columns", "result_rows"]


@exact
def adjudicate_population(population: Population, product: Product,
                          engine: Literal["batch", "reference"] = "batch",
                          unknown_lists: Literal["pend", "member", "non-member"] = "pend", *,
                          progress: bool | None = None) -> Any:
    """One row per claim: what ``product`` pays, each person's claims replayed in
    service-date order as one policy year (money in int64 fen). ``unknown_lists`` as for
    :func:`huiminbao_rules.adjudication.engine.adjudicate`; ``pending`` is what is held for review.
    Computed in the library's own decimal context, whatever the caller's.

    ``progress``: a progress bar on stderr for the reference engine's claim-by-claim run
    (True: always; None: from ``PROGRESS_MIN_CLAIMS`` claims, on a terminal; False: never).
    The columnar engine works on whole columns at once and shows none.

    A pandas DataFrame, or a Polars DataFrame with the same columns and values when the
    population was loaded from Polars frames (``population.frames == "polars"``)."""
    return as_frames_of(population, result_rows(population, product, engine, unknown_lists, progress=progress))


def result_rows(population: Population, product: Product, engine: Literal["batch", "reference"] = "batch",
                unknown_lists: Literal["pend", "member", "non-member"] = "pend", *,
                progress: bool | None = None) -> pd.DataFrame:
    """The rows of :func:`adjudicate_population`, always as a pandas DataFrame."""
    if engine == "reference":
        return reference_rows(population, product, progress, unknown_lists)
    from huiminbao_rules.analytics.columnar import adjudicate_columns  # numba: loaded only when used

    return adjudicate_columns(population, product, unknown_lists)


def as_frames_of(population: Population, frame: pd.DataFrame) -> Any:
    """``frame`` as the kind of frame ``population`` was given as (pandas or Polars)."""
    if population.frames == "polars":
        import polars as pl

        return pl.from_pandas(frame)
    return frame
