"""Fee-line portion -> responsibility, or excluded with a reason.

A product's selectors are compiled once (sets for the attribute tests, dictionaries for
the named lists) and the attribute tests are memoised per (portion, catalogue level, fee
type, encounter kind, settled-through-basic) combination, so classifying a portion is a
dictionary look-up in the common case. Pure: the memo only ever holds what the product's
own data implies.

Matching a named list: an exact national code first, then a code prefix (an item code
ending in ``*``), then a name prefix (the billed name starts with the item's name); the
first item in file order wins within each kind of match.

Lists that are not complete: a line *found* on a list is a member; a line not found on
a ``partial`` or ``unknown`` list (and of a fee type the list can hold) has unknown
membership. What happens then is the classifier's ``unknown_lists`` choice:

- ``pend`` (the default): where membership would change the outcome (another
  responsibility, another weight, or paid against excluded), the portion is held for
  review (``pending_review``) and the lists involved are named; where it would not, the
  outcome stands and nothing is pended;
- ``member`` / ``non-member``: unknown membership is taken as membership or as
  non-membership, and the lists so assumed are named for the result's caveats.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from huiminbao_rules.rules.product import ListItem, NamedList, Responsibility, Selector

if TYPE_CHECKING:
    from huiminbao_rules.claims.models import Encounter, FeeLine
    from huiminbao_rules.rules.product import Product

__all__ = ["Classifier", "CompiledList", "Entry", "classifier_of"]

_MISS_RANK = {"not_covered": 0, "not_on_list": 1, "negative_list": 2, "off_indication": 3}
NOT_COVERED = ("not_covered", "responsibilities")
UNKNOWN_LISTS = ("pend", "member", "non-member")
_PASS, _MISS, _UNKNOWN = 0, 1, 2


class CompiledList:
    """A named list ready for look-ups."""

    __slots__ = ("exact", "names", "prefixes", "complete", "fee_types")

    def __init__(self, named: NamedList):
        self.complete = named.completeness == "complete"
        self.fee_types = named.member_fee_types
        self.exact: dict[str, ListItem] = {}
        self.prefixes: list[tuple[str, ListItem]] = []
        self.names: list[tuple[str, ListItem]] = []
        for item in named.items:
            for code in item.codes:
                if code.endswith("*"):
                    self.prefixes.append((code[:-1], item))
                else:
                    self.exact.setdefault(code, item)
            if item.name:
                self.names.append((item.name, item))

    def find(self, code: str, name: str) -> ListItem | None:
        item = self.exact.get(code)
        if item is not None:
            return item
        for prefix, item in self.prefixes:
            if code.startswith(prefix):
                return item
        if name:
            for prefix, item in self.names:
                if name.startswith(prefix):
                    return item
        return None


class Entry:
    """One selector of one responsibility, compiled."""

    __slots__ = ("resp", "r_index", "s_index", "sel", "portions", "levels", "types", "kinds", "settled",
                 "inst", "inst_id", "neg", "neg_id", "pos", "pos_id", "plain", "weight", "limited",
                 "payable_limited", "sel_items", "assume")

    def __init__(self, product: Product, lists: dict[str, CompiledList], resp: Responsibility | None,
                 r_index: int, s_index: int, sel: Selector, assume: str = "pend"):
        self.resp, self.r_index, self.s_index, self.sel = resp, r_index, s_index, sel
        self.assume = assume
        self.portions = frozenset(sel.portions)
        self.levels = frozenset(sel.levels) if sel.levels is not None else None
        self.types = frozenset(sel.fee_types) if sel.fee_types is not None else None
        self.kinds = frozenset(sel.encounter_kinds) if sel.encounter_kinds is not None else None
        self.settled = sel.settled_through_basic
        self.inst_id, self.neg_id, self.pos_id = sel.institutions, sel.not_in_list, sel.in_list
        self.inst = lists[sel.institutions] if sel.institutions else None
        self.neg = lists[sel.not_in_list] if sel.not_in_list else None
        self.pos = lists[sel.in_list] if sel.in_list else None
        self.plain = self.inst is None and self.neg is None and self.pos is None
        self.sel_items = product.lists[sel.in_list].items if sel.in_list else ()
        self.weight = None if sel.weight == 1 else sel.weight
        subs = resp.sub_limits if resp is not None else ()
        self.limited = any(sl.measure != "payable" for sl in subs)
        self.payable_limited = any(sl.measure == "payable" for sl in subs)

    def basic(self, part: str, level: str, fee_type: str, kind: str, settled: bool) -> bool:
        return (
            part in self.portions
            and (self.levels is None or level in self.levels)
            and (self.types is None or fee_type in self.types)
            and (self.kinds is None or kind in self.kinds)
            and (self.settled is None or self.settled == settled)
        )

    def lists_test(self, line: FeeLine, enc: Encounter) -> tuple[int, tuple[str, str] | None, tuple[str, ...]]:
        """(pass, miss or unknown; the miss (reason, clause); the lists whose membership is
        unknown). A test that fails decides; else any unknown membership leaves it unknown."""
        unknown: list[str] = []
        if self.inst is not None and self.inst.find("", enc.institution) is None:
            if self.inst.complete:
                return _MISS, NOT_COVERED, ()
            unknown.append(self.inst_id)  # type: ignore[arg-type]
        if self.neg is not None:
            if self.neg.find(line.med_list_codg, line.name) is not None:
                return _MISS, ("negative_list", f"lists.{self.neg_id}"), ()
            if not self.neg.complete and _may_hold(self.neg, line):
                unknown.append(self.neg_id)  # type: ignore[arg-type]
        if self.pos is not None:
            item = self.pos.find(line.med_list_codg, line.name)
            if item is None:
                if not _may_hold(self.pos, line):
                    # A line of a fee type the list cannot hold: this responsibility does not cover it.
                    return _MISS, ("not_covered", f"responsibilities.{self.resp.id if self.resp else ''}.takes"
                                   f"[{self.s_index}]"), ()
                if self.pos.complete:
                    return _MISS, ("not_on_list", f"lists.{self.pos_id}"), ()
                unknown.append(self.pos_id)  # type: ignore[arg-type]
            elif item.indications and not any(d.startswith(p) for d in enc.diagnoses for p in item.indications):
                return _MISS, ("off_indication", f"lists.{self.pos_id}"), ()
        if unknown:
            return _UNKNOWN, None, tuple(unknown)
        return _PASS, None, ()

    def lists_miss(self, line: FeeLine, enc: Encounter) -> tuple[str, str] | None:
        """None when the list tests pass (unknown membership taken as membership), else (reason, clause)."""
        state, miss, _ = self.lists_test(line, enc)
        return miss if state == _MISS else None

    def matches(self, part: str, line: FeeLine, enc: Encounter) -> bool:
        """Whether this selector takes the portion. Used for sub-limits: a line of unknown
        membership counts as a member (so the limit applies), unless the choice is ``non-member``."""
        if not self.basic(part, line.chrgitm_lv, line.med_chrgitm_type, enc.kind, enc.settled_through_basic):
            return False
        if self.plain:
            return True
        state, _, unknown = self.lists_test(line, enc)
        if state == _UNKNOWN:
            return self._member_if_unknown(unknown)
        return state == _PASS

    def _member_if_unknown(self, unknown: tuple[str, ...]) -> bool:
        """Under ``member``/``pend`` an unknown negative list excludes; under ``non-member`` it does not."""
        if self.assume == "non-member":
            return False if self.pos_id in unknown or self.inst_id in unknown else True
        return False if self.neg_id in unknown else True


def _may_hold(lst: CompiledList, line: FeeLine) -> bool:
    return lst.fee_types is None or line.med_chrgitm_type in lst.fee_types


class Classifier:
    """A product's responsibilities' selectors, compiled; see :meth:`classify`."""

    __slots__ = ("entries", "lists", "memo", "sub_limits", "listed", "unknown_lists")

    def __init__(self, product: Product, unknown_lists: str = "pend"):
        if unknown_lists not in UNKNOWN_LISTS:
            raise ValueError(f"unknown_lists is one of {', '.join(UNKNOWN_LISTS)}, not {unknown_lists!r}")
        self.unknown_lists = unknown_lists
        self.lists = {k: CompiledList(v) for k, v in product.lists.items()}
        self.entries = [
            Entry(product, self.lists, r, ri, si, s, unknown_lists)
            for ri, r in enumerate(product.responsibilities)
            for si, s in enumerate(r.takes)
        ]
        self.sub_limits = {
            (r.id, sl.id): Entry(product, self.lists, None, ri, i, sl.takes, unknown_lists)
            for ri, r in enumerate(product.responsibilities)
            for i, sl in enumerate(r.sub_limits)
        }
        self.memo: dict[tuple[str, str, str, str, bool], tuple[Entry, ...]] = {}
        # Outcomes that depend on the named lists, by everything a list test can look at.
        self.listed: dict[tuple, tuple[Entry | None, tuple[str, str], tuple[str, ...]]] = {}

    def classify(self, part: str, line: FeeLine, enc: Encounter) -> tuple[Entry | None, tuple[str, str]]:
        """The first selector that takes this portion, or None and the most telling miss
        (``pending_review`` when the portion is held for review; see :meth:`classify_full`)."""
        entry, miss, _ = self.classify_full(part, line, enc)
        return entry, miss

    def classify_full(self, part: str, line: FeeLine, enc: Encounter
                      ) -> tuple[Entry | None, tuple[str, str], tuple[str, ...]]:
        """(entry or None, the most telling miss, the lists of unknown membership the outcome
        depended on). Pended: (None, ("pending_review", "lists.<id>", responsibility id), lists),
        the responsibility being the first that would take the line.

        Misses rank: off-indication > on a negative list > not on a positive list > not covered.
        """
        key = (part, line.chrgitm_lv, line.med_chrgitm_type, enc.kind, enc.settled_through_basic)
        candidates = self.memo.get(key)
        if candidates is None:
            candidates = tuple(e for e in self.entries if e.basic(*key))
            self.memo[key] = candidates
        if not candidates:
            return None, NOT_COVERED, ()
        if candidates[0].plain:
            return candidates[0], NOT_COVERED, ()
        full = (key, line.med_list_codg, line.name, enc.institution, enc.diagnoses)
        found = self.listed.get(full)
        if found is not None:
            return found
        tests = [None if e.plain else e.lists_test(line, enc) for e in candidates]
        found = self._pended(candidates, tests) if self.unknown_lists == "pend" else self._assumed(candidates, tests)
        if len(self.listed) > 200_000:  # bounded: a population's distinct items, not its lines
            self.listed.clear()
        self.listed[full] = found
        return found

    def _pended(self, candidates, tests):  # type: ignore[no-untyped-def]
        """The outcome when unknown memberships are held for review: the one outcome they
        all allow, or pended on the first list it depends on."""
        outcomes: dict[tuple, tuple[Entry | None, tuple[str, str]]] = {}
        used: list[str] = []
        self._walk(candidates, tests, 0, NOT_COVERED, outcomes, used)
        lists = tuple(dict.fromkeys(used))
        if len(outcomes) == 1:
            entry, miss = next(iter(outcomes.values()))
            return (entry, miss, ())
        # (reason, clause, the responsibility that takes the line if it is a member)
        first = next(e for e in outcomes.values() if e[0] is not None)[0]
        return (None, ("pending_review", f"lists.{lists[0]}", first.resp.id), lists)  # type: ignore[union-attr]

    def _assumed(self, candidates, tests):  # type: ignore[no-untyped-def]
        """The outcome when unknown memberships are taken as members (``member``) or as
        non-members, with the lists so assumed."""
        member = self.unknown_lists == "member"
        best = NOT_COVERED
        assumed: list[str] = []
        for e, t in zip(candidates, tests):
            if t is None:
                return (e, best, tuple(dict.fromkeys(assumed)))
            state, miss, unknown = t
            if state == _UNKNOWN:
                assumed.extend(unknown)
                if e._member_if_unknown(unknown) if member else _passes_as_non_member(e, unknown):
                    return (e, best, tuple(dict.fromkeys(assumed)))
                miss = _assumed_miss(e, unknown, member)
            elif state == _PASS:
                return (e, best, tuple(dict.fromkeys(assumed)))
            if _better(miss, best):
                best = miss
        return (None, best, tuple(dict.fromkeys(assumed)))

    def _walk(self, candidates, tests, i, best, outcomes, used) -> None:  # type: ignore[no-untyped-def]
        """Every outcome the unknown memberships allow, keyed by what it pays (responsibility
        and weight) or by being excluded."""
        while i < len(candidates):
            e, t = candidates[i], tests[i]
            if t is None or t[0] == _PASS:
                outcomes.setdefault((e.resp.id, e.weight), (e, best))
                return
            state, miss, unknown = t
            if state == _UNKNOWN:
                # One way this selector takes the portion, the other it does not and the next is
                # tried: for a positive list or institutions membership takes it, for a negative
                # list non-membership does.
                used.extend(unknown)
                outcomes.setdefault((e.resp.id, e.weight), (e, best))
                only_negative = e.neg_id in unknown and e.pos_id not in unknown and e.inst_id not in unknown
                miss = (("negative_list", f"lists.{e.neg_id}") if only_negative
                        else ("not_on_list", f"lists.{unknown[0]}"))
            if _better(miss, best):
                best = miss
            i += 1
        outcomes.setdefault(("excluded",), (None, best))


def _better(miss: tuple[str, str], best: tuple[str, str]) -> bool:
    """A more telling miss: a higher rank, or a named selector's not_covered over the generic one."""
    return _MISS_RANK[miss[0]] > _MISS_RANK[best[0]] or (best is NOT_COVERED and miss[0] == "not_covered")


def _passes_as_non_member(e: Entry, unknown: tuple[str, ...]) -> bool:
    """Non-members of the unknown lists: a positive list or institutions fail, a negative list passes."""
    return e.pos_id not in unknown and e.inst_id not in unknown


def _assumed_miss(e: Entry, unknown: tuple[str, ...], member: bool) -> tuple[str, str]:
    if member:
        return "negative_list", f"lists.{e.neg_id}"
    if e.pos_id in unknown:
        return "not_on_list", f"lists.{e.pos_id}"
    return NOT_COVERED


def classifier_of(product: Product, unknown_lists: str = "pend") -> Classifier:
    """The product's selectors compiled for fast matching, for one way of treating unknown
    list membership (``pend``, ``member`` or ``non-member``); built once per product."""
    key = f"classifier:{unknown_lists}"
    found = product.compiled.get(key)
    if found is None:
        found = product.compiled[key] = Classifier(product, unknown_lists)
    return found
