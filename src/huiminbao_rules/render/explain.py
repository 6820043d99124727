"""An adjudication for machines (a stable, versioned JSON shape) and for people (a claim
statement, 理赔计算书, in Chinese or English, that can be checked with a calculator).

Nothing here prints: :func:`statement` and :func:`trace` return lines.
The JSON shape is documented in ``docs/result-json.md``; ``SCHEMA`` names its version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from huiminbao_rules.core.money import exact
from huiminbao_rules.rules.product import Product
from huiminbao_rules.core.money import FEN, format_percent, format_yuan
from huiminbao_rules.core.reasons import label
from huiminbao_rules.core.vocabulary import BUCKET_LABELS, PORTION_LABELS, ROUNDING_LABELS
from huiminbao_rules.adjudication.result import Adjudication, BandPiece, ResponsibilityResult, Step

_FROM_OUTPUT = ("SCHEMA",)
__all__ = [*_FROM_OUTPUT, "statement", "to_dict", "trace"]


def __getattr__(name: str) -> Any:
    # SCHEMA is defined with the output models, which are built when first needed: a
    # statement or a trace does not need them (the command line starts quicker).
    if name in _FROM_OUTPUT:
        from huiminbao_rules.render.output import SCHEMA

        return SCHEMA
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

_BUCKETS = BUCKET_LABELS
_MODE_NAMES = ROUNDING_LABELS
_PORTIONS = PORTION_LABELS


def to_dict(adj: Adjudication, product: Product | None = None) -> dict[str, Any]:
    """The adjudication as JSON-ready data (strings for money); pass the product to have
    each step's source spelled out rather than named by id. The data is that of the
    output model :class:`~huiminbao_rules.render.output.Result` (see
    :func:`~huiminbao_rules.render.output.result_of`);
    :func:`~huiminbao_rules.render.output.to_json` writes the same as JSON text."""
    from huiminbao_rules.render import output

    return output.to_dict(adj, product)


# ---- for people --------------------------------------------------------------------


def _y(d: Decimal) -> str:
    return format_yuan(d, grouped=True)


_pct = format_percent


def _exact(d: Decimal) -> str:
    """An exact figure for people: two decimals when it has no more, else every digit it has."""
    return format_yuan(d, grouped=True) if d == d.quantize(FEN, rounding=ROUND_HALF_UP) else f"{d.normalize():,f}"


GRADES: dict[str, tuple[str, str]] = {
    "A": ("政府或官方通讯社", "government or news wire"),
    "B": ("主流媒体", "mainstream media"),
    "C": ("信息聚合网站", "aggregator site"),
    "D": ("公开代码", "public code"),
    "MEM": ("未经核实的记忆", "unverified memory"),
    "derived": ("由其他引用数字推算, 或本库采用的默认规则", "computed from other cited figures, or a library default"),
}
"""Source grade -> (中文, English): how far a cited source can be trusted."""


def grade_legend(grades: set[str] | list[str], lang: str = "zh") -> str:
    """The meaning of the given source grades, in their conventional order."""
    i = 0 if lang == "zh" else 1
    return "; ".join(f"({g}) {GRADES[g][i]}" for g in GRADES if g in grades)


_T = {
    "zh": {
        "title": "理赔计算书",
        "claim": "赔案 {claim}  被保险人 {insured}  保障年度 {year} ({start} 至 {end})",
        "dated": "计算书日期 {on}; 服务日期 {service_on}",
        "undated": "服务日期 {service_on}",
        "money": "医疗费用总额 {total} 元; 基本医保等公共支付方已付 {public} 元; 个人负担 {owed} 元",
        "other": "其他保险或慈善援助已付 {other} 元",
        "eligible": "纳入计算金额 {eligible} 元 (本年累计 {before} → {after})",
        "deductible": "免赔额 {annual} 元, 此前已用 {before} 元, 本次扣除 {taken} 元",
        "band": "({end} − {start}) × {rate} = {raw}",
        "raw": "按比例计算合计 {raw} 元",
        "nothing_left": "免赔额扣除后无余额, 不按比例赔付",
        "cap_left": "年度限额 {cap} 元, 本年已赔 {paid} 元, 剩余 {left} 元",
        "total_cap_left": "产品总限额 {cap} 元, 本年已赔 {paid} 元, 剩余 {left} 元",
        "year_total": "本年度合计赔付 {payable} 元",
        "grades": "来源等级: {legend}",
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
        "dated": "Statement date {on}; service date {service_on}; amounts in yuan (CNY)",
        "undated": "Service date {service_on}; amounts in yuan (CNY)",
        "money": "Medical total {total} yuan; paid by basic insurance and other public payers {public} yuan; "
                 "owed by the person {owed} yuan",
        "other": "Already paid by other insurance or charity {other} yuan",
        "eligible": "Eligible {eligible} yuan (year to date {before} → {after})",
        "deductible": "Deductible {annual} yuan, used before {before}, taken now {taken}",
        "band": "({end} − {start}) × {rate} = {raw}",
        "raw": "Sum at the ratios {raw} yuan",
        "nothing_left": "Nothing is left after the deductible: no ratio applies",
        "cap_left": "Annual cap {cap} yuan, paid this year {paid}, left {left}",
        "total_cap_left": "Product total cap {cap} yuan, paid this year {paid}, left {left}",
        "year_total": "Year total payable {payable} yuan",
        "grades": "Source grades: {legend}",
        "rounding": "Rounded {mode} to the {step}: {raw} → {rounded} yuan",
        "cut": "{what} cut {amount} yuan",
        "payable": "Payable {payable} yuan",
        "total": "Total payable {payable} yuan",
        "sum": " = {parts}",
        "indemnity": "Indemnity: owed {owed} − paid by others {other} = {limit} yuan; cut {cut} yuan",
        "excluded": "Not paid:",
        "excl_line": "  {where} {name} {amount} yuan: {reason}",
        "public_line": "Paid by basic insurance and other public payers {amount} yuan (not this product's to pay)",
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


def _cite(product: Product, step: Step | None, lang: str, grades: set[str] | None = None) -> str:
    if step is None:
        return ""
    src = product.sources.get(step.source) if step.source else None
    if src is not None and grades is not None:
        grades.add(src.grade)
    return " " + _T[lang]["source"].format(clause=step.clause, source=product.source_label(step.source, lang) or "-")


@dataclass
class _Page:
    """What every part of a statement writes with: the words in its language, the product
    whose clauses it cites, and the grades of the sources cited so far (for the legend)."""

    product: Product
    lang: str
    grades: set[str] = field(default_factory=set)

    @property
    def t(self) -> dict[str, str]:
        return _T[self.lang]

    @property
    def zh(self) -> bool:
        return self.lang == "zh"

    def cite(self, step: Step | None) -> str:
        return _cite(self.product, step, self.lang, self.grades)


@exact
def statement(adj: Adjudication, product: Product, lang: str = "zh", *, on: date | None = None) -> list[str]:
    """The claim statement as lines: per responsibility the eligible amount, deductible,
    the ratio arithmetic, rounding, caps, payable and what is left of its annual cap, each
    with its clause and source; then what was not paid and why, and what the grades of
    the cited sources mean. ``on`` is the statement's date (the library reads no clock:
    without it the statement shows only the claim's service date: its earliest encounter's,
    a stay's being its discharge date)."""
    if lang not in _T:
        raise ValueError(f"lang is 'zh' or 'en', not {lang!r}")
    page = _Page(product, lang)
    out = _heading(adj, page, on)
    paid_parts = []
    for n, r in enumerate((r for r in adj.responsibilities if r.eligible), start=1):
        out += _responsibility_lines(adj, r, n, page)
        paid_parts.append(_y(r.payable))
    out.append("")
    out += _totals(adj, page, paid_parts)
    out += _excluded_lines(adj, page)
    out += _pending_lines(adj, page)
    out += _notes(adj, page)
    if page.grades:
        out.append("")
        out.append(page.t["grades"].format(legend=grade_legend(page.grades, lang)))
    return out


