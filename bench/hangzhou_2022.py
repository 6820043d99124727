"""西湖益联保 2022 (hangzhou-2022) as an analyst would transcribe it for a hand-written
baseline: the figures of ``products/hangzhou/2022.toml`` in integer fen and whole percent,
and :func:`check_against`, which fails loudly when the product file no longer says this.

What the baselines (``baseline_pandas.py``, ``baseline_polars.py``) implement, in the
library's order (``docs/computation.md``):

- cover from the period start for a person enrolled before it, else the day after
  enrolment; no waiting period; cross-year rule ``discharge_year`` (an encounter belongs to
  the year of its discharge or service date; a stay admitted before the period by a person
  enrolled the year before is a continuing stay and is not checked against cover);
- the in-scope co-pay of an encounter is ``max(inscp_scp_amt - public payers, 0)``;
- ``in_list`` takes 先行自付 and the in-scope co-pay of inpatient and specified-disease
  outpatient encounters, and every owed portion of a line whose name starts with
  ``PET-CT`` (in any encounter); deductible 25,000 for employee-scheme retirees and for
  certified-hardship members, 13,000 otherwise; 30% up to 25,000 of cumulative eligible,
  80% above; cap 1,200,000;
- ``out_of_list_drugs`` (2a) takes 全自费 of 丙类 drug lines (fee types 09/10/11) of
  inpatient and specified-disease outpatient encounters; 65% up to 30,000, 75% above; cap
  1,000,000;
- ``out_of_list_items`` (2b) takes 全自费 of 丙类 non-drug lines of stays; 50%; cap 200,000;
- 2a and 2b share one 7,000 deductible (2a draws first within an encounter);
- the 38-item list (3a), the rare-disease drugs (4) and the 475 drugs name no member
  (completeness "unknown"): the baselines implement the what-if reading
  ``unknown_lists="non-member"`` (a line not found on such a list is not on it), and the
  engines they are compared with run with the same reading, so 3a and 4 take nothing;
  proton/heavy-ion therapy (3b) is selected by the billed name (质子, 重离子, 碳离子): the
  baselines do not implement it and refuse a population holding such a line; the total cap
  equals the sum of the six caps, so it never cuts;
- rounding half up to the fen once per responsibility per claim; caps encounter by
  encounter; the indemnity limit ``max(owed - other_insurance_paid, 0)`` cut from the last
  encounter's last responsibility backwards.
"""

from __future__ import annotations

from datetime import date

PRODUCT_ID = "hangzhou-2022"
PERIOD_START = date(2022, 1, 1)
PERIOD_END = date(2022, 12, 31)
PREVIOUS_YEAR = 2021

PUBLIC_PAYERS = ("hifp_pay", "hifmi_pay", "hifob_pay", "cvlserv_pay", "maf_pay", "hifes_pay", "oth_pay")
SPECIAL_KINDS = ("inpatient", "outpatient_special")  # where in_list takes 先行自付 and co-pay
PET_CT = "PET-CT"  # a billed name starting with this is on the PET-CT list
PROTON = ("质子", "重离子", "碳离子")  # a billed name starting with one of these is proton/heavy-ion therapy
UNKNOWN_LISTS = "non-member"  # the reading of the lists with no known member, for the engines compared
DRUG_TYPES = ("09", "10", "11")
ITEM_TYPES = ("01", "02", "03", "04", "05", "06", "07", "08", "12", "13", "14")

# Amounts in fen, rates in whole percent: raw amounts are fen x percent (1/100 fen).
IN_LIST_DEDUCTIBLE = 13_000_00
IN_LIST_DEDUCTIBLE_KEPT = 25_000_00  # employee-scheme retirees, certified-hardship members
IN_LIST_BANDS = ((0, 30), (25_000_00, 80))
IN_LIST_CAP = 1_200_000_00
DRUGS_BANDS = ((0, 65), (30_000_00, 75))
DRUGS_CAP = 1_000_000_00
ITEMS_RATE = 50
ITEMS_CAP = 200_000_00
POOL_DEDUCTIBLE = 7_000_00
RESPONSIBILITIES = ("in_list", "out_of_list_drugs", "out_of_list_items")  # the product's order
CAPS = (IN_LIST_CAP, DRUGS_CAP, ITEMS_CAP)


def band_raw(lo, hi, bands):  # type: ignore[no-untyped-def]
    """fen x percent paid on the axis interval [lo, hi) (arrays or scalars), two bands."""
    (_, low), (edge, high) = bands
    below = (hi.clip(upper=edge) if hasattr(hi, "clip") else min(hi, edge)) - (
        lo.clip(upper=edge) if hasattr(lo, "clip") else min(lo, edge))
    above = (hi.clip(lower=edge) if hasattr(hi, "clip") else max(hi, edge)) - (
        lo.clip(lower=edge) if hasattr(lo, "clip") else max(lo, edge))
    return below * low + above * high


def refuse_proton(names) -> None:  # type: ignore[no-untyped-def]
    """Raise ValueError when a billed name (an iterable of str) is proton/heavy-ion therapy,
    which the baselines do not implement."""
    found = sorted({str(n) for n in names if str(n).startswith(PROTON)})
    if found:
        raise ValueError(f"the baseline does not implement proton/heavy-ion therapy; lines billed as {found[:3]}")


