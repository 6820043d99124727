"""Input models: the insured person, medical encounters as settled by basic insurance,
their fee lines, and the claim that bundles them. All frozen; all money is
:data:`~huiminbao_rules.core.money.Amount`.

Field names follow the national medical-insurance platform where one exists
(``medfee_sumamt``, ``det_item_fee_sumamt`` …); see ``docs/claim-format.md``.
Parsing checks every field and the settlement identities of
:mod:`huiminbao_rules.claims.identities`; a claim that fails is refused whole.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from huiminbao_rules.core.errors import FileError, InputError, Problem, SettlementError
from huiminbao_rules.core.fields import Bool, Code, Day, Id, Int, Text, shown
from huiminbao_rules.core.vocabulary import PUBLIC_PAYERS
from huiminbao_rules.claims.identities import check_encounter
from huiminbao_rules.core.inputs import DEFAULT_LIMITS, Limits, parse_json
from huiminbao_rules.core.money import ZERO, Amount, exact

__all__ = [
    "Claim",
    "Encounter",
    "EncounterKind",
    "EnrollmentYear",
    "FeeLine",
    "Insured",
    "Scheme",
    "Settlement",
    "parse_claim",
    "problems_from_validation",
]

Scheme = Literal["employee", "resident"]
"""职工医保 (employee scheme) or 城乡居民医保 (resident scheme)."""

EncounterKind = Literal["inpatient", "outpatient_special", "outpatient", "pharmacy"]
"""住院; 门诊规定病种/门慢特; 普通门诊; 特药购药 at a designated pharmacy."""

CatalogueLevel = Literal["01", "02", "03"]
"""``chrgitm_lv``: 01 甲类, 02 乙类, 03 丙类 (wholly self-paid)."""

_IDENT = r"^[a-z][a-z0-9_]*$"
_ICD10 = r"^[A-Z][0-9]{2}(\.[0-9A-Za-z+]{1,10})?$"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class EnrollmentYear(_Frozen):
    """One policy year of the person's history with this city's product."""

    year: Int = Field(ge=2000, le=2100, description="policy year (the year coverage starts)")
    enrolled: Bool
    paid: Amount = Field(default=ZERO, description="benefit the product paid the person that year")


class Insured(_Frozen):
    """The insured person, as far as adjudication needs to know them."""

    id: Id
    birth_date: Day
    scheme: Scheme
    enrolled_on: Day = Field(description="date the enrollment (premium payment) was made")
    pre_existing: tuple[Code, ...] = Field(default=(), max_length=100, description="declared pre-existing condition ids")
    groups: tuple[Code, ...] = Field(default=(), max_length=100, description="special groups (minimum_living, newborn …)")
    history: tuple[EnrollmentYear, ...] = Field(default=(), max_length=101, description="enrollment by policy year")
    event_on: Day | None = Field(default=None, description="date of a special-case event (a newborn: birth)")

    @model_validator(mode="after")
    def _dates(self) -> Insured:
        if self.enrolled_on < self.birth_date:
            raise ValueError(
                f"enrolled_on {self.enrolled_on} is before birth_date {self.birth_date}"
            )
        years = [h.year for h in self.history]
        if len(years) != len(set(years)):
            raise ValueError("history lists a year more than once")
        return self

    @cached_property
    def history_by_year(self) -> dict[int, EnrollmentYear]:
        return {h.year: h for h in self.history}

    def enrolled_in(self, year: int) -> bool:
        h = self.history_by_year.get(year)
        return bool(h and h.enrolled)

    def consecutive_years_before(self, year: int, *, claim_free: bool = False) -> int:
        """How many policy years just before ``year`` the person was enrolled without a break
        (and, with ``claim_free``, was paid nothing in)."""
        n = 0
        y = year - 1
        while (h := self.history_by_year.get(y)) is not None and h.enrolled and (not claim_free or h.paid == 0):
            n += 1
            y -= 1
        return n


class Settlement(_Frozen):
    """An encounter's basic-insurance settlement (national ``setlinfo``)."""

    PUBLIC_PAYERS: ClassVar[tuple[str, ...]] = PUBLIC_PAYERS

    medfee_sumamt: Amount = Field(description="医疗费总额")
    fulamt_ownpay_amt: Amount = Field(description="全自费金额")
    overlmt_selfpay: Amount = Field(default=ZERO, description="超限价自费费用")
    preselfpay_amt: Amount = Field(description="先行自付金额")
    inscp_scp_amt: Amount = Field(description="符合政策范围金额")
    hifp_pay: Amount = Field(default=ZERO, description="统筹基金支出")
    hifmi_pay: Amount = Field(default=ZERO, description="居民大病保险资金支出")
    hifob_pay: Amount = Field(default=ZERO, description="职工大额医疗费用补助基金支出")
    cvlserv_pay: Amount = Field(default=ZERO, description="公务员医疗补助资金支出")
    maf_pay: Amount = Field(default=ZERO, description="医疗救助基金支出")
    hifes_pay: Amount = Field(default=ZERO, description="企业补充医疗保险基金支出")
    oth_pay: Amount = Field(default=ZERO, description="其他支出")
    psn_part_amt: Amount | None = Field(default=None, description="个人负担总金额 (checked when given)")
    setl_id: Id | None = Field(default=None, description="结算ID: the national settlement id")
    mdtrt_id: Id | None = Field(default=None, description="就诊ID: the national encounter (treatment) id")

    @cached_property
    def public_paid(self) -> Decimal:
        """What the public payers paid together."""
        return sum((getattr(self, f) for f in self.PUBLIC_PAYERS), ZERO)

    @cached_property
    def compliant_self_pay(self) -> Decimal:
        """合规自付: 先行自付 plus the in-scope amount the public payers left to the person."""
        return self.preselfpay_amt + self.inscp_scp_amt - self.public_paid

    @cached_property
    def owed(self) -> Decimal:
        """What the person still owes after the public payers."""
        return self.medfee_sumamt - self.public_paid


