"""What the server does, as functions of a database session and an account.

The JSON API (``app``) and the web pages (``web``) both call these; neither touches the tables
directly. Each function checks the permission table (``roles``), the workflow state and the
calendar, writes its rows and the audit entry in the caller's transaction, and raises
:class:`ApiError` with a Vietnamese message for anything it refuses.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine, Table, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from par_index.common.folders import escape
from par_index.messages import (
    CRITERION_UNKNOWN,
    DATE_UNREADABLE,
    LOGIN_LOCKED,
    NOT_ALLOWED,
    ONE_OF_TWO,
    REASON_REQUIRED,
    ROUND_UNKNOWN,
    SURVEY_NOT_BY_UNIT,
    UNIT_UNKNOWN,
)
from par_index.scoring.engine import Stage, is_stage
from par_index.server import scoring
from par_index.server.db import Database
from par_index.server.errors import ApiError
from par_index.server.models import (
    ROLES,
    STATES,
    Account,
    Appraisal,
    Assessment,
    AuditEntry,
    CriteriaFile,
    Evidence,
    Explanation,
    ResultsSnapshot,
    Round,
    RowsSnapshot,
    SurveyRow,
    Unit,
)
from par_index.server.models import Session as LoginSession
from par_index.server.roles import ROLE_NAMES, scope
from par_index.server.security import hash_password, new_token, token_hash, verify_password
from par_index.server.settings import Settings

STATE_LABELS = {
    "draft": "đang tự đánh giá",
    "submitted": "đã nộp",
    "appraisal1": "thẩm định lần 1",
    "explanation": "giải trình",
    "appraisal2": "thẩm định lần 2",
    "final": "đã có kết quả cuối cùng",
    "published": "đã công bố",
}
# Moves an appraiser makes (``POST /units/{unit}/state``); the unit itself submits and withdraws.
ADVANCE = {
    "submitted": ("appraisal1",),
    "appraisal1": ("explanation", "final"),
    "explanation": ("appraisal2",),
    "appraisal2": ("final",),
}


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; every time the server stores is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def iso(value: dt.datetime | None) -> str | None:
    v = utc(value)
    return v.isoformat() if v else None


def vn_time(value: dt.datetime | None) -> str:
    """dd/mm/yyyy HH:MM in Vietnam time (UTC+7), for messages."""
    v = utc(value)
    return (v + dt.timedelta(hours=7)).strftime("%d/%m/%Y %H:%M") if v else ""


# ---------------------------------------------------------------- accounts ----------------


@dataclass
class Login:
    token: str
    csrf: str
    account: Account
    expires_at: dt.datetime


def create_account(
    s: Session, settings: Settings, login: str, role: str, password: str, unit: str | None = None, agency: str | None = None, once: bool = False
) -> Account:
    """A new account; ``once``: ``password`` is a one-time password the account must change at its first login."""
    if role not in ROLES:
        raise ApiError(422, f"vai trò '{role}' không có; dùng một trong: {', '.join(ROLES)}", {"field": "role"})
    if role == "unit" and not unit:
        raise ApiError(422, "tài khoản vai trò unit cần --unit (mã đơn vị)", {"field": "unit"})
    if role == "agency" and not agency:
        raise ApiError(422, "tài khoản vai trò agency cần --agency (mã cơ quan cung cấp tài liệu)", {"field": "agency"})
    if role != "unit" and unit:
        raise ApiError(422, "chỉ tài khoản vai trò unit mới gắn với một đơn vị", {"field": "unit"})
    if role != "agency" and agency:
        raise ApiError(422, "chỉ tài khoản vai trò agency mới gắn với một cơ quan", {"field": "agency"})
    if unit and s.scalar(select(func.count()).select_from(Unit).where(Unit.unit == unit)) == 0:
        raise ApiError(404, UNIT_UNKNOWN.format(unit=unit, where="cơ sở dữ liệu") + " (hãy chạy db init với units.csv trước)", {"unit": unit})
    if len(password) < MIN_PASSWORD:
        raise ApiError(422, f"mật khẩu cần ít nhất {MIN_PASSWORD} ký tự", {"field": "password"})
    if s.scalar(select(Account).where(Account.login == login)) is not None:
        raise ApiError(409, f"tên đăng nhập '{login}' đã có", {"login": login})
    acct = Account(
        login=login, role=role, unit=unit, agency=agency, password_hash=hash_password(password), password_once=once, active=True, failed_logins=0, created_at=settings.now()
    )
    s.add(acct)
    s.flush()
    return acct


def login(s: Session, settings: Settings, name: str, password: str) -> Login | ApiError:
    """Check a password; a new session (token, CSRF token). Repeated failures wait longer each time.

    A wrong password is *returned* as the error to raise, so the caller commits the failure count.
    """
    now = settings.now()
    acct = s.scalar(select(Account).where(Account.login == name).with_for_update())
    if acct is not None and utc(acct.blocked_until) is not None and utc(acct.blocked_until) > now:  # type: ignore[operator]
        wait = int((utc(acct.blocked_until) - now).total_seconds()) + 1  # type: ignore[operator]
        raise ApiError(429, LOGIN_LOCKED + f" {wait} giây", {"retry_after": wait}, {"Retry-After": str(wait)})
    ok = verify_password(acct.password_hash if acct else None, password)
    if acct is None or not ok or not acct.active:
        if acct is not None:
            acct.failed_logins += 1
            over = acct.failed_logins - settings.login_free_failures
            if over >= 0:
                acct.blocked_until = now + dt.timedelta(seconds=min(2**over, 900))
        return ApiError(401, "sai tên đăng nhập hoặc mật khẩu")
    acct.failed_logins = 0
    acct.blocked_until = None
    token, csrf = new_token(), new_token()
    expires = now + dt.timedelta(hours=settings.session_hours)
    s.add(LoginSession(token_hash=token_hash(token), account_id=acct.id, csrf=csrf, created_at=now, expires_at=expires))
    return Login(token, csrf, acct, expires)


def session_account(s: Session, settings: Settings, token: str) -> tuple[Account, LoginSession] | None:
    row = s.execute(
        select(Account, LoginSession).join(LoginSession, LoginSession.account_id == Account.id).where(LoginSession.token_hash == token_hash(token))
    ).first()
    if row is None:
        return None
    acct, sess = row
    if not acct.active or utc(sess.expires_at) <= settings.now():  # type: ignore[operator]
        return None
    return acct, sess


def logout(s: Session, token: str) -> None:
    s.execute(delete(LoginSession).where(LoginSession.token_hash == token_hash(token)))


def change_password(s: Session, settings: Settings, acct: Account, route: str, old: str, new: str, token: str) -> dict[str, Any]:
    """The account sets its own password (the current one, or its one-time password, given as
    ``old``); a one-time password is used up by it. Every other session of the account ends
    (one opened by someone else with the old or one-time password must not outlive it); the
    session ``token`` that made the change stays."""
    allowed(acct, "password.change")
    a = s.get(Account, acct.id)
    if a is None:
        raise ApiError(401)
    if not verify_password(a.password_hash, old):
        raise ApiError(422, "mật khẩu hiện tại không đúng", {"field": "old"})
    if len(new) < MIN_PASSWORD:
        raise ApiError(422, f"mật khẩu mới cần ít nhất {MIN_PASSWORD} ký tự", {"field": "new"})
    if a.password_once and new == old:
        raise ApiError(422, "mật khẩu mới phải khác mật khẩu dùng một lần", {"field": "new"})
    a.password_hash = hash_password(new)
    a.password_once = False
    acct.password_once = False
    s.execute(delete(LoginSession).where(LoginSession.account_id == a.id, LoginSession.token_hash != token_hash(token)))
    audit(s, settings, acct, "password.change", route, None, a.unit, None, None, {"login": a.login, "password": "đổi"})
    return {"login": a.login, "password_change_required": False}


# ---------------------------------------------------------------- permission ---------------

MIN_PASSWORD = 10
#: what an account that still has its one-time password may do: say who it is, log out, set its own
ONCE_ALLOWED = frozenset({"session.read", "session.delete", "password.change"})
ONE_TIME_PASSWORD = (
    "tài khoản đang dùng mật khẩu dùng một lần; hãy đổi mật khẩu trước khi làm việc "
    "(trang «Đổi mật khẩu» hoặc PUT /api/v1/session/password)"
)


def allowed(acct: Account, action: str) -> str:
    """The account's scope for ``action``; 403 when its role may not do it at all, or when the
    account still has its one-time password and ``action`` is not one of :data:`ONCE_ALLOWED`."""
    if acct.password_once and action not in ONCE_ALLOWED:
        raise ApiError(403, ONE_TIME_PASSWORD, {"password_change_required": True})
    sc = scope(acct.role, action)
    if sc is None:
        raise ApiError(403, NOT_ALLOWED.format(who=f"vai trò «{ROLE_NAMES.get(acct.role, acct.role)}»"), {"action": action, "role": acct.role})
    return sc


def get_round(s: Session, year: int | None) -> Round:
    if year is None:
        rnd = s.scalar(select(Round).order_by(Round.year.desc()).limit(1))
        if rnd is None:
            raise ApiError(404, "chưa có kỳ đánh giá nào; hãy chạy par-index db init")
        return rnd
    rnd = s.get(Round, year)
    if rnd is None:
        raise ApiError(404, f"không có kỳ đánh giá năm {year}", {"year": year})
    return rnd


def get_unit(s: Session, year: int, unit: str, lock: bool = False) -> Unit:
    q = select(Unit).where(Unit.year == year, Unit.unit == unit)
    row = s.scalar(q.with_for_update() if lock else q)
    if row is None:
        raise ApiError(404, UNIT_UNKNOWN.format(unit=unit, where=f"kỳ đánh giá năm {year}"), {"unit": unit, "year": year})
    return row


def check_unit_scope(acct: Account, sc: str, unit: str, rnd: Round, criterion_agency: str | None = None) -> None:
    if sc == "own" and acct.unit != unit:
        raise ApiError(403, "tài khoản đơn vị chỉ xem và sửa được hồ sơ của chính đơn vị mình", {"unit": unit})
    if sc == "supplied" and (criterion_agency is None or criterion_agency != acct.agency):
        raise ApiError(403, "tài khoản cơ quan chỉ làm việc với tài liệu kiểm chứng mà cơ quan mình cung cấp", {"agency": acct.agency})
    if sc == "published" and rnd.published_at is None:
        raise ApiError(403, "kết quả chưa được công bố", {"year": rnd.year})


def audit(
    s: Session,
    settings: Settings,
    acct: Account | None,
    action: str,
    route: str,
    year: int | None = None,
    unit: str | None = None,
    criterion: str | None = None,
    before: Any = None,
    after: Any = None,
    reason: str = "",
) -> None:
    s.add(
        AuditEntry(
            at=settings.now(),
            login=acct.login if acct else "(dòng lệnh)",
            role=acct.role if acct else "cli",
            action=action,
            route=route,
            year=year,
            unit=unit,
            criterion=criterion,
            before=None if before is None else json.dumps(before, ensure_ascii=False),
            after=None if after is None else json.dumps(after, ensure_ascii=False),
            reason=reason,
        )
    )


_CRITERIA: dict[tuple[tuple[str, str], ...], scoring.Criteria] = {}


def criteria_of(s: Session, year: int) -> scoring.Criteria:
    """The round's compiled criteria (cached by the files' sha256; texts read only on a miss)."""
    key = tuple((p, h) for p, h in s.execute(select(CriteriaFile.path, CriteriaFile.sha256).where(CriteriaFile.year == year).order_by(CriteriaFile.position)))
    if not key:
        raise ApiError(404, f"kỳ đánh giá năm {year} chưa có bộ tiêu chí", {"year": year})
    hit = _CRITERIA.get(key)
    if hit is None:
        files = s.execute(select(CriteriaFile.set_id, CriteriaFile.path, CriteriaFile.text).where(CriteriaFile.year == year).order_by(CriteriaFile.position)).all()
        hit = scoring.compile_stored([(a, b, c) for a, b, c in files])
        _CRITERIA[key] = hit
    return hit


def leaf_of(s: Session, year: int, unit: Unit, criterion: str) -> scoring.LeafInfo:
    leaf = criteria_of(s, year).leaf(unit.kind, criterion)
    if leaf is None:
        raise ApiError(
            404,
            CRITERION_UNKNOWN.format(criterion=criterion, where=f"bộ tiêu chí của đơn vị loại '{unit.kind}'") + " (hoặc không áp dụng cho loại này)",
            {"criterion": criterion, "kind": unit.kind},
        )
    return leaf


# ---------------------------------------------------------------- units, assessment -------


def unit_dict(u: Unit) -> dict[str, Any]:
    return {"unit": u.unit, "name": u.name, "kind": u.kind, "state": u.state, "version": u.version}


def list_units(s: Session, acct: Account, year: int | None = None) -> list[dict[str, Any]]:
    sc = allowed(acct, "units.list")
    rnd = get_round(s, year)
    q = select(Unit).where(Unit.year == rnd.year).order_by(Unit.position)
    if sc == "own":
        q = q.where(Unit.unit == acct.unit)
    return [unit_dict(u) for u in s.scalars(q)]


def row_dict(a: Assessment) -> dict[str, Any]:
    return {"criterion": a.criterion, "value": a.value, "note": a.note, "points": a.points, "version": a.version, "stage": a.stage}


def get_assessment(s: Session, acct: Account, unit: str, year: int | None = None) -> dict[str, Any]:
    sc = allowed(acct, "assessment.read")
    rnd = get_round(s, year)
    u = get_unit(s, rnd.year, unit)
    check_unit_scope(acct, sc, unit, rnd)
    rows = s.scalars(select(Assessment).where(Assessment.year == rnd.year, Assessment.unit == unit, Assessment.stage == "self").order_by(Assessment.id))
    return {"unit": unit, "state": u.state, "year": rnd.year, "rows": [row_dict(a) for a in rows]}


def _writable(rnd: Round, u: Unit, settings: Settings, states: Sequence[str] = ("draft",)) -> None:
    if rnd.published_at is not None:
        raise ApiError(409, "kết quả đã công bố; kỳ đánh giá đã khóa", {"state": u.state})
    if u.state not in states:
        raise ApiError(
            409,
            f"hồ sơ của đơn vị đang ở trạng thái '{STATE_LABELS[u.state]}', không sửa được",
            {"state": u.state, "allowed_states": list(states)},
        )


def _before_deadline(deadline: dt.datetime | None, settings: Settings, what: str) -> None:
    d = utc(deadline)
    if d is not None and settings.now() > d:
        raise ApiError(409, f"đã quá hạn {what} ({vn_time(d)})", {"deadline": iso(d)})


def check_value(s: Session, acct: Account, unit: str, criterion: str, value: str, year: int | None = None) -> None:
    """The 422 check of :func:`put_assessment` alone, for a reading session: the engine's verdict
    on a value is cached, so the writing transaction that follows does not wait for it."""
    if scope(acct.role, "assessment.write") is None:
        return  # put_assessment answers every refusal, in its order
    try:
        rnd = get_round(s, year)
        u = get_unit(s, rnd.year, unit)
        crit = criteria_of(s, rnd.year)
    except ApiError:
        return
    if crit.leaf(u.kind, criterion) is not None:
        scoring.value_problems(crit, unit_dict(u), criterion, scoring_text(value))


def put_assessment(
    s: Session,
    settings: Settings,
    acct: Account,
    route: str,
    unit: str,
    criterion: str,
    value: str,
    note: str | None = None,
    version: int | None = None,
    year: int | None = None,
) -> dict[str, Any]:
    """Save one self-assessment row. A stale (or missing, for an existing row) version → 409 with the current row."""
    sc = allowed(acct, "assessment.write")
    rnd = get_round(s, year)
    u = get_unit(s, rnd.year, unit)
    check_unit_scope(acct, sc, unit, rnd)
    crit = criteria_of(s, rnd.year)
    leaf = crit.leaf(u.kind, criterion) or leaf_of(s, rnd.year, u, criterion)  # the latter: 404
    _writable(rnd, u, settings)
    _before_deadline(rnd.self_deadline, settings, "tự đánh giá")
    if leaf.survey:  # the engine would ignore a unit's row here (survey_value_from_unit): refuse it at entry
        raise ApiError(
            422,
            SURVEY_NOT_BY_UNIT.format(criterion=criterion) + "; giá trị không được lưu",
            {"criterion": criterion, "reason": "survey_value_from_unit"},
        )
    value = scoring_text(value)
    note_text = scoring_text(note) if note is not None else None
    problems = scoring.value_problems(crit, unit_dict(u), criterion, value)
    if problems:
        first = problems[0]["message"]
        raise ApiError(
            422,
            f"tiêu chí {criterion}: {first}; cần: {leaf.describe}",
            {"criterion": criterion, "expected": leaf.input_kind, "rule": leaf.describe, "problems": problems},
        )
    now = settings.now()
    current = s.scalar(select(Assessment).where(Assessment.year == rnd.year, Assessment.unit == unit, Assessment.criterion == criterion, Assessment.stage == "self"))
    if current is None:
        if version not in (None, 0):
            raise ApiError(409, "dòng này chưa có; không thể sửa theo phiên bản đã cho", {"current": None})
        row = Assessment(year=rnd.year, unit=unit, criterion=criterion, stage="self", value=value, note=note_text or "", points="", version=1, updated_at=now, updated_by=acct.login)
        try:
            with s.begin_nested():
                s.add(row)
                s.flush()
        except IntegrityError:
            current = s.scalar(select(Assessment).where(Assessment.year == rnd.year, Assessment.unit == unit, Assessment.criterion == criterion, Assessment.stage == "self"))
            raise ApiError(409, "người khác vừa lưu dòng này; hãy tải lại và sửa trên bản mới nhất", {"current": row_dict(current) if current else None}) from None
        audit(s, settings, acct, "assessment.write", route, rnd.year, unit, criterion, None, row_dict(row))
        return row_dict(row)
    if version is None or version != current.version:
        raise ApiError(
            409,
            "dòng này đã được sửa (phiên bản đã cũ); hãy tải lại và sửa trên bản mới nhất",
            {"current": row_dict(current), "sent_version": version},
        )
    before = row_dict(current)
    new_note = current.note if note_text is None else note_text
    done = s.execute(
        update(Assessment)
        .where(Assessment.id == current.id, Assessment.version == version)
        .values(value=value, note=new_note, version=version + 1, updated_at=now, updated_by=acct.login)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        s.expire(current)
        fresh = s.get(Assessment, current.id, populate_existing=True)
        raise ApiError(409, "người khác vừa lưu dòng này; hãy tải lại và sửa trên bản mới nhất", {"current": row_dict(fresh) if fresh else None})
    after = {**before, "value": value, "note": new_note, "version": version + 1}
    audit(s, settings, acct, "assessment.write", route, rnd.year, unit, criterion, before, after)
    return after


def scoring_text(text: str | None) -> str:
    """A value as the unit-data reader keeps it: NFC, no surrounding blanks."""
    import unicodedata

    return unicodedata.normalize("NFC", str(text or "")).strip()


def set_state(s: Session, settings: Settings, acct: Account, route: str, unit: str, action: str, target: str | None = None, reason: str = "", year: int | None = None) -> dict[str, Any]:
    """submit / withdraw (the unit) and the appraiser's moves through the rounds."""
    sc = allowed(acct, action)
    rnd = get_round(s, year)
    u = get_unit(s, rnd.year, unit, lock=True)
    check_unit_scope(acct, sc, unit, rnd)
    if rnd.published_at is not None:
        raise ApiError(409, "kết quả đã công bố; kỳ đánh giá đã khóa", {"state": u.state})
    before = u.state
    if action == "unit.submit":
        if u.state != "draft":
            raise ApiError(409, f"chỉ nộp được hồ sơ đang tự đánh giá; hồ sơ đang '{STATE_LABELS[u.state]}'", {"state": u.state})
        _before_deadline(rnd.self_deadline, settings, "nộp hồ sơ tự đánh giá")
        target = "submitted"
    elif action == "unit.withdraw":
        if u.state != "submitted":
            raise ApiError(409, f"chỉ rút được hồ sơ đã nộp và chưa thẩm định; hồ sơ đang '{STATE_LABELS[u.state]}'", {"state": u.state})
        _before_deadline(rnd.self_deadline, settings, "rút hồ sơ (chỉ rút được trước hạn tự đánh giá)")
        target = "draft"
    else:
        allowed_next = ADVANCE.get(u.state, ())
        if target not in allowed_next:
            raise ApiError(
                409,
                f"không chuyển được từ '{STATE_LABELS[u.state]}' sang '{STATE_LABELS.get(target or '', target)}'",
                {"state": u.state, "allowed": list(allowed_next)},
            )
    u.state = target
    u.version += 1
    audit(s, settings, acct, action, route, rnd.year, unit, None, {"state": before}, {"state": target}, reason)
    return unit_dict(u)


