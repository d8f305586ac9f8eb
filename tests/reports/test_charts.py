"""The report charts: SVG text written from the numbers (well-formed, escaped, self-contained)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from par_index.reports.charts import area_chart, gap_chart, nice_ticks, ranking_chart, text_width

NS = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    assert root.get("role") == "img"
    return root


def _texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{NS}text")]


def _bars(root: ET.Element) -> list[tuple[float, float, str]]:
    """(x, width, fill) of every rectangle."""
    return [(float(r.get("x", "")), float(r.get("width", "")), r.get("fill", "")) for r in root.iter(f"{NS}rect")]


def test_area_chart_final_only() -> None:
    svg = area_chart(["1. Công tác chỉ đạo", "2. Cải cách thể chế"], [80.63, None], None)
    root = _parse(svg)
    assert root.get("width") == "518.4pt"
    assert root.get("height") == f"{(0.42 * 2 + 0.9) * 72:.2f}pt"
    texts = _texts(root)
    # labels, one value (the area without an index has none), ticks 0..100, the axis title
    assert texts == ["80,63", "1. Công tác chỉ đạo", "2. Cải cách thể chế", "0", "20", "40", "60", "80", "100",
                     "Chỉ số thành phần (%)"]
    bars = _bars(root)
    assert [b[2] for b in bars] == ["#1f4e79", "#1f4e79"]
    assert bars[1][1] == 0  # no index: an empty bar
    assert bars[0][1] > 0
    # nothing outside the chart: no ids, no links, no script, no date
    for bad in ("id=", "href", "<script", "url(", "Date"):
        assert bad not in svg


def test_area_chart_with_self_has_legend_and_pairs() -> None:
    root = _parse(area_chart(["1. A", "2. B"], [50.0, 100.0], [60.0, 100.0]))
    fills = [b[2] for b in _bars(root)]
    assert fills == ["#9dc3e6", "#9dc3e6", "#1f4e79", "#1f4e79", "#9dc3e6", "#1f4e79"]  # 2 self, 2 final, legend
    texts = _texts(root)
    assert texts[:2] == ["Tự đánh giá", "Kết quả cuối cùng"]
    assert "50,00" in texts and "100,00" in texts
    # the self bar of 60 is 1.2 times the final bar of 50
    widths = [b[1] for b in _bars(root)]
    assert abs(widths[0] / widths[2] - 1.2) < 0.01


def test_user_text_is_escaped_and_long_labels_shortened() -> None:
    svg = ranking_chart(["<script>alert(1)</script> & Sở", "Ủy ban nhân dân huyện có tên rất rất rất dài"],
                        [91.5, 72.25], ["Xuất sắc", "Khá"], [("Xuất sắc", 90.0), ("Tốt", 80.0), ("Khá", 70.0), ("Yếu", 0.0)])
    assert "<script>" not in svg
    root = _parse(svg)
    texts = _texts(root)
    assert "<script>alert(1)</script> & Sở" in texts
    assert "Ủy ban nhân dân huyện có tên rất …" in texts  # 33 characters and the ellipsis
    assert [t for t in texts if "≥" in t] == ["Xuất sắc ≥ 90,00", "Tốt ≥ 80,00", "Khá ≥ 70,00"]
    assert [b[2] for b in _bars(root)] == ["#1f7a4d", "#d9a520"]
    # the axis starts at 65 (5 below the lowest edge above 0 and the lowest value, floored to 5)
    assert [t for t in texts if t.isdigit()] == ["65", "70", "75", "80", "85", "90", "95", "100"]


def test_gap_chart_signs() -> None:
    root = _parse(gap_chart(["Sở A", "Sở B"], [0.75, -0.25]))
    assert [b[2] for b in _bars(root)] == ["#c0392b", "#4f9d69"]
    texts = _texts(root)
    assert texts[:2] == ["0,75", "-0,25"]
    assert [t for t in texts if t[:1].isdigit() or t[:1] == "-"][2:] == ["-0,2", "0", "0,2", "0,4", "0,6", "0,8"]


def test_same_numbers_same_bytes() -> None:
    a = ranking_chart(["A", "B"], [90.0, 80.0], ["Tốt", "Khá"], [("Tốt", 80.0), ("Khá", 70.0)])
    b = ranking_chart(["A", "B"], [90.0, 80.0], ["Tốt", "Khá"], [("Tốt", 80.0), ("Khá", 70.0)])
    assert a == b


def test_nice_ticks_and_widths() -> None:
    assert nice_ticks(0, 112) == [0, 20, 40, 60, 80, 100]  # step 20 for 9 bins at most
    assert nice_ticks(50, 104) == [50, 60, 70, 80, 90, 100]
    assert nice_ticks(-0.05, 0.975) == [0, 0.2, 0.4, 0.6, 0.8]
    assert nice_ticks(-1.925, 1.95) == [-1.5, -1, -0.5, 0, 0.5, 1, 1.5]
    # a letter with diacritics is as wide as its base letter; DejaVu Sans 'W' is 989/1000 em
    assert text_width("Ệ", 10) == text_width("E", 10) == 6.32
    assert text_width("W", 9) == 989 * 9 / 1000


def test_area_chart_pieces_kept_give_the_chart_drawn_anew() -> None:
    """Bars and value texts are drawn once per set of labels and kept: a chart made from kept
    pieces is the chart drawn from nothing; 0.0 and -0.0 (one key) keep their own texts."""
    from par_index.reports import charts

    labels = ["1. A", "2. B", "3. C"]
    cases = [([50.0, 100.0, 0.0], [60.0, 100.0, 0.0]), ([50.0, 75.5, -0.0], [50.0, 75.5, -0.0]), ([75.5, None, 12.25], [75.5, 3.0, None])]
    fresh = []
    for final, own in cases:
        charts._area_frame.cache_clear()
        fresh.append((area_chart(labels, final, own), area_chart(labels, final, None)))
    charts._area_frame.cache_clear()
    for _ in range(2):
        assert [(area_chart(labels, final, own), area_chart(labels, final, None)) for final, own in cases] == fresh
    assert ">0,00</text>" in fresh[0][1] and ">-0,00</text>" in fresh[1][1]
    assert len(charts._area_frame(tuple(labels), True).made) > 0


def _area_chart_drawn(labels: list[str], final: list[float | None], self_: list[float | None] | None) -> str:
    """The area chart drawn piece by piece with :class:`charts._Bars` (as before its rows' places
    were written once per frame): the reference of the fast path."""
    from par_index.reports import charts

    legend = self_ is not None
    frame = charts._area_frame(tuple(labels), legend)
    c = charts._Bars(*(frame.bars.height, frame.bars.x_lim, frame.bars.y_lim, frame.bars.left, frame.bars.top, frame.bars.bottom))
    h = 0.38 if legend else 0.6
    for y, v in enumerate(self_ or []):
        c.bar(y - h / 2, h, v or 0.0, charts.SELF_COLOR)
    for y, v in enumerate(final):
        c.bar(y + h / 2 if legend else y, h, v or 0.0, charts.FINAL_COLOR)
    if legend:
        c.parts.append(frame.legend)
    for y, v in enumerate(final):
        if v is not None:
            c.text(c.x(min(v, 100.0) + 1), c.y(y + (h / 2 if legend else 0)), charts._vn(v), 8.0)
    c.parts.append(frame.axes.removesuffix("</svg>"))
    return c.svg(charts.AREA_TITLE)


def test_area_chart_is_the_chart_drawn_piece_by_piece() -> None:
    """Each row's y and height are written once per frame, the svg head and axes once: the
    chart is the one :class:`_Bars` draws bar by bar (negative, zero, -0.0, above 100, missing)."""
    from par_index.reports import charts

    labels = ["1. Công tác chỉ đạo", "2. Cải cách <thể chế> & thủ tục", "3. C", "4. D"]
    cases = [([50.0, 100.0, 0.0, -12.5], [60.0, 100.0, 0.0, 3.0]), ([-0.0, 75.5, 104.25, None], [None, 75.5, -0.0, 0.004]),
             ([33.33, 66.67, 99.99, 0.01], None)]
    charts._area_frame.cache_clear()
    for _ in range(2):  # drawn, then from kept pieces
        for final, own in cases:
            assert area_chart(labels, final, own) == _area_chart_drawn(labels, final, own)
