"""Long work on populations shows a progress bar on a terminal, and nothing otherwise."""

from __future__ import annotations

from huiminbao_rules import get_product
from huiminbao_rules.analytics.batch import adjudicate_population
from huiminbao_rules.analytics.scenarios import run
from huiminbao_rules.analytics.synthetic import SyntheticParams, population

PRODUCT = get_product("hangzhou-2022")
POP = population(PRODUCT, SyntheticParams(insured=300), seed=3)


def test_a_bar_is_shown_on_request_and_the_results_do_not_change(capsys) -> None:
    quiet = adjudicate_population(POP, PRODUCT, engine="reference", progress=False)
    assert capsys.readouterr().err == ""
    shown = adjudicate_population(POP, PRODUCT, engine="reference", progress=True)
    err = capsys.readouterr().err
    assert f"{len(POP.claims)}/{len(POP.claims)}" in err and "claim" in err
    assert shown.equals(quiet)
    again = population(PRODUCT, SyntheticParams(insured=300), seed=3, progress=True)
    err = capsys.readouterr().err
    assert "9/9" in err and "stage" in err
    assert again.claims.equals(POP.claims) and again.fee_lines.equals(POP.fee_lines)
    run(POP, {"a": PRODUCT}, progress=True)
    assert "1/1" in capsys.readouterr().err


def test_no_bar_when_stderr_is_not_a_terminal(capsys) -> None:
    # pytest's captured stderr is not a terminal: even large work writes nothing
    import huiminbao_rules.analytics.batch as batch

    old = batch.PROGRESS_MIN_CLAIMS
    batch.PROGRESS_MIN_CLAIMS = 1
    try:
        adjudicate_population(POP, PRODUCT, engine="reference")
        population(PRODUCT, SyntheticParams(insured=300), seed=3)
        run(POP, {"a": PRODUCT})
    finally:
        batch.PROGRESS_MIN_CLAIMS = old
    assert capsys.readouterr().err == ""
