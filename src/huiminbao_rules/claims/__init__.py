"""Claims as they arrive: the insured, the encounters with their basic-insurance settlement
and fee lines, and what identifies an encounter."""
