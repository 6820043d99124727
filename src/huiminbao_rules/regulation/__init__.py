"""A product checked against a jurisdiction's regulatory profile (:mod:`.floors`)."""

from huiminbao_rules.regulation.floors import *  # noqa: F403 - the package is its one module's names
from huiminbao_rules.regulation.floors import __all__  # noqa: F401