# ---------------------------------------------------------------- appraisal, explanation --


def add_appraisal(
    s: Session, settings: Settings, acct: Account, route: str, body: dict[str, Any], year: int | None = None
) -> dict[str, Any]:
    sc = allowed(acct, "appraisal.write")
    rnd = get_round(s, year)
    unit = str(body.get("unit") or "")
    criterion = str(body.get("criterion") or "")
    u = get_unit(s, rnd.year, unit)
    check_unit_scope(acct, sc, unit, rnd)
    leaf_of(s, rnd.year, u, criterion)
    reason = scoring_text(body.get("reason"))
    if not reason:
        raise ApiError(422, f"tiêu chí {criterion}: " + REASON_REQUIRED.format(where="trường reason"), {"criterion": criterion, "field": "reason"})
    rnd_no = body.get("round")
    if rnd_no not in (1, 2, "1", "2"):
        raise ApiError(422, ROUND_UNKNOWN.format(round=rnd_no) + " (trường round)", {"field": "round"})
    rnd_no = int(rnd_no)
    value = scoring_text(body.get("value")) if body.get("value") is not None else ""
    points = scoring_text(body.get("points")) if body.get("points") is not None else ""
    if bool(value) == bool(points):
        raise ApiError(422, f"tiêu chí {criterion}: " + ONE_OF_TWO.format(first="'value' (giá trị)", second="'points' (điểm)"), {"criterion": criterion})
    _writable(rnd, u, settings, (f"appraisal{rnd_no}",))
    crit = criteria_of(s, rnd.year)
    if value:
        problems = scoring.value_problems(crit, unit_dict(u), criterion, value)
    else:
        problems = scoring.value_problems(crit, unit_dict(u), criterion, "", points)
    if problems:
        raise ApiError(422, f"tiêu chí {criterion}: {problems[0]['message']}", {"criterion": criterion, "problems": problems})
    today = (settings.now() + dt.timedelta(hours=7)).date().strftime("%d/%m/%Y")
    row = Appraisal(year=rnd.year, unit=unit, criterion=criterion, round=rnd_no, value=value, points=points, reason=reason, appraiser=acct.login, date=today, created_at=settings.now())
    s.add(row)
    s.flush()
    after = appraisal_dict(row)
    audit(s, settings, acct, "appraisal.write", route, rnd.year, unit, criterion, None, after, reason)
    return after


