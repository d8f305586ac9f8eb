"""Every Vietnamese word the pages show for a code: roles, workflow states, input kinds."""

from __future__ import annotations

from par_index.server.roles import ROLE_NAMES

ROLES = ROLE_NAMES  # the server's 403 names the role the same way

STATES = {
    "draft": "Đang tự đánh giá",
    "submitted": "Đã nộp",
    "withdrawn": "Đã rút lại",
    "appraisal1": "Thẩm định vòng 1",
    "explanation": "Giải trình",
    "appraisal2": "Thẩm định vòng 2",
    "final": "Đã có kết quả cuối cùng",
    "published": "Đã công bố",
}

STAGES = {
    "self": "Tự đánh giá",
    "survey": "Điều tra xã hội học",
    "appraisal1": "Thẩm định vòng 1",
    "explanation": "Giải trình",
    "appraisal2": "Thẩm định vòng 2",
    "final": "Kết quả cuối cùng",
}

# What the unit enters, per Rule.input_kind()
INPUTS = {
    "bool": "Có / không",
    "date": "Ngày",
    "points": "Điểm",
    "ratio": "Tỷ lệ phần trăm",  # the widget's hint under it gives the form (messages.RATIO_FORM)
    "count": "Số lượng",
    "number": "Số",
}


def role(code: str) -> str:
    return ROLES.get(code, code)


def state(code: str) -> str:
    return STATES.get(code, code)


def stage(code: str) -> str:
    return STAGES.get(code, code)
