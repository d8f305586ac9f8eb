"""The KH 213/KH-UBND appendix as data: criteria/bac-giang/2024/plan.yaml and agencies.yaml.

Plain PyYAML and the standard library only, so the data can be checked without the package.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
import yaml
from support.paths import REPO, SHARED

CRITERIA = REPO / "criteria" / "bac-giang"
PLAN_FILE = CRITERIA / "2024" / "plan.yaml"
AGENCIES_FILE = CRITERIA / "agencies.yaml"
SOURCE_MD = (
    SHARED.parent / "shared" / "domain" / "kh-213-ubnd-bac-giang-2024.md"
)

AREAS = ["I", "II", "III", "IV", "V", "VI", "VII"]
AREA_NAMES = {
    "I": "Cải cách thể chế",
    "II": "Cải cách thủ tục hành chính",
    "III": "Cải cách tổ chức bộ máy hành chính nhà nước",
    "IV": "Cải cách chế độ công vụ",
    "V": "Cải cách tài chính công",
    "VI": "Xây dựng và phát triển chính quyền điện tử, chính quyền số",
    "VII": "Công tác chỉ đạo, điều hành",
}
# Entries per area, counted by hand from the appendix: every "Hoạt động N" plus the tasks
# without an activity row (II.4.1, II.5.1, II.6.1).
EXPECTED_PER_AREA = {"I": 9, "II": 16, "III": 9, "IV": 9, "V": 7, "VI": 9, "VII": 15}
EXPECTED_TOTAL = 74

REQUIRED_AGENCY_IDS = {
    "so-noi-vu",
    "so-tu-phap",
    "vp-ubnd-tinh",
    "so-tttt",
    "so-tai-chinh",
    "so-kh-dt",
    "so-khcn",
    "so-y-te",
    "so-gd-dt",
    "so-ldtbxh",
    "so-vhttdl",
    "cong-an-tinh",
    "buu-dien-tinh",
    "bao-bac-giang",
    "dai-ptth",
    "cac-so-nganh",
    "ubnd-huyen",
    "ubnd-xa",
}
DEADLINE_KINDS = {
    "date",
    "month",
    "quarter",
    "half",
    "year",
    "ongoing",
    "as_needed",
    "separate_plan",
}
DATED_KINDS = {"date", "month", "quarter", "half", "year"}
TASK_KEYS = {
    "id",
    "area",
    "area_name",
    "goal",
    "task",
    "activity",
    "product",
    "lead",
    "lead_text",
    "cooperating",
    "cooperating_text",
    "deadline",
    "budget",
}
OPTIONAL_KEYS = {"origin", "criteria", "note"}
ID_RE = re.compile(r"^(I|II|III|IV|V|VI|VII)\.(\d+)\.(\d+)\.(\d+)$")


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _load(path: Path):
    with path.open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_UniqueKeyLoader)


@pytest.fixture(scope="module")
def plan() -> dict:
    return _load(PLAN_FILE)


@pytest.fixture(scope="module")
def all_tasks(plan) -> list[dict]:
    return plan["tasks"]


@pytest.fixture(scope="module")
def tasks(all_tasks) -> list[dict]:
    """The appendix rows (the main-text rows come after them, ``origin: main_text``)."""
    return [t for t in all_tasks if t.get("origin", "appendix") == "appendix"]


@pytest.fixture(scope="module")
def main_text_tasks(all_tasks) -> list[dict]:
    return [t for t in all_tasks if t.get("origin") == "main_text"]


@pytest.fixture(scope="module")
def by_id(all_tasks) -> dict[str, dict]:
    return {t["id"]: t for t in all_tasks}


@pytest.fixture(scope="module")
def agencies() -> list[dict]:
    return _load(AGENCIES_FILE)["agencies"]


def _strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v)


# ---------------------------------------------------------------- (a) structure


def test_agencies_file(agencies):
    ids = [a["id"] for a in agencies]
    dupes = [i for i, n in Counter(ids).items() if n > 1]
    assert not dupes, f"duplicate agency ids in {AGENCIES_FILE.name}: {dupes}"
    missing = REQUIRED_AGENCY_IDS - set(ids)
    assert not missing, f"agency ids the project relies on are missing: {sorted(missing)}"
    for a in agencies:
        assert set(a) == {"id", "name", "role"}, f"agency {a.get('id')}: keys {sorted(a)}"
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", a["id"]), f"agency id {a['id']!r}"
        assert a["name"].strip() and a["role"].strip(), f"agency {a['id']}: empty name or role"
    names = {a["id"]: a["name"] for a in agencies}
    assert names["so-noi-vu"] == "Sở Nội vụ"
    assert names["buu-dien-tinh"] == "Bưu điện tỉnh"
    assert names["so-tttt"] == "Sở Thông tin và Truyền thông"
    # Việt Yên became a thị xã on 01/02/2024 (KH 213 of 29/12/2023 still says "huyện, thành phố")
    assert names["ubnd-huyen"] == "UBND các huyện, thị xã, thành phố"
    roles = {a["id"]: a["role"] for a in agencies}
    # V.2.1: Sở Nội vụ scores the departments and districts and inspects at least 30 %
    assert "chấm điểm Chỉ số CCHC năm 2024 của các sở" in roles["so-noi-vu"]
    assert "ít nhất 30% số cơ quan, địa phương" in roles["so-noi-vu"]
    # V.2.2: Văn phòng UBND tỉnh supplies the dialogue and assigned-task evidence
    assert "đối thoại" in roles["vp-ubnd-tinh"] and "Thủ tướng Chính phủ giao" in roles["vp-ubnd-tinh"]


def test_all_text_is_nfc(plan, agencies):
    for s in list(_strings(plan)) + list(_strings(agencies)):
        assert unicodedata.is_normalized("NFC", s), f"not NFC: {s!r}"
        assert "Bru điện" not in s, f"OCR typo left in: {s!r}"


def test_plan_header(plan):
    assert plan["id"] == "kh-213-2024"
    assert plan["year"] == 2024
    assert plan["title"] == "Kế hoạch cải cách hành chính nhà nước tỉnh Bắc Giang năm 2024"
    assert "213/KH-UBND" in plan["source"]


def test_task_ids_unique_and_well_formed(tasks):
    ids = [t["id"] for t in tasks]
    dupes = [i for i, n in Counter(ids).items() if n > 1]
    assert not dupes, f"duplicate task ids: {dupes}"
    for t in tasks:
        assert TASK_KEYS <= set(t) <= TASK_KEYS | OPTIONAL_KEYS, f"{t['id']}: keys {sorted(set(t) ^ TASK_KEYS)} differ"
        assert "origin" not in t, f"{t['id']}: appendix rows leave origin out (default appendix)"
        m = ID_RE.match(t["id"])
        assert m, f"bad id {t['id']!r}"
        assert t["area"] == m.group(1), f"{t['id']}: area {t['area']!r}"
        assert t["area_name"] == AREA_NAMES[t["area"]], f"{t['id']}: area_name {t['area_name']!r}"
        assert t["goal"] and t["task"], f"{t['id']}: goal and task are required"
        # activity 0 <=> no activity
        assert (m.group(4) == "0") == (t["activity"] is None), f"{t['id']}: activity vs id"
        for key in ("goal", "task", "activity"):
            v = t[key]
            if v is not None:
                assert not re.match(r"^\s*(\d+\.)|Nhiệm vụ \d|Hoạt động \d", v), (
                    f"{t['id']}: {key} keeps its numbering prefix: {v[:40]!r}"
                )
                assert v == v.strip() and "  " not in v and "<" not in v, (
                    f"{t['id']}: {key} spacing/markup"
                )


def test_tasks_are_in_source_order(tasks):
    order = {a: i for i, a in enumerate(AREAS)}

    def key(t):
        m = ID_RE.match(t["id"])
        return (order[m.group(1)], int(m.group(2)), int(m.group(3)), int(m.group(4)))

    keys = [key(t) for t in tasks]
    assert keys == sorted(keys)


def test_agency_references_exist(tasks, agencies):
    known = {a["id"] for a in agencies}
    for t in tasks:
        assert t["lead"], f"{t['id']}: no lead agency"
        for field in ("lead", "cooperating"):
            ids = t[field]
            assert isinstance(ids, list), f"{t['id']}: {field} must be a list"
            unknown = set(ids) - known
            assert not unknown, f"{t['id']}: {field} names unknown agencies {sorted(unknown)}"
            assert len(ids) == len(set(ids)), f"{t['id']}: {field} repeats an id"
        assert t["lead_text"], f"{t['id']}: lead_text missing"
        assert bool(t["cooperating"]) == bool(t["cooperating_text"]), (
            f"{t['id']}: cooperating ids and cooperating_text must be both empty or both set"
        )


def test_deadlines(tasks):
    for t in tasks:
        d = t["deadline"]
        if d is None:
            continue
        assert set(d) == {"text", "kind", "start", "due"}, f"{t['id']}: deadline keys {sorted(d)}"
        assert d["kind"] in DEADLINE_KINDS, f"{t['id']}: deadline kind {d['kind']!r}"
        assert d["text"], f"{t['id']}: deadline text missing"
        start, due = d["start"], d["due"]
        for v in (start, due):
            assert v is None or type(v) is dt.date, f"{t['id']}: {v!r} is not a date"
        if d["kind"] in DATED_KINDS:
            assert due is not None, f"{t['id']}: kind {d['kind']} needs a due date"
        else:
            assert start is None and due is None, f"{t['id']}: kind {d['kind']} has no dates"
        if d["kind"] != "date" and d["kind"] in DATED_KINDS:
            assert start is not None, f"{t['id']}: kind {d['kind']} needs a start date"
        if start is not None and due is not None:
            assert due >= start, f"{t['id']}: due {due} before start {start}"
        for v in (start, due):
            if v is None:
                continue
            ok = v.year == 2024 or (v.year == 2025 and "2025" in d["text"])
            assert ok, (
                f"{t['id']}: {v} is outside 2024 and the text {d['text']!r} does not say 2025"
            )


def test_deadline_kinds_match_their_text(tasks):
    for t in tasks:
        d = t["deadline"]
        if d is None:
            continue
        text, kind = d["text"], d["kind"]
        if text.startswith("Trước"):
            assert kind == "date"
        elif text.startswith("Tháng"):
            assert kind == "month"
            assert d["start"].day == 1 and (d["due"] + dt.timedelta(days=1)).day == 1
            assert d["start"].month == d["due"].month
        elif text.startswith("Quý"):
            assert kind == "quarter"
            assert d["start"].month in (1, 4, 7, 10) and d["due"].month in (3, 6, 9, 12)
        elif text.startswith("Năm") or text.startswith("Giai đoạn"):
            assert kind == "year"
        elif text.startswith("Thường xuyên"):
            assert kind == "ongoing"
        elif text == "Khi có phát sinh":
            assert kind == "as_needed"
        elif text == "Theo Kế hoạch riêng":
            assert kind == "separate_plan"
        else:
            pytest.fail(f"{t['id']}: unexpected deadline text {text!r}")


# ---------------------------------------------------------------- (b) counts vs the source

AREA_HEADING_RE = re.compile(r"^(?:<p>)?<b>([IVX]+)\b")
ACTIVITY_RE = re.compile(r"Hoạt động (\d+)")
TASK_MARK_RE = re.compile(r"Nhiệm vụ (\d+)")


def count_source_entries(text: str) -> dict[str, int]:
    """Per area: the 'Hoạt động N' markers after the 'Phụ lục' heading, plus the table rows
    that start a task ('Nhiệm vụ N') without any activity."""
    text = unicodedata.normalize("NFC", text)
    m = re.search(r"^Phụ lục\s*$", text, flags=re.MULTILINE)
    assert m, "no 'Phụ lục' heading in the source"
    counts: dict[str, int] = {}
    area = None
    for line in text[m.end() :].splitlines():
        h = AREA_HEADING_RE.match(line)
        if h and h.group(1) in AREAS:
            area = h.group(1)
            counts[area] = 0
            continue
        if area is None:
            continue
        n_act = len(ACTIVITY_RE.findall(line))
        n_task_without_activity = 1 if (TASK_MARK_RE.search(line) and n_act == 0) else 0
        counts[area] += n_act + n_task_without_activity
    return counts


@pytest.fixture(scope="module")
def source_text() -> str:
    if not SOURCE_MD.exists():
        pytest.skip(
            f"shared source not found at {SOURCE_MD} (the shared folder sits beside the repository)"
        )
    return SOURCE_MD.read_text(encoding="utf-8")


def test_source_parsing_matches_hand_count(source_text):
    counts = count_source_entries(source_text)
    assert list(counts) == AREAS, f"areas found in the appendix: {list(counts)}"
    assert counts == EXPECTED_PER_AREA
    assert sum(counts.values()) == EXPECTED_TOTAL


def test_plan_counts_match_source(tasks, source_text):
    counts = Counter(t["area"] for t in tasks)
    from_source = count_source_entries(source_text)
    for area in AREAS:
        assert counts[area] == EXPECTED_PER_AREA[area], (
            f"area {area}: plan.yaml has {counts[area]} entries, expected {EXPECTED_PER_AREA[area]}"
        )
        assert counts[area] == from_source[area], (
            f"area {area}: plan.yaml has {counts[area]} entries, "
            f"the source appendix {from_source[area]}"
        )
    assert len(tasks) == EXPECTED_TOTAL == sum(from_source.values())


def test_plan_counts_without_source(tasks):
    """The hard-coded counts hold even where the shared folder is absent."""
    counts = Counter(t["area"] for t in tasks)
    assert dict(counts) == EXPECTED_PER_AREA
    assert len(tasks) == EXPECTED_TOTAL


def _loose(text: str) -> str:
    """Lower case, no diacritics, single spaces: OCR fixes such as Công -> Cổng still match."""
    text = re.sub(r"<[^>]+>", " ", text).replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text).casefold()


def test_every_activity_text_is_in_the_source(tasks, source_text):
    """Each activity's first words appear in the source (catches a mis-typed or invented row)."""
    flat = _loose(source_text)
    for t in tasks:
        if t["activity"] is None:
            continue
        head = " ".join(t["activity"].split()[:6])
        assert _loose(head) in flat, f"{t['id']}: activity start {head!r} not found in the source"


