"""Tools for users' own property tests: :mod:`huiminbao_rules.testing.strategies`.

Installing the library registers its types with Hypothesis through the ``hypothesis``
entry point, so ``st.from_type(Claim)`` works in a user's test without importing this
package. Nothing outside this package imports Hypothesis.
"""

from __future__ import annotations

__all__ = ["register"]


def register() -> None:
    """Register strategies for the library's input types with Hypothesis
    (called by Hypothesis through the ``hypothesis`` entry point)."""
    from hypothesis import strategies as st

    from ..models import Claim, Encounter, FeeLine, Insured, Settlement
    from ..product import Product
    from . import strategies as hst

    st.register_type_strategy(Claim, hst.claims())
    st.register_type_strategy(Encounter, hst.encounters())
    st.register_type_strategy(FeeLine, hst.fee_lines())
    st.register_type_strategy(Insured, hst.insureds())
    st.register_type_strategy(Settlement, hst.settlements())
    st.register_type_strategy(Product, hst.products())
