"""Adjudication: one claim under one product version, given the year to date.

Pure: no I/O, no clock, no globals; the same inputs give the same result. The order
of work (each step is written down in the result's ``steps``):

1. **Cover.** When the person's cover starts, and any waiting period (:mod:`.coverage`).
2. **Encounters**, in service-date order. An encounter of another policy year, before
   cover or inside a waiting period is excluded whole; a stay past the end of cover is
   pro-rated by days where the product's cross-year rule says so.
3. **Portions.** Each fee line splits into what the public payers settled and the
   parts the person owes (先行自付, in-scope co-pay, 全自费, 超限价). The encounter's
   in-scope co-pay is shared over its lines by their in-scope amounts (largest remainder).
4. **Responsibilities.** Each owed portion goes to the first responsibility with a
   selector that takes it (weighted where the selector says), or is excluded with a reason.
5. **Deductible and ratio.** In order, each eligible portion first uses what is left of
   its deductible (pool), then is paid at the rate of the band(s) its amount falls in on
   the responsibility's yearly axis.
6. **Rounding**, once per responsibility per claim, as the product says (default: to the
   fen, half up); the rounded amount is shared back over the portions.
7. **Caps**, in order: sub-limits, the responsibility's cap, combined caps, the total cap.
8. **Indemnity.** The claim never pays more than the person still owed after public
   payers and what other insurers or charity already paid; any excess is taken off the
   last portions first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

from .coverage import Cover, Facts, cover_of, facts_of, holds
from .errors import AdjudicationError
from .models import Claim, Encounter, FeeLine, Insured
from .money import ZERO, allocate, round_fen
from .product import DeductibleVariant, Product, RatioSchedule, Responsibility, Selector
from .result import (
    Adjudication,
    BandPiece,
    Exclusion,
    LineResult,
    PortionResult,
    ResponsibilityResult,
    ResponsibilityToDate,
    Step,
    YearToDate,
)

__all__ = ["YearResult", "adjudicate", "replay", "fresh_year"]

_MODES = {"ROUND_HALF_UP": ROUND_HALF_UP, "ROUND_HALF_EVEN": ROUND_HALF_EVEN, "ROUND_DOWN": ROUND_DOWN}
_MISS_RANK = {"not_covered": 0, "not_on_list": 1, "negative_list": 2, "off_indication": 3}
_NO = ("not_covered", "responsibilities")


def fresh_year(product: Product, insured_id: str | None = None) -> YearToDate:
    """Empty accumulators for a person's first claim of the policy year."""
    return YearToDate(product_id=product.id, insured_id=insured_id)


class _Work:
    """A portion of a fee line while it is being adjudicated."""

    __slots__ = (
        "part", "amount", "resp", "exclusions", "eligible", "deductible", "bands", "raw",
        "rounded", "cuts", "payable", "facts", "sub_keys", "combined", "enc", "line",
    )

    def __init__(self, part: str, amount: Decimal, facts: Facts, enc: Encounter, line: FeeLine):
        self.part = part
        self.amount = amount
        self.facts = facts
        self.enc = enc
        self.line = line
        self.resp: Responsibility | None = None
        self.exclusions: list[Exclusion] = []
        self.eligible = ZERO
        self.deductible = ZERO
        self.bands: list[BandPiece] = []
        self.raw = ZERO
        self.rounded = ZERO
        self.cuts: list[tuple[str, Decimal]] = []
        self.payable = ZERO
        self.sub_keys: list[str] = []
        self.combined: list[str] = []

    def freeze(self) -> PortionResult:
        return PortionResult(
            part=self.part, amount=self.amount, responsibility=self.resp.id if self.resp else None,
            exclusions=tuple(self.exclusions), eligible=self.eligible, deductible=self.deductible,
            bands=tuple(self.bands), raw=self.raw, rounded=self.rounded, cuts=tuple(self.cuts),
            payable=self.payable,
        )


