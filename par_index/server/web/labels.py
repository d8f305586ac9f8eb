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


# What the audit log shows for an action code of services.audit (the filter keeps the code)
ACTIONS = {
    "db.init": "Khởi tạo cơ sở dữ liệu",
    "db.import": "Nạp dữ liệu",
    "users.write": "Tài khoản",
    "password.change": "Đổi mật khẩu",
    "calendar.write": "Lịch đánh giá",
    "assessment.write": "Lưu tự đánh giá",
    "workbook.upload": "Tải lên phiếu tự đánh giá (Excel)",
    "evidence.upload": "Tải lên tài liệu kiểm chứng",
    "unit.submit": "Nộp phiếu tự đánh giá",
    "unit.withdraw": "Rút lại phiếu tự đánh giá",
    "unit.advance": "Chuyển trạng thái hồ sơ",
    "appraisal.write": "Quyết định thẩm định",
    "explanation.write": "Giải trình",
    "survey.import": "Nạp kết quả điều tra xã hội học",
    "publish": "Công bố kết quả",
}

# The fields of an audit entry's before/after, in Vietnamese; fields not listed here are not shown
# to a reader (row ids, the round's year and data label, a file's sha256 and content type: the
# API's audit keeps them for a developer)
FIELDS = {
    "state": "trạng thái", "criterion": "tiêu chí", "value": "giá trị", "points": "điểm", "note": "giải thích",
    "stage": "giai đoạn", "version": "phiên bản", "unit": "đơn vị", "round": "vòng", "reason": "lý do",
    "appraiser": "người thẩm định", "date": "ngày", "text": "nội dung",
    "self_deadline": "hạn tự đánh giá", "explanation_deadline": "hạn giải trình", "published_at": "công bố lúc",
    "document": "tài liệu", "issued_on": "ngày ban hành", "issuer": "cơ quan ban hành",
    "file": "tệp", "size": "dung lượng (byte)", "uploaded_by": "người tải lên", "login": "tên đăng nhập",
    "role": "vai trò", "agency": "cơ quan", "active": "đang dùng", "password": "mật khẩu", "rows": "số dòng",
    "changed": "dòng thay đổi", "evidence": "tài liệu kiểm chứng", "problems": "vấn đề", "assessments": "dòng tự đánh giá",
    "duplicates_dropped": "dòng trùng bỏ qua", "appraisals": "dòng thẩm định", "explanations": "dòng giải trình",
    "survey": "dòng điều tra", "criteria": "tệp tiêu chí", "units": "số đơn vị",
}


def action(code: str) -> str:
    return ACTIONS.get(code, code)
