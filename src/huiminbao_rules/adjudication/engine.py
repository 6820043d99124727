"""Adjudication: one claim under one product version, given the year to date.

Pure: no I/O, no clock, no globals; the same inputs give the same result. This module
is the definition of the rules: :func:`adjudicate` runs the stages below in order, each
a small function, and every money rule is one of the benefits kernel's
(:mod:`.kernel`, in integer fen). The order of work (each step is written down in the
result's ``steps``; ``docs/computation.md`` explains each):

1. **Cover.** When the person's cover starts, and any waiting period (:mod:`.coverage`,
   from what the person's history means: :func:`~huiminbao_rules.claims.history.history_of`).
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
They and the ``steps`` are made from the finished figures when first read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from decimal import Decimal
from typing import NamedTuple

from huiminbao_rules.adjudication import caveats, kernel
from huiminbao_rules.adjudication.caveats import cited_at as _cited_at
from huiminbao_rules.adjudication.coverage import Cover, Facts, cover_for, facts_for, holds
from huiminbao_rules.adjudication.terms import deductible_for, first_holding
from huiminbao_rules.adjudication.result import (
    YTD_VERSION,
    Adjudication,
    BandPiece,
    Caveat,
    Exclusion,
    LineFigures,
    PortionFigures,
    ResponsibilityResult,
    ResponsibilityToDate,
    Step,
    YearToDate,
    check_year_to_date,
    trusted_model,
)
from huiminbao_rules.claims.history import History, history_of
from huiminbao_rules.claims.models import Claim, Encounter, FeeLine
from huiminbao_rules.core.errors import AdjudicationError
from huiminbao_rules.core.money import ZERO, exact, from_fen, quantize, to_fen
from huiminbao_rules.rules.classify import Classifier, Entry, classifier_of
from huiminbao_rules.rules.product import (
    CombinedCap,
    Product,
    RatioSchedule,
    Responsibility,
    SubLimit,
    WaitingPeriod,
)

__all__ = ["YearResult", "adjudicate", "fresh_year", "replay"]

def fresh_year(product: Product, insured_id: str | None = None) -> YearToDate:
    """Empty accumulators for a person's first claim of the policy year."""
    return trusted_model(
        YearToDate, version=YTD_VERSION, product_id=product.id, product_hash=product.content_hash,
        insured_id=insured_id,
        claims=(), encounters={}, responsibilities={},
        deductible_pools={}, sub_limits={}, sub_limit_counts={}, combined_caps={}, total_paid=ZERO,
    )


# ---- what the stages pass on (money in integer fen) ------------------------------------


class Verdict(NamedTuple):
    """Stage 2: an encounter, the facts its conditions are judged on, and whether it is
    covered: the exclusion ``reason`` (None: covered), the ``clause`` that decides, the
    part of a stay covered as ``(covered days, days)`` (None: all of it) and the values
    its step shows."""

    encounter: Encounter
    facts: Facts
    reason: str | None
    clause: str
    fraction: tuple[int, int] | None
    info: dict[str, object]


class Portion(NamedTuple):
    """Stages 3-4: one owed part of a fee line, where it went and what of it is eligible."""

    part: str
    amount: int
    responsibility: str | None
    eligible: int
    exclusions: tuple[Exclusion, ...]


class Line(NamedTuple):
    """A fee line of an encounter (``number`` counts from 1) and its owed portions
    (indexes into the claim's list of portions); ``copay`` its share of the co-pay."""

    encounter: Encounter
    number: int
    line: FeeLine
    copay: int
    portions: tuple[int, ...]


class Group(NamedTuple):
    """One responsibility's eligible portions within one encounter, adjudicated together
    (a responsibility with payable sub-limits: one portion per group). ``limits``: the
    payable sub-limits the group counts against, as (clause, limit, accumulator key)."""

    encounter: Encounter
    facts: Facts
    resp: Responsibility
    r_index: int
    portions: tuple[int, ...]
    eligible: int
    limits: tuple[tuple[str, int, str], ...]


class ListNote(NamedTuple):
    """A portion whose placement met a list of unknown membership (``pending``: the amount
    held for review, or None when the run assumed membership)."""

    encounter_id: str
    number: int
    part: str
    responsibility: str | None
    lists: tuple[str, ...]
    pending: Decimal | None


class Placement(NamedTuple):
    """A portion placed (or refused) by a list: the entry that took it, or the id of the
    list that refused it, and the lists whose membership was assumed."""

    encounter_id: str
    number: int
    part: str
    by: Entry | str
    assumed: tuple[str, ...]


class Choice(NamedTuple):
    """Stage 5: the deductible and ratio schedule a responsibility uses for some facts
    (``amount`` the annual deductible as the product states it, ``annual`` in fen)."""

    amount: Decimal
    annual: int
    clause: str
    source: str | None
    s_index: int
    schedule: RatioSchedule
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    rates: tuple[int, ...]


class Banded(NamedTuple):
    """Stage 5 for one group: what was left of the deductible, the year's eligible and
    deductible before the group, the deductible it took, its band pieces and raw amount
    (fen × 10,000)."""

    choice: Choice
    left: int
    position: int
    taken: int
    deductible: int
    pieces: tuple[BandPiece, ...]
    raw: int


class Paid(NamedTuple):
    """Stages 6-8 for one group: its share of the rounded amount, the cuts (clause, fen)
    and what it pays."""

    rounded: int
    cuts: tuple[tuple[str, int], ...]
    payable: int


@dataclass
class _Running:
    """The year's accumulators while a claim is placed (eligible and count sub-limits)."""

    sub_used: dict[str, int]
    sub_counts: dict[str, int]
    counted: dict[tuple[str, str, int], bool] = field(default_factory=dict)


