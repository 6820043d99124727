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
    >>> # result.summary(), result.compare("2021", "lower deductible"), plot_totals(result)

Money is ``int64`` fen in every frame, exactly what the engine paid; :func:`yuan` turns
fen into exact ``Decimal`` yuan for tables a person reads. Ratios (loss ratio, share
benefiting) are ``float64``: they are not money. Only the charts turn money into binary
floats, to draw it. See ``docs/scenarios.md`` for every column.

The arithmetic this module shares with :mod:`~huiminbao_rules.analytics.dataset` (variant
names, premium income, the per-claim frame, summary rows) is in
:mod:`~huiminbao_rules.analytics.variants`; the charts are in
:mod:`~huiminbao_rules.analytics.charts`. Both are importable from here as before.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from huiminbao_rules.analytics.batch import result_columns
from huiminbao_rules.analytics.charts import CJK_FAMILIES, cjk_font, plot_payouts, plot_totals
from huiminbao_rules.analytics.dataset import adjudicate_dataset, write_dataset
from huiminbao_rules.analytics.population import Population
from huiminbao_rules.analytics.variants import (
    PERCENTILES,
    SUMMED,
    Engine,
    Premium,
    PremiumIncome,
    adjudicate_variants,
    named_variants,
    premiums,
    summary_frame,
    summary_row,
    tidy_claims,
    yuan,
)
from huiminbao_rules.core.errors import InputError, Problem
from huiminbao_rules.rules.product import Product

__all__ = [
    "CJK_FAMILIES",
    "PERCENTILES",
    "Comparison",
    "ScenarioResult",
    "cjk_font",
    "plot_payouts",
    "plot_totals",
    "run",
    "run_dask",
    "split",
    "yuan",
]


@dataclass(frozen=True)
class ScenarioResult:
    """One population under several variants.

    - ``claims``: one row per claim per variant: ``variant`` and the columns of
      :func:`~huiminbao_rules.analytics.batch.result_columns` (money int64 fen; a responsibility a
      variant does not have pays 0 under it; nothing that says which engine ran, so the
      frame is the same whichever did);
    - ``insured``: one row per insured per variant (people without claims included):
      ``variant``, ``insured_id``, ``claims``, ``owed``, ``eligible``, ``payable``;
    - ``products``: the variants by name, in the order given;
    - ``people``: the population's insured table (for :meth:`compare` ``by=``).
    """

    claims: pd.DataFrame
    insured: pd.DataFrame
    products: dict[str, Product]
    people: pd.DataFrame = field(repr=False)
    _premium: dict[str, Premium] = field(repr=False)

    @property
    def variants(self) -> list[str]:
        return list(self.products)

    def summary(self, *, unit: Literal["fen", "yuan"] = "fen") -> pd.DataFrame:
        """One row per variant (indexed by its name); every column is defined in
        ``docs/scenarios.md``. Money in int64 fen, or exact ``Decimal`` yuan with
        ``unit="yuan"``; a missing figure (no premium income, nobody paid) is ``<NA>``."""
        n_insured = int(self.insured["insured_id"].nunique())
        rows = []
        for name, product in self.products.items():
            c = self.claims[self.claims["variant"] == name]
            per = self.insured[self.insured["variant"] == name]
            rows.append(summary_row(name, product, claims=len(c), insured=n_insured,
                                    claimants=int((per["claims"] > 0).sum()),
                                    sums={k: int(c[k].sum()) for k in SUMMED},
                                    paid=per.loc[per["payable"] > 0, "payable"].to_numpy(dtype="int64"),
                                    premium=self._premium[name]))
        return summary_frame(rows, unit)

    def compare(self, a: str, b: str, *, by: str | None = None) -> Comparison:
        """Who gains and who loses going from variant ``a`` to variant ``b``: per insured
        ``payable_b − payable_a``. With ``by`` (a column of the insured table, e.g.
        ``scheme``), the outcome table is also split by it."""
        for name in (a, b):
            if name not in self.products:
                raise InputError("comparison", [Problem(name, f"no such variant; known: {', '.join(self.products)}")])
        if by is not None and by not in self.people.columns:
            raise InputError("comparison", [Problem(by, f"not a column of the insured table; known: "
                                                        f"{', '.join(map(str, self.people.columns))}")])
        pa = self.insured[self.insured["variant"] == a].set_index("insured_id")
        pb = self.insured[self.insured["variant"] == b].set_index("insured_id")
        per = pd.DataFrame({"claims": pa["claims"], "payable_a": pa["payable"],
                            "payable_b": pb["payable"].reindex(pa.index)})
        per["difference"] = per["payable_b"] - per["payable_a"]
        per["outcome"] = np.select([per["difference"] > 0, per["difference"] < 0], ["gains", "loses"], "unchanged")
        per["outcome"] = per["outcome"].astype(str)
        if by is not None:
            per[by] = self.people.drop_duplicates("insured_id").set_index("insured_id")[by].reindex(per.index)
        per = per.reset_index()
        return Comparison(a=a, b=b, per_insured=per, by=by)


