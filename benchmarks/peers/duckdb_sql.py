"""The same as one DuckDB SQL statement (the index rounded half up, as par-index rounds it)."""

from __future__ import annotations

import sys

import duckdb

from benchmarks.peers import AREAS, BANDS


def main(root: str, out: str) -> None:
    areas = ", ".join(f"sum(points) FILTER (WHERE area = '{a}') AS points_{a}" for a in range(1, AREAS + 1))
    band = " ".join(f"WHEN idx >= {edge} THEN '{label}'" for edge, label in BANDS)
    sql = f"""
    COPY (
      WITH rows AS (
        SELECT a.unit, m.area, least(CAST(replace(a.value, ',', '.') AS DOUBLE), m.max) AS points, m.max
        FROM read_csv('{root}/data/assessments.csv', all_varchar = true) a
        JOIN read_csv('{root}/maxima.csv', types = {{'criterion': 'VARCHAR', 'area': 'VARCHAR', 'max': 'DOUBLE'}}) m USING (criterion)
        WHERE a.stage = 'self' AND a.value <> 'na'
      ), per_unit AS (
        SELECT unit, sum(points) AS points, sum(max) AS max, {areas} FROM rows GROUP BY unit
      ), scored AS (
        SELECT u.unit, u.kind, p.*  EXCLUDE (unit), p.points * 100 / p.max AS idx
        FROM read_csv('{root}/data/units.csv', all_varchar = true) u JOIN per_unit p USING (unit)
      )
      SELECT unit, kind, points, max, floor(idx * 100 + 0.5) / 100 AS "index", rank() OVER (PARTITION BY kind ORDER BY idx DESC) AS rank,
             CASE {band} END AS band, {", ".join(f"points_{a}" for a in range(1, AREAS + 1))}
      FROM scored ORDER BY kind, rank, unit
    ) TO '{out}' (HEADER, DELIMITER ',')
    """
    duckdb.sql(sql)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
