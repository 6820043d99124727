"""Adjudication: one claim under one product version, given the year to date.

Pure: no I/O, no clock, no globals; the same inputs give the same result. The order
of work (each step is written down in the result's ``steps``):

1. **Cover.** When the person's cover starts, and any waiting period (:mod:`.coverage`).
2. **Encounters**, in service-date order (then id). An encounter of another policy year,
   before cover or inside a waiting period is excluded whole; a stay past the end of
   cover is pro-rated by days where the product's cross-year rule says so.
3. **Portions.** Each fee line splits into what the public payers settled and the parts
   the person owes (先行自付, in-scope co-pay, 全自费, 超限价). The encounter's in-scope
   co-pay is shared over its lines by their in-scope amounts (largest remainder).
4. **Responsibilities.** Each owed portion goes to the first responsibility with a
   selector that takes it (weighted where the selector says; eligible-amount and count
   sub-limits applied in line order), or is excluded with a reason. Where that depends on
   a list that is not complete, it is held for review (``pending_review``) unless the run
   says to take unknown membership as member or non-member.
5. **Deductible and ratio.** Within an encounter, each responsibility's eligible amount
   (in the product's order of responsibilities) first uses what is left of its deductible
   (pool), then is paid at the rate of the band(s) it falls in on the responsibility's
   yearly axis. Totals therefore do not depend on the order of the fee lines.
6. **Rounding**, once per responsibility per claim, as the product says (default: to the
   fen, half up); the rounded amount is shared back by largest remainder, to encounters
   and then to portions.
7. **Caps**, encounter by encounter in the same order: sub-limits, the responsibility's
   cap, combined caps, the total cap.
8. **Indemnity.** The claim never pays more than the person still owed after public
   payers and what other insurers or charity already paid; any excess is taken off the
   last encounter's last responsibility first.
9. **Caveats.** What the figures rest on that the data does not know for sure: lists that
   are not complete, unverified clauses that an amount depended on, an assumed period,
   lists supplied by the user.

Within one encounter and responsibility, the per-line figures (``Adjudication.lines``)
follow line order: earlier lines use the deductible first, later lines bear cuts first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from huiminbao_rules.rules.classify import Entry, classifier_of
from huiminbao_rules.adjudication.coverage import Cover, Facts, cover_of, facts_of, holds
from huiminbao_rules.core.errors import AdjudicationError
from huiminbao_rules.claims.models import Claim, Encounter, FeeLine, Insured
from huiminbao_rules.core.money import ZERO, allocate, exact, quantize, round_fen
from huiminbao_rules.rules.product import DeductibleVariant, Product, RatioSchedule, Responsibility
from huiminbao_rules.adjudication.result import (
    Adjudication,
    BandPiece,
    Exclusion,
    LineResult,
    PortionResult,
    ResponsibilityResult,
    ResponsibilityToDate,
    Caveat,
    Step,
    YTD_VERSION,
    YearToDate,
    check_year_to_date,
)

__all__ = ["YearResult", "adjudicate", "fresh_year", "replay"]

_PARTS = ("preselfpay", "inscp_copay", "fulamt", "overlmt")


def fresh_year(product: Product, insured_id: str | None = None) -> YearToDate:
    """Empty accumulators for a person's first claim of the policy year."""
    return YearToDate.model_construct(
        version=YTD_VERSION, product_id=product.id, product_hash=product.content_hash, insured_id=insured_id,
        claims=(), encounters={}, responsibilities={},
        deductible_pools={}, sub_limits={}, sub_limit_counts={}, combined_caps={}, total_paid=ZERO,
    )


class _Group:
    """One responsibility's eligible portions within one encounter, adjudicated together."""

    __slots__ = ("enc", "facts", "resp", "r_index", "order", "portions", "eligible", "annual", "d_clause",
                 "d_source", "left", "deductible", "pos", "base", "s_index", "schedule", "pieces", "raw",
                 "rounded", "cuts", "payable", "sub_keys", "combined")

    def __init__(self, enc: Encounter, facts: Facts, resp: Responsibility, r_index: int, order: tuple[int, int]):
        self.enc, self.facts, self.resp, self.r_index, self.order = enc, facts, resp, r_index, order
        self.portions: list[list] = []  # type: ignore[type-arg]
        self.eligible = ZERO
        self.deductible = ZERO
        self.rounded = ZERO
        self.payable = ZERO
        self.raw = ZERO
        self.cuts: list[tuple[str, Decimal]] = []
        self.pieces: list[BandPiece] = []
        self.sub_keys: list[str] = []
        self.combined: list[str] = []


def _check_inputs(claim: Claim, product: Product, ytd: YearToDate) -> None:
    problems = check_year_to_date(ytd, product)
    if problems:
        raise AdjudicationError(f"year_to_date refused: {'; '.join(problems)}", year_to_date=True)
    if ytd.insured_id is not None and ytd.insured_id != claim.insured.id:
        raise AdjudicationError(f"year_to_date belongs to insured {ytd.insured_id!r}, the claim to {claim.insured.id!r}",
                                claims=(claim.claim_id,), year_to_date=True)
    if claim.claim_id in ytd.claims:
        raise AdjudicationError(
            f"claim {claim.claim_id!r} is already counted in year_to_date; to re-adjudicate, replay the year without it",
            claims=(claim.claim_id,), year_to_date=True)
    if ytd.encounters:
        for e in claim.encounters:
            other = ytd.encounters.get(e.identity)
            if other is not None:
                raise AdjudicationError(
                    f"encounter {e.id} of claim {claim.claim_id!r} is the same encounter ({e.identity}) as one claim "
                    f"{other!r} already counted; an encounter is paid once in a person-year",
                    claims=(other, claim.claim_id))