# ---- the claim, stage by stage ---------------------------------------------------------


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
    if year_to_date is not None:  # (a fresh record, made here, has nothing to check)
        _check_inputs(claim, product, ytd)
    classifier = _classifier(product, unknown_lists)
    history = history_of(claim.insured, product.policy_year)
    cover = cover_for(history, product)                                                   # 1
    verdicts = _verdicts(claim, product, cover, history)                                  # 2
    running = _Running({k: to_fen(v) for k, v in ytd.sub_limits.items()}, dict(ytd.sub_limit_counts))
    placed = _Placed(claim, classifier, running)
    for verdict in verdicts:                                                              # 3, 4
        placed.encounter(verdict)
    groups = tuple(placed.groups)
    pools = {k: to_fen(v) for k, v in ytd.deductible_pools.items()}
    banded = _deductible_and_bands(product, groups, pools, ytd)                           # 5
    rounding = _rounding(product, groups, banded)                                         # 6
    capped = _caps(product, groups, rounding, running.sub_used, ytd)                      # 7
    limit = kernel.indemnity_limit(to_fen(claim.owed), to_fen(claim.other_insurance_paid))
    paid = _indemnity(capped, limit)                                                      # 8
    detail = _Detail(product, claim, cover, verdicts, tuple(placed.lines), tuple(placed.portions), groups,
                     banded, paid, limit, tuple(placed.notes), tuple(placed.placements))
    return _adjudication(detail, ytd, pools, running, unknown_lists)


def _classifier(product: Product, unknown_lists: str) -> Classifier:
    try:
        return classifier_of(product, unknown_lists)
    except ValueError as exc:
        raise AdjudicationError(str(exc)) from None


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


# ---- 2. encounters ---------------------------------------------------------------------


def _verdicts(claim: Claim, product: Product, cover: Cover, history: History) -> tuple[Verdict, ...]:
    """Each encounter in service-date order (then id), with its facts and verdict."""
    out = []
    for enc in sorted(claim.encounters, key=lambda e: (e.service_on, e.id)):
        facts = facts_for(history, enc, product)
        out.append(Verdict(enc, facts, *_encounter_verdict(enc, product, cover, history)))
    return tuple(out)


def _encounter_verdict(
    enc: Encounter, product: Product, cover: Cover, history: History
) -> tuple[str | None, str, tuple[int, int] | None, dict[str, object]]:
    """(exclusion reason or None, clause, (covered days, days) or None, values for the step)."""
    period, rule = product.period, product.cross_year
    stay = enc.kind == "inpatient"
    anchor = enc.admitted_on if stay and rule.by_admission else enc.service_on
    info: dict[str, object] = {"anchor": anchor}
    start = enc.starts_on
    waiting = cover.waiting_until.toordinal() if cover.waiting_until is not None else cover.start.toordinal() - 1
    verdict = kernel.encounter_verdict(stay, rule.by_admission, anchor.toordinal(), start.toordinal(),
                                       period.start.toordinal(), period.end.toordinal(), cover.start.toordinal(),
                                       waiting, history.enrolled_last_year)
    if verdict == kernel.OTHER_POLICY_YEAR:
        return "other_policy_year", "cross_year" if stay else "period", None, info
    if verdict == kernel.BEFORE_COVER:
        info["cover_start"] = cover.start
        return "before_coverage_start", "enrollment", None, info
    if verdict == kernel.WAITING:
        info["waiting_until"] = cover.waiting_until
        where = (f"enrollment.special_cases[{cover.special_index}]" if cover.special is not None
                 else f"enrollment.waiting_periods[{cover.waiting_index}]")
        return "waiting_period", where, None, info
    if stay and rule.by_admission:
        fraction = _beyond_cover_end(enc, product, history, info)
        if fraction is not None:
            return None, "cross_year", fraction, info
    return None, "cross_year" if stay else "period", None, info


def _beyond_cover_end(enc: Encounter, product: Product, history: History,
                      info: dict[str, object]) -> tuple[int, int] | None:
    """A stay admitted in the year and discharged after it: the (covered days, days) the
    product's cross-year rule pays for, or None when it pays for the whole stay."""
    rule, end = product.cross_year, product.period.end
    admitted, discharged = enc.admitted_on, enc.discharged_on
    assert admitted is not None and discharged is not None  # an inpatient encounter has both
    if discharged <= end:
        return None
    info["renewed"] = history.renewed
    if rule.rule == "to_discharge":
        return None
    tail = rule.tail_days if rule.rule == "admission_year_tail" else 0
    until = kernel.covered_until(end.toordinal(), tail)
    if not kernel.stay_prorated(discharged.toordinal(), until, history.renewed):
        return None
    days, covered = (discharged - admitted).days, until - admitted.toordinal()
    info.update(days=days, covered_days=covered, tail_days=tail)
    return covered, days


# ---- 3. portions and 4. responsibilities ---------------------------------------------------


def _line_key(line: FeeLine, part: str = "") -> tuple[object, ...]:
    """What a fee line is, not where it stands: ties in sharing go by this, so totals never
    depend on the order lines are listed in."""
    return (line.med_list_codg, line.name, line.chrgitm_lv, line.med_chrgitm_type, line.det_item_fee_sumamt,
            line.fulamt_ownpay_amt, line.overlmt_amt, line.preselfpay_amt, part)


def _share(total: int, weights: list[int], ties: Sequence[object] | None = None) -> list[int]:
    """``total`` fen shared over ``weights`` by largest remainder (ties: position when None)."""
    if len(weights) == 1:
        return [total]
    if not total:
        return [0] * len(weights)
    return kernel.largest_remainder(total, weights, ties if ties is not None else (0,) * len(weights))


