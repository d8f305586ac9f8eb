"""The analyst's pandas script: read, join maxima, clip, group-sum, rank, band, write."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from benchmarks.peers import BANDS


def main(root: str, out: str) -> None:
    units = pd.read_csv(f"{root}/data/units.csv", dtype=str)
    rows = pd.read_csv(f"{root}/data/assessments.csv", dtype=str, usecols=["unit", "criterion", "value", "stage"])
    maxima = pd.read_csv(f"{root}/maxima.csv", dtype={"criterion": str, "area": str, "max": float})
    rows = rows[(rows["stage"] == "self") & (rows["value"] != "na")].merge(maxima, on="criterion")
    rows["points"] = np.minimum(rows["value"].str.replace(",", ".", regex=False).astype(float), rows["max"])
    totals = rows.groupby("unit")[["points", "max"]].sum()
    areas = rows.pivot_table(index="unit", columns="area", values="points", aggfunc="sum")
    areas = areas[sorted(areas.columns, key=int)].add_prefix("points_")
    df = units.set_index("unit")[["kind"]].join(totals).join(areas).reset_index()
    exact = df["points"] * 100 / df["max"]  # ranks and bands from the index before rounding
    df["index"] = np.floor(exact * 100 + 0.5) / 100  # half up, as par-index rounds (a tie is a multiple of 1/8: exact in floats)
    df["rank"] = exact.groupby(df["kind"]).rank(method="min", ascending=False).astype(int)
    df["band"] = np.select([exact >= edge for edge, _ in BANDS], [label for _, label in BANDS], default="")
    cols = ["unit", "kind", "points", "max", "index", "rank", "band", *areas.columns]
    df[cols].sort_values(["kind", "rank", "unit"]).to_csv(out, index=False)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
