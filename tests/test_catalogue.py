"""Contract tests every bundled product file inherits."""

from __future__ import annotations

import json
import sys
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from huiminbao_rules.catalog import bundled_profiles, get_product, read_product
from huiminbao_rules.render.describe import describe, diff
from huiminbao_rules.regulation import applicable_profiles, check

ROOT = Path(__file__).resolve().parent.parent
PRODUCTS = ROOT / "src" / "huiminbao_rules" / "products"
FILES = sorted(PRODUCTS.glob("*/*.toml"))
IDS = [f"{f.parent.name}-{f.stem}" for f in FILES]
CORE = {"compliant", "reasonable", "special_drug"}
IDENTITY_NUMBERS = {"policy_year", "first_year", "year"}

sys.path.insert(0, str(Path(__file__).parent))
from snapshot_claims import snapshot  # noqa: E402

pytestmark = pytest.mark.parametrize("path", FILES, ids=IDS)


def test_loads_and_its_id_matches_its_path(path: Path) -> None:
    product = read_product(path)
    assert product.id == f"{path.parent.name}-{path.stem}"
    assert product.city == path.parent.name
    assert get_product(product.id) == product


def test_dates_are_ordered(path: Path) -> None:
    p = read_product(path)
    assert p.period.start <= p.period.end
    assert p.policy_year == p.period.start.year
    assert (p.period.end - p.period.start).days <= 366 * 2
    if p.enrollment.window is not None:
        assert p.enrollment.window.start <= p.enrollment.window.end <= p.period.end
    if p.first_year is not None:
        assert p.first_year <= p.policy_year
    if p.amendment is not None:
        amended = get_product(p.amendment.amends)
        assert amended.policy_year == p.policy_year and amended.id != p.id


def _numbers_without_a_source(node: object, path: str, cited: bool, out: list[str]) -> None:
    if isinstance(node, dict):
        here = cited or "source" in node
        for key, value in node.items():
            if key in IDENTITY_NUMBERS and path == "":
                continue
            if key == "cover_starts_days_after_enrollment":
                if "cover_start_source" not in node:
                    out.append(f"{path}.{key}")
                continue
            _numbers_without_a_source(value, f"{path}.{key}" if path else key, here, out)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _numbers_without_a_source(value, f"{path}[{i}]", cited, out)
    elif isinstance(node, (int, Decimal)) and not isinstance(node, bool) and not cited:
        out.append(path)


def test_every_number_has_a_source(path: Path) -> None:
    data = tomllib.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    missing: list[str] = []
    _numbers_without_a_source(data, "", False, missing)
    assert not missing, f"numbers without a source: {missing}"
    product = read_product(path)
    for sid, source in product.sources.items():
        assert source.grade and source.title, sid


def test_says_what_it_could_not_verify(path: Path) -> None:
    p = read_product(path)
    assert p.limitations.strip(), "every file has a limitations note"
    if not p.premiums:
        assert "premium" in p.limitations.lower() or "保费" in p.limitations


def test_covers_the_buckets_its_city_requires(path: Path) -> None:
    p = read_product(path)
    buckets = {r.bucket for r in p.responsibilities}
    assert buckets & CORE
    for profile in applicable_profiles(p, bundled_profiles()):
        for rule in profile.rules:
            if rule.kind == "covers_buckets" and p.period.end >= profile.effective:
                recorded = any(d.profile == profile.id and d.rule == rule.id for d in p.deviations)
                assert set(rule.buckets) <= buckets or recorded, (profile.id, rule.id)


def test_its_citys_profiles_find_nothing_unrecorded(path: Path) -> None:
    p = read_product(path)
    for profile in applicable_profiles(p, bundled_profiles()):
        findings = check(p, profile)
        unrecorded = [(f.profile, f.rule, f.severity, f.detail) for f in findings if f.failed and not f.recorded]
        assert not unrecorded
        stale = [d.rule for d in p.deviations if d.profile == profile.id
                 and not any(f.rule == d.rule and f.failed for f in findings)]
        assert not stale, f"recorded deviations the check no longer finds: {stale}"


def test_matches_its_golden_snapshot(path: Path) -> None:
    p = read_product(path)
    golden = ROOT / "tests" / "snapshots" / f"{p.id}.json"
    assert golden.exists(), "no snapshot: run python scripts/regen_snapshots.py and review the diff"
    assert snapshot(p) == json.loads(golden.read_text(encoding="utf-8")), (
        "results changed: run python scripts/regen_snapshots.py and review the diff")


def test_shows_its_terms_and_diffs_cleanly_with_itself(path: Path) -> None:
    p = read_product(path)
    zh, en = describe(p, "zh"), describe(p, "en")
    assert p.id in zh[0] and p.id in en[0]
    assert any("来源" in line for line in zh) and any("Sources" in line for line in en)
    assert diff(p, p)[1:] == ["无差异"] and diff(p, p, "en")[1:] == ["no differences"]


def test_is_in_the_products_table_of_the_docs(path: Path) -> None:
    p = read_product(path)
    assert f"| `{p.id}` |" in (ROOT / "docs" / "products.md").read_text(encoding="utf-8")
