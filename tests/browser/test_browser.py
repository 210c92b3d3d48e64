"""The app as its users use it: a real browser against ``streamlit run``.

Opens the app, runs the compliance check on the sample depot, reads the
number of violations off the page, switches to Effects for a storehouse and
sees the zones table.  Screenshots and the click-to-result time go to
test-artifacts/.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from browser.streamlit_page import act, idle, upload

pytestmark = pytest.mark.browser


def _goto_page(page, name: str) -> None:
    from playwright.sync_api import expect

    label = page.get_by_test_id("stSidebar").get_by_text(name, exact=True)
    expect(label).to_be_visible(timeout=120_000)  # a loaded machine draws the sidebar late
    act(page, label.click)


def test_check_then_effects(page, app_url: str, artifacts: Path) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(app_url)
    idle(page)
    expect(page.get_by_role("heading", name="Depot", exact=True)).to_be_visible(timeout=60_000)
    # the map draws offline: plotly ships inside streamlit, no tiles are fetched
    expect(page.locator("[data-testid='stPlotlyChart'] .main-svg").first).to_be_visible(timeout=60_000)
    expect(page.locator("[data-testid='stPlotlyChart'] .legendtext", has_text="igloo_7bar").first).to_be_visible()
    page.screenshot(path=str(artifacts / "01-depot.png"), full_page=True)

    _goto_page(page, "Compliance")
    button = page.get_by_role("button", name="Run the compliance check")
    expect(button).to_be_visible()
    t0 = time.perf_counter()
    button.click()
    metric = page.get_by_test_id("stMetric").filter(has_text="Violations")
    expect(metric).to_be_visible(timeout=120_000)
    elapsed = time.perf_counter() - t0
    idle(page)
    value = metric.get_by_test_id("stMetricValue").inner_text()
    violations = int(re.sub(r"\D", "", value))
    assert violations > 0  # the sample depot is built with violations (data/samples/README.md)
    expect(page.get_by_text("The depot does not comply.")).to_be_visible()
    expect(page.locator("[data-testid='stPlotlyChart'] .legendtext", has_text="violating pair").first).to_be_visible()
    page.screenshot(path=str(artifacts / "02-compliance.png"), full_page=True)
    (artifacts / "browser-timing.json").write_text(
        json.dumps({"sample_depot_click_to_result_s": elapsed, "violations": violations}, indent=1)
    )

    _goto_page(page, "Effects")
    import importlib.util

    if importlib.util.find_spec("depotsafe.effects") is None:  # engine piece not installed
        expect(page.get_by_text("Not available in this version of depotsafe: explosion effects.")).to_be_visible()
        return
    expect(page.get_by_role("heading", name="Zones", exact=True)).to_be_visible(timeout=60_000)
    zones = page.get_by_test_id("stTable").first
    expect(zones).to_be_visible()
    expect(page.locator("[data-testid='stPlotlyChart'] .main-svg").first).to_be_visible(timeout=60_000)
    page.screenshot(path=str(artifacts / "03-effects.png"), full_page=True)


def test_bad_upload_keeps_the_depot(page, app_url: str, artifacts: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page.goto(app_url)
    idle(page)
    page.get_by_text("Load a depot").click()
    bad = tmp_path / "broken.geojson"
    bad.write_text("{ this is not json")
    upload(page, page.get_by_test_id("stFileUploader").first, bad)
    act(page, page.get_by_role("button", name="Load the uploaded files").click)
    expect(page.get_by_text("The file was not loaded")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("not JSON")).to_be_visible()
    expect(page.get_by_text("sample_depot.geojson: 20 sites")).to_be_visible()
    page.screenshot(path=str(artifacts / "04-bad-upload.png"), full_page=True)


def test_several_sessions_at_once(browser, app_url: str, artifacts: Path) -> None:
    """Three browser sessions run the check at the same time; none crashes."""
    from playwright.sync_api import expect

    contexts = [browser.new_context() for _ in range(3)]
    pages = [c.new_page() for c in contexts]
    try:
        for page in pages:
            page.goto(app_url)
        for page in pages:
            idle(page)
            _goto_page(page, "Compliance")
        for page in pages:  # click all before waiting for any
            page.get_by_role("button", name="Run the compliance check").click()
        values = []
        for page in pages:
            metric = page.get_by_test_id("stMetric").filter(has_text="Violations")
            expect(metric).to_be_visible(timeout=120_000)
            values.append(metric.get_by_test_id("stMetricValue").inner_text())
        assert len(set(values)) == 1
        for page in pages:
            expect(page.get_by_test_id("stException")).to_have_count(0)
        pages[-1].screenshot(path=str(artifacts / "05-three-sessions.png"))
    finally:
        for c in contexts:
            c.close()


def test_click_to_result_on_a_synthetic_depot(page, app_url: str, artifacts: Path) -> None:
    """Time from the click on the check to the result, after warm-up.

    Size from DEPOTSAFE_MEASURE_SITES (default 1000; the issue asks for
    10,000 as well: set it to 10000 to measure that).
    """
    import os

    from playwright.sync_api import expect

    n = int(os.environ.get("DEPOTSAFE_MEASURE_SITES", "1000"))
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(app_url)
    idle(page)
    page.get_by_text("Load a depot").click()
    sites = page.get_by_label("Sites")
    sites.fill(str(n))
    sites.press("Enter")
    idle(page)
    act(page, page.get_by_role("button", name="Generate a synthetic depot").click)
    expect(page.get_by_text(f"Generated a synthetic depot of {n} sites.")).to_be_visible(timeout=120_000)
    expect(page.locator("[data-testid='stPlotlyChart'] .main-svg").first).to_be_visible(timeout=120_000)
    _goto_page(page, "Compliance")
    timings = []
    for _ in range(2):  # the first check of a new depot, then the same again
        t0 = time.perf_counter()
        page.get_by_role("button", name="Run the compliance check").click()
        # the metric of the previous run stays on the page, marked stale, until replaced
        metric = page.locator("[data-testid='stElementContainer'][data-stale='false'] [data-testid='stMetric']",
                              has_text="Violations")
        page.wait_for_selector("[data-testid='stApp'][data-test-script-state='running']", timeout=10_000)
        expect(metric).to_be_visible(timeout=600_000)
        elapsed = time.perf_counter() - t0
        idle(page)
        engine_s = float(page.get_by_test_id("stMetric").filter(has_text="Check time")
                         .get_by_test_id("stMetricValue").inner_text().split()[0])
        timings.append({"click_to_result_s": elapsed, "engine_check_s": engine_s})
    violations = int(re.sub(r"\D", "", metric.get_by_test_id("stMetricValue").inner_text()))
    page.screenshot(path=str(artifacts / f"06-synthetic-{n}.png"))
    (artifacts / f"browser-timing-synthetic-{n}.json").write_text(json.dumps(
        {"sites": n, "runs": timings, "violations": violations}, indent=1))
    assert violations > 0  # the synthetic depot has deliberate violations


def _sample_violations() -> int:
    from depotsafe.check import check_depot
    from depotsafe.ui import model

    fc, rows = model.split_stock(json.loads(model.sample_layout_bytes()))
    return check_depot(model.build_depot(fc, rows)).n_violations


def _hostile_files(tmp_path: Path) -> dict[str, Path]:
    """The nested and the huge-number layouts of issue 16 item 8."""
    from depotsafe.ui import model

    nested = tmp_path / "nested.geojson"
    nested.write_text('{"type": "FeatureCollection", "features": ' + "[" * 100_000 + "]" * 100_000 + "}")
    fc = json.loads(model.sample_layout_bytes())
    fc["features"][0]["properties"]["persons"] = 10**400
    huge = tmp_path / "huge-number.geojson"
    huge.write_text(json.dumps(fc))
    return {"nested": nested, "huge": huge}


@pytest.mark.parametrize("which", ["nested", "huge"])
def test_hostile_upload_while_another_session_checks(browser, app_url: str, artifacts: Path,
                                                     tmp_path: Path, which: str) -> None:
    """A nested or huge-number upload ends in a message naming the file, the
    depot stays, and a second session gets the sample depot's check answer
    while the first one's upload is being handled."""
    from playwright.sync_api import expect

    path = _hostile_files(tmp_path)[which]
    want = _sample_violations()
    first, second = browser.new_context(), browser.new_context()
    try:
        a, b = first.new_page(), second.new_page()
        a.set_viewport_size({"width": 1400, "height": 1000})
        a.goto(app_url)
        b.goto(app_url)
        idle(a)
        idle(b)
        _goto_page(b, "Compliance")
        a.get_by_text("Load a depot").click()
        upload(a, a.get_by_test_id("stFileUploader").first, path)
        a.get_by_role("button", name="Load the uploaded files").click()
        b.get_by_role("button", name="Run the compliance check").click()  # while a's upload is read
        metric = b.get_by_test_id("stMetric").filter(has_text="Violations")
        expect(metric).to_be_visible(timeout=120_000)
        expect(a.get_by_text("The file was not loaded")).to_be_visible(timeout=60_000)
        idle(a)
        idle(b)
        assert int(re.sub(r"\D", "", metric.get_by_test_id("stMetricValue").inner_text())) == want
        message = a.get_by_test_id("stAlertContentError").filter(has_text="The file was not loaded")
        text = message.inner_text()
        assert "Traceback" not in text
        assert "/tmp" not in text
        expect(a.get_by_text("sample_depot.geojson: 20 sites")).to_be_visible()
        expect(a.get_by_test_id("stException")).to_have_count(0)
        expect(b.get_by_test_id("stException")).to_have_count(0)
        a.screenshot(path=str(artifacts / f"07-hostile-{which}.png"), full_page=True)
        # the first session still works: its (kept) depot is checked as before
        _goto_page(a, "Compliance")
        a.get_by_role("button", name="Run the compliance check").click()
        metric_a = a.get_by_test_id("stMetric").filter(has_text="Violations")
        expect(metric_a).to_be_visible(timeout=120_000)
        idle(a)
        assert int(re.sub(r"\D", "", metric_a.get_by_test_id("stMetricValue").inner_text())) == want
    finally:
        first.close()
        second.close()