def appraisal_dict(a: Appraisal) -> dict[str, Any]:
    return {"id": a.id, "unit": a.unit, "criterion": a.criterion, "round": a.round, "value": a.value, "points": a.points, "reason": a.reason, "appraiser": a.appraiser, "date": a.date}


def add_explanation(s: Session, settings: Settings, acct: Account, route: str, unit: str, criterion: str, text: str, year: int | None = None) -> dict[str, Any]:
    sc = allowed(acct, "explanation.write")
    rnd = get_round(s, year)
    u = get_unit(s, rnd.year, unit)
    check_unit_scope(acct, sc, unit, rnd)
    leaf_of(s, rnd.year, u, criterion)
    text = scoring_text(text)
    if not text:
        raise ApiError(422, f"tiêu chí {criterion}: nội dung giải trình (text) trống", {"criterion": criterion, "field": "text"})
    _writable(rnd, u, settings, ("explanation",))
    _before_deadline(rnd.explanation_deadline, settings, "giải trình")
    today = (settings.now() + dt.timedelta(hours=7)).date().strftime("%d/%m/%Y")
    row = Explanation(year=rnd.year, unit=unit, criterion=criterion, text=text, date=today, created_at=settings.now())
    s.add(row)
    s.flush()
    after = {"id": row.id, "unit": unit, "criterion": criterion, "text": text, "date": today}
    audit(s, settings, acct, "explanation.write", route, rnd.year, unit, criterion, None, after)
    return after


