"""What a product's data does not know: lists that are not complete, terms marked
unverified, an assumed cover period. ``huiminbao check`` reports these as *data findings*,
apart from the regulatory ones; ``huiminbao products --json`` carries the summary.

Pure: reads only the product.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from huiminbao_rules.rules.product import Product

__all__ = ["DataFinding", "completeness_summary", "data_findings", "data_findings_lines"]


@dataclass(frozen=True)
class DataFinding:
    """One thing the product's data does not know.

    ``code``: ``list_not_complete`` (a list whose ``completeness`` is ``partial`` or
    ``unknown``), ``unverified_term`` (a clause marked ``verified = false``),
    ``assumed_period`` (no source states the cover period), ``user_list`` (a list supplied
    by the user)."""

    code: str
    clause: str
    detail: str
    responsibilities: tuple[str, ...] = ()


def _users(product: Product, list_id: str) -> tuple[str, ...]:
    out = []
    for r in product.responsibilities:
        selectors = list(r.takes) + [s.takes for s in r.sub_limits]
        if any(list_id in (s.in_list, s.not_in_list, s.institutions) for s in selectors):
            out.append(r.id)
    return tuple(out)


def data_findings(product: Product) -> list[DataFinding]:
    """Every data finding of a product, lists first, then unverified clauses in file order."""
    out: list[DataFinding] = []
    if product.period.assumed:
        out.append(DataFinding("assumed_period", "period",
                               f"{product.period.start} to {product.period.end} is assumed" +
                               (f": {product.period.note}" if product.period.note else "")))
    for lid, lst in product.lists.items():
        users = _users(product, lid)
        if lst.supplied_by_user:
            out.append(DataFinding("user_list", f"lists.{lid}", f"supplied by the user: {lst.user_file} "
                                   f"(sha256 {lst.user_sha256}), {len(lst.items)} items", users))
        elif lst.completeness != "complete":
            out.append(DataFinding("list_not_complete", f"lists.{lid}",
                                   f"{lst.completeness}: {len(lst.items)} members known; a line that could be on it "
                                   f"is held for review where membership decides the outcome", users))
        if not lst.verified and not lst.supplied_by_user:
            out.append(DataFinding("unverified_term", f"lists.{lid}", lst.note or "members not verified", users))
    seen: dict[str, int] = {}
    for where, cited in product._cited():
        n = seen[where] = seen.get(where, -1) + 1
        if not cited.verified:
            rid = where.split(".")[1] if where.startswith("responsibilities.") else None
            clause = f"{where}[{n}]" if where.endswith((".deductible", ".ratio")) else where
            out.append(DataFinding("unverified_term", clause, cited.note or "not verified against a source",
                                   (rid,) if rid else ()))
    return out


def completeness_summary(product: Product) -> dict[str, Any]:
    """Per product: the lists by completeness, how many clauses are unverified, whether the
    period is assumed (for ``huiminbao products --json``)."""
    lists = {lid: {"completeness": lst.completeness, "members": len(lst.items), "verified": lst.verified,
                   **({"user_sha256": lst.user_sha256} if lst.supplied_by_user else {})}
             for lid, lst in product.lists.items()}
    unverified = [where for where, cited in product._cited() if not cited.verified]
    return {
        "lists": lists,
        "lists_not_complete": sorted(lid for lid, lst in product.lists.items() if lst.completeness != "complete"),
        "unverified_terms": len(unverified),
        "period_assumed": product.period.assumed,
        "complete": not unverified and not product.period.assumed and all(
            lst.completeness == "complete" and lst.verified for lst in product.lists.values()),
    }


_LABELS = {
    "assumed_period": ("保障期间系推定", "cover period assumed"),
    "list_not_complete": ("清单不完整", "list not complete"),
    "unverified_term": ("条款未经核实", "term not verified"),
    "user_list": ("用户提供的清单", "list supplied by the user"),
}


def data_findings_lines(product: Product, findings: list[DataFinding], lang: str = "zh") -> list[str]:
    """Data findings as lines, under a heading that keeps them apart from regulatory findings."""
    zh = lang == "zh"
    if not findings:
        return [f"{'数据' if zh else 'data'}  {product.id}: {'无' if zh else 'nothing unknown'}"]
    out = [f"{'数据' if zh else 'data'}  {product.id}: {len(findings)} {'项' if zh else 'findings'}"]
    for f in findings:
        label = _LABELS[f.code][0 if zh else 1]
        used = f" ({', '.join(f.responsibilities)})" if f.responsibilities else ""
        out.append(f"  {label}  {f.clause}{used}: {f.detail}")
    return out
