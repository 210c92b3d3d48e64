"""``depotsafe batch --risk``: the same engine serves a batch of risk answers (issue 15 item 3).

A folder of a GeoJSON layout, a FlatGeobuf and a DXF drawing (each of the last two with its stock
CSV beside it) and a broken layout goes through one batch with ``--risk``: each layout's
``OUT/<file>.risk.json`` must be byte for byte what ``depotsafe risk FILE --json`` prints for that
file alone (the single runs are the reference, with the same stock CSV and mapping), the summary's
risk columns must be read off that answer, the broken layout is a failed row with no risk file, a
rerun with nothing changed does no work, and other criteria are a change.  Everything runs
through the installed ``depotsafe`` command.
"""

from __future__ import annotations

import csv
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
    Path(fgb).rename(d / "gis.fgb")
    shutil.copy(SAMPLE_STOCK, d / "gis.stock.csv")
    draw(d / "plan.dxf")
    shutil.copy(SAMPLE_STOCK, d / "plan.stock.csv")
    doc = json.loads(SAMPLE.read_text())
    del doc["features"][0]["properties"]["kind"]
    (d / "broken.geojson").write_text(json.dumps(doc))
    write_mapping(d / "map.json", mapping())
    return d


def _rows(stdout: str) -> dict[str, dict[str, Any]]:
    return {Path(r["file"]).name: r for r in json.loads(stdout)["layouts"]}


def _singles(folder: Path, *criteria: str) -> dict[str, str]:
    mp = folder / "map.json"
    return {
        "gj.geojson": run("risk", folder / "gj.geojson", *criteria, "--json").stdout,
        "gis.fgb": run("risk", folder / "gis.fgb", "--stock", folder / "gis.stock.csv", *criteria, "--json").stdout,
        "plan.dxf": run("risk", folder / "plan.dxf", "--mapping", mp, "--stock", folder / "plan.stock.csv",
                        *criteria, "--json").stdout,
    }


def test_batch_risk_gives_what_risk_gives(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = run("batch", folder, "--mapping", folder / "map.json", "--out", out, "--risk", "--json", status=2)
    rows = _rows(r.stdout)
    assert set(rows) == {"gj.geojson", "gis.fgb", "plan.dxf", "broken.geojson"}
    assert rows["broken.geojson"]["status"] == "failed" and "kind" in rows["broken.geojson"]["error"]
    assert rows["broken.geojson"]["risk_output"] is None
    assert not (out / "broken.geojson.risk.json").exists()
    summary = json.loads(r.stdout)["summary"]
    singles = _singles(folder)
    for name, single in singles.items():
        row = rows[name]
        assert row["risk_output"] == f"{name}.risk.json"
        got = (out / row["risk_output"]).read_text()
        assert got == single, name
        answer = json.loads(single)
        top = max(answer["sites"], key=lambda s: s["individual_risk_per_year"])
        assert row["criteria"] == "uk-hse" == answer["criteria"]["regime"]
        assert row["risk_tolerable"] is answer["tolerable"]
        assert row["max_individual_risk_per_year"] == top["individual_risk_per_year"]
        assert row["max_individual_risk_site"] == top["id"]
        assert row["sites_not_tolerable"] == sum(not s["tolerable"] for s in answer["sites"])
        assert row["expected_fatalities_per_year"] == answer["expected_fatalities_per_year"]
        assert row["societal_band"] == answer["criteria"]["fn"]["band"]
    assert summary["not_tolerable"] == sum(not json.loads(s)["tolerable"] for s in singles.values())
    with (out / "summary.csv").open() as fh:
        table = {Path(row["file"]).name: row for row in csv.DictReader(fh)}
    assert table["gj.geojson"]["risk_output"] == "gj.geojson.risk.json"
    assert float(table["gj.geojson"]["max_individual_risk_per_year"]) == rows["gj.geojson"][
        "max_individual_risk_per_year"]
    # nothing changed: no work; other criteria: every layout again, as risk gives them
    again = json.loads(run("batch", folder, "--mapping", folder / "map.json", "--out", out, "--risk", "--json",
                           status=2).stdout)
    # (a layout that failed on bad input fails the same way again: reused as well)
    assert (again["summary"]["checked"], again["summary"]["reused"]) == (0, 4)
    assert _rows(json.dumps(again))["gj.geojson"]["risk_output"] == "gj.geojson.risk.json"
    nl = json.loads(run("batch", folder, "--mapping", folder / "map.json", "--out", out, "--risk", "--criteria",
                        "nl", "--json", status=2).stdout)
    assert nl["summary"]["reused"] == 0
    for name, single in _singles(folder, "--criteria", "nl").items():
        assert (out / f"{name}.risk.json").read_text() == single, name


def test_batch_risk_options_are_checked(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    for args, needle in [(("--criteria", "nl"), "--criteria"), (("--grid-cell", "10 m"), "--grid-cell"),
                         (("--risk", "--criteria", "xx"), "allowed: uk-hse, fr-2011, nl"),
                         (("--risk", "--grid-cell", "-5 m"), "--grid-cell")]:
        r = run("batch", folder / "gj.geojson", "--out", out, *args, status=2)
        assert needle in r.stderr, (args, r.stderr)
        assert not out.exists(), args


def test_risk_criteria_are_the_risk_engines() -> None:
    from depotsafe.batch import RISK_CRITERIA
    from depotsafe.risk import REGIMES

    assert RISK_CRITERIA == REGIMES


def test_batch_readable_line_writes_the_rate_as_risk_does(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    line = next(ln for ln in run("batch", folder / "gj.geojson", "--out", out, "--risk", status=1).stdout.splitlines()
                if "gj.geojson" in ln)
    answer = json.loads((out / "gj.geojson.risk.json").read_text())
    top = max(answer["sites"], key=lambda s: s["individual_risk_per_year"])
    # the same text for the same figure as `depotsafe risk`'s readable output prints for that site
    risk_line = next(ln for ln in run("risk", folder / "gj.geojson").stdout.splitlines()
                     if ln.strip().startswith(top["id"] + " "))
    rate = risk_line.split("IR ", 1)[1].split("/yr", 1)[0]
    assert f"highest individual risk {rate}/yr at {top['id']}" in line, (line, risk_line)