def _check_inputs(claim: Claim, product: Product, ytd: YearToDate) -> None:
    if ytd.product_id != product.id:
        raise AdjudicationError(
            f"year_to_date is for product {ytd.product_id!r}, not {product.id!r}: accumulators do not carry "
            "across product versions"
        )
    if ytd.insured_id is not None and ytd.insured_id != claim.insured.id:
        raise AdjudicationError(f"year_to_date belongs to insured {ytd.insured_id!r}, the claim to {claim.insured.id!r}")
    if claim.claim_id in ytd.claims:
        raise AdjudicationError(
            f"claim {claim.claim_id!r} is already counted in year_to_date; to re-adjudicate, replay the year without it"
        )


def _encounter_verdict(
    enc: Encounter, product: Product, cover: Cover, insured: Insured
) -> tuple[str | None, str, Decimal | None, dict[str, object]]:
    """(exclusion reason or None, clause, fraction covered or None, values for the step)."""
    period, rule, year = product.period, product.cross_year, product.policy_year
    stay = enc.kind == "inpatient"
    anchor = enc.admitted_on if stay and rule.by_admission else enc.service_on
    info: dict[str, object] = {"anchor": anchor, "period_start": period.start, "period_end": period.end}
    if anchor not in period:
        return "other_policy_year", "cross_year" if stay else "period", None, info
    start = enc.starts_on
    continuing = stay and not rule.by_admission and start < period.start and insured.enrolled_in(year - 1)
    if not continuing:
        if start < cover.start:
            info["cover_start"] = cover.start
            return "before_coverage_start", "enrollment", None, info
        if cover.waiting_until is not None and start <= cover.waiting_until:
            info["waiting_until"] = cover.waiting_until
            return "waiting_period", f"enrollment.waiting_periods[{cover.waiting_index}]", None, info
    if stay and rule.by_admission and enc.discharged_on > period.end:  # type: ignore[operator]
        renewed = insured.enrolled_in(year + 1)
        info["renewed"] = renewed
        if rule.rule != "to_discharge" and not renewed:
            tail = rule.tail_days if rule.rule == "admission_year_tail" else 0
            covered_until = period.end + timedelta(days=1 + tail)
            if enc.discharged_on > covered_until:  # type: ignore[operator]
                days = (enc.discharged_on - enc.admitted_on).days  # type: ignore[operator]
                covered = (covered_until - enc.admitted_on).days  # type: ignore[operator]
                info.update(days=days, covered_days=covered, tail_days=tail)
                return None, "cross_year", Decimal(covered) / Decimal(days), info
    return None, "cross_year" if stay else "period", None, info


def _match(product: Product, s: Selector, enc: Encounter, line: FeeLine, part: str) -> tuple[str, str] | None:
    """None when the selector takes this portion, else (miss reason, clause)."""
    if part not in s.portions:
        return _NO
    if s.levels is not None and line.chrgitm_lv not in s.levels:
        return _NO
    if s.fee_types is not None and line.med_chrgitm_type not in s.fee_types:
        return _NO
    if s.encounter_kinds is not None and enc.kind not in s.encounter_kinds:
        return _NO
    if s.settled_through_basic is not None and enc.settled_through_basic != s.settled_through_basic:
        return _NO
    if s.institutions is not None and product.lists[s.institutions].find("", enc.institution) is None:
        return _NO
    if s.not_in_list is not None and product.lists[s.not_in_list].find(line.med_list_codg, line.name):
        return "negative_list", f"lists.{s.not_in_list}"
    if s.in_list is not None:
        item = product.lists[s.in_list].find(line.med_list_codg, line.name)
        if item is None:
            return "not_on_list", f"lists.{s.in_list}"
        if item.indications and not any(d.startswith(p) for d in enc.diagnoses for p in item.indications):
            return "off_indication", f"lists.{s.in_list}"
    return None


def _classify(
    product: Product, enc: Encounter, line: FeeLine, part: str
) -> tuple[Responsibility, Selector, int] | tuple[None, str, str]:
    best = _NO
    for r in product.responsibilities:
        for i, s in enumerate(r.takes):
            miss = _match(product, s, enc, line, part)
            if miss is None:
                return r, s, i
            if _MISS_RANK[miss[0]] > _MISS_RANK[best[0]]:
                best = miss
    return None, best[0], best[1]


