"""Every page of the app in every language (streamlit.testing AppTest), issue 12 item 9 and issue 14.

In every language but English no known English label remains (the catalog's msgids whose French
differs, the kinds' layout values as labels); in both languages no cell
shows None or nan, no figure carries more decimals than its rounding rule
gives, and numbers follow the language's CLDR convention (French: a narrow
no-break space between thousands, a decimal comma; English: "," and ".";
Spanish "." from five digits on and ","; Russian a no-break space and ",";
Chinese and Arabic (Western digits) "," and ".").  In Arabic the tables are
right-to-left HTML tables (``dir="rtl"``) and the page carries the
right-to-left style.
Rule labels, sources and the compatibility notes quoted from AASTP-1 stay as
quoted and are left out.  Typed quantities: "1,500 t" is refused in a French
field with a message naming the field, and "1,5 t" is read and echoed.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from depotsafe.kinds import kinds
from depotsafe.ui import i18n

APP = Path(__file__).resolve().parents[1] / "app.py"
PAGES = ("depot", "compliance", "effects", "siting", "calculator")
NNBSP = "\u202f"
NBSP = "\u00a0"
LANGS = tuple(i18n.LANGUAGES)
#: Group separator and decimal sign of each language, written out from CLDR (numbering system latn).
SEPARATORS = {"en": (",", "."), "fr": (NNBSP, ","), "es": (".", ","), "ru": (NBSP, ","), "zh": (",", "."),
              "ar": (",", ".")}

FR = i18n.catalog("fr")


def english_labels(lang: str) -> set[str]:
    """English labels that ``lang`` replaces (a msgid translated to another text; no placeholders)."""
    return {m for m, t in i18n.catalog(lang).items() if t != m and "{" not in m and len(m) > 2}


#: English labels that French replaces (a msgid whose French is another text; no placeholders).
ENGLISH_LABELS = english_labels("fr")
#: Columns quoted from the sources, left as quoted (their headers in every language).
QUOTED = {i18n.catalog(lang).get(c, c) for lang in LANGS
          for c in ("rule", "rule text", "source", "conflicts", "conditions", "name of the rule")}

#: A figure with its unit in a cell: the number and the unit.
FIGURE = re.compile(r"(?<![\w.,])(\d[\d\u202f\u00a0.,]*)[ \u202f\u00a0]?(kPa·ms|kPa|psi·ms|psi|m/kg\^\(1/3\)|m/s|ms|kg|km|m|t|%|s)(?![\w/])")
#: Decimals allowed per unit by the rounding rules (DESIGN.md): distances to 0.1 m, stock to the gram,
#: percentages to one decimal; other quantities to three significant figures (checked apart).
MAX_DECIMALS = {"m": 1, "km": 3, "kg": 3, "t": 3, "%": 1, "s": 2}


def _walk_page(lang: str) -> dict[str, dict[str, Any]]:
    """Render every page in ``lang`` with its results drawn; what each page shows."""
    at = AppTest.from_file(str(APP), default_timeout=300).run()
    assert not at.exception, [e.message for e in at.exception]
    if lang != "en":
        at.sidebar.selectbox(key="k_lang").set_value(lang).run()
    shots = {}
    for page in PAGES:
        at.session_state["k_page"] = page
        at.run()
        if page == "compliance":
            at.button(key="run_check").click().run()
        elif page == "siting":
            at.number_input(key="k_siting_cell").set_value(50.0).run()
            at.button(key="run_siting").click().run()
        elif page == "calculator":
            at.selectbox(key="k_calc_pes").set_value("igloo_7bar").run()
        assert not at.exception, (page, [e.message for e in at.exception])
        shots[page] = _shot(at)
    return shots


def _html_tables(at: AppTest) -> list[pd.DataFrame]:
    """The right-to-left HTML tables of the page (show_table in a right-to-left language), as data frames."""
    out = []
    for el in at.get("html"):
        body = el.proto.body
        if 'class="ds-rtl"' not in body:
            continue
        assert 'dir="rtl"' in body
        head, _, rows = body.partition("</thead>")
        columns = [html.unescape(c) for c in re.findall(r"<th>(.*?)</th>", head, flags=re.S)]
        cells = [[html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", row, flags=re.S)]
                 for row in re.findall(r"<tr>(.*?)</tr>", rows, flags=re.S)]
        out.append(pd.DataFrame(cells, columns=columns))
    return out


def _shot(at: AppTest) -> dict[str, Any]:
    # the pages' result tables (st.table, or HTML right to left; the editable tables hold the layout's own
    # values and are left out)
    tables = [d.value for d in at.table] + _html_tables(at)
    words = [e.value for kind in ("header", "subheader", "caption", "info", "warning", "success", "error")
             for e in getattr(at, kind)]
    labels = [w.label for kind in ("selectbox", "text_input", "number_input", "toggle", "button", "radio")
              for w in getattr(at, kind)]
    options = [o for w in [*at.selectbox, *at.radio] for o in w.proto.options]
    metrics = [(m.label, m.value) for m in at.metric]
    figures = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    rtl = any("direction: rtl" in el.proto.body for el in at.get("html"))
    return {"tables": tables, "words": words, "labels": labels, "options": options, "metrics": metrics,
            "figures": figures, "rtl": rtl, "st_tables": len(at.table)}


@pytest.fixture(scope="module")
def shots() -> dict[str, dict[str, dict[str, Any]]]:
    return _Shots()


class _Shots(dict):
    """Each language's pages walked once, when a test first asks for them (a -k run walks only its own)."""

    def __missing__(self, lang: str) -> dict[str, dict[str, Any]]:
        self[lang] = _walk_page(lang)
        return self[lang]


