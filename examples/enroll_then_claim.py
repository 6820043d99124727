"""A newborn enrolls in Shenzhen 2023 through the newborn channel, mid-year, and then
has two stays: one before cover started (not paid) and one after (paid).

Run: python examples/enroll_then_claim.py
"""

from __future__ import annotations

from huiminbao_rules import adjudicate, enroll, get_product, parse_application, parse_claim

product = get_product("shenzhen-2023")
application = parse_application({
    "application_id": "SZ23-NB1", "applied_on": "2023-10-20",
    "payer": {"id": "P-MOTHER", "scheme": "employee"}, "payment": "cash",
    "persons": [{"id": "P-BABY", "relation": "child", "birth_date": "2023-09-28", "groups": ["newborn"],
                 "event_on": "2023-10-08",  # the day the baby's 少儿医保 was approved
                 "basic_insurance": {"scheme": "resident", "city": "shenzhen"}}],
})
decision = enroll(application, product).of("P-BABY")
print(f"P-BABY: eligible {decision.eligible}, covered from {decision.cover_start}, premium {decision.premium}")
for reason in decision.reasons:
    print(f"  {reason.code}: {reason.detail}")


def stay(claim_id: str, day: str, in_list_self_pay: str) -> dict:
    return {"claim_id": claim_id, "insured": decision.insured.model_dump(mode="json"), "encounters": [{
        "id": "E1", "kind": "inpatient", "admitted_on": day, "discharged_on": day, "diagnoses": ["P07.3"],
        "settlement": {"medfee_sumamt": in_list_self_pay, "fulamt_ownpay_amt": "0.00", "preselfpay_amt": "0.00",
                       "inscp_scp_amt": in_list_self_pay},
        "fee_lines": [{"med_list_codg": "A1", "name": "新生儿监护", "chrgitm_lv": "01", "med_chrgitm_type": "05",
                       "det_item_fee_sumamt": in_list_self_pay}]}]}


for claim_id, day, amount in (("NB-1", "2023-10-15", "30000.00"), ("NB-2", "2023-11-20", "21000.00")):
    result = adjudicate(parse_claim(stay(claim_id, day, amount)), product)
    why = sorted({e.reason for line in result.lines for p in line.portions for e in p.exclusions})
    print(f"{claim_id} on {day}: pays {result.payable:.2f}" + (f" (not paid: {', '.join(why)})" if why else ""))
# NB-1 falls before cover (the day after enrollment); NB-2 pays (21,000 − 16,000) × 0.80 = 4,000.00.