def _first(variants: Iterable[DeductibleVariant | RatioSchedule], facts: Facts):  # type: ignore[no-untyped-def]
    for i, v in enumerate(variants):
        if holds(v.when, facts):
            return i, v
    raise AssertionError("the last variant always holds")  # enforced by Responsibility


def _deductible(product: Product, r: Responsibility, facts: Facts) -> tuple[Decimal, str, str]:
    """(annual deductible, clause, source) for a responsibility and these facts."""
    i, v = _first(product.deductible_variants(r), facts)
    if v.reference is not None:
        ref = product.references[v.reference]
        amount = ref.for_scheme(facts.scheme)
        source = ref.source
    else:
        amount, source = v.amount, v.source
    where = f"deductible_pools.{r.deductible_pool}" if r.deductible_pool else f"responsibilities.{r.id}"
    return amount, f"{where}.deductible[{i}]", source  # type: ignore[return-value]


def _pieces(schedule: RatioSchedule, lo: Decimal, hi: Decimal) -> list[BandPiece]:
    out = []
    for start, end, rate in schedule.band_list:
        a = lo if lo > start else start
        b = hi if end is None or hi < end else end
        if b > a:
            out.append(BandPiece(a, b, rate, (b - a) * rate))
    return out


def _sub_key(r: Responsibility, sl_id: str, per: str, claim: Claim, enc: Encounter, line: FeeLine) -> str:
    base = f"{r.id}.{sl_id}"
    if per == "encounter":
        return f"{base}@{claim.claim_id}/{enc.id}"
    if per == "item_year":
        return f"{base}#{line.med_list_codg or line.name}"
    return base


def _merge(pieces: Iterable[BandPiece]) -> tuple[BandPiece, ...]:
    out: list[BandPiece] = []
    for p in sorted(pieces, key=lambda p: p.start):
        if out and out[-1].end == p.start and out[-1].rate == p.rate:
            q = out[-1]
            out[-1] = BandPiece(q.start, p.end, p.rate, q.raw + p.raw)
        else:
            out.append(p)
    return tuple(out)


