"""Test oracles shipped with the package: the plain per-unit reference scorer, synthetic data, brute force."""
