"""Compliance and Effects in Arabic and in Chinese in a real browser (issue 14, "Show it works").

For each language the test opens the Compliance and the Effects pages, presses
the page's main button where it has one (the check; Effects computes as the
page opens), takes a full-page screenshot into test-artifacts/, and checks:

* the writing direction of the main container (and the sidebar) as the browser
  computed it: ``rtl`` in Arabic, ``ltr`` in Chinese;
* that no character on the page is drawn as a missing-glyph box.

The glyph check draws every distinct character of the page's visible text on a
canvas, in the very font (family list, weight, style) its element uses, and
compares the pixels with those of unassigned code points (U+0378, U+0379,
U+0380), which every font draws as its "missing glyph" box.  A character drawn
exactly as that box, or drawn as nothing while it is not a space or a format
character, has no font.  The browser falls back through the same fonts for a
canvas as for the page.  ``document.fonts.check()`` cannot do this: for a
system font (every font here, nothing is downloaded) it answers true whether or
not any installed font has the glyph.  ``test_glyph_check_sees_missing_fonts``
shows that the check fails where fonts lack the characters: a second chromium
that sees only the DejaVu fonts (fontconfig) draws Chinese as boxes, and the
check names each character.

The Chinese page must moreover be drawn in a Simplified Chinese face (Noto Sans
CJK SC, which the project's set-up installs): the fonts chromium reports for the
page's text (DevTools ``CSS.getPlatformFontsForNode``), not the Japanese forms
a fallback without a language would choose.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from browser.streamlit_page import act, choose_language, idle
from depotsafe.ui.i18n import LANGUAGES, catalog, direction

pytestmark = pytest.mark.browser

PAGES = ("Compliance", "Effects")

#: The distinct visible characters of the elements under each selector, per CSS font, with those drawn
#: as the missing-glyph box (or as nothing).  Returns {"fonts": {font: chars}, "missing": [[font, char]]}.
GLYPHS_JS = r"""
(selectors) => {
  const fonts = new Map();
  const skip = /[\p{Z}\p{Cc}\p{Cf}\s]/u;
  for (const sel of selectors) {
    for (const root of document.querySelectorAll(sel)) {
      const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      while (walk.nextNode()) {
        const node = walk.currentNode, el = node.parentElement;
        if (!el || el.closest("style, script, [data-testid='stIconMaterial']")) continue;
        const cs = getComputedStyle(el);
        if (cs.visibility === "hidden" || cs.display === "none" || !el.getClientRects().length) continue;
        if (/Material Symbols/i.test(cs.fontFamily)) continue;  // icon ligatures, not text
        const font = `${cs.fontStyle} ${cs.fontWeight} 40px ${cs.fontFamily}`;
        if (!fonts.has(font)) fonts.set(font, new Set());
        for (const ch of node.textContent) if (!skip.test(ch)) fonts.get(font).add(ch);
      }
    }
  }
  const canvas = document.createElement("canvas");
  canvas.width = 96; canvas.height = 64;
  const ctx = canvas.getContext("2d", {willReadFrequently: true});
  const draw = (font, ch) => {
    ctx.clearRect(0, 0, 96, 64);
    ctx.font = font; ctx.fillStyle = "#000"; ctx.textBaseline = "middle";
    ctx.fillText(ch, 8, 32);
    const a = ctx.getImageData(0, 0, 96, 64).data;
    let ink = 0, sig = [];
    for (let i = 3; i < a.length; i += 4) { ink += a[i]; sig.push(a[i]); }
    return {ink, sig: sig.join(",")};
  };
  const out = {fonts: {}, missing: [], tofu_ink: {}};
  for (const [font, chars] of fonts) {
    const boxes = new Set(["\u0378", "\u0379", "\u0380"].map((c) => draw(font, c).sig));
    out.tofu_ink[font] = draw(font, "\u0378").ink;
    out.fonts[font] = Array.from(chars).join("");
    for (const ch of chars) {
      const d = draw(font, ch);
      if (boxes.has(d.sig) || d.ink === 0) out.missing.push([font, ch]);
    }
  }
  return out;
}
"""


def _open_page(page, title: str) -> None:
    radio = page.get_by_test_id("stSidebar").get_by_test_id("stRadio")
    act(page, radio.locator("[role='radiogroup'] label").filter(has_text=title).first.click)


def _platform_fonts(page, selector: str) -> dict[str, int]:
    """The fonts chromium drew the text under ``selector`` with: family -> glyph count (DevTools)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    fonts: dict[str, int] = {}
    for node in cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": selector})["nodeIds"]:
        for f in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]:
            fonts[f["familyName"]] = fonts.get(f["familyName"], 0) + int(f["glyphCount"])
    cdp.detach()
    return fonts


def _missing_glyphs(page, selectors: list[str]) -> tuple[list[list[str]], dict[str, str]]:
    found = page.evaluate(GLYPHS_JS, selectors)
    return found["missing"], found["fonts"]