def _copays(enc: Encounter) -> list[int]:
    """The encounter's in-scope co-pay shared over its lines by their in-scope amounts."""
    s = enc.settlement
    in_scope = [to_fen(line.inscp_scp_amt) for line in enc.fee_lines]
    total = kernel.copay(to_fen(s.inscp_scp_amt), to_fen(s.public_paid))
    if total == to_fen(s.inscp_scp_amt):
        return in_scope
    return _share(total, in_scope, _Keys([(line, "") for line in enc.fee_lines]))


class _Keys:
    """The tie keys (:func:`_line_key`) of lines, each worked out only if a tie needs it."""

    __slots__ = ("items",)

    def __init__(self, items: list[tuple[FeeLine, str]]):
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> tuple[object, ...]:
        return _line_key(*self.items[i])


class Owed(NamedTuple):
    """A part of fee line ``number`` the person owes, before it is placed."""

    line: FeeLine
    number: int
    part: str
    amount: int


def _owed(line: FeeLine, n: int, copay: int) -> list[Owed]:
    """The parts of fee line ``n`` the person owes, in the order of
    :data:`~huiminbao_rules.core.vocabulary.PORTIONS`."""
    out = []
    if line.preselfpay_amt:
        out.append(Owed(line, n, "preselfpay", to_fen(line.preselfpay_amt)))
    if copay:
        out.append(Owed(line, n, "inscp_copay", copay))
    if line.fulamt_ownpay_amt:
        out.append(Owed(line, n, "fulamt", to_fen(line.fulamt_ownpay_amt)))
    if line.overlmt_amt:
        out.append(Owed(line, n, "overlmt", to_fen(line.overlmt_amt)))
    return out


def _covered(verdict: Verdict, owed: list[Owed]) -> list[int]:
    """What of each owed portion the encounter's cover pays for: all of it, or the
    pro-rated share of a stay past the end of cover (largest remainder)."""
    amounts = [o.amount for o in owed]
    if verdict.fraction is None:
        return amounts
    covered_days, days = verdict.fraction
    total = kernel.prorated(sum(amounts), covered_days, days)
    return _share(total, amounts, _Keys([(o.line, o.part) for o in owed]))


class _Placed:
    """Stages 3 and 4 for a claim, encounter by encounter: its lines, portions and groups,
    and the list notes and placements the caveats are made from."""

    def __init__(self, claim: Claim, classifier: Classifier, running: _Running):
        self.claim, self.classifier, self.running = claim, classifier, running
        self.lines: list[Line] = []
        self.portions: list[Portion] = []
        self.groups: list[Group] = []
        self.notes: list[ListNote] = []
        self.placements: list[Placement] = []

    def encounter(self, verdict: Verdict) -> None:
        """Split the encounter's lines into portions, and place each portion."""
        enc = verdict.encounter
        owed: list[Owed] = []
        start = len(self.portions)
        for n, (line, copay) in enumerate(zip(enc.fee_lines, _copays(enc)), start=1):
            first = start + len(owed)
            owed += _owed(line, n, copay)
            self.lines.append(Line(enc, n, line, copay, tuple(range(first, start + len(owed)))))
        if verdict.reason is not None:
            for o in owed:
                exclusion = Exclusion(verdict.reason, from_fen(o.amount), verdict.clause)
                self.portions.append(Portion(o.part, o.amount, None, 0, (exclusion,)))
            return
        here: dict[object, tuple[Group, list[int]]] = {}
        for o, covered in zip(owed, _covered(verdict, owed)):
            self._place(verdict, o, covered, here)
        made = [g._replace(portions=tuple(members), eligible=sum(self.portions[i].eligible for i in members))
                for g, members in here.values()]
        self.groups.extend(sorted(made, key=_group_order))

    def _place(self, verdict: Verdict, o: Owed, covered: int, here: dict[object, tuple[Group, list[int]]]) -> None:
        """Place one portion: what cover leaves of it, the responsibility that takes it (or
        why none does), its weight and eligible sub-limits; add it to its group."""
        k = len(self.portions)
        exclusions: tuple[Exclusion, ...] = ()
        if covered < o.amount:
            exclusions = (Exclusion("beyond_cover_end", from_fen(o.amount - covered), "cross_year"),)
            if not covered:
                self.portions.append(Portion(o.part, o.amount, None, 0, exclusions))
                return
        enc = verdict.encounter
        entry, miss, unknown = self.classifier.classify_full(o.part, o.line, enc)
        if unknown or entry is None or not entry.plain:
            self._note(enc, o, covered, entry, miss, unknown)
        if entry is None:
            self.portions.append(Portion(o.part, o.amount, None, 0,
                                         (*exclusions, Exclusion(miss[0], from_fen(covered), miss[1]))))
            return
        r = entry.resp
        assert r is not None  # an entry that takes a portion belongs to a responsibility
        eligible = covered
        if entry.weight is not None:
            eligible, exclusions = _weighted(entry, covered, exclusions)
        if entry.limited:
            eligible, exclusions = self._eligible_limits(entry, enc, o, eligible, exclusions)
        self.portions.append(Portion(o.part, o.amount, r.id, eligible, exclusions))
        if not eligible:
            return
        # A responsibility with payable sub-limits is capped portion by portion.
        order = (entry.r_index, k) if entry.payable_limited else entry.r_index
        found = here.get(order)
        if found is None:
            limits = self._payable_limits(entry, enc, o) if entry.payable_limited else ()
            found = here[order] = (Group(enc, verdict.facts, r, entry.r_index, (), 0, limits), [])
        found[1].append(k)

    def _note(self, enc: Encounter, o: Owed, covered: int, entry: Entry | None, miss: tuple[str, ...],
              unknown: tuple[str, ...]) -> None:
        """Note the lists a portion's placement met: those of unknown membership, and
        those that placed or refused it."""
        note, placement = caveats.noted(entry, miss, unknown)
        if note is not None:
            lists, resp, held = note
            self.notes.append(ListNote(enc.id, o.number, o.part, resp, lists, from_fen(covered) if held else None))
        if placement is not None:
            self.placements.append(Placement(enc.id, o.number, o.part, *placement))

    def _eligible_limits(self, entry: Entry, enc: Encounter, o: Owed, eligible: int,
                         exclusions: tuple[Exclusion, ...]) -> tuple[int, tuple[Exclusion, ...]]:
        """Apply a responsibility's eligible-amount and count sub-limits to one portion."""
        r, run, line, n, part = entry.resp, self.running, o.line, o.number, o.part
        assert r is not None
        for sl in r.sub_limits:
            if sl.measure == "payable" or not self.classifier.sub_limits[(r.id, sl.id)].matches(part, line, enc):
                continue
            key = _sub_key(r, sl.id, sl.per, self.claim, enc, line)
            where = f"responsibilities.{r.id}.sub_limits.{sl.id}"
            if sl.measure == "count":
                # A line counts once, however many of its portions the limit selects.
                allowed = run.counted.get((key, enc.id, n))
                if allowed is None:
                    allowed = run.counted[(key, enc.id, n)] = kernel.count_allows(run.sub_counts.get(key, 0),
                                                                                  sl.count)
                    if allowed:
                        run.sub_counts[key] = run.sub_counts.get(key, 0) + 1
                if not allowed and eligible:
                    exclusions = (*exclusions, Exclusion("count_limit", from_fen(eligible), where))
                    eligible = 0
            else:
                used = run.sub_used.get(key, 0)
                eligible, cut = kernel.capped(eligible, _limit_of(sl), used)
                if cut:
                    exclusions = (*exclusions, Exclusion("sub_limit", from_fen(cut), where))
                run.sub_used[key] = used + eligible
        return eligible, exclusions

    def _payable_limits(self, entry: Entry, enc: Encounter, o: Owed) -> tuple[tuple[str, int, str], ...]:
        """The payable sub-limits a portion's group counts against."""
        r, line, part = entry.resp, o.line, o.part
        assert r is not None
        return tuple(
            (f"responsibilities.{r.id}.sub_limits.{sl.id}", _limit_of(sl),
             _sub_key(r, sl.id, sl.per, self.claim, enc, line))
            for sl in r.sub_limits
            if sl.measure == "payable" and self.classifier.sub_limits[(r.id, sl.id)].matches(part, line, enc))


