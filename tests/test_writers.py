"""The CSV results writer writes what pandas' ``to_csv`` would, byte for byte."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from par_index.writers import write_csv


def test_csv_writer_matches_pandas(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "unit": ["so-a", 'Sở "Tư pháp", tỉnh', "xa-c"],
            "name": ["Sở Nội vụ", None, "Xã\nmới"],
            "points": [90.0, 0.1 + 0.2, np.nan],
            "rank": pd.array([1, None, 3], dtype="Int64"),
            "band": ["Tốt", None, "Khá"],
        }
    )
    df.to_csv(tmp_path / "pandas.csv", index=False, encoding="utf-8")
    write_csv(df, tmp_path / "ours.csv")
    ours = (tmp_path / "ours.csv").read_bytes()
    assert ours == (tmp_path / "pandas.csv").read_bytes()
    assert b',0.30000000000000004,,' in ours and '"Sở ""Tư pháp"", tỉnh"'.encode() in ours
