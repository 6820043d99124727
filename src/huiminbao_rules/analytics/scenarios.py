"""What-if runs: one population's year of claims under several products or variants.

Needs the ``scenarios`` extra (numpy, pandas; matplotlib for the charts; the ``dask``
extra for :func:`run_dask`). Only :mod:`huiminbao_rules.analytics.dataset` imports this module.

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
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from huiminbao_rules.analytics.batch import BUCKETS, PROGRESS_MIN_CLAIMS, adjudicate_population, result_columns
from huiminbao_rules.analytics.progress import bar
from huiminbao_rules.core.errors import InputError, Problem
from huiminbao_rules.core.money import parse_amount
from huiminbao_rules.analytics.population import Population
from huiminbao_rules.rules.product import Product

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "CJK_FAMILIES",
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

Engine = Literal["batch", "reference"]
PremiumIncome = Decimal | int | str | Mapping[str, Decimal | int | str] | None

PERCENTILES = (50, 90, 99)
"""The payout percentiles of :meth:`ScenarioResult.summary` (``payout_p50`` …)."""

_KEYS = ("variant", "insured_id", "service_on", "claim_id")
_MONEY_NAMES = {"owed", "eligible", "payable", "indemnity_cut", "pending", "premium_income", "payable_per_insured",
                "payout_max", "payable_a", "payable_b", "difference"}
_MONEY_PREFIXES = ("eligible_", "payable_", "payable:", "payout_p")


# ---- exact yuan for people to read ------------------------------------------------------


def _fen_to_yuan(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, (float, np.floating)) and np.isnan(value)):
        return pd.NA
    return Decimal(int(value)).scaleb(-2)


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
                out[col] = out[col].map(_fen_to_yuan).astype(object)
        return out
    if isinstance(value, pd.Series):
        return value.map(_fen_to_yuan).astype(object)
    return _fen_to_yuan(value)


def _fen(amount: Decimal) -> int:
    """Exact fen of a two-place Decimal amount."""
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"amount {amount} is not a whole number of fen")
    return int(fen)


# ---- naming the variants and their premium income --------------------------------------


def _named(variants: Mapping[str, Product] | Sequence[Product]) -> dict[str, Product]:
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
class _Premium:
    fen: int | None
    basis: str


def _premiums(named: Mapping[str, Product], given: PremiumIncome, insured: int) -> dict[str, _Premium]:
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
                out[name] = _Premium(_fen(parse_amount(given[name])), "given")
            except ValueError as exc:
                raise InputError("premium income", [Problem(name, str(exc))]) from None
        elif product.premiums:
            out[name] = _Premium(insured * _fen(product.premiums[0].amount), "insured × first premium")
        else:
            out[name] = _Premium(None, "none")
    return out


# ---- the per-claim frame ------------------------------------------------------------------


def _columns(named: Mapping[str, Product]) -> list[str]:
    cols = ["variant"] + result_columns(next(iter(named.values())))
    fixed = [c for c in cols if not c.startswith("payable:")]
    per_resp = list(dict.fromkeys(f"payable:{r.id}" for p in named.values() for r in p.responsibilities))
    return fixed + per_resp


def _tidy(frames: Mapping[str, pd.DataFrame], named: Mapping[str, Product]) -> pd.DataFrame:
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
    out = out.sort_values(["_order", "insured_id", "service_on", "claim_id"], ignore_index=True, kind="stable")
    return out.drop(columns="_order")


def _adjudicate(population: Population, named: Mapping[str, Product], engine: Engine | None,
                progress: bool | None = None) -> dict[str, pd.DataFrame]:
    kw: dict[str, Any] = {} if engine is None else {"engine": engine}
    out = {}
    with bar(progress, large=len(population.claims) >= PROGRESS_MIN_CLAIMS, total=len(named), unit="variant",
             desc="variants") as shown:
        for name, product in named.items():
            shown.set_description_str(f"variant {name}")
            out[name] = adjudicate_population(population, product, progress=False, **kw)
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
    _premium: dict[str, _Premium] = field(repr=False)

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
    claims = _tidy(frames, named)
    people = population.insured.copy()
    people["insured_id"] = people["insured_id"].astype(str)
    per = _per_insured(claims, people, named)
    n = int(per["insured_id"].nunique())
    return ScenarioResult(claims=claims, insured=per, products=dict(named), people=people,
                          _premium=_premiums(named, premium_income, n))


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
    named = _named(variants)
    return _result(_adjudicate(population, named, engine, progress), population, named, premium_income)


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

    from huiminbao_rules.analytics.dataset import adjudicate_dataset, write_dataset

    named = _named(variants)
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


# ---- charts (binary floats of yuan from here on: for drawing only) -----------------------


def _figure(ax: Axes | None, size: tuple[int, int]) -> tuple[Figure, Axes]:
    """A new figure that pyplot does not know (so nothing ever shows it), or ``ax``'s."""
    if ax is not None:
        return ax.figure, ax  # type: ignore[return-value]
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN", "Noto Serif CJK SC",
                "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei", "PingFang SC", "Heiti SC",
                "Hiragino Sans GB", "AR PL UMing CN", "AR PL UKai CN", "Droid Sans Fallback")
