"""The app's upload takes GeoPackage, FlatGeobuf and KML layouts (issue 15 item 1) as the command does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.test_gisio import FEATURES, SAMPLE, SAMPLE_STOCK, make

from depotsafe.errors import LayoutError
from depotsafe.ui import model


@pytest.mark.parametrize("fmt", ["fgb", "kml"])
def test_upload_reads_a_gis_layout_as_its_geojson(fmt: str, tmp_path: Path) -> None:
    (path,) = make(fmt, tmp_path)
    fc, rows = model.read_uploaded(Path(path).read_bytes(), f"depot.{fmt}", SAMPLE_STOCK.read_bytes(),
                                   "stock.csv")
    ref_fc, ref_rows = model.read_uploaded(SAMPLE.read_bytes(), "sample_depot.geojson")
    assert sorted(rows, key=json.dumps) == sorted(ref_rows, key=json.dumps)
    got = {f["properties"]["id"]: f["properties"]["kind"] for f in fc["features"]}
    assert got == {f["properties"]["id"]: f["properties"]["kind"] for f in FEATURES}
    a = model.build_depot(fc, rows)
    b = model.build_depot(ref_fc, ref_rows)
    assert {s.id: (s.kind, round(s.geometry.area, 3)) for s in a.sites} == \
           {s.id: (s.kind, round(s.geometry.area, 3)) for s in b.sites}


def test_upload_of_a_geopackage_of_several_layers_names_them(tmp_path: Path) -> None:
    args = make("gpkg", tmp_path)
    with pytest.raises(LayoutError, match=r"holds 2 layers \(sites, routes\)") as info:
        model.read_uploaded(Path(args[0]).read_bytes(), "depot.gpkg")
    assert "depotsafe-upload" not in str(info.value)  # the user's file name, not the server's path
