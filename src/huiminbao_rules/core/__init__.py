"""The vocabulary every layer shares: money, strict fields, input limits, errors and reason
codes. Needs only pydantic; imports nothing else of the package."""
