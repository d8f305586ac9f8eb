"""Stage 2 — unit data: the units, assessment and evidence tables, each value text read once."""
