"""A product's terms for people (``huiminbao show``), what changed between two versions
(``huiminbao diff``), and check findings as lines. Returns lines; never prints."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from huiminbao_rules.core.money import format_percent, format_yuan
from huiminbao_rules.core.vocabulary import (BUCKET_LABELS, ENCOUNTER_KIND_LABELS, PORTION_LABELS, ROUNDING_LABELS,
                                             SCHEME_LABELS)
from huiminbao_rules.rules.product import Condition, Product, Responsibility, Selector
from huiminbao_rules.render.explain import grade_legend
from huiminbao_rules.regulation.floors import Finding

if TYPE_CHECKING:
    from huiminbao_rules.enrollment.application import ApplicationDecision

__all__ = ["decision_dict", "decision_lines", "describe", "diff", "changes", "diff_dict", "finding_dict", "findings_lines", "findings_summary",
           "flatten", "product_dict", "summary_line"]

_PORTION = PORTION_LABELS
_KIND = ENCOUNTER_KIND_LABELS
_LEVEL = {"01": "甲", "02": "乙", "03": "丙"}
_BUCKET = BUCKET_LABELS


_SCHEME = SCHEME_LABELS
_BASIS = {"none": ("不区分既往症, 所有人同等赔付", "none: everyone is paid alike"),
          "person": ("申报既往症的被保险人, 其每次就诊都按既往症条款", "person: every encounter of a person who declared one"),
          "related_claim": ("申报既往症且本次就诊诊断与之相关时, 按既往症条款",
                            "related_claim: an encounter whose diagnosis relates to a declared condition")}
_CROSS = {"discharge_year": ("整次住院计入出院日所在保障年度", "discharge_year: the stay counts in the year of discharge"),
          "to_discharge": ("计入入院年度, 保障至出院", "to_discharge: the admission year, covered until discharge"),
          "ends_at_expiry": ("计入入院年度; 未续保则保障期满即止, 按天数分摊",
                             "ends_at_expiry: the admission year; without renewal cover ends at expiry, pro-rated by days"),
          "admission_year_tail": ("计入入院年度; 未续保则保障延续至期满后 {n} 天, 超出部分按天数分摊",
                                  "admission_year_tail: the admission year; without renewal covered {n} days after "
                                  "expiry, pro-rated beyond")}
_WAITING = {"late_enrollment": ("逾期投保", "late enrollment"), "new_enrollee": ("新参保", "new enrollee"),
            "gap_in_enrollment": ("断保后重新参保", "after a gap in enrollment")}
_PER = {"year": ("每年", "per year"), "encounter": ("每次就诊", "per encounter"), "item_year": ("每项目每年", "per item per year")}
_MEASURE = {"payable": ("限赔付金额", "limits the payable"), "eligible": ("限纳入计算金额", "limits the eligible amount"),
            "count": ("限次数", "limits the count")}
_ROUNDING = ROUNDING_LABELS


def _premium_who(pr: Any, zh: bool) -> str:
    """Who a premium applies to: the file's English label, or in Chinese its condition."""
    if not zh:
        return str(pr.applies_to)
    w = pr.when
    parts = []
    if pr.tier:
        parts.append(f"档位 {pr.tier}")
    if w.min_age is not None or w.max_age is not None:
        parts.append(f"{w.min_age if w.min_age is not None else 0}–{w.max_age if w.max_age is not None else ''}岁"
                     if w.max_age is not None else f"{w.min_age}岁及以上")
    if w.sex:
        parts.append("女性" if w.sex == "female" else "男性")
    if w.groups_any:
        parts.append("人群 " + "/".join(w.groups_any))
    if w.pre_existing is not None:
        parts.append("既往症人群" if w.pre_existing else "非既往症人群")
    return ", ".join(parts) if parts else ("所有人" if pr.applies_to == "everyone" else "其他人")


