"""Enrollment: who may join a product version, from when, and what premium is due
(:mod:`.application`)."""

from huiminbao_rules.enrollment.application import *  # noqa: F403 - the package is its one module's names
from huiminbao_rules.enrollment.application import __all__  # noqa: F401
