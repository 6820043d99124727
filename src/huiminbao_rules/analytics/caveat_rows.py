"""The columnar engine's caveats (``ColumnarDetail.caveats``): for every claim, the caveats
the reference engine gives it, made by the very functions it makes them with
(:mod:`huiminbao_rules.adjudication.caveats`), from what the columnar engine worked out:

- per combination of line attributes and part: what its classification noted (lists of
  unknown membership, the list that placed or refused it), expanded to the portions of
  that combination, with what a pended portion holds;
- per (facts, responsibility): the deductible variant and ratio schedule chosen, for the
  groups that used them;
- per group with a cap cut: which limits cut, found by taking its rounded share through
  the limits in order (the kernel's ``capped``), each limit's use before the group read
  from what the groups before it paid;
- per portion read one by one: the eligible-amount or count sub-limit that excluded part
  of it;
- per claim: a stay across the period's edge, the person's pre-existing declarations.

A portion cut by two or more eligible-amount or count sub-limits of one responsibility,
one of them unverified, is beyond what the columnar engine records (only what the portion
kept): the caveats of that person's claims are the reference engine's, replayed for them.

One row per caveat per claim, claims in adjudication order, a claim's caveats in the
reference engine's order (the order :mod:`~huiminbao_rules.adjudication.caveats` names),
each said once.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from huiminbao_rules.adjudication import caveats, kernel
from huiminbao_rules.adjudication.result import Caveat
from huiminbao_rules.adjudication.terms import deductible_for, first_holding
from huiminbao_rules.adjudication.engine import replay
from huiminbao_rules.analytics.population import Population
from huiminbao_rules.core.money import from_fen, to_fen
from huiminbao_rules.core.vocabulary import PORTIONS
from huiminbao_rules.rules.classify import classifier_of
from huiminbao_rules.rules.product import Product

__all__ = ["COLUMNS", "caveat_frame"]

COLUMNS = ("claim_id", "code", "responsibility", "line", "list", "clause", "amount", "sha256", "message",
           "message_zh")
"""The caveats frame's columns: a :class:`~huiminbao_rules.adjudication.result.Caveat`'s
fields with the claim's id first; ``amount`` in fen (missing where the caveat has none)."""

# the reference engine's order of a claim's caveats
_PERIOD, _LISTS, _PLACEMENTS, _TERMS, _EXCLUSIONS, _RULES = range(6)


class _Found:
    """Caveats found: per row the claim (row of the claims table), the section of the
    reference order and two keys within it, and the caveat (index into ``caveats``: each
    distinct caveat made once)."""

    def __init__(self) -> None:
        self.caveats: list[Caveat] = []
        self.index: dict[Caveat, int] = {}
        self.chunks: list[tuple[np.ndarray, ...]] = []
        self.replayed: list[int] = []  # claims whose caveats are the reference engine's (section -1)

    def id(self, c: Caveat) -> int:
        found = self.index.get(c)
        if found is None:
            found = self.index[c] = len(self.caveats)
            self.caveats.append(c)
        return found

    def new(self, c: Caveat) -> int:
        """A caveat no other row has (it names its line), without looking for it."""
        self.caveats.append(c)
        return len(self.caveats) - 1

    def add(self, claim: Any, section: int, k1: Any, k2: Any, ids: Any) -> None:
        claim = np.asarray(claim, np.int64).ravel()
        n = len(claim)
        self.chunks.append((claim, *(np.broadcast_to(np.asarray(x, np.int64), (n,)) for x in (section, k1, k2, ids))))

    def frame(self, claim_ids: np.ndarray, claim_rank: np.ndarray) -> pd.DataFrame:
        """The rows in claim order, then the reference order; each (claim, key) once."""
        if not self.chunks:
            return pd.DataFrame({c: pd.Series([], dtype="Int64" if c == "amount" else object) for c in COLUMNS})
        claim, section, k1, k2, ids = (np.concatenate(c) for c in zip(*self.chunks))
        if self.replayed:
            keep = (section < 0) | ~np.isin(claim, self.replayed)
            claim, section, k1, k2, ids = claim[keep], section[keep], k1[keep], k2[keep], ids[keep]
        order = np.lexsort((k2, k1, section, claim_rank[claim]))
        claim, ids = claim[order], ids[order]
        keys: dict[Any, int] = {}
        key_of = np.array([keys.setdefault(caveats.key(c), len(keys)) for c in self.caveats], np.int64)
        first = ~pd.DataFrame({"claim": claim, "key": key_of[ids]}).duplicated().to_numpy()
        claim, ids = claim[first], ids[first]
        out: dict[str, Any] = {"claim_id": pd.Series(np.asarray(claim_ids, dtype=object)[claim], dtype=object)}
        for name in COLUMNS[1:]:
            values = [getattr(c, name) for c in self.caveats]
            if name == "amount":
                out[name] = pd.Series(pd.array([None if v is None else to_fen(v) for v in values], dtype="Int64")[ids])
            else:
                out[name] = pd.Series(np.array(values + [None], dtype=object)[:-1][ids], dtype=object)
        return pd.DataFrame(out)