def _encounter_verdict(
    enc: Encounter, product: Product, cover: Cover, insured: Insured
) -> tuple[str | None, str, Decimal | None, dict[str, object]]:
    """(exclusion reason or None, clause, fraction covered or None, values for the step)."""
    period, rule, year = product.period, product.cross_year, product.policy_year
    stay = enc.kind == "inpatient"
    anchor = enc.admitted_on if stay and rule.by_admission else enc.service_on
    info: dict[str, object] = {"anchor": anchor}
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
            where = (f"enrollment.special_cases[{cover.special_index}]" if cover.special is not None
                     else f"enrollment.waiting_periods[{cover.waiting_index}]")
            return "waiting_period", where, None, info
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
                return None, "cross_year", (covered, days), info  # type: ignore[return-value]
    return None, "cross_year" if stay else "period", None, info


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
        amount, source = ref.for_scheme(facts.scheme), ref.source
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


def _group_order(g: _Group) -> tuple[int, int]:
    return (g.r_index, g.order[1]) if isinstance(g.order, tuple) else (g.order, -1)


def _eligible_limits(classifier, r, claim, enc, line, p, eligible, exclusions, sub_used, sub_counts, counted, where_in):  # type: ignore[no-untyped-def]
    """Apply a responsibility's eligible-amount and count sub-limits to one portion."""
    for sl in r.sub_limits:
        if sl.measure == "payable" or not classifier.sub_limits[(r.id, sl.id)].matches(p[0], line, enc):
            continue
        key = _sub_key(r, sl.id, sl.per, claim, enc, line)
        where = f"responsibilities.{r.id}.sub_limits.{sl.id}"
        if sl.measure == "count":
            # A line counts once, however many of its portions the limit selects.
            allowed = counted.get((key, where_in))
            if allowed is None:
                allowed = sub_counts.get(key, 0) < sl.count
                counted[(key, where_in)] = allowed
                if allowed:
                    sub_counts[key] = sub_counts.get(key, 0) + 1
            if not allowed and eligible:
                exclusions = (*exclusions, Exclusion("count_limit", eligible, where))
                eligible = ZERO
        else:
            room = sl.limit - sub_used.get(key, ZERO)
            room = room if room > 0 else ZERO
            if eligible > room:
                exclusions = (*exclusions, Exclusion("sub_limit", eligible - room, where))
                eligible = room
            sub_used[key] = sub_used.get(key, ZERO) + eligible
    return eligible, exclusions


def _single_destination(classifier, enc: Encounter) -> Entry | None:  # type: ignore[no-untyped-def]
    """The one plain selector (no weight, no sub-limits) that takes every line's in-scope
    co-pay in this encounter, if there is one."""
    found = None
    for line in enc.fee_lines:
        if line.inscp_scp_amt:
            entry, _ = classifier.classify("inscp_copay", line, enc)
            if entry is None or entry.weight is not None or entry.limited or entry.payable_limited:
                return None
            if found is None:
                found = entry
            elif entry is not found:
                return None
    return found


def _line_key(line: FeeLine, part: str = "") -> tuple:  # type: ignore[type-arg]
    """What a fee line is, not where it stands: ties in sharing go by this, so totals never
    depend on the order lines are listed in."""
    return (line.med_list_codg, line.name, line.chrgitm_lv, line.med_chrgitm_type, line.det_item_fee_sumamt,
            line.fulamt_ownpay_amt, line.overlmt_amt, line.preselfpay_amt, part)


def _share(total: Decimal, weights: list[Decimal], ties: list | None = None) -> list[Decimal]:  # type: ignore[type-arg]
    """:func:`allocate` with the common cases answered directly."""
    if len(weights) == 1:
        return [total]
    if not total:
        return [ZERO] * len(weights)
    return allocate(total, weights, ties)


