"""A saved scenario stepped through in the app, as a trainer does in class (issue 11).

Opens a library scenario file through the Scenarios page's uploader, reveals
the trainer's question before each step, steps with Next and back with
Previous, and takes a screenshot of each step (test-artifacts/).  What each
step shows is checked against the engine through the installed command
(``depotsafe scenario --load FILE --json``): the number of steps, the
storehouses that go at each step, the initiating event, the emergency
withdrawal distance and the storehouses inside its ring.  Class mode's large
map is drawn once at a projector's 1280x720.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from browser.streamlit_page import act, idle, upload

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "data" / "scenarios"
#: The withdrawal sentence of a step (the "First response" alert), its distance captured.
WITHDRAW = re.compile(r"withdraw non-essential personnel to ([\d.,\s\u00a0\u202f]+?)\s*m\b")
#: What the withdrawal ring holds: buildings, roads, storehouses, persons.
INSIDE = re.compile(r"Inside: buildings (.*?); roads to close (.*?); storehouses (.*?); ([\d.,]+) person")
#: Read off the first chart: the plot's height in CSS pixels and the layout's font size.
_CHART = """
() => {
  const gd = document.querySelector("[data-testid='stPlotlyChart'] .js-plotly-plot");
  return {plot_h: gd._fullLayout.yaxis._length, font: gd._fullLayout.font.size,
          legend_font: gd._fullLayout.legend.font.size};
}
"""


def _open_scenario(page, app_url: str, path: Path, doc: dict) -> None:
    from playwright.sync_api import expect

    page.goto(app_url)
    idle(page)
    act(page, page.get_by_test_id("stSidebar").get_by_text("Scenarios", exact=True).click)
    expect(page.get_by_role("heading", name="Scenarios", exact=True)).to_be_visible(timeout=120_000)
    page.get_by_text("Open or save a scenario file").click()
    uploader = page.get_by_test_id("stFileUploader").filter(has_text="Open a scenario file")
    # a long name is shortened on the page; its remove button names it whole
    upload(page, uploader, path, received=lambda: expect(uploader.get_by_role("button", name=f"Remove {path.name}"))
           .to_be_visible(timeout=15_000))
    expect(page.get_by_text(f"Scenario file: {doc['title']}")).to_be_visible(timeout=120_000)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def _step_heading(step: dict) -> str:
    who = step["site"] if len(step["members"]) == 1 else "+".join(step["members"])
    return f"Step {step['step']}: {step['event_text']} at {who}"


def _check_step(page, step: dict) -> None:
    """The page shows this step of the engine's chain: who goes, and the withdrawal ring."""
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", name=_step_heading(step), exact=True)).to_be_visible(timeout=120_000)
    idle(page)
    alert = page.get_by_test_id("stAlertContentError").filter(has_text="First response")
    expect(alert).to_have_count(1)
    text = " ".join(alert.inner_text().split())
    found = WITHDRAW.search(text)
    assert found is not None, text
    shown_m = int(re.sub(r"\D", "", found.group(1)))
    w = step["withdrawal"]
    assert shown_m == math.ceil(w["radius_m"]), (text, w["radius_m"])  # a required distance: rounded up
    assert f"HD {w['hd']}" in text, text
    inside = INSIDE.search(text)
    assert inside is not None, text
    for i, key in enumerate(("buildings", "roads", "storehouses"), start=1):
        listed = inside.group(i).strip()
        shown = set() if listed in ("–", "-", "—") else {s.strip() for s in listed.split(",")}
        assert shown == set(w["inside"][key]), (key, text)
    assert float(re.sub(r"[^\d.]", "", inside.group(4))) == pytest.approx(w["inside"]["persons"], abs=0.5), text
    # every storehouse that goes at this step is named on the page, on its map as in its heading
    for m in step["members"]:
        assert m in _step_heading(step)
    expect(page.locator("[data-testid='stPlotlyChart'] .main-svg").first).to_be_visible(timeout=120_000)


def _questions(doc: dict) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for q in doc["questions"]:
        out.setdefault(int(q["step"]), []).append(q["text"])
    return out


