"""Charts of a scenario run: payouts per insured and totals per variant (matplotlib).

Binary floats of yuan appear here only, to draw them; every figure a chart is made from
is exact fen in the result. A chart is returned as a ``Figure`` that pyplot does not
know, so nothing ever shows it by itself. Chinese variant names are drawn with a CJK font
found on the system (:func:`cjk_font`); without one, as ``variant <position>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from huiminbao_rules.analytics.batch import BUCKETS
from huiminbao_rules.analytics.variants import yuan

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from huiminbao_rules.analytics.outcome import ScenarioResult

__all__ = ["CJK_FAMILIES", "cjk_font", "plot_payouts", "plot_totals"]


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
