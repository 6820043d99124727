"""Claims as columns: a city-year of claims as four pandas tables, money in integer fen.

Needs the ``scenarios`` extra (numpy, pandas). The tables, and the national settlement
names they keep (see ``docs/scenarios.md``):

- ``insured``: one row per person: ``insured_id``, ``birth_date``, ``scheme``,
  ``enrolled_on``, ``pre_existing`` and ``groups`` (``;``-joined ids), ``history`` (JSON);
- ``claims``: ``claim_id``, ``insured_id``, ``other_insurance_paid``;
- ``encounters``: ``claim_id``, ``encounter_id``, ``kind``, ``admitted_on``,
  ``discharged_on``, ``service_date``, ``institution``, ``diagnoses`` (``;``-joined),
  ``settled_through_basic``, the settlement amounts, and ``setl_id`` and ``mdtrt_id`` (None
  where the claim has none: they identify the encounter);
- ``fee_lines``: ``claim_id``, ``encounter_id``, ``line_no``, ``med_list_codg``, ``name``,
  ``chrgitm_lv``, ``med_chrgitm_type``, and the line amounts.

Money columns are ``int64`` fen: exact, and fast to add. :meth:`Population.to_claims`
turns rows back into validated :class:`~huiminbao_rules.claims.models.Claim` objects, so every
claim of a population is exactly what the reference engine would be given.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import numpy as np
import pandas as pd

from huiminbao_rules.claims.models import Claim
from huiminbao_rules.core.money import exact, format_yuan, from_fen, to_fen
from huiminbao_rules.core.vocabulary import PUBLIC_PAYERS

__all__ = ["ENCOUNTER_IDS", "ENCOUNTER_MONEY", "LINE_MONEY", "Population"]

ENCOUNTER_MONEY = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
                   *PUBLIC_PAYERS)
LINE_MONEY = ("det_item_fee_sumamt", "fulamt_ownpay_amt", "overlmt_amt", "preselfpay_amt")
ENCOUNTER_IDS = ("setl_id", "mdtrt_id")
"""The national settlement and encounter ids, kept when a claim has them (they identify the
encounter: ``docs/claim-format.md#encounter-identity``)."""


def _yuan_text(fen: Any) -> str:
    """Fen (an integer of any integer type) as the yuan text of a claim file."""
    return format_yuan(from_fen(fen))


def _day(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, (pd.Timestamp, date)):
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    return str(value)[:10]


@dataclass
class Population:
    """Many people's claims as four tables (see the module docstring)."""

    insured: pd.DataFrame
    claims: pd.DataFrame
    encounters: pd.DataFrame
    fee_lines: pd.DataFrame
    frames: Literal["pandas", "polars"] = "pandas"
    """The kind of frames the tables were given as: results computed from the population
    come back in the same kind (the tables themselves are pandas)."""

    def __len__(self) -> int:
        return len(self.claims)

    @classmethod
    @exact
    def from_claims(cls, claims: Iterable[Claim]) -> Population:
        """Tables from validated claims (the insured table keeps each person's first record)."""
        people: dict[str, dict[str, Any]] = {}
        rows_c, rows_e, rows_l = [], [], []
        for c in claims:
            p = c.insured
            people.setdefault(p.id, {
                "insured_id": p.id, "birth_date": p.birth_date, "scheme": p.scheme, "enrolled_on": p.enrolled_on,
                "pre_existing": ";".join(p.pre_existing), "groups": ";".join(p.groups),
                "history": json.dumps([h.model_dump(mode="json") for h in p.history]),
                "event_on": p.event_on,
            })
            rows_c.append({"claim_id": c.claim_id, "insured_id": p.id,
                           "other_insurance_paid": to_fen(c.other_insurance_paid)})
            for e in c.encounters:
                row = {"claim_id": c.claim_id, "encounter_id": e.id, "kind": e.kind, "admitted_on": e.admitted_on,
                       "discharged_on": e.discharged_on, "service_date": e.service_date, "institution": e.institution,
                       "diagnoses": ";".join(e.diagnoses), "settled_through_basic": e.settled_through_basic}
                for f in ENCOUNTER_MONEY:
                    row[f] = to_fen(getattr(e.settlement, f))
                for f in ENCOUNTER_IDS:
                    row[f] = getattr(e.settlement, f)
                rows_e.append(row)
                for n, line in enumerate(e.fee_lines, 1):
                    lrow = {"claim_id": c.claim_id, "encounter_id": e.id, "line_no": n,
                            "med_list_codg": line.med_list_codg, "name": line.name, "chrgitm_lv": line.chrgitm_lv,
                            "med_chrgitm_type": line.med_chrgitm_type}
                    for f in LINE_MONEY:
                        lrow[f] = to_fen(getattr(line, f))
                    rows_l.append(lrow)
        return cls(
            insured=_frame(list(people.values()), ["birth_date", "enrolled_on", "event_on"]),
            claims=_frame(rows_c, []),
            encounters=_frame(rows_e, ["admitted_on", "discharged_on", "service_date"]),
            fee_lines=_frame(rows_l, []),
        )

    def to_claims(self) -> Iterator[Claim]:
        """Every claim as a validated :class:`Claim` (settlement identities checked)."""
        for data in self.claim_dicts():
            yield Claim.model_validate(data)

    def claim_dicts(self) -> Iterator[dict[str, Any]]:
        """Every claim in the interchange format (amounts as strings)."""
        people = {r["insured_id"]: r for r in self.insured.to_dict("records")}
        lines: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for r in self.fee_lines.sort_values(["claim_id", "encounter_id", "line_no"]).to_dict("records"):
            line = {k: r[k] for k in ("med_list_codg", "name", "chrgitm_lv", "med_chrgitm_type")}
            for f in LINE_MONEY:
                line[f] = _yuan_text(r[f])
            lines.setdefault((r["claim_id"], r["encounter_id"]), []).append(line)
        encs: dict[str, list[dict[str, Any]]] = {}
        for r in self.encounters.to_dict("records"):
            e: dict[str, Any] = {"id": r["encounter_id"], "kind": r["kind"], "institution": r.get("institution") or "",
                                 "diagnoses": [d for d in str(r.get("diagnoses") or "").split(";") if d],
                                 "settled_through_basic": bool(r.get("settled_through_basic", True)),
                                 "settlement": {f: _yuan_text(r[f]) for f in ENCOUNTER_MONEY if f in r},
                                 "fee_lines": lines.get((r["claim_id"], r["encounter_id"]), [])}
            for k in ("admitted_on", "discharged_on", "service_date"):
                if (v := _day(r.get(k))) is not None:
                    e[k] = v
            for k in ENCOUNTER_IDS:
                if isinstance(v := r.get(k), str):
                    e["settlement"][k] = v
            encs.setdefault(r["claim_id"], []).append(e)
        for r in self.claims.to_dict("records"):
            p = people[r["insured_id"]]
            insured = {"id": p["insured_id"], "birth_date": _day(p["birth_date"]), "scheme": p["scheme"],
                       "enrolled_on": _day(p["enrolled_on"]),
                       "pre_existing": [x for x in str(p.get("pre_existing") or "").split(";") if x],
                       "groups": [x for x in str(p.get("groups") or "").split(";") if x],
                       "history": json.loads(p.get("history") or "[]")}
            if (ev := _day(p.get("event_on"))) is not None:
                insured["event_on"] = ev
            yield {"claim_id": r["claim_id"], "insured": insured, "encounters": encs.get(r["claim_id"], []),
                   "other_insurance_paid": _yuan_text(r["other_insurance_paid"])}

    def subset(self, insured_ids: Iterable[str]) -> Population:
        """The people named (all their claims)."""
        ids = set(insured_ids)
        claims = self.claims[self.claims["insured_id"].isin(ids)]
        keep = set(claims["claim_id"])
        return Population(
            insured=self.insured[self.insured["insured_id"].isin(ids)].reset_index(drop=True),
            claims=claims.reset_index(drop=True),
            encounters=self.encounters[self.encounters["claim_id"].isin(keep)].reset_index(drop=True),
            fee_lines=self.fee_lines[self.fee_lines["claim_id"].isin(keep)].reset_index(drop=True),
            frames=self.frames,
        )


def _frame(rows: list[dict[str, Any]], dates: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for col in dates:
        if col in frame:
            frame[col] = pd.to_datetime(frame[col])
    return frame