def caveat_frame(product: Product, unknown_lists: str, population: Population, stages: Any) -> pd.DataFrame:
    """The caveats of every claim of ``population`` (see the module docstring). ``stages``:
    the columnar engine's work, by name: ``people``, ``e`` (encounters), ``facts``, ``ln``
    (fee lines), ``table`` (classification), ``elig``, ``order``, ``g`` (groups), ``share``
    (each group's rounded amount) and ``paid``."""
    s, claims = stages, population.claims
    found = _Found()
    for c in caveats.period_caveats(product):
        found.add(np.arange(len(claims)), _PERIOD, 0, 0, found.id(c))
    info = _classified(product, unknown_lists, s)
    if info:
        _lists_and_placements(found, product, unknown_lists, s, info)
    _terms(found, product, s)
    _cuts(found, product, s)
    unclear = _exclusions(found, product, s)
    _rules(found, product, len(claims), s)
    if unclear:
        _replayed(found, product, unknown_lists, population, s.people.ins["insured_id"].to_numpy()[sorted(unclear)])
    return found.frame(claims["claim_id"].to_numpy(), s.e.claim_rank)


def _text(column: pd.Series, i: int) -> str:
    value = column.iloc[i]
    return "" if pd.isna(value) else str(value)


def _classified(product: Product, unknown_lists: str, s: Any) -> dict[tuple[int, int], Any]:
    """Per (part, combination) whose classification left something for the caveats: the
    note and placement (:func:`~huiminbao_rules.adjudication.caveats.noted`), read on the
    combination's first line (combinations are numbered in order of first appearance)."""
    combo, ln, enc = s.table.combo, s.ln, s.e.enc
    if not len(combo):
        return {}
    classifier = classifier_of(product, unknown_lists)
    running = np.maximum.accumulate(combo)
    first = np.flatnonzero(np.concatenate(([True], running[1:] > running[:-1])))
    out = {}
    for j, row in enumerate(first):
        e_i = int(ln.l_enc[row])
        line = SimpleNamespace(chrgitm_lv=ln.lv_u[ln.lv_c[row]], med_chrgitm_type=ln.ft_u[ln.ft_c[row]],
                               med_list_codg=ln.code_u[ln.code_c[row]], name=ln.name_u[ln.name_c[row]])
        encounter = SimpleNamespace(kind=_text(enc["kind"], e_i), settled_through_basic=bool(s.facts.settled[e_i]),
                                    institution=_text(enc["institution"], e_i),
                                    diagnoses=tuple(x for x in _text(enc["diagnoses"], e_i).split(";") if x))
        for k, part in enumerate(PORTIONS):
            entry, miss, unknown = classifier.classify_full(part, line, encounter)  # type: ignore[arg-type]
            if unknown or entry is None or not entry.plain:
                note, placement = caveats.noted(entry, miss, unknown)
                if note is not None or placement is not None:
                    out[(k, j)] = (note, placement)
    return out


