"""The columnar engine agrees with the reference engine to the fen: a differential
property test over generated populations and products, comparing every claim's row, every
fee line's portions, every (encounter, responsibility)'s deductible, rounding, cap and
indemnity cuts, each person's year-to-date after each claim, and every claim's caveats."""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiminbao_rules import Product, bundled_products, get_product, parse_claim, parse_product, replay
from huiminbao_rules.analytics.batch import adjudicate_population
from huiminbao_rules.analytics.columnar import adjudicate_columns
from huiminbao_rules.analytics.population import LINE_MONEY, Population
from huiminbao_rules.testing import strategies as hst

BUNDLED = bundled_products()
FEN = Decimal("0.01")


def _has_sub_limits(product: Product) -> bool:
    return any(r.sub_limits for r in product.responsibilities)


def _fen(amount: Decimal) -> int:
    return int(amount / FEN)


@st.composite
def _other_insurance(draw, owed: Decimal) -> Decimal:
    """What other insurers paid: nothing, any amount up to what is owed, or most of it (so
    the indemnity limit cuts what the product would pay)."""
    return draw(st.one_of(
        st.just(Decimal("0.00")),
        hst.amounts(max_value=owed),
        hst.rates(min_value="0.5", max_value="1").map(lambda r: (owed * r).quantize(FEN)),
    ))


def _doubtable(product: Product) -> list[str]:
    """The clause paths of every term a product can doubt: its period, rules, deductibles,
    ratio schedules, caps, sub-limits, references and lists."""
    paths = ["period.assumed", "pre_existing.verified", "cross_year.verified"]
    for r in product.responsibilities:
        base = f"responsibilities.{r.id}"
        if r.deductible_pool is None:
            paths += [f"{base}.deductible[{i}].verified" for i in range(len(r.deductible))]
        paths += [f"{base}.ratio[{i}].verified" for i in range(len(r.ratio))]
        paths += [f"{base}.cap.verified"] if r.cap is not None else []
        paths += [f"{base}.sub_limits.{sl.id}.verified" for sl in r.sub_limits]
    for pool in product.deductible_pools:
        paths += [f"deductible_pools.{pool.id}.deductible[{i}].verified" for i in range(len(pool.deductible))]
    paths += [f"combined_caps.{c.id}.verified" for c in product.combined_caps]
    paths += ["total_cap.verified"] if product.total_cap is not None else []
    paths += [f"references.{k}.verified" for k in product.references]
    return paths + [f"lists.{k}.verified" for k in product.lists]


def _doubted(product: Product, paths: Iterable[str], user_list: str | None = None) -> Product:
    """The product with the terms at ``paths`` unverified (its period assumed), and the list
    ``user_list`` supplied by the user (its own items)."""
    changes = {p: p == "period.assumed" for p in paths}
    if changes:
        product = product.with_changes(changes, id=product.id)
    if user_list is not None:
        product = product.with_list(user_list, product.lists[user_list].items, file="insurer-list.csv",
                                    sha256="5" * 64, id=product.id)
    return product


@st.composite
def _doubts(draw, product: Product) -> Product:
    """Some of the product's terms doubted (so that every kind of caveat is drawn)."""
    paths = draw(st.sets(st.sampled_from(_doubtable(product))))
    user_list = draw(st.none() | st.sampled_from(sorted(product.lists))) if product.lists else None
    return _doubted(product, sorted(paths), user_list)