@exact
def adjudicate(claim: Claim, product: Product, year_to_date: YearToDate | None = None, *,
               unknown_lists: str = "pend") -> Adjudication:
    """What ``product`` pays on ``claim``, given the person's ``year_to_date`` (fresh if None).

    ``unknown_lists`` says what a line of unknown membership of a list that is not complete
    means: ``pend`` (held for review where membership would change the outcome; the
    default), ``member`` or ``non-member`` (what-if runs). The choice and every list it
    touched are recorded in the result's ``caveats``.

    Returns an :class:`~huiminbao_rules.adjudication.result.Adjudication` with per-responsibility and
    per-line figures, the ordered steps with their clauses and sources, and the new
    year-to-date accumulators. Raises :class:`~huiminbao_rules.core.errors.AdjudicationError`
    when the year-to-date belongs to another product or person, or already counts the claim
    or one of its encounters (by :attr:`~huiminbao_rules.claims.models.Encounter.identity`).
    Computed in the library's own decimal context, whatever the caller's.
    """
    ytd = year_to_date if year_to_date is not None else fresh_year(product, claim.insured.id)
    _check_inputs(claim, product, ytd)
    insured = claim.insured
    try:
        classifier = classifier_of(product, unknown_lists)
    except ValueError as exc:
        raise AdjudicationError(str(exc)) from None
    list_notes: list[tuple[str, int, str, str | None, tuple[str, ...], Decimal | None]] = []
    placed: list[tuple[str, int, str, Entry]] = []
    responsibilities = product.responsibilities
    cover = cover_of(insured, product)

    sub_used = dict(ytd.sub_limits)
    sub_counts = dict(ytd.sub_limit_counts)
    counted: dict[tuple[str, tuple[str, int]], bool] = {}

    encounters = sorted(claim.encounters, key=lambda e: (e.service_on, e.id))
    verdicts = []
    line_rows: list[tuple[Encounter, int, FeeLine, Decimal, list[PortionResult]]] = []
    groups: list[_Group] = []
    deferrals: list[tuple[Decimal, list[list]]] = []  # type: ignore[type-arg]
    for enc in encounters:
        facts = facts_of(insured, enc, product)
        reason, clause, fraction, info = _encounter_verdict(enc, product, cover, insured)
        verdicts.append((enc, facts, reason, clause, fraction, info))
        s = enc.settlement
        fee_lines = enc.fee_lines
        # Public payers paying more than the in-scope amount (possible only where an integration
        # relaxed that identity) leave the person no in-scope co-pay.
        copay_total = s.inscp_scp_amt - s.public_paid
        if copay_total < 0:
            copay_total = ZERO
        # When every line's in-scope co-pay goes to one responsibility, plainly, only the
        # encounter's total matters here; the per-line split waits until lines are read.
        deferred: Entry | None = None
        copays: list[Decimal] | None
        if copay_total == s.inscp_scp_amt:
            copays = [ln.inscp_scp_amt for ln in fee_lines]
        elif reason is None and fraction is None and (deferred := _single_destination(classifier, enc)):
            copays = None
            pending: list[list] = []  # type: ignore[type-arg]
            deferrals.append((copay_total, pending))
        else:
            copays = _share(copay_total, [ln.inscp_scp_amt for ln in fee_lines], [_line_key(ln) for ln in fee_lines])
        # A portion while it is worked on: [part, amount, responsibility id, eligible, exclusions];
        # a deferred co-pay has amount None until lines are read.
        flat: list[tuple[FeeLine, list, int]] = []  # type: ignore[type-arg]
        n = 0
        for i, line in enumerate(fee_lines):
            n += 1
            parts = []
            if line.preselfpay_amt:
                parts.append(["preselfpay", line.preselfpay_amt, None, ZERO, ()])
            if copays is None:
                copay = None
                if line.inscp_scp_amt:
                    record = ["inscp_copay", None, deferred.resp.id, None, ()]  # type: ignore[union-attr]
                    parts.append(record)
                    pending.append([line, record, parts])
            else:
                copay = copays[i]
                if copay:
                    parts.append(["inscp_copay", copay, None, ZERO, ()])
            if line.fulamt_ownpay_amt:
                parts.append(["fulamt", line.fulamt_ownpay_amt, None, ZERO, ()])
            if line.overlmt_amt:
                parts.append(["overlmt", line.overlmt_amt, None, ZERO, ()])
            for p in parts:
                flat.append((line, p, n))
            line_rows.append([enc, n, line, None if copay is None else line.inscp_scp_amt - copay, parts])
        if reason is not None:
            for _, p, _ in flat:
                p[4] = (Exclusion(reason, p[1], clause),)
            continue
        if fraction is not None:
            amounts = [p[1] for _, p, _ in flat]
            covered, days = fraction  # type: ignore[misc]
            covered_all = allocate(round_fen(sum(amounts, ZERO) * covered / days), amounts,
                                   [_line_key(line, p[0]) for line, p, _ in flat])
        else:
            covered_all = None
        here: dict[object, _Group] = {}
        classify = classifier.classify_full
        for k, (line, p, line_no) in enumerate(flat):
            if p[1] is None:
                order = deferred.r_index  # type: ignore[union-attr]
                g = here.get(order)
                if g is None:
                    g = here[order] = _Group(enc, facts, deferred.resp, order, order)  # type: ignore[union-attr,arg-type]
                g.portions.append(p)
                continue
            covered = p[1]
            exclusions: tuple[Exclusion, ...] = ()
            if covered_all is not None:
                covered = covered_all[k]
                if covered < p[1]:
                    exclusions = (Exclusion("beyond_cover_end", p[1] - covered, "cross_year"),)
                if not covered:
                    p[4] = exclusions
                    continue
            entry, miss, unknown = classify(p[0], line, enc)
            if unknown:
                list_notes.append((enc.id, line_no, p[0], entry.resp.id if entry is not None else  # type: ignore[union-attr]
                                   (miss[2] if len(miss) > 2 else None), unknown,  # type: ignore[misc]
                                   covered if entry is None and miss[0] == "pending_review" else None))
            if entry is None:
                p[4] = (*exclusions, Exclusion(miss[0], covered, miss[1]))
                if miss[1].startswith("lists."):
                    placed.append((enc.id, line_no, p[0], miss[1][6:], unknown))  # type: ignore[arg-type]
                continue
            if not entry.plain:
                placed.append((enc.id, line_no, p[0], entry, unknown))  # type: ignore[arg-type]
            r = entry.resp
            p[2] = r.id  # type: ignore[union-attr]
            weight = entry.weight
            if weight is None:
                eligible = covered
            else:
                eligible = round_fen(covered * weight)
                if eligible < covered:
                    exclusions = (*exclusions, Exclusion("weighted_out", covered - eligible,
                                                         f"responsibilities.{r.id}.takes[{entry.s_index}]"))  # type: ignore[union-attr]
            if entry.limited:
                eligible, exclusions = _eligible_limits(
                    classifier, r, claim, enc, line, p, eligible, exclusions, sub_used, sub_counts, counted,
                    (enc.id, line_no))  # type: ignore[arg-type]
            p[3] = eligible
            p[4] = exclusions
            if not eligible:
                continue
            # A responsibility with payable sub-limits is capped portion by portion.
            order = (entry.r_index, k) if entry.payable_limited else entry.r_index
            g = here.get(order)
            if g is None:
                g = here[order] = _Group(enc, facts, r, entry.r_index, order)  # type: ignore[arg-type]
                if entry.payable_limited:
                    g.sub_keys = [
                        _sub_key(r, sl.id, sl.per, claim, enc, line) if sl.measure == "payable"  # type: ignore[arg-type]
                        and classifier.sub_limits[(r.id, sl.id)].matches(p[0], line, enc) else ""  # type: ignore[union-attr]
                        for sl in r.sub_limits  # type: ignore[union-attr]
                    ]
            g.portions.append(p)
            g.eligible += eligible
        if deferred is not None:
            here[deferred.r_index].eligible += copay_total
        groups.extend(sorted(here.values(), key=_group_order))

    # Deductible and bands, group by group.
    pools = dict(ytd.deductible_pools)
    run: dict[str, list[Decimal]] = {rid: [v.eligible, v.deductible] for rid, v in ytd.responsibilities.items()}
    choice: dict[tuple[int, Facts], tuple[Decimal, str, str, int, RatioSchedule]] = {}
    for g in groups:
        r = g.resp
        key = (g.r_index, g.facts)
        c = choice.get(key)
        if c is None:
            annual, d_clause, d_source = _deductible(product, r, g.facts)
            s_index, schedule = _first(r.ratio, g.facts)
            c = choice[key] = (annual, d_clause, d_source, s_index, schedule)
        g.annual, g.d_clause, g.d_source, g.s_index, g.schedule = c
        pool = r.deductible_pool or r.id
        used = pools.get(pool, ZERO)
        left = g.annual - used if g.annual > used else ZERO
        d = g.eligible if g.eligible < left else left
        pools[pool] = used + d
        acc = run.get(r.id)
        if acc is None:
            acc = run[r.id] = [ZERO, ZERO]
        g.left, g.pos, g.base = left, acc[0], acc[0] - acc[1]
        if r.ratio_basis == "eligible":
            lo, hi = acc[0] + d, acc[0] + g.eligible
        else:
            lo = g.base
            hi = lo + g.eligible - d
        acc[0] += g.eligible
        acc[1] += d
        g.deductible = d
        g.pieces = _pieces(g.schedule, lo, hi)
        raw = ZERO
        for piece in g.pieces:
            raw += piece.raw
        g.raw = raw

    # Rounding, once per responsibility.
    rounding = product.rounding
    by_resp: dict[str, list[_Group]] = {}
    for g in groups:
        by_resp.setdefault(g.resp.id, []).append(g)
    rounded_of: dict[str, tuple[Decimal, Decimal]] = {}
    for rid, gs in by_resp.items():
        raw = sum((g.raw for g in gs), ZERO)
        rounded = quantize(raw, rounding.step, rounding.mode)
        rounded_of[rid] = (raw, rounded)
        shares = [rounded] if len(gs) == 1 else (allocate(rounded, [g.raw for g in gs]) if raw else [ZERO] * len(gs))
        for g, share in zip(gs, shares):
            g.rounded = share

    # Caps, in order.
    paid_run = {rid: v.paid for rid, v in ytd.responsibilities.items()}
    combined_run = dict(ytd.combined_caps)
    sub_pay = dict(sub_used)
    total_run = ytd.total_paid
    total_cap = product.total_cap
    for g in groups:
        r = g.resp
        p = g.rounded
        limits: list[tuple[str, Decimal]] = []
        if g.sub_keys:
            for sl, key in zip(r.sub_limits, g.sub_keys):
                if key:
                    limits.append((f"responsibilities.{r.id}.sub_limits.{sl.id}", sl.limit - sub_pay.get(key, ZERO)))  # type: ignore[operator]
        if r.cap is not None:
            limits.append((f"responsibilities.{r.id}.cap", r.cap.amount - paid_run.get(r.id, ZERO)))
        for cc in product.combined_caps:
            if r.id in cc.responsibilities and holds(cc.when, g.facts):
                g.combined.append(cc.id)
                limits.append((f"combined_caps.{cc.id}", cc.amount - combined_run.get(cc.id, ZERO)))
        if total_cap is not None:
            limits.append(("total_cap", total_cap.amount - total_run))
        for clause, room in limits:
            if room < 0:
                room = ZERO
            if p > room:
                g.cuts.append((clause, p - room))
                p = room
        g.payable = p
        for key in g.sub_keys:
            if key:
                sub_pay[key] = sub_pay.get(key, ZERO) + p
        paid_run[r.id] = paid_run.get(r.id, ZERO) + p
        for cid in g.combined:
            combined_run[cid] = combined_run.get(cid, ZERO) + p
        total_run += p

    # Indemnity: never more than what is still owed after every other payer.
    limit = claim.owed - claim.other_insurance_paid
    if limit < 0:
        limit = ZERO
    payable = sum((g.payable for g in groups), ZERO)
    excess = payable - limit if payable > limit else ZERO
    indemnity_cut = excess
    for g in reversed(groups):
        if not excess:
            break
        c = g.payable if g.payable < excess else excess
        if c:
            g.payable -= c
            g.cuts.append(("indemnity", c))
            excess -= c
    payable -= indemnity_cut

    # Results and the new year to date, from the final figures.
    resp_ytd = dict(ytd.responsibilities)
    results: list[ResponsibilityResult] = []
    first_facts = verdicts[0][1]
    for ri, r in enumerate(responsibilities):
        gs = by_resp.get(r.id, ())
        before = ytd.responsibilities.get(r.id) or _EMPTY
        if gs:
            annual = gs[0].annual
            eligible = ded = paid = ZERO
            cuts: dict[str, Decimal] = {}
            pieces: list[BandPiece] = []
            for g in gs:
                eligible += g.eligible
                ded += g.deductible
                paid += g.payable
                pieces.extend(g.pieces)
                for clause, c in g.cuts:
                    cuts[clause] = cuts.get(clause, ZERO) + c
            raw, rounded = rounded_of[r.id]
            resp_ytd[r.id] = ResponsibilityToDate.model_construct(
                eligible=before.eligible + eligible, deductible=before.deductible + ded, paid=before.paid + paid)
            results.append(ResponsibilityResult(
                id=r.id, name_zh=r.name_zh, name_en=r.name_en, bucket=r.bucket, eligible=eligible,
                deductible_amount=annual, deductible_before=ytd.deductible_pools.get(r.deductible_pool or r.id, ZERO),
                deductible=ded, bands=_merge(pieces), raw=raw, rounded=rounded, cuts=tuple(cuts.items()),
                payable=paid, eligible_before=before.eligible, paid_before=before.paid))
        else:
            key = (ri, first_facts)
            annual = choice[key][0] if key in choice else _deductible(product, r, first_facts)[0]
            results.append(ResponsibilityResult(
                id=r.id, name_zh=r.name_zh, name_en=r.name_en, bucket=r.bucket, eligible=ZERO,
                deductible_amount=annual, deductible_before=ytd.deductible_pools.get(r.deductible_pool or r.id, ZERO),
                deductible=ZERO, bands=(), raw=ZERO, rounded=ZERO, cuts=(), payable=ZERO,
                eligible_before=before.eligible, paid_before=before.paid))
    sub_final = dict(sub_used)
    combined_final = dict(ytd.combined_caps)
    for g in groups:
        for key in g.sub_keys:
            if key:
                sub_final[key] = sub_final.get(key, ZERO) + g.payable
        for cid in g.combined:
            combined_final[cid] = combined_final.get(cid, ZERO) + g.payable
    new_ytd = YearToDate.model_construct(
        version=YTD_VERSION, product_id=product.id, product_hash=product.content_hash, insured_id=insured.id,
        claims=(*ytd.claims, claim.claim_id),
        encounters={**ytd.encounters, **{e.identity: claim.claim_id for e in claim.encounters}},
        responsibilities=resp_ytd, deductible_pools=pools, sub_limits=sub_final, sub_limit_counts=sub_counts,
        combined_caps=combined_final, total_paid=ytd.total_paid + payable,
    )
    medical_total = public_paid = ZERO
    for e in claim.encounters:
        medical_total += e.settlement.medfee_sumamt
        public_paid += e.settlement.public_paid
    detail = _Detail(product, claim, cover, verdicts, line_rows, groups, limit, indemnity_cut, deferrals)
    detail.pended = [n for n in list_notes if n[5] is not None]
    pending = sum((n[5] for n in list_notes if n[5] is not None), ZERO)
    caveats = _caveats(product, claim, unknown_lists, verdicts, groups, list_notes, placed, line_rows)
    return Adjudication(
        claim_id=claim.claim_id, insured_id=insured.id, product_id=product.id, policy_year=product.policy_year,
        service_on=claim.service_on, medical_total=medical_total, public_paid=public_paid, owed=claim.owed,
        other_insurance_paid=claim.other_insurance_paid, indemnity_limit=limit, indemnity_cut=indemnity_cut,
        payable=payable, responsibilities=tuple(results), year_to_date_before=ytd, year_to_date=new_ytd,
        detail=detail, pending_amount=pending, caveats=caveats, unknown_lists=unknown_lists,
    )


