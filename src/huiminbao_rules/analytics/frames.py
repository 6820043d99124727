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

from huiminbao_rules.core.reasons import label

if TYPE_CHECKING:
    from huiminbao_rules.adjudication.result import Adjudication
    import pandas as pd

__all__ = ["LINE_COLUMNS", "PORTION_COLUMNS", "lines_frame", "portions_frame"]

LINE_COLUMNS = ("encounter_id", "number", "feedetl_sn", "code", "name", "amount", "public_paid", "eligible",
                "payable", "excluded", "responsibilities", "reasons")
"""The columns of :func:`lines_frame`."""

PORTION_COLUMNS = ("encounter_id", "number", "code", "name", "part", "amount", "responsibility", "eligible",
                   "deductible", "raw", "rounded", "payable", "excluded", "reasons")
"""The columns of :func:`portions_frame`."""


def lines_frame(adj: Adjudication, lang: str = "zh") -> pd.DataFrame:
    """One row per fee line, in claim order: what it cost, what the public payers paid,
    what counted, what the product pays, what it excludes, under which responsibilities
    (ids, ``;``-joined) and for which reasons (labels in ``lang``, ``;``-joined)."""
    import pandas as pd

    rows = [{"encounter_id": line.encounter_id, "number": line.number, "feedetl_sn": line.feedetl_sn,
             "code": line.code, "name": line.name, "amount": line.amount, "public_paid": line.public_paid,
             "eligible": line.eligible, "payable": line.payable, "excluded": line.excluded,
             "responsibilities": ";".join(line.responsibilities),
             "reasons": ";".join(label(r, lang) for r in line.reasons)} for line in adj.lines]
    return pd.DataFrame(rows, columns=list(LINE_COLUMNS))


def portions_frame(adj: Adjudication, lang: str = "zh") -> pd.DataFrame:
    """One row per owed portion of a fee line (``preselfpay``, ``inscp_copay``, ``fulamt``,
    ``overlmt``): the responsibility that took it, its deductible, the exact amount at the
    ratios (``raw``), rounded, payable, and what was excluded and why."""
    import pandas as pd

    rows = [{"encounter_id": line.encounter_id, "number": line.number, "code": line.code, "name": line.name,
             "part": p.part, "amount": p.amount, "responsibility": p.responsibility, "eligible": p.eligible,
             "deductible": p.deductible, "raw": p.raw, "rounded": p.rounded, "payable": p.payable,
             "excluded": p.excluded, "reasons": ";".join(label(e.reason, lang) for e in p.exclusions)}
            for line in adj.lines for p in line.portions]
    return pd.DataFrame(rows, columns=list(PORTION_COLUMNS))
