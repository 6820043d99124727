"""Hostile frames: a population built from a user's own tables, one fault at a time. The
columnar engine refuses what the claim format refuses, with a library error naming the
table, the column and (where one row is at fault) the row, never a pandas, numpy or numba
crash nor a figure computed from a coerced value; where the claim format accepts the
input, both engines give the same figures (see docs/batch-engine.md, "What the columnar
engine refuses")."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import pytest

from huiminbao_rules import get_product
from huiminbao_rules.analytics.batch import adjudicate_population
from huiminbao_rules.analytics.columnar import adjudicate_columns, check_population
from huiminbao_rules.analytics.population import Population
from huiminbao_rules.analytics.synthetic import SyntheticParams, population
from huiminbao_rules.core.errors import HuiminbaoError, InputError

sys.path.insert(0, str(Path(__file__).parent))
from test_columnar import _same  # noqa: E402  (the differential comparison, line by line)

PRODUCT = get_product("shanghai-2023")  # sub-limits: portions read one by one too
POP = population(PRODUCT, SyntheticParams().sized(claims=200, lines_per_claim=10), seed=5)
TABLES = ("insured", "claims", "encounters", "fee_lines")
Fault = Callable[[pd.DataFrame], pd.DataFrame]


def _with(table: str, fault: Fault, pop: Population = POP) -> Population:
    """``pop`` with one table changed by ``fault`` (applied to a copy)."""
    frames = {t: getattr(pop, t).copy() for t in TABLES}
    frames[table] = fault(frames[table])
    return Population(**frames, frames=pop.frames)


def _set(column: str, value: Any, row: Callable[[pd.DataFrame], int] = lambda df: 0) -> Fault:
    """One cell set to ``value`` (the column as Python objects where the value needs it)."""
    def fault(df: pd.DataFrame) -> pd.DataFrame:
        col = df[column].copy()
        if not (isinstance(value, (int, np.integer)) and col.dtype.kind in "iu" and -2**63 <= value < 2**63):
            col = col.astype(object) if col.dtype.kind != "M" else col
        col.iloc[row(df)] = value
        df[column] = col
        return df
    return fault


def _as(column: str, convert: Callable[[pd.Series], pd.Series]) -> Fault:
    def fault(df: pd.DataFrame) -> pd.DataFrame:
        df[column] = convert(df[column])
        return df
    return fault


def _drop(column: str) -> Fault:
    return lambda df: df.drop(columns=[column])


def _stay(df: pd.DataFrame) -> int:
    return int(np.flatnonzero((df["kind"] == "inpatient").to_numpy())[0])


def _not_stay(df: pd.DataFrame) -> int:
    return int(np.flatnonzero((df["kind"] != "inpatient").to_numpy())[0])


def _claimant(df: pd.DataFrame) -> int:
    """The insured row of the first claim's person."""
    return int(np.flatnonzero((df["insured_id"] == POP.claims["insured_id"].iloc[0]).to_numpy())[0])


def _discharged_before_admitted(df: pd.DataFrame) -> pd.DataFrame:
    i = _stay(df)
    df.loc[i, "discharged_on"] = df.loc[i, "admitted_on"] - pd.Timedelta(days=3)
    return df


def _born_after_service(df: pd.DataFrame) -> pd.DataFrame:
    late = pd.Timestamp(f"{PRODUCT.period.end.year + 1}-01-01")
    return df.assign(birth_date=late.as_unit("s"), enrolled_on=late.as_unit("s"))


def _settled_twice(column: str) -> Fault:
    """The first claim with two encounters gives both the same national id."""
    def fault(df: pd.DataFrame) -> pd.DataFrame:
        counts = df.groupby("claim_id", observed=True).size()
        df[column] = None
        df.loc[df["claim_id"] == counts[counts > 1].index[0], column] = "X1"
        return df
    return fault


def _history(text: str) -> Fault:
    return _as("history", lambda s: s.astype(str).replace({"[]": text}))


