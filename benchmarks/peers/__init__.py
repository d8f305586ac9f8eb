"""Peers that score the same manual-rule data set another way (issue 15): a pandas analyst script,
polars, DuckDB SQL and the pyarrow floor. Each is a script run as its own process:

    python -m benchmarks.peers.<name> DIR OUT.csv

DIR (written by ``benchmarks/peers/data.py``) holds ``criteria.yaml``, ``data/units.csv`` and
``data/assessments.csv`` (par-index's input) and ``maxima.csv`` (criterion, area, max: what an
analyst copies from the criteria). The output has one row per
unit: unit, kind, points, max, index, rank, band and points per area, checked equal to
par-index's ``score --out .csv`` before anything is timed (``benchmarks/test_peers.py``).
"""

BANDS = ((90.0, "Xuất sắc"), (80.0, "Tốt"), (70.0, "Khá"), (0.0, "Trung bình"))
AREAS = 10