def _when(c: Condition, zh: bool) -> str:
    parts = []
    if c.pre_existing is not None:
        parts.append(("既往症" if c.pre_existing else "非既往症") if zh else ("pre-existing" if c.pre_existing else "healthy"))
    if c.groups_any:
        parts.append(("人群 " if zh else "groups ") + "/".join(c.groups_any))
    if c.scheme:
        parts.append(_SCHEME[c.scheme][0 if zh else 1] if c.scheme in _SCHEME else c.scheme)
    if c.min_enrolled_years:
        parts.append(f"连续参保≥{c.min_enrolled_years}年" if zh else f"enrolled ≥{c.min_enrolled_years} years")
    if c.max_enrolled_years:
        parts.append(f"连续参保≤{c.max_enrolled_years}年" if zh else f"enrolled ≤{c.max_enrolled_years} years")
    if c.min_claim_free_years:
        parts.append(f"连续{c.min_claim_free_years}年无赔付" if zh else f"{c.min_claim_free_years} claim-free years")
    if c.settled_through_basic is not None:
        parts.append(("经基本医保结算" if c.settled_through_basic else "未经基本医保结算") if zh
                     else ("settled through basic insurance" if c.settled_through_basic else "not settled through basic insurance"))
    return ", ".join(parts) if parts else ("其他情形" if zh else "otherwise")


def _selector(s: Selector, zh: bool) -> str:
    i = 0 if zh else 1
    bits = ["/".join(_PORTION[p][i] for p in s.portions)]
    if s.levels:
        bits.append(("目录等级 " if zh else "level ") + "/".join(_LEVEL[v] for v in s.levels))
    if s.fee_types:
        bits.append(("费用类别 " if zh else "fee types ") + ",".join(s.fee_types))
    if s.encounter_kinds:
        bits.append("/".join(_KIND[k][i] for k in s.encounter_kinds))
    if s.in_list:
        bits.append(("清单 " if zh else "on list ") + s.in_list)
    if s.not_in_list:
        bits.append(("除外清单 " if zh else "not on list ") + s.not_in_list)
    if s.institutions:
        bits.append(("机构 " if zh else "at ") + s.institutions)
    if s.weight != 1:
        bits.append(("计入比例 " if zh else "counted at ") + format_percent(s.weight))
    return "; ".join(bits)


def _responsibility(product: Product, r: Responsibility, zh: bool) -> list[str]:
    i = 0 if zh else 1
    lang = "zh" if zh else "en"
    out = [f"- {r.name_zh if zh else r.name_en} ({r.id}) [{_BUCKET[r.bucket][i]}]"]
    for s in r.takes:
        out.append(("    责任范围: " if zh else "    takes: ") + _selector(s, zh))
    if r.deductible_pool:
        out.append(("    免赔额: 与 " if zh else "    deductible: shared pool ") + r.deductible_pool + (" 共用" if zh else ""))
    for v in product.deductible_variants(r):
        amount = format_yuan(v.amount, grouped=True) if v.amount is not None else f"{v.reference}"
        flag = "" if v.verified else (" (未核实)" if zh else " (unverified)")
        out.append(f"    {'免赔额' if zh else 'deductible'} [{_when(v.when, zh)}]: {amount}{flag}  〔{product.source_label(v.source, lang)}〕")
    for sched in r.ratio:
        flag = "" if sched.verified else (" (未核实)" if zh else " (unverified)")
        bands = ", ".join(f"{format_yuan(a, grouped=True)}起 {format_percent(rate)}" if zh
                          else f"from {format_yuan(a, grouped=True)} {format_percent(rate)}" for a, _, rate in sched.band_list)
        out.append(f"    {'赔付比例' if zh else 'ratio'} [{_when(sched.when, zh)}]: {bands}{flag}  〔{product.source_label(sched.source, lang)}〕")
    if r.cap:
        out.append(f"    {'年度限额' if zh else 'annual cap'}: {format_yuan(r.cap.amount, grouped=True)}  〔{product.source_label(r.cap.source, lang)}〕")
    for sl in r.sub_limits:
        what = format_yuan(sl.limit, grouped=True) if sl.limit is not None else (f"{sl.count} 次" if zh else f"{sl.count} times")
        out.append(f"    {'分项限额' if zh else 'sub-limit'} {sl.name_zh if zh else sl.name_en or sl.name_zh}: "
                   f"{what} {_PER[sl.per][0 if zh else 1]} ({_MEASURE[sl.measure][0 if zh else 1]})  "
                   f"〔{product.source_label(sl.source, lang)}〕")
    return out