def _limit_of(sl: SubLimit) -> int:
    """A payable or eligible-amount sub-limit's limit in fen (the product requires one)."""
    assert sl.limit is not None
    return to_fen(sl.limit)


def _weighted(entry: Entry, covered: int, exclusions: tuple[Exclusion, ...]) -> tuple[int, tuple[Exclusion, ...]]:
    """The eligible part of a covered portion under the selector's weight (not 1)."""
    assert entry.weight is not None
    eligible = kernel.weighted(covered, int(entry.weight * kernel.RATE_SCALE))
    if eligible < covered:
        assert entry.resp is not None
        exclusions = (*exclusions, Exclusion("weighted_out", from_fen(covered - eligible),
                                             f"responsibilities.{entry.resp.id}.takes[{entry.s_index}]"))
    return eligible, exclusions


def _sub_key(r: Responsibility, sl_id: str, per: str, claim: Claim, enc: Encounter, line: FeeLine) -> str:
    """The year-to-date accumulator a sub-limit counts in: per year, per encounter or per item."""
    base = f"{r.id}.{sl_id}"
    if per == "encounter":
        return f"{base}@{claim.claim_id}/{enc.id}"
    if per == "item_year":
        return f"{base}#{line.med_list_codg or line.name}"
    return base


def _group_order(g: Group) -> tuple[int, int]:
    """Groups of an encounter go in the product's order of responsibilities, then line order
    (several groups of one responsibility: it has payable sub-limits)."""
    return g.r_index, g.portions[0]


# ---- 5. deductible and ratio ---------------------------------------------------------------


def _choice(product: Product, r: Responsibility, facts: Facts) -> Choice:
    """The deductible and the ratio schedule (its bands in fen and rates per 10,000)."""
    annual, clause, source = deductible_for(product, r, facts)
    s_index, schedule = first_holding(r.ratio, facts)
    bands = schedule.band_list
    return Choice(annual, to_fen(annual), clause, source, s_index, schedule, tuple(to_fen(s) for s, _, _ in bands),
                  tuple(-1 if e is None else to_fen(e) for _, e, _ in bands),
                  tuple(int(rate * kernel.RATE_SCALE) for _, _, rate in bands))


def _fen_pieces(choice: Choice, lo: int, hi: int) -> tuple[tuple[int, int, Decimal, Decimal], ...]:
    """The band pieces of ``[lo, hi)`` on the responsibility's axis as (start, end, rate,
    raw): start and end in fen, raw the exact yuan the piece pays at its rate."""
    out = []
    for (_, _, rate), start, end in zip(choice.schedule.band_list, choice.starts, choice.ends):
        a, b = kernel.band_piece(lo, hi, start, end)
        if b > a:
            out.append((a, b, rate, from_fen(b - a) * rate))
    return tuple(out)


def _pieces(choice: Choice, lo: int, hi: int) -> tuple[BandPiece, ...]:
    """The band pieces of ``[lo, hi)`` on the responsibility's axis, as the result shows them."""
    return tuple(BandPiece(from_fen(a), from_fen(b), rate, raw) for a, b, rate, raw in _fen_pieces(choice, lo, hi))