def adjudicate(claim: Claim, product: Product, year_to_date: YearToDate | None = None) -> Adjudication:
    """What ``product`` pays on ``claim``, given the person's ``year_to_date`` (fresh if None).

    Returns an :class:`~huiminbao_rules.result.Adjudication` with per-responsibility and
    per-line figures, the ordered steps with their clauses and sources, and the new
    year-to-date accumulators. Raises :class:`~huiminbao_rules.errors.AdjudicationError`
    when the year-to-date belongs to another product or person, or already counts the claim.
    """
    ytd = year_to_date if year_to_date is not None else fresh_year(product, claim.insured.id)
    _check_inputs(claim, product, ytd)
    insured = claim.insured
    steps: list[Step] = []
    cover = cover_of(insured, product)
    steps.append(Step("cover", insured.id, "enrollment", product.enrollment.cover_start_source, {
        "enrolled_on": insured.enrolled_on, "start": cover.start, "late": cover.late,
        "days_after": product.enrollment.cover_starts_days_after_enrollment,
    }))
    if cover.waiting is not None:
        steps.append(Step("waiting", insured.id, f"enrollment.waiting_periods[{cover.waiting_index}]",
                          cover.waiting.source, {"applies_to": cover.waiting.applies_to, "days": cover.waiting.days,
                                                 "until": cover.waiting_until}))

    # Running accumulators (copied from the year to date).
    pools = dict(ytd.deductible_pools)
    elig_run = {rid: v.eligible for rid, v in ytd.responsibilities.items()}
    ded_run = {rid: v.deductible for rid, v in ytd.responsibilities.items()}
    sub_used = dict(ytd.sub_limits)
    sub_counts = dict(ytd.sub_limit_counts)
    counted: dict[tuple[str, int], bool] = {}

    line_rows: list[tuple[Encounter, int, FeeLine, Decimal, list[_Work]]] = []
    chunks: list[_Work] = []
    encounters = sorted(claim.encounters, key=lambda e: (e.service_on, e.id))
    for enc in encounters:
        facts = facts_of(insured, enc, product)
        reason, clause, fraction, info = _encounter_verdict(enc, product, cover, insured)
        source = product.cross_year.source if clause == "cross_year" else (
            cover.waiting.source if reason == "waiting_period" and cover.waiting else
            product.enrollment.cover_start_source if reason == "before_coverage_start" else None)
        steps.append(Step("encounter", enc.id, clause, source, {
            "kind": enc.kind, "service_on": enc.service_on, "excluded": reason, "fraction": fraction,
            "pre_existing": facts.pre_existing, **info}))
        s = enc.settlement
        copay_total = s.inscp_scp_amt - s.public_paid
        copays = allocate(copay_total, [ln.inscp_scp_amt for ln in enc.fee_lines])
        steps.append(Step("public_share", enc.id, "identities", None, {
            "inscp_scp_amt": s.inscp_scp_amt, "public_paid": s.public_paid, "copay": copay_total,
            "preselfpay_amt": s.preselfpay_amt, "fulamt_ownpay_amt": s.fulamt_ownpay_amt,
            "overlmt_selfpay": s.overlmt_selfpay}))
        if product.pre_existing.basis != "none":
            steps.append(Step("pre_existing", enc.id, "pre_existing", product.pre_existing.source,
                              {"basis": product.pre_existing.basis, "applies": facts.pre_existing}))
        per_line = []
        for line, copay in zip(enc.fee_lines, copays):
            parts = [
                _Work(name, amount, facts, enc, line)
                for name, amount in (("preselfpay", line.preselfpay_amt), ("inscp_copay", copay),
                                     ("fulamt", line.fulamt_ownpay_amt), ("overlmt", line.overlmt_amt))
                if amount
            ]
            per_line.append((line, line.inscp_scp_amt - copay, parts))
        flat = [w for _, _, parts in per_line for w in parts]
        covered_amounts = [w.amount for w in flat]
        if reason is None and fraction is not None:
            owed = sum(covered_amounts, ZERO)
            covered_amounts = allocate(round_fen(owed * fraction), covered_amounts)
        for w, covered in zip(flat, covered_amounts):
            if reason is not None:
                w.exclusions.append(Exclusion(reason, w.amount, clause))
                continue
            if covered < w.amount:
                w.exclusions.append(Exclusion("beyond_cover_end", w.amount - covered, "cross_year"))
            if not covered:
                continue
            line = w.line
            found = _classify(product, enc, line, w.part)
            if found[0] is None:
                w.exclusions.append(Exclusion(found[1], covered, found[2]))  # type: ignore[arg-type]
                continue
            r, sel, si = found  # type: ignore[misc]
            w.resp = r
            eligible = covered if sel.weight == 1 else round_fen(covered * sel.weight)
            if eligible < covered:
                w.exclusions.append(Exclusion("weighted_out", covered - eligible, f"responsibilities.{r.id}.takes[{si}]"))
            for sl in r.sub_limits:
                if sl.measure == "payable" or _match(product, sl.takes, enc, line, w.part) is not None:
                    continue
                key = _sub_key(r, sl.id, sl.per, claim, enc, line)
                where = f"responsibilities.{r.id}.sub_limits.{sl.id}"
                if sl.measure == "count":
                    # A line counts once, however many of its portions the limit selects.
                    allowed = counted.get((key, id(line)))
                    if allowed is None:
                        allowed = sub_counts.get(key, 0) < sl.count  # type: ignore[operator]
                        counted[(key, id(line))] = allowed
                        if allowed:
                            sub_counts[key] = sub_counts.get(key, 0) + 1
                    if not allowed:
                        w.exclusions.append(Exclusion("count_limit", eligible, where))
                        eligible = ZERO
                else:
                    room = max(sl.limit - sub_used.get(key, ZERO), ZERO)  # type: ignore[operator]
                    if eligible > room:
                        w.exclusions.append(Exclusion("sub_limit", eligible - room, where))
                        eligible = room
                    sub_used[key] = sub_used.get(key, ZERO) + eligible
            w.eligible = eligible
            if eligible:
                chunks.append(w)
        for n, (line, public, parts) in enumerate(per_line, 1):
            line_rows.append((enc, n, line, public, parts))

    # Deductible and bands, in order.
    resp_info: dict[str, dict[str, object]] = {}
    for w in chunks:
        r = w.resp
        assert r is not None
        pool = product.pool_of(r)
        annual, d_clause, d_source = _deductible(product, r, w.facts)
        si, schedule = _first(r.ratio, w.facts)
        info = resp_info.setdefault(r.id, {"deductible_amount": annual, "d_clause": d_clause, "d_source": d_source,
                                           "schedules": {}})
        info["schedules"][si] = schedule  # type: ignore[index]
        left = max(annual - pools.get(pool, ZERO), ZERO)
        d = w.eligible if w.eligible < left else left
        pools[pool] = pools.get(pool, ZERO) + d
        pos = elig_run.get(r.id, ZERO)
        taken = ded_run.get(r.id, ZERO)
        if r.ratio_basis == "eligible":
            lo, hi = pos + d, pos + w.eligible
        else:
            lo = pos - taken
            hi = lo + w.eligible - d
        elig_run[r.id] = pos + w.eligible
        ded_run[r.id] = taken + d
        w.deductible = d
        w.bands = _pieces(schedule, lo, hi)
        w.raw = sum((p.raw for p in w.bands), ZERO)

    # Rounding, once per responsibility.
    rounding = product.rounding
    mode = _MODES[rounding.mode]
    by_resp: dict[str, list[_Work]] = {}
    for w in chunks:
        by_resp.setdefault(w.resp.id, []).append(w)  # type: ignore[union-attr]
    rounded_of: dict[str, tuple[Decimal, Decimal]] = {}
    for rid, works in by_resp.items():
        raw = sum((w.raw for w in works), ZERO)
        rounded = raw.quantize(rounding.step, rounding=mode)
        rounded_of[rid] = (raw, rounded)
        for w, share in zip(works, allocate(rounded, [w.raw for w in works]) if raw else [ZERO] * len(works)):
            w.rounded = share

    # Caps, in order.
    paid_run = {rid: v.paid for rid, v in ytd.responsibilities.items()}
    combined_run = dict(ytd.combined_caps)
    total_run = ytd.total_paid
    sub_pay_run = dict(sub_used)
    for w in chunks:
        r = w.resp
        assert r is not None
        p = w.rounded
        enc, line = w.enc, w.line
        limits: list[tuple[str, Decimal]] = []
        for sl in r.sub_limits:
            if sl.measure == "payable" and _match(product, sl.takes, enc, line, w.part) is None:
                key = _sub_key(r, sl.id, sl.per, claim, enc, line)
                w.sub_keys.append(key)
                limits.append((f"responsibilities.{r.id}.sub_limits.{sl.id}", sl.limit - sub_pay_run.get(key, ZERO)))  # type: ignore[operator]
        if r.cap is not None:
            limits.append((f"responsibilities.{r.id}.cap", r.cap.amount - paid_run.get(r.id, ZERO)))
        for cc in product.combined_caps:
            if r.id in cc.responsibilities and holds(cc.when, w.facts):
                w.combined.append(cc.id)
                limits.append((f"combined_caps.{cc.id}", cc.amount - combined_run.get(cc.id, ZERO)))
        if product.total_cap is not None:
            limits.append(("total_cap", product.total_cap.amount - total_run))
        for clause, room in limits:
            room = max(room, ZERO)
            if p > room:
                w.cuts.append((clause, p - room))
                p = room
        w.payable = p
        for key in w.sub_keys:
            sub_pay_run[key] = sub_pay_run.get(key, ZERO) + p
        paid_run[r.id] = paid_run.get(r.id, ZERO) + p
        for cid in w.combined:
            combined_run[cid] = combined_run.get(cid, ZERO) + p
        total_run += p

    # Indemnity: never more than what is still owed after every other payer.
    limit = max(claim.owed - claim.other_insurance_paid, ZERO)
    payable = sum((w.payable for w in chunks), ZERO)
    excess = payable - limit if payable > limit else ZERO
    indemnity_cut = excess
    for w in reversed(chunks):
        if not excess:
            break
        c = w.payable if w.payable < excess else excess
        if c:
            w.payable -= c
            w.cuts.append(("indemnity", c))
            excess -= c
    payable -= indemnity_cut

    # New year to date, from the final figures.
    resp_ytd = dict(ytd.responsibilities)
    results: list[ResponsibilityResult] = []
    for r in product.responsibilities:
        works = by_resp.get(r.id, [])
        before = ytd.responsibility(r.id)
        info = resp_info.get(r.id)
        if info is None:
            facts = facts_of(insured, encounters[0], product)
            annual = _deductible(product, r, facts)[0]
        else:
            annual = info["deductible_amount"]  # type: ignore[assignment]
        eligible = sum((w.eligible for w in works), ZERO)
        ded = sum((w.deductible for w in works), ZERO)
        paid = sum((w.payable for w in works), ZERO)
        raw, rounded = rounded_of.get(r.id, (ZERO, ZERO))
        cuts: dict[str, Decimal] = {}
        for w in works:
            for clause, c in w.cuts:
                cuts[clause] = cuts.get(clause, ZERO) + c
        result = ResponsibilityResult(
            id=r.id, name_zh=r.name_zh, name_en=r.name_en, bucket=r.bucket, eligible=eligible,
            deductible_amount=annual, deductible_before=ytd.deductible_pools.get(product.pool_of(r), ZERO),
            deductible=ded, bands=_merge(p for w in works for p in w.bands), raw=raw, rounded=rounded,
            cuts=tuple(cuts.items()), payable=paid, eligible_before=before.eligible, paid_before=before.paid,
        )
        results.append(result)
        if works:
            resp_ytd[r.id] = ResponsibilityToDate(eligible=before.eligible + eligible,
                                                  deductible=before.deductible + ded, paid=before.paid + paid)
            _responsibility_steps(steps, product, r, result, info)  # type: ignore[arg-type]
    sub_final = dict(sub_used)
    combined_final = dict(ytd.combined_caps)
    for w in chunks:
        for key in w.sub_keys:
            sub_final[key] = sub_final.get(key, ZERO) + w.payable
        for cid in w.combined:
            combined_final[cid] = combined_final.get(cid, ZERO) + w.payable
    for cid, used in combined_final.items():
        if used != ytd.combined_caps.get(cid, ZERO):
            cc = next(c for c in product.combined_caps if c.id == cid)
            steps.append(Step("combined_cap", cid, f"combined_caps.{cid}", cc.source,
                              {"amount": cc.amount, "used": used}))
    if product.total_cap is not None:
        steps.append(Step("total_cap", "total", "total_cap", product.total_cap.source,
                          {"amount": product.total_cap.amount, "paid_before": ytd.total_paid,
                           "paid_after": ytd.total_paid + payable}))
    steps.append(Step("indemnity", claim.claim_id, "indemnity_source", product.indemnity_source, {
        "owed": claim.owed, "other_insurance_paid": claim.other_insurance_paid, "limit": limit,
        "computed": payable + indemnity_cut, "cut": indemnity_cut}))
    steps.append(Step("payable", claim.claim_id, "", None, {"payable": payable}))
    new_ytd = YearToDate(
        product_id=product.id, insured_id=insured.id, claims=(*ytd.claims, claim.claim_id),
        responsibilities=resp_ytd, deductible_pools=pools, sub_limits=sub_final, sub_limit_counts=sub_counts,
        combined_caps=combined_final, total_paid=ytd.total_paid + payable,
    )
    lines = tuple(
        LineResult(encounter_id=enc.id, number=n, feedetl_sn=line.feedetl_sn, code=line.med_list_codg,
                   name=line.name, amount=line.det_item_fee_sumamt, public_paid=public,
                   portions=tuple(w.freeze() for w in parts))
        for enc, n, line, public, parts in line_rows
    )
    public_paid = sum((e.settlement.public_paid for e in claim.encounters), ZERO)
    return Adjudication(
        claim_id=claim.claim_id, insured_id=insured.id, product_id=product.id, policy_year=product.policy_year,
        service_on=claim.service_on, medical_total=sum((e.settlement.medfee_sumamt for e in claim.encounters), ZERO),
        public_paid=public_paid, owed=claim.owed, other_insurance_paid=claim.other_insurance_paid,
        indemnity_limit=limit, indemnity_cut=indemnity_cut, payable=payable, responsibilities=tuple(results),
        lines=lines, steps=tuple(steps), year_to_date_before=ytd, year_to_date=new_ytd,
    )