def describe(product: Product, lang: str = "zh") -> list[str]:
    """The product's terms, responsibility by responsibility, each figure with its source."""
    zh = lang == "zh"
    p = product
    out = [f"{p.city_zh} {p.name} ({p.id})" if zh else f"{p.name_en or p.name} ({p.id}), {p.city}"]
    out.append(f"{'保障期间' if zh else 'Period'}: {p.period.start} – {p.period.end}")
    if p.amendment:
        out.append(f"{'修订' if zh else 'Amends'}: {p.amendment.amends} ({p.amendment.on})")
    for pr in p.premiums:
        out.append(f"{'保费' if zh else 'Premium'} ({_premium_who(pr, zh)}): {format_yuan(pr.amount, grouped=True)}"
                   f"{'' if pr.verified else (' (未核实)' if zh else ' (unverified)')}  〔{p.source_label(pr.source, lang)}〕")
    if p.total_cap:
        out.append(f"{'总保额' if zh else 'Total cap'}: {format_yuan(p.total_cap.amount, grouped=True)}  〔{p.source_label(p.total_cap.source, lang)}〕")
    out.append("")
    out.append("保障责任:" if zh else "Responsibilities:")
    for r in p.responsibilities:
        out.extend(_responsibility(p, r, zh))
    for c in p.combined_caps:
        out.append(f"{'合并限额' if zh else 'Combined cap'} {c.name_zh if zh else c.name_en or c.name_zh}: "
                   f"{'+'.join(c.responsibilities)} ≤ {format_yuan(c.amount, grouped=True)} [{_when(c.when, zh)}]  〔{p.source_label(c.source, lang)}〕")
    out.append("")
    out.append(f"{'既往症' if zh else 'Pre-existing'}: {_BASIS[p.pre_existing.basis][0 if zh else 1]}"
               + (" (" + ", ".join(c.name_zh for c in p.pre_existing.conditions) + ")" if p.pre_existing.conditions else ""))
    e = p.enrollment
    if e.window:
        out.append(f"{'投保期' if zh else 'Enrollment window'}: {e.window.start} – {e.window.end}")
    for w in e.waiting_periods:
        out.append(f"{'等待期' if zh else 'Waiting period'} ({_WAITING[w.applies_to][0 if zh else 1]}): "
                   f"{w.days} {'天' if zh else 'days'}")
    out.append(f"{'跨年住院' if zh else 'Cross-year stays'}: "
               + _CROSS[p.cross_year.rule][0 if zh else 1].format(n=p.cross_year.tail_days))
    step = ("分" if zh else "fen") if p.rounding.step == Decimal("0.01") else ("元" if zh else "yuan")
    out.append(f"{'取整' if zh else 'Rounding'}: " + (f"{_ROUNDING[p.rounding.mode][0]}到{step}" if zh
                                                     else f"{_ROUNDING[p.rounding.mode][1]} to the {step}"))
    out.append("")
    out.append("来源:" if zh else "Sources:")
    grades = set()
    for sid, src in p.sources.items():
        grades.add(src.grade)
        out.append(f"  [{sid}] {src.title_zh if zh and src.title_zh else src.title} ({src.grade})"
                   f"{' ' + src.url if src.url else ''}")
    out.append(("来源等级: " if zh else "Source grades: ") + grade_legend(grades, "zh" if zh else "en"))
    limitations = (p.limitations_zh if zh else p.limitations).strip()
    if limitations:
        out.append("")
        out.append("局限:" if zh else "Limitations:")
        out.extend("  " + line for line in limitations.splitlines())
    elif zh and p.limitations.strip():
        out.append("")
        out.append("局限:")
        out.append(f"  本产品文件的局限说明只有英文版本: huiminbao show {p.id} --lang en")
    return out