# (id, table, fault, the column the error names). The reference engine refuses every one
# of these too, with a library error (the last test).
REFUSED = [
    # money: integer fen only, nothing missing, from 0 up to 10**16 (14 digits of yuan)
    ("line-amount-float64", "fee_lines", _as("det_item_fee_sumamt", lambda s: s.astype("float64")),
     "det_item_fee_sumamt"),
    ("line-amount-fraction", "fee_lines", _as("overlmt_amt", lambda s: s + 0.5), "overlmt_amt"),
    ("line-amount-decimal", "fee_lines", _as("det_item_fee_sumamt", lambda s: s.map(Decimal)),
     "det_item_fee_sumamt"),
    ("line-amount-text", "fee_lines", _as("det_item_fee_sumamt", lambda s: s.astype(str)),
     "det_item_fee_sumamt"),
    ("line-amount-bool", "fee_lines", _as("overlmt_amt", lambda s: s > 0), "overlmt_amt"),
    ("line-amount-nan", "fee_lines", _as("det_item_fee_sumamt", lambda s: s.astype(float).where(s.index != 0)),
     "det_item_fee_sumamt"),
    ("line-amount-none", "fee_lines", _set("det_item_fee_sumamt", None), "det_item_fee_sumamt"),
    ("line-amount-nullable-na", "fee_lines",
     _as("preselfpay_amt", lambda s: s.astype("Int64").where(s.index != 0, pd.NA)), "preselfpay_amt"),
    ("line-amount-uint64-beyond-int64", "fee_lines",
     _as("det_item_fee_sumamt", lambda s: s.astype("uint64").where(s.index != 0, np.uint64(2**63 + 5))),
     "det_item_fee_sumamt"),
    ("line-amount-python-int-beyond-int64", "fee_lines", _set("det_item_fee_sumamt", 2**70), "det_item_fee_sumamt"),
    ("encounter-amount-float64", "encounters", _as("medfee_sumamt", lambda s: s.astype(float)),
     "medfee_sumamt"),
    ("encounter-amount-negative", "encounters", _set("oth_pay", -1), "oth_pay"),
    ("encounter-amount-overflow", "encounters", _set("medfee_sumamt", 2**62), "medfee_sumamt"),
    ("encounter-amount-nullable-na", "encounters",
     _as("hifp_pay", lambda s: s.astype("Int64").where(s.index != 0, pd.NA)), "hifp_pay"),
    ("other-insurance-float64", "claims", _as("other_insurance_paid", lambda s: s.astype(float)),
     "other_insurance_paid"),
    ("other-insurance-negative", "claims", _set("other_insurance_paid", -100), "other_insurance_paid"),
    ("other-insurance-overflow", "claims", _set("other_insurance_paid", 2**62), "other_insurance_paid"),
    ("other-insurance-nan", "claims", _as("other_insurance_paid", lambda s: s.astype(float).where(s.index != 0)),
     "other_insurance_paid"),
    # the settlement identities read on the settlement alone
    ("medfee-split", "encounters", _as("medfee_sumamt", lambda s: s + 1), "medfee_sumamt"),
    ("public-within-scope", "encounters", _as("hifp_pay", lambda s: s + 10**8), "inscp_scp_amt"),
    # required columns
    *((f"missing-{t}.{c}", t, _drop(c), c) for t, c in (
        ("fee_lines", "det_item_fee_sumamt"), ("fee_lines", "preselfpay_amt"), ("fee_lines", "line_no"),
        ("fee_lines", "chrgitm_lv"), ("fee_lines", "name"), ("encounters", "kind"),
        ("encounters", "inscp_scp_amt"), ("claims", "other_insurance_paid"), ("claims", "insured_id"),
        ("insured", "birth_date"), ("insured", "enrolled_on"), ("insured", "scheme"))),
    # dates
    ("outpatient-without-service-date", "encounters", _set("service_date", pd.NaT, _not_stay), "service_date"),
    ("stay-without-admission", "encounters", _set("admitted_on", pd.NaT, _stay), "admitted_on"),
    ("stay-without-discharge", "encounters", _set("discharged_on", pd.NaT, _stay), "discharged_on"),
    ("no-service-date-column", "encounters", _drop("service_date"), "service_date"),
    ("discharged-before-admitted", "encounters", _discharged_before_admitted, "discharged_on"),
    ("date-outside-supported-years", "encounters",
     _set("service_date", pd.Timestamp("1850-01-01"), _not_stay), "service_date"),
    ("date-text-not-iso", "encounters",
     _as("service_date", lambda s: s.dt.strftime("%Y/%m/%d").astype(object).where(s.notna(), None)),
     "service_date"),
    ("encounter-before-birth", "insured", _born_after_service, "service_date"),
    ("birth-date-missing", "insured", _set("birth_date", pd.NaT, _claimant), "birth_date"),
    ("enrolment-date-missing", "insured", _set("enrolled_on", pd.NaT, _claimant), "enrolled_on"),
    ("enrolled-before-birth", "insured",
     lambda df: df.assign(enrolled_on=df["birth_date"] - pd.Timedelta(days=1)), "enrolled_on"),
    # vocabularies
    ("kind-unknown", "encounters", _set("kind", "dental"), "kind"),
    ("kind-unknown-category", "encounters",
     _as("kind", lambda s: s.cat.rename_categories({"outpatient": "Outpatient"})), "kind"),
    ("kind-missing", "encounters", _as("kind", lambda s: s.where(s.index != 0)), "kind"),
    ("scheme-unknown", "insured", _as("scheme", lambda s: s.astype(str).replace({"resident": "farmer"})), "scheme"),
    ("level-unknown", "fee_lines", _as("chrgitm_lv", lambda s: s.astype(str).replace({"01": "1"})), "chrgitm_lv"),
    ("level-missing", "fee_lines", _set("chrgitm_lv", None), "chrgitm_lv"),
    ("fee-type-not-two-digits", "fee_lines",
     _as("med_chrgitm_type", lambda s: s.astype(str).replace({"09": "9"})), "med_chrgitm_type"),
    ("diagnosis-not-icd10", "encounters",
     _as("diagnoses", lambda s: s.astype(str).replace({"I10": "hypertension"})), "diagnoses"),
    ("pre-existing-not-an-identifier", "insured",
     _as("pre_existing", lambda s: pd.Series("Heart Disease!", index=s.index)), "pre_existing"),
    ("name-missing", "fee_lines", _set("name", None), "name"),
    ("code-missing", "fee_lines", _set("med_list_codg", None), "med_list_codg"),
    # ids and line numbers
    ("claim-id-empty", "claims", _set("claim_id", ""), "claim_id"),
    ("claim-id-missing", "claims", _set("claim_id", None), "claim_id"),
    ("insured-id-missing", "claims", _set("insured_id", None), "insured_id"),
    ("encounter-id-empty", "encounters", _as("encounter_id", lambda s: s.astype(str).where(s.index != 0, "")),
     "encounter_id"),
    ("line-number-missing", "fee_lines", _as("line_no", lambda s: s.astype(float).where(s.index != 0)),
     "line_no"),
    ("line-number-text", "fee_lines", _as("line_no", lambda s: s.astype(str)),
     "line_no"),
    # histories and yes/no flags
    ("history-not-json", "insured", _history("[{"), "history"),
    ("history-not-an-array", "insured", _history('{"year": 2022}'), "history"),
    ("history-year-out-of-range", "insured", _history('[{"year": 1800, "enrolled": true}]'), "history"),
    ("history-year-twice", "insured",
     _history('[{"year": 2022, "enrolled": true}, {"year": 2022, "enrolled": false}]'), "history"),
    ("settled-as-text", "encounters", _as("settled_through_basic", lambda s: s.map({True: "True", False: "False"})),
     "settled_through_basic"),
    ("settled-missing", "encounters", _set("settled_through_basic", None),
     "settled_through_basic"),
    ("settled-as-integers", "encounters", _as("settled_through_basic", lambda s: s.astype(int)),
     "settled_through_basic"),
]


