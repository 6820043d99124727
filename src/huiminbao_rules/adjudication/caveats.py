"""Caveats: what a result rests on that the data does not know for sure (see
``docs/result-json.md``), each made here from plain facts, so that the reference engine
(claim by claim) and the columnar engine (per classification combination, group and
claim) say the same thing in the same words.

A claim's caveats go in this order, each said once (:func:`unique`, by :func:`key`):

1. the assumed period (:func:`period_caveats`);
2. lists of unknown membership, line by line (:func:`merged_notes`, :func:`list_unknown`);
3. lists that placed a portion: supplied by the user, or with unverified members
   (:func:`placement_caveats`);
4. unverified terms a paid group's amount depended on, group by group: its deductible
   and ratio schedule (:func:`term_caveats`), then each limit that cut it
   (:func:`limit_caveat`);
5. unverified eligible-amount and count sub-limits that excluded part of a line, line by
   line (:func:`limit_caveat`);
6. an unverified pre-existing rule the person's declarations met
   (:func:`pre_existing_caveat`), then an unverified cross-year rule a stay across the
   period's edge met (:func:`cross_year_caveat`, :func:`crosses_period`).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from decimal import Decimal
from typing import Any

from huiminbao_rules.adjudication.coverage import Facts
from huiminbao_rules.adjudication.result import Caveat
from huiminbao_rules.adjudication.terms import first_holding
from huiminbao_rules.core.money import ZERO, format_yuan
from huiminbao_rules.rules.classify import Entry
from huiminbao_rules.rules.product import Cited, Product, RatioSchedule, Responsibility

__all__ = ["COMPLETENESS", "cited_at", "cross_year_caveat", "crosses_period", "key", "limit_caveat", "list_unknown",
           "merged_notes", "noted", "period_caveats", "placed_by", "placement_caveats", "pre_existing_caveat",
           "term_caveats", "unique", "unverified"]

Key = tuple[str, "str | None", "str | None", "str | None", "str | None"]

COMPLETENESS = {"partial": ("部分已知", "partly known"), "unknown": ("成员未知", "members unknown"),
                "complete": ("完整", "complete")}
"""A list's completeness in Chinese and English, as caveats name it."""


def key(c: Caveat) -> Key:
    """What makes a caveat the same as another: code, responsibility, line, list, clause."""
    return c.code, c.responsibility, c.line, c.list, c.clause


def unique(found: Iterable[Caveat]) -> tuple[Caveat, ...]:
    """``found`` with each caveat said once (the first of those with the same :func:`key`)."""
    out: dict[Key, Caveat] = {}
    for c in found:
        out.setdefault(key(c), c)
    return tuple(out.values())


def period_caveats(product: Product) -> list[Caveat]:
    """The assumed cover period, on every result of a product whose period is assumed."""
    p = product.period
    if not p.assumed:
        return []
    return [Caveat("assumed_period",
                   f"the cover period {p.start} to {p.end} is assumed, not stated by a source"
                   + (f": {p.note}" if p.note else ""),
                   f"保障期间 {p.start} 至 {p.end} 系推定, 无来源明确载明", clause="period")]


def list_unknown(product: Product, where: str, lid: str, resp: str | None, held: Decimal | None,
                 unknown_lists: str) -> Caveat:
    """Line ``where`` (``<encounter id>#<number>``) not found on list ``lid`` of unknown
    membership: held for review (``held``, the amount of its portions pended on the list)
    or, with ``held`` None, taken as the run's ``unknown_lists`` says. ``resp``: the
    responsibility that takes it (for a pended line: would take it as a member)."""
    lst = product.lists[lid]
    zh_c, en_c = COMPLETENESS[lst.completeness]
    if held is not None:
        msg = (f"held for review (pending): whether line {where} is on the list {lst.name_en or lst.name_zh} "
               f"({lid}, {en_c}) decides which responsibility pays it, if any; {format_yuan(held, grouped=True)} held")
        zh = (f"待人工审核: 费用明细 {where} 是否属于「{lst.name_zh}」({zh_c}) 决定由哪项责任赔付, "
              f"暂缓 {format_yuan(held, grouped=True)} 元")
    else:
        taken = "a member" if unknown_lists == "member" else "not a member"
        msg = (f"line {where} is not found on the list {lst.name_en or lst.name_zh} ({lid}, {en_c}); for this "
               f"run it is taken as {taken} (unknown_lists={unknown_lists})")
        zh = (f"费用明细 {where} 未见于「{lst.name_zh}」({zh_c}); 本次按"
              f"{'属于' if unknown_lists == 'member' else '不属于'}该清单计算 (unknown_lists={unknown_lists})")
    return Caveat("list_unknown", msg, zh, responsibility=resp, line=where, list=lid, clause=f"lists.{lid}",
                  amount=held)