class FeeLine(_Frozen):
    """One fee line (national ``feedetl``)."""

    feedetl_sn: Text | None = Field(default=None, description="费用明细流水号")
    med_list_codg: Text = Field(default="", description="national catalogue code")
    name: Text = Field(default="", description="item name as billed")
    chrgitm_lv: CatalogueLevel = Field(description="收费项目等级: 01 甲, 02 乙, 03 丙")
    med_chrgitm_type: str = Field(pattern=r"^[0-9]{2}$", description="医疗收费项目类别, e.g. 09 西药费")
    det_item_fee_sumamt: Amount = Field(description="明细项目费用总额")
    fulamt_ownpay_amt: Amount = Field(default=ZERO, description="全自费金额")
    overlmt_amt: Amount = Field(default=ZERO, description="超限价金额")
    preselfpay_amt: Amount = Field(default=ZERO, description="先行自付金额")
    inscp_scp_amt: Amount = Field(default=None, validate_default=False, description="符合政策范围金额; derived when absent")  # type: ignore[assignment]

    @model_validator(mode="after")
    def _split(self) -> FeeLine:
        self_paid = self.fulamt_ownpay_amt + self.overlmt_amt + self.preselfpay_amt
        rest = self.det_item_fee_sumamt - self_paid
        if rest < 0:
            raise ValueError(
                f"fulamt_ownpay_amt + overlmt_amt + preselfpay_amt = {self_paid} exceeds "
                f"det_item_fee_sumamt {self.det_item_fee_sumamt}"
            )
        if self.inscp_scp_amt is None:
            object.__setattr__(self, "inscp_scp_amt", rest)
        elif self.inscp_scp_amt != rest:
            raise ValueError(
                f"det_item_fee_sumamt {self.det_item_fee_sumamt} must equal fulamt_ownpay_amt + "
                f"overlmt_amt + preselfpay_amt + inscp_scp_amt = {self_paid + self.inscp_scp_amt} "
                f"(difference {rest - self.inscp_scp_amt})"
            )
        return self