_EMPTY = ResponsibilityToDate()


def _merge(pieces: Iterable[BandPiece]) -> tuple[BandPiece, ...]:
    out: list[BandPiece] = []
    for p in sorted(pieces, key=lambda p: p.start):
        if out and out[-1].end == p.start and out[-1].rate == p.rate:
            q = out[-1]
            out[-1] = BandPiece(q.start, p.end, p.rate, q.raw + p.raw)
        else:
            out.append(p)
    return tuple(out)


class _Detail:
    """What :class:`Adjudication` needs to work out its lines and steps when first asked."""

    __slots__ = ("product", "claim", "cover", "verdicts", "line_rows", "groups", "limit", "indemnity_cut",
                 "deferrals", "pended")

    def __init__(self, product, claim, cover, verdicts, line_rows, groups, limit, indemnity_cut, deferrals):  # type: ignore[no-untyped-def]
        self.product, self.claim, self.cover, self.verdicts = product, claim, cover, verdicts
        self.line_rows, self.groups, self.limit, self.indemnity_cut = line_rows, groups, limit, indemnity_cut
        self.deferrals = deferrals
        self.pended: list = []  # type: ignore[type-arg]

    def _settle_deferred(self) -> None:
        """Share each deferred encounter co-pay over its lines (largest remainder)."""
        for total, pending in self.deferrals:
            shares = allocate(total, [line.inscp_scp_amt for line, _, _ in pending],
                              [_line_key(line) for line, _, _ in pending])
            for (line, record, parts), share in zip(pending, shares):
                record[1] = record[3] = share
                if not share:
                    parts.remove(record)
        self.deferrals = []
        for row in self.line_rows:
            if row[3] is None:
                copay = next((p[1] for p in row[4] if p[0] == "inscp_copay"), ZERO)
                row[3] = row[2].inscp_scp_amt - copay
        for g in self.groups:
            g.portions = [p for p in g.portions if p[1]]

    @exact
    def lines(self) -> tuple[LineResult, ...]:
        self._settle_deferred()
        made: dict[int, PortionResult] = {}
        for *_, parts in self.line_rows:
            for p in parts:
                r = made[id(p)] = PortionResult(p[0], p[1])
                r.responsibility, r.eligible, r.exclusions = p[2], p[3], p[4]
        for g in self.groups:
            _walk(g, [made[id(p)] for p in g.portions])
        return tuple(
            LineResult(encounter_id=enc.id, number=n, feedetl_sn=line.feedetl_sn, code=line.med_list_codg,
                       name=line.name, amount=line.det_item_fee_sumamt, public_paid=public,
                       portions=tuple(made[id(p)] for p in parts))
            for enc, n, line, public, parts in self.line_rows
        )

    @exact
    def steps(self, adj: Adjudication) -> tuple[Step, ...]:
        return tuple(_steps(self, adj))


