"""Tables and state of the app (issue 12 items 4 and 6), headless (streamlit.testing AppTest).

Tables: every cell of every report table on every page is text with its unit,
never None, nan or a raw float; "unlimited" and "at least" are words; the two
verdicts of a storehouse agree; a group's NEQ is the same everywhere.
State: the working depot is saved in the workspace (DEPOTSAFE_WORKSPACE, a
temporary folder per test: tests/conftest.py) and reopened by a new session;
saved depots are named, opened and deleted from the sidebar.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from depotsafe.ui import model
from depotsafe.ui.workspace import Workspace, default_folder

APP = Path(__file__).resolve().parents[1] / "app.py"
RAW = {"none", "nan", "nat", "inf", "-inf", "<na>", "true", "false"}
# a number as the helpers write it: English 1,234.5 or French 1 234,5 (narrow no-break space)
NUMBER = {"en": re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?"), "fr": re.compile(r"\d+(?:\u202f\d{3})*(?:,\d+)?")}


def _app() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=300).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _page(at: AppTest, page: str) -> AppTest:
    at.session_state["k_page"] = page
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _tables(at: AppTest) -> list:
    """Every report table on the page (the editable stock and site-plan tables are inputs)."""
    return [t.value for t in at.table] + [d.value for d in at.dataframe if d.editing_mode == "read_only"]


def _over_precise(token: str, lang: str) -> bool:
    """A number with decimals beyond 0.1 and beyond three significant figures ("31586.2071")."""
    whole, _sep, decimals = token.partition("." if lang == "en" else ",")
    digits = (whole + decimals).replace(",", "").replace("\u202f", "").lstrip("0")
    return len(decimals) > 1 and len(digits) > 3


def _bad_cells(df, lang: str = "en") -> list[str]:
    bad = []
    for col in df.columns:
        for cell in df[col]:
            if not isinstance(cell, str):
                bad.append(f"{col}: {cell!r} is not text")
                continue
            if cell.strip().lower() in RAW or re.search(r"\b(None|nan|NaN)\b", cell):
                bad.append(f"{col}: {cell!r}")
                continue
            for token in NUMBER[lang].findall(cell):
                if _over_precise(token, lang):
                    bad.append(f"{col}: {cell!r} (over-precise {token})")
    return bad


def _walk_every_page(at: AppTest) -> dict[str, list]:
    seen = {"depot": _tables(at)}
    _page(at, "compliance")
    at.button(key="run_check").click().run()
    at.toggle(key="k_only_violations").set_value(False).run()
    seen["compliance"] = _tables(at)
    seen["effects"] = _tables(_page(at, "effects"))
    seen["calculator"] = _tables(_page(at, "calculator"))
    seen["siting"] = _tables(_page(at, "siting"))
    return seen


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_no_raw_values_in_any_table(lang: str) -> None:
    at = _app()
    if lang == "fr":
        at.sidebar.selectbox(key="k_lang").set_value("fr").run()
    seen = _walk_every_page(at)
    assert all(seen[p] for p in ("depot", "compliance", "effects", "calculator")), {p: len(t) for p, t in seen.items()}
    problems = [f"{page}: {b}" for page, tables in seen.items() for df in tables for b in _bad_cells(df, lang)]
    assert not problems, problems[:20]
    cells = " ".join(str(c) for t in seen["compliance"] for col in t.columns for c in t[col])
    if lang == "fr":  # French separators (CLDR): "10 000 kg" with narrow no-break spaces, never "10,000 kg"
        assert "10\u202f000\u202fkg" in cells
        assert not re.search(r"\d,\d{3}[ \u202f]kg", cells)
    else:
        assert "10,000 kg" in cells


def test_the_checker_catches_what_it_must() -> None:
    import pandas as pd

    bad = pd.DataFrame({"a": ["31586.2071", "None", "12 m"], "b": [1.5, "nan", "4.52 kPa"]})
    found = _bad_cells(bad)
    assert len(found) == 4, found
    ok = pd.DataFrame({"a": ["319.4 m", "1,234,567 kg", "0.0123 kPa", "< 0.1 %", "1,234.5 m", "–"]})
    assert _bad_cells(ok) == []
    assert _bad_cells(pd.DataFrame({"a": ["10\u202f000,5 kg", "0,0123 kPa"]}), "fr") == []
    assert len(_bad_cells(pd.DataFrame({"a": ["31\u202f586,2071 kg"]}), "fr")) == 1


@given(st.floats(min_value=0.0, max_value=1e9, allow_nan=False, allow_infinity=False))
def test_french_figures_are_the_english_ones_with_french_marks(v: float) -> None:
    """One rounding for both languages: only the group separator and the decimal mark differ."""
    from depotsafe import textfmt

    def french(text: str) -> str:
        # CLDR French: narrow no-break space between thousands and before a unit, no-break space before "%"
        if text.startswith("nil"):
            return text
        number, _sep, unit = text.rpartition(" ")
        return number.replace(",", "\u202f").replace(".", ",") + ("\u00a0" if unit == "%" else "\u202f") + unit

    for fmt in (textfmt.metres_up, textfmt.metres_measured, textfmt.kg_stock, textfmt.kg_down, textfmt.percent):
        x = v / 1e9 if fmt is textfmt.percent else v
        assert fmt(x, textfmt.FRENCH) == french(fmt(x))
    assert textfmt.number(v, "kPa", 3, textfmt.FRENCH) == french(textfmt.number(v, "kPa"))


def _rows(tables: list, column: str) -> list[dict]:
    return [r for t in tables if column in t.columns for r in t.to_dict("records")]


def test_unlimited_and_at_least_are_words_and_verdicts_agree() -> None:
    from depotsafe.check import check_depot

    fc, rows = model.split_stock(json.loads(model.sample_layout_bytes()))
    result = check_depot(model.build_depot(fc, rows))
    at = _page(_app(), "compliance")
    at.button(key="run_check").click().run()
    tables = _tables(at)
    licences = _rows(tables, "licence (ELL)")
    # a limit found at the search ceiling is "at least", never a plain limit
    ceiling = [(s["id"], hd) for s in result.sites for hd, v in s["licence_at_least"].items() if v]
    assert ceiling, "the sample depot has licences at the search ceiling (HD 1.2.2)"
    for sid, hd in ceiling:
        row = next(r for r in licences if r["storehouse"].split(" ")[0].split("+")[0] == sid and r["HD"] == hd)
        assert row["licence (ELL)"] == "at least 10,000,000 kg"
        assert row["headroom"].startswith("at least ")
    unlimited = [r for r in licences if r["licence (ELL)"] == "unlimited"]
    assert unlimited
    assert all(r["HD"] == "1.4" and r["headroom"] == "unlimited" for r in unlimited)
    mixed = _rows(tables, "HD (as aggregated)")
    assert {r["verdict"] for r in mixed} == {"complies", "VIOLATION"}
    for r in mixed:
        if r["limit"] == "unlimited":  # an unlimited division never fails (HD 1.4 beside a failing 1.1)
            assert r["verdict"] == "complies", r
        if r["headroom"].startswith("short by"):
            assert r["verdict"] == "VIOLATION", r
        else:
            assert r["verdict"] == "complies", r
    # every storehouse with a violating pair has a failing division in the mixed table, and no other
    failing_pes = {p["pes"] for p in result.iter_pairs() if not p["compliant"]}
    shown_failing = {m for r in mixed if r["verdict"] == "VIOLATION"
                     for m in r["storehouse"].split(" ")[0].split("+")}
    assert shown_failing == failing_pes | {m for g in result.groups if set(g) & failing_pes for m in g}


def test_a_group_holds_the_same_neq_in_every_table() -> None:
    at = _app()
    own = {r["site"]: r["NEQ held"] for r in _rows(_tables(at), "verdict") if "site" in r}
    _page(at, "compliance")
    at.button(key="run_check").click().run()
    tables = _tables(at)
    groups = _rows(tables, "NEQ of the group")
    assert groups, "the sample depot has an aggregation group (BS1+BS2)"

    def kg(text: str) -> float:
        assert text.endswith(" kg"), text
        return float(text[:-3].replace(",", ""))

    for g in groups:
        members = g["group"].split("+")
        total = kg(g["NEQ of the group"])
        assert math.isclose(total, sum(kg(own[m]) for m in members))
        label = "+".join(members) + " (group)"
        mixed = [r for r in _rows(tables, "HD (as aggregated)") if r["storehouse"] == label]
        licences = [r for r in _rows(tables, "licence (ELL)") if r["storehouse"] == label]
        assert mixed
        assert licences
        assert math.isclose(sum(kg(r["NEQ held"]) for r in mixed), total)
        assert math.isclose(sum(kg(r["NEQ held"]) for r in licences), total)
        # no table names a member alone with a NEQ of its own on the Compliance page
        assert not [r for r in _rows(tables, "NEQ held") if r.get("storehouse") in members]
    # the Effects page explodes the whole group: its blast NEQ is the group's
    _page(at, "effects")
    at.selectbox(key="k_effects_site").set_value(groups[0]["group"].split("+")[0]).run()
    assert any(f"Blast NEQ {groups[0]['NEQ of the group']}:" in c.value for c in at.caption)


# ---------------------------------------------------------------------- workspace


def test_workspace_folder_from_the_environment(tmp_path: Path) -> None:
    assert default_folder({"DEPOTSAFE_WORKSPACE": str(tmp_path)}) == tmp_path
    assert default_folder({"HOME": "/home/u"}, "linux") == Path("/home/u/.local/share/depotsafe/workspace")
    assert default_folder({"HOME": "/home/u", "XDG_DATA_HOME": "/x"}, "linux") == Path("/x/depotsafe/workspace")
    assert default_folder({"HOME": "/Users/u"}, "darwin") == Path(
        "/Users/u/Library/Application Support/depotsafe/workspace")


def test_workspace_files_round_trip_and_refuse_foreign_ids(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    fc, rows = model.split_stock(json.loads(model.sample_layout_bytes()))
    a = ws.save(Workspace.new_id(), "  North\narea  ", fc, rows, source="north.geojson")
    assert a.name == "North area"
    assert ws.last() == a.id
    back = ws.load(a.id)
    assert back["layout"] == fc
    assert back["stock"] == rows
    assert back["meta"].source == "north.geojson"
    # a stock edit writes the stock alone: the layout file is kept as it is
    layout_file = tmp_path / "depots" / a.id / "layout.json"
    layout_file.write_text(json.dumps({**fc, "marker": 1}))
    ws.save(a.id, "North area", fc, [*rows, {**rows[0], "quantity": "1 t"}], layout_changed=False)
    assert ws.load(a.id)["layout"] == {**fc, "marker": 1}
    assert len(ws.load(a.id)["stock"]) == len(rows) + 1
    assert ws.rename(a.id, "South").name == "South"
    assert [e.name for e in ws.entries()] == ["South"]
    assert not list(tmp_path.rglob("*.tmp"))  # atomic writes leave no temporary file
    for bad in ("../x", "", "20260101T000000-zzzzzzzz", "/etc"):
        with pytest.raises(ValueError, match="not a workspace depot id"):
            ws.load(bad)
    ws.delete(a.id)
    assert ws.entries() == []
    assert ws.last() is None


def _sidebar_text(at: AppTest) -> str:
    return "\n".join(c.value for c in at.sidebar.caption)


def _edit_stock(at: AppTest, quantity: str) -> None:
    """Change the first stock row as the stock editor would hand it over (AppTest cannot type
    into a data editor: the edit is made on a page without the editor, which would redraw it)."""
    _page(at, "calculator")
    rows = [dict(r) for r in at.session_state["stock_rows"]]
    rows[0]["quantity"] = quantity
    at.session_state["stock_rows"] = rows
    at.run()


def _pick(at: AppTest, depot_id: str) -> None:
    # (AppTest maps a selectbox value through the app's format_func outside the session:
    # the pick is set through the session state, as the radio in tests/test_app.py)
    at.session_state["ws_pick"] = depot_id
    at.run()


def test_workspace_save_reopen_open_and_delete() -> None:
    at = _app()
    ws = Workspace(default_folder())
    first = at.session_state["ws_id"]
    assert [e.id for e in ws.entries()] == [first]
    assert "Depot: sample_depot.geojson" in _sidebar_text(at)
    # an edit of the stock is saved as it is made (the table's rows are what the editor returns)
    _edit_stock(at, "7 t")
    assert ws.load(first)["stock"][0]["quantity"] == "7 t"
    # the user names the depot
    at.sidebar.text_input(key=f"ws_name_{first}").input("Depot Nord, visit 3").run()
    assert "Depot: Depot Nord, visit 3" in _sidebar_text(at)
    assert ws.meta(first).name == "Depot Nord, visit 3"

    # a reload is a new session: the same depot, edits and name come back
    again = _app()
    assert again.session_state["ws_id"] == first
    assert again.session_state["stock_rows"][0]["quantity"] == "7 t"
    assert "Depot: Depot Nord, visit 3" in _sidebar_text(again)
    assert "Depot Nord, visit 3: 20 sites" in "\n".join(c.value for c in again.caption)

    # a new depot gets its own entry; the first stays saved and can be opened again
    from depotsafe.synthetic import synthetic_depot

    again.text_area(key="k_pasted").input(json.dumps(synthetic_depot(30, seed=3))).run()
    again.button(key="load_pasted").click().run()
    second = again.session_state["ws_id"]
    assert second != first
    assert {e.id for e in ws.entries()} == {first, second}
    assert "Depot: pasted.geojson" in _sidebar_text(again)
    assert _app().session_state["ws_id"] == second  # the last worked on is reopened
    _pick(again, first)
    again.sidebar.button(key="ws_open").click().run()
    assert not again.exception, [e.message for e in again.exception]
    assert again.session_state["ws_id"] == first
    assert again.session_state["stock_rows"][0]["quantity"] == "7 t"
    assert "Depot Nord, visit 3: 20 sites" in "\n".join(c.value for c in again.caption)

    # delete: the open depot cannot be; another one after a confirmation
    assert again.sidebar.button(key="ws_delete").disabled
    _pick(again, second)
    again.sidebar.button(key="ws_delete").click().run()
    assert any("Delete pasted.geojson for good?" in w.value for w in again.sidebar.warning)
    assert {e.id for e in ws.entries()} == {first, second}  # not before the confirmation
    again.sidebar.button(key="ws_delete_yes").click().run()
    assert not again.exception, [e.message for e in again.exception]
    assert [e.id for e in ws.entries()] == [first]


def test_a_damaged_saved_depot_falls_back_to_the_sample() -> None:
    ws = Workspace(default_folder())
    fc, rows = model.split_stock(json.loads(model.sample_layout_bytes()))
    broken = ws.save(Workspace.new_id(), "broken", fc, rows)
    (ws.folder / "depots" / broken.id / "depot.json").write_text("{ not json")
    at = _app()
    assert at.session_state["ws_id"] != broken.id
    assert "Depot: sample_depot.geojson" in _sidebar_text(at)


def test_a_refused_edit_is_saved_and_reopens_on_the_last_good_depot() -> None:
    at = _app()
    _edit_stock(at, "5")  # no unit: refused
    again = _app()
    assert again.session_state["stock_rows"][0]["quantity"] == "5"  # what the user typed is kept
    errors = "\n".join(e.value for e in again.error)
    assert "'5 kg' or '5 t'" in errors
    assert "sample_depot.geojson: 20 sites" in "\n".join(c.value for c in again.caption)  # the last good depot


def test_sidebar_names_the_uploaded_file_and_the_uploader_states_the_limit() -> None:
    at = _app()
    uploaders = list(at.get("file_uploader"))
    assert len(uploaders) == 3  # layout, stock CSV, and a DXF drawing's mapping file
    for up in uploaders:
        assert up.proto.max_upload_size_mb == model.MAX_UPLOAD_MB == 25
        assert "At most 25 MB per file" in up.help
        assert "200" not in up.help
    fc = json.loads(model.sample_layout_bytes())
    fc["features"] = fc["features"][:12]
    at.file_uploader(key="upload_layout").set_value(
        ("north depot.geojson", json.dumps(fc).encode(), "application/geo+json")).run()
    at.button(key="load_upload").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert "Loaded north depot.geojson." in "\n".join(s.value for s in at.success)
    # named in the same run as the upload (the sidebar is drawn after the page)
    assert "Depot: north depot.geojson" in _sidebar_text(at)
    assert "sample_depot" not in _sidebar_text(at)
    assert Workspace(default_folder()).meta(at.session_state["ws_id"]).name == "north depot.geojson"


def test_app_server_limit_matches() -> None:
    """Streamlit's server limit [MiB] is the smallest whole MiB at or above depotsafe's 25 MB."""
    from depotsafe.commands.app import max_upload_mib

    assert max_upload_mib() == 24  # 25,000,000 bytes = 23.84 MiB
    assert max_upload_mib() * 1024 * 1024 >= model.MAX_UPLOAD_BYTES


def test_a_site_plan_edit_keeps_the_depot_name_and_is_saved() -> None:
    at = _app()
    depot_id = at.session_state["ws_id"]
    before = Workspace(default_folder()).load(depot_id)["layout"]
    at.button(key="build_siteplan").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert "Layout rebuilt from the site plan." in "\n".join(s.value for s in at.success)
    assert at.session_state["ws_id"] == depot_id  # an edit of the same depot, not a new one
    assert "Depot: sample_depot.geojson" in _sidebar_text(at)
    after = Workspace(default_folder()).load(depot_id)["layout"]
    assert after != before  # the rebuilt footprints are what is saved
    assert len(after["features"]) == len(before["features"])