def _responsibility_steps(
    steps: list[Step], product: Product, r: Responsibility, res: ResponsibilityResult, info: dict[str, object]
) -> None:
    base = f"responsibilities.{r.id}"
    steps.append(Step("eligible", r.id, f"{base}.takes", None, {"eligible": res.eligible, "before": res.eligible_before}))
    steps.append(Step("deductible", r.id, info["d_clause"], info["d_source"], {  # type: ignore[arg-type]
        "amount": res.deductible_amount, "before": res.deductible_before, "taken": res.deductible,
        "pool": product.pool_of(r)}))
    schedules: dict[int, RatioSchedule] = info["schedules"]  # type: ignore[assignment]
    for si, sched in sorted(schedules.items()):
        steps.append(Step("ratio", r.id, f"{base}.ratio[{si}]", sched.source, {
            "basis": r.ratio_basis, "when": sched.when.model_dump(exclude_none=True),
            "bands": [(b[0], b[1], b[2]) for b in sched.band_list]}))
    steps.append(Step("bands", r.id, f"{base}.ratio", None, {"pieces": res.bands, "raw": res.raw}))
    steps.append(Step("rounding", r.id, "rounding", product.rounding.source, {
        "raw": res.raw, "rounded": res.rounded, "mode": product.rounding.mode, "step": product.rounding.step}))
    for clause, cut in res.cuts:
        source = _source_of(product, clause)
        steps.append(Step("cap", r.id, clause, source, {"cut": cut}))
    steps.append(Step("responsibility_payable", r.id, base, None, {"payable": res.payable}))