def _cells(shot: dict[str, Any]) -> list[tuple[str, str]]:
    """(column, cell) of every table cell outside the quoted columns."""
    out = []
    for df in shot["tables"]:
        for col in df.columns:
            if col in QUOTED:
                continue
            out.extend((str(col), str(v)) for v in df[col])
    return out


@pytest.mark.parametrize("lang", [x for x in LANGS if x != "en"])
@pytest.mark.parametrize("page", PAGES)
def test_pages_show_no_english_label(shots, lang: str, page: str) -> None:
    shot = shots[lang][page]
    labels_en = english_labels(lang)
    assert shot["tables"] or page in ("siting", "calculator"), "the page drew its tables"
    seen = {str(c) for df in shot["tables"] for c in df.columns}
    seen |= {cell for _col, cell in _cells(shot)}
    seen |= set(shot["labels"]) | set(shot["options"]) | {label for label, _v in shot["metrics"]}
    seen |= {str(w) for w in shot["words"]}
    left = sorted(seen & labels_en)
    assert not left, f"English left on the {lang} {page} page: {left}"
    # kinds, faces and traffic are chosen and shown in words (the layout value may follow in brackets)
    assert not set(shot["options"]) & (set(kinds()) | {"front", "side", "rear", "heavy", "light"})
    for fig in shot["figures"]:
        names = {t.get("name") for t in fig["data"] if t.get("showlegend", True) is not False}
        assert not names & set(kinds()), names
        assert not names & labels_en, names
        texts = [str(x) for t in fig["data"] if t.get("mode") == "text" for x in t.get("text") or []]
        assert not [x for x in texts if x.split(" ")[0] in kinds()], texts


def test_french_kinds_zones_and_injuries_are_in_words(shots) -> None:
    calc = shots["fr"]["calculator"]
    assert "igloo, 7 bars (igloo_7bar)" in calc["options"]
    assert "avant" in calc["options"]
    effects = shots["fr"]["effects"]
    headers = {str(c) for df in effects["tables"] for c in df.columns}
    assert "P(rupture du tympan (Eisenberg))" in headers
    names = {cell for col, cell in _cells(effects) if col == FR["name"]}
    assert "Démolition complète" in names


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("page", PAGES)
def test_no_cell_shows_none_nan_or_too_many_decimals(shots, lang: str, page: str) -> None:
    shot = shots[lang][page]
    cells = _cells(shot) + [(label, str(v)) for label, v in shot["metrics"]]
    for col, cell in cells:
        assert not re.search(r"\b(None|nan|NaN|inf)\b", cell), (page, col, cell)
        for number, unit in FIGURE.findall(cell):
            number = number.rstrip(NNBSP + NBSP)
            group, dec = SEPARATORS[lang]
            grouped = rf"\d{{1,3}}(?:{re.escape(group)}\d{{3}})+(?:{re.escape(dec)}\d+)?"
            plain = rf"\d+(?:{re.escape(dec)}\d+)?"
            assert re.fullmatch(grouped, number) or re.fullmatch(plain, number), (page, col, cell)
            if lang == "es" and re.fullmatch(grouped, number):
                # CLDR es: minimumGroupingDigits 2, so "1234" but "12.345"
                assert len(number.partition(dec)[0].replace(group, "")) >= 5, (page, col, cell)
            intpart, _sep, decimals = number.partition(dec)
            if unit in MAX_DECIMALS:
                assert len(decimals) <= MAX_DECIMALS[unit], (page, col, cell)
            elif decimals:  # three significant figures
                digits = (intpart.replace(group, "") + decimals).lstrip("0")
                assert len(digits) <= 3, (page, col, cell)