def publish(s: Session, settings: Settings, acct: Account, route: str, year: int | None = None) -> dict[str, Any]:
    allowed(acct, "publish")
    rnd = get_round(s, year)
    if rnd.published_at is not None:
        raise ApiError(409, f"kết quả năm {rnd.year} đã công bố lúc {vn_time(rnd.published_at)}", {"published_at": iso(rnd.published_at)})
    waiting = list(s.scalars(select(Unit.unit).where(Unit.year == rnd.year, Unit.state != "final").order_by(Unit.position)))
    if waiting:
        raise ApiError(409, f"còn {len(waiting)} đơn vị chưa có kết quả cuối cùng; chưa công bố được", {"units": waiting})
    rnd.published_at = settings.now()
    s.execute(update(Unit).where(Unit.year == rnd.year).values(state="published", version=Unit.version + 1))
    audit(s, settings, acct, "publish", route, rnd.year, None, None, None, {"published_at": iso(rnd.published_at)})
    return {"year": rnd.year, "published_at": iso(rnd.published_at)}


def set_calendar(s: Session, settings: Settings, acct: Account, route: str, year: int, body: dict[str, Any]) -> dict[str, Any]:
    allowed(acct, "calendar.write")
    rnd = get_round(s, year)
    before = round_dict(rnd)
    for key in ("self_deadline", "explanation_deadline"):
        if key in body:
            raw = body[key]
            if raw in (None, ""):
                setattr(rnd, key, None)
                continue
            try:
                when = dt.datetime.fromisoformat(str(raw))
            except ValueError:
                raise ApiError(422, f"{key}: cần thời điểm dạng ISO 8601, ví dụ 2025-01-15T17:00:00+07:00", {"field": key}) from None
            if when.tzinfo is None:
                when = when.replace(tzinfo=dt.timezone(dt.timedelta(hours=7)))  # Vietnam time unless said
            setattr(rnd, key, when.astimezone(dt.UTC))
    after = round_dict(rnd)
    audit(s, settings, acct, "calendar.write", route, rnd.year, None, None, before, after)
    return after


def round_dict(r: Round) -> dict[str, Any]:
    return {
        "year": r.year,
        "self_deadline": iso(r.self_deadline),
        "explanation_deadline": iso(r.explanation_deadline),
        "published_at": iso(r.published_at),
        "label": r.label,
    }


def list_rounds(s: Session, acct: Account) -> list[dict[str, Any]]:
    allowed(acct, "rounds.read")
    return [round_dict(r) for r in s.scalars(select(Round).order_by(Round.year))]


