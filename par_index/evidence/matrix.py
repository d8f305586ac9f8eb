"""The agency matrix: per agency, the evidence it owes — for which leaves and units — and what
is missing or late. The list Sở Nội vụ chases before appraisal.

Only a view of :class:`~par_index.evidence.check.EvidenceReview`: its requirements ordered by
agency (in the order the criteria declare them), criteria set, leaf, document and unit, and a
count per agency. Writers (xlsx, html, console) only render these rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from par_index.evidence.check import NO_AGENCY, STATUS_ORDER, STATUS_WORDS, EvidenceReview, Requirement
from par_index.scoring.engine import Results

NO_AGENCY_NAME = "(chưa giao cơ quan)"
ISSUER_UNIT = "đơn vị tự ban hành"
ISSUER_ANY = "không quy định"

# Column id → Vietnamese header, in the order of the detail table.
DETAIL_HEADERS = {
    "agency": "Mã cơ quan",
    "agency_name": "Cơ quan cung cấp",
    "criteria": "Bộ tiêu chí",
    "leaf": "Mã tiêu chí",
    "leaf_name": "Tiêu chí",
    "document": "Tài liệu cần có",
    "issuer": "Nơi ban hành",
    "unit": "Mã đơn vị",
    "unit_name": "Đơn vị",
    "status": "Tình trạng",
    "supplied": "Tài liệu đã có",
    "notes": "Ghi chú",
}
SUMMARY_HEADERS = {
    "agency": "Mã cơ quan",
    "agency_name": "Cơ quan",
    "owed": "Số tài liệu phải có",
    "ok": "Đủ",
    "missing": "Thiếu",
    "late": "Muộn",
    "other": "Lỗi khác (ngày, tệp, nơi ban hành)",
    "units": "Số đơn vị còn thiếu hoặc muộn",
}


@dataclass(frozen=True)
class MatrixRow:
    agency: str
    agency_name: str
    criteria: str
    leaf: str
    leaf_name: str
    document: str
    issuer: str
    unit: str
    unit_name: str
    status: str  # Vietnamese (STATUS_WORDS)
    status_code: str  # STATUS_ORDER id
    supplied: str
    notes: str


@dataclass(frozen=True)
class AgencySummary:
    agency: str
    agency_name: str
    owed: int
    ok: int
    missing: int
    late: int
    other: int
    units: int  # units with at least one missing or late document


@dataclass
class AgencyMatrix:
    rows: list[MatrixRow]
    summary: list[AgencySummary]
    criteria: str

    def for_agency(self, agency: str) -> list[MatrixRow]:
        return [r for r in self.rows if r.agency == agency]


def agency_names(results: Results) -> dict[str, str]:
    """Agency id → name, in the order the criteria sets declare them."""
    names: dict[str, str] = {}
    for s in results.sets:
        for a in s.criteria.spec.agencies or []:
            names.setdefault(a.id, a.name)
    return names


def build_matrix(results: Results, review: EvidenceReview) -> AgencyMatrix:
    names = agency_names(results)
    agency_rank = {a: k for k, a in enumerate(names)}
    set_rank = {s.criteria.id: k for k, s in enumerate(results.sets)}
    leaf_rank = {(s.criteria.id, leaf.code): k for s in results.sets for k, leaf in enumerate(s.criteria.leaves)}
    unit_rank = {str(u): k for s in results.sets for k, u in enumerate(s.units["unit"])}
    doc_rank: dict[tuple[str, str, str], int] = {}
    for s in results.sets:
        for leaf in s.criteria.leaves:
            for k, e in enumerate(leaf.evidence):
                doc_rank.setdefault((s.criteria.id, leaf.code, e.document), k)

    def key(q: Requirement) -> tuple[int, int, int, int, int]:
        return (
            agency_rank.get(q.agency, len(agency_rank)),
            set_rank.get(q.criteria, 0),
            leaf_rank.get((q.criteria, q.leaf), 0),
            doc_rank.get((q.criteria, q.leaf, q.document), 0),
            unit_rank.get(q.unit, 0),
        )

    rows = [_row(q, names) for q in sorted(review.requirements, key=key)]
    summary: list[AgencySummary] = []
    for agency in dict.fromkeys(r.agency for r in rows):
        part = [r for r in rows if r.agency == agency]
        count = {code: sum(1 for r in part if r.status_code == code) for code in STATUS_ORDER}
        chase = {r.unit for r in part if r.status_code in ("missing", "late")}
        summary.append(
            AgencySummary(
                agency,
                part[0].agency_name,
                len(part),
                count["ok"],
                count["missing"],
                count["late"],
                count["date"] + count["file"] + count["issuer"],
                len(chase),
            )
        )
    return AgencyMatrix(rows, summary, results.criteria_id)


def _row(q: Requirement, names: dict[str, str]) -> MatrixRow:
    if q.issuer == "unit":
        issuer = ISSUER_UNIT
    elif q.issuer is None:
        issuer = ISSUER_ANY
    else:
        issuer = names.get(q.issuer, q.issuer)
    agency_name = NO_AGENCY_NAME if q.agency == NO_AGENCY else names.get(q.agency, q.agency)
    return MatrixRow(
        q.agency,
        agency_name,
        q.criteria,
        q.leaf,
        q.leaf_name,
        q.document,
        issuer,
        q.unit,
        q.unit_name,
        STATUS_WORDS[q.status],
        q.status,
        "\n".join(q.supplied),
        "\n".join(dict.fromkeys(q.notes)),
    )