@pytest.mark.parametrize(("table", "fault", "column"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_the_columnar_engine_refuses_the_fault_naming_its_column(table: str, fault: Fault, column: str) -> None:
    pop = _with(table, fault)
    with pytest.raises(InputError, match=rf"invalid population's (\w+ table|tables): [^:]*\b{column}\b"):
        adjudicate_columns(pop, PRODUCT)


def test_a_polars_population_is_refused_alike() -> None:
    pop = _with("fee_lines", _as("overlmt_amt", lambda s: s + 0.5), Population(
        POP.insured, POP.claims, POP.encounters, POP.fee_lines, frames="polars"))
    with pytest.raises(InputError, match="fee_lines table: overlmt_amt: amounts are integer fen"):
        adjudicate_population(pop, PRODUCT)


def test_the_error_names_the_row_at_fault() -> None:
    pop = _with("encounters", _set("admitted_on", pd.NaT, _stay))
    i = _stay(POP.encounters)
    claim, enc = POP.encounters["claim_id"].iloc[i], POP.encounters["encounter_id"].iloc[i]
    with pytest.raises(InputError, match=rf"admitted_on: row {i} \(claim_id {claim}, encounter_id {enc}\): "
                                         "an inpatient encounter needs admitted_on"):
        adjudicate_columns(pop, PRODUCT)


# (id, table, fault): inputs the claim format accepts; both engines give the same figures.
ACCEPTED = [
    ("extra-columns", "fee_lines", lambda df: df.assign(note="x", inscp_scp_amt=0)),
    ("setl-id-before-mdtrt-id", "encounters", lambda df: df.assign(  # one mdtrt_id per claim, setl_id each its own
        setl_id=[f"S{i}" for i in range(len(df))], mdtrt_id="M-" + df["claim_id"].astype(str))),
    ("national-ids-each-once", "encounters", lambda df: df.assign(
        setl_id=[f"S{i}" if i % 3 else None for i in range(len(df))], mdtrt_id="M-" + df["claim_id"].astype(str)
        + "-" + df["encounter_id"].astype(str))),
    *((f"no-{t}.{c}", t, _drop(c)) for t, c in (
        ("encounters", "settled_through_basic"), ("encounters", "diagnoses"), ("encounters", "institution"),
        ("encounters", "hifp_pay"), ("insured", "history"), ("insured", "groups"), ("insured", "pre_existing"),
        ("insured", "event_on"))),
    ("dates-as-iso-text", "encounters",
     _as("service_date", lambda s: s.dt.strftime("%Y-%m-%d").astype(object).where(s.notna(), None))),
    ("dates-with-a-time-zone", "encounters", lambda df: df.assign(**{
        c: (df[c] + pd.Timedelta(hours=1)).dt.tz_localize("Asia/Shanghai")
        for c in ("admitted_on", "discharged_on", "service_date")})),
    ("birth-dates-with-a-time-zone", "insured", _as("birth_date", lambda s: s.dt.tz_localize("Asia/Shanghai"))),
    ("dates-in-nanoseconds", "encounters", _as("service_date", lambda s: s.astype("datetime64[ns]"))),
    ("amounts-as-python-ints", "fee_lines", _as("det_item_fee_sumamt", lambda s: s.astype(object))),
    ("amounts-nullable-without-missing", "encounters", _as("medfee_sumamt", lambda s: s.astype("Int64"))),
    ("amounts-int32", "fee_lines", _as("det_item_fee_sumamt", lambda s: s.astype("int32"))),
    ("settled-nullable-boolean", "encounters", _as("settled_through_basic", lambda s: s.astype("boolean"))),
    ("settled-python-bools", "encounters", _as("settled_through_basic", lambda s: s.astype(object))),
    ("unused-categories", "fee_lines", _as("chrgitm_lv", lambda s: s.cat.add_categories(["99"]))),
    ("unused-kind-category", "encounters", _as("kind", lambda s: s.cat.add_categories(["dental"]))),
    ("line-numbers-as-floats", "fee_lines", _as("line_no", lambda s: s.astype(float))),
    ("history-missing", "insured", _as("history", lambda s: s.astype(object).where(s.astype(str) != "[]", None))),
    ("a-person-without-claims-lacks-dates", "insured", lambda df: pd.concat([df, pd.DataFrame(
        {"insured_id": ["Z-no-claims"], "birth_date": [pd.NaT], "scheme": ["farmer"], "enrolled_on": [pd.NaT]})],
        ignore_index=True)),
]


@pytest.mark.parametrize(("table", "fault"), [r[1:] for r in ACCEPTED], ids=[r[0] for r in ACCEPTED])
def test_what_the_claim_format_accepts_both_engines_compute_alike(table: str, fault: Fault) -> None:
    _same(PRODUCT, _with(table, fault))


def test_an_empty_population_gives_no_rows() -> None:
    empty = Population(*(getattr(POP, t).iloc[:0] for t in TABLES))
    rows = adjudicate_columns(empty, PRODUCT)
    reference = adjudicate_population(empty, PRODUCT, engine="reference")
    assert len(rows) == len(reference) == 0 and list(rows.columns) == [*reference.columns, "engine"]


# Fee-line amounts and settlements claimed twice are checked by check_population, not by
# every run of the engine: a pass over every line's four amounts costs about 4 ms per
# million lines, hashing the national ids of 1M claims some 50 ms (docs/batch-engine.md).
LINE_FAULTS = [
    ("negative", _set("preselfpay_amt", -5), "preselfpay_amt: row 0 .*amount -5 fen"),
    ("overflow", _set("det_item_fee_sumamt", 2**62), "det_item_fee_sumamt: row 0 .*amount 4611686018427387904 fen"),
    ("self-paid-above-total", _set("fulamt_ownpay_amt", 10**9), "self-paid parts exceed det_item_fee_sumamt"),
    ("lines-do-not-reconcile", _as("det_item_fee_sumamt", lambda s: s + 1),
     "encounters table: medfee_sumamt: row 0 .*lines_reconcile"),
    ("over-lines-do-not-reconcile", _as("overlmt_amt", lambda s: s.where(s.index != 0, s + 1)),
     "overlmt_selfpay: row 0 .*lines_reconcile"),
]


@pytest.mark.parametrize(("fault", "message"), [r[1:] for r in LINE_FAULTS], ids=[r[0] for r in LINE_FAULTS])
def test_check_population_refuses_line_amounts_the_claim_format_refuses(fault: Fault, message: str) -> None:
    with pytest.raises(InputError, match=message):
        check_population(_with("fee_lines", fault))


@pytest.mark.parametrize("column", ["setl_id", "mdtrt_id"])
def test_check_population_refuses_a_settlement_claimed_twice(column: str) -> None:
    pop = _with("encounters", _settled_twice(column))
    with pytest.raises(InputError, match=rf"encounters table: {column}: row \d+ .*claim lists this "
                                         "settlement twice"):
        check_population(pop)
    with pytest.raises(Exception, match="an encounter is claimed once"):  # noqa: B017 - pydantic's error today
        adjudicate_population(pop, PRODUCT, engine="reference")


def test_check_population_accepts_a_consistent_population() -> None:
    check_population(POP)
    for _, table, fault in ACCEPTED:
        if table == "encounters" and "id" in _:  # national ids, each settlement once
            check_population(_with(table, fault))
    check_population(Population.from_claims(list(POP.subset(POP.claims["insured_id"].iloc[:5]).to_claims())))


def test_every_refusal_is_a_library_error_the_reference_engine_refuses_too() -> None:
    # The reference engine is the definition: what the columnar engine refuses, the
    # reference refuses as well, with a library error too (the population's tables are
    # read as strictly on the way to the claim format: nothing is truncated or coerced).
    for name, table, fault, _ in REFUSED:
        pop = _with(table, fault)
        with pytest.raises(HuiminbaoError):
            adjudicate_columns(pop, PRODUCT)
        with pytest.raises(HuiminbaoError):
            adjudicate_population(pop, PRODUCT, engine="reference")

def test_lines_of_a_missing_encounter_and_claims_of_a_missing_person_are_refused_by_both_engines() -> None:
    # The reference engine used to drop such lines without a word, and to fail with a
    # KeyError on such a claim.
    enc = POP.encounters
    lost = enc.iloc[2]
    orphans = Population(insured=POP.insured, claims=POP.claims, encounters=enc.drop(index=enc.index[2]),
                         fee_lines=POP.fee_lines)
    with pytest.raises(InputError, match=f"claim {lost['claim_id']} encounter {lost['encounter_id']}: fee lines"):
        adjudicate_population(orphans, PRODUCT, engine="reference")
    with pytest.raises(HuiminbaoError):
        adjudicate_columns(orphans, PRODUCT)
    person = POP.claims["insured_id"].iloc[0]
    nobody = Population(insured=POP.insured[POP.insured["insured_id"] != person], claims=POP.claims,
                        encounters=POP.encounters, fee_lines=POP.fee_lines)
    with pytest.raises(InputError, match=f"person {person} is not in the insured table"):
        adjudicate_population(nobody, PRODUCT, engine="reference")
    with pytest.raises(HuiminbaoError):
        adjudicate_columns(nobody, PRODUCT)


def _person_renamed(new: str) -> Population:
    """POP with its first claimant's id changed to ``new`` in the insured and claims tables."""
    old = POP.claims["insured_id"].iloc[0]
    rename = lambda col: col.astype(object).where(col != old, new).astype("str")  # noqa: E731
    return Population(insured=POP.insured.assign(insured_id=rename(POP.insured["insured_id"])),
                      claims=POP.claims.assign(insured_id=rename(POP.claims["insured_id"])),
                      encounters=POP.encounters, fee_lines=POP.fee_lines)


@pytest.mark.parametrize(("new", "message"), [
    (" P-first", "starts or ends with a space"),
    ("P-first ", "starts or ends with a space"),
    ("P-\x01first", "control character U\\+0001"),
    ("P-\u200bfirst", "invisible or control character U\\+200B"),
    ("P" * 129, "at most 128 characters"),
])
def test_a_person_id_the_claim_format_refuses_is_refused_by_both_engines(new: str, message: str) -> None:
    # " P1" and "P1" would otherwise be two people, each with a deductible of their own
    pop = _person_renamed(new)
    with pytest.raises(InputError, match=rf"claims table: insured_id: row 0 \(insured_id .*{message}"):
        adjudicate_columns(pop, PRODUCT)
    with pytest.raises(HuiminbaoError):
        adjudicate_population(pop, PRODUCT, engine="reference")


def test_a_person_id_in_chinese_or_with_inner_spaces_is_read() -> None:
    for new in ("张三-0001", "P first", "P" * 128):
        pop = _person_renamed(new)
        rows = adjudicate_columns(pop, PRODUCT)
        assert new in set(rows["insured_id"])
        _same(PRODUCT, pop.subset([new]))
