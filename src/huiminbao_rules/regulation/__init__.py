"""A product checked against a jurisdiction's regulatory profile."""

from huiminbao_rules.regulation.floors import (
    Finding,
    Profile,
    Rule,
    applicable_profiles,
    check,
    floor_payout,
    main_responsibility,
    parse_profile,
    payout_curve,
    people_of,
)

__all__ = [
    "Finding",
    "Profile",
    "Rule",
    "applicable_profiles",
    "check",
    "floor_payout",
    "main_responsibility",
    "parse_profile",
    "payout_curve",
    "people_of",
]
