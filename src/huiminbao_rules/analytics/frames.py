"""One adjudication as a pandas DataFrame, for notebooks: a row per fee line, or per owed
portion of a line. Needs pandas (the ``scenarios`` extra); the core never imports it.

Amounts stay exact: ``Decimal`` yuan, two places (an object column), never binary floats.

    >>> from huiminbao_rules import adjudicate, get_product, parse_claim
    >>> from huiminbao_rules.analytics.frames import lines_frame
    >>> product = get_product("shenzhen-2023")
    >>> claim = parse_claim(open("examples/claims/shenzhen-2023-s1.json", encoding="utf-8").read())
    >>> result = adjudicate(claim, product, unknown_lists="non-member")  # as the published example
    >>> frame = lines_frame(result)
    >>> frame[["encounter_id", "name", "amount", "payable"]]  # doctest: +NORMALIZE_WHITESPACE
      encounter_id    name     amount   payable
    0           E1   自费靶向药   40000.00  16800.00
    1           E1  PET-CT   12100.00   8470.00
    2           E1     乙类药   50000.00      0.00
    3           E1   床位手术等  105800.00   4080.00
    4           E2   门诊自费药   58500.00   9250.00
    5           E2    门诊检查   14200.00      0.00
    >>> frame["payable"].sum() == result.payable
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from huiminbao_rules.adjudication.result import LINE_COLUMNS, PORTION_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

    from huiminbao_rules.adjudication.result import Adjudication

__all__ = ["LINE_COLUMNS", "PORTION_COLUMNS", "lines_frame", "portions_frame"]


def lines_frame(adj: Adjudication, lang: str = "zh") -> pd.DataFrame:
    """One row per fee line, in claim order (:meth:`~huiminbao_rules.adjudication.result.Adjudication.line_rows`)."""
    return adj.to_frame(lang)


def portions_frame(adj: Adjudication, lang: str = "zh") -> pd.DataFrame:
    """One row per owed portion of a fee line
    (:meth:`~huiminbao_rules.adjudication.result.Adjudication.portion_rows`)."""
    import pandas as pd

    return pd.DataFrame(adj.portion_rows(lang), columns=list(PORTION_COLUMNS))