@st.composite
def populations(draw):
    """A product (bundled or generated: sub-limits of every measure and scope, combined
    caps, every cross-year rule) and a few people's years of claims, with what other
    insurers paid. Stays may run past the end of the period, so products that pro-rate
    them by days do."""
    product = draw(st.one_of(st.sampled_from(BUNDLED),
                             hst.products(),
                             # low deductibles and caps, so caps, combined caps, the total cap and
                             # sub-limits bind across a year
                             hst.products(max_deductible="5000", max_cap="20000")))
    product = draw(_doubts(product))
    period = product.period
    encounter = st.one_of(hst.encounters(period=period), hst.encounters(kinds=("inpatient",), period=period,
                                                                        max_stay_past_end=120))
    years = draw(st.lists(hst.claim_years(period=period, max_claims=4, encounter=encounter), min_size=1, max_size=4))
    claims = []
    for i, year in enumerate(years):
        for c in year:
            person = c.insured.model_copy(update={"id": f"P{i}"})
            claims.append(c.model_copy(update={"insured": person, "claim_id": f"P{i}-{c.claim_id}",
                                               "other_insurance_paid": draw(_other_insurance(c.owed))}))
    population = Population.from_claims(claims)
    lines = population.fee_lines
    if draw(st.booleans()) and all((lines[c] <= np.iinfo(np.int32).max).all() for c in LINE_MONEY):
        # the fee lines' amounts held as int32, read by the columnar engine as they are
        population = Population(population.insured, population.claims, population.encounters,
                                lines.astype({c: np.int32 for c in LINE_MONEY}))
    return product, population, draw(st.sampled_from(("pend", "member", "non-member")))


def _same_rows(product: Product, population: Population, mode: str = "non-member") -> pd.DataFrame:
    """Both engines' rows, compared column by column; returns the columnar engine's."""
    reference = adjudicate_population(population, product, engine="reference", unknown_lists=mode)
    batch = adjudicate_population(population, product, engine="batch", unknown_lists=mode)
    columns = [c for c in reference.columns if c != "service_on"]
    pd.testing.assert_frame_equal(reference[columns], batch[columns], check_dtype=False)
    assert (reference["service_on"].dt.date == batch["service_on"].dt.date).all()
    return batch


def _reference_detail(product: Product, population: Population, mode: str) -> dict[str, dict]:
    """The reference engine's figures in the shape of the columnar detail."""
    by_person = defaultdict(list)
    for claim in population.to_claims():
        by_person[claim.insured.id].append(claim)
    portions: dict = {}
    groups: dict = defaultdict(lambda: [0] * 6)
    responsibilities: dict = {}
    ytd: dict = {}
    caveats: dict = {}
    pools = sorted({product.pool_of(r) for r in product.responsibilities})
    for claims in by_person.values():
        for adj in replay(claims, product, unknown_lists=mode).adjudications:
            caveats[adj.claim_id] = [(c.code, c.responsibility, c.line, c.list, c.clause,
                                      None if c.amount is None else _fen(c.amount), c.sha256, c.message, c.message_zh)
                                     for c in adj.caveats]
            for line in adj.lines:
                for p in line.portions:
                    portions[(adj.claim_id, line.encounter_id, line.number, p.part)] = (p.responsibility,
                                                                                        _fen(p.eligible))
                    if p.responsibility is None or not p.eligible:
                        continue
                    g = groups[(adj.claim_id, line.encounter_id, p.responsibility)]
                    cap_cut = sum((c for clause, c in p.cuts if clause != "indemnity"), Decimal(0))
                    indemnity_cut = sum((c for clause, c in p.cuts if clause == "indemnity"), Decimal(0))
                    for k, v in enumerate((p.eligible, p.deductible, p.rounded, cap_cut, indemnity_cut, p.payable)):
                        g[k] += _fen(v)
            for r in adj.responsibilities:
                if r.eligible:
                    responsibilities[(adj.claim_id, r.id)] = (
                        _fen(r.eligible), _fen(r.deductible), int(r.raw * 1_000_000), _fen(r.rounded), _fen(r.cap_cut),
                        _fen(r.indemnity_cut), _fen(r.payable))
            y = adj.year_to_date
            row = {}
            for r in product.responsibilities:
                acc = y.responsibility(r.id)
                row |= {f"eligible:{r.id}": _fen(acc.eligible), f"deductible:{r.id}": _fen(acc.deductible),
                        f"paid:{r.id}": _fen(acc.paid)}
            row |= {f"pool:{p}": _fen(y.deductible_pools.get(p, Decimal(0))) for p in pools}
            row |= {f"combined:{c.id}": _fen(y.combined_caps.get(c.id, Decimal(0))) for c in product.combined_caps}
            row["total_paid"] = _fen(y.total_paid)
            ytd[adj.claim_id] = row
    return {"portions": portions, "groups": {k: tuple(v) for k, v in groups.items()},
            "responsibilities": responsibilities, "year_to_date": ytd, "caveats": caveats}


