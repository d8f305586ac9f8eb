"""The floor: pyarrow reads both CSVs and writes a table of one row per unit (no scoring)."""

from __future__ import annotations

import sys

import pyarrow.csv as pc


def main(root: str, out: str) -> None:
    units = pc.read_csv(f"{root}/data/units.csv")
    pc.read_csv(f"{root}/data/assessments.csv")
    pc.write_csv(units, out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
