"""Criteria trees (issue 11 item 12): memory linear in the nodes (no dense nodes × leaves
matrix), sums equal to the dense product they replace, and documented node and depth limits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from par_index.criteria import loader
from par_index.criteria.compiled import compile_criteria, load
from par_index.criteria.model import CriteriaSet
from par_index.errors import InputError

ROOT = Path(__file__).resolve().parents[2]


def _wide(areas: int, per: int) -> CriteriaSet:
    nodes = [
        {"code": str(a), "name": f"Lĩnh vực {a}", "max": per,
         "children": [{"code": f"{a}.{j}", "name": f"Tiêu chí {a}.{j}", "max": 1, "rule": {"kind": "yes_no"}} for j in range(1, per + 1)]}
        for a in range(1, areas + 1)
    ]
    return CriteriaSet.model_validate({"id": "wide", "title": "Rộng", "year": 2024, "unit_kinds": {"so": "Sở"}, "provenance": "illustrative", "nodes": nodes})


def test_compiled_tree_is_linear_in_leaves() -> None:
    c = compile_criteria(_wide(40, 100), None)  # 4,000 leaves, 4,040 nodes: the dense matrix was 130 MB
    assert (len(c.leaves), len(c.nodes)) == (4000, 4040)
    arrays = [v for v in vars(c).values() if isinstance(v, np.ndarray)]
    assert sum(a.nbytes for a in arrays) < 200_000
    assert c.under(c.node_index["3"]) == slice(200, 300)
    x = np.arange(4000 * 3, dtype=float).reshape(4000, 3)
    sums = c.aggregate(x)
    assert sums.shape == (4040, 3)
    assert sums[c.node_index["3"]].tolist() == x[200:300].sum(axis=0).tolist()
    assert sums[c.node_index["3.7"]].tolist() == x[206].tolist()


@pytest.mark.parametrize("path", ["criteria/bac-giang/2024/so.yaml", "criteria/bac-giang/2024/huyen.yaml", "tests/data/mini/criteria.yaml"])
def test_aggregate_equals_the_dense_product(path: str) -> None:
    c = load(ROOT / path)
    dense = np.zeros((len(c.nodes), len(c.leaves)))
    for j, leaf in enumerate(c.leaves):
        for code in leaf.ancestors:
            dense[c.node_index[code], j] = 1.0
    x = np.random.default_rng(3).integers(0, 10_000, (len(c.leaves), 7)).astype(float)
    assert np.array_equal(c.aggregate(x), dense @ x)
    assert np.array_equal(c.aggregate(x[:, 0]), dense @ x[:, 0])


def test_node_count_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "MAX_NODES", 50)
    f = tmp_path / "c.yaml"
    f.write_text(
        'id: many\ntitle: "Nhiều"\nyear: 2024\nunit_kinds: {so: "Sở"}\nprovenance: illustrative\nnodes:\n'
        + "".join(f'  - {{code: "{i}", name: "T {i}", max: 1, rule: {{kind: yes_no}}}}\n' for i in range(1, 61)),
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        loader.load_criteria(f)
    assert [str(p) for p in err.value.problems] == [f"{f} dòng 57: bộ tiêu chí có hơn 50 tiêu chí — vượt giới hạn"]
