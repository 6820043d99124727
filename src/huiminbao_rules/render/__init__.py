"""What people and programs read: the statement and JSON of a result, a product's
description and diff, and the JSON Schemas of the formats."""
