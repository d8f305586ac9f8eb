"""Errors the server answers with: ``{"error": "<Vietnamese message>", "detail": ...}``."""

from __future__ import annotations

from typing import Any

from par_index.messages import FILE_TOO_LARGE, FILE_TYPE_REFUSED, LOGIN_LOCKED, NOT_ALLOWED

# Default messages per status code (a route gives a more precise one where it can).
MESSAGES = {
    400: "yêu cầu không hợp lệ",
    401: "chưa đăng nhập hoặc phiên đăng nhập đã hết hạn; hãy đăng nhập lại",
    403: NOT_ALLOWED.format(who="tài khoản này"),
    404: "không tìm thấy",
    405: "phương thức không được hỗ trợ cho địa chỉ này",
    409: "trạng thái hiện tại không cho phép thay đổi này",
    413: "tệp quá lớn",
    415: FILE_TYPE_REFUSED,
    422: "dữ liệu gửi lên không hợp lệ",
    429: LOGIN_LOCKED,
    500: "lỗi trong máy chủ; thao tác không được thực hiện, hãy thử lại hoặc báo cho quản trị viên",
}


def file_too_large(limit: int) -> str:
    """The 413 message: the limit in bytes shown in MB with a decimal comma ("1,5 MB")."""
    return FILE_TOO_LARGE.format(limit=f"{limit / 1024 / 1024:g} MB".replace(".", ","))


class ApiError(Exception):
    """An answer other than success, raised from anywhere below the routes."""

    def __init__(self, status: int, message: str | None = None, detail: Any = None, headers: dict[str, str] | None = None):
        super().__init__(message or MESSAGES.get(status, "lỗi"))
        self.status = status
        self.message = message or MESSAGES.get(status, "lỗi")
        self.detail = detail
        self.headers = headers

    def body(self) -> dict[str, Any]:
        return {"error": self.message, "detail": self.detail}


def unreadable_request(errors: Any) -> ApiError:
    """The 422 of a request the routes cannot read (FastAPI's validation ``errors``): the fields
    named, for the API's JSON and the pages alike."""
    fields = [".".join(str(x) for x in e.get("loc", ()) if x not in ("body", "query", "path")) for e in errors]
    msg = "thiếu hoặc sai trường: " + ", ".join(f for f in fields if f) if any(fields) else MESSAGES[422]
    return ApiError(422, msg, {"fields": fields})
