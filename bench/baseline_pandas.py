"""A vectorised pandas implementation of hangzhou-2022, as an actuary would write it by hand:
fee lines summed per encounter in one groupby, the year's deductibles and bands by
cumulative sums per person, rounding per claim, exact in integer fen (no float money).

``payable(population) -> (DataFrame[claim_id, payable], capped people)``: int64 fen, one
row per claim, and how many people went through the cap loop (below).
The rules transcribed are in ``hangzhou_2022.py``; ``tests/test_baselines.py`` holds the
result equal to the library's engines to the fen on generated populations.

People whose year adds up to more than a responsibility's cap (rare: 200,000 yuan under 2b) go
through ``hangzhou_2022.settle_person``, a short loop in integers, because an indemnity cut
on an earlier claim leaves room under a cap for a later one.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

try:
    from . import hangzhou_2022 as H
except ImportError:  # run as a script from bench/
    import hangzhou_2022 as H  # type: ignore[no-redef]

__all__ = ["payable"]


def _people(insured: pd.DataFrame) -> pd.DataFrame:
    """Per person: the in-list deductible, enrolled the year before, cover start."""
    groups = insured["groups"].astype("category")
    sets = {g: set(str(g).split(";")) for g in groups.cat.categories}
    retiree = groups.map({g: "retiree" in s for g, s in sets.items()}).astype(bool)
    hardship = groups.map({g: "certified_hardship" in s for g, s in sets.items()}).astype(bool)
    kept = (retiree & (insured["scheme"] == "employee")) | hardship
    history = insured["history"].astype("category")
    before = {h: any(e.get("year") == H.PREVIOUS_YEAR and e.get("enrolled") for e in json.loads(str(h) or "[]"))
              for h in history.cat.categories}
    start = pd.Timestamp(H.PERIOD_START)
    enrolled = insured["enrolled_on"]
    return pd.DataFrame({
        "insured_id": insured["insured_id"],
        "deductible": np.where(kept, H.IN_LIST_DEDUCTIBLE_KEPT, H.IN_LIST_DEDUCTIBLE),
        "enrolled_before": history.map(before).astype(bool),
        "cover_start": enrolled.where(enrolled >= start, start - pd.Timedelta(days=1)) + pd.Timedelta(days=1),
    })


def _lines_per_encounter(lines: pd.DataFrame) -> pd.DataFrame:
    """The line amounts each responsibility can take, summed per encounter."""
    names = lines["name"].astype("category")
    pet = names.map({n: str(n).startswith(H.PET_CT) for n in names.cat.categories}).astype(bool).to_numpy()
    c3 = (lines["chrgitm_lv"] == "03").to_numpy()
    ftype = lines["med_chrgitm_type"]
    drug = ftype.isin(H.DRUG_TYPES).to_numpy()
    item = ftype.isin(H.ITEM_TYPES).to_numpy()
    ful = lines["fulamt_ownpay_amt"].to_numpy()
    over = lines["overlmt_amt"].to_numpy()
    pre = lines["preselfpay_amt"].to_numpy()
    inscp = lines["det_item_fee_sumamt"].to_numpy() - ful - over - pre
    sums = pd.DataFrame({
        "claim_id": lines["claim_id"], "encounter_id": lines["encounter_id"],
        "pre": pre,
        "pet_own": np.where(pet, pre + ful + over, 0),
        "pet_fulover": np.where(pet, ful + over, 0),
        "pet_inscp": np.where(pet, inscp, 0),
        "drugs": np.where(c3 & drug & ~pet, ful, 0),
        "items": np.where(c3 & item & ~pet, ful, 0),
    })
    return sums.groupby(["claim_id", "encounter_id"], observed=True, sort=False).sum()


def _pet_copay(lines: pd.DataFrame, encs: pd.DataFrame) -> pd.Series:
    """The in-scope co-pay share of PET-CT lines in encounters where in_list takes only them
    (largest remainder over the encounter's lines, ties by what the line is)."""
    keys = encs.loc[:, ["claim_id", "encounter_id", "copay"]]
    lines = lines.merge(keys, on=["claim_id", "encounter_id"])
    w = (lines["det_item_fee_sumamt"] - lines["fulamt_ownpay_amt"] - lines["overlmt_amt"]
         - lines["preselfpay_amt"]).to_numpy()
    by = [lines["claim_id"], lines["encounter_id"]]
    wsum = pd.Series(w).groupby(by, observed=True).transform("sum").to_numpy()
    copay = lines["copay"].to_numpy()
    floor = np.where(wsum > 0, copay * w // np.maximum(wsum, 1), 0)
    rem = np.where(wsum > 0, copay * w % np.maximum(wsum, 1), 0)
    left = copay - pd.Series(floor).groupby(by, observed=True).transform("sum").to_numpy()
    tie = lines.assign(rem=-rem, pos=np.arange(len(lines)))
    cols = ["claim_id", "encounter_id", "rem", "med_list_codg", "name", "chrgitm_lv", "med_chrgitm_type",
            "det_item_fee_sumamt", "fulamt_ownpay_amt", "overlmt_amt", "preselfpay_amt", "pos"]
    tie = tie.astype({c: str for c in ("claim_id", "encounter_id", "med_list_codg", "name", "chrgitm_lv",
                                        "med_chrgitm_type")}).sort_values(cols)
    rank = np.empty(len(lines), dtype=np.int64)
    rank[tie["pos"].to_numpy()] = tie.groupby(["claim_id", "encounter_id"], sort=False).cumcount().to_numpy()
    share = floor + (rank < left)
    pet = lines["name"].astype(str).str.startswith(H.PET_CT).to_numpy()
    out = pd.DataFrame({"claim_id": lines["claim_id"], "encounter_id": lines["encounter_id"],
                        "pet_copay": np.where(pet, share, 0)})
    return out.groupby(["claim_id", "encounter_id"], observed=True)["pet_copay"].sum()


def payable(population, *, settle_everyone: bool = False) -> tuple[pd.DataFrame, int]:  # type: ignore[no-untyped-def]
    """Per claim: what hangzhou-2022 pays, in fen; and how many people went through the cap
    loop. ``settle_everyone`` sends every person through it (for tests of that loop)."""
    pop = population
    H.refuse_proton(pop.fee_lines["name"].unique())
    people = _people(pop.insured)
    enc = pop.encounters
    public = enc[list(H.PUBLIC_PAYERS)].sum(axis=1).to_numpy()
    inscp = enc["inscp_scp_amt"].to_numpy()
    kind = enc["kind"].astype(str)
    stay = (kind == "inpatient").to_numpy()
    special = kind.isin(H.SPECIAL_KINDS).to_numpy()
    service_on = enc["discharged_on"].where(stay, enc["service_date"])
    starts_on = enc["admitted_on"].where(stay, enc["service_date"])
    encs = pd.DataFrame({
        "claim_id": enc["claim_id"], "encounter_id": enc["encounter_id"], "stay": stay, "special": special,
        "service_on": service_on, "starts_on": starts_on,
        "copay": np.maximum(inscp - public, 0), "owed": enc["medfee_sumamt"].to_numpy() - public,
    })
    encs = encs.join(_lines_per_encounter(pop.fee_lines), on=["claim_id", "encounter_id"])
    sums = ["pre", "pet_own", "pet_fulover", "pet_inscp", "drugs", "items"]
    encs[sums] = encs[sums].fillna(0).astype(np.int64)

    # A PET-CT line outside a stay or specified-disease visit brings its share of the co-pay.
    need = (~encs["special"]) & (encs["pet_inscp"] > 0) & (encs["copay"] > 0)
    encs["pet_copay"] = 0
    if need.any():
        shared = encs[need]
        lines = pop.fee_lines.merge(shared[["claim_id", "encounter_id"]], on=["claim_id", "encounter_id"])
        got = _pet_copay(lines, shared)
        encs.loc[need, "pet_copay"] = shared[["claim_id", "encounter_id"]].join(got, on=["claim_id", "encounter_id"])["pet_copay"].to_numpy()

    # Claims in each person's order: by the earliest encounter's date, then id.
    claims = pop.claims.merge(people, on="insured_id")
    first = encs.groupby("claim_id", observed=True)["service_on"].min().rename("claim_on")
    claims = claims.join(first, on="claim_id").sort_values(["insured_id", "claim_on", "claim_id"],
                                                           ignore_index=True)
    claims["seq"] = np.arange(len(claims))
    claims["person"] = claims["insured_id"].factorize()[0]
    encs["claim_id"] = encs["claim_id"].astype(str)
    encs["encounter_id"] = encs["encounter_id"].astype(str)  # ids sort as text, whatever the categories
    encs = encs.merge(claims[["claim_id", "seq", "person", "deductible", "enrolled_before", "cover_start"]],
                      on="claim_id")
    encs = encs.sort_values(["seq", "service_on", "encounter_id"], ignore_index=True)

    # Which encounters count: this policy year, on or after cover (a continuing stay aside).
    period_start, period_end = pd.Timestamp(H.PERIOD_START), pd.Timestamp(H.PERIOD_END)
    in_year = encs["service_on"].between(period_start, period_end)
    continuing = encs["stay"] & (encs["starts_on"] < period_start) & encs["enrolled_before"]
    counts = (in_year & (continuing | (encs["starts_on"] >= encs["cover_start"]))).to_numpy()
    special = encs["special"].to_numpy()
    e_in = np.where(special, encs["pre"] + encs["copay"] + encs["pet_fulover"], encs["pet_own"] + encs["pet_copay"])
    e_in = np.where(counts, e_in, 0)
    e_dr = np.where(counts & special, encs["drugs"], 0)
    e_it = np.where(counts & encs["stay"].to_numpy(), encs["items"], 0)

    # Deductibles and bands on each person's cumulative eligible amounts.
    person = encs["person"]
    frame = pd.DataFrame({"in": e_in, "dr": e_dr, "it": e_it, "pool": e_dr + e_it})
    after = frame.groupby(person.to_numpy()).cumsum()
    before = after - frame
    ded = encs["deductible"].to_numpy()
    lo = np.clip(ded, before["in"], after["in"])
    raw_in = H.band_raw(pd.Series(lo), after["in"], H.IN_LIST_BANDS).to_numpy()
    used = np.minimum(before["pool"], H.POOL_DEDUCTIBLE)
    taken_dr = np.minimum(e_dr, H.POOL_DEDUCTIBLE - used)
    taken_it = np.minimum(e_it, H.POOL_DEDUCTIBLE - used - taken_dr)
    raw_dr = H.band_raw(before["dr"] + taken_dr, after["dr"], H.DRUGS_BANDS).to_numpy()
    raw_it = (e_it - taken_it) * H.ITEMS_RATE

    # Rounded once per responsibility per claim; caps; the indemnity limit.
    raws = pd.DataFrame({"seq": encs["seq"], "in": raw_in, "dr": raw_dr, "it": raw_it})
    per_claim = raws.groupby("seq", sort=True)[["in", "dr", "it"]].sum()
    rounded = (per_claim + 50) // 100
    owed = encs.groupby("seq", sort=True)["owed"].sum()
    claims = claims.join(rounded).join(owed, on="seq")
    claims[["in", "dr", "it"]] = claims[["in", "dr", "it"]].fillna(0).astype(np.int64)
    limit = np.maximum(claims["owed"] - claims["other_insurance_paid"], 0)
    claims["payable"] = np.minimum(claims["in"] + claims["dr"] + claims["it"], limit)

    # A cap can cut only where the person's year adds up to more than it.
    reached = claims.groupby("person")[["in", "dr", "it"]].transform("sum").gt(list(H.CAPS)).any(axis=1)
    capped = claims.loc[reached, "person"].unique() if not settle_everyone else claims["person"].unique()
    if len(capped):
        sel = claims[claims["person"].isin(capped)]
        limits = dict(zip(sel["seq"], (sel["owed"] - sel["other_insurance_paid"]).clip(lower=0)))
        rows = raws[encs["person"].isin(capped).to_numpy()]
        by_claim: dict[int, list[tuple[int, int, int]]] = {}
        for seq, a, b, c in rows.itertuples(index=False):
            by_claim.setdefault(seq, []).append((a, b, c))
        out = {}
        for _, seqs in sel.groupby("person")["seq"]:
            todo = [(limits[s], by_claim.get(s, [])) for s in seqs]
            out.update(zip(seqs, H.settle_person(todo)))
        claims.loc[sel.index, "payable"] = sel["seq"].map(out).to_numpy()
    return claims[["claim_id", "payable"]], len(capped)
