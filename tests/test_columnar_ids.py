"""The columnar engine reads people's and claims' ids however a user's frames hold them
(Arrow-backed text, Python objects, categoricals, ids that are not text) and gives the same
rows; it refuses a person id that repeats and a claim whose person is missing."""

from __future__ import annotations

import pandas as pd
import pytest

from huiminbao_rules import get_product
from huiminbao_rules.analytics.columnar import adjudicate_columns
from huiminbao_rules.analytics.population import Population
from huiminbao_rules.analytics.synthetic import SyntheticParams, population
from huiminbao_rules.core.errors import AdjudicationError

PRODUCT = get_product("shanghai-2023")  # sub-limits: portions read one by one too
POP = population(PRODUCT, SyntheticParams().sized(claims=400, lines_per_claim=12), seed=11)


def _with_ids(pop: Population, convert) -> Population:  # type: ignore[no-untyped-def]
    """The population with every id column converted by ``convert``."""
    def frame(df: pd.DataFrame) -> pd.DataFrame:
        out = df.copy()
        for c in ("insured_id", "claim_id", "encounter_id"):
            if c in out:
                out[c] = convert(out[c])
        return out

    return Population(insured=frame(pop.insured), claims=frame(pop.claims), encounters=frame(pop.encounters),
                      fee_lines=frame(pop.fee_lines))


def _rows(pop: Population) -> pd.DataFrame:
    out = adjudicate_columns(pop, PRODUCT)
    return out.assign(claim_id=out["claim_id"].astype(str), insured_id=out["insured_id"].astype(str))


def _as_numbers(column: pd.Series) -> pd.Series:
    """Ids as integers (their digits), keeping their order: P00012 -> 12."""
    return column.astype(str).str.slice(1).astype("int64") if column.name != "encounter_id" else column


@pytest.mark.parametrize("convert", [
    lambda c: c.astype(str).astype(object),  # Python strings
    lambda c: c.astype(str).astype("category"),  # categoricals of the same text
    lambda c: c.astype(str).astype("string[python]"),  # pandas' own string arrays
    _as_numbers,  # not text at all: pandas hashes them
], ids=["object", "category", "python-string", "integers"])
def test_ids_in_any_representation_give_the_same_rows(convert) -> None:  # type: ignore[no-untyped-def]
    expected = _rows(POP)
    got = _rows(_with_ids(POP, convert))
    if convert is _as_numbers:  # the same ids written as numbers, people ordered by their text: the same figures
        expected = expected.assign(claim_id=expected["claim_id"].str.slice(1).astype("int64").astype(str),
                                   insured_id=expected["insured_id"].str.slice(1).astype("int64").astype(str))
        expected, got = (x.sort_values("claim_id", ignore_index=True) for x in (expected, got))
    pd.testing.assert_frame_equal(expected, got, check_dtype=False)
    assert len(expected) == len(POP.claims) and expected["payable"].sum() > 0


@pytest.mark.parametrize("convert", [lambda c: c, lambda c: c.astype(object)], ids=["arrow", "object"])
def test_a_person_id_that_repeats_is_refused_with_its_name(convert) -> None:  # type: ignore[no-untyped-def]
    claimant = POP.claims["insured_id"].iloc[0]
    twice = POP.insured[POP.insured["insured_id"] == claimant]
    insured = pd.concat([POP.insured, twice], ignore_index=True)
    insured["insured_id"] = convert(insured["insured_id"])
    pop = Population(insured=insured, claims=POP.claims, encounters=POP.encounters, fee_lines=POP.fee_lines)
    with pytest.raises(AdjudicationError, match=f"insured ids repeat: .*{claimant}"):
        adjudicate_columns(pop, PRODUCT)


def test_a_claim_whose_person_is_missing_is_refused() -> None:
    claimant = POP.claims["insured_id"].iloc[0]
    insured = POP.insured[POP.insured["insured_id"] != claimant].reset_index(drop=True)
    pop = Population(insured=insured, claims=POP.claims, encounters=POP.encounters, fee_lines=POP.fee_lines)
    with pytest.raises(AdjudicationError, match="insured person the insured table does not have"):
        adjudicate_columns(pop, PRODUCT)