def _deductible_and_bands(product: Product, groups: tuple[Group, ...], pools: dict[str, int],
                          ytd: YearToDate) -> tuple[Banded, ...]:
    """Group by group: the deductible (pool) takes what is left of it, then the bands pay
    the rest at their rates, on the responsibility's yearly axis. Updates ``pools``."""
    run = {rid: [to_fen(v.eligible), to_fen(v.deductible)] for rid, v in ytd.responsibilities.items()}
    choices: dict[tuple[int, Facts], Choice] = {}
    out = []
    for g in groups:
        r = g.resp
        c = choices.get((g.r_index, g.facts))
        if c is None:
            c = choices[(g.r_index, g.facts)] = _choice(product, r, g.facts)
        pool = r.deductible_pool or r.id
        used = pools.get(pool, 0)
        d = kernel.deductible_taken(g.eligible, c.annual, used)
        pools[pool] = used + d
        position, taken = run.setdefault(r.id, [0, 0])
        lo, hi = kernel.band_axis(r.ratio_basis == "eligible", position, taken, g.eligible, d)
        run[r.id] = [position + g.eligible, taken + d]
        out.append(Banded(c, kernel.deductible_left(c.annual, used), position, taken, d, _pieces(c, lo, hi),
                          kernel.bands_raw(lo, hi, c.starts, c.ends, c.rates)))
    return tuple(out)


# ---- 6. rounding ---------------------------------------------------------------------------


def _rounding(product: Product, groups: tuple[Group, ...], banded: tuple[Banded, ...]) -> list[int]:
    """Each responsibility's raw amount for the claim rounded once, as the product says,
    and shared back over its groups by largest remainder (weights: their raw amounts)."""
    step, mode = to_fen(product.rounding.step), kernel.MODES[product.rounding.mode]
    by_resp: dict[str, list[int]] = {}
    for i, g in enumerate(groups):
        by_resp.setdefault(g.resp.id, []).append(i)
    out = [0] * len(groups)
    for members in by_resp.values():
        raws = [banded[i].raw for i in members]
        rounded = kernel.round_raw(sum(raws), step, mode)
        for i, share in zip(members, _share(rounded, raws) if sum(raws) else [0] * len(members)):
            out[i] = share
    return out


# ---- 7. caps -------------------------------------------------------------------------------


def _caps(product: Product, groups: tuple[Group, ...], rounded: list[int], sub_used: dict[str, int],
          ytd: YearToDate) -> tuple[Paid, ...]:
    """Group by group, each limit in turn: payable sub-limits, the responsibility's cap,
    the combined caps whose condition holds, the total cap."""
    paid_run = {rid: to_fen(v.paid) for rid, v in ytd.responsibilities.items()}
    combined_run = {k: to_fen(v) for k, v in ytd.combined_caps.items()}
    sub_pay = dict(sub_used)
    total_run = to_fen(ytd.total_paid)
    out = []
    for g, p in zip(groups, rounded):
        rounded_p = p
        cuts = []
        for clause, limit, used in _limits(product, g, sub_pay, paid_run, combined_run, total_run):
            p, cut = kernel.capped(p, limit, used)
            if cut:
                cuts.append((clause, cut))
        out.append(Paid(rounded_p, tuple(cuts), p))
        for _, _, key in g.limits:
            sub_pay[key] = sub_pay.get(key, 0) + p
        paid_run[g.resp.id] = paid_run.get(g.resp.id, 0) + p
        for cc in _combined_of(product, g):
            combined_run[cc.id] = combined_run.get(cc.id, 0) + p
        total_run += p
    return tuple(out)


def _limits(product: Product, g: Group, sub_pay: dict[str, int], paid_run: dict[str, int],
            combined_run: dict[str, int], total_run: int) -> list[tuple[str, int, int]]:
    """The limits a group's payable meets, in order, as (clause, limit, used)."""
    r = g.resp
    out = [(clause, limit, sub_pay.get(key, 0)) for clause, limit, key in g.limits]
    if r.cap is not None:
        out.append((f"responsibilities.{r.id}.cap", to_fen(r.cap.amount), paid_run.get(r.id, 0)))
    for cc in _combined_of(product, g):
        out.append((f"combined_caps.{cc.id}", to_fen(cc.amount), combined_run.get(cc.id, 0)))
    if product.total_cap is not None:
        out.append(("total_cap", to_fen(product.total_cap.amount), total_run))
    return out


def _combined_of(product: Product, g: Group) -> list[CombinedCap]:
    """The combined caps a group counts against: its responsibility's, where their
    condition holds for the encounter's facts."""
    return [cc for cc in product.combined_caps if g.resp.id in cc.responsibilities and holds(cc.when, g.facts)]


# ---- 8. indemnity --------------------------------------------------------------------------


def _indemnity(capped: tuple[Paid, ...], limit: int) -> tuple[Paid, ...]:
    """Never more than the indemnity limit: the excess is cut from the last group back."""
    excess = kernel.indemnity_excess(sum(p.payable for p in capped), limit)
    out = list(capped)
    for i in range(len(out) - 1, -1, -1):
        if not excess:
            break
        c = kernel.cut_from(out[i].payable, excess)
        if c:
            out[i] = out[i]._replace(cuts=(*out[i].cuts, ("indemnity", c)), payable=out[i].payable - c)
            excess -= c
    return tuple(out)


