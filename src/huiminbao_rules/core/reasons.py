"""Why part of a fee line is not paid: the reason codes, with labels for people.

What basic insurance and the other public payers settled is not an exclusion: it is a
line's ``public_paid`` and never reaches the product.

A code is stable (it goes into JSON and into users' databases); labels may improve.
"""

from __future__ import annotations

__all__ = ["REASONS", "label"]

REASONS: dict[str, tuple[str, str]] = {
    "before_coverage_start": ("发生在保障生效日之前", "incurred before cover started"),
    "waiting_period": ("发生在等待期内", "incurred inside the waiting period"),
    "other_policy_year": ("属于其他保障年度", "belongs to another policy year"),
    "beyond_cover_end": ("超出保障期间(跨年住院按日分摊)", "beyond the end of cover (cross-year stay, pro-rated by days)"),
    "weighted_out": ("按产品约定比例计入,其余部分不计入", "the part the product does not count (weighted)"),
    "negative_list": ("属于除外(负面)清单", "on the product's exclusion list"),
    "not_on_list": ("不在产品清单内", "not on the product's list"),
    "off_indication": ("特药不符合限定适应症", "special drug used outside its listed indications"),
    "sub_limit": ("超出分项限额", "above a sub-limit"),
    "count_limit": ("超出次数限制", "above a count limit"),
    "not_covered": ("不属于任何保障责任", "not covered by any responsibility"),
    "pending_review": ("待人工审核: 所依据的清单不完整, 是否属于清单决定赔付", "held for review: it depends on a list "
                       "that is not complete whether and by which responsibility it is paid"),
}
"""code -> (中文, English)."""


def label(code: str, lang: str = "zh") -> str:
    """The label of a reason code in ``zh`` or ``en``; an unknown code is returned as is."""
    zh, en = REASONS.get(code, (code, code))
    return zh if lang == "zh" else en
