"""Fee-line portion -> responsibility, or excluded with a reason.

A product's selectors are compiled once (sets for the attribute tests, dictionaries for
the named lists) and the attribute tests are memoised per (portion, catalogue level, fee
type, encounter kind, settled-through-basic) combination, so classifying a portion is a
dictionary look-up in the common case. Pure: the memo only ever holds what the product's
own data implies.

Matching a named list: an exact national code first, then a code prefix (an item code
ending in ``*``), then a name prefix (the billed name starts with the item's name); the
first item in file order wins within each kind of match.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .product import ListItem, NamedList, Responsibility, Selector

if TYPE_CHECKING:
    from .models import Encounter, FeeLine
    from .product import Product

__all__ = ["Classifier", "CompiledList", "Entry"]

_MISS_RANK = {"not_covered": 0, "not_on_list": 1, "negative_list": 2, "off_indication": 3}
NOT_COVERED = ("not_covered", "responsibilities")


class CompiledList:
    """A named list ready for look-ups."""

    __slots__ = ("exact", "names", "prefixes")

    def __init__(self, named: NamedList):
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
                 "payable_limited", "sel_items")

    def __init__(self, product: Product, lists: dict[str, CompiledList], resp: Responsibility | None,
                 r_index: int, s_index: int, sel: Selector):
        self.resp, self.r_index, self.s_index, self.sel = resp, r_index, s_index, sel
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

    def lists_miss(self, line: FeeLine, enc: Encounter) -> tuple[str, str] | None:
        """None when the list tests pass, else (reason, clause)."""
        if self.inst is not None and self.inst.find("", enc.institution) is None:
            return NOT_COVERED
        if self.neg is not None and self.neg.find(line.med_list_codg, line.name) is not None:
            return "negative_list", f"lists.{self.neg_id}"
        if self.pos is not None:
            item = self.pos.find(line.med_list_codg, line.name)
            if item is None:
                return "not_on_list", f"lists.{self.pos_id}"
            if item.indications and not any(d.startswith(p) for d in enc.diagnoses for p in item.indications):
                return "off_indication", f"lists.{self.pos_id}"
        return None

    def matches(self, part: str, line: FeeLine, enc: Encounter) -> bool:
        return self.basic(part, line.chrgitm_lv, line.med_chrgitm_type, enc.kind, enc.settled_through_basic) and (
            self.plain or self.lists_miss(line, enc) is None
        )


class Classifier:
    """A product's responsibilities' selectors, compiled; see :meth:`classify`."""

    __slots__ = ("entries", "lists", "memo", "sub_limits", "listed")

    def __init__(self, product: Product):
        self.lists = {k: CompiledList(v) for k, v in product.lists.items()}
        self.entries = [
            Entry(product, self.lists, r, ri, si, s)
            for ri, r in enumerate(product.responsibilities)
            for si, s in enumerate(r.takes)
        ]
        self.sub_limits = {
            (r.id, sl.id): Entry(product, self.lists, None, ri, i, sl.takes)
            for ri, r in enumerate(product.responsibilities)
            for i, sl in enumerate(r.sub_limits)
        }
        self.memo: dict[tuple[str, str, str, str, bool], tuple[Entry, ...]] = {}
        # Outcomes that depend on the named lists, by everything a list test can look at.
        self.listed: dict[tuple, tuple[Entry | None, tuple[str, str]]] = {}

    def classify(self, part: str, line: FeeLine, enc: Encounter) -> tuple[Entry | None, tuple[str, str]]:
        """The first selector that takes this portion, or None and the most telling miss.

        Misses rank: off-indication > on a negative list > not on a positive list > not covered.
        """
        key = (part, line.chrgitm_lv, line.med_chrgitm_type, enc.kind, enc.settled_through_basic)
        candidates = self.memo.get(key)
        if candidates is None:
            candidates = tuple(e for e in self.entries if e.basic(*key))
            self.memo[key] = candidates
        if not candidates:
            return None, NOT_COVERED
        if candidates[0].plain:
            return candidates[0], NOT_COVERED
        full = (key, line.med_list_codg, line.name, enc.institution, enc.diagnoses)
        found = self.listed.get(full)
        if found is not None:
            return found
        best = NOT_COVERED
        found = None
        for e in candidates:
            if e.plain:
                found = (e, best)
                break
            miss = e.lists_miss(line, enc)
            if miss is None:
                found = (e, best)
                break
            if _MISS_RANK[miss[0]] > _MISS_RANK[best[0]]:
                best = miss
        if found is None:
            found = (None, best)
        if len(self.listed) > 200_000:  # bounded: a population's distinct items, not its lines
            self.listed.clear()
        self.listed[full] = found
        return found
