"""A zipped Shapefile uploaded in the app (issue 15 item 1: "the app's upload accepts the same formats").

A Shapefile is several files and holds one geometry type, so the sample depot travels as a zip of
two Shapefiles (sites, routes) and its stock as the CSV.  The upload must give the same depot as the
GeoJSON it was written from (sites, kinds, and the check's pairs and violations); a bad zip is
refused with a message naming the zip and what is allowed, never unpacked outside its folder.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from depotsafe.check import check_depot
from depotsafe.errors import DepotsafeError, InputError
from depotsafe.layout import read_layout
from depotsafe.ui import model
from test_gisio import POLYS, ROUTES, SAMPLE_STOCK, write


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in files.items():
            z.writestr(name, body)
    return buf.getvalue()


@pytest.fixture(scope="module")
def shapefiles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    d = tmp_path_factory.mktemp("shp")
    write(d / "sites.shp", POLYS, "ESRI Shapefile")
    write(d / "routes.shp", ROUTES, "ESRI Shapefile")
    return {p.name: p.read_bytes() for p in sorted(d.iterdir())}


def _pairs(result) -> list[tuple]:
    return sorted((p["pes"], p["es"], p["hd"], round(p["distance_m"], 3), round(p["required_distance_m"], 3),
                   p["compliant"]) for p in result.iter_pairs())


def test_zipped_shapefiles_give_the_depot_of_the_geojson(shapefiles: dict[str, bytes], bare_layout: Path) -> None:
    fc, rows = model.read_uploaded(_zip(shapefiles), "depot.zip", SAMPLE_STOCK.read_bytes(), "stock.csv")
    got = check_depot(model.build_depot(fc, rows), "iatg")
    want = check_depot(read_layout(bare_layout, stock_csv=SAMPLE_STOCK), "iatg")
    assert sorted((s.id, s.kind) for s in got.depot.sites) == sorted((s.id, s.kind) for s in want.depot.sites)
    assert _pairs(got) == _pairs(want)
    assert got.n_violations == want.n_violations > 0
    assert json.dumps(fc)  # the layout document kept by the app is plain JSON


def test_one_zipped_shapefile_of_sites_alone(shapefiles: dict[str, bytes]) -> None:
    only = {k: v for k, v in shapefiles.items() if k.startswith("sites.")}
    fc, _rows = model.read_uploaded(_zip(only), "sites.zip")
    assert {f["properties"]["id"] for f in fc["features"]} == {f["properties"]["id"] for f in POLYS}


@pytest.mark.parametrize(("files", "says"), [
    ({"notes.txt": b"x"}, "only the files of Shapefiles"),
    ({"../evil.shp": b"x"}, "at the top of the zip"),
    ({"depot/sites.shp": b"x"}, "at the top of the zip"),
    ({"sites.dbf": b"x"}, "holds no .shp file"),
    ({f"f{i}.prj": b"x" for i in range(21)}, "at most 20"),
    ({"big.shp": b"\0" * (model.MAX_UPLOAD_BYTES + 1)}, "MB unpacked"),
])
def test_bad_zip_is_refused_naming_it(tmp_path: Path, files: dict[str, bytes], says: str) -> None:
    with pytest.raises(InputError) as err:
        model.read_uploaded(_zip(files), "upload.zip")
    assert "upload.zip" in str(err.value)
    assert says in str(err.value)
    assert not (tmp_path.parent / "evil.shp").exists()


def test_not_a_zip_and_a_broken_shapefile(shapefiles: dict[str, bytes]) -> None:
    with pytest.raises(InputError, match=r"a \.zip archive holding a Shapefile"):
        model.read_uploaded(b"PK but not a zip", "depot.zip")
    broken = {k: v for k, v in shapefiles.items() if not k.endswith(".shx") and k.startswith("sites.")}
    broken["sites.shp"] = broken["sites.shp"][:100]
    with pytest.raises(DepotsafeError) as err:  # the reader's own message, with the user's zip named
        model.read_uploaded(_zip(broken), "depot.zip")
    assert "depot.zip" in str(err.value)
    assert "depotsafe-upload-" not in str(err.value)