def test_reload_keeps_the_uploaded_depot_and_its_name(page, app_url: str, artifacts: Path, tmp_path: Path) -> None:
    """Issue 12 item 6: a browser reload reopens the depot worked on (the workspace), and the
    sidebar names it as uploaded; the uploader states depotsafe's own limit."""
    from playwright.sync_api import expect

    from depotsafe.ui import model

    page.goto(app_url)
    idle(page)
    page.get_by_text("Load a depot").click()
    uploader = page.get_by_test_id("stFileUploader").first
    expect(uploader).to_contain_text("25")  # Streamlit's own line gives the widget's limit, not 200 MB
    expect(uploader).not_to_contain_text("200")
    fc = json.loads(model.sample_layout_bytes())
    fc["features"] = fc["features"][:12]
    path = tmp_path / "north depot.geojson"
    path.write_text(json.dumps(fc))
    upload(page, uploader, path)
    act(page, page.get_by_role("button", name="Load the uploaded files").click)
    expect(page.get_by_text("north depot.geojson: 12 sites")).to_be_visible(timeout=60_000)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Depot: north depot.geojson")).to_be_visible()
    page.reload()
    idle(page)
    expect(page.get_by_text("north depot.geojson: 12 sites")).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("stSidebar").get_by_text("Depot: north depot.geojson")).to_be_visible()
    page.screenshot(path=str(artifacts / "08-reload-keeps-the-depot.png"), full_page=True)


