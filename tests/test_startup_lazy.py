"""``depotsafe check`` loads only what a check needs (issue 15 item 2: whole-process speed).

A fresh process runs the command line's ``main`` in-process (a tiny driver) and reports the
modules it imported: the app, the GIS and CAD readers, the risk, effects and scenario engines
and their kernels are never loaded by a check; PROJ only for a layout on the earth, pint (and
the optional packages pint itself imports: dask, jinja2) only for quantities written
with a unit.  The answers are those of the same check run with every
one of those modules imported beforehand (the JSON, parsed, compared whole).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from depotsafe import synthetic

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "samples" / "sample_depot.geojson"

#: Imported by no check (prefixes: a package and its submodules).
NEVER = ("streamlit", "pandas", "plotly", "distributed", "pyogrio", "ezdxf", "weasyprint",
         "depotsafe.ui", "depotsafe.effects", "depotsafe.risk", "depotsafe.scenario",
         "depotsafe.documents", "depotsafe.batch", "depotsafe.dxfio", "depotsafe.mapping", "depotsafe.siting",
         "depotsafe.kernels.blast", "depotsafe.kernels.risk")

#: Imported by pint itself when a quantity written with a unit is read (its optional integrations;
#: babel too, which the readable text's number formats load anyway).
WITH_PINT = ("pint", "dask", "jinja2")

#: Runs ``depotsafe ARGS`` in this process, then prints the imported modules as the last line of stderr.
DRIVER = """
import json, sys
from depotsafe.cli import main
status = main(sys.argv[1:])
sys.stdout.flush()
sys.stderr.write("\\n" + json.dumps({"status": status, "modules": sorted(sys.modules)}) + "\\n")
"""

#: The same, with every lazily loaded module imported first (what a check loaded before).
EAGER = """
import importlib, json, sys
for name in ("pyproj", "pint", "depotsafe.units", "depotsafe.gisio"):
    importlib.import_module(name)
from depotsafe.units import registry
registry()
""" + DRIVER


def _run(code: str, *args: str) -> tuple[int, set[str]]:
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=600,
                          check=False)
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    assert report["status"] in (0, 1), proc.stderr
    return report["status"], set(report["modules"])


def _loaded(modules: set[str], prefix: str) -> bool:
    return prefix in modules or any(m.startswith(prefix + ".") for m in modules)


@pytest.fixture(scope="module")
def local_layout(tmp_path_factory) -> Path:
    """A synthetic depot in local metres, its stock in plain kilograms (neq_kg)."""
    path = tmp_path_factory.mktemp("lazy") / "depot.geojson"
    path.write_text(json.dumps(synthetic.synthetic_depot(300, seed=4)), encoding="utf-8")
    assert '"neq_kg"' in path.read_text(encoding="utf-8")
    return path


def test_check_of_the_sample_imports_no_engine_it_does_not_use(tmp_path: Path) -> None:
    _status, modules = _run(DRIVER, "check", str(SAMPLE), "--out-json", str(tmp_path / "a.json"))
    assert "depotsafe.check" in modules
    assert "numba" in modules
    assert "pyproj" in modules  # the sample lies on the earth (longitude/latitude)
    loaded = [p for p in NEVER if _loaded(modules, p)]
    assert not loaded, loaded


def test_check_of_a_local_metres_depot_needs_neither_proj_nor_pint(tmp_path: Path, local_layout: Path) -> None:
    _status, modules = _run(DRIVER, "check", str(local_layout), "--out-json", str(tmp_path / "a.json"))
    assert "depotsafe.check" in modules
    loaded = [p for p in (*NEVER, *WITH_PINT, "pyproj") if _loaded(modules, p)]
    assert not loaded, loaded


@pytest.mark.parametrize("which", ["sample", "local", "local-table"])
def test_answers_are_those_of_a_check_with_everything_loaded(tmp_path: Path, local_layout: Path,
                                                             which: str) -> None:
    layout = str(SAMPLE) if which == "sample" else str(local_layout)
    extra = ["--rounding", "table"] if which == "local-table" else []
    outputs = []
    for code, name in ((DRIVER, "lazy"), (EAGER, "eager")):
        out, pairs = tmp_path / f"{name}.json", tmp_path / f"{name}.csv"
        status, modules = _run(code, "check", layout, *extra, "--out-json", str(out), "--pairs-csv", str(pairs))
        assert ("pyproj" in modules) == (name == "eager" or which == "sample")
        outputs.append((status, out.read_bytes(), pairs.read_bytes()))
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0][1])["sites"]