# ---- the result ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Detail:
    """Everything a claim's stages produced; :class:`Adjudication` makes its ``lines`` and
    ``steps`` from it when first asked (nothing here changes after the claim is computed)."""

    product: Product
    claim: Claim
    cover: Cover
    verdicts: tuple[Verdict, ...]
    line_list: tuple[Line, ...]
    portions: tuple[Portion, ...]
    groups: tuple[Group, ...]
    banded: tuple[Banded, ...]
    paid: tuple[Paid, ...]
    limit: int
    notes: tuple[ListNote, ...]
    placements: tuple[Placement, ...]

    @property
    def indemnity_cut(self) -> int:
        return sum(c for p in self.paid for clause, c in p.cuts if clause == "indemnity")

    @property
    def pended(self) -> tuple[ListNote, ...]:
        return tuple(n for n in self.notes if n.pending is not None)

    @cached_property
    def _members(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for i, g in enumerate(self.groups):
            out.setdefault(g.resp.id, []).append(i)
        return out

    def members(self, rid: str) -> list[int]:
        """The indexes of a responsibility's groups."""
        return self._members.get(rid, [])

    @exact
    def lines(self) -> tuple[LineFigures, ...]:
        """Every fee line's figures, its portions walked group by group (see :func:`_walk`)."""
        walked: list[PortionFigures | None] = [None] * len(self.portions)
        for g, banded, paid in zip(self.groups, self.banded, self.paid):
            for i, figures in zip(g.portions, _walk(g, banded, paid, [self.portions[i] for i in g.portions])):
                walked[i] = figures
        for i, p in enumerate(self.portions):  # portions no responsibility took (or none of them eligible)
            if walked[i] is None:
                walked[i] = PortionFigures(p.part, p.amount, p.responsibility, p.exclusions, p.eligible, 0, (), ZERO,
                                           0, (), 0)
        return tuple(
            LineFigures(ln.encounter.id, ln.number, ln.line.feedetl_sn, ln.line.med_list_codg, ln.line.name,
                        ln.line.det_item_fee_sumamt, to_fen(ln.line.inscp_scp_amt) - ln.copay,
                        tuple(walked[i] for i in ln.portions))
            for ln in self.line_list
        )

    @exact
    def steps(self, adj: Adjudication) -> tuple[Step, ...]:
        return (*_cover_steps(self), *_encounter_steps(self), *_pending_steps(self, adj),
                *(s for res in adj.responsibilities for s in _responsibility_steps(self, res)),
                *_claim_steps(self, adj))


def _walk(g: Group, banded: Banded, paid: Paid, portions: list[Portion]) -> list[PortionFigures]:
    """A group's figures per portion, in line order (see the module docstring): earlier
    portions use the deductible first, the rounded amount is shared by raw amount, later
    portions bear the cuts first."""
    on_eligible = g.resp.ratio_basis == "eligible"
    choice = banded.choice
    position, taken, used = banded.position, banded.taken, 0
    firsts, raws = [], []
    for p in portions:
        d = kernel.deductible_taken(p.eligible, banded.left, used)
        lo, hi = kernel.band_axis(on_eligible, position, taken, p.eligible, d)
        used, position, taken = used + d, position + p.eligible, taken + d
        firsts.append((d, _fen_pieces(choice, lo, hi)))
        raws.append(kernel.bands_raw(lo, hi, choice.starts, choice.ends, choice.rates))
    shares = _share(paid.rounded, raws) if any(raws) else [0] * len(raws)
    queue = list(paid.cuts)
    out: list[PortionFigures] = []
    for p, (d, pieces), share in zip(reversed(portions), reversed(firsts), reversed(shares)):
        payable, cuts = share, []
        while queue and payable:
            clause, amount = queue[0]
            c = kernel.cut_from(amount, payable)
            cuts.append((clause, c))
            payable -= c
            if c == amount:
                queue.pop(0)
            else:
                queue[0] = (clause, amount - c)
        out.append(PortionFigures(p.part, p.amount, p.responsibility, p.exclusions, p.eligible, d, pieces,
                                  sum((raw for _, _, _, raw in pieces), ZERO), share, tuple(cuts), payable))
    out.reverse()
    return out


def _adjudication(detail: _Detail, ytd: YearToDate, pools: dict[str, int], running: _Running,
                  unknown_lists: str) -> Adjudication:
    product, claim = detail.product, detail.claim
    payable = from_fen(sum(p.payable for p in detail.paid))
    results = tuple(_responsibility_result(detail, r, ytd) for r in product.responsibilities)
    medical_total = sum((e.settlement.medfee_sumamt for e in claim.encounters), ZERO)
    public_paid = sum((e.settlement.public_paid for e in claim.encounters), ZERO)
    return Adjudication(
        claim_id=claim.claim_id, insured_id=claim.insured.id, product_id=product.id, policy_year=product.policy_year,
        service_on=claim.service_on, medical_total=medical_total, public_paid=public_paid, owed=claim.owed,
        other_insurance_paid=claim.other_insurance_paid, indemnity_limit=from_fen(detail.limit),
        indemnity_cut=from_fen(detail.indemnity_cut), payable=payable,
        responsibilities=results, year_to_date_before=ytd,
        year_to_date=_year_to_date(detail, ytd, pools, running, results, payable), detail=detail,
        pending_amount=sum((n.pending for n in detail.pended if n.pending is not None), ZERO),
        caveats=_caveats(detail, unknown_lists), unknown_lists=unknown_lists,
    )


_EMPTY = ResponsibilityToDate()


def _responsibility_result(detail: _Detail, r: Responsibility, ytd: YearToDate) -> ResponsibilityResult:
    """One responsibility's figures for the claim, summed over its groups."""
    product = detail.product
    before = ytd.responsibilities.get(r.id) or _EMPTY
    members = detail.members(r.id)
    deductible_before = ytd.deductible_pools.get(r.deductible_pool or r.id, ZERO)
    if not members:
        annual = deductible_for(product, r, detail.verdicts[0].facts)[0]
        return ResponsibilityResult(
            id=r.id, name_zh=r.name_zh, name_en=r.name_en, bucket=r.bucket, eligible=ZERO, deductible_amount=annual,
            deductible_before=deductible_before, deductible=ZERO, bands=(), raw=ZERO, rounded=ZERO, cuts=(),
            payable=ZERO, eligible_before=before.eligible, paid_before=before.paid)
    banded = [detail.banded[i] for i in members]
    paid = [detail.paid[i] for i in members]
    cuts: dict[str, int] = {}
    for p in paid:
        for clause, c in p.cuts:
            cuts[clause] = cuts.get(clause, 0) + c
    pieces = [piece for b in banded for piece in b.pieces]
    return ResponsibilityResult(
        id=r.id, name_zh=r.name_zh, name_en=r.name_en, bucket=r.bucket,
        eligible=from_fen(sum(detail.groups[i].eligible for i in members)), deductible_amount=banded[0].choice.amount,
        deductible_before=deductible_before, deductible=from_fen(sum(b.deductible for b in banded)),
        bands=_merge(pieces), raw=sum((piece.raw for piece in pieces), ZERO),
        rounded=quantize(from_fen(sum(p.rounded for p in paid)), product.rounding.step, product.rounding.mode),
        cuts=tuple((clause, from_fen(c)) for clause, c in cuts.items()), payable=from_fen(sum(p.payable for p in paid)),
        eligible_before=before.eligible, paid_before=before.paid)


def _merge(pieces: Iterable[BandPiece]) -> tuple[BandPiece, ...]:
    """Band pieces of several groups, adjoining pieces at one rate joined."""
    out: list[BandPiece] = []
    for p in sorted(pieces, key=lambda p: p.start):
        if out and out[-1].end == p.start and out[-1].rate == p.rate:
            q = out[-1]
            out[-1] = BandPiece(q.start, p.end, p.rate, q.raw + p.raw)
        else:
            out.append(p)
    return tuple(out)


def _year_to_date(detail: _Detail, ytd: YearToDate, pools: dict[str, int], running: _Running,
                  results: tuple[ResponsibilityResult, ...], payable: Decimal) -> YearToDate:
    """The accumulators after the claim, from its final figures."""
    product, claim = detail.product, detail.claim
    responsibilities = dict(ytd.responsibilities)
    for res in results:
        if detail.members(res.id):
            before = ytd.responsibilities.get(res.id) or _EMPTY
            responsibilities[res.id] = trusted_model(
                ResponsibilityToDate, eligible=before.eligible + res.eligible, deductible=before.deductible + res.deductible,
                paid=before.paid + res.payable)
    sub_limits = dict(running.sub_used)
    combined = {k: to_fen(v) for k, v in ytd.combined_caps.items()}
    for g, paid in zip(detail.groups, detail.paid):
        for _, _, key in g.limits:
            sub_limits[key] = sub_limits.get(key, 0) + paid.payable
        for cc in _combined_of(product, g):
            combined[cc.id] = combined.get(cc.id, 0) + paid.payable
    return trusted_model(
        YearToDate, version=YTD_VERSION, product_id=product.id, product_hash=product.content_hash,
        insured_id=claim.insured.id,
        claims=(*ytd.claims, claim.claim_id),
        encounters={**ytd.encounters, **{e.identity: claim.claim_id for e in claim.encounters}},
        responsibilities=responsibilities, deductible_pools={k: from_fen(v) for k, v in pools.items()},
        sub_limits={k: from_fen(v) for k, v in sub_limits.items()}, sub_limit_counts=running.sub_counts,
        combined_caps={k: from_fen(v) for k, v in combined.items()}, total_paid=ytd.total_paid + payable,
    )


# ---- the steps -----------------------------------------------------------------------------


def _cover_steps(detail: _Detail) -> list[Step]:
    product, claim, cover = detail.product, detail.claim, detail.cover
    steps = [Step("cover", claim.insured.id, "enrollment", product.enrollment.cover_start_source, {
        "enrolled_on": claim.insured.enrolled_on, "start": cover.start, "late": cover.late,
        "days_after": product.enrollment.cover_starts_days_after_enrollment})]
    if cover.special is not None:
        steps.append(Step("special_case", claim.insured.id, f"enrollment.special_cases[{cover.special_index}]",
                          cover.special.source, {"group": cover.special.group, "waiting_days": cover.special.waiting_days,
                                                 "until": cover.waiting_until}))
    elif isinstance(cover.waiting, WaitingPeriod):
        steps.append(Step("waiting", claim.insured.id, f"enrollment.waiting_periods[{cover.waiting_index}]",
                          cover.waiting.source, {"applies_to": cover.waiting.applies_to, "days": cover.waiting.days,
                                                 "until": cover.waiting_until}))
    return steps


def _encounter_steps(detail: _Detail) -> list[Step]:
    product, cover = detail.product, detail.cover
    steps = []
    for v in detail.verdicts:
        enc = v.encounter
        if v.clause == "cross_year":
            source = product.cross_year.source
        elif v.reason == "waiting_period" and cover.waiting is not None:
            source = cover.waiting.source
        elif v.reason == "before_coverage_start":
            source = product.enrollment.cover_start_source
        else:
            source = None
        fraction = None if v.fraction is None else Decimal(v.fraction[0]) / Decimal(v.fraction[1])
        steps.append(Step("encounter", enc.id, v.clause, source, {
            "kind": enc.kind, "service_on": enc.service_on, "excluded": v.reason, "fraction": fraction, **v.info}))
        s = enc.settlement
        steps.append(Step("public_share", enc.id, "identities", None, {
            "inscp_scp_amt": s.inscp_scp_amt, "public_paid": s.public_paid,
            "copay": s.inscp_scp_amt - s.public_paid, "preselfpay_amt": s.preselfpay_amt,
            "fulamt_ownpay_amt": s.fulamt_ownpay_amt, "overlmt_selfpay": s.overlmt_selfpay}))
        if product.pre_existing.basis != "none":
            steps.append(Step("pre_existing", enc.id, "pre_existing", product.pre_existing.source,
                              {"basis": product.pre_existing.basis, "applies": v.facts.pre_existing}))
    return steps


def _pending_steps(detail: _Detail, adj: Adjudication) -> list[Step]:
    product = detail.product
    return [Step("pending", f"{n.encounter_id}#{n.number}", f"lists.{n.lists[0]}", product.lists[n.lists[0]].source, {
        "part": n.part, "amount": n.pending, "lists": list(n.lists), "responsibility": n.responsibility,
        "unknown_lists": adj.unknown_lists}) for n in detail.pended]


def _responsibility_steps(detail: _Detail, res: ResponsibilityResult) -> list[Step]:
    members = detail.members(res.id)
    if not members:
        return []
    product, r = detail.product, detail.groups[members[0]].resp
    first = detail.banded[members[0]].choice
    base = f"responsibilities.{r.id}"
    steps = [Step("eligible", r.id, f"{base}.takes", None, {"eligible": res.eligible, "before": res.eligible_before}),
             Step("deductible", r.id, first.clause, first.source, {
                 "amount": res.deductible_amount, "before": res.deductible_before, "taken": res.deductible,
                 "pool": r.deductible_pool or r.id})]
    schedules = {detail.banded[i].choice.s_index: detail.banded[i].choice.schedule for i in members}
    for s_index, sched in sorted(schedules.items()):
        steps.append(Step("ratio", r.id, f"{base}.ratio[{s_index}]", sched.source, {
            "basis": r.ratio_basis, "when": sched.when.model_dump(exclude_none=True),
            "bands": [list(b) for b in sched.band_list]}))
    steps.append(Step("bands", r.id, f"{base}.ratio", None, {"pieces": list(res.bands), "raw": res.raw}))
    steps.append(Step("rounding", r.id, "rounding", product.rounding.source, {
        "raw": res.raw, "rounded": res.rounded, "mode": product.rounding.mode, "step": product.rounding.step}))
    for clause, cut in res.cuts:
        steps.append(Step("cap", r.id, clause, _source_of(product, clause), {"cut": cut}))
    steps.append(Step("responsibility_payable", r.id, base, None, {"payable": res.payable}))
    return steps


def _claim_steps(detail: _Detail, adj: Adjudication) -> list[Step]:
    product, claim = detail.product, detail.claim
    steps = []
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
        "owed": claim.owed, "other_insurance_paid": claim.other_insurance_paid, "limit": from_fen(detail.limit),
        "computed": adj.payable + from_fen(detail.indemnity_cut), "cut": from_fen(detail.indemnity_cut)}))
    steps.append(Step("payable", claim.claim_id, "", None, {"payable": adj.payable}))
    return steps