def test_the_result_keeps_people_in_the_order_of_their_ids() -> None:
    rows = _rows(POP)
    people = rows["insured_id"].tolist()
    assert people == sorted(people)
    assert rows.groupby("insured_id", sort=False)["service_on"].apply(lambda s: s.is_monotonic_increasing).all()


@pytest.mark.parametrize("convert", [lambda c: c, lambda c: c.astype(object), _as_numbers],
                         ids=["arrow", "object", "integers"])
def test_a_claim_id_that_repeats_is_refused_with_its_name(convert) -> None:  # type: ignore[no-untyped-def]
    first = POP.claims.iloc[[0]]
    claims = pd.concat([POP.claims, first], ignore_index=True)
    claims["claim_id"] = convert(claims["claim_id"])
    encounters = POP.encounters.assign(claim_id=convert(POP.encounters["claim_id"].astype(str)))
    pop = Population(insured=POP.insured, claims=claims, encounters=encounters, fee_lines=POP.fee_lines)
    with pytest.raises(AdjudicationError, match=f"claim ids repeat: .*{convert(first['claim_id']).iloc[0]}"):
        adjudicate_columns(pop, PRODUCT)


@pytest.mark.parametrize("convert", [lambda c: c.astype(str), lambda c: c], ids=["arrow", "category"])
def test_an_encounter_of_a_claim_the_claims_table_does_not_have_is_refused(convert) -> None:  # type: ignore[no-untyped-def]
    gone = POP.claims["claim_id"].iloc[0]
    claims = POP.claims[POP.claims["claim_id"] != gone].reset_index(drop=True)
    pop = Population(insured=POP.insured, claims=claims, encounters=POP.encounters.assign(
        claim_id=convert(POP.encounters["claim_id"])), fee_lines=POP.fee_lines)
    with pytest.raises(AdjudicationError, match="an encounter names a claim the claims table does not have"):
        adjudicate_columns(pop, PRODUCT)


def test_a_claim_without_an_encounter_is_refused() -> None:
    # The claim format gives every claim at least one encounter; frames may not.
    gone = POP.claims["claim_id"].iloc[3]
    pop = Population(insured=POP.insured, claims=POP.claims,
                     encounters=POP.encounters[POP.encounters["claim_id"] != gone].reset_index(drop=True),
                     fee_lines=POP.fee_lines[POP.fee_lines["claim_id"] != gone].reset_index(drop=True))
    with pytest.raises(AdjudicationError, match=f"claims without an encounter .*: {gone}$"):
        adjudicate_columns(pop, PRODUCT)


@pytest.mark.parametrize("unique_ids", [False, True], ids=["ids-per-claim", "ids-unique-across-claims"])
def test_an_encounter_without_a_fee_line_is_refused(unique_ids: bool) -> None:  # type: ignore[no-untyped-def]
    # Every encounter lists at least one fee line; ids unique across claims take the
    # engine's hash look-up instead of its dense table.
    enc, lines = POP.encounters.copy(), POP.fee_lines.copy()
    if unique_ids:  # as categories with room for many more ids than claims × encounters per claim
        ids = enc["claim_id"].astype(str) + "/" + enc["encounter_id"].astype(str)
        kinds = pd.CategoricalDtype([*ids, *(f"unused-{i}" for i in range((1 << 20) // len(POP.claims) + 1))])
        for t in (enc, lines):
            t["encounter_id"] = (t["claim_id"].astype(str) + "/" + t["encounter_id"].astype(str)).astype(kinds)
    bare = enc.iloc[5]
    keep = ~((lines["claim_id"].astype(str) == str(bare["claim_id"]))
             & (lines["encounter_id"].astype(str) == str(bare["encounter_id"])))
    pop = Population(insured=POP.insured, claims=POP.claims, encounters=enc,
                     fee_lines=lines[keep.to_numpy()].reset_index(drop=True))
    with pytest.raises(AdjudicationError, match=f"encounters without a fee line .*claim {bare['claim_id']} "
                                                f"encounter {bare['encounter_id']}"):
        adjudicate_columns(pop, PRODUCT)
    if unique_ids:  # the hash look-up was taken, and with every line kept the engine runs
        assert len(adjudicate_columns(Population(insured=POP.insured, claims=POP.claims, encounters=enc,
                                                 fee_lines=lines), PRODUCT)) == len(POP.claims)
