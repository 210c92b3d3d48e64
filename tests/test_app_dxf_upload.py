"""A DXF site plan uploaded in the app with its mapping file (issue 15 item 1: "the app's upload
accepts the same formats").

The sample depot is drawn with ezdxf as tests/test_dxf.py draws it (millimetres, a turned and moved
drawing, footprints on one layer per kind, ids as texts).  Uploaded on the Depot page with its
mapping file and the stock CSV, it must check as ``depotsafe check plan.dxf --mapping map.json
--stock stock.csv`` does (the command's JSON is the reference: the same pairs, distances, verdicts
and rules).  A drawing without its mapping file, a bad drawing and a bad mapping end in a message
(the command line's per-entity lines for the last two) and leave the depot on the page unchanged.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import ezdxf
import pytest
from streamlit.testing.v1 import AppTest

from depotsafe.errors import DepotsafeError
from depotsafe.ui import model
from test_dxf import draw, mapping, write_mapping
from test_gisio import FEATURES, SAMPLE, SAMPLE_STOCK, run

APP = Path(__file__).resolve().parents[1] / "app.py"
UNCHANGED = "The file was not loaded; the depot on the page is unchanged."


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("dxf")
    draw(d / "plan.dxf")
    return {"plan": d / "plan.dxf", "map": write_mapping(d / "map.json", mapping())}


def _app() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=300).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _load(at: AppTest, layout: tuple[str, bytes], mapping_file: tuple[str, bytes] | None,
          stock: tuple[str, bytes] | None = None) -> str:
    """Put the files in the uploaders, press Load; the page's error messages."""
    at.file_uploader(key="upload_layout").set_value((*layout, "application/octet-stream"))
    up = at.file_uploader(key="upload_mapping")
    up.set_value(None if mapping_file is None else (*mapping_file, "application/json"))
    at.file_uploader(key="upload_stock").set_value(None if stock is None else (*stock, "text/csv"))
    at.run()
    at.button(key="load_upload").click().run()
    assert not at.exception, [e.message for e in at.exception]
    return "\n".join(str(e.value) for e in at.error)


def _depot(at: AppTest) -> tuple[Any, Any, Any]:
    s = at.session_state
    return copy.deepcopy(s["layout_fc"]), copy.deepcopy(s["stock_rows"]), s["layout_label"]


def _pairs(pairs: Any) -> dict[tuple[str, str, str], tuple[float, float, bool, str]]:
    return {(p["pes"], p["es"], p["hd"]): (p["distance_m"], p["required_distance_m"], p["compliant"], p["rule"])
            for p in pairs}


def _licence(site: dict[str, Any]) -> tuple[Any, ...]:
    mixed = site.get("mixed_stock") or {}
    return (site["id"], mixed.get("compliant"),
            [(c["hd"], None if c.get("headroom_kg") is None else round(c["headroom_kg"], 6))
             for c in mixed.get("cases", [])])


def test_a_drawing_with_its_mapping_checks_as_the_command_does(files: dict[str, Path]) -> None:
    at = _app()
    errors = _load(at, ("plan.dxf", files["plan"].read_bytes()), ("map.json", files["map"].read_bytes()),
                   ("stock.csv", SAMPLE_STOCK.read_bytes()))
    assert not errors, errors
    assert "Loaded plan.dxf." in [str(e.value) for e in at.success]
    assert at.session_state["layout_label"] == "plan.dxf"
    at.sidebar.radio(key="k_page").set_value("compliance").run()
    at.button(key="run_check").click().run()
    assert not at.exception, [e.message for e in at.exception]
    result = at.session_state["check"]["result"]
    want = json.loads(run("check", files["plan"], "--mapping", files["map"], "--stock", SAMPLE_STOCK, "--json",
                          status=1).stdout)
    got = _pairs(result.iter_pairs())
    ref = _pairs(want["pairs"])
    assert ref
    assert got.keys() == ref.keys()
    for k, (dist, req, ok, rule) in ref.items():
        assert abs(got[k][0] - dist) <= 1e-6, k  # the same drawing read by the same reader: to the micrometre
        assert got[k][1:] == (req, ok, rule), k
    assert result.summary()["violations"] == want["summary"]["violations"] > 0
    # the storehouses' licences: the same verdicts and headrooms
    assert [_licence(s) for s in result.sites] == [_licence(s) for s in want["sites"]]
    # every site of the drawing, with its kind: the sample depot it was drawn from
    assert sorted((s.id, s.kind) for s in result.depot.sites) == sorted(
        (f["properties"]["id"], f["properties"]["kind"]) for f in FEATURES)