# ---------------------------------------------------------------- (c) spot checks


def test_spot_registration_before_10_feb(by_id, tasks):
    matches = [t for t in tasks if t["deadline"] and t["deadline"]["text"] == "Trước 10/2/2024"]
    assert [t["id"] for t in matches] == ["II.2.1.1"]
    t = matches[0]
    assert t["lead"] == ["cac-so-nganh", "ubnd-huyen"]
    assert t["lead_text"] == "Các sở, ban, ngành, UBND huyện, TP"
    assert t["cooperating"] == ["vp-ubnd-tinh"]
    assert t["deadline"] == {
        "text": "Trước 10/2/2024",
        "kind": "date",
        "start": None,
        "due": dt.date(2024, 2, 9),
    }
    assert (
        t["activity"] == "Đăng ký danh sách TTHC có khó khăn, bất cập, vướng mắc thực hiện rà soát"
    )


def test_spot_ii_2_1_keeps_source_activity_numbers(by_id):
    ids = sorted(i for i in by_id if i.startswith("II.2.1."))
    assert ids == ["II.2.1.1", "II.2.1.3", "II.2.1.4", "II.2.1.5"]
    t = by_id["II.2.1.3"]
    assert t["deadline"] == {
        "text": "Tháng 2/2024",
        "kind": "month",
        "start": dt.date(2024, 2, 1),
        "due": dt.date(2024, 2, 29),
    }
    assert by_id["II.2.1.4"]["deadline"]["kind"] == "separate_plan"
    assert by_id["II.2.1.4"]["deadline"]["text"] == "Theo Kế hoạch riêng"