def _walk(g: _Group, ps: list[PortionResult]) -> None:
    """Work out the group's figures per portion, in line order (see the module docstring)."""
    left, pos, base = g.left, g.pos, g.base
    basis = g.resp.ratio_basis
    for p in ps:
        e = p.eligible
        d = e if e < left else left
        left -= d
        if basis == "eligible":
            lo, hi = pos + d, pos + e
        else:
            lo, hi = base, base + e - d
        pos += e
        base += e - d
        p.deductible = d
        p.bands = tuple(_pieces(g.schedule, lo, hi))
        p.raw = sum((b.raw for b in p.bands), ZERO)
    shares = _share(g.rounded, [p.raw for p in ps]) if any(p.raw for p in ps) else [ZERO] * len(ps)
    for p, share in zip(ps, shares):
        p.rounded = share
        p.payable = share
    queue = list(g.cuts)
    for p in reversed(ps):
        cuts = []
        while queue and p.payable:
            clause, amount = queue[0]
            c = amount if amount < p.payable else p.payable
            cuts.append((clause, c))
            p.payable -= c
            if c == amount:
                queue.pop(0)
            else:
                queue[0] = (clause, amount - c)
        p.cuts = tuple(cuts)


def _steps(detail: _Detail, adj: Adjudication) -> list[Step]:
    product, claim, cover = detail.product, detail.claim, detail.cover
    steps = [Step("cover", claim.insured.id, "enrollment", product.enrollment.cover_start_source, {
        "enrolled_on": claim.insured.enrolled_on, "start": cover.start, "late": cover.late,
        "days_after": product.enrollment.cover_starts_days_after_enrollment})]
    if cover.special is not None:
        steps.append(Step("special_case", claim.insured.id, f"enrollment.special_cases[{cover.special_index}]",
                          cover.special.source, {"group": cover.special.group, "waiting_days": cover.special.waiting_days,
                                                 "until": cover.waiting_until}))
    elif cover.waiting is not None:
        steps.append(Step("waiting", claim.insured.id, f"enrollment.waiting_periods[{cover.waiting_index}]",
                          cover.waiting.source, {"applies_to": cover.waiting.applies_to, "days": cover.waiting.days,  # type: ignore[union-attr]
                                                 "until": cover.waiting_until}))
    for enc, facts, reason, clause, fraction, info in detail.verdicts:
        if clause == "cross_year":
            source = product.cross_year.source
        elif reason == "waiting_period" and cover.waiting is not None:
            source = cover.waiting.source
        elif reason == "before_coverage_start":
            source = product.enrollment.cover_start_source
        else:
            source = None
        steps.append(Step("encounter", enc.id, clause, source, {
            "kind": enc.kind, "service_on": enc.service_on, "excluded": reason,
            "fraction": None if fraction is None else Decimal(fraction[0]) / Decimal(fraction[1]), **info}))
        s = enc.settlement
        steps.append(Step("public_share", enc.id, "identities", None, {
            "inscp_scp_amt": s.inscp_scp_amt, "public_paid": s.public_paid,
            "copay": s.inscp_scp_amt - s.public_paid, "preselfpay_amt": s.preselfpay_amt,
            "fulamt_ownpay_amt": s.fulamt_ownpay_amt, "overlmt_selfpay": s.overlmt_selfpay}))
        if product.pre_existing.basis != "none":
            steps.append(Step("pre_existing", enc.id, "pre_existing", product.pre_existing.source,
                              {"basis": product.pre_existing.basis, "applies": facts.pre_existing}))
    for enc_id, n, part, resp, lists, amount in detail.pended:
        steps.append(Step("pending", f"{enc_id}#{n}", f"lists.{lists[0]}", product.lists[lists[0]].source, {
            "part": part, "amount": amount, "lists": list(lists), "responsibility": resp,
            "unknown_lists": adj.unknown_lists}))
    for res in adj.responsibilities:
        gs = [g for g in detail.groups if g.resp.id == res.id]
        if not gs:
            continue
        r = gs[0].resp
        base = f"responsibilities.{r.id}"
        steps.append(Step("eligible", r.id, f"{base}.takes", None,
                          {"eligible": res.eligible, "before": res.eligible_before}))
        steps.append(Step("deductible", r.id, gs[0].d_clause, gs[0].d_source, {
            "amount": res.deductible_amount, "before": res.deductible_before, "taken": res.deductible,
            "pool": r.deductible_pool or r.id}))
        for s_index, sched in sorted({g.s_index: g.schedule for g in gs}.items()):
            steps.append(Step("ratio", r.id, f"{base}.ratio[{s_index}]", sched.source, {
                "basis": r.ratio_basis, "when": sched.when.model_dump(exclude_none=True),
                "bands": [list(b) for b in sched.band_list]}))
        steps.append(Step("bands", r.id, f"{base}.ratio", None, {"pieces": list(res.bands), "raw": res.raw}))
        steps.append(Step("rounding", r.id, "rounding", product.rounding.source, {
            "raw": res.raw, "rounded": res.rounded, "mode": product.rounding.mode, "step": product.rounding.step}))
        for clause, cut in res.cuts:
            steps.append(Step("cap", r.id, clause, _source_of(product, clause), {"cut": cut}))
        steps.append(Step("responsibility_payable", r.id, base, None, {"payable": res.payable}))
    before = adj.year_to_date_before.combined_caps
    for cc in product.combined_caps:
        used = adj.year_to_date.combined_caps.get(cc.id, ZERO)
        if used != before.get(cc.id, ZERO):
            steps.append(Step("combined_cap", cc.id, f"combined_caps.{cc.id}", cc.source,
                              {"amount": cc.amount, "used": used}))
    if product.total_cap is not None:
        steps.append(Step("total_cap", "total", "total_cap", product.total_cap.source, {
            "amount": product.total_cap.amount, "paid_before": adj.year_to_date_before.total_paid,
            "paid_after": adj.year_to_date.total_paid}))
    steps.append(Step("indemnity", claim.claim_id, "indemnity", product.indemnity_source, {
        "owed": claim.owed, "other_insurance_paid": claim.other_insurance_paid, "limit": detail.limit,
        "computed": adj.payable + detail.indemnity_cut, "cut": detail.indemnity_cut}))
    steps.append(Step("payable", claim.claim_id, "", None, {"payable": adj.payable}))
    return steps