def test_a_drawing_without_mapping_or_with_bad_files_leaves_the_depot(files: dict[str, Path],
                                                                      tmp_path: Path) -> None:
    at = _app()
    before = _depot(at)
    plan = ("plan.dxf", files["plan"].read_bytes())
    # no mapping file: what the drawing needs is said, nothing read
    errors = _load(at, plan, None)
    assert UNCHANGED in errors
    assert "plan.dxf is a DXF drawing: upload its mapping file too" in errors
    for needed in ("units", "projected CRS", "georeference point", "site ids", "never guesses"):
        assert needed in errors, needed
    assert _depot(at) == before
    # a bad drawing (an open polyline on a footprint layer) and a bad mapping (no units, a layer the
    # drawing does not hold): the command line's per-entity lines, naming the uploaded files
    bad_plan = tmp_path / "bad.dxf"
    doc = ezdxf.readfile(files["plan"])
    doc.modelspace().add_lwpolyline([(0, 0), (1000, 0), (1000, 1000)], dxfattribs={"layer": "IGLOO-7"})
    doc.saveas(bad_plan)
    m = mapping()
    del m["units"]
    m["layers"]["SILO"] = "igloo_3bar"
    bad_map = write_mapping(tmp_path / "bad-map.json", m)
    for layout, mp, needle in [(bad_plan, files["map"], "an open polyline on a footprint layer"),
                               (files["plan"], bad_map, "units: missing")]:
        cli = run("check", layout, "--mapping", mp, "--json", status=2).stderr
        lines = [ln.strip() for ln in cli.splitlines() if ln.startswith("  - ")]
        assert any(needle in ln for ln in lines), cli
        errors = _load(at, (layout.name, layout.read_bytes()), (mp.name, mp.read_bytes()))
        assert UNCHANGED in errors
        for ln in lines:
            assert ln in errors, ln
        assert str(tmp_path) not in errors  # the user's names only
        assert "depotsafe-upload" not in errors
        assert _depot(at) == before
    # the uploaders state the app's one limit
    for key in ("upload_layout", "upload_mapping", "upload_stock"):
        assert at.file_uploader(key=key).proto.max_upload_size_mb == model.MAX_UPLOAD_MB


def test_a_mapping_with_a_geojson_layout_is_refused_as_on_the_command_line(tmp_path: Path) -> None:
    mp = write_mapping(tmp_path / "names.json", {"fields": {"BLDG_NO": "id"}})
    with pytest.raises(DepotsafeError, match="only for a GIS file or a DXF drawing") as err:
        model.read_uploaded(SAMPLE.read_bytes(), "depot.geojson", mapping=mp.read_bytes(), mapping_name="names.json")
    assert "names.json" in str(err.value)
    assert "depotsafe-upload" not in str(err.value)
    with pytest.raises(DepotsafeError, match="is a DXF drawing: upload its mapping file too"):
        model.read_uploaded(b"0\nSECTION\n", "plan.dxf")
    with pytest.raises(DepotsafeError, match=r"mapping file m\.json: got '25\.0 MB'"):
        model.read_uploaded(b"0\nSECTION\n", "plan.dxf", mapping=b" " * (model.MAX_UPLOAD_BYTES + 1),
                            mapping_name="m.json")