def _noted_portions(info: dict[tuple[int, int], Any], s: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The portions (line, part, covered amount) of encounters not excluded whose
    combination left something for the caveats, in adjudication order."""
    ln, t, el, slow = s.ln, s.table, s.elig, s.order.slow
    has = np.zeros(t.dest.shape, bool)
    for k, j in info:
        has[k, j] = True
    copay = np.where(el.direct[ln.l_enc], ln.in_scope(), 0)
    copay[el.copay_rows] = el.copay_shares
    rows, parts, covered = [], [], []
    for k, amounts in enumerate((ln.pre, copay, ln.ful, ln.over)):
        at = np.flatnonzero((amounts != 0) & has[k][t.combo] & el.live[ln.l_enc])
        amount = amounts[at]
        mine = slow.part == k  # read one by one: what cover leaves of a pro-rated stay
        where = pd.Index(at).get_indexer(slow.row[mine])
        amount[where[where >= 0]] = slow.amount[mine][where >= 0]
        rows.append(at[amount > 0])
        parts.append(np.full(int((amount > 0).sum()), k, np.int64))
        covered.append(amount[amount > 0])
    row, part, amount = np.concatenate(rows), np.concatenate(parts), np.concatenate(covered)
    line_no = ln.lines["line_no"].to_numpy(np.int64)
    order = np.lexsort((part, line_no[row], s.order.enc_pos[ln.l_enc[row]]))
    return row[order], part[order], amount[order]


def _lists_and_placements(found: _Found, product: Product, unknown_lists: str, s: Any,
                          info: dict[tuple[int, int], Any]) -> None:
    """Lists of unknown membership, line by line, and the lists that placed portions."""
    row, part, amount = _noted_portions(info, s)
    ln, e = s.ln, s.e
    l_enc = ln.l_enc[row]
    claim = e.claim_pos[l_enc]
    enc_ids = e.enc["encounter_id"].to_numpy(dtype=object)[l_enc]
    line_no = ln.lines["line_no"].to_numpy(np.int64)[row]
    combo = s.table.combo[row]
    notes, placed = [], []
    for i in range(len(row)):
        note, placement = info[(int(part[i]), int(combo[i]))]
        where = f"{enc_ids[i]}#{line_no[i]}"
        if note is not None:
            lists, resp, held = note
            notes.append(((int(claim[i]), where), lists, resp, from_fen(int(amount[i])) if held else None))
        if placement is not None:
            placed += [(claim[i], found.id(c)) for c in caveats.placement_caveats(product, where, *placement)]
    merged = caveats.merged_notes(notes)
    made = [(c, found.new(caveats.list_unknown(product, where, lid, resp, held, unknown_lists)))
            for ((c, where), lid), (resp, held) in merged.items()]
    for section, pairs in ((_LISTS, made), (_PLACEMENTS, placed)):
        if pairs:
            claims, ids = np.array(pairs, np.int64).T
            found.add(claims, section, np.arange(len(pairs)), 0, ids)


def _terms(found: _Found, product: Product, s: Any) -> None:
    """Unverified deductibles and ratio schedules, per (facts, responsibility), for the
    groups that used them."""
    g, resps = s.g, product.responsibilities
    code = s.facts.e_fact[g.enc] * len(resps) + g.resp
    by_code = pd.Series(np.arange(len(code))).groupby(code, sort=False).indices
    for c, groups in by_code.items():
        fi, ri = divmod(int(c), len(resps))
        r, facts = resps[ri], s.facts.facts[fi]
        clause = deductible_for(product, r, facts)[1]
        s_index, schedule = first_holding(r.ratio, facts)
        for pos, cav in enumerate(caveats.term_caveats(product, r, facts, clause, s_index, schedule)):
            found.add(g.claim[groups], _TERMS, groups, pos, found.id(cav))


def _limits(product: Product) -> tuple[list[list[tuple[int, str, int]]], list[tuple[str, int] | None],
                                       list[tuple[str, int]], tuple[str, int] | None]:
    """The limits a group may meet, as (clause, limit in fen): per responsibility its payable
    sub-limits (with their slot) and its cap; the combined caps; the total cap."""
    resps = product.responsibilities
    subs = [[(t, f"responsibilities.{r.id}.sub_limits.{sl.id}", to_fen(sl.limit))
             for t, sl in enumerate(r.sub_limits) if sl.measure == "payable" and sl.limit is not None] for r in resps]
    caps = [(f"responsibilities.{r.id}.cap", to_fen(r.cap.amount)) if r.cap is not None else None for r in resps]
    combined = [(f"combined_caps.{c.id}", to_fen(c.amount)) for c in product.combined_caps]
    total = ("total_cap", to_fen(product.total_cap.amount)) if product.total_cap is not None else None
    return subs, caps, combined, total


def _used_before(bucket: np.ndarray, claim: np.ndarray, pay: np.ndarray, cut: np.ndarray) -> np.ndarray:
    """What the groups before each (in order) with the same ``bucket`` have used of a limit:
    what they paid, and within the same claim what the indemnity limit cut after the caps."""
    paid = pd.Series(pay).groupby(bucket).cumsum().to_numpy() - pay
    same_claim = pd.Series(cut).groupby([bucket, claim]).cumsum().to_numpy() - cut
    return paid + same_claim


def _cuts(found: _Found, product: Product, s: Any) -> None:
    """Unverified limits that cut a group: its rounded share taken through its limits in
    order (the kernel's ``capped``), for the groups with a cap cut that meet one."""
    g, paid, resps = s.g, s.paid, product.responsibilities
    subs, caps, combined, total = _limits(product)
    resp_unverified = np.array([any(caveats.limit_caveat(product, r.id, clause) is not None for _, clause, _ in sub)
                                or (cap is not None and caveats.limit_caveat(product, r.id, cap[0]) is not None)
                                for r, sub, cap in zip(resps, subs, caps)] or [False], bool)
    cc_unverified = sum(1 << c for c, (clause, _) in enumerate(combined)
                        if caveats.limit_caveat(product, "", clause) is not None)
    total_unverified = total is not None and caveats.limit_caveat(product, "", total[0]) is not None
    if not resp_unverified.any() and not cc_unverified and not total_unverified:
        return
    at = np.flatnonzero((paid.cap_cut > 0) & (resp_unverified[g.resp] | (g.cc & cc_unverified != 0)
                                              | total_unverified))
    if not len(at):
        return
    pay, cut = paid.pay, paid.indemnity_cut
    person_resp = g.person * len(resps) + g.resp
    used_cap = _used_before(person_resp, g.claim, pay, cut)
    used_total = _used_before(g.person, g.claim, pay, cut)
    used_cc = [_used_before(np.where((g.cc >> c) & 1 == 1, g.person, -1), g.claim, pay, cut)
               for c in range(len(combined))]
    used_sub = [_used_before(g.sub[:, t], g.claim, pay, cut) for t in range(g.sub.shape[1])]
    for i in at:
        r = int(g.resp[i])
        met = [(clause, limit, used_sub[t][i]) for t, clause, limit in subs[r] if g.sub[i, t] >= 0]
        met += [(caps[r][0], caps[r][1], used_cap[i])] if caps[r] is not None else []
        met += [(clause, limit, used_cc[c][i]) for c, (clause, limit) in enumerate(combined) if (g.cc[i] >> c) & 1]
        met += [(total[0], total[1], used_total[i])] if total is not None else []
        p, pos = int(s.share[i]), 2
        for clause, limit, used in met:
            p, cut_here = kernel.capped(p, limit, int(used))
            made = caveats.limit_caveat(product, resps[r].id, clause) if cut_here else None
            if made is not None:
                found.add([g.claim[i]], _TERMS, i, pos, found.id(made))
                pos += 1
        assert p == pay[i] + cut[i], "the limits' cuts add up to the group's cap cut"


def _exclusions(found: _Found, product: Product, s: Any) -> set[int]:
    """Unverified eligible-amount and count sub-limits that excluded part of a portion read
    one by one: what its weight leaves of it, less what it kept. Returns the people with a
    portion cut where several such sub-limits select it (which of them cut is not known)."""
    slow, t, resps = s.order.slow, s.table, product.responsibilities
    sls = [(r, sl) for r in resps for sl in r.sub_limits]
    clauses = [f"responsibilities.{r.id}.sub_limits.{sl.id}" for r, sl in sls]
    unverified = np.array([sl.measure != "payable" and caveats.limit_caveat(product, r.id, c) is not None
                           for (r, sl), c in zip(sls, clauses)] or [False], bool)
    unclear: set[int] = set()
    if not unverified.any() or not len(slow.row):
        return unclear
    selects = t.sl[slow.part, slow.combo]
    bits = np.flatnonzero(unverified)
    may = (slow.elig < slow.amount) & ((selects & sum(1 << int(b) for b in bits)) != 0)
    for j in np.flatnonzero(may):
        k, c = int(slow.part[j]), int(slow.combo[j])
        w = int(t.w[k, c])
        if slow.elig[j] >= (kernel.weighted(int(slow.amount[j]), w) if w > 0 else slow.amount[j]):
            continue
        d = int(t.dest[k, c])
        limits = [b for b in range(t.sl_first[d], t.sl_first[d + 1])
                  if (int(selects[j]) >> b) & 1 and sls[b][1].measure != "payable"]
        if len(limits) > 1:
            unclear.add(int(s.e.e_person[slow.enc[j]]))
            continue
        made = caveats.limit_caveat(product, resps[d].id, clauses[limits[0]])
        if made is not None:
            found.add([s.e.claim_pos[slow.enc[j]]], _EXCLUSIONS, j, 0, found.id(made))
    return unclear


def _replayed(found: _Found, product: Product, unknown_lists: str, population: Population,
              people: np.ndarray) -> None:
    """The caveats of these people's claims, as the reference engine gives them (their years
    replayed), in place of those found here."""
    claims = population.claims
    chosen = claims["insured_id"].isin(people).to_numpy()
    ids = claims["claim_id"][chosen]
    part = Population(population.insured[population.insured["insured_id"].isin(people)], claims[chosen],
                      population.encounters[population.encounters["claim_id"].isin(ids)],
                      population.fee_lines[population.fee_lines["claim_id"].isin(ids)])
    by_person: dict[str, list[Any]] = {}
    for claim in part.to_claims():
        by_person.setdefault(claim.insured.id, []).append(claim)
    index = pd.Index(claims["claim_id"])
    for year in by_person.values():
        for adj in replay(year, product, unknown_lists=unknown_lists).adjudications:
            at = int(index.get_loc(adj.claim_id))
            found.replayed.append(at)
            for k, c in enumerate(adj.caveats):
                found.add([at], -1, k, 0, found.id(c))


def _rules(found: _Found, product: Product, n_claims: int, s: Any) -> None:
    """An unverified pre-existing rule for a claim paying something to a person who
    declared a condition; an unverified cross-year rule for a claim with a stay across
    the period's edge."""
    e = s.e
    rule = caveats.pre_existing_caveat(product)
    if rule is not None:
        declared = s.people.ins["pre_existing"].fillna("").astype(str).str.replace(";", "").to_numpy() != ""
        paying = np.bincount(s.g.claim, minlength=n_claims) > 0
        found.add(np.flatnonzero(paying & declared[e.claim_person]), _RULES, 0, 0, found.id(rule))
    rule = caveats.cross_year_caveat(product)
    if rule is not None:
        day = lambda d: int(np.datetime64(d, "D").astype(np.int64))  # noqa: E731
        crossing = e.stay & caveats.crosses_period(e.admitted, e.discharged, day(product.period.start),
                                                   day(product.period.end))
        found.add(np.unique(e.claim_pos[crossing]), _RULES, 1, 0, found.id(rule))
