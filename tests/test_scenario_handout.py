"""The trainer's one-page hand-out (issue 11 item 5): ``depotsafe scenario --handout`` through the installed
command, HTML and PDF, in the six languages, and from the Scenarios page.

The figures on the page are checked against ``depotsafe scenario --json`` of the same scenario (the
engine's numbers, written as the language writes them); the map against its stated scale (the
withdrawal ring drawn as wide as the ring is on the ground); the page count by WeasyPrint's own
layout; the catalogs against every word the hand-out's template and module mark for translation.
"""

from __future__ import annotations

import ast
import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from depotsafe import textfmt

DEPOTSAFE = str(Path(sys.executable).with_name("depotsafe"))
ROOT = Path(__file__).resolve().parents[1]
CHAIN = ROOT / "data" / "scenarios" / "training_chain.json"
BS1 = ROOT / "data" / "scenarios" / "sample_depot_bs1.json"
TEMPLATE = ROOT / "src" / "depotsafe" / "documents" / "templates" / "handout.html.j2"
MODULE = ROOT / "src" / "depotsafe" / "documents" / "handout.py"
LANGS = ("en", "fr", "es", "ru", "zh", "ar")


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([DEPOTSAFE, "scenario", *args], capture_output=True, text=True, timeout=600, check=False)