def _source_of(product: Product, clause: str) -> str | None:
    if clause == "indemnity":
        return product.indemnity_source
    if clause == "total_cap":
        return product.total_cap.source if product.total_cap else None
    parts = clause.split(".")
    if parts[0] == "combined_caps":
        return next((c.source for c in product.combined_caps if c.id == parts[1]), None)
    r = product.responsibility_by_id.get(parts[1]) if len(parts) > 2 else None
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
    @exact
    def payable(self) -> Decimal:
        return sum((a.payable for a in self.adjudications), ZERO)

    @property
    def pending_amount(self) -> Decimal:
        return sum((a.pending_amount for a in self.adjudications), ZERO)

    def of(self, claim_id: str) -> Adjudication:
        for a in self.adjudications:
            if a.claim_id == claim_id:
                return a
        raise KeyError(claim_id)


@exact
def replay(claims: Iterable[Claim], product: Product, year_to_date: YearToDate | None = None, *,
           unknown_lists: str = "pend") -> YearResult:
    """Adjudicate one person's claims of a policy year in service-date order (then claim id),
    whatever order they are given in, carrying the accumulators from claim to claim.
    ``unknown_lists`` as for :func:`adjudicate`.

    Undoing a claim is replaying the year without it.
    """
    ordered = sorted(claims, key=lambda c: (c.service_on, c.claim_id))
    ids = [c.claim_id for c in ordered]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise AdjudicationError(f"claim ids repeat: {', '.join(dup)}; a claim is adjudicated once", claims=dup)
    people: dict[str, str] = {}
    for c in ordered:
        people.setdefault(c.insured.id, c.claim_id)
    if len(people) > 1:
        raise AdjudicationError(
            f"a replay is one person's year; got insured ids {', '.join(sorted(people))} "
            f"(claims {', '.join(people[p] for p in sorted(people))})", claims=[people[p] for p in sorted(people)])
    ytd = year_to_date
    out = []
    for c in ordered:
        a = adjudicate(c, product, ytd, unknown_lists=unknown_lists)
        out.append(a)
        ytd = a.year_to_date
    if ytd is None:
        ytd = fresh_year(product)
    return YearResult(tuple(out), ytd)


