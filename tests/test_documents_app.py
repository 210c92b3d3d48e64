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