def test_arabic_pages_read_right_to_left(shots) -> None:
    """Arabic: every page carries the right-to-left style, and its result tables are right-to-left HTML."""
    for page in PAGES:
        shot = shots["ar"][page]
        assert shot["rtl"], page
        assert shot["st_tables"] == 0, page  # Streamlit's own tables cannot mirror their columns
    assert _html_tables_seen(shots["ar"]["compliance"])
    for lang in LANGS:
        if lang != "ar":
            assert not any(shots[lang][page]["rtl"] for page in PAGES), lang


def _html_tables_seen(shot: dict[str, Any]) -> bool:
    return bool(shot["tables"])


def test_french_figures_use_cldr_separators(shots) -> None:
    """Somewhere on the French pages a thousands group and a decimal comma are shown, as CLDR writes them."""
    cells = [cell for page in PAGES for _col, cell in _cells(shots["fr"][page])]
    assert any(re.search(r"\d\u202f\d{3}", c) for c in cells)
    assert any(re.search(r"\d,\d", c) for c in cells)
    assert not any(re.search(r"\d,\d{3}\u202f?(kg|m)\b", c) and "." in c for c in cells)


# ------------------------------------------------------------------ typed quantities in the app


def _french_effects_custom() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=300).run()
    at.sidebar.selectbox(key="k_lang").set_value("fr").run()
    at.session_state["k_page"] = "effects"
    at.run()
    at.selectbox(key="k_effects_event").set_value("custom").run()
    return at


def test_french_field_refuses_an_ambiguous_quantity_and_echoes_a_good_one() -> None:
    at = _french_effects_custom()
    field = FR["NEQ of the event"]
    at.text_input(key="k_effects_neq").input("1,500 t").run()
    assert not at.exception
    errors = "\n".join(e.value for e in at.error)
    assert field in errors
    assert "1,500 t" in errors
    assert "ambigu" in errors
    assert not at.table, "nothing is computed from a refused quantity"
    at.text_input(key="k_effects_neq").input("1,5 t").run()
    assert not at.error
    captions = "\n".join(c.value for c in at.caption)
    assert f"Lu comme 1,5{NNBSP}t = 1{NNBSP}500{NNBSP}kg" in captions
    at.text_input(key="k_effects_neq").input("1 500 t").run()
    assert "séparateurs de milliers" in "\n".join(e.value for e in at.error)
    at.text_input(key="k_effects_neq").input("1.5 t").run()
    assert "le point" in "\n".join(e.value for e in at.error)


def test_english_field_refuses_a_comma() -> None:
    at = AppTest.from_file(str(APP), default_timeout=300).run()
    at.session_state["k_page"] = "siting"
    at.run()
    at.text_input(key="k_siting_neq").input("1,500 kg").run()
    errors = "\n".join(e.value for e in at.error)
    assert "NEQ" in errors
    assert "1,500 kg" in errors
    assert "a comma is not accepted" in errors
    at.text_input(key="k_siting_neq").input("1500 kg").run()
    assert "Read as 1,500 kg" in "\n".join(c.value for c in at.caption)


def test_french_stock_editor_shows_and_reads_decimal_commas() -> None:
    """The stock as the files write it ("1.5 t") is shown "1,5 t" in French and read back as the same value."""
    at = AppTest.from_file(str(APP), default_timeout=300).run()
    at.sidebar.selectbox(key="k_lang").set_value("fr").run()
    # an edit made as the editor hands it over, on a page without the editor (AppTest cannot type in one)
    at.session_state["k_page"] = "calculator"
    at.run()
    rows = [dict(r) for r in at.session_state["stock_rows"]]
    site = rows[0]["site_id"]
    rows = [r for r in rows if r["site_id"] != site] + [{**rows[0], "quantity": "1.25 t"}]
    at.session_state["stock_rows"] = rows
    at.run()
    at.session_state["k_page"] = "depot"
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    editor = at.data_editor[0].value
    assert "1,25 t" in set(editor["quantity"])
    assert "1.25 t" not in set(editor["quantity"])
    # read back with the files' '.' decimal sign: the same text, the same value
    assert next(r for r in at.session_state["stock_rows"] if r["site_id"] == site)["quantity"] == "1.25 t"
    verdicts = next(t.value for t in at.table if FR["NEQ held"] in t.value.columns)
    held = verdicts.set_index(verdicts.columns[0])[FR["NEQ held"]]
    assert held[site] == f"1{NNBSP}250{NNBSP}kg"