def _columnar_detail(product: Product, population: Population, mode: str) -> dict[str, dict]:
    rows, detail = adjudicate_columns(population, product, mode, detail=True)
    # every row computed by the columnar path itself: nothing fell back to the reference
    assert detail is not None and (rows["engine"] == "batch").all(), rows["engine"].value_counts()
    portions = {(r.claim_id, r.encounter_id, r.line_no, r.part): (r.responsibility, r.eligible)
                for r in detail.portions.itertuples()}
    g = detail.groups
    groups = {(r.claim_id, r.encounter_id, r.responsibility): (r.eligible, r.deductible, r.rounded, r.cap_cut,
                                                               r.indemnity_cut, r.payable) for r in g.itertuples()}
    per_resp = g.groupby(["claim_id", "responsibility"], sort=False)[
        ["eligible", "deductible", "raw", "rounded", "cap_cut", "indemnity_cut", "payable"]].sum()
    responsibilities = {k: tuple(int(x) for x in v) for k, v in zip(per_resp.index, per_resp.to_numpy())}
    ytd = {r["claim_id"]: {k: int(v) for k, v in r.items() if k != "claim_id"}
           for r in detail.year_to_date.to_dict("records")}
    caveats: dict = {claim_id: [] for claim_id in rows["claim_id"]}
    for c in detail.caveats.itertuples(index=False):
        caveats[c.claim_id].append((c.code, c.responsibility, c.line, c.list, c.clause,
                                    None if pd.isna(c.amount) else int(c.amount), c.sha256, c.message, c.message_zh))
    return {"portions": portions, "groups": {k: tuple(int(x) for x in v) for k, v in groups.items()},
            "responsibilities": responsibilities, "year_to_date": ytd, "caveats": caveats}


def _same(product: Product, population: Population, mode: str = "non-member") -> list[tuple]:
    """Both engines' figures compared, claim by claim; returns the reference's caveats."""
    _same_rows(product, population, mode)
    reference, columnar = _reference_detail(product, population, mode), _columnar_detail(product, population, mode)
    for what in ("portions", "groups", "responsibilities", "year_to_date", "caveats"):
        ref, col = reference[what], columnar[what]
        differ = sorted(k for k in ref.keys() | col.keys() if ref.get(k) != col.get(k))[:3]
        assert not differ, (what, [(k, "reference", ref.get(k), "columnar", col.get(k)) for k in differ])
    return [c for found in reference["caveats"].values() for c in found]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(populations())
def test_the_columnar_engine_agrees_with_the_reference_to_the_fen_on_every_line_and_claim(case) -> None:
    product, population, mode = case
    _same(product, population, mode)


def _line(level: str, fee_type: str, amount: str, self_paid: bool) -> dict:
    return {"med_list_codg": f"{level}-{fee_type}", "name": "项目", "chrgitm_lv": level, "med_chrgitm_type": fee_type,
            "det_item_fee_sumamt": amount, "fulamt_ownpay_amt": amount if self_paid else "0.00"}