def test_spot_first_entry(by_id):
    t = by_id["I.1.1.1"]
    assert t["task"] == (
        "Nâng cao nhận thức về vị trí, vai trò, tầm quan trọng của công tác xây dựng, "
        "ban hành văn bản QPPL."
    )
    assert (
        t["activity"]
        == "Chủ động tham mưu ban hành văn bản QPPL điều chỉnh các nội dung của ngành."
    )
    assert t["product"] == "Nghị quyết/Quyết định"
    assert t["lead"] == ["cac-so-nganh"] and t["lead_text"] == "Các Sở, ngành"
    assert t["cooperating"] == ["so-tu-phap"] and t["cooperating_text"] == "Sở Tư pháp"
    assert t["deadline"] == {
        "text": "Năm 2024",
        "kind": "year",
        "start": dt.date(2024, 1, 1),
        "due": dt.date(2024, 12, 31),
    }
    assert t["budget"] is None


def test_spot_page_break_task_joined(by_id):
    # "kiến" / "ngợi xử lý" across a page break, one row holding Hoạt động 1-4.
    for n in range(1, 5):
        t = by_id[f"I.1.2.{n}"]
        assert t["task"].startswith(
            "Tăng cường công tác kiểm tra phát hiện, đề xuất, kiến nghị xử lý và kịp thời"
        )
        assert t["task"].endswith("để kịp thời tham mưu xử lý văn bản sau rà soát.")
        assert t["deadline"]["text"] == "Năm 2024"
    assert by_id["I.1.2.4"]["activity"] == (
        "Thực hiện báo cáo kết quả hệ thống hóa văn bản QPPL kỳ 2019-2023 trên địa bàn tỉnh "
        "đảm bảo chất lượng, tiến độ theo quy định."
    )
    assert by_id["I.1.2.1"]["lead"] == ["so-tu-phap"]
    assert by_id["I.1.2.3"]["lead"] == ["cac-so-nganh", "ubnd-huyen"]