def _text(raw: str) -> str:
    body = raw.split("<body", 1)[1]
    body = re.sub(r"<style>.*?</style>", " ", body, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def _json(scenario: Path) -> dict:
    out = _run("--load", str(scenario), "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _pages(raw_html: str) -> int:
    import weasyprint

    return len(weasyprint.HTML(string=raw_html, base_url=".").render().pages)


def test_html_handout_holds_the_chain_of_the_json(tmp_path: Path) -> None:
    out_file = tmp_path / "class.html"
    out = _run("--load", str(CHAIN), "--handout", str(out_file), "--date", "2026-01-02")
    assert out.returncode == 0, out.stderr
    raw = out_file.read_text(encoding="utf-8")
    text = _text(raw)
    r = _json(CHAIN)
    doc = json.loads(CHAIN.read_text())
    assert doc["title"] in text
    assert "2026-01-02" in text
    assert len(r["steps"]) == 2  # A, then B (hand-worked in tests/test_scenario.py)
    for st in r["steps"]:
        row = re.search(rf'<tr class="step" id="step-{st["step"]}">(.*?)</tr>', raw, flags=re.S)
        assert row is not None, st["step"]
        cells = html.unescape(re.sub(r"<[^>]+>", " ", row.group(1)))
        assert " + ".join(st["members"]) in cells
        assert textfmt.kg_stock(st["neq_kg"]) in cells
        assert st["reason"] in cells  # the rule that decides, with its source
        assert st["source"] in cells
        assert textfmt.metres_up(st["withdrawal"]["radius_m"]) in cells
        delay = {"instant": "at once", "later": "later (likely)"}[st["delay"]]
        assert delay in cells
    # the first response: Table T.2's distance, its printed rule, who is inside
    ring = r["withdrawal"]
    first = re.search(r'<div class="first">(.*?)</div>', raw, flags=re.S)
    assert first is not None
    first_text = html.unescape(re.sub(r"<[^>]+>", " ", first.group(1)))
    assert f"withdraw non-essential personnel to {textfmt.metres_up(ring['distance_m'])}" in first_text
    assert ring["rule"] in first_text
    assert ring["source"] in first_text
    for sid in ring["inside"]:
        assert sid in first_text
    tot = r["totals"]
    assert textfmt.metres_up(tot["largest_withdrawal_radius_m"]) in text
    assert textfmt.kg_stock(tot["neq_involved_kg"]) in text
    # the trainer's questions, each before its step
    for q in doc["questions"]:
        assert f"Before step {q['step']}: {q['text']}" in text
    assert _pages(raw) == 1


def test_map_draws_each_ring_at_the_stated_scale(tmp_path: Path) -> None:
    """The ring of a step is as wide on paper as (footprint + 2 x radius) on the ground, at the plan's 1:n."""
    from depotsafe.layout import read_layout

    out_file = tmp_path / "class.html"
    assert _run("--load", str(CHAIN), "--handout", str(out_file), "--date", "2026-01-02").returncode == 0
    raw = out_file.read_text(encoding="utf-8")
    svg = re.search(r'<svg[^>]*class="chain-map"[^>]*data-scale="(\d+)"', raw)
    assert svg is not None
    scale = int(svg.group(1))
    r = _json(CHAIN)
    depot = read_layout(json.loads(CHAIN.read_text())["layout"])
    for st in r["steps"]:
        path = re.search(rf'<path class="ring" id="ring-{st["step"]}" d="([^"]+)"', raw)
        assert path is not None
        xs = [float(v) for v in re.findall(r"[ML](-?[\d.]+) ", path.group(1))]
        x0 = min(depot.site(m).geometry.bounds[0] for m in st["members"])
        x1 = max(depot.site(m).geometry.bounds[2] for m in st["members"])
        ground = (x1 - x0) + 2 * st["withdrawal"]["radius_m"]
        assert (max(xs) - min(xs)) == pytest.approx(ground * 1000.0 / scale, rel=2e-3)
    # the exploded storehouses are marked with their step; the survivor is not
    assert 'id="site-A" class="footprint exploded step-1"' in raw
    assert 'id="site-B" class="footprint exploded step-2"' in raw
    assert 'id="site-C" class="footprint survives"' in raw


def test_pdf_handout_is_one_pdf_page(tmp_path: Path) -> None:
    pdf = tmp_path / "class.pdf"
    out = _run("--load", str(BS1), "--handout", str(pdf), "--date", "2026-01-02")
    assert out.returncode == 0, out.stderr
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    from depotsafe.documents.handout import handout
    from depotsafe.layout import read_layout
    from depotsafe.scenario import read_scenario, run_scenario

    doc = read_scenario(BS1.read_bytes())
    result = run_scenario(read_layout(doc["layout"]), doc["start"], doc["event"], doc["follow"], doc["quantity"])
    rendered = handout(result, read_layout(doc["layout"]), date="2026-01-02", title=doc["title"],
                       questions=doc["questions"])
    assert _pages(rendered.html) == 1


@pytest.mark.parametrize("lang", LANGS)
def test_handout_in_each_language_is_one_page(lang: str, tmp_path: Path) -> None:
    from depotsafe.documents.text import words

    out_file = tmp_path / f"h_{lang}.html"
    out = _run("--load", str(CHAIN), "--handout", str(out_file), "--lang", lang, "--date", "2026-01-02")
    assert out.returncode == 0, out.stderr
    raw = out_file.read_text(encoding="utf-8")
    assert f'<html lang="{lang}" dir="{"rtl" if lang == "ar" else "ltr"}">' in raw
    text = _text(raw)
    w = words(lang)
    r = _json(CHAIN)
    style = textfmt.style_of(lang)
    assert w.gettext("The chain, step by step") in text
    assert w.gettext("Questions for the class") in text
    if lang != "en":
        assert w.gettext("The chain, step by step") != "The chain, step by step"
    for st in r["steps"]:
        assert textfmt.metres_up(st["withdrawal"]["radius_m"], style) in text
    assert _pages(raw) == 1


def _marked() -> set[str]:
    """Every msgid the hand-out marks: _("...") in its template and module, and its word tables."""
    found = set(re.findall(r'_\("((?:[^"\\]|\\.)*)"\)', TEMPLATE.read_text(encoding="utf-8")))
    tree = ast.parse(MODULE.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_" and node.args \
                and isinstance(node.args[0], ast.Constant):
            found.add(node.args[0].value)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict) and any(
                isinstance(t, ast.Name) and t.id.endswith("_WORDS") for t in node.targets):
            found.update(v.value for v in node.value.values if isinstance(v, ast.Constant))
    return found


@pytest.mark.parametrize("lang", [lang for lang in LANGS if lang != "en"])
def test_every_handout_word_is_translated(lang: str) -> None:
    from importlib.resources import files

    from depotsafe.ui import i18n

    marked = _marked()
    assert len(marked) > 40  # the scan found the hand-out's words
    own = i18n.parse_po(files("depotsafe.documents").joinpath("locale", f"{lang}.po").read_text(encoding="utf-8"))
    app = i18n.catalog(lang)
    missing = sorted(m for m in marked if not (own.get(m) or app.get(m)))
    assert not missing, f"add these to documents/locale/{lang}.po: {missing}"


def test_bad_handout_options_write_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "class.txt"
    out = _run("--load", str(CHAIN), "--handout", str(bad))
    assert out.returncode == 2
    assert "--handout" in out.stderr
    assert ".html or .pdf" in out.stderr
    assert not bad.exists()
    good = tmp_path / "class.html"
    out = _run("--load", str(CHAIN), "--handout", str(good), "--lang", "de")
    assert out.returncode == 2
    assert "--lang" in out.stderr
    assert "ar" in out.stderr
    assert not good.exists()
    saved = tmp_path / "saved.json"
    out = _run("--load", str(CHAIN), "--handout", str(good), "--save", str(saved), "--date", "2026-13-01")
    assert out.returncode == 2
    assert "--date" in out.stderr
    assert not good.exists()
    assert not saved.exists()
    out = _run("--load", str(CHAIN), "--handout", str(tmp_path / "no" / "such" / "dir.html"))
    assert out.returncode == 2
    assert "--handout" in out.stderr


def test_handout_and_save_are_written_together(tmp_path: Path) -> None:
    saved, pdf = tmp_path / "class.json", tmp_path / "class.pdf"
    out = _run("--load", str(CHAIN), "--save", str(saved), "--handout", str(pdf), "--date", "2026-01-02", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(saved.read_text())["format"] == "depotsafe-scenario"
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert json.loads(out.stdout)["steps"]