class Encounter(_Frozen):
    """One medical encounter already settled by basic insurance."""

    id: Id
    kind: EncounterKind
    admitted_on: Day | None = None
    discharged_on: Day | None = None
    service_date: Day | None = None
    institution: Text = ""
    diagnoses: tuple[str, ...] = Field(default=(), max_length=100, description="ICD-10 codes, main diagnosis first")
    settled_through_basic: Bool = Field(default=True, description="settled through the city's basic insurance")
    settlement: Settlement
    fee_lines: tuple[FeeLine, ...] = Field(min_length=1)

    @field_validator("diagnoses")
    @classmethod
    def _icd10(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        import re

        for v in values:
            if not re.fullmatch(_ICD10, v):
                raise ValueError(f"{v!r} is not an ICD-10 code like 'C34.9'")
        return values

    @model_validator(mode="after")
    def _dates_and_identities(self, info: ValidationInfo) -> Encounter:
        if self.kind == "inpatient":
            if self.admitted_on is None or self.discharged_on is None:
                raise ValueError("an inpatient encounter needs admitted_on and discharged_on")
            if self.discharged_on < self.admitted_on:
                raise ValueError(f"discharged_on {self.discharged_on} is before admitted_on {self.admitted_on}")
        elif self.service_date is None:
            raise ValueError(f"an encounter of kind {self.kind!r} needs service_date")
        relax = (info.context or {}).get("relax", ()) if info else ()
        breaches = check_encounter(self, relax)
        if breaches:
            b = breaches[0]
            raise SettlementError(self.id, b.identity, b.fields, b.difference, f"{b.identity}: {b.detail}")
        return self

    @cached_property
    def identity(self) -> str:
        """What identifies this encounter's settlement across claims of a person-year.

        The national settlement id (``setl_id``) when the source system sends one, else the
        encounter id (``mdtrt_id``), else a fingerprint: a SHA-256 over the kind, institution,
        dates, every settlement amount and every fee line (code, level, type and amounts).
        Two presentations of the same settlement have the same identity whatever claim id
        they come under; see ``docs/claim-format.md``.
        """
        s = self.settlement
        if s.setl_id is not None:
            return f"setl_id:{s.setl_id}"
        if s.mdtrt_id is not None:
            return f"mdtrt_id:{s.mdtrt_id}"
        amounts = s.model_dump(mode="json", exclude={"setl_id", "mdtrt_id"})
        lines = [f.model_dump(mode="json", exclude={"name"}) for f in self.fee_lines]
        facts = {
            "kind": self.kind, "institution": self.institution,
            "dates": [str(d) if d else None for d in (self.admitted_on, self.discharged_on, self.service_date)],
            "settlement": amounts, "fee_lines": lines,
        }
        digest = hashlib.sha256(json.dumps(facts, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        return f"fingerprint:{digest[:32]}"

    @property
    def service_on(self) -> date:
        """The date a fee counts on: discharge for a stay, else the service date."""
        return self.discharged_on if self.kind == "inpatient" else self.service_date  # type: ignore[return-value]

    @property
    def starts_on(self) -> date:
        """Admission for a stay, else the service date."""
        return self.admitted_on if self.kind == "inpatient" else self.service_date  # type: ignore[return-value]


class Claim(_Frozen):
    """One claim: a person, their settled encounters, and what others already paid."""

    claim_id: Id
    insured: Insured
    encounters: tuple[Encounter, ...] = Field(min_length=1)
    other_insurance_paid: Amount = Field(default=ZERO, description="paid by other insurers or charity aid")

    @model_validator(mode="after")
    def _consistent(self) -> Claim:
        ids = [e.id for e in self.encounters]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"encounter ids must be unique; repeated: {', '.join(dup)}")
        for e in self.encounters:
            if e.starts_on < self.insured.birth_date:
                raise ValueError(f"encounter {e.id} starts before the insured's birth_date")
        seen: dict[str, str] = {}
        for e in self.encounters:
            other = seen.setdefault(e.identity, e.id)
            if other != e.id:
                raise ValueError(f"encounters {other} and {e.id} are the same encounter ({e.identity}); "
                                 "an encounter is claimed once")
        return self

    @cached_property
    def service_on(self) -> date:
        """The claim's place in a year: its earliest encounter's service date."""
        return min(e.service_on for e in self.encounters)

    @cached_property
    def owed(self) -> Decimal:
        """What the person still owed after public payers, before other insurers."""
        return sum((e.settlement.owed for e in self.encounters), ZERO)


def problems_from_validation(error: ValidationError) -> list[Problem]:
    """Turn a pydantic error into located problems with plain messages."""
    errors = error.errors()
    # A failed item also makes its container look short; report only the item.
    deeper = [e["loc"] for e in errors]
    problems = []
    for err in errors:
        if err["type"] == "too_short" and any(
            len(loc) > len(err["loc"]) and loc[: len(err["loc"])] == err["loc"] for loc in deeper
        ):
            continue
        loc = ".".join(str(p) for p in err["loc"])
        msg = err["msg"]
        for prefix in ("Value error, ", "Assertion failed, "):
            if msg.startswith(prefix):
                msg = msg[len(prefix):]
        if err["type"] == "missing":
            msg = "required field is missing"
        elif err["type"] == "extra_forbidden":
            msg = "unknown field"
        elif err["type"] not in ("value_error", "assertion_error") and _scalar(err.get("input")):
            msg = f"{msg} (got {shown(err['input'])})"
        problems.append(Problem(loc, msg))
    return problems


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, Decimal, bool, date)) or value is None


