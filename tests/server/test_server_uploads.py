"""Evidence uploads: limits (413) before the body is read, types by content (415), storage by hash."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from support.server_env import auth
from test_server_roles import PDF

from par_index.server.uploads import sniff

URL = "/api/v1/units/so-noi-vu/evidence"
FORM = {"criterion": "1.1.1", "document": "Kế hoạch số 6/KH-SNV", "issued_on": "04/01/2024"}


def post(client: Any, name: str, content: bytes, **headers: str) -> Any:
    return client.post(URL, data=FORM, files={"file": (name, content, "application/octet-stream")}, headers={**auth(client.env, "unit"), **headers})


def _zip(names: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, data in names.items():
            z.writestr(n, data)
    return buf.getvalue()


def test_stored_by_hash_never_by_client_name(client: Any) -> None:
    r = post(client, "../../etc/passwd.pdf", PDF)
    assert r.status_code == 201, r.text
    body = r.json()
    sha = hashlib.sha256(PDF).hexdigest()
    assert body["sha256"] == sha and body["file"] == f"files/{sha[:2]}/{sha}" and body["content_type"] == "application/pdf"
    stored = Path(client.settings.files_dir) / sha[:2] / sha
    assert stored.read_bytes() == PDF
    assert sorted(p.name for p in Path(client.settings.files_dir).rglob("*") if p.is_file()) == [sha]
    got = client.get(body["url"], headers=auth(client.env, "unit"))
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert 'filename="so-noi-vu-1.1.1-' in got.headers["content-disposition"]
    # the row is in the export's evidence.csv, and the audit
    a = client.get("/api/v1/audit?unit=so-noi-vu", headers=auth(client.env, "admin")).json()
    assert a[0]["action"] == "evidence.upload" and a[0]["after"]["sha256"] == sha


def test_type_by_content_not_extension(client: Any) -> None:
    r = post(client, "bao-cao.pdf", b"MZ\x90\x00 this is a program, not a PDF")
    assert r.status_code == 415
    assert r.json()["error"] == "loại tệp không được chấp nhận (xét theo nội dung tệp); chỉ nhận PDF, DOC/DOCX, XLS/XLSX, ODT/ODS, PNG, JPEG"
    assert post(client, "anh.txt", b"\x89PNG\r\n\x1a\n" + b"\0" * 32).status_code == 201
    assert post(client, "x.zip", _zip({"a.txt": b"hello"})).status_code == 415
    docx = _zip({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<w/>"})
    r = post(client, "khong-duoi", docx)
    assert r.status_code == 201
    assert r.json()["content_type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert list(Path(client.settings.files_dir).rglob(".upload-*")) == []  # refused files are not kept


@pytest.mark.parametrize(
    ("head", "expected"),
    [(b"%PDF-1.7", "application/pdf"), (b"\xff\xd8\xff\xe0", "image/jpeg"), (b"GIF89a", None), (b"<html>", None)],
)
def test_sniff(tmp_path: Path, head: bytes, expected: str | None) -> None:
    p = tmp_path / "f"
    p.write_bytes(head + b"\0" * 16)
    assert sniff(p.read_bytes()[:16], p) == expected


def test_sniff_open_document(tmp_path: Path) -> None:
    p = tmp_path / "f"
    p.write_bytes(_zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"}))
    assert sniff(p.read_bytes()[:16], p) == "application/vnd.oasis.opendocument.spreadsheet"
    p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100 + "WordDocument".encode("utf-16-le"))
    assert sniff(p.read_bytes()[:16], p) == "application/msword"


def test_file_over_limit_is_413(client: Any) -> None:
    # the test client's limit is 1 MB; a 1.5 MB PDF: the body fits the 1 MB + 1 MB slack, the file does not
    big = PDF + b"0" * (1536 * 1024)
    r = post(client, "lon.pdf", big)
    assert r.status_code == 413
    assert r.json() == {"error": "tệp lớn hơn giới hạn 1 MB", "detail": {"max_bytes": 1048576}}
    assert [p for p in Path(client.settings.files_dir).rglob("*") if p.is_file()] == []


def test_body_over_limit_is_413_before_reading(client: Any) -> None:
    """A Content-Length over the limit is refused without reading the body."""
    from par_index.server.app import BodyLimit

    sent: list[Any] = []
    read = []

    async def receive() -> Any:
        read.append(1)
        return {"type": "http.request", "body": b"x" * 1024, "more_body": True}

    async def send(message: Any) -> None:
        sent.append(message)

    async def app(scope: Any, rcv: Any, snd: Any) -> None:  # never reached
        raise AssertionError("the app was called")

    import asyncio

    limit = BodyLimit(app, lambda: 1024 * 1024)
    scope = {"type": "http", "method": "POST", "path": URL, "headers": [(b"content-length", b"5000000000")]}
    asyncio.run(limit(scope, receive, send))
    assert read == []
    assert sent[0]["status"] == 413
    assert b"t\xe1\xbb\x87p l\xe1\xbb\x9bn h\xc6\xa1n gi\xe1\xbb\x9bi h\xe1\xba\xa1n" in sent[1]["body"]  # "tệp lớn hơn giới hạn"


def test_streamed_body_over_limit_is_413(client: Any) -> None:
    """Without Content-Length (chunked), the body is counted as it arrives and cut at the limit."""

    def chunks() -> Any:
        yield b"--b\r\nContent-Disposition: form-data; name=\"criterion\"\r\n\r\n1.1.1\r\n"
        for _ in range(64):
            yield b"x" * 65536  # 4 MB in all, over the 1 MB + 1 MB slack

    h = {**auth(client.env, "unit"), "content-type": "multipart/form-data; boundary=b"}
    r = client.post(URL, content=chunks(), headers=h)
    assert r.status_code == 413
    assert r.json()["error"] == "tệp lớn hơn giới hạn 1 MB"


def test_real_server_refuses_large_upload_early(tmp_path: Path, env: Any) -> None:
    """Against a running server (uvicorn): 413 while the client is still sending 200 MB."""
    import socket

    from support.server_process import ServerProcess

    with ServerProcess(env.url, tmp_path / "files", max_upload_mb=1) as srv:
        s = socket.create_connection(("127.0.0.1", srv.port))
        head = (
            f"POST {URL} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {env.tokens['unit']}\r\n"
            "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 209715200\r\n\r\n"
        )
        s.sendall(head.encode())
        s.settimeout(10)
        got = b""
        while chunk := s.recv(65536):  # the server answers and closes the connection
            got += chunk
        s.close()
        answer = got.decode("utf-8", "replace")
    assert answer.startswith("HTTP/1.1 413")
    assert '"tệp lớn hơn giới hạn 1 MB"' in answer


def test_one_wording_for_a_file_above_the_limit() -> None:
    # the body-size guard, the multipart parser and the file store all say it this way
    from par_index.server.errors import file_too_large

    assert file_too_large(1024 * 1024) == "tệp lớn hơn giới hạn 1 MB"
    assert file_too_large(3 * 1024 * 1024 // 2) == "tệp lớn hơn giới hạn 1,5 MB"


def _image(kind: str) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(buf, kind)
    return buf.getvalue()


def _xlsx() -> bytes:
    import openpyxl

    buf = io.BytesIO()
    wb = openpyxl.Workbook()
    wb.active["A1"] = "Báo cáo"
    wb.save(buf)
    return buf.getvalue()


def _ole(stream: str) -> bytes:
    """The head of an OLE2 compound file whose directory names ``stream``."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + stream.encode("utf-16-le") + b"\0" * 64