def _claim(claim_id: str, kind: str, day: str, line: dict, other: str = "0.00") -> dict:
    amount, ful = line["det_item_fee_sumamt"], line["fulamt_ownpay_amt"]
    dates = {"admitted_on": day, "discharged_on": day} if kind == "inpatient" else {"service_date": day}
    return {"claim_id": claim_id, "other_insurance_paid": other,
            "insured": {"id": "P1", "birth_date": "1970-01-01", "scheme": "employee", "enrolled_on": "2022-12-01"},
            "encounters": [{"id": "E1", "kind": kind, **dates, "diagnoses": ["J18.9"], "institution": "医院",
                            "settlement": {"medfee_sumamt": amount, "fulamt_ownpay_amt": ful, "preselfpay_amt": "0.00",
                                           "inscp_scp_amt": str(Decimal(amount) - Decimal(ful))},
                            "fee_lines": [line]}]}


def test_caps_remember_what_the_indemnity_limit_cut_across_a_year() -> None:
    # Three responsibilities paid at 100% with no deductible: r0 in-list stays, r1 self-paid
    # stays, r2 self-paid outpatient drugs; r0 and r1 share a combined cap of 1,000; the
    # total cap is 1,500.
    def resp(i: int, takes: dict) -> dict:
        return {"id": f"r{i}", "name_zh": f"责任{i}", "name_en": f"r{i}", "bucket": "other", "takes": [takes],
                "deductible": {"amount": "0", "source": "s"}, "ratio": {"rate": "1.00", "source": "s"}}

    product = parse_product({
        "id": "caps-2023", "city": "test", "city_zh": "测试", "name": "测试", "policy_year": 2023,
        "period": {"start": date(2023, 1, 1), "end": date(2023, 12, 31)}, "indemnity_source": "s",
        "sources": {"s": {"title": "hand-made", "grade": "derived"}},
        "pre_existing": {"basis": "none", "source": "s"}, "cross_year": {"rule": "discharge_year", "source": "s"},
        "rounding": {"source": "s"},
        "responsibilities": [
            resp(0, {"portions": ["preselfpay", "inscp_copay"], "encounter_kinds": ["inpatient"]}),
            resp(1, {"portions": ["fulamt"], "encounter_kinds": ["inpatient"]}),
            resp(2, {"portions": ["fulamt"], "encounter_kinds": ["outpatient"]})],
        "combined_caps": [{"id": "c0", "name_zh": "合并限额", "responsibilities": ["r0", "r1"], "amount": "1000",
                           "source": "s"}],
        "total_cap": {"amount": "1500", "source": "s"},
    })
    claims = [parse_claim(c) for c in (
        # r0 would pay 800, but others paid 500 of the 800 owed: the indemnity limit cuts 500
        _claim("A", "inpatient", "2023-02-01", _line("01", "05", "800.00", self_paid=False), other="500.00"),
        # r1 would pay 900; the combined cap has 1,000 − 300 = 700 left
        _claim("B", "inpatient", "2023-03-01", _line("03", "05", "900.00", self_paid=True)),
        # r2 would pay 800; the total cap has 1,500 − 300 − 700 = 500 left
        _claim("C", "outpatient", "2023-04-01", _line("03", "09", "800.00", self_paid=True)),
    )]
    population = Population.from_claims(claims)
    _same(product, population)
    rows = adjudicate_population(population, product).set_index("claim_id")
    assert rows["payable"].to_dict() == {"A": 300_00, "B": 700_00, "C": 500_00}
    assert rows["indemnity_cut"].to_dict() == {"A": 500_00, "B": 0, "C": 0}


def test_the_published_examples_agree() -> None:
    root = Path(__file__).resolve().parent.parent / "examples" / "claims"
    for path in sorted(root.glob("*.json")):
        city, year = path.stem.split("-")[:2]
        claim = parse_claim(path.read_text(encoding="utf-8"))
        product = get_product(f"{city}-{year}")
        population = Population.from_claims([claim])
        rows = _same_rows(product, population)
        assert set(rows["engine"]) == {"batch"}
        _same(product, population)