def _heading(adj: Adjudication, page: _Page, on: date | None) -> list[str]:
    t, product = page.t, page.product
    out = [f"{t['title']}  {product.name if page.zh else product.name_en or product.name} ({product.id})"]
    out.append(t["claim"].format(claim=adj.claim_id, insured=adj.insured_id, year=adj.policy_year,
                                 start=product.period.start, end=product.period.end))
    out.append(t["dated"].format(on=on, service_on=adj.service_on) if on is not None
               else t["undated"].format(service_on=adj.service_on))
    out.append(t["money"].format(total=_y(adj.medical_total), public=_y(adj.public_paid), owed=_y(adj.owed)))
    if adj.other_insurance_paid:
        out.append(t["other"].format(other=_y(adj.other_insurance_paid)))
    return out


def _responsibility_lines(adj: Adjudication, r: ResponsibilityResult, n: int, page: _Page) -> list[str]:
    """One responsibility's part of the statement: eligible, deductible, the bands and their
    clauses, rounding, cuts, payable and what is left of its cap."""
    t, product, zh = page.t, page.product, page.zh
    after = adj.year_to_date.responsibility(r.id)
    out = ["", f"{n}. {r.name_zh if zh else r.name_en} [{_BUCKETS[r.bucket][0 if zh else 1]}]"]
    out.append("   " + t["eligible"].format(eligible=_y(r.eligible), before=_y(r.eligible_before),
                                            after=_y(after.eligible)))
    out.append("   " + t["deductible"].format(annual=_y(r.deductible_amount), before=_y(r.deductible_before),
                                              taken=_y(r.deductible)) + page.cite(_step_for(adj, "deductible", r.id)))
    for b in r.bands:
        out.append("   " + t["band"].format(end=_y(b.end), start=_y(b.start), rate=_pct(b.rate), raw=_exact(b.raw)))
    if r.bands:
        out += ["   " + page.cite(s).strip() for s in adj.steps if s.kind == "ratio" and s.subject == r.id]
    else:
        out.append("   " + t["nothing_left"])
    if len(r.bands) > 1:
        out.append("   " + t["raw"].format(raw=_exact(r.raw)))
    if r.rounded != r.raw:
        step = t["fen"] if product.rounding.step == Decimal("0.01") else t["yuan"]
        mode = _MODE_NAMES[product.rounding.mode][0 if zh else 1]
        out.append("   " + t["rounding"].format(mode=mode, step=step, raw=_exact(r.raw), rounded=_y(r.rounded))
                   + page.cite(_step_for(adj, "rounding", r.id)))
    for clause, amount in r.cuts:
        step = next((s for s in adj.steps if s.kind == "cap" and s.subject == r.id and s.clause == clause), None)
        out.append("   " + t["cut"].format(what=_cut_name(product, clause, page.lang), amount=_y(amount))
                   + page.cite(step))
    out.append("   " + t["payable"].format(payable=_y(r.payable)))
    terms = product.responsibility_by_id.get(r.id)
    if terms is not None and terms.cap is not None:
        out.append("   " + t["cap_left"].format(cap=_y(terms.cap.amount), paid=_y(after.paid),
                                                left=_y(max(terms.cap.amount - after.paid, Decimal("0.00")))))
    return out