def test_upload_a_zipped_shapefile(page, app_url: str, artifacts: Path, tmp_path: Path, depotsafe_json) -> None:
    """Issue 15 item 1: the uploader takes a Shapefile as a zip (sites and routes, two Shapefiles);
    the check on the page finds the violations ``depotsafe check --layer sites --layer routes`` finds."""
    import zipfile

    from playwright.sync_api import expect

    from test_gisio import POLYS, ROUTES, write

    folder = tmp_path / "shp"
    folder.mkdir()
    write(folder / "sites.shp", POLYS, "ESRI Shapefile")
    write(folder / "routes.shp", ROUTES, "ESRI Shapefile")
    want = depotsafe_json("check", str(folder / "sites.shp"), "--layer", "sites", "--layer", "routes")
    path = tmp_path / "depot shapefile.zip"
    with zipfile.ZipFile(path, "w") as z:
        for f in sorted(folder.iterdir()):
            z.write(f, f.name)

    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(app_url)
    idle(page)
    page.get_by_text("Load a depot").click()
    upload(page, page.get_by_test_id("stFileUploader").first, path)
    act(page, page.get_by_role("button", name="Load the uploaded files").click)
    expect(page.get_by_text(f"depot shapefile.zip: {len(POLYS) + len(ROUTES)} sites")).to_be_visible(timeout=60_000)
    _goto_page(page, "Compliance")
    act(page, page.get_by_role("button", name="Run the compliance check").click)
    metric = page.get_by_test_id("stMetric").filter(has_text="Violations")
    expect(metric).to_be_visible(timeout=180_000)
    assert int(re.sub(r"\D", "", metric.get_by_test_id("stMetricValue").inner_text())) == len(want["violations"])
    expect(page.get_by_test_id("stException")).to_have_count(0)
    page.screenshot(path=str(artifacts / "09-zipped-shapefile.png"), full_page=True)
