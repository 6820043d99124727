"""An encounter's fingerprint (its identity when the settlement carries no id) is read
field by field for speed; it must be the digest of exactly what ``model_dump`` gives, since
year-to-date records store it."""

from __future__ import annotations

import hashlib
import json

from hypothesis import HealthCheck, given, settings

from huiminbao_rules.claims.models import Encounter
from huiminbao_rules.testing.strategies import encounters


def _fingerprint_from_model_dump(e: Encounter) -> str:
    s = e.settlement
    facts = {
        "kind": e.kind, "institution": e.institution,
        "dates": [str(d) if d else None for d in (e.admitted_on, e.discharged_on, e.service_date)],
        "settlement": s.model_dump(mode="json", exclude={"setl_id", "mdtrt_id"}),
        "fee_lines": [f.model_dump(mode="json", exclude={"name"}) for f in e.fee_lines],
    }
    digest = hashlib.sha256(json.dumps(facts, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return f"fingerprint:{digest[:32]}"


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(e=encounters())
def test_the_fingerprint_is_the_digest_of_the_model_dump(e: Encounter) -> None:
    e = e.model_copy(update={"settlement": e.settlement.model_copy(update={"setl_id": None, "mdtrt_id": None})})
    assert e.identity.startswith("fingerprint:")
    assert e.identity == _fingerprint_from_model_dump(e)


def test_a_stored_fingerprint_is_unchanged() -> None:
    from pathlib import Path

    from huiminbao_rules import parse_claim

    root = Path(__file__).resolve().parent.parent
    claim = parse_claim((root / "examples/claims/shenzhen-2023-s1.json").read_text(encoding="utf-8"))
    for e in claim.encounters:
        bare = e.model_copy(update={"settlement": e.settlement.model_copy(update={"setl_id": None, "mdtrt_id": None})})
        assert bare.identity == _fingerprint_from_model_dump(bare)
