"""Enrollment: who may join a product version, from when, and what premium is due."""

from huiminbao_rules.enrollment.application import (
    Application,
    ApplicationDecision,
    BasicInsurance,
    Decision,
    Payer,
    Person,
    Reason,
    enroll,
    parse_application,
)

__all__ = [
    "Application",
    "ApplicationDecision",
    "BasicInsurance",
    "Decision",
    "Payer",
    "Person",
    "Reason",
    "enroll",
    "parse_application",
]
