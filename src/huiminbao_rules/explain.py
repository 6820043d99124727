"""An adjudication for machines (a stable, versioned JSON shape) and for people (a claim
statement, 理赔计算书, in Chinese or English, that can be checked with a calculator).

Nothing here prints: :func:`statement` and :func:`trace` return lines.
The JSON shape is documented in ``docs/result-json.md``; ``SCHEMA`` names its version.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from .product import Product
from .reasons import label
from .result import Adjudication, BandPiece, Caveat, ResponsibilityResult, Step

__all__ = ["SCHEMA", "statement", "to_dict", "trace"]

SCHEMA = "huiminbao_rules.adjudication/1"

_BUCKETS = {
    "compliant": ("合规自付", "compliant in-list self-pay"),
    "reasonable": ("合理自费", "reasonable out-of-list self-pay"),
    "special_drug": ("目录外特药", "special drugs outside the catalogue"),
    "other": ("其他责任", "other responsibilities"),
}
_MODE_NAMES = {
    "ROUND_HALF_UP": ("四舍五入", "half up"),
    "ROUND_HALF_EVEN": ("四舍六入五成双", "half to even"),
    "ROUND_DOWN": ("舍去", "down"),
}
_PORTIONS = {
    "preselfpay": ("乙类先行自付", "class-B self-pay-first"),
    "inscp_copay": ("政策范围内个人自付", "in-scope co-pay"),
    "fulamt": ("全自费", "wholly self-paid"),
    "overlmt": ("超限价自费", "above the price ceiling"),
}


def _m(d: Decimal) -> str:
    """Money as a string with two decimals (``str`` is exact and quick when ``d`` has two)."""
    text = str(d)
    return text if text[-3:-2] == "." else f"{d:.2f}"


def _plain(v: Any) -> Any:
    """Values of steps as JSON: Decimals and dates as strings."""
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, BandPiece):
        return _band(v)
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def _band(b: BandPiece) -> dict[str, str]:
    return {"from": _m(b.start), "to": _m(b.end), "rate": str(b.rate), "amount": _m(b.amount), "raw": str(b.raw)}


def _source(product: Product | None, source_id: str | None) -> dict[str, Any] | None:
    if source_id is None:
        return None
    src = product.sources.get(source_id) if product else None
    if src is None:
        return {"id": source_id}
    return {"id": source_id, "title": src.title, "url": src.url, "grade": src.grade}


def _responsibility(r: ResponsibilityResult, after: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "name_zh": r.name_zh,
        "name_en": r.name_en,
        "bucket": r.bucket,
        "eligible": _m(r.eligible),
        "deductible": {"annual": _m(r.deductible_amount), "used_before": _m(r.deductible_before),
                       "taken": _m(r.deductible)},
        "bands": [_band(b) for b in r.bands],
        "raw": str(r.raw),
        "rounded": _m(r.rounded),
        "rounding": str(r.rounding),
        "cuts": [{"clause": c, "amount": _m(a)} for c, a in r.cuts],
        "payable": _m(r.payable),
        "year_to_date": {"eligible": _m(after.eligible), "deductible": _m(after.deductible), "paid": _m(after.paid)},
    }


def _caveat(c: Caveat) -> dict[str, Any]:
    out: dict[str, Any] = {"code": c.code, "message": c.message, "message_zh": c.message_zh}
    for key in ("responsibility", "line", "list", "clause"):
        value = getattr(c, key)
        if value is not None:
            out[key] = value
    if c.amount is not None:
        out["amount"] = _m(c.amount)
    if c.sha256 is not None:
        out["sha256"] = c.sha256
    return out


def to_dict(adj: Adjudication, product: Product | None = None) -> dict[str, Any]:
    """The adjudication as JSON-ready data (strings for money); pass the product to have
    each step's source spelled out rather than named by id."""
    buckets = {b: {"eligible": _m(e), "payable": _m(p)} for b, (e, p) in adj.by_bucket().items()}
    return {
        "schema": SCHEMA,
        "claim_id": adj.claim_id,
        "insured_id": adj.insured_id,
        "product_id": adj.product_id,
        "policy_year": adj.policy_year,
        "service_on": adj.service_on.isoformat(),
        "payable": _m(adj.payable),
        "pending_amount": _m(adj.pending_amount),
        "unknown_lists": adj.unknown_lists,
        "caveats": [_caveat(c) for c in adj.caveats],
        "medical_total": _m(adj.medical_total),
        "public_paid": _m(adj.public_paid),
        "owed": _m(adj.owed),
        "other_insurance_paid": _m(adj.other_insurance_paid),
        "eligible": _m(adj.eligible),
        "excluded": _m(adj.excluded),
        "indemnity": {"limit": _m(adj.indemnity_limit), "cut": _m(adj.indemnity_cut)},
        "buckets": buckets,
        "responsibilities": [
            _responsibility(r, adj.year_to_date.responsibility(r.id)) for r in adj.responsibilities
        ],
        "lines": [
            {
                "encounter_id": line.encounter_id,
                "number": line.number,
                "feedetl_sn": line.feedetl_sn,
                "code": line.code,
                "name": line.name,
                "amount": _m(line.amount),
                "public_paid": _m(line.public_paid),
                "eligible": _m(line.eligible),
                "payable": _m(line.payable),
                "excluded": _m(line.excluded),
                "pending": _m(line.pending),
                "portions": [
                    {
                        "part": p.part,
                        "amount": _m(p.amount),
                        "responsibility": p.responsibility,
                        "eligible": _m(p.eligible),
                        "deductible": _m(p.deductible),
                        "bands": [_band(b) for b in p.bands],
                        "raw": str(p.raw),
                        "rounded": _m(p.rounded),
                        "cuts": [{"clause": c, "amount": _m(a)} for c, a in p.cuts],
                        "payable": _m(p.payable),
                        "exclusions": [{"reason": e.reason, "amount": _m(e.amount), "clause": e.clause}
                                       for e in p.exclusions],
                    }
                    for p in line.portions
                ],
            }
            for line in adj.lines
        ],
        "steps": [
            {"kind": s.kind, "subject": s.subject, "clause": s.clause, "source": _source(product, s.source),
             "values": _plain(s.values)}
            for s in adj.steps
        ],
        "year_to_date": adj.year_to_date.model_dump(mode="json"),
    }


