"""The engine's multi-part notes in French in the app (issues 12 and 14), with streamlit.testing AppTest.

The table mode's notes on the Calculator page, the check's notes on the
Compliance page, the risk page's grid-cell note and the scenario's rules are
templates with values (depotsafe.messages.Note): French shows the French
catalog's sentence (read here from the catalog, not from our output), its
figures written as CLDR writes them in French (Babel, called here directly),
and none of the English sentence.
"""

from __future__ import annotations

import string
from pathlib import Path

from babel.numbers import format_decimal
from streamlit.testing.v1 import AppTest

from depotsafe.messages import Note
from depotsafe.ui import i18n

APP = Path(__file__).resolve().parents[1] / "app.py"
FR = i18n.catalog("fr")


def _head(template: str) -> str:
    """A template's words before its first placeholder."""
    return template.split("{", 1)[0].strip()


def _fields(template: str) -> list[str]:
    return [f for _, f, _, _ in string.Formatter().parse(template) if f]


def _french_app() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=300).run()
    at.sidebar.selectbox(key="k_lang").set_value("fr").run()
    return at


def test_table_mode_notes_on_the_french_calculator() -> None:
    """In table mode the calculator's notes say what the table mode did, in French, figures in French."""
    from depotsafe import api, tablemode

    at = _french_app()
    at.sidebar.radio(key="k_page").set_value("calculator").run()
    at.selectbox(key="k_rounding").set_value("table").run()
    at.selectbox(key="k_calc_pes").set_value("unbarricaded_stack").run()  # no faces to choose
    assert not at.exception, [e.message for e in at.exception]
    hd = at.selectbox(key="k_calc_hd").value
    pes, es = at.selectbox(key="k_calc_pes").value, at.selectbox(key="k_calc_es").value
    assert es == "inhabited_building"
    neq = f"{at.number_input(key='k_calc_neq').value} {at.selectbox(key='k_calc_neq_unit').value}"
    ans = api.required_distance(hd, neq, pes, es, rounding="table").as_dict()
    notes = [n for n in ans["notes"] if getattr(n, "template", "") in tablemode.NOTE_TEMPLATES]
    assert notes, ans["notes"]  # the engine wrote a table-mode note for this pair
    captions = [c.value for c in at.caption]
    for note in notes:
        assert str(note) not in captions
        head = _head(FR[note.template])
        assert head
        assert head != _head(note.template)
        assert any(c.startswith(head) for c in captions), (head, captions)
        # a tabulated quantity in kilograms, written by CLDR fr (narrow no-break space between thousands)
        kg = [v for v in note.values.values() if getattr(v, "template", None) == tablemode.KG]
        for v in kg:
            french = format_decimal(round(v.values["kg"]), format="#,##0", locale="fr")
            assert any(french + " kg" in c for c in captions), (french, captions)
    assert not any(c.startswith("table mode:") for c in captions), captions


def test_check_notes_on_the_french_compliance_page() -> None:
    """The sample's aggregation-group note reads in French on the Compliance page, the groups as they are."""
    from depotsafe.check import GROUPS_NOTE

    at = _french_app()
    at.sidebar.radio(key="k_page").set_value("compliance").run()
    at.button(key="run_check").click().run()
    assert not at.exception, [e.message for e in at.exception]
    captions = [c.value for c in at.caption]
    french = [c for c in captions if c.startswith(_head(FR[GROUPS_NOTE]))]
    assert french, captions
    assert any("BS1+BS2" in c for c in french)  # the sample's group (data/samples/README.md)
    assert not any(c.startswith(_head(GROUPS_NOTE)) for c in captions)


def _fr_number(value: float, decimals: int) -> str:
    return format_decimal(value, format="#,##0" + ("." + "0" * decimals if decimals else ""), locale="fr")


def test_risk_grid_cell_note_in_french() -> None:
    """The note of an enlarged location-risk grid (depotsafe.risk) in French with French figures, as the
    Risk page shows it (depotsafe.ui.common.note_text renders through depotsafe.messages.render)."""
    from depotsafe.messages import render
    from depotsafe.risk import GRID_CELL_NOTE

    assert GRID_CELL_NOTE in i18n.engine_templates()
    note = Note(GRID_CELL_NOTE, asked=25.0, cell=37.0, points=4_000_000)
    assert note == "default cell 25 m enlarged to 37 m to keep the grid within 4000000 points"
    text = render(note, lambda m: FR.get(m, m), _fr_number, str)
    assert text.startswith(_head(FR[GRID_CELL_NOTE]))
    assert "4\u202f000\u202f000" in text  # an int stays an int: no ",0"
    assert "25 m" in text
    assert "37 m" in text
    assert "enlarged" not in text


def test_scenario_rule_in_french() -> None:
    """A rule of escalation (a Note whose values are phrases) reads in French: the template, the degree
    and the outcome phrase are each the French catalog's; the cell is cited as it is."""
    from depotsafe.messages import render
    from depotsafe.scenario import RULE_CELL, RULE_HD14_MET, RULE_TEXT

    note = Note(RULE_CELL, cell="Table 1 column b row 4", alternative="D3", degree="virtually complete",
                outcome=RULE_TEXT["survives"])
    text = render(note, lambda m: FR.get(m, m), _fr_number, str)
    assert FR["virtually complete"] in text
    assert FR[RULE_TEXT["survives"]] in text
    assert "Table 1 column b row 4" in text
    assert "survives" not in text
    assert "met, degree" not in text
    hd14 = Note(RULE_HD14_MET, code="D15", req=1234.56, distance=2345.0, outcome=RULE_TEXT["possible"])
    assert hd14 == f"HD 1.4: D15 = 1,234.6 m met at 2,345.0 m; {RULE_TEXT['possible']}"
    french = render(hd14, lambda m: FR.get(m, m), _fr_number, str)
    assert "1\u202f234,6 m" in french
    assert "2\u202f345,0 m" in french
    assert FR[RULE_TEXT["possible"]] in french
