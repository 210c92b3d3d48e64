"""A stock CSV whose rows repeat the same quantities (read once per distinct text,
checked once per distinct row): every row still gets its own stock, and every bad
row its own message naming its row, however often the same text comes back."""

from __future__ import annotations

import pytest

from depotsafe.check import check_depot
from depotsafe.errors import LayoutError
from depotsafe.layout import LOCAL_METRES, read_layout


def _layout(n: int) -> dict:
    feats = []
    for i in range(n):
        x = 200.0 * i
        ring = [[x, 0.0], [x + 10.0, 0.0], [x + 10.0, 20.0], [x, 20.0], [x, 0.0]]
        feats.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
                      "properties": {"id": f"H{i}", "kind": "heavy_walled"}})
    return {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": LOCAL_METRES}},
            "features": feats}


def test_repeated_rows_each_give_their_site_its_stock(tmp_path):
    csv = tmp_path / "stock.csv"
    csv.write_text("site_id,item,hd,cg,quantity,unit_neq_kg\n"
                   + "".join(f"H{i},shell,1.1,D,{'2 t' if i % 2 else '500 kg'},\n" for i in range(6)))
    depot = read_layout(_layout(6), stock_csv=csv)
    for i, site in enumerate(depot.sites):
        assert site.stock_entries == ({"hd": "1.1", "cg": "D", "item": "shell",
                                       "neq": "2 t" if i % 2 else "500 kg"},)
    neq = {s["id"]: s["neq_kg"]["1.1"] for s in check_depot(depot).sites}
    assert neq == {f"H{i}": (2000.0 if i % 2 else 500.0) for i in range(6)}


@pytest.mark.parametrize(("bad", "says"), [
    ("5 furlongs", "quantity"),      # not a mass: the unit reading fails every time
    ("5", "a mass without a unit"),  # a bare number
])
def test_a_repeated_bad_quantity_is_named_in_every_row(tmp_path, bad, says):
    csv = tmp_path / "stock.csv"
    csv.write_text("site_id,item,hd,cg,quantity,unit_neq_kg\n"
                   f"H0,shell,1.1,D,{bad},\nH1,shell,1.1,D,1 t,\nH2,shell,1.1,D,{bad},\n")
    with pytest.raises(LayoutError) as err:
        read_layout(_layout(3), stock_csv=csv)
    problems = err.value.problems
    assert len(problems) == 2
    assert "row 2" in problems[0]
    assert says in problems[0]
    assert "row 4" in problems[1]
    assert says in problems[1]


def test_a_repeated_bad_row_is_named_in_every_row(tmp_path):
    csv = tmp_path / "stock.csv"
    csv.write_text("site_id,item,hd,cg,quantity,unit_neq_kg\n"
                   "H0,shell,1.1,Z,1 t,\nH1,shell,1.1,D,1 t,\nH2,shell,1.1,Z,1 t,\n")
    with pytest.raises(LayoutError) as err:
        read_layout(_layout(3), stock_csv=csv)
    problems = err.value.problems
    assert [("row 2" in p, "row 4" in p, "cg" in p) for p in problems] == [(True, False, True), (False, True, True)]