def test_spot_tasks_without_activity(by_id):
    no_activity = sorted(i for i, t in by_id.items() if t["activity"] is None)
    assert no_activity == ["II.4.1.0", "II.5.1.0", "II.6.1.0"]
    t = by_id["II.4.1.0"]
    assert t["product"] == (
        "Hồ sơ được giải quyết đúng và trước hạn, "
        "Công văn xin lỗi (trong trường hợp để xảy ra quá hạn)"
    )
    assert t["deadline"]["kind"] == "ongoing" and t["deadline"]["due"] is None
    assert by_id["II.5.1.0"]["deadline"] is None


def test_spot_iii_task_nine_renumbered(by_id):
    t = by_id["III.1.9.1"]
    assert (
        t["task"]
        == "Tăng cường thanh tra, kiểm tra công tác quản lý nhà nước về tổ chức bộ máy, biên chế."
    )
    assert t["lead"] == ["so-noi-vu"]
    assert "III.2.9.1" not in by_id


def test_spot_two_year_span(by_id):
    d = by_id["III.1.8.1"]["deadline"]
    assert d == {
        "text": "Giai đoạn 2024-2025",
        "kind": "year",
        "start": dt.date(2024, 1, 1),
        "due": dt.date(2025, 12, 31),
    }


def test_spot_quarters(by_id):
    assert by_id["IV.1.1.2"]["deadline"] == {
        "text": "Quý III, IV năm 2024",
        "kind": "quarter",
        "start": dt.date(2024, 7, 1),
        "due": dt.date(2024, 12, 31),
    }
    assert by_id["VII.4.3.1"]["deadline"] == {
        "text": "Quý II/2024 (Sau khi BCĐ CCHC của CP công bố kết quả)",
        "kind": "quarter",
        "start": dt.date(2024, 4, 1),
        "due": dt.date(2024, 6, 30),
    }