def _totals(adj: Adjudication, page: _Page, paid_parts: list[str]) -> list[str]:
    """The indemnity cut, the total and its parts, what is left of the total cap, what is held."""
    t, product, out = page.t, page.product, []
    if adj.indemnity_cut:
        out.append(t["indemnity"].format(owed=_y(adj.owed), other=_y(adj.other_insurance_paid),
                                         limit=_y(adj.indemnity_limit), cut=_y(adj.indemnity_cut))
                   + page.cite(_step_for(adj, "indemnity", adj.claim_id)))
    total = t["total"].format(payable=_y(adj.payable))
    if len(paid_parts) > 1:
        total += t["sum"].format(parts=" + ".join(paid_parts))
    out.append(total)
    if product.total_cap is not None:
        cap, paid = product.total_cap.amount, adj.year_to_date.total_paid
        out.append(t["total_cap_left"].format(cap=_y(cap), paid=_y(paid), left=_y(max(cap - paid, Decimal("0.00")))))
    if adj.pending_amount:
        out.append(t["pending_total"].format(amount=_y(adj.pending_amount)))
    return out


def _excluded_lines(adj: Adjudication, page: _Page) -> list[str]:
    """What was not paid and why (what the public payers paid first), portion by portion."""
    t = page.t
    public = sum((line.public_paid for line in adj.lines), Decimal("0.00"))
    excluded = [(line, p, e) for line in adj.lines for p in line.portions for e in p.exclusions
                if e.reason != "pending_review"]
    if not (excluded or public):
        return []
    out = ["", t["excluded"]]
    if public:
        out.append("  " + t["public_line"].format(amount=_y(public)))
    for line, p, e in excluded:
        part = _PORTIONS[p.part][0 if page.zh else 1]
        out.append(t["excl_line"].format(where=f"{line.encounter_id}#{line.number}",
                                         name=f"{line.name} ({part})".strip(), amount=_y(e.amount),
                                         reason=label(e.reason, page.lang)))
    return out