@pytest.mark.parametrize("lang", ["ar", "zh"])
def test_compliance_and_effects_read_in_arabic_and_chinese(page, app_url: str, artifacts: Path, lang: str) -> None:
    from playwright.sync_api import expect

    words = catalog(lang)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(app_url)
    idle(page)
    choose_language(page, LANGUAGES[lang])
    for english in PAGES:
        title = words[english]
        _open_page(page, title)
        main = page.get_by_test_id("stMain")
        expect(main.get_by_role("heading", name=title).first).to_be_visible(timeout=120_000)
        primary = main.get_by_test_id("stBaseButton-primary")
        if english == "Compliance":
            expect(primary.first).to_be_visible(timeout=60_000)
            act(page, primary.first.click)
            # the check's own result, drawn by this run (not an element of the page before, marked stale)
            expect(main.locator("[data-testid='stElementContainer'][data-stale='false'] [data-testid='stMetric']",
                                has_text=words["Violations"]).first).to_be_visible(timeout=300_000)
        idle(page)
        expect(main.locator("[data-stale='true']")).to_have_count(0, timeout=120_000)
        # the page's results: a table (Streamlit's, or the right-to-left HTML table in Arabic)
        expect(main.locator("[data-testid='stTable'], table.ds-rtl, [data-testid='stDataFrame']").first
               ).to_be_visible(timeout=120_000)
        shot = artifacts / f"lang-{lang}-{english.lower()}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert page.get_by_test_id("stException").count() == 0, (english, shot.name)

        dirs = page.evaluate("""() => ["stMain", "stSidebar"].map((t) =>
            getComputedStyle(document.querySelector(`[data-testid='${t}']`)).direction)""")
        assert dirs == [direction(lang)] * 2, (english, dirs)
        assert direction(lang) == {"ar": "rtl", "zh": "ltr"}[lang]

        missing, fonts = _missing_glyphs(page, ["[data-testid='stMain']", "[data-testid='stSidebar']"])
        text = "".join(fonts.values())
        lo, hi = {"ar": ("\u0600", "\u06ff"), "zh": ("\u4e00", "\u9fff")}[lang]
        assert sum(lo <= c <= hi for c in text) >= 20, (english, text[:200])  # the page's own script is checked
        assert not missing, (english, shot.name, missing[:20])

        used = _platform_fonts(page, "[data-testid='stMain'] h1, [data-testid='stMain'] p")
        if lang == "zh":
            # Simplified Chinese forms: the SC face of Noto Sans CJK, named first in the app's font stack
            assert any("CJK SC" in f for f in used), (english, used)
            assert not any("CJK JP" in f for f in used), (english, used)
        else:
            assert any("Arabic" in f or "Amiri" in f for f in used), (english, used)
        if lang == "zh":
            # the map's legend and labels (plotly's SVG text) in the same Simplified Chinese face
            drawn = _platform_fonts(page, "[data-testid='stMain'] [data-testid='stPlotlyChart'] .legendtext")
            assert any("CJK SC" in f for f in drawn), (english, drawn)
            assert not any("CJK JP" in f for f in drawn), (english, drawn)


def _dejavu_only(tmp_path: Path) -> Path:
    """A fontconfig configuration that sees only the DejaVu fonts (no CJK)."""
    conf = tmp_path / "fonts.conf"
    cache = tmp_path / "fc-cache"
    cache.mkdir()
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        "<dir>/usr/share/fonts/truetype/dejavu</dir>"
        f"<cachedir>{cache}</cachedir></fontconfig>",
        encoding="utf-8",
    )
    return conf


def test_glyph_check_sees_missing_fonts(playwright, browser_type_launch_args: dict, tmp_path: Path) -> None:
    """The check above names every character no font draws, and only those."""
    if not Path("/usr/share/fonts/truetype/dejavu").is_dir():
        pytest.skip("fonts-dejavu-core is not installed")
    html = ('<main id="m" style="font-family: \'Source Sans\', sans-serif">depotsafe: '
            "\u5408\u89c4\u68c0\u67e5 \u0627\u0644\u0627\u0645\u062a\u062b\u0627\u0644 479 m</main>")
    han = set("\u5408\u89c4\u68c0\u67e5")
    env = {**os.environ, "FONTCONFIG_FILE": str(_dejavu_only(tmp_path))}
    poor = playwright.chromium.launch(**browser_type_launch_args, env=env)
    rich = playwright.chromium.launch(**browser_type_launch_args)
    try:
        found = {}
        for name, browser in (("dejavu only", poor), ("system fonts", rich)):
            page = browser.new_page()
            page.set_content(html)
            missing, _fonts = _missing_glyphs(page, ["#m"])
            found[name] = {ch for _f, ch in missing}
            page.close()
    finally:
        poor.close()
        rich.close()
    # DejaVu has Latin and Arabic but no Han: exactly the four Chinese characters are boxes
    assert found["dejavu only"] == han, found
    assert found["system fonts"] == set(), found
