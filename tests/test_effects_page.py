"""The Effects page explodes a storehouse's aggregation group by default (issue 8 item 5), headless."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from depotsafe.effects import blast as b
from depotsafe.layout import read_layout

APP = Path(__file__).resolve().parents[1] / "app.py"
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "samples" / "sample_depot.geojson"


def _kpa(cell: str) -> float:
    """The number of a cell such as "8.89 kPa" (shown to three significant figures)."""
    assert cell.endswith(" kPa"), cell
    return float(cell.split(" ")[0].replace(",", ""))


def _table(at: AppTest):
    for d in [*at.table, *at.dataframe]:
        if "building" in d.value.columns:
            return d.value.set_index("building")
    raise AssertionError("no effects table")


def test_group_by_default_and_alone_on_request() -> None:
    at = AppTest.from_file(str(APP), default_timeout=180).run()
    at.sidebar.radio(key="k_page").set_value("effects").run()
    at.selectbox(key="k_effects_site").set_value("BS1").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.toggle(key="k_effects_group").value is True
    assert "effects_groups" in at.session_state  # no check was run: the page ran one without licences
    assert any("AASTP-1 §1.3.2.3 b)" in i.value and "BS2" in i.value for i in at.info)
    depot = read_layout(SAMPLE)
    table = _table(at)
    assert "BS1" not in table.index
    assert "BS2" not in table.index
    d = min(depot.site("H1").geometry.distance(depot.site(m).geometry) for m in ("BS1", "BS2"))
    assert _kpa(table.loc["H1", "overpressure"]) == pytest.approx(b.incident_overpressure_pa(10_000.0, d) / 1e3,
                                                                  rel=5e-3)
    at.toggle(key="k_effects_group").set_value(False).run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("alone on request" in w.value for w in at.warning)
    table = _table(at)
    d = depot.site("BS2").geometry.distance(depot.site("BS1").geometry)
    assert _kpa(table.loc["BS2", "overpressure"]) == pytest.approx(b.incident_overpressure_pa(5_000.0, d) / 1e3,
                                                                   rel=5e-3)


def test_the_page_reuses_the_check_the_app_holds() -> None:
    at = AppTest.from_file(str(APP), default_timeout=180).run()
    at.sidebar.radio(key="k_page").set_value("compliance").run()
    at.button(key="run_check").click().run()
    at.sidebar.radio(key="k_page").set_value("effects").run()
    at.selectbox(key="k_effects_site").set_value("BS2").run()
    assert not at.exception, [e.message for e in at.exception]
    assert "effects_groups" not in at.session_state  # no second check
    assert any("BS1" in i.value for i in at.info)
    table = _table(at)
    assert "BS1" not in table.index
    assert "BS2" not in table.index
