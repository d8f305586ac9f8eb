"""``par-index db init|import|export``, ``par-index users add``, ``par-index serve``.

The heavy imports (SQLAlchemy, FastAPI, the engine) happen inside the commands, so the rest of
the CLI starts as fast as before.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

DEFAULT_DB = "sqlite:///par-index.db"
DB_KINDS = "chỉ dùng được cơ sở dữ liệu SQLite (sqlite:///đường/dẫn.db) hoặc PostgreSQL (postgresql://người_dùng:mật_khẩu@máy/tên_csdl)"
DB_UNREACHABLE = (
    "không kết nối hoặc không dùng được cơ sở dữ liệu; hãy kiểm tra máy chủ PostgreSQL đang chạy và địa chỉ, cổng, "
    "tên người dùng, mật khẩu, tên cơ sở dữ liệu trong --db"
)
db_option = click.option(
    "--db",
    "db_url",
    default=lambda: os.environ.get("PAR_INDEX_DB", DEFAULT_DB),
    show_default="sqlite:///par-index.db hoặc biến PAR_INDEX_DB",
    help="Cơ sở dữ liệu: sqlite:///đường/dẫn.db hoặc postgresql://người_dùng:mật_khẩu@máy/tên_csdl.",
)


@contextmanager
def _database(url: str, migrate: bool = False) -> Iterator[Any]:
    """The database, with ApiError and connection failures turned into exit 2 with a message."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from par_index.errors import InputError, Problem
    from par_index.server.db import Database, check_schema, normal_url
    from par_index.server.db import migrate as run_migrations
    from par_index.server.errors import ApiError

    full = normal_url(url)
    if not full.startswith(("sqlite:", "postgresql+psycopg:")):
        raise InputError(Problem("server", DB_KINDS, file=_safe(url)))
    path = full.split(":///", 1)[1] if full.startswith("sqlite:///") else ""
    if not migrate and path and path != ":memory:" and not Path(path).is_file():  # not made empty by opening it
        raise InputError(Problem("file_missing", f"không có tệp cơ sở dữ liệu '{path}'; hãy tạo bằng par-index db init", file=_safe(url)))
    db = Database(url)
    try:
        if migrate:
            run_migrations(db)
        else:
            check_schema(db)
        yield db
    except ApiError as exc:
        raise InputError(Problem("server", exc.message, file=_safe(url))) from None
    except (OperationalError, ProgrammingError) as exc:
        detail = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else ""  # the driver's own words, one line
        raise InputError(Problem("db_unreachable", DB_UNREACHABLE + (f" (chi tiết: {detail})" if detail else ""), file=_safe(url))) from None
    finally:
        db.dispose()