def check_against(product) -> None:  # type: ignore[no-untyped-def]
    """Raise AssertionError where the product file says something else than this module."""
    from decimal import Decimal

    def fen(d: Decimal) -> int:
        return int(d * 100)

    def pct(d: Decimal) -> int:
        assert d * 100 == int(d * 100), d
        return int(d * 100)

    assert product.id == PRODUCT_ID
    assert (product.period.start, product.period.end) == (PERIOD_START, PERIOD_END)
    assert product.cross_year.rule == "discharge_year"
    assert product.rounding.mode == "ROUND_HALF_UP" and product.rounding.step == Decimal("0.01")
    assert not product.enrollment.waiting_periods and not product.enrollment.special_cases
    assert product.enrollment.cover_starts_days_after_enrollment == 1
    assert not product.combined_caps
    rs = {r.id: r for r in product.responsibilities}
    paying = [r.id for r in product.responsibilities if r.id in RESPONSIBILITIES]
    assert tuple(paying) == RESPONSIBILITIES
    for r in product.responsibilities:
        assert not r.sub_limits, r.id
        for sel in r.takes:
            assert sel.weight == 1, r.id
            if r.id == "proton_heavy_ion":  # by the therapy's name: the baselines refuse such lines
                lst = product.lists[sel.in_list]
                assert tuple(i.name for i in lst.items) == PROTON and lst.completeness == "complete", r.id
            elif r.id not in RESPONSIBILITIES:  # list-based, no member known: non-members here
                named = sel.in_list or sel.institutions
                assert named and not product.lists[named].items, r.id
                assert product.lists[named].completeness != "complete", r.id
    assert fen(product.total_cap.amount) >= sum(fen(r.cap.amount) for r in product.responsibilities)
    inl = rs["in_list"]
    assert [fen(v.amount) for v in inl.deductible] == [IN_LIST_DEDUCTIBLE_KEPT, IN_LIST_DEDUCTIBLE_KEPT,
                                                       IN_LIST_DEDUCTIBLE]
    assert [(v.when.groups_any, v.when.scheme) for v in inl.deductible[:2]] == [(("retiree",), "employee"),
                                                                                (("certified_hardship",), None)]
    assert [(fen(b.from_), pct(b.rate)) for b in inl.ratio[0].bands] == list(IN_LIST_BANDS)
    assert len(inl.ratio) == 1 and inl.ratio_basis == "eligible" and fen(inl.cap.amount) == IN_LIST_CAP
    assert [(s.portions, s.encounter_kinds, s.in_list) for s in inl.takes] == [
        (("preselfpay", "inscp_copay"), SPECIAL_KINDS, None),
        (("preselfpay", "inscp_copay", "fulamt", "overlmt"), None, "pet_ct")]
    assert [(i.name, i.codes) for i in product.lists["pet_ct"].items] == [(PET_CT, ())]
    drugs, items = rs["out_of_list_drugs"], rs["out_of_list_items"]
    assert [(s.portions, s.levels, s.fee_types, s.encounter_kinds) for s in drugs.takes] == [
        (("fulamt",), ("03",), DRUG_TYPES, SPECIAL_KINDS)]
    assert [(s.portions, s.levels, s.fee_types, s.encounter_kinds) for s in items.takes] == [
        (("fulamt",), ("03",), ITEM_TYPES, ("inpatient",))]
    assert [(fen(b.from_), pct(b.rate)) for b in drugs.ratio[0].bands] == list(DRUGS_BANDS)
    assert items.ratio[0].bands is None and pct(items.ratio[0].rate) == ITEMS_RATE and len(items.ratio) == 1
    assert len(drugs.ratio) == 1 and drugs.ratio_basis == "eligible" and fen(drugs.cap.amount) == DRUGS_CAP
    assert fen(items.cap.amount) == ITEMS_CAP
    assert drugs.deductible_pool == items.deductible_pool == product.deductible_pools[0].id
    assert [fen(v.amount) for v in product.deductible_pools[0].deductible] == [POOL_DEDUCTIBLE]
    assert not any(s.institutions or s.not_in_list or s.settled_through_basic is not None
                   for r in (inl, drugs, items) for s in r.takes)


def _shares(total: int, weights: list[int]) -> list[int]:
    """``total`` over ``weights`` by largest remainder, ties to the earliest (exact integers)."""
    wsum = sum(weights)
    if wsum == 0:
        return [0] * len(weights)
    parts = [total * w // wsum for w in weights]
    rems = [total * w % wsum for w in weights]
    for i in sorted(range(len(weights)), key=lambda i: (-rems[i], i))[:total - sum(parts)]:
        parts[i] += 1
    return parts


def settle_person(claims: list[tuple[int, list[tuple[int, int, int]]]]) -> list[int]:
    """Caps and indemnity for one person whose year reaches a responsibility cap, in exact
    integers: ``claims`` in the person's order, each ``(indemnity limit in fen, raw
    fen x percent per encounter and responsibility)``, encounters in order. Returns each
    claim's payable in fen. Used only for the few people a cap can cut: for everyone else a
    claim pays ``min(sum of rounded amounts, limit)``."""
    paid = [0, 0, 0]
    out = []
    for limit, raws in claims:
        per_enc = [[0, 0, 0] for _ in raws]
        for r in range(3):
            column = [raw[r] for raw in raws]
            rounded = (sum(column) + 50) // 100
            for e, share in enumerate(_shares(rounded, column)):
                room = max(CAPS[r] - paid[r], 0)
                take = min(share, room)
                per_enc[e][r] = take
                paid[r] += take
        excess = max(sum(map(sum, per_enc)) - limit, 0)
        for e in reversed(range(len(per_enc))):
            for r in reversed(range(3)):
                cut = min(per_enc[e][r], excess)
                per_enc[e][r] -= cut
                paid[r] -= cut
                excess -= cut
        out.append(sum(map(sum, per_enc)))
    return out