def _source_of(product: Product, clause: str) -> str | None:
    if clause == "indemnity":
        return product.indemnity_source
    cited = _cited_at(product, clause)
    return cited.source if cited is not None else None


# ---- 9. caveats ----------------------------------------------------------------------------


def _caveats(detail: _Detail, unknown_lists: str) -> tuple[Caveat, ...]:
    """What the result rests on that the data does not know for sure (see
    ``docs/result-json.md``), each said once; made by :mod:`.caveats` from this claim's facts."""
    return caveats.unique((*caveats.period_caveats(detail.product), *_list_caveats(detail, unknown_lists),
                           *_placement_caveats(detail), *_term_caveats(detail), *_limit_caveats(detail),
                           *_rule_caveats(detail)))


def _list_caveats(detail: _Detail, unknown_lists: str) -> list[Caveat]:
    """Lists of unknown membership, line by line (the portions of one line merged)."""
    notes = (((n.encounter_id, n.number), n.lists, n.responsibility, n.pending) for n in detail.notes)
    return [caveats.list_unknown(detail.product, f"{enc_id}#{number}", lid, resp, held, unknown_lists)
            for ((enc_id, number), lid), (resp, held) in caveats.merged_notes(notes).items()]


def _placement_caveats(detail: _Detail) -> list[Caveat]:
    """Lists that decided a placement: lists supplied by the user, unverified members."""
    return [c for pl in detail.placements
            for c in caveats.placement_caveats(detail.product, f"{pl.encounter_id}#{pl.number}", pl.by, pl.assumed)]


