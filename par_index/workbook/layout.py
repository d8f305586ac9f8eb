"""Where things are in the self-assessment workbook (phiếu tự đánh giá).

Shared by the writer (:mod:`par_index.workbook.template`) and the reader
(:mod:`par_index.workbook.reader`), so the two never disagree about a column. The reader finds
the table's columns by their header text (not by letter) and the header block by the labels in
column A, so it reports a missing header by name.
"""

from __future__ import annotations

FORMAT = "par-index-workbook"
FORMAT_VERSION = 1

MAIN_SHEET = "Tự đánh giá"
EVIDENCE_SHEET = "Tài liệu bổ sung"
META_SHEET = "par-index"

# Header block: label in column A, value in column B.
LABEL_COL = "A"
VALUE_COL = "B"
UNIT_LABEL = "Mã đơn vị"
NAME_LABEL = "Tên đơn vị"
KIND_LABEL = "Loại đơn vị"
CRITERIA_LABEL = "Bộ tiêu chí"
HEADER_SCAN_ROWS = 40  # the header block and the table header are within these rows

# The table: key -> (column letter, header text, width). Inputs are the keys in INPUTS.
COLUMNS: dict[str, tuple[str, str, float]] = {
    "code": ("A", "Mã", 12),  # the header block's labels (bold "Loại đơn vị") fit on one line
    "name": ("B", "Nội dung tiêu chí", 58),
    "max": ("C", "Điểm tối đa", 9),
    "method": ("D", "Cách chấm điểm", 46),
    "value": ("E", "Giá trị tự đánh giá", 16),
    "points": ("F", "Điểm", 9),
    "document": ("G", "Tài liệu kiểm chứng (số, ký hiệu, trích yếu)", 40),
    "issued_on": ("H", "Ngày ban hành", 13),
    "issuer": ("I", "Cơ quan ban hành", 20),
    "file": ("J", "Tệp đính kèm", 20),
    "note": ("K", "Giải trình", 36),
    "max_used": ("L", "Điểm tối đa được tính", 10),
    "index": ("M", "Tỷ lệ đạt (%)", 9),
    "x": ("N", "Giá trị dùng để tính (ô phụ)", 12),
}
INPUTS = ("value", "document", "issued_on", "issuer", "file", "note")
REQUIRED_HEADERS = ("code", *INPUTS)


def col(key: str) -> str:
    """The column letter of a table column."""
    return COLUMNS[key][0]


def header(key: str) -> str:
    return COLUMNS[key][1]


# The sheet of further evidence documents (more than one document for a criterion).
EVIDENCE_COLUMNS: dict[str, tuple[str, str, float]] = {
    "code": ("A", "Mã tiêu chí", 12),
    "document": ("B", "Tài liệu kiểm chứng (số, ký hiệu, trích yếu)", 60),
    "issued_on": ("C", "Ngày ban hành", 14),
    "issuer": ("D", "Cơ quan ban hành", 24),
    "file": ("E", "Tệp đính kèm", 30),
}
EVIDENCE_HEADER_ROW = 3
EVIDENCE_ROWS = 300  # rows prepared with validation below the header

# Hidden metadata sheet: key in A, value in B; leaf codes in D, their value kinds in E and, in F,
# who fills a leaf that the unit does not (``so-noi-vu`` for survey leaves: read as stage survey).
META_KEYS = ("format", "version", "criteria", "criteria_title", "unit", "kind", "precision", "generated_by")
META_LEAF_COL, META_KIND_COL, META_FILLED_COL = "D", "E", "F"

# What the workbook treats as "not applicable" in an input cell (as the engine does).
NA_INPUT = "không áp dụng"
