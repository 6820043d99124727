"""A product checked against a jurisdiction's regulatory profile."""

from huiminbao_rules.regulation.floors import *  # noqa: F403
from huiminbao_rules.regulation.floors import __all__  # noqa: F401
