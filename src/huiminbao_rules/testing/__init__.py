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
    import importlib

    from hypothesis import strategies as st

    from huiminbao_rules.claims.models import Claim, Encounter, FeeLine, Insured, Settlement
    from huiminbao_rules.rules.product import Product

    # Deferred: Hypothesis may call this while the strategies module is itself importing
    # Hypothesis, so nothing of it may be read until a strategy is first drawn from.
    def lazy(name: str) -> st.SearchStrategy:  # type: ignore[type-arg]
        return st.deferred(lambda: getattr(importlib.import_module(f"{__name__}.strategies"), name)())

    for cls, name in ((Claim, "claims"), (Encounter, "encounters"), (FeeLine, "fee_lines"),
                      (Insured, "insureds"), (Settlement, "settlements"), (Product, "products")):
        st.register_type_strategy(cls, lazy(name))
