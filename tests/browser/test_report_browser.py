"""The depot safety report downloaded from the app's Compliance page (issue 13).

Runs the check on the sample depot, asks for the report and licences, takes
the PDF through the browser's own download, and reads its text with pypdf:
the violation count and every violation of ``depotsafe check --json`` (its
storehouse, its exposed site, the distance kept and the distance required)
are in it; so are the limits of the check in the licence of one storehouse.  A screenshot goes to test-artifacts/.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from browser.streamlit_page import act, idle

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "samples" / "sample_depot.geojson"


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(p.extract_text() for p in PdfReader(str(path)).pages)


def _section(text: str, start: str, end: str) -> str:
    i = text.index(start)
    return text[i:text.index(end, i)]


def _rows(section: str) -> list[str]:
    """The table rows of a section, one per V-number, whitespace made single spaces."""
    flat = " ".join(section.split())
    parts = re.split(r"(?=\bV\d+ )", flat)
    return [p for p in parts if re.match(r"V\d+ ", p)]


def _word(token: str, text: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(token)}(?![\w-])", text) is not None


def test_download_the_report(page, app_url: str, artifacts: Path, tmp_path: Path, depotsafe_json) -> None:
    from playwright.sync_api import expect

    check = depotsafe_json("check", str(SAMPLE))
    violations = check["violations"]
    assert len(violations) == check["summary"]["violations"] > 0

    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(app_url)
    idle(page)
    act(page, page.get_by_test_id("stSidebar").get_by_text("Compliance", exact=True).click)
    page.get_by_role("button", name="Run the compliance check").click()
    metric = page.get_by_test_id("stMetric").filter(has_text="Violations")
    expect(metric).to_be_visible(timeout=180_000)
    idle(page)
    assert int(re.sub(r"\D", "", metric.get_by_test_id("stMetricValue").inner_text())) == len(violations)

    act(page, page.get_by_role("button", name="Prepare the report and licences").click)
    button = page.get_by_test_id("stDownloadButton").filter(has_text="Report (PDF)")
    expect(button).to_be_visible(timeout=300_000)
    idle(page)
    button.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "report-download.png"), full_page=True)
    with page.expect_download(timeout=120_000) as info:
        button.get_by_role("button").click()
    download = info.value
    assert download.suggested_filename == "depot_report.pdf"
    pdf = tmp_path / "depot_report.pdf"
    download.save_as(pdf)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    (artifacts / "depot_report.pdf").write_bytes(pdf.read_bytes())

    text = _pdf_text(pdf)
    flat = " ".join(text.split())
    assert "NOT COMPLIANT" in flat
    assert f"Violations {len(violations)}" in flat
    rows = _rows(_section(text, "2. Violations", "3. Aggregation"))
    assert len(rows) == len(violations), rows
    matched = set()
    for v in violations:
        kept = f"{math.floor(v['distance_m'] * 10 + 1e-9) / 10:,.1f} m"  # measured: down to 0.1 m
        required = f"{math.ceil(v['required_distance_m'] - 1e-9):,} m"  # required: up to the metre
        hits = [i for i, r in enumerate(rows)
                if (_word(v["pes"], r.split(" ", 2)[1]) or f"nearest member {v['pes']})" in r)
                and _word(v["es"], r) and _word(v["hd"], r) and kept in r and required in r]
        assert len(hits) == 1, (v["pes"], v["es"], kept, required, rows)
        matched.add(hits[0])
    assert len(matched) == len(violations)

    # one licence: the storehouse the page offers first, with the check's limits per hazard division
    site = page.get_by_test_id("stSelectbox").filter(has_text="Licence of").locator("input").input_value()
    if not site:
        site = page.get_by_test_id("stSelectbox").filter(has_text="Licence of").inner_text().splitlines()[-1]
    licence = page.get_by_test_id("stDownloadButton").filter(has_text="Licence (PDF)")
    with page.expect_download(timeout=120_000) as info:
        licence.get_by_role("button").click()
    assert info.value.suggested_filename == f"licence_{site}.pdf"
    lic = tmp_path / "licence.pdf"
    info.value.save_as(lic)
    lic_text = " ".join(_pdf_text(lic).split())
    entry = next(s for s in check["sites"] if s["id"] == site)
    assert _word(site, lic_text)
    for hd, limit in entry["licence_limit_kg"].items():
        if limit is not None and limit > 0:  # a limit is rounded down to the kilogram
            assert f"{math.floor(limit + 1e-9):,} kg" in lic_text, (hd, limit)
        if entry["limiting_es"][hd] is not None:
            assert _word(entry["limiting_es"][hd], lic_text), hd
    expect(page.get_by_test_id("stException")).to_have_count(0)