def _safe(url: str) -> str:
    """The URL without its password (for messages)."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        cred, host = rest.rsplit("@", 1)
        return f"{scheme}://{cred.split(':', 1)[0]}:***@{host}"
    return url


def _settings(url: str, files: Path | None = None) -> Any:
    from par_index.server.settings import Settings

    return Settings(db_url=url, files_dir=files or Path("par-index-files"))


@click.group("db")
def db_group() -> None:
    """Cơ sở dữ liệu của máy chủ: khởi tạo, nạp dữ liệu, xuất dữ liệu."""


@db_group.command("init")
@db_option
@click.option("--criteria", "criteria", type=click.Path(path_type=Path, exists=True, dir_okay=False), multiple=True, required=True, help="Tệp bộ tiêu chí (YAML); có thể lặp lại.")
@click.option("--units", "units", type=click.Path(path_type=Path, exists=True, dir_okay=False), required=True, help="units.csv: unit,name,kind.")
@click.option("--year", type=int, default=None, help="Năm đánh giá (mặc định: năm của bộ tiêu chí).")
def db_init(db_url: str, criteria: tuple[Path, ...], units: Path, year: int | None) -> None:
    """Tạo (hoặc nâng cấp) cơ sở dữ liệu và nạp bộ tiêu chí, danh sách đơn vị của một năm."""
    from par_index.server import scoring, services

    files = scoring.criteria_files(list(criteria))
    crit = scoring.compile_stored(files)
    years = {int(c.spec.year) for c in crit.sets}
    if year is None:
        if len(years) != 1:
            raise click.UsageError("các bộ tiêu chí thuộc nhiều năm; hãy chọn --year")
        year = years.pop()
    rows = scoring.read_units_file(units)
    with _database(db_url, migrate=True) as db:
        with db.session(write=True) as s:
            counts = services.load_criteria_and_units(s, _settings(db_url), year, files, rows)
        for y in services.rounds_without_stored_rows(db):  # e.g. a database from before migration 0003
            _store_rows(db, db_url, y)
    click.echo(f"Đã khởi tạo kỳ đánh giá năm {year}: {len(crit.sets)} bộ tiêu chí, {counts['units']} đơn vị ({counts['units_added']} mới) trong {_safe(db_url)}")


def _store_rows(db: Any, db_url: str, year: int) -> None:
    """The round's rows snapshot stored (``services.store_round_rows``), or a warning: it is a
    cache, the command still succeeds."""
    from par_index.server import services

    try:
        services.store_round_rows(db, _settings(db_url), year)
    except Exception as exc:  # a cache: the server reads every row instead
        click.echo(f"Chú ý: chưa lưu được bản chụp các dòng của năm {year} ({type(exc).__name__}: {exc}); máy chủ sẽ đọc lại toàn bộ khi khởi động.", err=True)


@db_group.command("import")
@db_option
@click.option("--data", "data", type=click.Path(path_type=Path, exists=True), required=True, help="Thư mục dữ liệu đơn vị hoặc tệp .xlsx.")
@click.option("--year", type=int, default=None, help="Năm đánh giá (mặc định: năm mới nhất trong cơ sở dữ liệu).")
@click.option("--files", type=click.Path(path_type=Path, file_okay=False), default=None, help="Thư mục lưu tệp tài liệu kiểm chứng của máy chủ (để chép các tệp được cột file nhắc tới).")
def db_import(db_url: str, data: Path, year: int | None, files: Path | None) -> None:
    """Nạp dữ liệu đơn vị (tự đánh giá, tài liệu kiểm chứng, thẩm định, giải trình, điều tra xã hội học)."""
    from par_index.cli.console import console, print_problems
    from par_index.server import scoring, services

    imp = scoring.read_import(data)
    settings = _settings(db_url, files)
    copied = _store_files(imp, data, files) if files is not None else {}
    with _database(db_url) as db:
        with db.session(write=True) as s:
            rnd = services.get_round(s, year)
            counts = services.import_rows(s, settings, rnd.year, imp, copied)
        _store_rows(db, db_url, rnd.year)
    if imp.problems:
        print_problems(imp.problems, console(stderr=True))
    click.echo(
        f"Đã nạp năm {rnd.year}: {counts['assessments']} dòng đánh giá, {counts['evidence']} tài liệu kiểm chứng"
        f" ({len(copied)} tệp được lưu), {counts['appraisals']} quyết định thẩm định, {counts['explanations']} giải trình,"
        f" {counts['survey']} dòng điều tra xã hội học"
        + (f"; bỏ {counts['duplicates_dropped']} dòng trùng" if counts["duplicates_dropped"] else "")
    )


def _store_files(imp: Any, data: Path, files: Path) -> dict[str, str]:
    """Evidence files named in the data (found beside it) copied into the store: old path → new."""
    from par_index.server.errors import ApiError
    from par_index.server.uploads import store

    root = data if data.is_dir() else data.parent
    out: dict[str, str] = {}
    for r in imp.evidence:
        name = r["file"]
        p = root / name
        if not name or name in out or not p.is_file():
            continue
        try:
            with p.open("rb") as f:
                out[name] = store(f, files, 1 << 40)["file"]
        except ApiError as exc:
            click.echo(f"{p}: {exc.message}; tệp không được lưu", err=True)
    return out


@db_group.command("export")
@db_option
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True, help="Thư mục để ghi dữ liệu đơn vị.")
@click.option("--year", type=int, default=None)
@click.option("--files", type=click.Path(path_type=Path, file_okay=False), default=None, help="Thư mục lưu tệp của máy chủ; các tệp được chép vào OUT/files.")
def db_export(db_url: str, out: Path, year: int | None, files: Path | None) -> None:
    """Ghi kỳ đánh giá ra thư mục dữ liệu đơn vị; par-index score --data OUT cho đúng kết quả của máy chủ."""
    from par_index.server import services

    with _database(db_url) as db, db.session() as s:
        rnd = services.get_round(s, year)
        mains = services.export_round(s, rnd.year, out, files)
    crit = " ".join(f"--criteria {p}" for p in mains)
    click.echo(f"Đã ghi dữ liệu năm {rnd.year} vào {out}. Chấm lại: par-index score {crit} --data {out}")


@click.group("users")
def users_group() -> None:
    """Tài khoản của máy chủ."""


@users_group.command("add")
@db_option
@click.option("--login", "login", required=True, help="Tên đăng nhập.")
@click.option(
    "--role", type=click.Choice(["unit", "agency", "appraiser", "admin", "viewer"]), required=True, metavar="VAI_TRÒ",
    help="Vai trò: unit (đơn vị), agency (cơ quan cung cấp tài liệu), appraiser (thẩm định), admin (quản trị), viewer (xem kết quả).",
)
@click.option("--unit", default=None, help="Mã đơn vị (vai trò unit).")
@click.option("--agency", default=None, help="Mã cơ quan cung cấp tài liệu (vai trò agency), như trong bộ tiêu chí.")
@click.option("--password-stdin", is_flag=True, help="Đọc mật khẩu từ đầu vào chuẩn thay vì tạo mật khẩu dùng một lần.")
def users_add(db_url: str, login: str, role: str, unit: str | None, agency: str | None, password_stdin: bool) -> None:
    """Tạo tài khoản và in mật khẩu dùng một lần (hoặc đọc mật khẩu từ đầu vào chuẩn)."""
    from par_index.server import services
    from par_index.server.security import new_password

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else new_password()
    with _database(db_url) as db, db.session(write=True) as s:
        services.create_account(s, _settings(db_url), login, role, password, unit, agency, once=not password_stdin)
    if password_stdin:
        click.echo(f"Đã tạo tài khoản {login} ({role}).")
    else:
        click.echo(f"Đã tạo tài khoản {login} ({role}). Mật khẩu dùng một lần: {password}")


@click.command("serve")
@db_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--files", type=click.Path(path_type=Path, file_okay=False), default=Path("par-index-files"), show_default=True, help="Thư mục lưu tệp tài liệu kiểm chứng.")
@click.option("--max-upload-mb", type=float, default=50.0, show_default=True, help="Dung lượng tối đa của một tệp tải lên (MB).")
@click.option("--secure-cookies", is_flag=True, help="Đánh dấu cookie Secure (khi chạy sau HTTPS).")
@click.option("--workers", type=int, default=1, show_default=True, help="Số tiến trình (PostgreSQL).")
def serve(db_url: str, host: str, port: int, files: Path, max_upload_mb: float, secure_cookies: bool, workers: int) -> None:
    """Chạy máy chủ (trang web và JSON API /api/v1)."""
    import uvicorn

    with _database(db_url):
        pass  # schema checked (exit 2 with a message if db init has not run)
    os.environ["PAR_INDEX_SERVE"] = json.dumps([db_url, str(files), max_upload_mb, secure_cookies])
    click.echo(f"par-index: máy chủ chạy tại http://{host}:{port} (cơ sở dữ liệu {_safe(db_url)}, tệp {files})", err=True)
    uvicorn.run("par_index.server.factory:app_from_env", factory=True, host=host, port=port, workers=workers, access_log=False, log_level="warning")


COMMANDS = (db_group, users_group, serve)
