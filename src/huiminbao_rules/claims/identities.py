"""The settlement identities, kept in one place.

The national interface document that defines these fields was not available; the
identities below follow from the fields' meanings as transcribed in many hospital
integrations (see ``docs/claim-format.md``). A settlement that breaks one is bad input:
it is rejected, never repaired. An integration whose data legitimately departs from
one of them can switch it off by name when it parses claims::

    parse_claim(data, relax={"personal_share"})

Each identity is a pure function of one encounter that returns ``None`` or the
difference it found, so the list below is the whole definition.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from huiminbao_rules.core.vocabulary import PUBLIC_PAYERS

if TYPE_CHECKING:
    from huiminbao_rules.claims.models import Encounter

__all__ = ["IDENTITIES", "Breach", "check_encounter"]


@dataclass(frozen=True)
class Breach:
    """An identity that does not hold: its name, the fields involved, left minus right."""

    identity: str
    fields: tuple[str, ...]
    difference: Decimal
    detail: str


def _medfee_split(e: Encounter) -> Breach | None:
    s = e.settlement
    parts = s.fulamt_ownpay_amt + s.overlmt_selfpay + s.preselfpay_amt + s.inscp_scp_amt
    diff = s.medfee_sumamt - parts
    if diff:
        return Breach(
            "medfee_split",
            ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt"),
            diff,
            f"medfee_sumamt {s.medfee_sumamt} must equal fulamt_ownpay_amt + overlmt_selfpay + "
            f"preselfpay_amt + inscp_scp_amt = {parts} (difference {diff})",
        )
    return None


def _public_within_scope(e: Encounter) -> Breach | None:
    s = e.settlement
    diff = s.public_paid - s.inscp_scp_amt
    if diff > 0:
        return Breach(
            "public_within_scope",
            ("inscp_scp_amt", *PUBLIC_PAYERS),
            diff,
            f"the public payers together paid {s.public_paid}, more than the in-scope amount "
            f"inscp_scp_amt {s.inscp_scp_amt} (difference {diff})",
        )
    return None


def _personal_share(e: Encounter) -> Breach | None:
    s = e.settlement
    if s.psn_part_amt is None:
        return None
    expected = s.medfee_sumamt - s.public_paid
    diff = s.psn_part_amt - expected
    if diff:
        return Breach(
            "personal_share",
            ("psn_part_amt", "medfee_sumamt", *PUBLIC_PAYERS),
            diff,
            f"psn_part_amt {s.psn_part_amt} must equal medfee_sumamt minus what the public payers "
            f"paid = {expected} (difference {diff})",
        )
    return None


# Settlement field -> fee-line field whose sum over the lines must equal it.
_LINE_SUMS = (
    ("medfee_sumamt", "det_item_fee_sumamt"),
    ("fulamt_ownpay_amt", "fulamt_ownpay_amt"),
    ("overlmt_selfpay", "overlmt_amt"),
    ("preselfpay_amt", "preselfpay_amt"),
    ("inscp_scp_amt", "inscp_scp_amt"),
)


def _lines_reconcile(e: Encounter) -> Breach | None:
    for settlement_field, line_field in _LINE_SUMS:
        total = sum((getattr(line, line_field) for line in e.fee_lines), Decimal("0.00"))
        declared = getattr(e.settlement, settlement_field)
        diff = declared - total
        if diff:
            return Breach(
                "lines_reconcile",
                (settlement_field, f"fee_lines[].{line_field}"),
                diff,
                f"settlement {settlement_field} {declared} differs from the sum of the fee lines' "
                f"{line_field} {total} (difference {diff})",
            )
    return None


IDENTITIES: dict[str, Callable[[Encounter], Breach | None]] = {
    "medfee_split": _medfee_split,
    "public_within_scope": _public_within_scope,
    "personal_share": _personal_share,
    "lines_reconcile": _lines_reconcile,
}
"""Name -> check. Order matters only for which breach is reported first."""


def check_encounter(encounter: Encounter, relax: Iterable[str] = ()) -> list[Breach]:
    """Every identity the encounter breaks, except the relaxed ones."""
    relaxed = set(relax)
    unknown = relaxed - IDENTITIES.keys()
    if unknown:
        raise ValueError(f"unknown identities {sorted(unknown)}; known: {sorted(IDENTITIES)}")
    breaches = []
    for name, check in IDENTITIES.items():
        if name not in relaxed and (breach := check(encounter)) is not None:
            breaches.append(breach)
    return breaches
