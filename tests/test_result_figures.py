"""The result is written once from the engine's per-line figures in fen: the JSON text, the
JSON-ready data, the output model and the Decimal per-line results all say the same, for
generated claims under products with bands, deductible pools, sub-limits and pended lines."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiminbao_rules import adjudicate, get_product, to_dict
from huiminbao_rules.core.money import fen_text, from_fen
from huiminbao_rules.render.output import result_of, to_data, to_json
from huiminbao_rules.testing.strategies import amounts, claims


def _yuan(text: str) -> Decimal:
    return Decimal(text)


@pytest.mark.parametrize("pid", ["shenzhen-2023", "beijing-2024", "shanghai-2023"])
def test_every_form_of_the_result_says_the_same(pid) -> None:
    product = get_product(pid)

    @settings(max_examples=8, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(claim=claims(period=product.period, other_insurance_paid=amounts(max_value="3000.00")),
           mode=st.sampled_from(["pend", "member", "non-member"]))
    def check(claim, mode) -> None:  # type: ignore[no-untyped-def]
        adj = adjudicate(claim, product, unknown_lists=mode)
        data = to_dict(adj, product)
        assert json.loads(to_json(adj, product)) == data
        assert json.loads(to_json(adj, product, indent=2)) == data
        model = result_of(adj, product)
        assert to_data(model) == data and model.model_dump_json(by_alias=True) == to_json(adj, product)
        for line, written in zip(adj.lines, data["lines"], strict=True):
            assert (line.encounter_id, line.number) == (written["encounter_id"], written["number"])
            assert (_yuan(written["eligible"]), _yuan(written["payable"]), _yuan(written["excluded"]),
                    _yuan(written["pending"]), _yuan(written["public_paid"])) == (
                line.eligible, line.payable, line.excluded, line.pending, line.public_paid)
            for p, w in zip(line.portions, written["portions"], strict=True):
                assert (p.amount, p.eligible, p.deductible, p.rounded, p.payable, p.raw) == (
                    _yuan(w["amount"]), _yuan(w["eligible"]), _yuan(w["deductible"]), _yuan(w["rounded"]),
                    _yuan(w["payable"]), _yuan(w["raw"]))
                assert [(b.start, b.end, b.rate, b.raw) for b in p.bands] == [
                    (_yuan(b["from"]), _yuan(b["to"]), _yuan(b["rate"]), _yuan(b["raw"])) for b in w["bands"]]
                assert [(c, a) for c, a in p.cuts] == [(c["clause"], _yuan(c["amount"])) for c in w["cuts"]]
        assert sum((line.payable for line in adj.lines), Decimal("0.00")) == adj.payable

    check()


def test_fen_are_written_as_yuan_with_two_decimals_as_from_fen_gives_them() -> None:
    for fen in (0, 1, 5, 10, 99, 100, 101, 123456, 10**16 + 7, -1, -99, -100, -12345):
        assert fen_text(fen) == str(from_fen(fen))
