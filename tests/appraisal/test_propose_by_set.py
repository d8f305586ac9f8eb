"""``propose`` takes the self-scores with no evidence row at all (tens of thousands of findings on
1,000 units) per criteria set from the evidence review (``EvidenceReview.unsupplied``) instead of
one finding per problem. These tests hold it to what the one-problem-at-a-time ``propose`` gave
(main at 658e0e3, before the change): the same proposals, field by field, in the same order, on
the Bắc Giang example and the 1,000-unit benchmark data (``benchmarks/generate.py``, seeded; the
digests below change if that generator does), and on cells with several findings."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from support.paths import REPO, TESTS
from test_appraise_workbook import ASSESSMENTS, EVIDENCE, UNITS  # the data of the appraise tests (this folder)

from par_index.appraisal.proposals import Proposal, propose
from par_index.criteria.compiled import load
from par_index.pipeline import read_data


def _digest(proposals: Sequence[Proposal]) -> str:
    h = hashlib.sha256()
    for p in proposals:
        h.update(repr((p.unit, p.unit_name, p.criterion, p.criterion_name, p.max, p.self_value, p.self_points, p.current_points,
                       p.proposed_points, p.kinds, p.reason)).encode())
    return h.hexdigest()


def test_a_cell_with_other_findings_keeps_them_first_and_the_lowest_points(tmp_path: Path) -> None:
    d = tmp_path / "data"
    d.mkdir()
    (d / "units.csv").write_text(UNITS, encoding="utf-8")
    (d / "assessments.csv").write_text(ASSESSMENTS, encoding="utf-8")
    # so-b 1.2 (claim above the rule) and 2.1 (an invalid value) lose their documents too
    (d / "evidence.csv").write_text("".join(line + "\n" for line in EVIDENCE.splitlines() if not line.startswith(("so-b,1.2,", "so-b,2.1,"))),
                                    encoding="utf-8")
    missing = "tự chấm {} điểm nhưng thiếu tài liệu kiểm chứng (cần: Tài liệu kiểm chứng (bộ tiêu chí không nêu tên tài liệu)); khi thẩm định, tiêu chí này bị tính 0 điểm"
    got = [(p.unit, p.criterion, p.self_points, p.current_points, p.proposed_points, p.kinds, p.reason)
           for p in propose([load(TESTS / "data/mini/criteria.yaml")], read_data(d), 1)]
    assert got == [
        ("so-a", "1.3", 1.0, 1.0, 0.0, ("evidence_missing",), missing.format(1)),
        ("so-b", "1.2", 2.0, 1.0, 0.0, ("claim_above_rule", "evidence_missing"),
         "tự chấm 2 điểm nhưng giá trị '80%' chỉ được 1 điểm theo quy tắc; " + missing.format(2)),
        ("so-b", "2.1", 2.0, 0.0, 0.0, ("value_invalid", "claim_above_rule", "evidence_missing"),
         "130% vượt quá 100%; tỷ lệ phải từ 0% đến 100%; được tính 0 điểm; đề xuất 0 điểm đến khi đơn vị bổ sung giá trị đúng; "
         "tự chấm 2 điểm nhưng giá trị '130%' chỉ được 0 điểm theo quy tắc; " + missing.format(2)),
    ]


def test_bac_giang_proposals_are_those_made_one_problem_at_a_time() -> None:
    sets = [load(REPO / "criteria/bac-giang/2024/so.yaml"), load(REPO / "criteria/bac-giang/2024/huyen.yaml")]
    data = read_data(REPO / "evidence/bac-giang/2024")
    one, two = propose(sets, data, 1), propose(sets, data, 2)
    assert (len(one), _digest(one)) == (9, "1c1b04c193dbeaf4507997171be78b793903b1c030293b3d1940244370474036")
    assert (len(two), _digest(two)) == (10, "cae67ace07105f37d4357ecde2c153ffc3114aaa287a8a969f9a3a643232414a")
    assert [p.kinds for p in two].count(("evidence_missing",)) == 3 and [p.kinds for p in two].count(("explanation",)) == 2


def test_1000_unit_proposals_are_those_made_one_problem_at_a_time(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(REPO / "benchmarks/generate.py"), "--units", "1000", str(tmp_path)], check=True, stdout=subprocess.DEVNULL)
    sets = [load(tmp_path / "criteria.yaml")]
    data = read_data(tmp_path / "data")
    one, two = propose(sets, data, 1), propose(sets, data, 2)
    assert (len(one), _digest(one)) == (68026, "a2a71469f70a7d6dfe022e1dd7a75e79cc9c5ba5790636d4828569d0bd29d405")
    assert (len(two), _digest(two)) == (64586, "bf0a10e5085a2061c67c98ad7de6f87a94c304669644e33e1dce21af274eb245")