def _source_of(product: Product, clause: str) -> str | None:
    if clause == "indemnity":
        return product.indemnity_source
    if clause == "total_cap":
        return product.total_cap.source if product.total_cap else None
    parts = clause.split(".")
    if parts[0] == "combined_caps":
        return next((c.source for c in product.combined_caps if c.id == parts[1]), None)
    r = product.responsibility_by_id.get(parts[1]) if len(parts) > 1 else None
    if r is None:
        return None
    if parts[2] == "cap" and r.cap:
        return r.cap.source
    if parts[2] == "sub_limits":
        return next((s.source for s in r.sub_limits if s.id == parts[3]), None)
    return None


@dataclass(frozen=True)
class YearResult:
    """A person's policy year replayed: the adjudications in service-date order and the
    accumulators after the last."""

    adjudications: tuple[Adjudication, ...]
    year_to_date: YearToDate

    @property
    def payable(self) -> Decimal:
        return sum((a.payable for a in self.adjudications), ZERO)

    def of(self, claim_id: str) -> Adjudication:
        for a in self.adjudications:
            if a.claim_id == claim_id:
                return a
        raise KeyError(claim_id)


def replay(claims: Iterable[Claim], product: Product, year_to_date: YearToDate | None = None) -> YearResult:
    """Adjudicate one person's claims of a policy year in service-date order (then claim id),
    whatever order they are given in, carrying the accumulators from claim to claim.

    Undoing a claim is replaying the year without it.
    """
    ordered = sorted(claims, key=lambda c: (c.service_on, c.claim_id))
    ids = [c.claim_id for c in ordered]
    if len(set(ids)) != len(ids):
        raise AdjudicationError(f"claim ids repeat: {sorted({i for i in ids if ids.count(i) > 1})}")
    people = {c.insured.id for c in ordered}
    if len(people) > 1:
        raise AdjudicationError(f"a replay is one person's year; got insured ids {sorted(people)}")
    ytd = year_to_date
    out = []
    for c in ordered:
        a = adjudicate(c, product, ytd)
        out.append(a)
        ytd = a.year_to_date
    if ytd is None:
        ytd = fresh_year(product)
    return YearResult(tuple(out), ytd)
