"""Every page in English and in French at a projector's size and a laptop's (issue 12, "Show it works").

For each language and size the test opens every page of the sidebar (at the
projector's size it also presses the page's main button: the check, the
effects, the risk), takes a full-page screenshot into test-artifacts/, and checks what a reader sees: no
table cell or text showing ``None`` or ``nan``, no Python exception drawn on
the page, and on each map the label texts drawn do not overlap (the boxes the
browser drew, as in test_maps_browser).
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from browser.streamlit_page import act, choose_language, idle

pytestmark = pytest.mark.browser

SIZES = [(1280, 720), (1366, 768)]
LANGUAGES = {"en": "English", "fr": "Français"}
#: Words that are never a value: a missing number shown as Python or numpy writes it.
RAW = re.compile(r"(?<![\w-])(None|nan|NaN|inf)(?![\w-])")
#: The label texts each chart drew, with their boxes in CSS pixels.
_TEXTS = """
() => Array.from(document.querySelectorAll("[data-testid='stMain'] [data-testid='stPlotlyChart'] .js-plotly-plot"))
  .map((gd) => Array.from(gd.querySelectorAll(".scatterlayer .trace .textpoint text"))
    .filter((t) => t.textContent)
    .map((t) => { const r = t.getBoundingClientRect(); return {text: t.textContent, box: [r.left, r.top, r.right, r.bottom]}; }))
"""


def _disjoint(a, b, tol: float = 0.5) -> bool:
    return a[2] <= b[0] + tol or b[2] <= a[0] + tol or a[3] <= b[1] + tol or b[3] <= a[1] + tol


@pytest.mark.parametrize(("width", "height"), SIZES)
@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_every_page_reads_cleanly(page, app_url: str, artifacts: Path, lang: str, width: int, height: int) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size({"width": width, "height": height})
    page.goto(app_url)
    idle(page)
    choose_language(page, LANGUAGES[lang])
    labels = page.get_by_test_id("stSidebar").get_by_test_id("stRadio").locator("[role='radiogroup'] label")
    expect(labels.first).to_be_visible(timeout=60_000)
    names = [labels.nth(i).inner_text().strip() for i in range(labels.count())]
    assert len(names) >= 7, names  # Depot, Compliance, Effects, Risk, Scenarios, Siting, Calculator
    for i, name in enumerate(names):
        act(page, labels.nth(i).click)
        main = page.get_by_test_id("stMain")
        expect(main.get_by_role("heading").first).to_be_visible(timeout=120_000)
        primary = main.get_by_test_id("stBaseButton-primary")
        if width == SIZES[0][0] and primary.count() and primary.first.is_visible():  # at the projector's size,
            # the page's results too
            act(page, primary.first.click)
        shot = artifacts / f"page-{lang}-{width}x{height}-{i + 1}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert page.get_by_test_id("stException").count() == 0, (name, shot.name)
        # every table's text read at once: a count then reads one by one would race a redraw
        for text in main.locator("[data-testid='stTable'], [data-testid='stMarkdownContainer'] table").all_inner_texts():
            assert not RAW.search(text), (name, RAW.search(text).group(0), text[:300])
        for texts in page.evaluate(_TEXTS):
            for a, b in itertools.combinations(texts, 2):
                assert _disjoint(a["box"], b["box"]), (name, a, b)