def noted(entry: Entry | None, miss: tuple[str, ...], unknown: tuple[str, ...]
          ) -> tuple[tuple[tuple[str, ...], str | None, bool] | None, tuple[Entry | str, tuple[str, ...]] | None]:
    """What a portion's classification (:meth:`~huiminbao_rules.rules.classify.Classifier.classify_full`)
    leaves for the caveats: the note of the lists of unknown membership it met, as (lists,
    responsibility, held for review), and what placed or refused it by a list, as (the
    selector's entry or the refusing list's id, the lists whose membership was assumed).
    A held portion's responsibility is the one that would take it (its miss names it third)."""
    note = None
    if unknown:
        resp = entry.resp.id if entry is not None and entry.resp is not None else dict(enumerate(miss)).get(2)
        note = (unknown, resp, entry is None and miss[0] == "pending_review")
    placement: tuple[Entry | str, tuple[str, ...]] | None = None
    if entry is None:
        if miss[1].startswith("lists."):
            placement = (miss[1][6:], unknown)
    elif not entry.plain:
        placement = (entry, unknown)
    return note, placement


def merged_notes(notes: Iterable[tuple[Hashable, tuple[str, ...], str | None, Decimal | None]]
                 ) -> dict[tuple[Hashable, str], tuple[str | None, Decimal | None]]:
    """The notes of portions whose placement met lists of unknown membership, as (line,
    lists, responsibility, amount held or None), merged per line and list in the order
    first met: (responsibility, amount held by the line's pended portions or None when
    none was pended). The responsibility is the first note's, or the last that names one
    among portions that were placed."""
    merged: dict[tuple[Hashable, str], tuple[str | None, Decimal, bool]] = {}
    for line, lists, responsibility, held in notes:
        for lid in lists:
            resp, amount, pended = merged.get((line, lid), (responsibility, ZERO, False))
            if held is not None:
                amount, pended = amount + held, True
            elif responsibility is not None:
                resp = responsibility
            merged[(line, lid)] = (resp, amount, pended)
    return {k: (resp, amount if pended else None) for k, (resp, amount, pended) in merged.items()}


def placed_by(by: Entry | str, assumed: tuple[str, ...]) -> list[tuple[str, str | None, bool]]:
    """The lists that decided a placement, as (list id, responsibility, may be unverified):
    the list that refused a portion (``by`` its id), or those of the selector that took it,
    but for the lists whose membership was assumed (those are :func:`list_unknown`'s
    business). A negative list or a refusal never makes an unverified-members caveat."""
    if isinstance(by, str):
        return [(by, None, False)]
    resp = by.resp.id if by.resp is not None else None
    return [(lid, resp, lid != by.neg_id) for lid in (by.pos_id, by.neg_id, by.inst_id) if lid and lid not in assumed]