def audit_entries(s: Session, acct: Account, unit: str | None = None, year: int | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    allowed(acct, "audit.read")
    q = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(max(1, min(limit, 10000)))
    if unit and s.scalar(select(func.count()).select_from(Unit).where(Unit.unit == unit, *([Unit.year == year] if year else []))) == 0:
        # a mistyped unit is not "no change": it is not a unit of the round (or of any round)
        where = f"kỳ đánh giá năm {year}" if year else "cơ sở dữ liệu"
        raise ApiError(404, UNIT_UNKNOWN.format(unit=unit, where=where), {"unit": unit, **({"year": year} if year else {})})
    if unit:
        q = q.where(AuditEntry.unit == unit)
    if year:
        q = q.where(AuditEntry.year == year)
    return [
        {
            "id": e.id,
            "at": iso(e.at),
            "login": e.login,
            "role": e.role,
            "action": e.action,
            "route": e.route,
            "year": e.year,
            "unit": e.unit,
            "criterion": e.criterion,
            "before": json.loads(e.before) if e.before else None,
            "after": json.loads(e.after) if e.after else None,
            "reason": e.reason,
        }
        for e in s.scalars(q)
    ]


# ---------------------------------------------------------------- evidence ----------------


def evidence_dict(e: Evidence) -> dict[str, Any]:
    return {
        "id": e.id,
        "unit": e.unit,
        "criterion": e.criterion,
        "document": e.document,
        "issued_on": e.issued_on,
        "issuer": e.issuer,
        "file": e.file,
        "sha256": e.sha256,
        "size": e.size,
        "content_type": e.content_type,
        "url": f"/api/v1/units/{e.unit}/evidence/{e.id}/file" if e.sha256 else None,
    }


def list_evidence(s: Session, acct: Account, unit: str, year: int | None = None) -> list[dict[str, Any]]:
    sc = allowed(acct, "evidence.read")
    rnd = get_round(s, year)
    u = get_unit(s, rnd.year, unit)
    if sc != "supplied":
        check_unit_scope(acct, sc, unit, rnd)
    rows = list(s.scalars(select(Evidence).where(Evidence.year == rnd.year, Evidence.unit == unit).order_by(Evidence.id)))
    if sc == "supplied":
        crit = criteria_of(s, rnd.year)
        rows = [e for e in rows if (leaf := crit.leaf(u.kind, e.criterion)) is not None and leaf.agency == acct.agency]
    return [evidence_dict(e) for e in rows]


def evidence_for_download(s: Session, acct: Account, unit: str, evidence_id: int, year: int | None = None) -> Evidence:
    sc = allowed(acct, "evidence.read")
    rnd = get_round(s, year)
    u = get_unit(s, rnd.year, unit)
    e = s.get(Evidence, evidence_id)
    if e is None or e.unit != unit or e.year != rnd.year or not e.sha256:
        raise ApiError(404, "không có tệp tài liệu kiểm chứng này", {"unit": unit, "id": evidence_id})
    agency = None
    if sc == "supplied":
        leaf = criteria_of(s, rnd.year).leaf(u.kind, e.criterion)
        agency = leaf.agency if leaf else None
    check_unit_scope(acct, sc, unit, rnd, agency)
    return e


def check_evidence_upload(s: Session, settings: Settings, acct: Account, unit: str, criterion: str, year: int | None = None) -> tuple[Round, Unit]:
    """Everything about an upload that does not need the file (checked before it is stored)."""
    sc = allowed(acct, "evidence.upload")
    rnd = get_round(s, year)
    u = get_unit(s, rnd.year, unit)
    leaf = leaf_of(s, rnd.year, u, criterion) if sc == "supplied" else None
    check_unit_scope(acct, sc, unit, rnd, leaf.agency if leaf else None)
    if sc != "supplied":
        leaf_of(s, rnd.year, u, criterion)
        _writable(rnd, u, settings, ("draft", "explanation"))
        if u.state == "draft":
            _before_deadline(rnd.self_deadline, settings, "tự đánh giá")
        else:
            _before_deadline(rnd.explanation_deadline, settings, "giải trình")
    else:
        _writable(rnd, u, settings, ("draft", "submitted", "appraisal1", "explanation", "appraisal2"))
    return rnd, u


def add_evidence(
    s: Session,
    settings: Settings,
    acct: Account,
    route: str,
    unit: str,
    criterion: str,
    document: str,
    issued_on: str,
    issuer: str,
    stored: dict[str, Any],
    year: int | None = None,
) -> dict[str, Any]:
    rnd, _ = check_evidence_upload(s, settings, acct, unit, criterion, year)
    document = scoring_text(document)
    if not document:
        raise ApiError(422, f"tiêu chí {criterion}: cần tên tài liệu (trường document)", {"criterion": criterion, "field": "document"})
    issued = scoring_text(issued_on)
    if issued:
        from par_index.common.values import parse_date_scalar

        if parse_date_scalar(issued) is None:
            raise ApiError(422, f"tiêu chí {criterion}: {DATE_UNREADABLE.format(what='ngày ban hành', text=issued)}", {"criterion": criterion, "field": "issued_on"})
    row = Evidence(
        year=rnd.year,
        unit=unit,
        criterion=criterion,
        document=document,
        issued_on=issued,
        issuer=scoring_text(issuer) or (acct.agency or acct.unit or ""),
        file=stored["file"],
        sha256=stored["sha256"],
        size=stored["size"],
        content_type=stored["content_type"],
        uploaded_by=acct.login,
        created_at=settings.now(),
    )
    s.add(row)
    s.flush()
    after = evidence_dict(row)
    audit(s, settings, acct, "evidence.upload", route, rnd.year, unit, criterion, None, after)
    return after


# ---------------------------------------------------------------- round data in and out ---


def load_criteria_and_units(s: Session, settings: Settings, year: int, criteria: list[tuple[str | None, str, str]], units: list[dict[str, str]]) -> dict[str, int]:
    """``db init``: the round's criteria files and units (replacing the criteria; units added or renamed)."""
    rnd = s.get(Round, year)
    if rnd is None:
        rnd = Round(year=year, label="")
        s.add(rnd)
        s.flush()
    s.execute(delete(CriteriaFile).where(CriteriaFile.year == year))
    import hashlib

    for pos, (set_id, path, text) in enumerate(criteria):
        s.add(CriteriaFile(year=year, position=pos, set_id=set_id, path=path, text=text, sha256=hashlib.sha256(text.encode()).hexdigest()))
    crit = scoring.compile_stored(criteria)
    bad = sorted({u["kind"] for u in units} - set(crit.kinds))
    if bad:
        raise ApiError(422, f"loại đơn vị {', '.join(bad)} không có trong bộ tiêu chí (có: {', '.join(crit.kinds)})", {"kinds": bad})
    existing = {u.unit: u for u in s.scalars(select(Unit).where(Unit.year == year))}
    added = 0
    for pos, row in enumerate(units):
        u = existing.get(row["unit"])
        if u is None:
            s.add(Unit(year=year, unit=row["unit"], name=row["name"], kind=row["kind"], group=row.get("group", ""), position=pos, state="draft", version=1))
            added += 1
        else:
            u.name, u.kind, u.group, u.position = row["name"], row["kind"], row.get("group", ""), pos
    audit(s, settings, None, "db.init", "par-index db init", year, None, None, None, {"criteria": [c[1] for c in criteria], "units": len(units)})
    return {"criteria_files": len(criteria), "units": len(units), "units_added": added}


def import_rows(s: Session, settings: Settings, year: int, imp: scoring.Imported, files: dict[str, str] | None = None) -> dict[str, int]:
    """``db import``: the round's rows replaced by the data read (units must exist already)."""
    rnd = get_round(s, year)
    known = set(s.scalars(select(Unit.unit).where(Unit.year == year)))
    unknown = sorted({r["unit"] for r in imp.units} - known)
    if unknown:
        raise ApiError(422, f"đơn vị {', '.join(unknown[:10])} không có trong kỳ đánh giá năm {year}; hãy thêm vào units.csv và chạy db init", {"units": unknown})
    now = settings.now()
    for table in (Assessment, Evidence, Appraisal, Explanation, SurveyRow, RowsSnapshot):  # the rows snapshot: stored after the commit
        s.execute(delete(table).where(table.year == year))
    import numpy as np
    import pandas as pd

    from par_index.server.db import bulk_insert, constraints_rebuilt, stored

    conn = s.connection()
    a, e = cast(Table, Assessment.__table__), cast(Table, Evidence.__table__)
    col = imp.assessments.columns
    stage = np.array(col["stage"], dtype=object)
    stage[stage == ""] = "self"
    first = ~pd.DataFrame({"unit": col["unit"], "criterion": col["criterion"], "stage": stage}).duplicated().to_numpy()
    dropped = int(len(first) - first.sum())  # the engine reads the first one too (row_duplicate)
    texts = ["unit", "criterion", "value", "note", "points"]
    kept = {c: np.array(col[c], dtype=object)[first].tolist() for c in texts} if dropped else {c: col[c] for c in texts}
    constants = {"year": year, "version": 1, "updated_at": stored(conn, a.c.updated_at, now), "updated_by": "(db import)"}
    n_rows = len(kept["unit"])
    with constraints_rebuilt(conn, [a, e]):  # PostgreSQL: checked once at the end, not row by row
        bulk_insert(conn, a, {**kept, "stage": stage[first].tolist()}, constants)
        ev = imp.evidence.columns
        ev_files = ev["file"] if not files else [files.get(f, f) for f in ev["file"]]
        ev_columns = {c: ev[c] for c in ("unit", "criterion", "document", "issued_on", "issuer")}
        bulk_insert(conn, e, {**ev_columns, "file": ev_files}, {"year": year, "uploaded_by": "(db import)", "created_at": stored(conn, e.c.created_at, now)})
    ap = cast(Table, Appraisal.__table__)
    made = stored(conn, ap.c.created_at, now)
    ap_columns = ["unit", "criterion", "value", "points", "reason", "appraiser", "date"]
    if imp.appraisals:
        bulk_insert(conn, ap, {**{c: [r[c] for r in imp.appraisals] for c in ap_columns}, "round": [int(r["round"]) for r in imp.appraisals]}, {"year": year, "created_at": made})
    ex_columns = ["unit", "criterion", "text", "date"]
    if imp.explanations:
        bulk_insert(conn, cast(Table, Explanation.__table__), {c: [r[c] for r in imp.explanations] for c in ex_columns}, {"year": year, "created_at": made})
    sv = [{"year": year, "unit": r["unit"], "group": r["group"], "question": r["question"], "answer": r["answer"], "count": r["count"]} for r in imp.survey]
    if sv:
        s.execute(insert(SurveyRow), sv)
    if imp.survey_map is not None:
        rnd.survey_map = imp.survey_map
    rnd.label = imp.label
    counts = {"assessments": n_rows, "duplicates_dropped": dropped, "evidence": len(imp.evidence), "appraisals": len(imp.appraisals), "explanations": len(imp.explanations), "survey": len(sv)}
    audit(s, settings, None, "db.import", "par-index db import", year, None, None, None, counts)
    return counts


def export_round(s: Session, year: int, out: Path, files_dir: Path | None, copy_files: bool = True) -> list[Path]:
    """Write the round as a unit-data folder; the main criteria files' paths.

    ``files_dir``: the server's store; uploaded files are copied to ``out/files``."""
    return _round_folder(s, year, out, files_dir, copy_files, None)


Tables = dict[str, Any]  # table name → (columns, rows) or a DataFrame of text cells


def _round_folder(s: Session, year: int, out: Path, files_dir: Path | None, copy_files: bool, big: Tables | None) -> list[Path]:
    """The unit-data folder of a round. With ``big`` (a dict), units, assessments and evidence
    are put there as (columns, rows) instead of being written (the server's own scoring reads
    them from memory; the small tables are files either way); assessments and evidence given in
    ``big`` already (DataFrames from ``round_rows``) are not read again."""
    out.mkdir(parents=True, exist_ok=True)
    rnd = get_round(s, year)
    y = rnd.year
    conn = s.connection()  # plain rows (no ORM objects): these tables are large

    def table(name: str, columns: list[str], rows: Any) -> None:
        if big is not None:
            big[name] = (columns, [tuple(r) for r in rows])
        else:
            scoring.write_csv(out / f"{name}.csv", columns, rows)

    u_t, a_t, e_t = Unit.__table__.c, Assessment.__table__.c, Evidence.__table__.c
    units = conn.execute(select(u_t.unit, u_t.name, u_t.kind, u_t.grp).where(u_t.year == y).order_by(u_t.position)).all()
    has_group = any(g for *_, g in units)
    table("units", scoring.UNIT_COLUMNS if has_group else scoring.UNIT_COLUMNS[:3], (tuple(u) if has_group else tuple(u)[:3] for u in units))
    ev: list[Any] = []
    if big is None or "assessments" not in big:  # else given by the caller (round_rows)
        q = select(a_t.unit, a_t.criterion, a_t.value, a_t.stage, a_t.note, a_t.points).where(a_t.year == y).order_by(a_t.id)
        table("assessments", scoring.ASSESSMENT_COLUMNS, conn.execute(q))
        ev = list(conn.execute(select(e_t.unit, e_t.criterion, e_t.document, e_t.issued_on, e_t.issuer, e_t.file, e_t.sha256).where(e_t.year == y).order_by(e_t.id)))
        table("evidence", scoring.EVIDENCE_COLUMNS, (tuple(r)[:6] for r in ev))
    if files_dir is not None:
        blobs = sorted({r[6] for r in ev if r[6]})
        if copy_files:  # the exported folder holds its own files (no link: score refuses links leading out)
            for sha in blobs:
                src, dest = files_dir / sha[:2] / sha, out / "files" / sha[:2] / sha
                if not dest.exists() and src.is_file() and escape(files_dir, src) is None:
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(src, dest)
        elif files_dir.is_dir():  # the server's own temporary folders: scored with trusted_links=(files_dir,)
            (out / "files").symlink_to(files_dir.resolve(), target_is_directory=True)
    ap = s.execute(select(Appraisal.unit, Appraisal.criterion, Appraisal.round, Appraisal.reason, Appraisal.value, Appraisal.points, Appraisal.appraiser, Appraisal.date).where(Appraisal.year == y).order_by(Appraisal.id)).all()
    if ap:
        scoring.write_csv(out / "appraisals.csv", scoring.APPRAISAL_COLUMNS, ap)
    ex = s.execute(select(Explanation.unit, Explanation.criterion, Explanation.text, Explanation.date).where(Explanation.year == y).order_by(Explanation.id)).all()
    if ex:
        scoring.write_csv(out / "explanations.csv", scoring.EXPLANATION_COLUMNS, ex)
    sv = s.execute(select(SurveyRow.unit, SurveyRow.group, SurveyRow.question, SurveyRow.answer, SurveyRow.count).where(SurveyRow.year == y).order_by(SurveyRow.id)).all()
    if sv:
        scoring.write_csv(out / "survey.csv", scoring.SURVEY_COLUMNS, sv)
    if rnd.survey_map and sv:
        (out / "survey-map.yaml").write_text(rnd.survey_map, encoding="utf-8")
    scoring.write_label(out, rnd.label)
    files = s.execute(select(CriteriaFile.set_id, CriteriaFile.path, CriteriaFile.text).where(CriteriaFile.year == y).order_by(CriteriaFile.position)).all()
    return scoring.write_criteria([(a, b, c) for a, b, c in files], out)


def data_revision(s: Session, year: int) -> tuple[int, int]:
    """What a cache of the round's data is keyed by: (number of audit entries, newest id).

    Every change writes an audit entry; the count also moves when an entry with a lower id is
    committed after a higher one (PostgreSQL), which the newest id alone would miss."""
    from par_index.server.round_rows import audit_revision

    return audit_revision(s)


_RESULTS: dict[tuple[str, int, str, tuple[int, int]], tuple[bytes, list[dict[str, Any]]]] = {}


def results(s: Session, settings: Settings, acct: Account, stage: str = "final", year: int | None = None) -> bytes:
    """The score JSON of ``par-index score --out x.json`` on the round's export (cached per change)."""
    sc = allowed(acct, "results.read")
    rnd = get_round(s, year)
    check_unit_scope(acct, sc, "", rnd)
    if not is_stage(stage):
        raise ApiError(422, "stage phải là self hoặc final", {"field": "stage"})
    return round_results(s, settings, rnd.year, stage)


_COMPUTING: dict[tuple[str, int, str], threading.Lock] = {}
_COMPUTING_LOCK = threading.Lock()


def round_results(s: Session, settings: Settings, year: int, stage: Stage) -> bytes:
    """The score JSON of a round as ``s`` sees it, computed once per change (requests asking for
    the same round and stage meanwhile wait for it instead of computing it again).

    Kept in this process (``_RESULTS``) and in the database (``results_snapshots``, written in
    the background after a computation), both keyed by the revision: a process that starts
    after a restart finds the stored answer while nothing has changed. The revision is read
    before any row, so an answer computed from rows newer than its key is never served once
    the key is old (every change moves the revision in its own transaction)."""
    revision = data_revision(s, year)
    key = (settings.db_url, year, stage, revision)
    hit = _RESULTS.get(key)
    if hit is not None:
        return hit[0]
    with _COMPUTING_LOCK:
        computing = _COMPUTING.setdefault(key[:3], threading.Lock())
    with computing:
        hit = _RESULTS.get(key)
        if hit is not None:
            return hit[0]
        stored = stored_results(s, year, stage, revision, settings.files_dir)
        if stored is not None:
            hit = (stored, [])
        else:
            with collector_paused():
                hit = _compute_results(s, settings, year, stage, revision)
        if len(_RESULTS) > 8:
            _RESULTS.clear()
        _RESULTS[key] = hit
    return hit[0]


def _compute_results(s: Session, settings: Settings, year: int, stage: Stage, revision: tuple[int, int]) -> tuple[bytes, list[dict[str, Any]]]:
    """:func:`round_results` computed: the rows brought up to date, scored, the answer and the
    rows stored in the background."""
    from par_index.server.round_rows import round_rows

    crit = criteria_of(s, year)
    rows, lock = round_rows(settings.db_url, year)
    with lock:  # the rows read last time, and what changed since
        rows.sync(s)
        big: Tables = {"assessments": rows.assessments.current(), "evidence": rows.evidence.current()}
        read_all = rows.stored_at < 0  # every row read (or none stored yet): store them at once
    with tempfile.TemporaryDirectory(prefix="par-index-results-") as tmp:
        folder = Path(tmp) / "data"
        _round_folder(s, year, folder, settings.files_dir, False, big)
        try:
            hit = scoring.score_folder(crit, folder, stage, None, big, store=settings.files_dir)
        except scoring.InputError as exc:
            raise ApiError(422, "dữ liệu của kỳ đánh giá không chấm được", {"problems": scoring.problem_dicts(exc.problems)}) from None
    bind = s.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    store_results(engine, year, stage, revision, hit[0], answer_key(settings.files_dir))
    store_rows_later(engine, settings.db_url, year, at_once=read_all)
    return hit


_PAUSED = [0, False]  # computations running with the collector paused; whether it was on before
_PAUSED_LOCK = threading.Lock()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a round's results are computed (in any
    thread: on again when the last computation ends, if it was on before).

    Scoring 10,000 units makes ~10⁶ objects that hold no cycle (a dict per unit and node of
    the answer, the reader's rows) and keeps them until the answer is written; each full
    collection meanwhile walks them all and everything the server process holds (NumPy arrays
    of objects included): 0.2–0.4 s each, in about one computation of four of the benchmark's
    process (measured alternating, session 9). The CLI's ``score`` pays less of it: its
    start-up is frozen out of the collector (``cli/commands/options.starting_up``)."""
    import gc

    with _PAUSED_LOCK:
        if not _PAUSED[0]:
            _PAUSED[1] = gc.isenabled()
            gc.disable()
        _PAUSED[0] += 1
    try:
        yield
    finally:
        with _PAUSED_LOCK:
            _PAUSED[0] -= 1
            if not _PAUSED[0] and _PAUSED[1]:
                gc.enable()


@lru_cache(maxsize=1)
def engine_fingerprint() -> str:
    """What a stored answer was computed by: the sha256 of every module of the package and the
    versions of the libraries the engine computes with (a stored answer of other code is never
    served)."""
    import hashlib
    import sys
    from importlib import metadata

    h = hashlib.sha256(sys.version.encode())
    root = Path(__file__).resolve().parents[1]  # the par_index package
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    for dist in ("numpy", "pandas", "pyarrow", "sympy"):
        h.update(f"{dist}={metadata.version(dist)}\0".encode())
    return h.hexdigest()


def answer_key(files_dir: Path) -> str:
    """What a stored answer depends on besides the rows: the code (:func:`engine_fingerprint`)
    and the evidence store it checked files in (a restart with another ``--files`` folder never
    serves an answer computed against the first one)."""
    import hashlib

    return hashlib.sha256(f"{engine_fingerprint()}\0{files_dir.resolve()}".encode()).hexdigest()


def _revision_text(revision: tuple[int, int]) -> str:
    return f"{revision[0]}:{revision[1]}"


def stored_results(s: Session, year: int, stage: str, revision: tuple[int, int], files_dir: Path) -> bytes | None:
    """The stored score JSON of (year, stage) if it was computed at ``revision`` by this code
    against the evidence store ``files_dir``."""
    import zlib

    body = s.scalar(
        select(ResultsSnapshot.body).where(
            ResultsSnapshot.year == year,
            ResultsSnapshot.stage == stage,
            ResultsSnapshot.revision == _revision_text(revision),
            ResultsSnapshot.engine == answer_key(files_dir),
        )
    )
    return None if body is None else zlib.decompress(body)


STORE_AFTER_S = 10.0  # an answer is stored once it has been the newest this long (a quiet moment)
_PENDING: dict[tuple[str, int, str], tuple[Callable[[], None], float]] = {}  # key → (write, when due: time.monotonic())
_PENDING_LOCK = threading.Condition()
_STORER: list[threading.Thread] = []
_WRITING = [0]  # answers the storer is writing now


def store_results(engine: Engine, year: int, stage: str, revision: tuple[int, int], body: bytes, key: str) -> None:
    """Store a computed answer (replacing the one of that year and stage) from a background
    thread, in a transaction of its own, once it has stayed the newest answer of its round and
    stage for ``STORE_AFTER_S`` (while saves keep changing the round, compressing and writing
    megabytes after every computation would take CPU from the requests); a failure is one JSON
    line on standard error (the answer is only a cache)."""
    _store_later((engine.url.render_as_string(hide_password=False), year, stage), lambda: _write_stored(engine, year, stage, revision, body, key))


def store_rows_later(engine: Engine, url: str, year: int, at_once: bool = False) -> None:
    """Store the rows this process holds of the round (``round_rows``) as its rows snapshot, as
    :func:`store_results` stores an answer (and only when :func:`round_rows.store_rows` finds
    them worth storing). ``at_once``: without waiting for a quiet moment — after every row was
    read, so that the next process to start (or this one, should it be killed) loads the stored
    rows instead of reading every row again."""
    from par_index.server import round_rows

    def write() -> None:
        try:
            round_rows.store_rows(engine, *round_rows.round_rows(url, year))
        except Exception as exc:  # a cache: stored again after the next computation
            _store_failed(year, "rows", exc)

    _store_later((url, year, "rows"), write, at_once)


def _store_later(key: tuple[str, int, str], write: Callable[[], None], at_once: bool = False) -> None:
    """``write`` in the storer thread once ``key`` has been quiet for ``STORE_AFTER_S`` (a
    newer write of ``key`` replaces it and waits again), or at once; a write due already is
    not put off by a newer one."""
    with _PENDING_LOCK:
        now = time.monotonic()
        due = now if at_once else now + STORE_AFTER_S
        pending = _PENDING.get(key)
        if pending is not None and pending[1] <= now:
            due = pending[1]
        _PENDING[key] = (write, due)
        if not any(t.is_alive() for t in _STORER):
            _STORER[:] = [threading.Thread(target=_storer, name="par-index-results-snapshot", daemon=True)]
            _STORER[0].start()
        _PENDING_LOCK.notify_all()


def _storer() -> None:
    while True:
        with _PENDING_LOCK:
            if not _PENDING:
                return
            key, (write, due) = min(_PENDING.items(), key=lambda kv: kv[1][1])
            wait = due - time.monotonic()
            if wait > 0:
                _PENDING_LOCK.wait(wait)
                continue
            del _PENDING[key]
            _WRITING[0] += 1
        try:
            write()
        finally:
            with _PENDING_LOCK:
                _WRITING[0] -= 1
                _PENDING_LOCK.notify_all()


def _store_failed(year: int, stage: str, exc: Exception) -> None:
    import sys

    sys.stderr.write(json.dumps({"event": "results-snapshot", "year": year, "stage": stage, "error": f"{type(exc).__name__}: {exc}"}, ensure_ascii=False) + "\n")


def _write_stored(engine: Engine, year: int, stage: str, revision: tuple[int, int], body: bytes, answer: str) -> None:
    import zlib

    try:
        packed = zlib.compress(body, 1)
        writer = engine.execution_options(sqlite_begin="IMMEDIATE") if engine.dialect.name == "sqlite" else engine
        with writer.begin() as conn:
            conn.execute(delete(ResultsSnapshot).where(ResultsSnapshot.year == year, ResultsSnapshot.stage == stage))
            conn.execute(
                insert(ResultsSnapshot).values(
                    year=year, stage=stage, revision=_revision_text(revision), engine=answer, body=packed, created_at=dt.datetime.now(dt.UTC)
                )
            )
    except Exception as exc:  # a cache: the next computation stores it again
        _store_failed(year, stage, exc)


def stop_storing(timeout: float = 120.0) -> None:
    """When a server process stops (its app's shutdown), before its database engine is
    disposed: store now what waits for a quiet moment (the next process to start then finds it)
    and end the storer thread, so that no write is left to run later against a database that
    may be gone by then."""
    wait_for_stored_results()
    with _PENDING_LOCK:
        _PENDING_LOCK.notify_all()  # the storer, finding nothing pending, ends
        threads = list(_STORER)
    for t in threads:
        if t is not threading.current_thread():
            t.join(timeout)


def wait_for_stored_results() -> None:
    """Store the answers (and rows) waiting to be stored now, and return when they are in the
    database (tests, benchmarks)."""
    with _PENDING_LOCK:
        while _WRITING[0]:  # an older answer being written must not land after the newer one
            _PENDING_LOCK.wait(1.0)
        pending = sorted(_PENDING.values(), key=lambda v: v[1])
        _PENDING.clear()
    for write, _ in pending:
        write()


def store_round_rows(db: Database, settings: Settings, year: int) -> None:
    """``db import``, once its transaction committed: read the round's rows as a server process
    does and store them as the rows snapshot, so the first ``GET /results`` of a server does
    not read every row."""
    from par_index.server import round_rows

    rows, lock = round_rows.RoundRows(year), threading.Lock()
    with db.session() as s:
        rows.sync(s)
    round_rows.store_rows(db.engine, rows, lock)


def rounds_without_stored_rows(db: Database) -> list[int]:
    """The years whose assessment or evidence rows have no rows snapshot: a database from
    before migration 0003 (which made the table empty), or one whose snapshot was deleted by
    hand. ``db init`` stores theirs (:func:`store_round_rows`), so that no server process
    starts by reading every row."""
    from sqlalchemy import exists, or_

    with db.session() as s:
        has_rows = or_(exists().where(Assessment.year == Round.year), exists().where(Evidence.year == Round.year))
        years = s.scalars(select(Round.year).where(has_rows, Round.year.not_in(select(RowsSnapshot.year))).order_by(Round.year))
        return [int(y) for y in years]


def warm_up(db: Database, settings: Settings) -> dict[str, Any]:
    """What ``serve`` does when a server process starts: read the newest round's rows and score
    it (final stage), so the first ``GET /results`` of the process finds the answer computed (a
    request that comes earlier waits for it). What was done, for the log."""
    import time

    t0 = time.perf_counter()
    with db.session() as s:
        try:
            rnd = get_round(s, None)
            round_results(s, settings, rnd.year, "final")
        except ApiError as exc:  # no round yet, or data the engine cannot score: the GET says so
            return {"event": "warm-up", "skipped": exc.message}
    return {"event": "warm-up", "year": rnd.year, "ms": round((time.perf_counter() - t0) * 1000, 1)}


def state_counts(s: Session, year: int) -> dict[str, int]:
    rows = s.execute(select(Unit.state, func.count()).where(Unit.year == year).group_by(Unit.state)).all()
    counts = dict.fromkeys(STATES, 0)
    counts.update({k: int(v) for k, v in rows})
    return counts


# ---------------------------------------------------------------- whole uploads -----------


def upload_workbook(s: Session, settings: Settings, acct: Account, route: str, unit: str, path: Path, shown_as: str, year: int | None = None) -> dict[str, Any]:
    """A filled self-assessment workbook replaces the unit's self rows it fills (and its evidence
    rows without a file). Any error ``score --data`` would report on it → 422, nothing saved."""
    sc = allowed(acct, "workbook.upload")
    rnd = get_round(s, year)
    u = get_unit(s, rnd.year, unit, lock=True)
    check_unit_scope(acct, sc, unit, rnd)
    _writable(rnd, u, settings)
    _before_deadline(rnd.self_deadline, settings, "tự đánh giá")
    try:
        got = scoring.read_self_workbook(criteria_of(s, rnd.year), path, shown_as)
    except scoring.InputError as exc:
        problems = [{**p.as_dict(), "text": str(p)} for p in exc.problems]
        raise ApiError(422, f"không đọc được phiếu tự đánh giá: {problems[0]['text']}", {"problems": problems}) from None
    other = sorted({r["unit"] for r in got.units} - {unit})
    if other:
        raise ApiError(422, f"phiếu là của đơn vị {', '.join(other)}, không phải của '{unit}'", {"units": other})
    errors = [p for p in got.problems if p.get("severity", "error") == "error" and p.get("reason") != "value_missing"]
    if errors:
        raise ApiError(422, f"phiếu có {len(errors)} lỗi; chưa lưu gì. Lỗi đầu tiên: {errors[0]['text']}", {"problems": errors})
    now = settings.now()
    current = {a.criterion: a for a in s.scalars(select(Assessment).where(Assessment.year == rnd.year, Assessment.unit == unit, Assessment.stage == "self"))}
    changed = 0
    crit = criteria_of(s, rnd.year)
    # survey leaves (by the criteria, not by the form's own marks) are Sở Nội vụ's: never saved; a form
    # without the survey marks gives them as self, and the engine's survey_value_from_unit warning says so.
    # Every other leaf is the unit's own, saved as self, even where the form marks it as a survey cell
    # (the engine reads it as self too: survey_stage_on_unit_leaf); a survey stage is Sở Nội vụ's import only
    own = [r for r in got.assessments if not getattr(crit.leaf(u.kind, r["criterion"]), "survey", False)]
    for r in own:
        a = current.get(r["criterion"])
        if a is None:
            a = Assessment(year=rnd.year, unit=unit, criterion=r["criterion"], stage="self", value=r["value"], note=r["note"], points="", version=1, updated_at=now, updated_by=acct.login)
            s.add(a)
            s.flush()
            audit(s, settings, acct, "workbook.upload", route, rnd.year, unit, a.criterion, None, row_dict(a))
            changed += 1
        elif (a.value, a.note) != (r["value"], r["note"]):
            before = row_dict(a)
            a.value, a.note, a.version, a.updated_at, a.updated_by = r["value"], r["note"], a.version + 1, now, acct.login
            s.flush()
            audit(s, settings, acct, "workbook.upload", route, rnd.year, unit, a.criterion, before, row_dict(a))
            changed += 1
    if got.evidence:
        s.execute(delete(Evidence).where(Evidence.year == rnd.year, Evidence.unit == unit, Evidence.sha256.is_(None)))
        for e in got.evidence:
            s.add(Evidence(year=rnd.year, unit=unit, criterion=e["criterion"], document=e["document"], issued_on=e["issued_on"], issuer=e["issuer"], file=e["file"], uploaded_by=acct.login, created_at=now))
    audit(s, settings, acct, "workbook.upload", route, rnd.year, unit, None, None, {"rows": len(own), "changed": changed, "evidence": len(got.evidence), "file": shown_as})
    warnings = [p for p in got.problems if p not in errors and p.get("reason") != "value_missing"]
    return {"unit": unit, "rows": len(own), "changed": changed, "evidence": len(got.evidence), "warnings": warnings}


def import_survey(s: Session, settings: Settings, acct: Account, route: str, table: bytes, survey_map: bytes | None, year: int | None = None) -> dict[str, Any]:
    """``survey.csv`` (and ``survey-map.yaml``, else the stored map) read by the survey reader;
    the round's survey rows replaced by the rows it keeps."""
    allowed(acct, "survey.import")
    rnd = get_round(s, year)
    if rnd.published_at is not None:
        raise ApiError(409, "kết quả đã công bố; kỳ đánh giá đã khóa", {"year": rnd.year})
    map_text = survey_map.decode("utf-8-sig", "replace") if survey_map else rnd.survey_map
    if not map_text:
        raise ApiError(422, "chưa có survey-map.yaml (nhóm đối tượng, trọng số, câu hỏi → tiêu chí); hãy gửi kèm tệp map", {"field": "map"})
    units = [tuple(r) for r in s.execute(select(Unit.unit, Unit.name, Unit.kind).where(Unit.year == rnd.year).order_by(Unit.position))]
    with tempfile.TemporaryDirectory(prefix="par-index-survey-") as tmp:
        folder = Path(tmp)
        (folder / "survey.csv").write_bytes(table)
        (folder / "survey-map.yaml").write_text(map_text, encoding="utf-8")
        try:
            rows, problems = scoring.read_survey_upload(folder, units, criteria_of(s, rnd.year))  # type: ignore[arg-type]
        except scoring.InputError as exc:
            prefix = str(folder) + "/"
            found = [{**p.as_dict(), "file": (p.file or "").replace(prefix, "")} for p in exc.problems]
            raise ApiError(422, f"không đọc được kết quả điều tra: {found[0]['message']}", {"problems": found}) from None
    before = int(s.scalar(select(func.count()).select_from(SurveyRow).where(SurveyRow.year == rnd.year)) or 0)
    s.execute(delete(SurveyRow).where(SurveyRow.year == rnd.year))
    if rows:
        s.execute(insert(SurveyRow), [{"year": rnd.year, **r} for r in rows])
    rnd.survey_map = map_text
    after = {"rows": len(rows), "problems": len(problems)}
    audit(s, settings, acct, "survey.import", route, rnd.year, None, None, {"rows": before}, after)
    return {**after, "problems": problems}


def add_user(s: Session, settings: Settings, acct: Account, route: str, body: dict[str, Any]) -> dict[str, Any]:
    """An account made by an admin; its one-time password is in the answer, once."""
    from par_index.server.security import new_password

    allowed(acct, "users.write")
    password = new_password()
    login = scoring_text(body.get("login"))
    if not login:
        raise ApiError(422, "cần tên đăng nhập (login)", {"field": "login"})
    made = create_account(s, settings, login, str(body.get("role") or ""), password, body.get("unit") or None, body.get("agency") or None, once=True)
    out = account_dict(made)
    audit(s, settings, acct, "users.write", route, None, made.unit, None, None, out)
    return {**out, "password": password}


def account_dict(a: Account) -> dict[str, Any]:
    return {"login": a.login, "role": a.role, "unit": a.unit, "agency": a.agency, "active": a.active}


def list_users(s: Session, acct: Account) -> list[dict[str, Any]]:
    allowed(acct, "users.read")
    return [account_dict(a) for a in s.scalars(select(Account).order_by(Account.login))]