def _term_caveats(detail: _Detail) -> list[Caveat]:
    """Unverified terms a paid group's amount depended on: its deductible, its ratio
    schedule, a limit that cut it."""
    product, out = detail.product, []
    for g, banded, paid in zip(detail.groups, detail.banded, detail.paid):
        if not g.eligible:
            continue
        choice = banded.choice
        out += caveats.term_caveats(product, g.resp, g.facts, choice.clause, choice.s_index, choice.schedule)
        for clause, cut in paid.cuts:
            c = caveats.limit_caveat(product, g.resp.id, clause) if cut else None
            if c is not None:
                out.append(c)
    return out


def _limit_caveats(detail: _Detail) -> list[Caveat]:
    """Unverified eligible-amount and count sub-limits that excluded part of a line."""
    out = []
    for ln in detail.line_list:
        for i in ln.portions:
            for e in detail.portions[i].exclusions:
                c = (caveats.limit_caveat(detail.product, e.clause.split(".")[1], e.clause)
                     if e.reason in ("sub_limit", "count_limit") else None)
                if c is not None:
                    out.append(c)
    return out


def _rule_caveats(detail: _Detail) -> list[Caveat]:
    """An unverified pre-existing rule the person's declarations met, and an unverified
    cross-year rule a stay across the period's ends met."""
    product, out = detail.product, []
    rule = caveats.pre_existing_caveat(product)
    if rule is not None and detail.claim.insured.pre_existing and any(g.eligible for g in detail.groups):
        out.append(rule)
    rule, period = caveats.cross_year_caveat(product), product.period
    if rule is not None:
        out += [rule for v in detail.verdicts if v.encounter.kind == "inpatient" and caveats.crosses_period(
            v.encounter.admitted_on, v.encounter.discharged_on, period.start, period.end)]
    return out


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
