"""What-if runs: one population's year of claims under several products or variants.

Needs the ``scenarios`` extra (numpy, pandas; matplotlib for the charts; the ``dask``
extra for :func:`run_dask`).

    >>> from huiminbao_rules import get_product
    >>> from huiminbao_rules.analytics.scenarios import run
    >>> base = get_product("hangzhou-2021")
    >>> variants = {"2021": base,
    ...             "lower deductible": base.with_changes(
    ...                 {"responsibilities.in_list.deductible[0].amount": "15000"}, id="hz-15000")}
    >>> # result = run(population, variants)
    >>> # result.summary(), result.compare("2021", "lower deductible")
    >>> # from huiminbao_rules.analytics.charts import plot_totals; plot_totals(result)

Money is ``int64`` fen in every frame, exactly what the engine paid; :func:`yuan` turns
fen into exact ``Decimal`` yuan for tables a person reads. Ratios (loss ratio, share
benefiting) are ``float64``: they are not money. Only the charts turn money into binary
floats, to draw it. See ``docs/scenarios.md`` for every column.

The arithmetic this module shares with :mod:`~huiminbao_rules.analytics.dataset` (variant
names, premium income, the per-claim frame, summary rows) is in
:mod:`~huiminbao_rules.analytics.variants`; the result types in
:mod:`~huiminbao_rules.analytics.outcome`; the charts, which draw a result, in
:mod:`~huiminbao_rules.analytics.charts`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from huiminbao_rules.analytics.batch import result_columns
from huiminbao_rules.analytics.outcome import Comparison, ScenarioResult
from huiminbao_rules.analytics.dataset import adjudicate_dataset, write_dataset
from huiminbao_rules.analytics.population import Population, arrow_text
from huiminbao_rules.analytics.variants import (
    PERCENTILES,
    Engine,
    PremiumIncome,
    adjudicate_variants,
    named_variants,
    premiums,
    tidy_claims,
    yuan,
)
from huiminbao_rules.rules.product import Product

__all__ = [
    "PERCENTILES",
    "Comparison",
    "ScenarioResult",
    "run",
    "run_dask",
    "split",
    "yuan",
]


def _per_insured(claims: pd.DataFrame, people: pd.DataFrame, named: Mapping[str, Product]) -> pd.DataFrame:
    """Per variant and person (everyone insured, and anyone a claim names), in order of
    variant then id: the claims, and what was owed, eligible and payable (int64 fen, 0 for
    someone without a claim). Summed in columns, each claim's person found once."""
    ids, at = _people_of(people["insured_id"].astype(str), claims["insured_id"].astype(str))
    per_variant = []
    for name in named:
        mine = (claims["variant"] == name).to_numpy()
        sums: dict[str, Any] = {"variant": name, "insured_id": ids,
                                "claims": np.bincount(at[mine], minlength=len(ids)).astype(np.int64)}
        for column in ("owed", "eligible", "payable"):
            total = np.zeros(len(ids), np.int64)
            np.add.at(total, at[mine], claims[column].to_numpy(np.int64)[mine])
            sums[column] = total
        per_variant.append(pd.DataFrame(sums))
    out = pd.concat(per_variant, ignore_index=True)
    out["variant"] = out["variant"].astype(str)
    return out


