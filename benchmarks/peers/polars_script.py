"""The same in polars (lazy)."""

from __future__ import annotations

import sys

import polars as pl

from benchmarks.peers import AREAS, BANDS


def main(root: str, out: str) -> None:
    units = pl.scan_csv(f"{root}/data/units.csv", schema_overrides={"unit": pl.Utf8, "name": pl.Utf8, "kind": pl.Utf8})
    maxima = pl.scan_csv(f"{root}/maxima.csv", schema_overrides={"criterion": pl.Utf8, "area": pl.Utf8, "max": pl.Float64})
    rows = (
        pl.scan_csv(f"{root}/data/assessments.csv", infer_schema=False)
        .filter((pl.col("stage") == "self") & (pl.col("value") != "na"))
        .join(maxima, on="criterion")
        .with_columns(pl.min_horizontal(pl.col("value").str.replace(",", ".", literal=True).cast(pl.Float64), pl.col("max")).alias("points"))
    )
    per_unit = rows.group_by("unit").agg(
        pl.col("points").sum(), pl.col("max").sum(),
        *[pl.col("points").filter(pl.col("area") == str(a)).sum().alias(f"points_{a}") for a in range(1, AREAS + 1)],
    )
    band = pl.when(pl.col("exact") >= BANDS[0][0]).then(pl.lit(BANDS[0][1]))
    for edge, label in BANDS[1:]:
        band = band.when(pl.col("exact") >= edge).then(pl.lit(label))
    df = (
        units.join(per_unit, on="unit")
        .with_columns((pl.col("points") * 100 / pl.col("max")).alias("exact"))  # ranks and bands before rounding
        .with_columns(((pl.col("exact") * 100 + 0.5).floor() / 100).alias("index"), pl.col("exact").rank(method="min", descending=True).over("kind").cast(pl.Int64).alias("rank"), band.alias("band"))
        .select("unit", "kind", "points", "max", "index", "rank", "band", *[f"points_{a}" for a in range(1, AREAS + 1)])
        .sort("kind", "rank", "unit")
    )
    df.collect().write_csv(out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