def test_spot_de_an_06(by_id):
    for n in (1, 2):
        t = by_id[f"VI.7.1.{n}"]
        assert t["lead"] == ["cong-an-tinh"]
        assert t["budget"] == "Theo quy định"
    assert by_id["VI.7.1.2"]["activity"] == "Đánh giá tiến độ, mức độ hoàn thành."


def test_spot_shifted_row_vii_3_2(by_id):
    t = by_id["VII.3.2.1"]
    assert t["cooperating"] == [] and t["cooperating_text"] is None
    assert t["deadline"]["text"] == "Tháng 03/2024 (Gửi KH về Sở Nội vụ)"
    assert t["deadline"]["due"] == dt.date(2024, 3, 31)


def test_spot_v_2_1_realigned(by_id):
    t = by_id["V.2.1.1"]
    assert t["goal"] == (
        "Tham mưu UBND tỉnh ban hành tiêu chuẩn, định mức và sắp xếp lại, xử lý xe ô tô công "
        "trên địa bàn tỉnh"
    )
    assert t["product"] == "Quyết định"
    assert t["lead"] == ["so-tai-chinh"]
    assert t["deadline"]["text"] == "Tháng 10/2024"


def test_spot_last_row(tasks, by_id):
    assert tasks[-1]["id"] == "VII.4.5.1"
    t = by_id["VII.4.5.1"]
    assert t["activity"] == "Lập dự trù kinh phí xác định Chỉ số CCHC."
    assert t["budget"] == "Theo dự toán được phê duyệt"
    assert t["deadline"]["due"] == dt.date(2024, 10, 31)


