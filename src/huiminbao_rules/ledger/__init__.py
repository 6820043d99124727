"""A claims ledger for insurer backends: each person-year's claims adjudicated in
service-date order and stored with every version, on embedded SQLite or on PostgreSQL.

    >>> from huiminbao_rules.ledger import Ledger
    >>> # with Ledger.open("sqlite:///claims.sqlite") as ledger:
    >>> #     ledger.submit(claim, get_product("shenzhen-2023")).payable

Idempotent (the same claim twice is recorded once), order-independent (a late claim
re-adjudicates the later ones, as new versions with adjustments), reversible, safe
under concurrent writers and under a process killed mid-write. See ``docs/ledger.md``.
"""

from huiminbao_rules.ledger.core import Adjustment, Ledger, Reversal, Submission, canonical_claim, canonical_product, library_version
from huiminbao_rules.ledger.errors import ClaimConflict, DuplicateEncounter, LedgerError, ProductMismatch, UnknownClaim
from huiminbao_rules.ledger.schema import MIGRATIONS, SCHEMA_VERSION

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Adjustment",
    "ClaimConflict",
    "DuplicateEncounter",
    "Ledger",
    "LedgerError",
    "ProductMismatch",
    "Reversal",
    "Submission",
    "UnknownClaim",
    "canonical_claim",
    "canonical_product",
    "library_version",
]