def test_every_bundled_product_is_computed_by_the_columnar_engine_itself() -> None:
    from huiminbao_rules.analytics.synthetic import SyntheticParams, population as synthetic

    for product in BUNDLED:  # every figure and caveat the same, under the terms each product doubts
        population = synthetic(product, SyntheticParams(insured=300), seed=11)
        rows = _same_rows(product, population, "pend")
        assert (rows["engine"] == "batch").all(), product.id
        _same(product, population, "pend")


def test_the_core_library_imports_no_numpy_pandas_or_numba() -> None:
    code = ("import sys, huiminbao_rules, huiminbao_rules.cli, huiminbao_rules.regulation, huiminbao_rules.enrollment;"
            "print(sorted(m for m in ('numpy', 'pandas', 'numba') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_engines_agree_under_every_choice_for_unknown_lists() -> None:
    from huiminbao_rules.analytics.synthetic import SyntheticParams, population as synthetic

    for pid in ("shenzhen-2023", "hangzhou-2022", "shanghai-2024"):
        product = get_product(pid)
        population = synthetic(product, SyntheticParams(insured=1_500), seed=5)
        totals = {}
        for mode in ("pend", "member", "non-member"):
            reference = adjudicate_population(population, product, engine="reference", unknown_lists=mode)
            batch = adjudicate_population(population, product, unknown_lists=mode)
            columns = [c for c in reference.columns if c != "service_on"]
            pd.testing.assert_frame_equal(reference[columns], batch[columns], check_dtype=False)
            totals[mode] = (int(batch["payable"].sum()), int(batch["pending"].sum()))
            # lines held for review are computed by the columnar engine too
            assert (batch["engine"] == "batch").all(), (pid, mode)
        # pended amounts exist by default and vanish when the run decides
        assert totals["pend"][1] > 0 and totals["member"][1] == totals["non-member"][1] == 0, (pid, totals)


def test_newborns_are_grouped_by_what_their_birth_date_decides() -> None:
    # A newborn enrolled within the special case's days of birth waits less; the birth date
    # is part of a person's history only then, and the columnar engine groups people by it.
    from huiminbao_rules.analytics.synthetic import SyntheticParams, population as synthetic

    from huiminbao_rules.rules.product import Period as Window, SpecialCase, WaitingPeriod

    base = get_product("shenzhen-2024")
    start = base.period.start
    enrollment = base.enrollment.model_copy(update={
        "window": Window(start=start.replace(year=start.year - 1), end=start), "late_enrollment": True,
        "waiting_periods": (WaitingPeriod(applies_to="late_enrollment", days=90, source=base.indemnity_source),),
        "special_cases": (SpecialCase(group="newborn", enroll_within_days=30, source=base.indemnity_source),)})
    product = base.model_copy(update={"enrollment": enrollment})
    population = synthetic(product, SyntheticParams(insured=600), seed=3)
    ins = population.insured.copy()
    born = ins.index % 3 == 0
    ins["enrolled_on"] = ins["enrolled_on"].where(~born, pd.Timestamp(product.period.start) + pd.Timedelta(days=20))
    ins["birth_date"] = ins["birth_date"].where(
        ~born, ins["enrolled_on"] - pd.to_timedelta((ins.index.to_series() % 90).to_numpy(), unit="D"))
    ins["groups"] = ins["groups"].astype(str).where(~born, "newborn")
    population = Population(ins, population.claims, population.encounters, population.fee_lines)
    rows = _same_rows(product, population, "pend")
    assert (rows["engine"] == "batch").all()
    # some newborns' claims in the waiting period count, others are excluded
    newborn = rows["insured_id"].isin(ins.loc[born, "insured_id"])
    early = rows["service_on"] < pd.Timestamp(start) + pd.Timedelta(days=110)
    assert rows.loc[newborn & early, "eligible"].gt(0).any() and rows.loc[newborn & early, "eligible"].eq(0).any()


def _kind(caveat: tuple, product: Product) -> str:
    """What a caveat (as compared) is about: its code, and for an unverified term which term."""
    code, _, _, _, clause, amount = caveat[:6]
    if code == "list_unknown":
        return "list_unknown held" if amount is not None else "list_unknown assumed"
    if code != "unverified_term":
        return code
    if clause.startswith("lists."):
        return "unverified list"
    if clause in ("pre_existing", "cross_year"):
        return clause
    if ".sub_limits." in clause:
        _, rid, _, sl_id = clause.split(".")
        return "sub-limit " + next(sl.measure for sl in product.responsibility_by_id[rid].sub_limits if sl.id == sl_id)
    return "deductible" if ".deductible[" in clause else "ratio" if ".ratio[" in clause else "cap"


def _doubtful_product() -> Product:
    """Every term doubted: r0 (stays, in scope) with a cap of 300; r1 (stays, self-paid, fee
    type 05) with an eligible-amount sub-limit of 100; r2 (outpatient drugs) with a count
    limit of one line; r3 (pharmacy and stay lines on a partly known list of unverified
    members) with a payable sub-limit of 50; all at 100% with no deductible. Stays past the
    end of the period are paid pro rata."""
    def resp(i: int, takes: dict, **terms) -> dict:
        return {"id": f"r{i}", "name_zh": f"责任{i}", "name_en": f"r{i}", "bucket": "other", "takes": [takes],
                "deductible": {"amount": "0", "source": "s", "verified": False, "note": "a guess"},
                "ratio": {"rate": "1.00", "source": "s", "verified": False}, **terms}

    def sub(measure: str, takes: dict, **limit) -> list:
        return [{"id": f"{measure}_limit", "name_zh": "分项限额", "takes": takes, "per": "year", "measure": measure,
                 "source": "s", "verified": False, "note": "not in the terms", **limit}]

    stays, outpatient = {"portions": ["fulamt"], "encounter_kinds": ["inpatient"], "fee_types": ["05"]}, {
        "portions": ["fulamt"], "encounter_kinds": ["outpatient"]}
    drugs = {"portions": ["fulamt"], "encounter_kinds": ["pharmacy", "inpatient"], "in_list": "drugs"}
    return parse_product({
        "id": "doubts-2023", "city": "test", "city_zh": "测试", "name": "测试", "policy_year": 2023,
        "period": {"start": date(2023, 1, 1), "end": date(2023, 12, 31), "assumed": True, "note": "no source"},
        "indemnity_source": "s", "sources": {"s": {"title": "hand-made", "grade": "derived"}},
        "lists": {"drugs": {"name_zh": "特药", "source": "s", "completeness": "partial", "verified": False,
                            "items": [{"name": "D1", "codes": ["D1"]}]}},
        "pre_existing": {"basis": "person", "source": "s", "verified": False,
                         "conditions": [{"id": "diabetes", "name_zh": "糖尿病", "icd10": ["E11"]}]},
        "cross_year": {"rule": "ends_at_expiry", "source": "s", "verified": False}, "rounding": {"source": "s"},
        "responsibilities": [
            resp(0, {"portions": ["preselfpay", "inscp_copay"], "encounter_kinds": ["inpatient"]},
                 cap={"amount": "300", "source": "s", "verified": False}),
            resp(1, stays, sub_limits=sub("eligible", stays, limit="100")),
            resp(2, outpatient, sub_limits=sub("count", outpatient, count=1)),
            resp(3, drugs, sub_limits=sub("payable", drugs, limit="50"))],
    })


def _doubtful_claims() -> list:
    def line(code: str, level: str, fee_type: str, amount: str) -> dict:
        return {**_line(level, fee_type, amount, self_paid=level == "03"), "med_list_codg": code, "name": code}

    def claim(claim_id: str, kind: str, dates: dict, lines: list) -> dict:
        made = _claim(claim_id, kind, "2023-01-01", lines[0])
        total, ful = (sum(Decimal(x[k]) for x in lines) for k in ("det_item_fee_sumamt", "fulamt_ownpay_amt"))
        made["insured"]["pre_existing"] = ["diabetes"]
        made["encounters"][0].update({**dates, "fee_lines": lines})
        made["encounters"][0]["settlement"].update(medfee_sumamt=str(total), fulamt_ownpay_amt=str(ful),
                                                   inscp_scp_amt=str(total - ful))
        return made

    stay = {"admitted_on": "2023-02-01", "discharged_on": "2023-02-03"}
    return [parse_claim(c) for c in (
        # r0 would pay 800: its cap cuts 500; r1's eligible sub-limit leaves 100 of 500
        claim("A", "inpatient", stay, [line("I1", "01", "05", "800.00"), line("I2", "03", "05", "500.00")]),
        # r2 pays one line of two: the count limit excludes the second
        claim("B", "outpatient", {"service_date": "2023-03-01"},
              [line("O1", "03", "09", "100.00"), line("O2", "03", "09", "100.00")]),
        # D1 is on the list (unverified members) and r3's payable sub-limit cuts it to 50; D9
        # is not found on the partly known list
        claim("C", "pharmacy", {"service_date": "2023-04-01"},
              [line("D1", "03", "09", "200.00"), line("D9", "03", "09", "70.00")]),
        # a stay across the start of the period (another policy year's)
        claim("D", "inpatient", {"admitted_on": "2022-12-30", "discharged_on": "2023-01-05"},
              [line("I3", "03", "05", "60.00")]),
        # a stay across the end, paid for 12 of its 20 days: D9 holds 12/20 of its 70.00
        claim("E", "inpatient", {"admitted_on": "2023-12-20", "discharged_on": "2024-01-09"},
              [line("I4", "03", "05", "30.00"), line("D9", "03", "09", "70.00")]),
    )]


def test_every_kind_of_caveat_is_compared_claim_by_claim() -> None:
    product = _doubtful_product()
    population = Population.from_claims(_doubtful_claims())
    by_user = product.with_list("drugs", product.lists["drugs"].items, file="insurer-list.csv", sha256="5" * 64)
    kinds = set()
    for p, mode in ((product, "pend"), (product, "member"), (product, "non-member"), (by_user, "pend")):
        found = _same(p, population, mode)
        kinds |= {_kind(c, p) for c in found}
        if p is product and mode == "pend":  # D9 held whole (claim C), and for 12 of its stay's 20 days (E)
            held = [c[:6] for c in found if c[0] == "list_unknown"]
            assert held == [("list_unknown", "r3", "E1#2", "drugs", "lists.drugs", 70_00),
                            ("list_unknown", "r3", "E1#2", "drugs", "lists.drugs", 42_00)]
    assert kinds == {"assumed_period", "list_unknown held", "list_unknown assumed", "user_list", "unverified list",
                     "deductible", "ratio", "cap", "sub-limit payable", "sub-limit eligible", "sub-limit count",
                     "pre_existing", "cross_year"}


def test_caveats_of_a_line_two_sub_limits_cut_are_the_reference_engines() -> None:
    # r1 takes the 500.00 stay line under two eligible-amount sub-limits: 300 (verified) cuts
    # it to 300, then 100 (not verified) to 100. The columnar engine knows only what the line
    # kept, not which limit cut: that person's caveats are the reference engine's.
    stays = {"portions": ["fulamt"], "encounter_kinds": ["inpatient"], "fee_types": ["05"]}
    product = _doubtful_product().with_changes({"responsibilities.r1.sub_limits": [
        {"id": "first", "name_zh": "分项限额", "takes": stays, "per": "year", "measure": "eligible", "limit": "300",
         "source": "s"},
        {"id": "second", "name_zh": "分项限额", "takes": stays, "per": "encounter", "measure": "eligible",
         "limit": "100", "source": "s", "verified": False}]})
    population = Population.from_claims(_doubtful_claims())
    clauses = {c[4] for c in _same(product, population, "pend")}
    assert "responsibilities.r1.sub_limits.second" in clauses
    assert "responsibilities.r1.sub_limits.first" not in clauses