def json_object(data: Mapping[str, Any] | str | bytes, what: str, limits: Limits = DEFAULT_LIMITS) -> Mapping[str, Any]:
    """``data`` as a mapping: parsed strictly when it is JSON text (see :mod:`.inputs`);
    :class:`InputError` (naming ``what``) when it is not valid JSON or not an object."""
    if isinstance(data, (str, bytes, bytearray)):
        if len(data) > limits.max_bytes:
            raise InputError(f"{what} JSON", [Problem("", f"more than the limit of {limits.max_bytes} bytes")])
        try:
            data = parse_json(data, what, what, limits)
        except FileError as exc:
            message = exc.problems[0].message
            raise InputError(f"{what} JSON", [Problem("", message)]) from None
    if not isinstance(data, Mapping):
        raise InputError(what, [Problem("", f"expected a JSON object, got {_json_type(data)}")])
    return data


def _json_type(data: Any) -> str:
    return {list: "array", str: "string", bool: "boolean", type(None): "null", float: "number"}.get(
        type(data), "number" if isinstance(data, int) else type(data).__name__)


def count_fee_lines(data: Mapping[str, Any]) -> int:
    """How many fee lines a claim's raw data lists over its encounters, before it is validated."""
    encounters = data.get("encounters")
    if not isinstance(encounters, (list, tuple)):
        return 0
    return sum(len(e["fee_lines"]) for e in encounters
               if isinstance(e, Mapping) and isinstance(e.get("fee_lines"), (list, tuple)))


def check_fee_lines(data: Mapping[str, Any], limits: Limits, what: str = "claim") -> None:
    """Refuse a claim with more fee lines (or encounters) than ``limits.max_fee_lines``."""
    encounters = data.get("encounters")
    n_enc = len(encounters) if isinstance(encounters, (list, tuple)) else 0
    n = count_fee_lines(data)
    if n > limits.max_fee_lines or n_enc > limits.max_fee_lines:
        raise InputError(what, [Problem("encounters", f"{max(n, n_enc)} fee lines, more than the limit of "
                                        f"{limits.max_fee_lines} per claim (--max-fee-lines)")])


@exact
def parse_claim(data: Mapping[str, Any] | str | bytes, *, relax: Iterable[str] = (),
                limits: Limits = DEFAULT_LIMITS) -> Claim:
    """Validate a claim from a mapping or JSON text; raise :class:`InputError` on any problem.

    ``relax`` names settlement identities not to check (see :mod:`.identities`).
    ``limits`` bounds the text's size and nesting and the claim's fee lines (see
    :class:`~huiminbao_rules.core.inputs.Limits`). Amounts are JSON strings: JSON numbers are refused.
    """
    data = json_object(data, "claim", limits)
    check_fee_lines(data, limits)
    try:
        return Claim.model_validate(data, context={"relax": tuple(relax)})
    except ValidationError as exc:
        for err in exc.errors():
            cause = (err.get("ctx") or {}).get("error")
            if isinstance(cause, SettlementError):
                raise cause from None
        raise InputError("claim", problems_from_validation(exc)) from None
