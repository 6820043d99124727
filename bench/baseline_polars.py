"""An idiomatic Polars implementation of hangzhou-2022: lazy frames (fee lines summed per
encounter, each person's year by cumulative sums ``over`` the person, rounding per claim),
exact in integer fen (no float money). The plan is materialised after the fee lines are
read and once the claims are in order: collected as one plan it ran two to three times
slower, Polars apparently computing shared branches more than once.

``frames(population)`` turns a :class:`~huiminbao_rules.analytics.population.Population` into Polars
frames (what a Polars user would already hold, read from Parquet); ``payable(frames)``
returns a ``polars.DataFrame[claim_id, payable]`` (int64 fen), one row per claim, and how
many people went through the cap loop (see ``baseline_pandas``). The rules transcribed
are in ``hangzhou_2022.py``; ``tests/test_baselines.py`` holds the result equal to the
library's engines to the fen on generated populations.

Threads: Polars reads ``POLARS_MAX_THREADS`` when it is first imported; the benchmark sets
it to 1 for the single-core comparison.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import polars as pl

try:
    from . import hangzhou_2022 as H
except ImportError:  # run as a script from bench/
    import hangzhou_2022 as H  # type: ignore[no-redef]

__all__ = ["frames", "payable"]

KEY = ["claim_id", "encounter_id"]


def frames(population) -> dict[str, pl.DataFrame]:  # type: ignore[no-untyped-def]
    """The population's four tables as Polars frames (ids, codes and names categorical, as
    Polars reads dictionary-encoded Parquet columns)."""
    out = {}
    for name in ("insured", "claims", "encounters", "fee_lines"):
        df = pl.from_pandas(getattr(population, name))
        out[name] = df.with_columns(pl.col(pl.String).cast(pl.Categorical))
    return out


def _people(insured: pl.LazyFrame, histories: list[str]) -> pl.LazyFrame:
    enrolled_before = {h: any(e.get("year") == H.PREVIOUS_YEAR and e.get("enrolled") for e in json.loads(h or "[]"))
                       for h in histories}

    groups = pl.col("groups").cast(pl.String).str.split(";")
    kept = (groups.list.contains("retiree") & (pl.col("scheme") == "employee")) | groups.list.contains(
        "certified_hardship")
    start = datetime.combine(H.PERIOD_START, datetime.min.time())
    return insured.select(
        "insured_id",
        deductible=pl.when(kept).then(H.IN_LIST_DEDUCTIBLE_KEPT).otherwise(H.IN_LIST_DEDUCTIBLE),
        enrolled_before=pl.col("history").cast(pl.String).replace_strict(enrolled_before, return_dtype=pl.Boolean),
        cover_start=pl.when(pl.col("enrolled_on") < start).then(pl.lit(start))
        .otherwise(pl.col("enrolled_on") + timedelta(days=1)).cast(pl.Datetime("us")),
    )


def _line_inscp() -> pl.Expr:
    return (pl.col("det_item_fee_sumamt") - pl.col("fulamt_ownpay_amt") - pl.col("overlmt_amt")
            - pl.col("preselfpay_amt"))


def _pet_copay(lines: pl.LazyFrame, need: pl.LazyFrame) -> pl.LazyFrame:
    """The in-scope co-pay share of PET-CT lines where in_list takes only them: largest
    remainder over the encounter's lines, equal remainders by what the line is."""
    ties = ["med_list_codg", "name", "chrgitm_lv", "med_chrgitm_type", "det_item_fee_sumamt",
            "fulamt_ownpay_amt", "overlmt_amt", "preselfpay_amt", "pos"]
    w = pl.col("w")
    wsum = w.sum().over(KEY)
    return (
        lines.join(need, on=KEY)
        .with_columns(w=_line_inscp(), pos=pl.int_range(pl.len()))
        .with_columns(floor=pl.when(wsum > 0).then(pl.col("copay") * w // wsum).otherwise(0),
                      rem=pl.when(wsum > 0).then(pl.col("copay") * w % wsum).otherwise(0))
        .with_columns(left=pl.col("copay") - pl.col("floor").sum().over(KEY))
        .sort([*KEY, "rem", *ties], descending=[False, False, True] + [False] * len(ties))
        .with_columns(rank=pl.int_range(pl.len()).over(KEY))
        .group_by(KEY)
        .agg(pet_copay=((pl.col("floor") + (pl.col("rank") < pl.col("left")).cast(pl.Int64))
                        * pl.col("name").cast(pl.String).str.starts_with(H.PET_CT).cast(pl.Int64)).sum())
    )


def payable(tables: dict[str, pl.DataFrame], *, settle_everyone: bool = False) -> tuple[pl.DataFrame, int]:
    """Per claim: what hangzhou-2022 pays, in fen; and how many people went through the cap
    loop. ``settle_everyone`` sends every person through it (for tests of that loop)."""
    H.refuse_proton(tables["fee_lines"]["name"].cast(pl.String).unique().to_list())
    lines = tables["fee_lines"].lazy()
    pet, c3, ftype = pl.col("pet"), pl.col("chrgitm_lv") == "03", pl.col("med_chrgitm_type")
    ful, over, pre = pl.col("fulamt_ownpay_amt"), pl.col("overlmt_amt"), pl.col("preselfpay_amt")
    zero = pl.lit(0, pl.Int64)
    per_enc = lines.with_columns(pet=pl.col("name").cast(pl.String).str.starts_with(H.PET_CT)).select(
        *KEY, pre=pre,
        pet_own=pl.when(pet).then(pre + ful + over).otherwise(zero),
        pet_fulover=pl.when(pet).then(ful + over).otherwise(zero),
        pet_inscp=pl.when(pet).then(_line_inscp()).otherwise(zero),
        drugs=pl.when(c3 & ftype.is_in(H.DRUG_TYPES) & ~pet).then(ful).otherwise(zero),
        items=pl.when(c3 & ftype.is_in(H.ITEM_TYPES) & ~pet).then(ful).otherwise(zero),
    ).group_by(KEY).agg(pl.all().sum())
    stay = pl.col("kind") == "inpatient"
    public = pl.sum_horizontal(H.PUBLIC_PAYERS)
    encs = tables["encounters"].lazy().select(
        *KEY, stay=stay, special=pl.col("kind").is_in(H.SPECIAL_KINDS),
        service_on=pl.when(stay).then(pl.col("discharged_on")).otherwise(pl.col("service_date")),
        starts_on=pl.when(stay).then(pl.col("admitted_on")).otherwise(pl.col("service_date")),
        copay=pl.max_horizontal(pl.col("inscp_scp_amt") - public, 0), owed=pl.col("medfee_sumamt") - public,
    ).join(per_enc, on=KEY, how="left").with_columns(pl.col(
        "pre", "pet_own", "pet_fulover", "pet_inscp", "drugs", "items").fill_null(0))

    # A PET-CT line outside a stay or specified-disease visit brings its share of the co-pay.
    need = encs.filter(~pl.col("special") & (pl.col("pet_inscp") > 0) & (pl.col("copay") > 0)).select(
        *KEY, "copay")
    encs = encs.join(_pet_copay(lines, need), on=KEY, how="left").with_columns(pl.col("pet_copay").fill_null(0))
    # The fee lines are read once: the rest works on encounters and claims, several times over.
    encs = encs.collect().lazy()

    # Claims in each person's order: by the earliest encounter's date, then id.
    histories = tables["insured"]["history"].cast(pl.String).unique().to_list()
    claims = (
        tables["claims"].lazy()
        .join(_people(tables["insured"].lazy(), histories), on="insured_id")
        .join(encs.group_by("claim_id").agg(claim_on=pl.col("service_on").min()), on="claim_id", how="left")
        .sort("insured_id", "claim_on", "claim_id")
        .with_row_index("seq")
    ).collect().lazy()
    encs = encs.join(claims.select("claim_id", "seq", "insured_id", "deductible", "enrolled_before", "cover_start"),
                     on="claim_id").sort("seq", "service_on", "encounter_id").with_row_index("eno")

    # Which encounters count: this policy year, on or after cover (a continuing stay aside).
    start = datetime.combine(H.PERIOD_START, datetime.min.time())
    end = datetime.combine(H.PERIOD_END, datetime.min.time())
    in_year = pl.col("service_on").is_between(start, end)
    continuing = pl.col("stay") & (pl.col("starts_on") < start) & pl.col("enrolled_before")
    counts = in_year & (continuing | (pl.col("starts_on") >= pl.col("cover_start")))
    encs = encs.with_columns(
        e_in=pl.when(~counts).then(zero).when(pl.col("special"))
        .then(pl.col("pre") + pl.col("copay") + pl.col("pet_fulover"))
        .otherwise(pl.col("pet_own") + pl.col("pet_copay")),
        e_dr=pl.when(counts & pl.col("special")).then(pl.col("drugs")).otherwise(zero),
        e_it=pl.when(counts & pl.col("stay")).then(pl.col("items")).otherwise(zero),
    )

    # Deductibles and bands on each person's cumulative eligible amounts.
    def after(c: str) -> pl.Expr:
        return pl.col(c).cum_sum().over("insured_id")

    encs = encs.with_columns(
        in_after=after("e_in"), dr_after=after("e_dr"),
        pool_before=(pl.col("e_dr") + pl.col("e_it")).cum_sum().over("insured_id") - pl.col("e_dr") - pl.col("e_it"),
    ).with_columns(
        used=pl.min_horizontal("pool_before", H.POOL_DEDUCTIBLE),
        in_lo=pl.col("deductible").clip(pl.col("in_after") - pl.col("e_in"), pl.col("in_after")),
    ).with_columns(
        taken_dr=pl.min_horizontal("e_dr", H.POOL_DEDUCTIBLE - pl.col("used")),
    ).with_columns(
        taken_it=pl.min_horizontal("e_it", H.POOL_DEDUCTIBLE - pl.col("used") - pl.col("taken_dr")),
    )

    def band_raw(lo: pl.Expr, hi: pl.Expr, bands: tuple[tuple[int, int], ...]) -> pl.Expr:
        (_, low), (edge, high) = bands
        return ((hi.clip(upper_bound=edge) - lo.clip(upper_bound=edge)) * low
                + (hi.clip(lower_bound=edge) - lo.clip(lower_bound=edge)) * high)

    raws = encs.select(
        "seq", "eno",
        r_in=band_raw(pl.col("in_lo"), pl.col("in_after"), H.IN_LIST_BANDS),
        r_dr=band_raw(pl.col("dr_after") - pl.col("e_dr") + pl.col("taken_dr"), pl.col("dr_after"), H.DRUGS_BANDS),
        r_it=(pl.col("e_it") - pl.col("taken_it")) * H.ITEMS_RATE,
    )

    # Rounded once per responsibility per claim; caps; the indemnity limit.
    resp = ["r_in", "r_dr", "r_it"]
    per_claim = raws.group_by("seq").agg(pl.col(resp).sum())
    owed = encs.group_by("seq").agg(pl.col("owed").sum())
    claims = (
        claims.join(per_claim, on="seq", how="left").join(owed, on="seq", how="left")
        .with_columns(((pl.col(resp).fill_null(0) + 50) // 100), pl.col("owed").fill_null(0))
        .with_columns(limit=pl.max_horizontal(pl.col("owed") - pl.col("other_insurance_paid"), 0))
        .with_columns(payable=pl.min_horizontal(pl.sum_horizontal(resp), pl.col("limit")))
        .sort("seq")
    )
    # A cap can cut only where the person's year adds up to more than it.
    reached = pl.any_horizontal([pl.col(c).sum().over("insured_id") > cap for c, cap in zip(resp, H.CAPS)])
    claims = claims.with_columns(capped=reached | settle_everyone)
    done, raws_df = pl.collect_all([claims, raws.join(claims.filter("capped").select("seq"), on="seq")])

    capped = done.filter("capped")
    if capped.height:
        by_claim: dict[int, list[tuple[int, int, int]]] = {}
        for seq, a, b, c in raws_df.sort("seq", "eno").select("seq", *resp).iter_rows():
            by_claim.setdefault(seq, []).append((a, b, c))
        out: dict[int, int] = {}
        for (_,), person in capped.group_by("insured_id", maintain_order=True):
            seqs = person["seq"].to_list()
            todo = [(lim, by_claim.get(s, [])) for s, lim in zip(seqs, person["limit"].to_list())]
            out.update(zip(seqs, H.settle_person(todo)))
        fixed = pl.DataFrame({"seq": list(out), "settled": list(out.values())},
                             schema={"seq": done.schema["seq"], "settled": pl.Int64})
        done = done.join(fixed, on="seq", how="left").with_columns(
            payable=pl.coalesce("settled", "payable"))
    result = done.select("claim_id", "payable")
    return result.with_columns(pl.col("payable").cast(pl.Int64)), capped["insured_id"].n_unique()
