"""``depotsafe batch FOLDER --mapping MAP`` picks up the folder's DXF drawings (issue 15 item 1).

A folder holding a GeoJSON layout, a FlatGeobuf and a DXF drawing (each of the last two with its
stock CSV beside it) is
checked in one batch with a DXF drawing's mapping file: the drawing is read with the mapping, the
GeoJSON and the GIS file without it (the mapping is not for them), and each layout's JSON is byte for
byte what ``depotsafe check`` prints for that file alone (the single runs are the reference).
Without ``--mapping`` the drawing is a failed row with check's message, the other layouts are
checked, and the batch exits 2.  Everything runs through the installed ``depotsafe`` command.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from test_dxf import draw, mapping, write_mapping
from test_gisio import SAMPLE, SAMPLE_STOCK, make, run


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("depots")
    shutil.copy(SAMPLE, d / "gj.geojson")  # stock inline
    (fgb,) = make("fgb", d)
    Path(fgb).rename(d / "gis.fgb")  # written without its stock field: the stock CSV beside it
    shutil.copy(SAMPLE_STOCK, d / "gis.stock.csv")
    draw(d / "plan.dxf")
    shutil.copy(SAMPLE_STOCK, d / "plan.stock.csv")  # the drawing's stock, beside it
    return d


def _rows(stdout: str) -> dict[str, dict[str, Any]]:
    return {Path(r["file"]).name: r for r in json.loads(stdout)["layouts"]}


def test_a_folder_batch_reads_its_drawing_with_the_mapping(folder: Path, tmp_path: Path) -> None:
    folder = Path(shutil.copytree(folder, tmp_path / "depots"))
    dxf_map = write_mapping(folder / "map.json", mapping())  # in the folder: the mapping, not a layout
    out = tmp_path / "out"
    r = run("batch", folder, "--mapping", dxf_map, "--out", out, "--workers", "1", "--json", status=1)
    rows = _rows(r.stdout)
    assert set(rows) == {"gj.geojson", "gis.fgb", "plan.dxf"}  # not map.json
    assert all(row["status"] == "violations" for row in rows.values()), rows
    # the drawing read with the mapping and its stock CSV, the others as check reads them alone
    assert (rows["plan.dxf"]["mapping"], rows["plan.dxf"]["stock"]) == ("map.json", "plan.stock.csv")
    assert rows["gj.geojson"]["mapping"] is None
    assert rows["gis.fgb"]["mapping"] is None
    singles = {
        "plan.dxf": run("check", folder / "plan.dxf", "--mapping", dxf_map, "--stock", folder / "plan.stock.csv",
                        "--json", status=1).stdout,
        "gj.geojson": run("check", folder / "gj.geojson", "--json", status=1).stdout,
        "gis.fgb": run("check", folder / "gis.fgb", "--stock", folder / "gis.stock.csv", "--json", status=1).stdout,
    }
    for name, single in singles.items():
        assert (out / rows[name]["output"]).read_text() == single, name
    # the drawing's check holds the stock of the CSV (a storehouse with a mixed-stock licence)
    assert any(s.get("mixed_stock") for s in json.loads(singles["plan.dxf"])["sites"])
    # the summary files carry the column too
    assert "mapping" in (out / "summary.csv").read_text().splitlines()[0].split(",")


def test_without_mapping_the_folders_drawing_fails_and_the_others_are_checked(folder: Path, tmp_path: Path
                                                                               ) -> None:
    out = tmp_path / "out"
    r = run("batch", folder, "--out", out, "--workers", "1", "--json", status=2)
    rows = _rows(r.stdout)
    assert set(rows) == {"gj.geojson", "gis.fgb", "plan.dxf"}
    assert rows["plan.dxf"]["status"] == "failed"
    assert "is a DXF drawing: give its mapping file" in rows["plan.dxf"]["error"]
    assert not (out / "plan.dxf.json").exists()
    assert rows["gj.geojson"]["status"] == rows["gis.fgb"]["status"] == "violations"
    assert (out / "gj.geojson.json").read_text() == run("check", folder / "gj.geojson", "--json", status=1).stdout
    assert "plan.dxf: failed: --mapping: got None" in r.stderr
