"""Screenshots of every page for docs/web.md (not a test): ``python tests/web/make_screenshots.py docs/web``.

Starts the server on the seeded Bắc Giang example (as the tests do), logs in as each role,
moves one unit through a round so the appraisal pages have something to show, and writes one
PNG per page at 1366×768, reduced to a 64-colour palette to keep the files small.
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

from PIL import Image
from web_harness import XSS_UNIT, Browser, make_db, make_driver, start_site, stop_site

SHOTS = [
    ("xem", "/login", "dang-nhap"),
    ("so-noi-vu", "/units/so-noi-vu", "don-vi-phieu-tu-danh-gia"),
    ("so-noi-vu", "/units/so-noi-vu/submit", "don-vi-nop-phieu"),
    ("so-cong-thuong", "/units/so-cong-thuong/appraisal", "don-vi-tham-dinh-giai-trinh"),
    ("stp-kiem-chung", "/agency", "co-quan-tai-lieu-kiem-chung"),
    ("tham-dinh", "/appraisal", "tham-dinh-hang-cho"),
    ("tham-dinh", "/appraisal/units/so-cong-thuong", "tham-dinh-don-vi"),
    ("tham-dinh", "/appraisal/survey", "tham-dinh-dieu-tra"),
    ("tham-dinh", "/ranking", "xep-hang"),
    ("tham-dinh", "/appraisal/publish", "cong-bo"),
    ("tham-dinh", "/reports", "bao-cao"),
    ("quan-tri", "/admin/accounts", "quan-tri-tai-khoan"),
    ("quan-tri", "/admin/calendar", "quan-tri-lich"),
    ("quan-tri", "/admin/criteria", "quan-tri-bo-tieu-chi"),
    ("quan-tri", "/admin/audit", "quan-tri-nhat-ky"),
    ("xem", "/results", "nguoi-xem-ket-qua"),
    ("so-noi-vu", "/units/so-tu-phap", "loi-403"),
]


def small_png(png: bytes) -> bytes:
    img = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="par-index-shots-") as tmp:
        folder = Path(tmp)
        (folder / "seed").mkdir()
        db = make_db(folder / "seed", XSS_UNIT)
        site = start_site(folder, db)
        driver = make_driver()
        try:
            b = Browser(driver, site, folder)
            # so-cong-thuong through round 1 so the appraisal pages have content
            b.login("so-cong-thuong")
            b.visit("/units/so-cong-thuong/submit", check=False)
            b.css("form.confirm button[type=submit]").click()
            b.login("tham-dinh")
            b.visit("/appraisal/units/so-cong-thuong", check=False)
            driver.find_element("css selector", "#move-state option[value='appraisal1']").click()
            b.css("#move-state").submit()
            current = None
            for login, path, name in SHOTS:
                if login != current:
                    b.login(login)
                    current = login
                driver.get(site.url + path)
                (out / f"{name}.png").write_bytes(small_png(driver.get_screenshot_as_png()))
                print(f"{name}.png")
        finally:
            driver.quit()
            stop_site(site)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/web"))
