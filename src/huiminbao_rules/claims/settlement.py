"""An encounter's basic-insurance settlement and its fee lines, as the national platform
names their fields (``setlinfo``, ``feedetl``; see ``docs/claim-format.md``). The
settlement identities that tie them together are in :mod:`huiminbao_rules.claims.identities`.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from huiminbao_rules.core.fields import Id, Text
from huiminbao_rules.core.money import ZERO, Amount
from huiminbao_rules.core.vocabulary import PUBLIC_PAYERS

__all__ = ["CatalogueLevel", "FeeLine", "Settlement"]

CatalogueLevel = Literal["01", "02", "03"]
"""``chrgitm_lv``: 01 甲类, 02 乙类, 03 丙类 (wholly self-paid)."""


class Frozen(BaseModel):
    """The base of a claim's models: immutable; keys the format does not know are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class Settlement(Frozen):
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


class FeeLine(Frozen):
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
