"""Enrollment: who may join a product version, from when, and what premium is due."""

from huiminbao_rules.enrollment.application import *  # noqa: F403
from huiminbao_rules.enrollment.application import __all__  # noqa: F401
