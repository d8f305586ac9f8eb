"""Stage 3 — scoring: rows laid onto units × leaves, rules applied, points summed, ranked, banded, explained and written."""
