"""Charts draw Chinese variant names with a CJK font when the system has one, and fall
back to "variant <position>" without one; never a missing-glyph warning."""

from __future__ import annotations

import io
import warnings

import pytest

from huiminbao_rules import get_product
from huiminbao_rules.analytics import charts
from huiminbao_rules.analytics import scenarios as sc
from huiminbao_rules.analytics.synthetic import SyntheticParams, population

PRODUCT = get_product("hangzhou-2022")
LOWER = PRODUCT.with_changes({"responsibilities.in_list.deductible[0].amount": "10000"}, id="hz-lower")
RESULT = sc.run(population(PRODUCT, SyntheticParams(insured=400), seed=5), {"现行方案": PRODUCT, "免赔额一万": LOWER})


def _drawn(fig) -> list[str]:
    from matplotlib.text import Text

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a "Glyph … missing" warning fails the test
        fig.savefig(io.BytesIO(), format="png")
    return [t.get_text() for t in fig.findobj(Text)]


@pytest.mark.parametrize("plot", [charts.plot_payouts, charts.plot_totals])
def test_chinese_names_are_drawn_with_the_systems_cjk_font(plot) -> None:
    font = charts.cjk_font()
    if font is None:
        pytest.skip("no CJK font on this system (e.g. apt-get install fonts-noto-cjk)")
    texts = _drawn(plot(RESULT))
    assert any("现行方案" in t for t in texts) and any("免赔额一万" in t for t in texts)


@pytest.mark.parametrize("plot", [charts.plot_payouts, charts.plot_totals])
def test_without_a_cjk_font_the_variants_are_named_by_position(plot, monkeypatch) -> None:
    monkeypatch.setattr(charts, "cjk_font", lambda: None)
    texts = _drawn(plot(RESULT))
    assert not [t for t in texts if any("\u4e00" <= c <= "\u9fff" for c in t)]
    assert any(t.startswith("variant 1") for t in texts) and any(t.startswith("variant 2") for t in texts)


def test_latin_names_are_drawn_as_they_are(monkeypatch) -> None:
    monkeypatch.setattr(charts, "cjk_font", lambda: None)
    result = sc.run(population(PRODUCT, SyntheticParams(insured=200), seed=5), {"published": PRODUCT, "lower": LOWER})
    texts = _drawn(charts.plot_totals(result))
    assert "published" in texts and "lower" in texts
