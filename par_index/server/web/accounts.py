"""Account management the pages need beyond ``users add``: list, disable, reset, change a password.

Same rules as the services: the permission table (``users.read`` / ``users.write``), argon2
hashes, an audit entry for every change (never the password itself), sessions of a disabled
or reset account ended at once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from par_index.server import services
from par_index.server.errors import ApiError
from par_index.server.models import Account
from par_index.server.models import Session as LoginSession
from par_index.server.security import hash_password, new_password
from par_index.server.settings import Settings


def list_accounts(s: Session, acct: Account) -> list[dict[str, Any]]:
    services.allowed(acct, "users.read")
    return [
        {"id": a.id, "login": a.login, "role": a.role, "unit": a.unit or "", "agency": a.agency or "", "active": a.active,
         "created_at": services.utc(a.created_at)}
        for a in s.scalars(select(Account).order_by(Account.role, Account.login))
    ]


def _get(s: Session, account_id: int) -> Account:
    a = s.get(Account, account_id)
    if a is None:
        raise ApiError(404, "không có tài khoản này", {"id": account_id})
    return a


def set_active(s: Session, settings: Settings, acct: Account, route: str, account_id: int, active: bool) -> Account:
    services.allowed(acct, "users.write")
    a = _get(s, account_id)
    if a.id == acct.id and not active:
        raise ApiError(409, "không tự khóa tài khoản đang đăng nhập", {"id": account_id})
    before = {"active": a.active}
    a.active = active
    if not active:
        s.execute(delete(LoginSession).where(LoginSession.account_id == a.id))
    services.audit(s, settings, acct, "users.write", route, None, a.unit, None, {"login": a.login, **before}, {"login": a.login, "active": active})
    return a


def reset_password(s: Session, settings: Settings, acct: Account, route: str, account_id: int) -> tuple[Account, str]:
    """A new one-time password (shown once to the admin); the account's sessions end."""
    services.allowed(acct, "users.write")
    a = _get(s, account_id)
    password = new_password()
    a.password_hash = hash_password(password)
    a.password_once = True
    a.failed_logins = 0
    a.blocked_until = None
    s.execute(delete(LoginSession).where(LoginSession.account_id == a.id))
    services.audit(s, settings, acct, "users.write", route, None, a.unit, None, None, {"login": a.login, "password": "đặt lại"})
    return a, password


def change_own_password(s: Session, settings: Settings, acct: Account, route: str, old: str, new: str, again: str, token: str) -> None:
    """The password form: the new password typed twice, then :func:`services.change_password`
    (``token``: the session that sends the form, the one that stays)."""
    if new != again:
        raise ApiError(422, "hai lần nhập mật khẩu mới không giống nhau", {"field": "again"})
    services.change_password(s, settings, acct, route, old, new, token)