def _pending_lines(adj: Adjudication, page: _Page) -> list[str]:
    """What is held for review, with the list whose membership is not known."""
    t, zh, product = page.t, page.zh, page.product
    pended = [(line, p, e) for line in adj.lines for p in line.portions for e in p.exclusions
              if e.reason == "pending_review"]
    if not pended:
        return []
    out = ["", t["pending"]]
    for line, p, e in pended:
        part = _PORTIONS[p.part][0 if zh else 1]
        lid = e.clause[6:] if e.clause.startswith("lists.") else e.clause
        named = product.lists.get(lid)
        why = label(e.reason, page.lang) + (f" (「{named.name_zh}」)" if zh and named else
                                            f" ({named.name_en or named.name_zh})" if named else "")
        out.append(t["pending_line"].format(where=f"{line.encounter_id}#{line.number}",
                                            name=f"{line.name} ({part})".strip(), amount=_y(e.amount), why=why))
    return out


def _notes(adj: Adjudication, page: _Page) -> list[str]:
    """The caveats, and the reading of unknown lists when it is not the default."""
    if not (adj.caveats or adj.unknown_lists != "pend"):
        return []
    out = ["", page.t["notes"]]
    if adj.unknown_lists != "pend":
        out.append(page.t["mode"].format(mode=adj.unknown_lists))
    out += [f"  [{c.code}] {c.message_zh if page.zh else c.message}" for c in adj.caveats]
    return out


_KINDS = {
    "cover": ("保障生效", "cover"), "special_case": ("特殊人群", "special case"), "waiting": ("等待期", "waiting period"),
    "encounter": ("就诊", "encounter"), "public_share": ("基本医保分担", "public share"),
    "pre_existing": ("既往症", "pre-existing"), "eligible": ("纳入计算", "eligible"), "deductible": ("免赔额", "deductible"),
    "ratio": ("赔付比例", "ratio"), "bands": ("分段计算", "bands"), "rounding": ("取整", "rounding"),
    "cap": ("限额核减", "cap"), "responsibility_payable": ("本项赔付", "responsibility payable"),
    "combined_cap": ("合并限额", "combined cap"), "total_cap": ("产品总限额", "total cap"),
    "indemnity": ("补偿原则", "indemnity"), "payable": ("合计赔付", "payable"),
}
_KEYS_ZH = {
    "enrolled_on": "投保日", "start": "保障开始", "late": "逾期投保", "days_after": "投保后生效天数", "group": "人群",
    "waiting_days": "等待天数", "until": "至", "applies_to": "适用", "days": "天数", "kind": "类型",
    "service_on": "就诊日", "excluded": "除外", "fraction": "计入比例", "anchor": "归属日", "cover_start": "保障开始",
    "waiting_until": "等待期至", "renewed": "续保", "covered_days": "保障内天数", "tail_days": "延续天数",
    "inscp_scp_amt": "政策范围内金额", "public_paid": "公共支付", "copay": "政策范围内自付", "preselfpay_amt": "先行自付",
    "fulamt_ownpay_amt": "全自费", "overlmt_selfpay": "超限价自费", "basis": "计算基数", "applies": "适用",
    "eligible": "纳入计算金额", "before": "此前累计", "amount": "金额", "taken": "本次扣除", "pool": "免赔额归属",
    "when": "条件", "bands": "分段", "pieces": "分段计算", "raw": "计算值", "rounded": "取整后", "mode": "方式",
    "step": "单位", "cut": "核减", "payable": "赔付", "used": "已用", "paid_before": "此前已赔", "paid_after": "累计已赔",
    "owed": "个人负担", "other_insurance_paid": "其他已付", "limit": "上限", "computed": "核减前",
    "pre_existing": "既往症", "groups_any": "人群", "scheme": "医保类型", "min_enrolled_years": "最少连续参保年数",
    "max_enrolled_years": "最多连续参保年数", "min_claim_free_years": "最少连续无赔付年数",
    "settled_through_basic": "经基本医保结算",
}
_WORDS = {  # coded values a step may carry -> (中文, English)
    "inpatient": ("住院", "inpatient"), "outpatient": ("普通门诊", "outpatient"),
    "outpatient_special": ("门诊规定病种", "specified-disease outpatient"), "pharmacy": ("特药购药", "pharmacy"),
    "eligible": ("纳入计算金额", "eligible"), "after_deductible": ("免赔额后金额", "after deductible"),
    "employee": ("职工医保", "employee scheme"), "resident": ("居民医保", "resident scheme"),
    "person": ("按被保险人", "person"), "related_claim": ("按相关就诊", "related claim"),
    "late_enrollment": ("逾期投保", "late enrollment"), "new_enrollee": ("新参保", "new enrollee"),
    "gap_in_enrollment": ("断保后重新参保", "after a gap in enrollment"),
}


