"""What a scenario run gives back: :class:`ScenarioResult` (per-claim rows of every variant,
per-insured totals, summaries) and :class:`Comparison` of two variants. Made by
:func:`huiminbao_rules.analytics.scenarios.run` and drawn by :mod:`huiminbao_rules.analytics.charts`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from huiminbao_rules.analytics.variants import SUMMED, Premium, summary_frame, summary_row, yuan
from huiminbao_rules.core.errors import InputError, Problem
from huiminbao_rules.rules.product import Product

__all__ = ["Comparison", "ScenarioResult"]


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
