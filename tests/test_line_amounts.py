"""Fee-line amounts held as int32 fen: the columnar engine reads them as they are (no int64
copy of the largest columns) and gives every figure it gives for the same amounts in int64;
the synthetic generator builds them on request and refuses a line that does not fit;
the checks of check_population add in int64 whatever the width."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from huiminbao_rules import bundled_ids, get_product
from huiminbao_rules.analytics import columnar
from huiminbao_rules.analytics.columnar import adjudicate_columns, check_population
from huiminbao_rules.analytics.dataset import adjudicate_dataset, write_dataset
from huiminbao_rules.analytics.population import LINE_MONEY, Population
from huiminbao_rules.analytics.scenarios import run
from huiminbao_rules.analytics.synthetic import ByKind, Lognormal, SyntheticParams, population
from huiminbao_rules.core.errors import InputError

INT32 = {c: np.int32 for c in LINE_MONEY}


def _pair(product_id: str, claims: int, seed: int) -> tuple[Population, Population]:
    """The same population built with int32 and with int64 line amounts."""
    product = get_product(product_id)
    params = SyntheticParams().sized(claims=claims, lines_per_claim=8)
    return (population(product, replace(params, line_amounts="int32"), seed=seed, progress=False),
            population(product, params, seed=seed, progress=False))


def test_the_generator_builds_the_same_tables_with_int32_amounts() -> None:
    narrow, wide = _pair("hangzhou-2022", 400, 3)
    assert all(narrow.fee_lines[c].dtype == np.int32 for c in LINE_MONEY)
    assert all(wide.fee_lines[c].dtype == np.int64 for c in LINE_MONEY)
    pd.testing.assert_frame_equal(narrow.fee_lines, wide.fee_lines.astype(INT32))
    for table in ("insured", "claims", "encounters"):
        pd.testing.assert_frame_equal(getattr(narrow, table), getattr(wide, table))


@pytest.mark.parametrize("product_id", bundled_ids())
def test_every_figure_is_the_same_from_int32_amounts(product_id: str) -> None:
    narrow, wide = _pair(product_id, 150, 7)
    product = get_product(product_id)
    rows_n, detail_n = adjudicate_columns(narrow, product, detail=True)
    rows_w, detail_w = adjudicate_columns(wide, product, detail=True)
    pd.testing.assert_frame_equal(rows_n, rows_w)
    for part in ("portions", "groups", "year_to_date", "caveats"):
        pd.testing.assert_frame_equal(getattr(detail_n, part), getattr(detail_w, part), obj=part)
    pd.testing.assert_frame_equal(adjudicate_columns(narrow, product), rows_w)


def test_int32_amounts_are_read_without_a_copy() -> None:
    narrow, _ = _pair("hangzhou-2022", 100, 1)
    lines = narrow.fee_lines.reset_index(drop=True)
    enc = narrow.encounters.reset_index(drop=True)
    read = columnar._fee_lines(narrow, enc)
    for array, column in zip((read.det, read.ful, read.over, read.pre), LINE_MONEY):
        assert array.dtype == np.int32 and np.shares_memory(array, lines[column].to_numpy()), column


def test_other_integer_widths_are_read_as_int64() -> None:
    _, wide = _pair("hangzhou-2022", 100, 1)
    product = get_product("hangzhou-2022")
    expected = adjudicate_columns(wide, product)
    for dtype in (np.int16, np.uint32, "Int32"):
        if dtype is np.int16 and wide.fee_lines[list(LINE_MONEY)].max().max() > np.iinfo(np.int16).max:
            continue
        lines = wide.fee_lines.astype({c: dtype for c in LINE_MONEY})
        got = adjudicate_columns(Population(wide.insured, wide.claims, wide.encounters, lines), product)
        pd.testing.assert_frame_equal(got, expected, obj=str(dtype))


def test_scenarios_and_a_dataset_of_int32_amounts(tmp_path: Path) -> None:
    narrow, wide = _pair("hangzhou-2022", 600, 11)
    variants = [get_product("hangzhou-2022")]
    expected = run(wide, variants)
    pd.testing.assert_frame_equal(run(narrow, variants).claims, expected.claims)
    ds = write_dataset(narrow, tmp_path / "data", year=2022, buckets=3)
    back = ds.read()
    assert all(back.fee_lines[c].dtype == np.int32 for c in LINE_MONEY)  # stored as the population held them
    result = adjudicate_dataset(ds, variants, out=tmp_path / "out")
    pd.testing.assert_frame_equal(result.claims(), expected.claims)
    pd.testing.assert_frame_equal(result.summary(), expected.summary())


def _one_line(narrow: Population, **amounts: int) -> Population:
    lines = narrow.fee_lines.copy()
    for column, value in amounts.items():
        col = lines[column].to_numpy().copy()
        col[0] = value
        lines[column] = col
    return Population(narrow.insured, narrow.claims, narrow.encounters, lines)


def test_check_population_adds_int32_amounts_in_int64() -> None:
    narrow, _ = _pair("hangzhou-2022", 100, 1)
    top = np.iinfo(np.int32).max
    # three self-paid parts of 2**31 - 1 each: their sum wraps in int32 to below the total
    faulty = _one_line(narrow, det_item_fee_sumamt=top, fulamt_ownpay_amt=top, overlmt_amt=top, preselfpay_amt=top)
    assert faulty.fee_lines["det_item_fee_sumamt"].dtype == np.int32
    with pytest.raises(InputError, match="self-paid parts exceed det_item_fee_sumamt"):
        check_population(faulty)
    with pytest.raises(InputError, match="preselfpay_amt: row 0 .*amount -5 fen"):
        check_population(_one_line(narrow, preselfpay_amt=-5))
    check_population(narrow)  # the generator's own lines reconcile


def test_the_generator_refuses_what_int32_cannot_hold() -> None:
    with pytest.raises(ValueError, match="line_amounts must be 'int64' or 'int32', got 'int16'"):
        SyntheticParams(line_amounts="int16")
    # one line per encounter, each stay's own-pay above 2**31 fen
    params = replace(SyntheticParams(insured=2_000, claim_share=0.5), lines_per_encounter=ByKind(1.0, 1.0, 1.0, 1.0),
                     kind_mix=ByKind(1.0, 0.0, 0.0, 0.0),
                     fulamt=ByKind(Lognormal(30_000_000, 0.01, 40_000_000), Lognormal(250, 1.5, 500_000),
                                   Lognormal(60, 1.2, 20_000), None),
                     line_amounts="int32")
    with pytest.raises(ValueError, match=r"fee line amount \d+ fen \(\w+\) does not fit line_amounts='int32'"):
        population(get_product("hangzhou-2022"), params, seed=1, progress=False)
    wide = population(get_product("hangzhou-2022"), replace(params, line_amounts="int64"), seed=1, progress=False)
    assert wide.fee_lines["fulamt_ownpay_amt"].max() > np.iinfo(np.int32).max
