"""``depotsafe risk`` reads a layout as ``check`` does: GIS layers (``--layer``) and a stock CSV.

The sample depot written as a GeoPackage of two layers (sites, routes) with its stock in the stock
CSV must give the risk answer of the GeoJSON it was written from (the reference run), site by site.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from test_gisio import SAMPLE, SAMPLE_STOCK, make, run


def test_risk_reads_the_layers_of_a_geopackage(tmp_path: Path) -> None:
    args = make("gpkg", tmp_path)
    ref = json.loads(run("risk", SAMPLE, "--json").stdout)
    got = json.loads(run("risk", *args, "--stock", SAMPLE_STOCK, "--json").stdout)
    a, b = {s["id"]: s for s in ref["sites"]}, {s["id"]: s for s in got["sites"]}
    assert a.keys() == b.keys() and a
    for sid, s in a.items():
        t = b[sid]
        assert (s["band"], s["tolerable"], s["criterion"]) == (t["band"], t["tolerable"], t["criterion"]), sid
        assert math.isclose(s["individual_risk_per_year"], t["individual_risk_per_year"], rel_tol=1e-12,
                            abs_tol=0.0), sid
    assert math.isclose(ref["expected_fatalities_per_year"], got["expected_fatalities_per_year"], rel_tol=1e-12)
    assert ref["tolerable"] == got["tolerable"]
    # without the routes layer the road is not an exposed site: the answer names one site fewer
    one = json.loads(run("risk", args[0], "--layer", "sites", "--stock", SAMPLE_STOCK, "--json").stdout)
    assert {s["id"] for s in one["sites"]} < b.keys()