def product_dict(product: Product) -> dict[str, Any]:
    """A product's terms as JSON-ready data: the product file's keys (docs/product-format.md)."""
    return {"schema": "huiminbao_rules.product/1", "product": product.model_dump(mode="json", by_alias=True)}


def flatten(product: Product) -> dict[str, str]:
    """The product's terms as clause path -> value (responsibilities and sub-limits by id)."""
    out: dict[str, str] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if k in ("note", "limitations", "limitations_zh", "source", "verified"):
                    continue
                walk(f"{prefix}.{k}" if prefix else k, v)
        elif isinstance(value, list):
            keyed = all(isinstance(v, dict) and "id" in v for v in value) and value
            conditional = all(isinstance(v, dict) and "when" in v for v in value) and value
            seen: dict[str, int] = {}
            for i, v in enumerate(value):
                if keyed:
                    walk(f"{prefix}.{v['id']}", v)
                elif conditional:  # variants pair up by the condition (and tier) they apply under
                    when = {k: x for k, x in v["when"].items() if x is not None}
                    label = ",".join(f"{k}={'/'.join(x) if isinstance(x, list) else x}" for k, x in sorted(when.items()))
                    label = (f"tier={v['tier']}," if v.get("tier") else "") + (label or "otherwise")
                    seen[label] = seen.get(label, 0) + 1
                    if seen[label] > 1:  # the same condition twice: the later ones by their order
                        label += f"#{seen[label]}"
                    walk(f"{prefix}[{label}]", {k: x for k, x in v.items() if k != "when"})
                else:
                    walk(f"{prefix}[{i}]", v)
        elif value is not None:
            out[prefix] = str(value)

    walk("", product.model_dump(mode="json", by_alias=True, exclude={"sources"}))
    for sid in product.sources:
        out[f"sources.{sid}"] = product.sources[sid].title
    return out


_SKIP = ("note", "limitations", "limitations_zh", "source", "verified")


def _when_label(v: dict[str, Any]) -> str:
    when = {k: x for k, x in v["when"].items() if x is not None}
    label = ",".join(f"{k}={'/'.join(map(str, x)) if isinstance(x, list) else x}" for k, x in sorted(when.items()))
    return (f"tier={v['tier']}," if v.get("tier") else "") + (label or "otherwise")


def _identified(value: Any) -> Any:
    """The product's terms as nested dicts in which list items are keyed by what they are:
    items with an ``id`` by it (``.id``), conditional variants by their condition
    (``[condition]``), plain values by themselves (``[value]``); other lists by position."""
    if isinstance(value, dict):
        return {k: _identified(v) for k, v in value.items() if k not in _SKIP and v is not None}
    if isinstance(value, list):
        out: dict[str, Any] = {}
        seen: dict[str, int] = {}
        keyed = bool(value) and all(isinstance(v, dict) and "id" in v for v in value)
        conditional = bool(value) and all(isinstance(v, dict) and "when" in v for v in value)
        plain = all(not isinstance(v, (dict, list)) for v in value)
        for i, v in enumerate(value):
            if keyed:
                label = f".{v['id']}"
            elif conditional:
                label = f"[{_when_label(v)}]"
            elif plain:
                label = f"[{v}]"
            else:
                label = f"[{i}]"
            seen[label] = seen.get(label, 0) + 1
            if seen[label] > 1:  # the same identity twice: the later ones by their order
                label = label[:-1] + f"#{seen[label]}]" if label.endswith("]") else label + f"#{seen[label]}"
            out[label] = _identified(v)
        return _Listed(out)
    return value