# ---- for people --------------------------------------------------------------------


def _y(d: Decimal) -> str:
    return f"{d:,.2f}"


def _pct(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


_T = {
    "zh": {
        "title": "理赔计算书",
        "claim": "赔案 {claim}  被保险人 {insured}  保障年度 {year} ({start} 至 {end})",
        "money": "医疗费用总额 {total} 元; 基本医保等公共支付方已付 {public} 元; 个人负担 {owed} 元",
        "other": "其他保险或慈善援助已付 {other} 元",
        "eligible": "纳入计算金额 {eligible} 元 (本年累计 {before} → {after})",
        "deductible": "免赔额 {annual} 元, 此前已用 {before} 元, 本次扣除 {taken} 元",
        "band": "({end} − {start}) × {rate} = {raw}",
        "raw": "按比例计算合计 {raw} 元",
        "rounding": "{mode}到{step}: {raw} → {rounded} 元",
        "cut": "{what} 核减 {amount} 元",
        "payable": "本项赔付 {payable} 元",
        "total": "合计赔付 {payable} 元",
        "sum": " = {parts}",
        "indemnity": "补偿原则: 个人负担 {owed} − 其他已付 {other} = {limit} 元, 核减 {cut} 元",
        "excluded": "不予赔付:",
        "excl_line": "  {where} {name} {amount} 元: {reason}",
        "public_line": "基本医保等已支付部分合计 {amount} 元 (不属于本保险责任)",
        "source": "〔{clause}; {source}〕",
        "fen": "分",
        "yuan": "元",
        "indemnity_what": "补偿原则",
        "total_cap": "产品总限额",
        "pending": "待人工审核 (暂缓, 不计入本次赔付):",
        "pending_line": "  {where} {name} {amount} 元: {why}",
        "pending_total": "待人工审核金额合计 {amount} 元",
        "notes": "说明:",
        "mode": "  清单成员未知时按: {mode}",
    },
    "en": {
        "title": "Claim statement",
        "claim": "Claim {claim}  insured {insured}  policy year {year} ({start} to {end})",
        "money": "Medical total {total}; paid by basic insurance and other public payers {public}; owed by the person {owed}",
        "other": "Already paid by other insurance or charity {other}",
        "eligible": "Eligible {eligible} (year to date {before} → {after})",
        "deductible": "Deductible {annual}, used before {before}, taken now {taken}",
        "band": "({end} − {start}) × {rate} = {raw}",
        "raw": "Sum at the ratios {raw}",
        "rounding": "Rounded {mode} to the {step}: {raw} → {rounded}",
        "cut": "{what} cut {amount}",
        "payable": "Payable {payable}",
        "total": "Total payable {payable}",
        "sum": " = {parts}",
        "indemnity": "Indemnity: owed {owed} − paid by others {other} = {limit}; cut {cut}",
        "excluded": "Not paid:",
        "excl_line": "  {where} {name} {amount}: {reason}",
        "public_line": "Paid by basic insurance and other public payers {amount} (not this product's to pay)",
        "source": "[{clause}; {source}]",
        "fen": "fen",
        "yuan": "yuan",
        "indemnity_what": "Indemnity",
        "total_cap": "Product total cap",
        "pending": "Held for review (pending, not in this payable):",
        "pending_line": "  {where} {name} {amount}: {why}",
        "pending_total": "Held for review in total {amount}",
        "notes": "Notes (说明):",
        "mode": "  Unknown list membership treated as: {mode}",
    },
}


def _cut_name(product: Product, clause: str, lang: str) -> str:
    t = _T[lang]
    if clause == "indemnity":
        return t["indemnity_what"]
    if clause == "total_cap":
        return t["total_cap"]
    parts = clause.split(".")
    if parts[0] == "combined_caps":
        cc = next((c for c in product.combined_caps if c.id == parts[1]), None)
        return (cc.name_zh if lang == "zh" else cc.name_en or cc.name_zh) if cc else clause
    if parts[-2:-1] == ["sub_limits"] or (len(parts) > 3 and parts[2] == "sub_limits"):
        r = product.responsibility_by_id[parts[1]]
        sl = next(s for s in r.sub_limits if s.id == parts[3])
        return sl.name_zh if lang == "zh" else sl.name_en or sl.name_zh
    return "责任限额" if lang == "zh" else "responsibility cap"


def _step_for(adj: Adjudication, kind: str, subject: str) -> Step | None:
    return next((s for s in adj.steps if s.kind == kind and s.subject == subject), None)


def _cite(product: Product, step: Step | None, lang: str) -> str:
    if step is None:
        return ""
    return " " + _T[lang]["source"].format(clause=step.clause, source=product.source_label(step.source) or "-")


def statement(adj: Adjudication, product: Product, lang: str = "zh") -> list[str]:
    """The claim statement as lines: per responsibility the eligible amount, deductible,
    the ratio arithmetic, rounding, caps and payable, each with its clause and source;
    then what was not paid and why."""
    if lang not in _T:
        raise ValueError(f"lang is 'zh' or 'en', not {lang!r}")
    t = _T[lang]
    zh = lang == "zh"
    out = [f"{t['title']}  {product.name if zh else product.name_en or product.name} ({product.id})"]
    out.append(t["claim"].format(claim=adj.claim_id, insured=adj.insured_id, year=adj.policy_year,
                                 start=product.period.start, end=product.period.end))
    out.append(t["money"].format(total=_y(adj.medical_total), public=_y(adj.public_paid), owed=_y(adj.owed)))
    if adj.other_insurance_paid:
        out.append(t["other"].format(other=_y(adj.other_insurance_paid)))
    paid_parts = []
    n = 0
    for r in adj.responsibilities:
        if not r.eligible:
            continue
        n += 1
        bucket = _BUCKETS[r.bucket][0 if zh else 1]
        out.append("")
        out.append(f"{n}. {r.name_zh if zh else r.name_en} [{bucket}]")
        after = adj.year_to_date.responsibility(r.id)
        out.append("   " + t["eligible"].format(eligible=_y(r.eligible), before=_y(r.eligible_before),
                                                after=_y(after.eligible)))
        out.append("   " + t["deductible"].format(annual=_y(r.deductible_amount), before=_y(r.deductible_before),
                                                  taken=_y(r.deductible))
                   + _cite(product, _step_for(adj, "deductible", r.id), lang))
        ratio_steps = [s for s in adj.steps if s.kind == "ratio" and s.subject == r.id]
        for b in r.bands:
            out.append("   " + t["band"].format(end=_y(b.end), start=_y(b.start), rate=_pct(b.rate), raw=_y(b.raw)))
        for s in ratio_steps:
            out.append("   " + _cite(product, s, lang).strip())
        if len(r.bands) > 1:
            out.append("   " + t["raw"].format(raw=f"{r.raw:,}"))
        if r.rounded != r.raw:
            step = t["fen"] if product.rounding.step == Decimal("0.01") else t["yuan"]
            mode = _MODE_NAMES[product.rounding.mode][0 if zh else 1]
            out.append("   " + t["rounding"].format(mode=mode, step=step, raw=f"{r.raw:,}", rounded=_y(r.rounded))
                       + _cite(product, _step_for(adj, "rounding", r.id), lang))
        for clause, amount in r.cuts:
            step = next((s for s in adj.steps if s.kind == "cap" and s.subject == r.id and s.clause == clause), None)
            out.append("   " + t["cut"].format(what=_cut_name(product, clause, lang), amount=_y(amount))
                       + _cite(product, step, lang))
        out.append("   " + t["payable"].format(payable=_y(r.payable)))
        paid_parts.append(_y(r.payable))
    out.append("")
    if adj.indemnity_cut:
        out.append(t["indemnity"].format(owed=_y(adj.owed), other=_y(adj.other_insurance_paid),
                                         limit=_y(adj.indemnity_limit), cut=_y(adj.indemnity_cut))
                   + _cite(product, _step_for(adj, "indemnity", adj.claim_id), lang))
    total = t["total"].format(payable=_y(adj.payable))
    if len(paid_parts) > 1:
        total += t["sum"].format(parts=" + ".join(paid_parts))
    out.append(total)
    if adj.pending_amount:
        out.append(t["pending_total"].format(amount=_y(adj.pending_amount)))
    public = sum((line.public_paid for line in adj.lines), Decimal("0.00"))
    pended = [(line, p, e) for line in adj.lines for p in line.portions for e in p.exclusions
              if e.reason == "pending_review"]
    excluded = [(line, p, e) for line in adj.lines for p in line.portions for e in p.exclusions
                if e.reason != "pending_review"]
    if excluded or public:
        out.append("")
        out.append(t["excluded"])
        if public:
            out.append("  " + t["public_line"].format(amount=_y(public)))
        for line, p, e in excluded:
            part = _PORTIONS[p.part][0 if zh else 1]
            out.append(t["excl_line"].format(where=f"{line.encounter_id}#{line.number}",
                                             name=f"{line.name} ({part})".strip(), amount=_y(e.amount),
                                             reason=label(e.reason, lang)))
    if pended:
        out.append("")
        out.append(t["pending"])
        for line, p, e in pended:
            part = _PORTIONS[p.part][0 if zh else 1]
            lid = e.clause[6:] if e.clause.startswith("lists.") else e.clause
            named = product.lists.get(lid)
            why = label(e.reason, lang) + (f" (「{named.name_zh}」)" if zh and named else
                                           f" ({named.name_en or named.name_zh})" if named else "")
            out.append(t["pending_line"].format(where=f"{line.encounter_id}#{line.number}",
                                                name=f"{line.name} ({part})".strip(), amount=_y(e.amount), why=why))
    if adj.caveats or adj.unknown_lists != "pend":
        out.append("")
        out.append(t["notes"])
        if adj.unknown_lists != "pend":
            out.append(t["mode"].format(mode=adj.unknown_lists))
        for c in adj.caveats:
            out.append(f"  [{c.code}] {c.message_zh if zh else c.message}")
    return out


def trace(adj: Adjudication, product: Product, lang: str = "zh") -> list[str]:
    """Every step in order, one line each, with its clause and source."""
    if lang not in _T:
        raise ValueError(f"lang is 'zh' or 'en', not {lang!r}")
    out = []
    for i, s in enumerate(adj.steps, 1):
        values = ", ".join(f"{k}={_show(v)}" for k, v in s.values.items() if v is not None)
        src = product.source_label(s.source)
        where = f" [{s.clause}{'; ' + src if src else ''}]" if s.clause or src else ""
        out.append(f"{i:>3}. {s.kind} {s.subject}: {values}{where}")
    return out


def _show(v: Any) -> str:
    if isinstance(v, BandPiece):
        return f"({_m(v.end)}-{_m(v.start)})x{v.rate}={v.raw}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_show(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_show(x)}" for k, x in v.items()) + "}"
    return str(v)
