"""docs/products.md is exactly what the catalogue generates; the snapshots and the
catalogue list the same products."""

from __future__ import annotations

import runpy
from pathlib import Path

from huiminbao_rules import bundled_ids
from huiminbao_rules.catalog import get_product
from huiminbao_rules.render.describe import diff

ROOT = Path(__file__).resolve().parent.parent


def test_the_products_table_equals_the_catalogue() -> None:
    table = runpy.run_path(str(ROOT / "scripts" / "products_table.py"))["table"]()
    assert (ROOT / "docs" / "products.md").read_text(encoding="utf-8") == table, (
        "docs/products.md is stale: run python scripts/products_table.py")


def test_every_snapshot_belongs_to_a_bundled_product() -> None:
    assert sorted(p.stem for p in (ROOT / "tests" / "snapshots").glob("*.json")) == bundled_ids()


def test_diff_shows_what_the_retroactive_hangzhou_change_did() -> None:
    lines = diff(get_product("hangzhou-2021"), get_product("hangzhou-2021-revised"))
    assert "+ amendment: amends=hangzhou-2021, on=2021-12-01" in lines
    assert "~ responsibilities.in_list.deductible[otherwise].amount: 25000.00 → 13000.00" in lines