class _Listed(dict):  # type: ignore[type-arg]
    """A list keyed by identity: its keys carry their own punctuation."""


def _tree(product: Product) -> dict[str, Any]:
    tree = _identified(product.model_dump(mode="json", by_alias=True, exclude={"sources"}))
    tree.pop("id", None)
    tree["sources"] = {sid: src.title for sid, src in product.sources.items()}
    return tree  # type: ignore[no-any-return]


def _summary(value: Any) -> str:
    """A removed or added part in one line: its name, or its plain entries."""
    if isinstance(value, dict):
        if "name_zh" in value:
            return str(value["name_zh"])
        if "id" in value:
            return str(value["id"])
        if isinstance(value, _Listed):
            return "; ".join(f"({_summary(v)})" if isinstance(v, dict) else _summary(v) for v in value.values())
        return ", ".join(f"{k}={_summary(v)}" for k, v in value.items() if k != "when")
    return str(value)


def _plain(value: Any) -> Any:
    """Back to the product file's shape: a keyed list is a list again."""
    if isinstance(value, _Listed):
        return [_plain(v) for v in value.values()]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def changes(old: Product, new: Product) -> list[dict[str, Any]]:
    """What changed from ``old`` to ``new``, each change once: ``op`` (``added``,
    ``removed``, ``changed``), ``path`` (clause path, list items by identity), ``old`` and
    ``new`` (a removed or added part whole)."""
    out: list[dict[str, Any]] = []

    def walk(path: str, a: Any, b: Any) -> None:
        if isinstance(a, dict) and isinstance(b, dict) and isinstance(a, _Listed) == isinstance(b, _Listed):
            listed = isinstance(a, _Listed)
            for k in sorted(a.keys() | b.keys()):
                sub = f"{path}{k}" if listed else (f"{path}.{k}" if path else k)
                if k not in b:
                    out.append({"op": "removed", "path": sub, "old": _plain(a[k]), "new": None, "_": a[k]})
                elif k not in a:
                    out.append({"op": "added", "path": sub, "old": None, "new": _plain(b[k]), "_": b[k]})
                else:
                    walk(sub, a[k], b[k])
        elif a != b:
            out.append({"op": "changed", "path": path, "old": _plain(a), "new": _plain(b), "_": None})

    walk("", _tree(old), _tree(new))
    return out


def diff(old: Product, new: Product, lang: str = "zh") -> list[str]:
    """What changed from ``old`` to ``new``, one line per change (``-`` removed, ``+`` added,
    ``~`` changed): list items are paired by what they are, not where they stand, so an
    inserted fee type is one addition and a removed responsibility one line."""
    out = [f"{old.id} → {new.id}"]
    for c in changes(old, new):
        if c["op"] == "removed":
            out.append(f"- {c['path']}: {_summary(c['_'])}")
        elif c["op"] == "added":
            out.append(f"+ {c['path']}: {_summary(c['_'])}")
        else:
            out.append(f"~ {c['path']}: {_summary(c['old'])} → {_summary(c['new'])}")
    if len(out) == 1:
        out.append("无差异" if lang == "zh" else "no differences")
    return out


def diff_dict(old: Product, new: Product) -> dict[str, Any]:
    """What changed, as JSON-ready data."""
    return {"schema": "huiminbao_rules.diff/1", "old": old.id, "new": new.id,
            "changes": [{k: v for k, v in c.items() if k != "_"} for c in changes(old, new)]}


_SEVERITY = {"ok": ("✓ 符合", "✓ ok"), "deviation": ("! 偏离(原则性要求)", "! deviation (in principle)"),
             "violation": ("✗ 违反", "✗ violation"), "not_applicable": ("- 不适用", "- not applicable")}
_OPS = {"<=": ("≤", "≤"), ">=": ("≥", "≥"), "==": ("=", "="), "contains": ("包含", "contains"),
        "covers": ("覆盖", "covers")}