_COMPLETENESS = {"partial": ("部分已知", "partly known"), "unknown": ("成员未知", "members unknown"),
                 "complete": ("完整", "complete")}


def _caveats(product: Product, claim: Claim, unknown_lists: str, verdicts, groups: list[_Group],  # type: ignore[no-untyped-def]
             list_notes, placed, line_rows) -> tuple[Caveat, ...]:
    """What the result rests on that the data does not know for sure (see ``docs/result-json.md``)."""
    out: list[Caveat] = []
    seen: set[tuple] = set()  # type: ignore[type-arg]

    def add(c: Caveat) -> None:
        key = (c.code, c.responsibility, c.line, c.list, c.clause)
        if key not in seen:
            seen.add(key)
            out.append(c)

    if product.period.assumed:
        p = product.period
        add(Caveat("assumed_period",
                   f"the cover period {p.start} to {p.end} is assumed, not stated by a source"
                   + (f": {p.note}" if p.note else ""),
                   f"保障期间 {p.start} 至 {p.end} 系推定, 无来源明确载明", clause="period"))
    # Lists of unknown membership, line by line (portions of one line merged).
    merged: dict[tuple[str, int, str], list] = {}  # type: ignore[type-arg]
    for enc_id, n, part, resp, lists, pend in list_notes:
        for lid in lists:
            m = merged.setdefault((enc_id, n, lid), [resp, ZERO, False])
            if pend is not None:
                m[1] += pend
                m[2] = True
            elif resp is not None:
                m[0] = resp
    for (enc_id, n, lid), (resp, amount, pended) in merged.items():
        lst = product.lists[lid]
        zh_c, en_c = _COMPLETENESS[lst.completeness]
        where = f"{enc_id}#{n}"
        if pended:
            msg = (f"held for review (pending): whether line {where} is on the list {lst.name_en or lst.name_zh} "
                   f"({lid}, {en_c}) decides which responsibility pays it, if any; {amount:,.2f} held")
            zh = (f"待人工审核: 费用明细 {where} 是否属于「{lst.name_zh}」({zh_c}) 决定由哪项责任赔付, "
                  f"暂缓 {amount:,.2f} 元")
        else:
            taken = "a member" if unknown_lists == "member" else "not a member"
            msg = (f"line {where} is not found on the list {lst.name_en or lst.name_zh} ({lid}, {en_c}); for this "
                   f"run it is taken as {taken} (unknown_lists={unknown_lists})")
            zh = (f"费用明细 {where} 未见于「{lst.name_zh}」({zh_c}); 本次按"
                  f"{'属于' if unknown_lists == 'member' else '不属于'}该清单计算 (unknown_lists={unknown_lists})")
        add(Caveat("list_unknown", msg, zh, responsibility=resp, line=where, list=lid, clause=f"lists.{lid}",
                   amount=amount if pended else None))
    # Lists that decided a placement: unverified members, lists supplied by the user.
    for enc_id, n, _part, what, assumed in placed:
        # lists whose membership was assumed (not found) are the list_unknown caveats' business
        ids = [what] if isinstance(what, str) else [x for x in (what.pos_id, what.neg_id, what.inst_id)
                                                    if x and x not in assumed]
        resp = None if isinstance(what, str) else what.resp.id
        for lid in ids:
            lst = product.lists[lid]
            if lst.supplied_by_user:
                add(Caveat("user_list",
                           f"the list {lid} supplied by the user ({lst.user_file}, sha256 {lst.user_sha256}) "
                           f"decided where line {enc_id}#{n} goes",
                           f"用户提供的清单「{lst.name_zh}」({lst.user_file}, sha256 {lst.user_sha256}) "
                           f"决定了费用明细 {enc_id}#{n} 的归属",
                           responsibility=resp, line=f"{enc_id}#{n}", list=lid, clause=f"lists.{lid}",
                           sha256=lst.user_sha256))
            elif not lst.verified and not isinstance(what, str) and lid != what.neg_id:
                add(Caveat("unverified_term",
                           f"line {enc_id}#{n} is placed by the list {lid}, whose members are not verified",
                           f"费用明细 {enc_id}#{n} 依据未经核实的清单「{lst.name_zh}」归属",
                           responsibility=resp, line=f"{enc_id}#{n}", list=lid, clause=f"lists.{lid}"))
    # Terms an amount depended on.
    for g in groups:
        if not g.eligible:
            continue
        r = g.resp
        i, v = _first(product.deductible_variants(r), g.facts)
        ref = product.references.get(v.reference) if v.reference else None  # type: ignore[attr-defined]
        if not v.verified or (ref is not None and not ref.verified):
            add(_unverified(r.id, g.d_clause, "deductible", "免赔额", v.note or (ref.note if ref else "")))
        if not g.schedule.verified:
            add(_unverified(r.id, f"responsibilities.{r.id}.ratio[{g.s_index}]", "ratio", "赔付比例",
                            g.schedule.note))
        for clause, cut in g.cuts:
            if not cut or clause == "indemnity":
                continue
            cited = _cited_at(product, clause)
            if cited is not None and not cited.verified:
                add(_unverified(r.id, clause, "limit", "限额", cited.note))
    for _enc, _n, _line, _public, parts in line_rows:
        for part in parts:
            for e in part[4]:
                if e.reason in ("sub_limit", "count_limit"):
                    cited = _cited_at(product, e.clause)
                    if cited is not None and not cited.verified:
                        add(_unverified(e.clause.split(".")[1], e.clause, "limit", "限额", cited.note))
    if claim.insured.pre_existing and not product.pre_existing.verified and any(g.eligible for g in groups):
        add(_unverified(None, "pre_existing", "pre-existing rule", "既往症规则", product.pre_existing.note))
    period = product.period
    for enc, *_ in verdicts:
        if enc.kind == "inpatient" and (enc.admitted_on < period.start or enc.discharged_on > period.end) \
                and not product.cross_year.verified:
            add(_unverified(None, "cross_year", "cross-year rule", "跨年度住院规则", product.cross_year.note))
    return tuple(out)


def _unverified(resp: str | None, clause: str, what: str, what_zh: str, note: str) -> Caveat:
    return Caveat("unverified_term",
                  f"the {what} at {clause} is not verified against a source" + (f" ({note})" if note else ""),
                  f"{what_zh} ({clause}) 未经来源核实", responsibility=resp, clause=clause)


def _cited_at(product: Product, clause: str):  # type: ignore[no-untyped-def]
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
