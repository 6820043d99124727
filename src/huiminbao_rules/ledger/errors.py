"""What a ledger refuses. Each error is a :class:`~huiminbao_rules.core.errors.HuiminbaoError`
whose message is a complete sentence; nothing is written when one is raised."""

from __future__ import annotations

from collections.abc import Sequence

from huiminbao_rules.core.errors import HuiminbaoError

__all__ = ["ClaimConflict", "DuplicateEncounter", "LedgerError", "ProductMismatch", "UnknownClaim"]


class LedgerError(HuiminbaoError, ValueError):
    """The ledger cannot do what was asked (bad URL, no such ledger, schema too new …)."""


class ClaimConflict(LedgerError):
    """A claim id the ledger already holds, submitted with other content.

    ``differences`` lists ``(path, stored, submitted)`` for each field that differs.
    """

    def __init__(self, claim_id: str, differences: Sequence[tuple[str, object, object]], shown: int = 3):
        self.claim_id = claim_id
        self.differences = tuple(differences)
        parts = [f"{path}: stored {stored!r}, submitted {new!r}" for path, stored, new in self.differences[:shown]]
        more = len(self.differences) - shown
        if more > 0:
            parts.append(f"and {more} more")
        super().__init__(f"claim {claim_id!r} is already in the ledger with different content: {'; '.join(parts)}")


class DuplicateEncounter(LedgerError):
    """An encounter the person-year already counts, under another claim id."""

    def __init__(self, claim_id: str, encounter_id: str, identity: str, other_claim: str, other_encounter: str):
        self.claim_id, self.encounter_id, self.identity = claim_id, encounter_id, identity
        self.other_claim, self.other_encounter = other_claim, other_encounter
        where = "the same claim" if other_claim == claim_id else f"claim {other_claim!r}"
        super().__init__(
            f"claim {claim_id!r}: encounter {encounter_id!r} is the same encounter ({identity}) as encounter "
            f"{other_encounter!r} of {where}, already counted in this person-year")


class ProductMismatch(LedgerError):
    """A product id the ledger already holds, with another definition (content hash)."""

    def __init__(self, product_id: str, stored_hash: str, given_hash: str):
        self.product_id, self.stored_hash, self.given_hash = product_id, stored_hash, given_hash
        super().__init__(
            f"product {product_id!r} is in the ledger with content hash {stored_hash[:16]}…, this definition has "
            f"{given_hash[:16]}…: accumulators never mix two definitions under one id; give the changed product "
            "its own id")


class UnknownClaim(LedgerError, LookupError):
    """No claim with this id in the ledger."""

    def __init__(self, claim_id: str):
        self.claim_id = claim_id
        super().__init__(f"no claim {claim_id!r} in the ledger")
