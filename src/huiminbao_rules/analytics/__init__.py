"""Populations of claims as columns (the ``scenarios`` extra: numpy, pandas, numba, pyarrow):
synthetic populations, table loaders, the columnar engine, what-if scenarios and Dask."""
