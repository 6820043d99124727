"""The words of the domain, each defined once: portions, buckets, public payers, encounter
kinds, rounding modes, and their labels for people in Chinese and English.

A code (``"inscp_copay"``, ``"compliant"``) is stable: it goes into product files, result
JSON and users' databases. A label may improve; every statement, description and finding
takes it from here, so the same thing is called the same everywhere.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = [
    "BUCKETS",
    "BUCKET_LABELS",
    "ENCOUNTER_KIND_LABELS",
    "PORTIONS",
    "PORTION_LABELS",
    "PUBLIC_PAYERS",
    "ROUNDING_LABELS",
    "SCHEME_LABELS",
    "Bucket",
    "Portion",
    "bucket_label",
    "encounter_kind_label",
    "portion_label",
    "rounding_label",
]

Portion = Literal["preselfpay", "inscp_copay", "fulamt", "overlmt"]
PORTIONS: tuple[Portion, ...] = get_args(Portion)
"""The parts of a fee line a person owes after basic insurance, in this order:

- ``preselfpay``: 乙类 先行自付 (line ``preselfpay_amt``)
- ``inscp_copay``: the person's share of the in-scope amount (起付线, co-payment, above the
  public payers' caps): the encounter's ``inscp_scp_amt`` minus what the public payers paid,
  shared over the lines by their in-scope amounts
- ``fulamt``: 全自费 (line ``fulamt_ownpay_amt``)
- ``overlmt``: 超限价 (line ``overlmt_amt``)
"""

Bucket = Literal["compliant", "reasonable", "special_drug", "other"]
BUCKETS: tuple[Bucket, ...] = get_args(Bucket)
"""The kinds of responsibility a product has, in this order: 合规自付 (in-list self-pay),
合理自费 (out-of-list self-pay), 目录外特药 (special drugs outside the catalogue), other."""

PUBLIC_PAYERS: tuple[str, ...] = (
    "hifp_pay",
    "hifmi_pay",
    "hifob_pay",
    "cvlserv_pay",
    "maf_pay",
    "hifes_pay",
    "oth_pay",
)
"""The settlement fields of the public payers (统筹基金, 大病保险, 大额补助, 公务员补助, 医疗救助,
企业补充, 其他): what they paid together is an encounter's ``public_paid``."""

PORTION_LABELS: dict[str, tuple[str, str]] = {
    "preselfpay": ("乙类先行自付", "class-B self-pay-first"),
    "inscp_copay": ("政策范围内个人自付", "in-scope co-pay"),
    "fulamt": ("全自费", "wholly self-paid"),
    "overlmt": ("超限价", "above the price ceiling"),
}
"""portion -> (中文, English)."""

BUCKET_LABELS: dict[str, tuple[str, str]] = {
    "compliant": ("合规自付", "compliant in-list self-pay"),
    "reasonable": ("合理自费", "reasonable out-of-list self-pay"),
    "special_drug": ("目录外特药", "special drugs outside the catalogue"),
    "other": ("其他责任", "other responsibilities"),
}
"""bucket -> (中文, English)."""

ENCOUNTER_KIND_LABELS: dict[str, tuple[str, str]] = {
    "inpatient": ("住院", "inpatient"),
    "outpatient_special": ("门诊规定病种", "specified-disease outpatient"),
    "outpatient": ("普通门诊", "outpatient"),
    "pharmacy": ("特药购药", "pharmacy"),
}
"""encounter kind -> (中文, English)."""

SCHEME_LABELS: dict[str, tuple[str, str]] = {
    "employee": ("职工医保", "employee scheme"),
    "resident": ("居民医保", "resident scheme"),
}
"""basic-insurance scheme -> (中文, English)."""

ROUNDING_LABELS: dict[str, tuple[str, str]] = {
    "ROUND_HALF_UP": ("四舍五入", "half up"),
    "ROUND_HALF_EVEN": ("四舍六入五成双", "half to even"),
    "ROUND_DOWN": ("舍去", "down"),
}
"""``decimal`` rounding mode -> (中文, English)."""


def _label(labels: dict[str, tuple[str, str]], code: str, lang: str) -> str:
    zh, en = labels.get(code, (code, code))
    return zh if lang == "zh" else en


def portion_label(part: str, lang: str = "zh") -> str:
    """The label of a portion in ``zh`` or ``en``; an unknown code is returned as is.

    >>> portion_label("overlmt"), portion_label("overlmt", "en")
    ('超限价', 'above the price ceiling')
    """
    return _label(PORTION_LABELS, part, lang)


def bucket_label(bucket: str, lang: str = "zh") -> str:
    """The label of a bucket in ``zh`` or ``en``; an unknown code is returned as is.

    >>> bucket_label("compliant")
    '合规自付'
    """
    return _label(BUCKET_LABELS, bucket, lang)


def encounter_kind_label(kind: str, lang: str = "zh") -> str:
    """The label of an encounter kind in ``zh`` or ``en``; an unknown code is returned as is."""
    return _label(ENCOUNTER_KIND_LABELS, kind, lang)


def rounding_label(mode: str, lang: str = "zh") -> str:
    """The label of a rounding mode in ``zh`` or ``en``; an unknown mode is returned as is."""
    return _label(ROUNDING_LABELS, mode, lang)
