"""The Risk page, headless (streamlit.testing AppTest): it renders on the sample depot, shows the criterion,
and its figures are those of ``depotsafe risk --json`` for the same layout (issue 10 item 6)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
SAMPLE = ROOT / "data" / "samples" / "sample_depot.geojson"
DEPOTSAFE = str(Path(sys.executable).with_name("depotsafe"))
_DIGITS = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")


def per_year_value(cell: str) -> float:
    """The number of a cell such as "9.55 × 10⁻⁶" (English separators)."""
    if cell == "0":
        return 0.0
    mant, exp = cell.split(" × 10")
    return float(mant.replace(",", "")) * 10.0 ** int(exp.translate(_DIGITS))


def _table(at: AppTest, column: str):
    for d in [*at.table, *at.dataframe]:
        if column in d.value.columns:
            return d.value
    raise AssertionError(f"no table with column {column!r}")


def _cli(regime: str) -> dict:
    out = subprocess.run([DEPOTSAFE, "risk", str(SAMPLE), "--criteria", regime, "--grid-cell", "50 m", "--json"],
                         capture_output=True, text=True, timeout=900, check=False)
    assert out.returncode in (0, 1), out.stderr
    return json.loads(out.stdout)


def _risk_page(regime: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=300).run()
    at.sidebar.radio(key="k_page").set_value("risk").run()
    assert not at.exception, [e.message for e in at.exception]
    at.selectbox(key="k_risk_criteria").set_value(regime).run()
    at.button(key="run_risk").click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


@pytest.mark.parametrize("regime", ["uk-hse", "nl"])
def test_risk_page_matches_the_command(regime):
    at = _risk_page(regime)
    doc = _cli(regime)
    # the criterion is named, and drawn with the F-N curve
    heads = [h.value for h in at.subheader]
    assert any(h.startswith("Criterion: ") for h in heads), heads
    crit_ids = {c["id"] for c in doc["criteria"]["used"]}
    captions = "\n".join(c.value for c in at.caption)
    for cid in crit_ids:
        assert cid in captions
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    fn = [c for c in charts if any(t.get("name") == "F-N curve of the depot" for t in c["data"])]
    assert len(fn) == 1
    names = [t.get("name", "") for t in fn[0]["data"]]
    if regime == "uk-hse":
        (pt,) = [t for t in fn[0]["data"] if t.get("name", "").startswith("UK HSE")]
        assert (pt["x"], pt["y"]) == ([50.0], [2e-4])
    else:
        assert any(n.startswith("Netherlands: orientation value") for n in names)
    # the F-N step function: each step's right end is a point of the command's curve
    (curve,) = [t for t in fn[0]["data"] if t.get("name") == "F-N curve of the depot"]
    assert curve["x"][1::2] == [p["n"] for p in doc["fn_curve"]]
    assert curve["y"][1::2] == [p["f_per_year"] for p in doc["fn_curve"]]
    # the table per exposed site: the command's figures, to the three figures shown
    sites = _table(at, "exposed site").set_index("exposed site")
    want = {s["id"]: s for s in doc["sites"]}
    assert set(sites.index) == set(want)
    for sid, s in want.items():
        assert per_year_value(sites.loc[sid, "individual risk per year"]) == pytest.approx(
            s["individual_risk_per_year"], rel=5e-3)
        assert per_year_value(sites.loc[sid, "location risk per year"]) == pytest.approx(
            s["location_risk_per_year"], rel=5e-3)
        assert (sites.loc[sid, "criterion"] or "–") == (s["criterion"] or "–")
    # the violations ranking, the same order as the command's
    viol = _table(at, "rank")
    assert list(viol["exposed site"]) == [v["es"] for v in doc["violations"]]
    for (_, row), v in zip(viol.iterrows(), doc["violations"], strict=True):
        assert per_year_value(row["individual risk per year"]) == pytest.approx(v["individual_risk_per_year"],
                                                                               rel=5e-3)
        assert per_year_value(row["at the licence NEQ"].split(" (")[0]) == pytest.approx(
            v["after_licence_neq"]["individual_risk_per_year"], rel=5e-3)
    # the escalation bounding case, beside the base figures, labelled
    esc = _table(at, "bounding case").set_index("exposed site")
    for s in doc["sensitivity"]["escalation_bounding"]["sites"]:
        assert per_year_value(esc.loc[s["id"], "bounding case"]) == pytest.approx(s["individual_risk_per_year"],
                                                                                 rel=5e-3)
        assert per_year_value(esc.loc[s["id"], "without escalation"]) == pytest.approx(
            s["base_individual_risk_per_year"], rel=5e-3)
    assert any(w.value.startswith("Not an estimate") for w in at.warning)
    # downloads: the JSON is the command's answer (same figures), the contours and the CSV are offered
    labels = [d.proto.label for d in at.get("download_button")]
    assert {"Risk (JSON)", "Lethality contours (GeoJSON)", "Sites and violations (CSV)"} <= set(labels)
    held = at.session_state["risk"]
    page_json = json.loads(held["files"]["json"])
    assert {s["id"]: s["individual_risk_per_year"] for s in page_json["sites"]} == \
        {s["id"]: s["individual_risk_per_year"] for s in doc["sites"]}
    assert page_json["location_risk"] == doc["location_risk"]
    assert page_json["expected_fatalities_per_year"] == doc["expected_fatalities_per_year"]
    fc = json.loads(held["files"]["geojson"])
    assert {f["properties"]["lethality_percent"] for f in fc["features"]} == {"100", "50", "10", "1"}


def test_no_raw_values_in_the_risk_tables_in_french():
    """Every cell of the page's tables is text, rounded, with French separators (issue 12's rule)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_tables_state", ROOT / "tests" / "test_app_tables_state.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    at = AppTest.from_file(str(APP), default_timeout=300).run()
    at.sidebar.selectbox(key="k_lang").set_value("fr").run()
    at.sidebar.radio(key="k_page").set_value("risk").run()
    at.button(key="run_risk").click().run()
    assert not at.exception, [e.message for e in at.exception]
    tables = mod._tables(at)
    assert len(tables) >= 4  # sites, violations, escalation, assumptions
    problems = [b for df in tables for b in mod._bad_cells(df, "fr")]
    assert not problems, problems[:20]
    cells = " ".join(str(c) for df in tables for col in df.columns for c in df[col])
    assert "9,55 × 10⁻⁶" in cells  # the farmhouse H1, French decimal comma