def _people_of(insured_ids: pd.Series, claim_ids: pd.Series) -> tuple[pd.Index, np.ndarray]:
    """Everyone's id (the insured, and anyone a claim names) once, in sorted order, and each
    claim's place among them: one Arrow dictionary encoding and one sort of the distinct ids
    where pyarrow is there; pandas otherwise."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:  # pragma: no cover - pyarrow is part of the extra
        ids = pd.Index(pd.concat([insured_ids, claim_ids], ignore_index=True).unique()).sort_values()
        return ids, ids.get_indexer(claim_ids)
    both = pa.concat_arrays([arrow_text(insured_ids, pa), arrow_text(claim_ids, pa)])
    encoded = pc.dictionary_encode(both)
    distinct = encoded.dictionary
    order = pc.sort_indices(distinct).to_numpy()  # by the ids' text (code points)
    rank = np.empty(len(distinct), np.int64)
    rank[order] = np.arange(len(distinct))
    ids = pd.Index(pd.array(distinct.take(pa.array(order)), dtype=insured_ids.dtype))
    return ids, rank[encoded.indices.to_numpy(zero_copy_only=False)[len(insured_ids):]]


def _result(frames: Mapping[str, pd.DataFrame], population: Population, named: dict[str, Product],
            premium_income: PremiumIncome) -> ScenarioResult:
    claims = tidy_claims(frames, named)
    people = population.insured.copy()
    people["insured_id"] = people["insured_id"].astype(str)
    per = _per_insured(claims, people, named)
    n = len(per) // len(named) if named else 0
    return ScenarioResult(claims=claims, insured=per, products=dict(named), people=people,
                          _premium=premiums(named, premium_income, n))


def run(population: Population, variants: Mapping[str, Product] | Sequence[Product], *,
        premium_income: PremiumIncome = None, engine: Engine | None = None,
        progress: bool | None = None) -> ScenarioResult:
    """Adjudicate ``population`` under each variant (a mapping name → product, or products
    named by their ids) and gather the results.

    ``premium_income``: yuan (``Decimal``, ``int`` or ``str``, never a float), one figure
    for every variant or a mapping by variant name; a variant without one is taken to
    earn the insured count times its product's first premium, if it has premiums.
    ``engine`` is passed to :func:`~huiminbao_rules.analytics.batch.adjudicate_population` (``None``:
    its default); the result does not depend on which engine ran. ``progress``: a progress
    bar on stderr, one step per variant (True: always; None: from ``PROGRESS_MIN_CLAIMS``
    claims, on a terminal; False: never)."""
    named = named_variants(variants)
    return _result(adjudicate_variants(population, named, engine, progress), population, named, premium_income)


# ---- scale-out on Dask ---------------------------------------------------------------------


def split(population: Population, partitions: int) -> list[Population]:
    """The population cut into at most ``partitions`` parts by insured: every person (all
    their claims, so their whole policy year) in exactly one part. People are taken in
    insured-id order and the cuts balance the number of claims; no part is empty."""
    if partitions < 1:
        raise ValueError(f"partitions must be at least 1, got {partitions}")
    ids = population.insured["insured_id"].astype(str)
    counts = population.claims["insured_id"].astype(str).value_counts()
    people = pd.DataFrame({"insured_id": sorted(set(ids) | set(counts.index))})
    # A person without claims weighs one, so parts stay balanced for small populations too.
    people["weight"] = people["insured_id"].map(counts).fillna(0).astype("int64").clip(lower=1)
    total = int(people["weight"].sum())
    partitions = min(partitions, len(people)) or 1
    before = people["weight"].cumsum() - people["weight"]
    people["part"] = (before * partitions // max(total, 1)).astype("int64")
    part_of = dict(zip(people["insured_id"], people["part"]))
    claim_part = dict(zip(population.claims["claim_id"].astype(str),
                          population.claims["insured_id"].astype(str).map(part_of)))

    def cut(frame: pd.DataFrame, key: str, mapping: dict[str, int]) -> dict[int, pd.DataFrame]:
        labels = frame[key].astype(str).map(mapping)
        return {int(k): g.reset_index(drop=True) for k, g in frame.groupby(labels, sort=True)}

    tables = {
        "insured": cut(population.insured, "insured_id", part_of),
        "claims": cut(population.claims, "insured_id", part_of),
        "encounters": cut(population.encounters, "claim_id", claim_part),
        "fee_lines": cut(population.fee_lines, "claim_id", claim_part),
    }
    out = []
    for k in sorted(set(people["part"])):
        out.append(Population(**{name: parts.get(k, getattr(population, name).iloc[0:0].reset_index(drop=True))
                                 for name, parts in tables.items()}))
    return out


def _default_partitions(population: Population, threads: int) -> int:
    """Two tasks per worker thread, and no partition above 20,000 claims."""
    return max(2 * threads, -(-len(population) // 20_000), 1)


def run_dask(population: Population, variants: Mapping[str, Product] | Sequence[Product], *,
             client: Any = None, partitions: int | None = None, premium_income: PremiumIncome = None,
             engine: Engine | None = None, workdir: str | os.PathLike[str] | None = None) -> ScenarioResult:
    """:func:`run` on Dask, through a dataset on disk: the population is written to a
    temporary :mod:`~huiminbao_rules.analytics.dataset` of ``partitions`` buckets by insured (every
    person's year in one bucket), each bucket is read, adjudicated under every variant and
    written by a worker (:func:`~huiminbao_rules.analytics.dataset.adjudicate_dataset`), and the rows
    are read back into the same :class:`ScenarioResult` as :func:`run` gives (equal frames).

    ``client``: a ``distributed.Client``; its workers must see ``workdir``, a directory
    where the dataset and the results are written and removed afterwards (default: a new
    temporary directory on this machine, which suits a local cluster; on a cluster, a
    shared disk). Without a client, Dask's default scheduler runs the tasks.
    ``partitions`` defaults to two per worker thread, at most about 20,000 claims each;
    people are assigned to partitions by a hash of their id, so a small population may
    fill fewer."""
    import tempfile

    named = named_variants(variants)
    if partitions is None:
        threads = sum(client.nthreads().values()) if client is not None else (os.cpu_count() or 1)
        partitions = _default_partitions(population, threads)
    if partitions < 1:
        raise ValueError(f"partitions must be at least 1, got {partitions}")
    year = next(iter(named.values())).policy_year
    with tempfile.TemporaryDirectory(prefix="huiminbao-dask-", dir=workdir) as tmp:
        ds = write_dataset(population, f"{tmp}/data", year=year, buckets=partitions)
        if ds.partitions(year):
            frames = adjudicate_dataset(ds, named, out=f"{tmp}/results", year=year, client=client,
                                        engine=engine)._frames()
        else:  # nobody to adjudicate
            frames = {name: pd.DataFrame(columns=result_columns(p)) for name, p in named.items()}
    return _result(frames, population, named, premium_income)