"""Font families the charts look for, in order, to draw Chinese variant names."""


def cjk_font() -> str | None:
    """The family of a font on this system that draws Chinese (the first of
    :data:`CJK_FAMILIES` matplotlib knows, else any family with "CJK" in its name), or None.
    A font file matplotlib does not find by itself can be added with
    ``matplotlib.font_manager.fontManager.addfont(path)``."""
    from matplotlib import font_manager

    known = {f.name for f in font_manager.fontManager.ttflist}
    found = next((name for name in CJK_FAMILIES if name in known), None)
    return found or next((name for name in sorted(known) if "CJK" in name), None)


def _draws(families: Sequence[str], text: str) -> bool:
    """Whether every character of ``text`` has a glyph in one of ``families``."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    fonts = [FT2Font(font_manager.findfont(font_manager.FontProperties(family=f), fallback_to_default=True))
             for f in families]
    return all(c.isspace() or any(font.get_char_index(ord(c)) for font in fonts) for c in text)


def _families_and_labels(names: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """The font families to draw with, and each variant's label: its name, or, when no font
    here can draw it (a Chinese name without a CJK font), ``variant <position>``."""
    found = cjk_font()
    families = [found, "DejaVu Sans"] if found else ["DejaVu Sans"]
    return families, {n: n if _draws(families, n) else f"variant {i}" for i, n in enumerate(names, 1)}


def _use_families(fig: Figure, families: list[str]) -> None:
    from matplotlib.text import Text

    for text in fig.findobj(Text):
        text.set_fontfamily(families)


def _yuan_axis(axis: Any) -> None:
    axis.set_major_formatter("{x:,.0f}")


def plot_payouts(result: ScenarioResult, *, variants: Sequence[str] | None = None, bins: int = 40,
                 ax: Axes | None = None) -> Figure:
    """The distribution of yearly payouts per insured among those paid, one outline per
    variant, on log-spaced yuan bins (the long tail of 惠民保 payouts stays readable).
    Returns the Figure; never shows it. Chinese variant names are drawn with a CJK font
    found on the system (:func:`cjk_font`); without one, as ``variant <position>``."""
    names = list(variants) if variants is not None else result.variants
    families, labels = _families_and_labels(names)
    fig, ax = _figure(ax, (8, 4))
    per = result.insured
    paid = {n: per.loc[(per["variant"] == n) & (per["payable"] > 0), "payable"].to_numpy(dtype="int64") for n in names}
    everything = np.concatenate([v for v in paid.values()] + [np.zeros(0, dtype="int64")])
    if len(everything):
        lo, hi = max(int(everything.min()), 100), max(int(everything.max()), 200)
        edges = np.geomspace(lo / 100, hi / 100, bins + 1)
        for n in names:
            if len(paid[n]):
                ax.hist(paid[n] / 100, bins=edges, histtype="step", linewidth=2,
                        label=f"{labels[n]} ({len(paid[n]):,} paid)")
        ax.set_xscale("log")
        _yuan_axis(ax.xaxis)
        ax.legend()
    else:
        ax.text(0, 0, "nobody was paid", ha="center", va="center")
    ax.set_xlabel("yearly payout per insured (yuan, log scale)")
    ax.set_ylabel("insured")
    ax.set_title("Payout distribution among those paid")
    _use_families(fig, families)
    return fig


def plot_totals(result: ScenarioResult, *, variants: Sequence[str] | None = None, ax: Axes | None = None) -> Figure:
    """Total payable per variant as bars stacked by bucket, each labelled with its total
    and loss ratio. Returns the Figure; never shows it. Variant names as in
    :func:`plot_payouts`."""
    names = list(variants) if variants is not None else result.variants
    summary = result.summary().loc[names]
    families, labels = _families_and_labels(names)
    fig, ax = _figure(ax, (max(6, 2 * len(names) + 2), 4))
    x = np.arange(len(names))
    bottom = np.zeros(len(names))
    for b in BUCKETS:
        values = summary[f"payable_{b}"].to_numpy(dtype="int64") / 100
        if values.any():
            ax.bar(x, values, bottom=bottom, label=b)
            bottom = bottom + values
    for i, n in enumerate(names):
        ratio = summary.loc[n, "loss_ratio"]
        label = f"{yuan(int(summary.loc[n, 'payable'])):,}"
        if not np.isnan(ratio):
            label += f"\nloss ratio {ratio:.1%}"
        ax.annotate(label, (x[i], bottom[i]), ha="center", va="bottom", fontsize="small")
    ax.set_xticks(x, [labels[n] for n in names], rotation=15)
    ax.set_ylabel("total payable (yuan)")
    _yuan_axis(ax.yaxis)
    ax.margins(y=1 / 5)
    ax.set_title("Total payable by bucket")
    if len(ax.patches):
        ax.legend()
    _use_families(fig, families)
    return fig