@dataclass(frozen=True)
class Comparison:
    """Variant ``a`` against variant ``b``, per insured (see :meth:`ScenarioResult.compare`).

    ``per_insured``: ``insured_id``, ``claims``, ``payable_a``, ``payable_b``,
    ``difference`` (b − a, int64 fen) and ``outcome`` (``gains``, ``loses`` or
    ``unchanged``; people with no claims are unchanged)."""

    a: str
    b: str
    per_insured: pd.DataFrame
    by: str | None = None

    def outcomes(self, *, unit: Literal["fen", "yuan"] = "fen") -> pd.DataFrame:
        """Per outcome (``gains``, ``loses``, ``unchanged`` and ``all``): ``insured``,
        ``payable_a``, ``payable_b`` and ``difference`` totals. With ``by``, per group too."""
        keys = ["outcome"] if self.by is None else [self.by, "outcome"]

        def table(frame: pd.DataFrame) -> pd.DataFrame:
            t = frame.groupby("outcome").agg(insured=("insured_id", "size"), payable_a=("payable_a", "sum"),
                                             payable_b=("payable_b", "sum"), difference=("difference", "sum"))
            t = t.reindex(["gains", "loses", "unchanged"], fill_value=0)
            t.loc["all"] = t.sum()
            return t.astype("int64")

        if self.by is None:
            out = table(self.per_insured)
        else:
            out = pd.concat({g: table(f) for g, f in self.per_insured.groupby(self.by, sort=True)}, names=keys)
        out.index.names = keys
        return yuan(out) if unit == "yuan" else out

    def largest(self, n: int = 10, *, unit: Literal["fen", "yuan"] = "fen") -> pd.DataFrame:
        """The ``n`` largest gains and the ``n`` largest losses (largest moves first;
        ties by insured id)."""
        per = self.per_insured
        gains = per[per["difference"] > 0].sort_values(["difference", "insured_id"], ascending=[False, True]).head(n)
        losses = per[per["difference"] < 0].sort_values(["difference", "insured_id"], ascending=[True, True]).head(n)
        out = pd.concat([gains, losses], ignore_index=True)
        return yuan(out) if unit == "yuan" else out


def _per_insured(claims: pd.DataFrame, people: pd.DataFrame, named: Mapping[str, Product]) -> pd.DataFrame:
    ids = sorted(set(people["insured_id"].astype(str)) | set(claims["insured_id"]))
    g = claims.groupby(["variant", "insured_id"], sort=False).agg(
        claims=("claim_id", "size"), owed=("owed", "sum"), eligible=("eligible", "sum"), payable=("payable", "sum"))
    full = pd.MultiIndex.from_product([list(named), ids], names=["variant", "insured_id"])
    out = g.reindex(full, fill_value=0).astype("int64").reset_index()
    out["variant"] = out["variant"].astype(str)
    out["insured_id"] = out["insured_id"].astype(str)
    return out


def _result(frames: Mapping[str, pd.DataFrame], population: Population, named: dict[str, Product],
            premium_income: PremiumIncome) -> ScenarioResult:
    claims = tidy_claims(frames, named)
    people = population.insured.copy()
    people["insured_id"] = people["insured_id"].astype(str)
    per = _per_insured(claims, people, named)
    n = int(per["insured_id"].nunique())
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
