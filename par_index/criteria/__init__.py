"""Stage 1 — the criteria set: the YAML model, the strict loader, the rule kinds and the compiled tree."""
