"""Datasets on disk, partitioned by (insured, year): every person's year in one partition,
and adjudicating partition by partition (on a local cluster of two worker processes)
gives every claim exactly the figures of one process adjudicating the whole population."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from huiminbao_rules import InputError, get_product
from huiminbao_rules.analytics.dataset import (
    MANIFEST,
    adjudicate_dataset,
    bucket_of,
    compact_dataset,
    open_dataset,
    write_dataset,
    write_synthetic_dataset,
)
from huiminbao_rules.analytics.loaders import load_tables, yuan_tables
from huiminbao_rules.analytics.population import Population
from huiminbao_rules.analytics.scenarios import ScenarioResult, run
from huiminbao_rules.analytics.synthetic import SyntheticParams, population

pytest.importorskip("distributed")

BASE = get_product("hangzhou-2022")
VARIANTS = {
    "2022": BASE,
    "low deductible": BASE.with_changes({"responsibilities.in_list.deductible[0].amount": "5000"}, id="hz-5000"),
}


@pytest.fixture(scope="module")
def pop() -> Population:
    return population(BASE, SyntheticParams().sized(claims=1_500), seed=11, progress=False)


@pytest.fixture(scope="module")
def expected(pop: Population) -> ScenarioResult:
    return run(pop, VARIANTS)


@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as c:
        yield c


def _same(result, expected: ScenarioResult) -> None:  # type: ignore[no-untyped-def]
    pd.testing.assert_frame_equal(result.claims(), expected.claims)
    pd.testing.assert_frame_equal(result.summary(), expected.summary())
    pd.testing.assert_frame_equal(result.summary(unit="yuan"), expected.summary(unit="yuan"))


def test_every_persons_year_is_in_exactly_one_partition(pop: Population, tmp_path: Path) -> None:
    ds = write_dataset(pop, tmp_path / "data", year=2022, buckets=7)
    manifest = json.loads((tmp_path / "data" / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["buckets"] == 7 and ds.years == [2022]
    parts = ds.partitions()
    assert [p.bucket for p in parts] == sorted({p.bucket for p in parts}) and len(parts) == 7
    seen: set[str] = set()
    for part in parts:
        got = part.read()
        people = set(got.insured["insured_id"].astype(str))
        assert not people & seen
        seen |= people
        assert set(bucket_of(list(people), 7)) == {part.bucket}
        assert set(got.claims["insured_id"].astype(str)) <= people
        claims = set(got.claims["claim_id"].astype(str))
        assert set(got.encounters["claim_id"].astype(str)) <= claims
        assert set(got.fee_lines["claim_id"].astype(str)) <= claims
        assert part.rows() == {t: len(getattr(got, t)) for t in ("insured", "claims", "encounters", "fee_lines")}
    assert seen == set(pop.insured["insured_id"].astype(str))
    whole = ds.read()
    for table in ("claims", "encounters", "fee_lines"):
        assert len(getattr(whole, table)) == len(getattr(pop, table))
    # money comes back exactly, line by line
    key = ["claim_id", "encounter_id", "line_no"]
    a = pop.fee_lines.astype({"claim_id": str, "encounter_id": str}).sort_values(key, ignore_index=True)
    b = whole.fee_lines.astype({"claim_id": str, "encounter_id": str}).sort_values(key, ignore_index=True)
    for col in ("det_item_fee_sumamt", "fulamt_ownpay_amt", "overlmt_amt", "preselfpay_amt", "line_no"):
        assert (a[col].to_numpy() == b[col].to_numpy()).all()


def test_two_workers_give_every_claim_the_single_process_figures(
        pop: Population, expected: ScenarioResult, client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ds = write_dataset(pop, tmp_path / "data", year=2022, buckets=6)
    result = adjudicate_dataset(ds, VARIANTS, out=tmp_path / "out", client=client)
    assert len(result.partitions) == 6
    assert len({p["pid"] for p in result.partitions}) == 2  # both workers took partitions
    assert len(list((tmp_path / "out").glob("part-*.parquet"))) == 6
    _same(result, expected)
    for k in range(3):  # again and again on the same cluster: each run sends its own variants
        _same(adjudicate_dataset(ds, VARIANTS, out=tmp_path / f"again-{k}", client=client), expected)


def test_a_synthetic_dataset_written_in_chunks_by_the_workers(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    params = SyntheticParams().sized(claims=1_200)
    ds = write_synthetic_dataset(tmp_path / "data", BASE, params, seed=5, chunks=3, buckets=4, client=client)
    whole = ds.read()
    assert whole.claims["claim_id"].is_unique and whole.insured["insured_id"].is_unique
    assert len(whole.insured) == params.insured
    assert {i.split("-")[0] for i in whole.insured["insured_id"]} == {"P0", "P1", "P2"}
    result = adjudicate_dataset(ds, VARIANTS, out=tmp_path / "out", client=client)
    _same(result, run(whole, VARIANTS))
    # one chunk is exactly the in-memory population
    one = write_synthetic_dataset(tmp_path / "one", BASE, params, seed=5)
    assert len(one.read().claims) == len(population(BASE, params, seed=5, progress=False).claims)


def test_a_dataset_written_from_loaded_claims(tmp_path: Path) -> None:
    # a population's tables as an extract in yuan, loaded back (every claim validated) and
    # written as a dataset
    source = population(BASE, SyntheticParams().sized(claims=300), seed=3, progress=False)
    paths = {}
    for name, table in yuan_tables(source).items():
        paths[name] = tmp_path / f"{name}.parquet"
        table.to_parquet(paths[name], index=False)
    loaded = load_tables(paths["encounters"], paths["fee_lines"], paths["claims"], paths["insured"], progress=False)
    assert loaded.counts["rejected"] == 0 and loaded.counts["loaded"] == len(source.claims)
    ds = write_dataset(loaded.population, tmp_path / "data", year=BASE.policy_year, buckets=3)
    result = adjudicate_dataset(ds, VARIANTS, out=tmp_path / "out")  # Dask's default scheduler
    expected = run(loaded.population, VARIANTS)
    assert expected.summary().loc["2022", "payable"] > 0
    _same(result, expected)


def test_several_writers_into_one_dataset(pop: Population, expected: ScenarioResult, tmp_path: Path) -> None:
    # the same people, their claims written in two halves by two writers
    ids = pop.claims["claim_id"].astype(str)
    halves = [ids.iloc[: len(ids) // 2], ids.iloc[len(ids) // 2:]]
    for half in halves:
        keep = set(half)
        write_dataset(Population(
            insured=pop.insured,
            claims=pop.claims[pop.claims["claim_id"].astype(str).isin(keep)],
            encounters=pop.encounters[pop.encounters["claim_id"].astype(str).isin(keep)],
            fee_lines=pop.fee_lines[pop.fee_lines["claim_id"].astype(str).isin(keep)]),
            tmp_path / "data", year=2022, buckets=3)
    assert all(len(list(p.path.glob("claims-*.parquet"))) == 2 for p in open_dataset(tmp_path / "data").partitions())
    _same(adjudicate_dataset(tmp_path / "data", VARIANTS, out=tmp_path / "out"), expected)
    # compacted: one file per table, the same rows, every figure unchanged
    shutil.copytree(tmp_path / "data", tmp_path / "compacted")
    compact_dataset(tmp_path / "compacted")
    for part in open_dataset(tmp_path / "compacted").partitions():
        assert sorted(f.name.split("-")[0] for f in part.path.iterdir()) == ["claims", "encounters", "fee_lines",
                                                                            "insured"]
    _same(adjudicate_dataset(tmp_path / "compacted", VARIANTS, out=tmp_path / "out-compacted"), expected)
    # a person recorded differently by another writer is refused, not guessed between
    before = set((tmp_path / "data").rglob("*.parquet"))
    other = pop.insured.iloc[:1].copy()
    other["scheme"] = "employee" if other["scheme"].iloc[0] == "resident" else "resident"
    write_dataset(Population(insured=other, claims=pop.claims.iloc[0:0], encounters=pop.encounters.iloc[0:0],
                             fee_lines=pop.fee_lines.iloc[0:0]), tmp_path / "data", year=2022)
    with pytest.raises(InputError, match="recorded differently"):
        open_dataset(tmp_path / "data").read()
    for f in set((tmp_path / "data").rglob("*.parquet")) - before:  # back to the two agreeing writers
        f.unlink()
    open_dataset(tmp_path / "data").read()
    # a claim written again is refused, not counted twice; compacting refuses it too
    write_dataset(pop.subset(pop.claims["insured_id"].iloc[:1]), tmp_path / "data", year=2022)
    with pytest.raises(InputError, match="claim ids written twice"):
        open_dataset(tmp_path / "data").read()
    with pytest.raises(InputError, match="claim ids written twice"):
        compact_dataset(tmp_path / "data")
    # a partition caught half-compacted (the new files written, the old not yet removed)
    # is refused, never counted twice
    part = open_dataset(tmp_path / "compacted").partitions()[0]
    for f in sorted((tmp_path / "data" / part.path.relative_to(tmp_path / "compacted")).glob("*.parquet")):
        shutil.copy(f, part.path)
    with pytest.raises(InputError, match="claim ids written twice"):
        part.read()


def test_refusals(pop: Population, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=MANIFEST):
        open_dataset(tmp_path)
    (tmp_path / "stray.txt").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="not empty and holds no dataset"):
        write_dataset(pop, tmp_path, year=2022)
    ds = write_dataset(pop, tmp_path / "data", year=2022, buckets=2)
    with pytest.raises(InputError, match="2 buckets; 3 were asked for"):
        write_dataset(pop, tmp_path / "data", year=2023, buckets=3)
    with pytest.raises(InputError, match="not a policy year"):
        write_dataset(pop, tmp_path / "data", year="2023")  # type: ignore[arg-type]
    write_dataset(pop, tmp_path / "data", year=2023)
    with pytest.raises(InputError, match=r"years \[2022, 2023\]; say which one"):
        adjudicate_dataset(ds, VARIANTS, out=tmp_path / "out")
    with pytest.raises(InputError, match="no year=2021"):
        adjudicate_dataset(ds, VARIANTS, out=tmp_path / "out", year=2021)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="is not empty"):
        adjudicate_dataset(ds, VARIANTS, out=tmp_path / "full", year=2022)
    orphan = Population(insured=pop.insured, claims=pop.claims.iloc[1:], encounters=pop.encounters,
                        fee_lines=pop.fee_lines)
    with pytest.raises(InputError, match="not in the claims table"):
        write_dataset(orphan, tmp_path / "orphan", year=2022)


def test_run_dask_goes_through_a_dataset_in_its_workdir(
        pop: Population, expected: ScenarioResult, client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from huiminbao_rules.analytics.scenarios import run_dask

    got = run_dask(pop, VARIANTS, client=client, partitions=5, workdir=tmp_path)
    pd.testing.assert_frame_equal(got.claims, expected.claims)
    pd.testing.assert_frame_equal(got.insured, expected.insured)
    pd.testing.assert_frame_equal(got.summary(), expected.summary())
    assert list(tmp_path.iterdir()) == []  # its dataset and results are removed afterwards