_READING = {"overall": ("总体口径", "overall"), "strict": ("严格口径", "strict")}


def _figure(v: Any, zh: bool, buckets: bool = False) -> str:
    if v is None:
        return "-"
    if v == "none":
        return "无" if zh else "none"
    if buckets and zh and isinstance(v, str):
        return "、".join(_BUCKET[b.strip()][0] if b.strip() in _BUCKET else b for b in v.split(","))
    return str(v)


def findings_lines(product: Product, findings: list[Finding], lang: str = "zh", *,
                   not_applicable: bool = True) -> list[str]:
    """Check findings as lines: severity, rule, subject, value against bound, miss, clause
    and source, and a detail line under those that fail. ``not_applicable=False`` leaves out
    the rules that do not apply to the product."""
    zh = lang == "zh"
    i = 0 if zh else 1
    out = []
    for f in findings:
        if f.severity == "not_applicable" and not not_applicable:
            continue
        sev = _SEVERITY[f.severity][i]
        if f.recorded and f.failed:
            sev += " (已记录)" if zh else " (recorded in the product file)"
        name = f.name_zh if zh else f.name_en
        subject = f" {f.subject}" if f.subject else ""
        if f.op is None and f.bound is None:
            compared = _figure(f.value, zh)
        else:
            bk = f.op == "covers"
            compared = (f"{_figure(f.value, zh, bk)}, 要求 {_OPS[f.op][0] if f.op else ''} {_figure(f.bound, zh, bk)}" if zh
                        else f"{_figure(f.value, zh)} vs {_OPS[f.op][1] if f.op else ''} {_figure(f.bound, zh)}")
        miss = ""
        if f.miss is not None:
            miss = f", {'差' if zh else 'misses by'} {f.miss}"
        out.append(f"{sev}  {product.id} · {f.profile}/{f.rule} {name}{subject}: {compared}{miss} "
                   f"[{_READING[f.reading][i]}] 〔{f.clause}; {f.source}〕")
        if f.failed or f.severity == "not_applicable":
            out.append(f"      {(f.detail_zh or f.detail) if zh else f.detail}")
    return out


def _json_figure(v: Any) -> Any:
    return str(v) if isinstance(v, Decimal) else v


def _kind_of(v: Any) -> str | None:
    if isinstance(v, Decimal):
        return "number"
    return None if v is None else "text"


def finding_dict(product: Product, f: Finding) -> dict[str, Any]:
    """A check finding as JSON-ready data: figures as decimal strings, with their kind
    (``number`` or ``text``), the bound with its comparison."""
    return {
        "product": product.id, "profile": f.profile, "rule": f.rule, "name_zh": f.name_zh, "name_en": f.name_en,
        "clause": f.clause, "source": f.source, "reading": f.reading, "subject": f.subject,
        "value": _json_figure(f.value), "value_kind": _kind_of(f.value),
        "bound": None if f.bound is None and f.op is None else {"op": f.op, "value": _json_figure(f.bound),
                                                                   "kind": _kind_of(f.bound)},
        "miss": _json_figure(f.miss), "severity": f.severity, "recorded": f.recorded,
        "detail": f.detail, "detail_zh": f.detail_zh,
    }


def findings_summary(findings: list[Finding]) -> dict[str, int]:
    """How many findings of each severity, and how many failures the product files record."""
    out = {k: sum(1 for f in findings if f.severity == k) for k in _SEVERITY}
    out["recorded"] = sum(1 for f in findings if f.failed and f.recorded)
    out["unrecorded_violations"] = sum(1 for f in findings if f.severity == "violation" and not f.recorded)
    return out