@exact
def trace(adj: Adjudication, product: Product, lang: str = "zh") -> list[str]:
    """Every step in order, one line each, with its clause and source, under a heading
    that sets the steps apart from the statement."""
    if lang not in _T:
        raise ValueError(f"lang is 'zh' or 'en', not {lang!r}")
    zh = lang == "zh"
    out = ["计算步骤 (每一步及其条款与来源)" if zh else "Steps (each with its clause and source)"]
    out.append("-" * 40)
    for i, s in enumerate(adj.steps, 1):
        values = ", ".join(f"{_KEYS_ZH.get(k, k) if zh else k} {_show(v, k, lang)}"
                           for k, v in s.values.items() if v is not None)
        src = product.source_label(s.source, lang)
        where = f" [{s.clause}{'; ' + src if src else ''}]" if s.clause or src else ""
        kind = _KINDS.get(s.kind, (s.kind, s.kind))[0 if zh else 1]
        out.append(f"{i:>3}. {kind} {s.subject}: {values}{where}")
    return out


def _show(v: Any, key: str, lang: str) -> str:
    """A step value for people: money with two decimals, rates as percentages, no Python reprs."""
    zh = lang == "zh"
    if isinstance(v, bool):
        return ("是" if v else "否") if zh else ("yes" if v else "no")
    if isinstance(v, BandPiece):
        return f"({_y(v.end)} − {_y(v.start)}) × {_pct(v.rate)} = {_exact(v.raw)}"
    if isinstance(v, Decimal):
        if key == "fraction":
            return _pct(v)
        if key == "step":
            return f"{v}"
        return _exact(v)
    if isinstance(v, date):
        return v.isoformat()
    if key == "excluded" and isinstance(v, str):
        return label(v, lang)
    if key == "mode" and v in _MODE_NAMES:
        return _MODE_NAMES[v][0 if zh else 1]
    if key == "when" and isinstance(v, dict):
        if not v:
            return "其他情形" if zh else "otherwise"
        return "(" + ", ".join(f"{_KEYS_ZH.get(k, k) if zh else k} {_show(x, k, lang)}" for k, x in v.items()) + ")"
    if key == "bands" and isinstance(v, (list, tuple)):
        return "(" + "; ".join(
            (f"{_y(b[0])} 起 {_pct(b[2])}" if zh else f"from {_y(b[0])} {_pct(b[2])}") for b in v) + ")"
    if isinstance(v, (list, tuple)) and all(isinstance(x, str) for x in v):
        return "/".join(v)
    if isinstance(v, (list, tuple)):
        return "(" + "; ".join(_show(x, key, lang) for x in v) + ")"
    if isinstance(v, dict):
        return "(" + ", ".join(f"{k} {_show(x, k, lang)}" for k, x in v.items()) + ")"
    if isinstance(v, str) and v in _WORDS:
        return _WORDS[v][0 if zh else 1]
    return str(v)
