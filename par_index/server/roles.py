"""Who may do what: one table of (action → role → scope), checked on every route.

Scopes: ``all`` (every unit of the round), ``own`` (the account's own unit only), ``supplied``
(the criteria whose ``agency`` in the criteria file is the account's agency, for every unit),
``published`` (only after the round's results are published), ``self`` (the account's own
login session). A role absent from an action's row may not do it (403). ``PUBLIC`` actions need
no login. Every route of the API names its action (``app.ROUTES``); a test walks every route
with every role and fails on a route without one.
"""

from __future__ import annotations

PUBLIC = frozenset({"session.create", "schema.read"})  # log in; the API's OpenAPI schema (no data)

#: each role as users read it (pages, refusals)
ROLE_NAMES = {
    "unit": "Đơn vị",
    "agency": "Cơ quan cung cấp tài liệu kiểm chứng",
    "appraiser": "Thẩm định (Sở Nội vụ)",
    "admin": "Quản trị",
    "viewer": "Xem kết quả",
}

RULES: dict[str, dict[str, str]] = {
    "session.read": {"unit": "self", "agency": "self", "appraiser": "self", "admin": "self", "viewer": "self"},
    "session.delete": {"unit": "self", "agency": "self", "appraiser": "self", "admin": "self", "viewer": "self"},
    "password.change": {"unit": "self", "agency": "self", "appraiser": "self", "admin": "self", "viewer": "self"},
    "units.list": {"unit": "own", "agency": "all", "appraiser": "all", "admin": "all", "viewer": "all"},
    "assessment.read": {"unit": "own", "appraiser": "all", "admin": "all"},
    "assessment.write": {"unit": "own"},
    "workbook.upload": {"unit": "own"},
    "unit.submit": {"unit": "own"},
    "unit.withdraw": {"unit": "own"},
    "unit.advance": {"appraiser": "all"},
    "evidence.read": {"unit": "own", "agency": "supplied", "appraiser": "all", "admin": "all"},
    "evidence.upload": {"unit": "own", "agency": "supplied"},
    "explanation.write": {"unit": "own"},
    "appraisal.write": {"appraiser": "all"},
    "survey.import": {"appraiser": "all"},
    "publish": {"appraiser": "all"},
    "results.read": {"appraiser": "all", "admin": "all", "viewer": "published"},
    "audit.read": {"appraiser": "all", "admin": "all"},
    "calendar.write": {"admin": "all"},
    "rounds.read": {"unit": "all", "agency": "all", "appraiser": "all", "admin": "all", "viewer": "all"},
    "users.write": {"admin": "all"},
    "users.read": {"admin": "all"},
}


def scope(role: str, action: str) -> str | None:
    """The scope ``role`` has for ``action``, or ``None`` when it may not do it at all."""
    return RULES.get(action, {}).get(role)
