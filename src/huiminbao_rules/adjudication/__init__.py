"""The pure adjudication engine: cover, buckets, benefits, and the result it returns."""
