"""The canonical claims every product is snapshotted on (tests/snapshots/<id>.json).

Each is built for the product's own period, so one set serves every product:
an in-list stay, an out-of-list stay, a special-drug purchase, a specified-disease
outpatient visit, a catastrophic stay, a small claim, and the in-list stay of a person
with a pre-existing condition; plus the whole set replayed as one person's year.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from huiminbao_rules import Product, adjudicate, parse_claim, replay


def _line(code: str, name: str, level: str, fee_type: str, amount: str, **parts: str) -> dict[str, Any]:
    return {"med_list_codg": code, "name": name, "chrgitm_lv": level, "med_chrgitm_type": fee_type,
            "det_item_fee_sumamt": amount, **parts}


def _encounter(eid: str, kind: str, day: date, lines: list[dict[str, Any]], public: str, diagnoses: list[str]) -> dict:
    total = sum(Decimal(ln["det_item_fee_sumamt"]) for ln in lines)
    ful = sum(Decimal(ln.get("fulamt_ownpay_amt", "0")) for ln in lines)
    pre = sum(Decimal(ln.get("preselfpay_amt", "0")) for ln in lines)
    enc: dict[str, Any] = {"id": eid, "kind": kind, "diagnoses": diagnoses, "institution": "市第一人民医院",
                           "settlement": {"medfee_sumamt": str(total), "fulamt_ownpay_amt": str(ful),
                                          "preselfpay_amt": str(pre), "inscp_scp_amt": str(total - ful - pre),
                                          "hifp_pay": public},
                           "fee_lines": lines}
    if kind == "inpatient":
        enc.update(admitted_on=day.isoformat(), discharged_on=(day + timedelta(days=12)).isoformat())
    else:
        enc["service_date"] = day.isoformat()
    return enc


def canonical_claims(product: Product) -> list[dict[str, Any]]:
    start = product.period.start
    person = {"id": "P-SNAP", "birth_date": "1960-03-01", "scheme": "employee",
              "enrolled_on": (start - timedelta(days=20)).isoformat()}
    sick = {**person, "id": "P-SNAP-PRE", "pre_existing": ["malignant_tumor"]}

    def claim(cid: str, offset: int, encounters: list[dict], who: dict = person) -> dict[str, Any]:
        day = start + timedelta(days=offset)
        for e in encounters:
            for key in ("admitted_on", "service_date"):
                if key in e:
                    e[key] = day.isoformat()
            if "discharged_on" in e:
                e["discharged_on"] = (day + timedelta(days=12)).isoformat()
        return {"claim_id": cid, "insured": who, "encounters": encounters}

    d = start
    in_list = lambda: [_encounter("E1", "inpatient", d, [  # noqa: E731
        _line("Y0001", "乙类药品", "02", "09", "60000.00", preselfpay_amt="10000.00"),
        _line("A0001", "手术费", "01", "06", "140000.00")], "150000.00", ["C34.9"])]
    return [
        claim("in-list-stay", 30, in_list()),
        claim("out-of-list-stay", 60, [_encounter("E1", "inpatient", d, [
            _line("C0001", "自费药品", "03", "09", "60000.00", fulamt_ownpay_amt="60000.00"),
            _line("C0002", "自费耗材", "03", "08", "30000.00", fulamt_ownpay_amt="30000.00"),
            _line("C0003", "自费检查", "03", "03", "10000.00", fulamt_ownpay_amt="10000.00"),
            _line("A0002", "床位费", "01", "01", "5000.00")], "4000.00", ["C50.9"])]),
        claim("special-drug", 90, [_encounter("E1", "pharmacy", d, [
            _line("T0001", "特药", "03", "09", "120000.00", fulamt_ownpay_amt="120000.00")], "0.00", ["C34.9"])]),
        claim("specified-outpatient", 120, [_encounter("E1", "outpatient_special", d, [
            _line("A0003", "透析治疗", "01", "05", "50000.00"),
            _line("C0004", "自费药品", "03", "11", "20000.00", fulamt_ownpay_amt="20000.00")], "20000.00", ["N18.5"])]),
        claim("catastrophic-stay", 150, [_encounter("E1", "inpatient", d, [
            _line("A0004", "重症监护", "01", "05", "3000000.00"),
            _line("C0005", "自费药品", "03", "09", "1500000.00", fulamt_ownpay_amt="1500000.00")], "1000000.00",
            ["I21.0"])]),
        claim("small-claim", 180, [_encounter("E1", "inpatient", d, [
            _line("A0005", "诊疗", "01", "05", "5000.00")], "0.00", ["J44.1"])]),
        claim("pre-existing-in-list-stay", 30, in_list(), sick),
    ]


def snapshot(product: Product) -> dict[str, Any]:
    """Each canonical claim adjudicated fresh, and the first six as one person's year."""
    claims = canonical_claims(product)
    out: dict[str, Any] = {"product": product.id, "claims": {}}
    for data in claims:
        adj = adjudicate(parse_claim(data), product)
        excluded: dict[str, str] = {}
        for line in adj.lines:
            for p in line.portions:
                for e in p.exclusions:
                    excluded[e.reason] = str(Decimal(excluded.get(e.reason, "0")) + e.amount)
        out["claims"][adj.claim_id] = {
            "payable": f"{adj.payable:.2f}",
            "pending": f"{adj.pending_amount:.2f}",
            "caveats": sorted({c.code for c in adj.caveats}),
            "responsibilities": {r.id: {"eligible": f"{r.eligible:.2f}", "payable": f"{r.payable:.2f}"}
                                 for r in adj.responsibilities if r.eligible},
            "excluded": dict(sorted(excluded.items())),
        }
    year = replay([parse_claim(c) for c in claims[:6]], product)
    out["year"] = {"payable": f"{year.payable:.2f}", "pending": f"{year.pending_amount:.2f}",
                   "claims": {a.claim_id: f"{a.payable:.2f}" for a in year.adjudications}}
    return out
