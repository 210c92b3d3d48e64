"""The Compliance page offers the report, a licence and the site plan for download (headless AppTest)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[1] / "app.py"


def test_compliance_page_offers_the_documents() -> None:
    at = AppTest.from_file(str(APP), default_timeout=300).run()
    at.sidebar.radio(key="k_page").set_value("compliance").run()
    at.button(key="run_check").click().run()
    assert not at.exception, [e.message for e in at.exception]
    before = [b.label for b in at.get("download_button")]
    assert "Report (PDF)" not in before  # typeset only when asked
    at.button(key="prepare_documents").click().run()
    assert not at.exception, [e.message for e in at.exception]
    labels = [b.label for b in at.get("download_button")]
    assert labels[-3:] == ["Report (PDF)", "Site plan (SVG)", "Licence (PDF)"]
    at.selectbox(key="licence_site").set_value("G1").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["check"]["documents"]["pdf"].startswith(b"%PDF-")
    assert set(at.session_state["check"]["documents"]["licences"]) == {"A1", "G1"}


def test_the_app_report_states_the_risk_contributors_as_the_command_does() -> None:
    """The app's report carries the risk section of ``depotsafe report``: its first row is the exposed
    site that ``depotsafe risk --json`` (the installed command, UK HSE criteria) ranks highest."""
    import json
    import re
    import subprocess
    import sys

    sample = Path(__file__).resolve().parents[1] / "data" / "samples" / "sample_depot.geojson"
    out = subprocess.run([str(Path(sys.executable).with_name("depotsafe")), "risk", str(sample), "--criteria",
                          "uk-hse", "--json"], capture_output=True, text=True, timeout=900, check=False)
    assert out.returncode in (0, 1), out.stderr
    ranked = sorted(json.loads(out.stdout)["sites"], key=lambda s: -s["individual_risk_per_year"])

    at = AppTest.from_file(str(APP), default_timeout=600).run()
    at.sidebar.radio(key="k_page").set_value("compliance").run()
    at.button(key="run_check").click().run()
    at.button(key="prepare_documents").click().run()
    assert not at.exception, [e.message for e in at.exception]
    docs = at.session_state["check"]["documents"]
    assert docs["criteria"] == "uk-hse"
    html = docs["html"]
    assert "The biggest risk contributors (explosion risk, IATG 02.10)" in html
    first_row = re.search(r'<table class="risk">.*?<tbody>\s*<tr>(.*?)</tr>', html, flags=re.S)
    assert first_row is not None, html[:2000]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", first_row.group(1), flags=re.S)
    assert ranked[0]["id"] in cells[0]


def test_the_arcs_chosen_on_the_map_are_drawn_on_the_report_plan() -> None:
    """"Also draw every arc of" US1 on the Compliance map: the report's site plan draws US1's arcs
    (as ``depotsafe report --arcs US1``); choosing none again asks for the documents anew."""
    at = AppTest.from_file(str(APP), default_timeout=600).run()
    at.sidebar.radio(key="k_page").set_value("compliance").run()
    at.button(key="run_check").click().run()
    at.selectbox(key="k_arcs_of").set_value("US1").run()
    at.button(key="prepare_documents").click().run()
    assert not at.exception, [e.message for e in at.exception]
    docs = at.session_state["check"]["documents"]
    assert docs["arc_sites"] == ["US1"]
    assert 'class="arc chosen"' in docs["svg"]
    at.selectbox(key="k_arcs_of").set_value("").run()
    assert at.session_state["check"]["documents"] is None  # prepared for US1's arcs: no longer offered
    assert [b for b in at.get("download_button") if b.label == "Report (PDF)"] == []
