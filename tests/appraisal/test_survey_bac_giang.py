"""The Bắc Giang example survey counts (evidence/bac-giang/2024/survey, synthetic): merged into
the data they replace the 319 survey rows of assessments.csv and give the same points."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from support.paths import REPO

from par_index.criteria.compiled import load
from par_index.pipeline import read_data
from par_index.scoring.engine import score

DATA = REPO / "evidence/bac-giang/2024"
CRITERIA = [REPO / "criteria/bac-giang/2024/so.yaml", REPO / "criteria/bac-giang/2024/huyen.yaml"]


def test_survey_counts_reproduce_the_survey_points(tmp_path: Path):
    sets = [load(p) for p in CRITERIA]
    merged = tmp_path / "data"
    merged.mkdir()
    for f in [*DATA.glob("*.csv"), *(DATA / "survey").glob("survey*")]:
        shutil.copy(f, merged / f.name)
    before = score(sets, read_data(DATA))
    after = score(sets, read_data(merged))
    for a, b in zip(before.sets, after.sets, strict=True):
        assert np.array_equal(a.leaf_points, b.leaf_points)
        assert np.array_equal(a.total_points, b.total_points)
    warned = [p.message for p in after.problems if p.reason == "survey_replaces_assessments"]
    assert warned == [
        "330 dòng giai đoạn survey (tiêu chí 1.6, 2.4, 3.4, 4.4, 5.5, 6.4, 7.4, 8.1.1, 8.1.2, 8.2.1, 8.2.2) "
        "được thay bằng kết quả tính từ survey.csv"
    ]
    assert not [p for p in after.problems if p.reason.startswith("survey_") and p.reason != "survey_replaces_assessments"]
    s, i = after.find("so-noi-vu")
    assert s.value_stage[i, s.criteria.leaf_index["8.1.1"]] == "survey"
    assert str(s.value_text[i, s.criteria.leaf_index["8.1.1"]]) != "A:80; B:20; C:1; D:1; E:0"


def test_explanations_show_in_the_trail():
    from par_index.appraisal.trail import leaf_trails

    sets = [load(p) for p in CRITERIA]
    data = read_data(DATA)
    results = score(sets, data)
    steps = leaf_trails(results, data, "so-cong-thuong")["3.3.1"]
    assert [(st.step, st.value, st.points, st.date) for st in steps] == [
        ("self", "93,2%", 2.0, ""),
        ("appraisal1", "88,6%", steps[1].points, ""),
        ("explanation", "", None, "08/01/2025"),
        ("appraisal2", "91,0%", steps[3].points, ""),
    ]
    assert steps[3].final and steps[1].points < steps[3].points <= 2.0