def placement_caveats(product: Product, where: str, by: Entry | str, assumed: tuple[str, ...]) -> list[Caveat]:
    """Lists that decided where line ``where``'s portion went: supplied by the user
    (``user_list``), or whose members are not verified (``unverified_term``)."""
    out = []
    for lid, resp, may_be_unverified in placed_by(by, assumed):
        lst = product.lists[lid]
        if lst.supplied_by_user:
            out.append(Caveat("user_list",
                              f"the list {lid} supplied by the user ({lst.user_file}, sha256 {lst.user_sha256}) "
                              f"decided where line {where} goes",
                              f"用户提供的清单「{lst.name_zh}」({lst.user_file}, sha256 {lst.user_sha256}) "
                              f"决定了费用明细 {where} 的归属",
                              responsibility=resp, line=where, list=lid, clause=f"lists.{lid}",
                              sha256=lst.user_sha256))
        elif not lst.verified and may_be_unverified:
            out.append(Caveat("unverified_term",
                              f"line {where} is placed by the list {lid}, whose members are not verified",
                              f"费用明细 {where} 依据未经核实的清单「{lst.name_zh}」归属",
                              responsibility=resp, line=where, list=lid, clause=f"lists.{lid}"))
    return out


def term_caveats(product: Product, r: Responsibility, facts: Facts, deductible_clause: str, s_index: int,
                 schedule: RatioSchedule) -> list[Caveat]:
    """The unverified deductible (chosen for ``facts``, at ``deductible_clause``) and ratio
    schedule (``r.ratio[s_index]``) a paid group of ``r`` used."""
    out = []
    _, v = first_holding(product.deductible_variants(r), facts)
    ref = product.references.get(v.reference) if v.reference else None
    if not v.verified or (ref is not None and not ref.verified):
        out.append(unverified(r.id, deductible_clause, "deductible", "免赔额", v.note or (ref.note if ref else "")))
    if not schedule.verified:
        out.append(unverified(r.id, f"responsibilities.{r.id}.ratio[{s_index}]", "ratio", "赔付比例", schedule.note))
    return out


def limit_caveat(product: Product, resp: str, clause: str) -> Caveat | None:
    """An unverified limit at ``clause`` (a sub-limit, cap, combined or total cap) that cut
    what ``resp`` pays or excluded part of a line; None when it is verified or not a cited
    term (the indemnity limit)."""
    cited = cited_at(product, clause) if clause != "indemnity" else None
    if cited is None or cited.verified:
        return None
    return unverified(resp, clause, "limit", "限额", cited.note)


def pre_existing_caveat(product: Product) -> Caveat | None:
    """The pre-existing rule, where it is unverified (for a person who declared a condition
    and was paid something)."""
    if product.pre_existing.verified:
        return None
    return unverified(None, "pre_existing", "pre-existing rule", "既往症规则", product.pre_existing.note)


def cross_year_caveat(product: Product) -> Caveat | None:
    """The cross-year rule, where it is unverified (for a stay across the period's edge)."""
    if product.cross_year.verified:
        return None
    return unverified(None, "cross_year", "cross-year rule", "跨年度住院规则", product.cross_year.note)


def crosses_period(admitted: Any, discharged: Any, start: Any, end: Any) -> Any:
    """Whether a stay admitted and discharged on these days crosses the period
    ``start``..``end``'s edge (dates, day numbers, or arrays of day numbers alike)."""
    return (admitted < start) | (discharged > end)


def unverified(resp: str | None, clause: str, what: str, what_zh: str, note: str) -> Caveat:
    """An ``unverified_term`` caveat: the ``what`` at ``clause`` is not verified."""
    return Caveat("unverified_term",
                  f"the {what} at {clause} is not verified against a source" + (f" ({note})" if note else ""),
                  f"{what_zh} ({clause}) 未经来源核实", responsibility=resp, clause=clause)


def cited_at(product: Product, clause: str) -> Cited | None:
    """The cited term (cap, sub-limit, combined or total cap) a clause path names."""
    if clause == "total_cap":
        return product.total_cap
    parts = clause.split(".")
    if parts[0] == "combined_caps":
        return next((c for c in product.combined_caps if c.id == parts[1]), None)
    r = product.responsibility_by_id.get(parts[1]) if len(parts) > 2 else None
    if r is None:
        return None
    if parts[2] == "cap":
        return r.cap
    if parts[2] == "sub_limits":
        return next((s for s in r.sub_limits if s.id == parts[3]), None)
    return None