@pytest.mark.parametrize("name", ["training_chain", "sample_depot_bs1"])
def test_step_through_a_saved_scenario(page, app_url: str, artifacts: Path, depotsafe_json, name: str) -> None:
    from playwright.sync_api import expect

    path = SCENARIOS / f"{name}.json"
    doc = json.loads(path.read_text())
    engine = depotsafe_json("scenario", "--load", str(path), ok=(0,))
    steps = engine["steps"]
    n = len(steps)
    assert n == engine["totals"]["steps"] >= 1
    questions = _questions(doc)

    page.set_viewport_size({"width": 1400, "height": 1000})
    _open_scenario(page, app_url, path, doc)
    # the timeline names every step's storehouse, in order
    timeline = " → ".join(f"{s['step']}. {s['site']}" for s in steps)
    expect(page.get_by_text(timeline, exact=True).first).to_be_visible()
    nxt = page.get_by_role("button", name="Next ▶")
    prev = page.get_by_role("button", name="◀ Previous")

    for step in steps:
        k = step["step"]
        for q in questions.get(k, []):  # the trainer's question comes first; the step stays hidden
            shown = page.get_by_test_id("stMarkdownContainer").get_by_text(q, exact=True)
            expect(shown).to_be_visible(timeout=60_000)
        if k in questions:
            expect(page.get_by_role("heading", name=_step_heading(step))).to_have_count(0)
            page.screenshot(path=str(artifacts / f"scenario-{name}-step{k}-question.png"), full_page=True)
            act(page, page.get_by_role("button", name=f"Reveal step {k}").click)
        _check_step(page, step)
        page.screenshot(path=str(artifacts / f"scenario-{name}-step{k}.png"), full_page=True)
        if k < n:
            expect(nxt).to_be_enabled()
            act(page, nxt.click)
    # the last step is the engine's last: there is no next one
    expect(nxt).to_be_disabled()
    totals = page.get_by_text(f"{n} step(s); storehouses {', '.join(engine['totals']['storehouses_involved'])};")
    expect(totals).to_be_visible()
    # and back with Previous: each step shows again, already revealed
    for step in reversed(steps[:-1]):
        expect(prev).to_be_enabled()
        act(page, prev.click)
        _check_step(page, step)
    expect(prev).to_be_disabled()
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_class_mode_large_map(page, app_url: str, artifacts: Path, depotsafe_json) -> None:
    """Class mode at a projector's 1280x720: the large map, its big labels, the same first step."""
    from playwright.sync_api import expect

    from depotsafe.ui.page_scenario import CLASS_MAP_PX

    path = SCENARIOS / "training_chain.json"
    doc = json.loads(path.read_text())
    engine = depotsafe_json("scenario", "--load", str(path), ok=(0,))
    first = engine["steps"][0]

    page.set_viewport_size({"width": 1280, "height": 720})
    _open_scenario(page, app_url, path, doc)
    if 1 in _questions(doc):
        act(page, page.get_by_role("button", name="Reveal step 1").click)
    _check_step(page, first)
    before = page.evaluate(_CHART)
    act(page, page.get_by_test_id("stCheckbox").filter(has_text="Class mode").click)
    _check_step(page, first)
    chart = page.locator("[data-testid='stPlotlyChart']").first
    expect(chart.locator(".legend")).to_be_visible(timeout=60_000)
    page.wait_for_function(
        "(h) => { const gd = document.querySelector(\"[data-testid='stPlotlyChart'] .js-plotly-plot\");"
        " return gd && gd._fullLayout && gd._fullLayout.yaxis._length === h; }",
        arg=CLASS_MAP_PX, timeout=60_000)
    after = page.evaluate(_CHART)
    assert after["plot_h"] == pytest.approx(CLASS_MAP_PX, abs=1)
    assert after["plot_h"] > before["plot_h"]
    assert after["font"] > before["font"]
    chart.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "scenario-class-mode-1280x720.png"))
    page.screenshot(path=str(artifacts / "scenario-class-mode-1280x720-full.png"), full_page=True)
    expect(page.get_by_test_id("stException")).to_have_count(0)