def summary_line(products: int, counts: dict[str, int], lang: str = "zh", *, shown_not_applicable: bool = True) -> str:
    """One line that sums up a check run."""
    zh = lang == "zh"
    hidden = counts["not_applicable"] and not shown_not_applicable
    if zh:
        return (f"共检查 {products} 个产品: 符合 {counts['ok']} 项, 偏离 {counts['deviation']} 项, "
                f"违反 {counts['violation']} 项 (产品文件已记录的偏离或违反 {counts['recorded']} 项), "
                f"不适用 {counts['not_applicable']} 项" + (" (未列出, 加 --all 显示)" if hidden else ""))
    return (f"{products} product(s) checked: {counts['ok']} ok, {counts['deviation']} deviation(s), "
            f"{counts['violation']} violation(s) ({counts['recorded']} recorded in the product files), "
            f"{counts['not_applicable']} not applicable" + (" (not listed; --all lists them)" if hidden else ""))


def _date(d: Any) -> str | None:
    return d.isoformat() if d is not None else None


def decision_dict(result: ApplicationDecision, product: Product) -> dict[str, Any]:
    """An enrollment decision as JSON-ready data (money as strings)."""
    return {
        "schema": "huiminbao_rules.enrollment/1",
        "application_id": result.application_id,
        "product_id": result.product_id,
        "account": {"balance_before": format_yuan(result.account_balance_before), "used": format_yuan(result.account_used),
                    "balance_after": format_yuan(result.account_balance_after)},
        "persons": [
            {
                "person_id": d.person_id,
                "eligible": d.eligible,
                "cover_start": _date(d.cover_start),
                "waiting_until": _date(d.waiting_until),
                "tier": d.tier,
                "premium": None if d.premium is None else format_yuan(d.premium),
                "payers": {"subsidy": format_yuan(d.subsidy), "subsidy_payer": d.subsidy_payer,
                           "personal_account": format_yuan(d.personal_account), "cash": format_yuan(d.cash)},
                "reasons": [{"code": r.code, "detail": r.detail, "detail_zh": r.detail_zh, "clause": r.clause,
                             "source": product.source_label(r.source) or None} for r in d.reasons],
            }
            for d in result.decisions
        ],
    }


def decision_lines(result: ApplicationDecision, product: Product, lang: str = "zh") -> list[str]:
    """Each person's decision as lines a person reads."""
    zh = lang == "zh"
    out = [f"{'投保审核' if zh else 'Enrollment decision'}  {product.name if zh else product.name_en or product.name} "
           f"({product.id})  "
           f"{'申请' if zh else 'application'} {result.application_id}"]
    for d in result.decisions:
        out.append("")
        verdict = ("可以投保" if d.eligible else "不能投保") if zh else ("may enroll" if d.eligible else "may not enroll")
        out.append(f"{d.person_id}: {verdict}")
        if d.eligible:
            if d.cover_start:
                out.append(f"  {'保障开始' if zh else 'covered from'} {d.cover_start}"
                           + (f", {'等待期至' if zh else 'waiting period until'} {d.waiting_until}" if d.waiting_until else ""))
            if d.premium is not None:
                out.append(f"  {'保费' if zh else 'premium'} {format_yuan(d.premium, grouped=True)}{' 元' if zh else ' yuan'}: "
                           f"{'政府资助' if zh else 'subsidy'} {format_yuan(d.subsidy, grouped=True)} + "
                           f"{'个人账户' if zh else 'personal account'} {format_yuan(d.personal_account, grouped=True)} + "
                           f"{'现金' if zh else 'cash'} {format_yuan(d.cash, grouped=True)}")
        for r in d.reasons:
            src = product.source_label(r.source, lang)
            where = f" 〔{r.clause}{'; ' + src if src else ''}〕" if r.clause else ""
            out.append(f"  - {r.detail_zh or r.detail}{where}" if zh else f"  - {r.code}: {r.detail}{where}")
    if result.account_used:
        out.append("")
        out.append(f"{'个人账户' if zh else 'Personal account'}: {format_yuan(result.account_balance_before, grouped=True)} − "
                   f"{format_yuan(result.account_used, grouped=True)} = {format_yuan(result.account_balance_after, grouped=True)}")
    return out