DOCX = {"[Content_Types].xml": b"<Types/>", "_rels/.rels": b"<Relationships/>", "word/document.xml": b"<w:document/>"}
# each type the contract lists, made as its program writes it (the OLE ones: the head of the container)
ALLOWED_FILES: dict[str, Any] = {
    "application/pdf": lambda: PDF,
    "image/png": lambda: _image("PNG"),
    "image/jpeg": lambda: _image("JPEG"),
    "application/msword": lambda: _ole("WordDocument"),
    "application/vnd.ms-excel": lambda: _ole("Workbook"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": lambda: _zip(DOCX),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _xlsx,
    "application/vnd.oasis.opendocument.text": lambda: _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"}),
    "application/vnd.oasis.opendocument.spreadsheet": lambda: _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"}),
}


@pytest.mark.parametrize("ctype", sorted(ALLOWED_FILES))
def test_each_listed_type_is_taken_by_its_content_whatever_its_name(client: Any, ctype: str) -> None:
    """PDF, DOC/DOCX, XLS/XLSX, ODT/ODS, PNG/JPEG: each taken by its content under a name that
    says something else, stored under its hash, served back with its own type and extension."""
    from par_index.server.uploads import EXTENSIONS

    content = ALLOWED_FILES[ctype]()
    r = post(client, "ghi-chu.txt", content)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["content_type"] == ctype and body["sha256"] == hashlib.sha256(content).hexdigest() and body["size"] == len(content)
    got = client.get(body["url"], headers=auth(client.env, "unit"))
    assert got.status_code == 200 and got.content == content
    assert got.headers["content-type"].split(";")[0] == ctype
    assert got.headers["content-disposition"] == f'attachment; filename="so-noi-vu-1.1.1-{body["id"]}{EXTENSIONS[ctype]}"'
    assert got.headers["x-content-type-options"] == "nosniff"


REFUSED_FILES: dict[str, bytes] = {
    "gif.pdf": b"GIF89a" + b"\0" * 32,
    "trang.pdf": b"<!DOCTYPE html><html><script>alert(1)</script></html>",
    "hinh.png": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "chuong-trinh.pdf": b"MZ\x90\x00\x03" + b"\0" * 64,
    "van-ban.doc": b"{\\rtf1\\ansi Van ban}",
    "trinh-chieu.doc": _ole("PowerPoint Document"),
    "trinh-chieu.odt": _zip({"mimetype": b"application/vnd.oasis.opendocument.presentation", "content.xml": b"<x/>"}),
    "nen.docx": _zip({"a.txt": b"hello"}),
    "hong.xlsx": b"PK\x03\x04 not really a zip",
    "ghi-chu.pdf": "Báo cáo kết quả".encode(),
}


@pytest.mark.parametrize("name", sorted(REFUSED_FILES))
def test_other_contents_are_415_whatever_their_name(client: Any, name: str) -> None:
    r = post(client, name, REFUSED_FILES[name])
    assert r.status_code == 415
    assert r.json() == {
        "error": "loại tệp không được chấp nhận (xét theo nội dung tệp); chỉ nhận PDF, DOC/DOCX, XLS/XLSX, ODT/ODS, PNG, JPEG",
        "detail": {"allowed": "PDF, DOC/DOCX, XLS/XLSX, ODT/ODS, PNG, JPEG"},
    }
    assert [p for p in Path(client.settings.files_dir).rglob("*") if p.is_file()] == []
    rows = client.get("/api/v1/units/so-noi-vu/evidence", headers=auth(client.env, "unit")).json()
    assert [x for x in rows if x["sha256"]] == []


def test_a_workbook_over_the_limit_is_413_like_an_evidence_file(client: Any) -> None:
    """The self-assessment workbook upload counts its file against the same limit, with the same answer."""
    big = b"PK\x03\x04" + b"0" * (1536 * 1024)
    r = client.post("/api/v1/units/so-noi-vu/workbook", files={"file": ("phieu.xlsx", big, "application/octet-stream")}, headers=auth(client.env, "unit"))
    assert r.status_code == 413
    assert r.json() == {"error": "tệp lớn hơn giới hạn 1 MB", "detail": {"max_bytes": 1048576}}