# ---------------------------------------------------------------- (d) main text and criteria links

CRITERIA_SETS = {
    f"bac-giang-2024-{k}": CRITERIA / "2024" / f"{k}.yaml" for k in ("so", "huyen", "xa")
}


def _codes(path: Path) -> set[str]:
    def walk(nodes):
        for n in nodes:
            yield n["code"]
            yield from walk(n.get("children", []))

    return set(walk(_load(path)["nodes"]))


def test_main_text_obligations_are_rows(main_text_tasks, all_tasks):
    by_id = {t["id"]: t for t in main_text_tasks}
    # after the appendix, never mixed into it
    assert [t["id"] for t in all_tasks[-len(main_text_tasks):]] == list(by_id)
    assert len(all_tasks) == EXPECTED_TOTAL + len(main_text_tasks) == 74 + 19
    for t in main_text_tasks:
        assert re.fullmatch(r"CV\.[IVX]+\.[\d.]+", t["id"]), t["id"]
        assert t["area"] == "CV" and t["lead"] and t["goal"] and t["task"]
        assert TASK_KEYS <= set(t) <= TASK_KEYS | OPTIONAL_KEYS
    # V.1.1: units by 15/01 ("trước" excludes the day), communes by 31/01
    assert by_id["CV.V.1.1.1"]["deadline"]["due"] == dt.date(2024, 1, 14)
    assert by_id["CV.V.1.1.2"]["deadline"]["due"] == dt.date(2024, 1, 30)
    assert by_id["CV.V.1.1.2"]["lead"] == ["ubnd-xa"]
    # V.1.4 improvement plan by 28/02; III.3 internal inspection plan in February
    assert by_id["CV.V.1.4.1"]["deadline"]["due"] == dt.date(2024, 2, 27)
    assert by_id["CV.III.3.1"]["deadline"]["due"] == dt.date(2024, 2, 29)
    # V.2.1 inspect at least 30 %; V.2.8 to V.2.15, one row at least per section
    assert "30%" in by_id["CV.V.2.1.1"]["activity"] and by_id["CV.V.2.1.1"]["lead"] == ["so-noi-vu"]
    for section in range(8, 16):
        assert any(i.startswith(f"CV.V.2.{section}.") for i in by_id), section


def test_main_text_and_appendix_deadlines_that_differ_are_noted(by_id):
    for appendix, main in (("VII.2.2.1", "CV.V.1.1.1"), ("VII.3.2.1", "CV.III.3.1")):
        assert main in by_id[appendix]["note"]
        assert by_id[appendix]["deadline"]["due"] > by_id[main]["deadline"]["due"]
        assert by_id[appendix]["criteria"] == by_id[main]["criteria"]


def test_criteria_links_name_real_leaves(all_tasks):
    codes = {k: _codes(p) for k, p in CRITERIA_SETS.items()}
    linked = 0
    for t in all_tasks:
        for set_id, wanted in (t.get("criteria") or {}).items():
            assert set_id in codes, f"{t['id']}: unknown criteria set {set_id}"
            assert wanted and len(wanted) == len(set(wanted)), t["id"]
            missing = set(wanted) - codes[set_id]
            assert not missing, f"{t['id']}: {set_id} has no criterion {sorted(missing)}"
            linked += 1
    assert linked >= 80
    # the measurable targets and the leaves that score them
    by_id = {t["id"]: t for t in all_tasks}
    assert by_id["II.6.1.0"]["criteria"]["bac-giang-2024-so"] == ["7.2.2", "7.2.5"]
    assert by_id["VI.2.1.1"]["criteria"]["bac-giang-2024-huyen"] == ["7.2.3", "7.2.4", "7.2.6"]
    assert by_id["CV.V.1.1.2"]["criteria"] == {"bac-giang-2024-huyen": ["1.1.3"], "bac-giang-2024-xa": ["1.1"]}
