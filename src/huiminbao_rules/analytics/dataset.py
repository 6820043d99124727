"""A population on disk, partitioned by (insured, year), adjudicated partition by partition.

Needs the ``scenarios`` extra (numpy, pandas, pyarrow); the ``dask`` extra to run on a
cluster. A dataset is a directory of Parquet files::

    <root>/huiminbao-dataset.json             format, bucket count, how a person finds a bucket
    <root>/year=2023/bucket=00017/insured-<writer>.parquet
                                  claims-<writer>.parquet
                                  encounters-<writer>.parquet
                                  fee_lines-<writer>.parquet

The four tables are those of :class:`~huiminbao_rules.analytics.population.Population`, money in
integer fen, exactly as the population held them (int64; a population's int32 fee-line amounts
stay int32). ``year`` is the policy year the claims
were written for; within a year, each person goes to bucket ``crc32(insured_id) mod
buckets``, so a person's whole year (every claim, encounter and fee line) is in one
partition, and the partition is all the columnar engine needs to adjudicate it.

:func:`adjudicate_dataset` reads, adjudicates and writes each partition on a worker; the
process that calls it only schedules the tasks and adds up what they send back (sums
per variant and the payouts of the people paid, for exact percentiles), so no process
ever holds the whole population. ::

    from huiminbao_rules import get_product
    from huiminbao_rules.analytics.dataset import adjudicate_dataset, write_dataset

    product = get_product("hangzhou-2022")
    write_dataset(population, "claims-2022", year=2022)          # or write_synthetic_dataset
    result = adjudicate_dataset("claims-2022", [product], out="results-2022", client=client)
    result.summary()       # the same frame as scenarios.run(population, [product]).summary()

See ``docs/dask.md``.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
import uuid
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from huiminbao_rules.analytics.batch import result_columns
from huiminbao_rules.analytics.population import Population
from huiminbao_rules.analytics.variants import (
    SUMMED,
    Premium,
    PremiumIncome,
    adjudicate_variants,
    named_variants,
    premiums,
    summary_frame,
    summary_row,
    tidy_claims,
)
from huiminbao_rules.core.errors import InputError, Problem
from huiminbao_rules.rules.product import Product

__all__ = [
    "MANIFEST",
    "Dataset",
    "DatasetResult",
    "adjudicate_dataset",
    "bucket_of",
    "compact_dataset",
    "open_dataset",
    "write_dataset",
    "write_synthetic_dataset",
]

MANIFEST = "huiminbao-dataset.json"
"""The file that makes a directory a dataset."""
FORMAT = 1
TABLES = ("insured", "claims", "encounters", "fee_lines")
CLAIMS_PER_PARTITION = 50_000
"""Default partition size when a dataset is created: about this many claims per
partition (the bucket count is the population's claims divided by it, rounded up)."""
_RESULTS = "huiminbao-results.json"


# ---- where a person goes --------------------------------------------------------------------


def bucket_of(insured_ids: Any, buckets: int) -> np.ndarray:
    """The bucket of each insured id: ``crc32(utf-8 id) mod buckets`` (int64).

    >>> bucket_of(["P00001", "P00002", "P00001"], 8).tolist()
    [2, 0, 2]
    """
    codes, uniques = pd.factorize(pd.Series(insured_ids, dtype=object).astype(str))
    table = np.fromiter((zlib.crc32(s.encode("utf-8")) % buckets for s in uniques), np.int64, len(uniques))
    return table[codes] if len(codes) else np.zeros(0, np.int64)


def _part_dir(root: Path, year: int, bucket: int) -> Path:
    return root / f"year={year}" / f"bucket={bucket:05d}"


# ---- the dataset ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Partition:
    """One (year, bucket) directory of a dataset."""

    year: int
    bucket: int
    path: Path

    def read(self) -> Population:
        """This partition's people and claims (every file of each table, put together)."""
        return _read_partition(self.path)

    def rows(self) -> dict[str, int]:
        """Rows per table, from the Parquet footers (nothing else is read)."""
        import pyarrow.parquet as pq

        return {t: sum(pq.ParquetFile(f).metadata.num_rows for f in sorted(self.path.glob(f"{t}-*.parquet")))
                for t in TABLES}


@dataclass(frozen=True)
class Dataset:
    """A dataset on disk (see the module docstring); :func:`open_dataset` opens one."""

    root: Path
    buckets: int

    @property
    def years(self) -> list[int]:
        """The policy years present."""
        return sorted(int(p.name.split("=", 1)[1]) for p in self.root.glob("year=*") if p.is_dir())

    def partitions(self, year: int | None = None) -> list[Partition]:
        """The non-empty partitions, of every year or of ``year``, in (year, bucket) order."""
        out = []
        for y in self.years if year is None else [year]:
            for p in sorted((self.root / f"year={y}").glob("bucket=*")):
                if p.is_dir() and any(p.glob("claims-*.parquet")):
                    out.append(Partition(y, int(p.name.split("=", 1)[1]), p))
        return out

    def read(self, year: int | None = None) -> Population:
        """The whole population of ``year`` (the only year, if None) in this process: for
        data that fits in memory, e.g. to check a distributed run against :func:`run`."""
        year = self._year(year)
        parts = [p.read() for p in self.partitions(year)]
        if not parts:
            raise InputError(f"dataset {self.root}", [Problem(f"year={year}", "holds no partition")])
        return Population(**{t: _concat([getattr(p, t) for p in parts]) for t in TABLES})

    def _year(self, year: int | None) -> int:
        years = self.years
        if year is None:
            if len(years) != 1:
                raise InputError(f"dataset {self.root}", [Problem(
                    "year", f"the dataset holds the years {years or 'none'}; say which one with year=...")])
            return years[0]
        if year not in years:
            raise InputError(f"dataset {self.root}", [Problem("year", f"no year={year}; the dataset holds {years}")])
        return year


def open_dataset(root: str | os.PathLike[str]) -> Dataset:
    """The dataset at ``root``; refuses a directory without a readable manifest."""
    root = Path(root)
    path = root / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("dataset", [Problem(str(path), "not found: a dataset directory holds this manifest; "
                                                        "write one with write_dataset")]) from None
    except (OSError, ValueError) as exc:
        raise InputError("dataset", [Problem(str(path), f"unreadable: {exc}")]) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InputError("dataset", [Problem(str(path), f"format is {manifest.get('format')!r}"
                                                        f"; this version reads format {FORMAT}")])
    buckets = manifest.get("buckets")
    if not isinstance(buckets, int) or buckets < 1:
        raise InputError("dataset", [Problem(f"{path}: buckets", f"{buckets!r} is not a whole number ≥ 1")])
    return Dataset(root, buckets)


def _create(root: Path, buckets: int | None, claims: int, claims_per_partition: int) -> Dataset:
    """The dataset at ``root``, created (with its manifest) if the directory has none."""
    if (root / MANIFEST).exists():
        ds = open_dataset(root)
        if buckets is not None and buckets != ds.buckets:
            raise InputError(f"dataset {root}", [Problem("buckets", f"the dataset has {ds.buckets} buckets; "
                                                                    f"{buckets} were asked for")])
        return ds
    if root.exists() and any(root.iterdir()):
        raise InputError("dataset", [Problem(str(root), "is a directory that is not empty and holds no dataset; "
                                                        "give a new or empty directory")])
    if buckets is None:
        if claims_per_partition < 1:
            raise ValueError(f"claims_per_partition must be at least 1, got {claims_per_partition}")
        buckets = max(1, -(-claims // claims_per_partition))
    if buckets < 1:
        raise ValueError(f"buckets must be at least 1, got {buckets}")
    root.mkdir(parents=True, exist_ok=True)
    manifest = {"format": FORMAT, "buckets": buckets, "partitioned_by": ["year", "bucket"],
                "bucket": "crc32(utf-8 insured_id) mod buckets", "money": "integer fen", "tables": list(TABLES)}
    tmp = root / f".{MANIFEST}.{uuid.uuid4().hex}"
    tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, root / MANIFEST)
    return Dataset(root, buckets)


# ---- writing ----------------------------------------------------------------------------------


def _compact(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns keep only the categories this slice uses (else every file would
    carry the whole population's dictionary of ids)."""
    for col in frame.columns:
        if isinstance(frame[col].dtype, pd.CategoricalDtype):
            frame[col] = frame[col].cat.remove_unused_categories()
    return frame


def _slices(frame: pd.DataFrame, labels: np.ndarray, buckets: int) -> dict[int, pd.DataFrame]:
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    cuts = np.searchsorted(sorted_labels, np.arange(buckets + 1))
    taken = frame.take(order)
    return {b: taken.iloc[cuts[b]:cuts[b + 1]] for b in range(buckets)}


def _claim_buckets(column: pd.Series, claim_bucket: Mapping[str, int] | pd.Series) -> np.ndarray:
    """The bucket of each row of a child table, from its ``claim_id``."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        cats = pd.Series(column.cat.categories.astype(str)).map(claim_bucket)
        table = cats.fillna(-1).to_numpy(np.int64)
        codes = column.cat.codes.to_numpy()
        return np.where(codes >= 0, table[codes], -1)
    return column.astype(str).map(claim_bucket).fillna(-1).to_numpy(np.int64)


def write_dataset(population: Population, root: str | os.PathLike[str], *, year: int,
                  buckets: int | None = None, claims_per_partition: int = CLAIMS_PER_PARTITION) -> Dataset:
    """Write ``population`` (its people's claims of policy year ``year``) into the dataset
    at ``root``, creating it if needed; returns the dataset.

    A new dataset gets ``buckets`` buckets (default: the population's claims divided by
    ``claims_per_partition``, rounded up). Writing into an existing dataset adds files with
    a new writer name next to the ones there (its bucket count is kept): several writers,
    for example one per chunk of a large population, may write at the same time. A person
    written twice in the same year must be recorded the same way each time, and a claim id
    must not be written twice; reading the partition refuses it otherwise.

    Every claim must belong to a person of the insured table or at least name one, and
    every encounter and fee line to a claim of the claims table: rows that do not are
    refused, not dropped."""
    if not isinstance(year, (int, np.integer)) or isinstance(year, bool):
        raise InputError("dataset", [Problem("year", f"{year!r} is not a policy year (a whole number)")])
    year = int(year)
    ds = _create(Path(root), buckets, len(population.claims), claims_per_partition)
    n = ds.buckets
    ins_b = bucket_of(population.insured["insured_id"], n)
    claim_ids = population.claims["claim_id"].astype(str)
    cl_b = bucket_of(population.claims["insured_id"], n)
    if claim_ids.duplicated().any():
        dup = sorted(claim_ids[claim_ids.duplicated()].unique())[:5]
        raise InputError("population", [Problem("claims.claim_id", f"repeats: {dup}")])
    claim_bucket = pd.Series(cl_b, index=claim_ids.to_numpy())
    enc_b = _claim_buckets(population.encounters["claim_id"], claim_bucket)
    line_b = _claim_buckets(population.fee_lines["claim_id"], claim_bucket)
    for name, labels, frame in (("encounters", enc_b, population.encounters),
                                ("fee_lines", line_b, population.fee_lines)):
        if (labels < 0).any():
            orphans = sorted(frame.loc[labels < 0, "claim_id"].astype(str).unique())[:5]
            raise InputError("population", [Problem(f"{name}.claim_id", f"not in the claims table: {orphans}")])
    writer = uuid.uuid4().hex[:12]
    cut = {"insured": _slices(population.insured, ins_b, n), "claims": _slices(population.claims, cl_b, n),
           "encounters": _slices(population.encounters, enc_b, n),
           "fee_lines": _slices(population.fee_lines, line_b, n)}
    for b in range(n):
        if not any(len(cut[t][b]) for t in ("insured", "claims")):
            continue
        d = _part_dir(ds.root, year, b)
        d.mkdir(parents=True, exist_ok=True)
        _write_tables(d, writer, {t: cut[t][b] for t in TABLES})
    return ds


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The frames one under the other; a column categorical in every frame stays
    categorical (over the union of their categories) instead of becoming Python objects."""
    if len(frames) == 1:
        return frames[0]
    frames = [f.copy(deep=False) for f in frames]
    for col in frames[0].columns:
        if all(col in f and isinstance(f[col].dtype, pd.CategoricalDtype) for f in frames):
            cats = frames[0][col].cat.categories
            for f in frames[1:]:
                cats = cats.append(f[col].cat.categories.difference(cats))
            for f in frames:
                f[col] = f[col].cat.set_categories(cats)
    return pd.concat(frames, ignore_index=True)


def _table_files(path: Path) -> dict[str, list[Path]]:
    files = {t: sorted(path.glob(f"{t}-*.parquet")) for t in TABLES}
    for t, found in files.items():
        if not found:
            raise InputError("dataset", [Problem(str(path), f"has no {t} table ({t}-*.parquet)")])
    return files


def _read_partition(path: Path) -> Population:
    """A partition's tables: a table in one file (one writer, or compacted) is read straight
    through Arrow; the files of several writers are put together and checked (a person
    once, a claim once)."""
    import pyarrow.parquet as pq

    files = _table_files(path)
    if all(len(f) == 1 for f in files.values()):
        return Population(**{t: pq.read_table(f[0]).to_pandas() for t, f in files.items()})
    return _read_writers(path, files)


def _read_writers(path: Path, files: dict[str, list[Path]]) -> Population:
    tables: dict[str, pd.DataFrame] = {}
    several = False
    for t in TABLES:
        frames = [pd.read_parquet(f, engine="pyarrow") for f in files[t]]
        several |= len(frames) > 1
        tables[t] = _concat(frames)
    if several:  # written by several writers: a person once, a claim once
        ins = tables["insured"]
        again = ins["insured_id"].astype(str).duplicated(keep=False).to_numpy()
        if again.any():  # the same person from two writers: keep one record if they agree
            rows = ins[again].astype(object).astype(str)
            drop = np.zeros(len(ins), bool)
            drop[np.flatnonzero(again)[rows.duplicated().to_numpy()]] = True
            ins = ins[~drop].reset_index(drop=True)
        if ins["insured_id"].astype(str).duplicated().any():
            dup = sorted(ins.loc[ins["insured_id"].astype(str).duplicated(), "insured_id"].astype(str))[:5]
            raise InputError("dataset", [Problem(f"{path}: insured", f"people recorded differently by two "
                                                                      f"writers: {dup}")])
        tables["insured"] = ins
        ids = tables["claims"]["claim_id"].astype(str)
        if ids.duplicated().any():
            raise InputError("dataset", [Problem(f"{path}: claims", f"claim ids written twice: "
                                                                     f"{sorted(ids[ids.duplicated()])[:5]}")])
    return Population(**tables)


# ---- one file per table ---------------------------------------------------------------------


def _write_tables(d: Path, writer: str, tables: Mapping[str, pd.DataFrame]) -> None:
    for t in TABLES:
        frame = _compact(tables[t].reset_index(drop=True))
        tmp = d / f".{t}-{writer}.parquet.tmp"
        frame.to_parquet(tmp, index=False, engine="pyarrow", compression="lz4")
        os.replace(tmp, d / f"{t}-{writer}.parquet")


def _compact_partition(path: str) -> int:
    """Put a partition's files of each table into one file (checked as reading checks
    them: a person recorded once, a claim once); returns the files removed."""
    d = Path(path)
    files = _table_files(d)
    if all(len(f) == 1 for f in files.values()):
        return 0
    pop = _read_writers(d, files)
    _write_tables(d, uuid.uuid4().hex[:12], {t: getattr(pop, t) for t in TABLES})
    for found in files.values():  # until the last is gone, reading refuses the partition: a claim twice
        for f in found:
            f.unlink()
    return sum(len(f) for f in files.values())


def compact_dataset(dataset: Dataset | str | os.PathLike[str], *, year: int | None = None,
                    client: Any = None) -> Dataset:
    """Rewrite every partition written by several writers (of ``year``, or of every year)
    as one file per table, so that reading it is one Parquet read per table instead of
    several reads, a merge and the checks that no person or claim was written twice (the
    checks run here, once). The rows and every figure adjudicated from them are unchanged.

    A task per partition, on ``client``'s workers if given. Run it when no one is writing
    into the dataset or reading it (for example once every chunk of an extract is written:
    :func:`write_synthetic_dataset` does); a partition caught half-compacted is refused
    when read (its claims would be there twice), never counted twice."""
    ds = dataset if isinstance(dataset, Dataset) else open_dataset(dataset)
    paths = [str(p.path) for p in ds.partitions(year)]
    if client is not None:
        client.gather([client.submit(_compact_partition, p, pure=False) for p in paths])
    else:
        for p in paths:
            _compact_partition(p)
    return ds


# ---- synthetic data straight to disk --------------------------------------------------------


def _prefixed(col: pd.Series, prefix: str) -> pd.Series:
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.cat.rename_categories(prefix + col.cat.categories.astype(str))
    return prefix + col.astype(str)


def _synthetic_chunk(root: str, product: Product, params: Any, seed: int, chunk: int, chunks: int,
                     year: int) -> int:
    from huiminbao_rules.analytics.synthetic import population

    child = seed if chunks == 1 else int(np.random.SeedSequence([seed, chunk]).generate_state(1)[0])
    pop = population(product, params, seed=child, progress=False)
    if chunks > 1:  # ids unique across chunks: P00042 of chunk 3 is P003-00042
        tag = f"{chunk:0{len(str(chunks - 1))}d}-"
        pop = Population(
            insured=pop.insured.assign(insured_id=_prefixed(pop.insured["insured_id"], "P" + tag)),
            claims=pop.claims.assign(insured_id=_prefixed(pop.claims["insured_id"], "P" + tag),
                                     claim_id=_prefixed(pop.claims["claim_id"], "C" + tag)),
            encounters=pop.encounters.assign(claim_id=_prefixed(pop.encounters["claim_id"], "C" + tag)),
            fee_lines=pop.fee_lines.assign(claim_id=_prefixed(pop.fee_lines["claim_id"], "C" + tag)))
    write_dataset(pop, root, year=year)
    return len(pop.claims)


def write_synthetic_dataset(root: str | os.PathLike[str], product: Product, params: Any = None, *, seed: int,
                            chunks: int = 1, buckets: int | None = None,
                            claims_per_partition: int = CLAIMS_PER_PARTITION, client: Any = None,
                            compact: bool = True) -> Dataset:
    """A synthetic city-year (:func:`huiminbao_rules.analytics.synthetic.population`) written straight
    into a new dataset at ``root``, for policy year ``product.policy_year``, in ``chunks``
    independent pieces of ``params.insured / chunks`` people each, so that no process holds
    more than one piece. With a ``client`` the pieces are made and written on the workers.

    ``chunks=1`` writes exactly ``population(product, params, seed=seed)``. With more
    chunks, each is seeded from ``(seed, chunk)`` and its ids carry the chunk number
    (``P003-00042``, ``C003-00017``): the same arguments give the same dataset. Once every
    chunk is written, the dataset is compacted (:func:`compact_dataset`: one file per table
    and partition), unless ``compact=False``."""
    from huiminbao_rules.analytics.synthetic import SyntheticParams

    params = SyntheticParams() if params is None else params
    if chunks < 1:
        raise ValueError(f"chunks must be at least 1, got {chunks}")
    root = Path(root)
    if (root / MANIFEST).exists():
        raise InputError("dataset", [Problem(str(root), "already holds a dataset; give a new directory")])
    ds = _create(root, buckets, int(params.expected_claims()), claims_per_partition)  # a count, whole claims
    sizes = [params.insured // chunks + (1 if i < params.insured % chunks else 0) for i in range(chunks)]
    jobs = [(str(root), product, replace(params, insured=s), seed, i, chunks, product.policy_year)
            for i, s in enumerate(sizes) if s > 0]
    if client is not None:
        [prod] = client.scatter([product], broadcast=True, hash=False)
        futures = [client.submit(_synthetic_chunk, j[0], prod, *j[2:], pure=False) for j in jobs]
        client.gather(futures)
    else:
        for j in jobs:
            _synthetic_chunk(*j)
    return compact_dataset(ds, client=client) if compact else ds


# ---- adjudicating --------------------------------------------------------------------------


def _peak_rss() -> int:
    """This process's peak resident memory so far, in bytes."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def _run_partition(path: str, named: dict[str, Product], out: str, engine: Any) -> dict[str, Any]:
    """Read, adjudicate and write one partition (on a worker); return its small summary."""
    wall, cpu = time.perf_counter(), time.process_time()
    pop = _read_partition(Path(path))
    frames = adjudicate_variants(pop, named, engine, progress=False)
    claims = tidy_claims(frames, named)
    claims.to_parquet(out, index=False, engine="pyarrow", compression="lz4")
    people = pd.concat([pop.insured["insured_id"].astype(str), claims["insured_id"].astype(str)],
                       ignore_index=True).nunique()
    per_variant = {}
    for name in named:
        c = claims[claims["variant"] == name]
        per = c.groupby("insured_id", sort=False)["payable"].sum()
        sums = {col: int(c[col].sum()) for col in SUMMED}
        per_variant[name] = {"claims": len(c), "claimants": int(len(per)), "sums": sums,
                             "paid": np.sort(per[per > 0].to_numpy(np.int64))}
    return {"path": path, "insured": int(people), "claims": len(pop.claims), "fee_lines": len(pop.fee_lines),
            "variants": per_variant, "peak_rss": _peak_rss(), "pid": os.getpid(),
            "wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}


@dataclass(frozen=True)
class DatasetResult:
    """What :func:`adjudicate_dataset` gathered: small sums per variant, the payouts of the
    people paid, and where the per-claim rows were written (``out``)."""

    out: Path
    products: dict[str, Product]
    year: int
    partitions: list[dict[str, Any]] = field(repr=False)
    _premium: dict[str, Premium] = field(repr=False)

    @property
    def variants(self) -> list[str]:
        return list(self.products)

    @property
    def insured(self) -> int:
        return sum(p["insured"] for p in self.partitions)

    def summary(self, *, unit: Literal["fen", "yuan"] = "fen") -> pd.DataFrame:
        """The frame of :meth:`~huiminbao_rules.analytics.scenarios.ScenarioResult.summary`, from the
        partitions' sums: equal to it, column for column."""
        n_insured = self.insured
        rows = []
        for name, product in self.products.items():
            parts = [p["variants"][name] for p in self.partitions]
            rows.append(summary_row(name, product, claims=sum(p["claims"] for p in parts), insured=n_insured,
                                    claimants=sum(p["claimants"] for p in parts),
                                    sums={k: sum(p["sums"][k] for p in parts) for k in SUMMED},
                                    paid=np.concatenate([p["paid"] for p in parts] + [np.zeros(0, np.int64)]),
                                    premium=self._premium[name]))
        return summary_frame(rows, unit)

    def claims(self) -> pd.DataFrame:
        """Every claim's row, read back from ``out`` into this process: the frame of
        :attr:`~huiminbao_rules.analytics.scenarios.ScenarioResult.claims` (for results that fit in
        memory; otherwise read the files of ``out`` a few at a time)."""
        return tidy_claims(self._frames(), self.products)

    def _frames(self) -> dict[str, pd.DataFrame]:
        files = sorted(self.out.glob("part-*.parquet"))
        whole = (pd.concat([pd.read_parquet(f, engine="pyarrow") for f in files], ignore_index=True)
                 if files else None)
        out = {}
        for name, product in self.products.items():
            if whole is None:
                out[name] = pd.DataFrame(columns=result_columns(product))
            else:
                out[name] = whole[whole["variant"] == name].drop(columns="variant")
        return out

    def timings(self) -> pd.DataFrame:
        """One row per partition: ``path``, worker process id ``pid``, ``claims``,
        ``fee_lines``, the task's ``wall_s`` and the worker's ``cpu_s`` during it (CPU
        seconds well below wall seconds mean the machine had other work), and the worker's
        ``peak_rss`` in bytes when the task ended."""
        cols = ["path", "pid", "claims", "fee_lines", "wall_s", "cpu_s", "peak_rss"]
        return pd.DataFrame([{c: p[c] for c in cols} for p in self.partitions], columns=cols)

    def peak_rss(self) -> dict[int, int]:
        """The peak resident memory (bytes) each worker process had reached when it finished
        its last partition, by process id."""
        out: dict[int, int] = {}
        for p in self.partitions:
            out[p["pid"]] = max(out.get(p["pid"], 0), p["peak_rss"])
        return out


def adjudicate_dataset(dataset: Dataset | str | os.PathLike[str],
                       variants: Mapping[str, Product] | Sequence[Product], *, out: str | os.PathLike[str],
                       year: int | None = None, client: Any = None, engine: Any = None,
                       premium_income: PremiumIncome = None) -> DatasetResult:
    """Adjudicate every partition of ``dataset`` (of ``year``; the only year if None) under
    each variant, a task per partition: the task reads the partition, runs
    :func:`~huiminbao_rules.analytics.batch.adjudicate_population` on it per variant and writes the
    per-claim rows to ``out/part-<year>-<bucket>.parquet`` (the columns of
    :attr:`~huiminbao_rules.analytics.scenarios.ScenarioResult.claims`); only sums come back.

    ``variants``, ``engine`` and ``premium_income`` are those of
    :func:`~huiminbao_rules.analytics.scenarios.run`. ``client``: a ``distributed.Client`` (the
    workers must see ``dataset`` and ``out`` at the same paths: a shared disk, or a local
    cluster); without one, Dask's default scheduler runs the tasks. ``out`` must be a new
    or empty directory."""
    import dask

    named = named_variants(variants)
    ds = dataset if isinstance(dataset, Dataset) else open_dataset(dataset)
    y = ds._year(year)
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise InputError("results directory", [Problem(str(out), "is not empty; give a new or empty directory")])
    out.mkdir(parents=True, exist_ok=True)
    (out / _RESULTS).write_text(json.dumps({"dataset": str(ds.root), "year": y, "variants": {
        n: p.id for n, p in named.items()}}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    parts = ds.partitions(y)
    jobs = [(str(p.path), str(out / f"part-{p.year}-{p.bucket:05d}.parquet")) for p in parts]
    if client is not None:
        [products] = client.scatter([named], broadcast=True, hash=False)
        futures = [client.submit(_run_partition, path, products, dest, engine, pure=False) for path, dest in jobs]
        summaries = client.gather(futures)
    else:
        summaries = list(dask.compute(*[dask.delayed(_run_partition)(path, named, dest, engine)
                                        for path, dest in jobs]))
    insured = sum(s["insured"] for s in summaries)
    return DatasetResult(out=out, products=named, year=y, partitions=summaries,
                         _premium=premiums(named, premium_income, insured))
