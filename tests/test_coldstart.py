"""The cold path: what every process pays before its first answer (issue 12 item 3).

Times are measured by ``benchmarks/bench_coldstart.py``; these tests check
that the shortcuts taken for speed keep the answers and the command line whole.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from depotsafe import check
from depotsafe.cli import COMMANDS, build_parser
from depotsafe.qd import all_relations, pack_rules, required_distances, resolve_rule
from depotsafe.rules import load_rule_set

DEPOTSAFE = str(Path(sys.executable).with_name("depotsafe"))


def _slow_envelope(rs, case, key_of):
    """Every relation evaluated on its own, at every grid NEQ, maximum kept per key."""
    out: dict[tuple, np.ndarray] = {}
    for rel in all_relations():
        try:
            rule = resolve_rule(rs, case.division, rel, case.tables)
        except Exception:
            continue
        table = pack_rules(rs, [rule])
        q = check._Q_GRID
        d, _ = required_distances(table, np.zeros(q.size, dtype=np.int64), q, q)
        k = key_of(rel)
        out[k] = np.maximum(out.get(k, np.zeros(q.size)), d)
    return out


@pytest.mark.parametrize(("division", "tables"), [("1.1", ("3A", "3B")), ("1.2.1", ("3A", "3B")),
                                                  ("1.3", ("3A",)), ("1.3", ("3B",)), ("1.4", ("3A", "3B"))])
def test_envelopes_equal_every_relation_evaluated_alone(division: str, tables: tuple[str, ...]) -> None:
    """The envelopes evaluate each distinct rule once; the result is exactly the per-relation maximum."""
    rs = load_rule_set("iatg")
    case = check.CaseType(division, tables)
    pindex, penv = check._envelopes_by_pes(rs, case)
    slow = _slow_envelope(rs, case, lambda r: (r.pes_kind, *check._es_option(r)))
    assert set(pindex) == set(slow)
    for key, row in pindex.items():
        np.testing.assert_array_equal(penv[row], slow[key])
    index, env = check._envelopes(rs, case)
    slow_all = _slow_envelope(rs, case, check._es_option)
    assert set(index) == set(slow_all)
    for key, row in index.items():
        np.testing.assert_array_equal(env[row], slow_all[key])


def test_parser_for_one_command_imports_only_that_command() -> None:
    """``depotsafe check ...`` does not import the risk or effects engines."""
    code = ("import sys; from depotsafe.cli import build_parser; "
            "p = build_parser(['check', 'x.geojson']); "
            "print(sorted(m for m in ('depotsafe.risk', 'depotsafe.commands.risk', 'depotsafe.commands.effects', "
            "'depotsafe.validation') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_parser_without_a_command_still_has_every_command() -> None:
    for argv in (None, [], ["--help"], ["chek"], ["--version"]):
        parser = build_parser(argv)
        sub = next(a for a in parser._actions if a.dest == "command")
        assert set(sub.choices) == set(COMMANDS), argv


def test_misspelt_command_lists_every_command() -> None:
    proc = subprocess.run([DEPOTSAFE, "chek"], capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    for name in COMMANDS:
        assert name in proc.stderr


def test_pint_definitions_cached_on_disk_and_reused(tmp_path: Path) -> None:
    """The parsed unit definitions land in <cache>/pint; a second process reads them."""
    env = {"DEPOTSAFE_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    # a length goes through pint (masses in kg, g and t are read without it)
    code = "from depotsafe.units import to_si; print(to_si('1.2 km', 'length', 'd'))"
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
        assert out.stdout.strip() == "1200.0"
    assert any((tmp_path / "pint").iterdir())


def test_unwritable_cache_falls_back_to_a_plain_registry(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    env = {"DEPOTSAFE_CACHE_DIR": str(blocker), "PATH": "/usr/bin:/bin"}
    code = "from depotsafe.units import to_si; print(to_si('300 ft', 'length', 'd'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert float(out.stdout) == pytest.approx(91.44, abs=1e-9)


def test_app_warm_up_runs_once_in_the_background() -> None:
    pytest.importorskip("streamlit")
    from depotsafe.ui import app

    first = app.start_warm_up()
    assert app.start_warm_up() is first  # one per server process
    timings = app.warm_up(timeout_s=600)
    assert app.kernels_ready()
    assert app._WARM["error"] is None
    assert timings["check"] > 0


# ------------------------------------------------------------------ a check's process (issue 15 item 2)

#: Modules a plain ``depotsafe check LAYOUT --out-json F`` never uses: the other engines, the
#: app and documents, the GIS and CAD readers, units (masses in kg need no pint), number styles
#: of other languages (Babel), KML's XML escaping (which imports urllib.request), and the
#: registries Numba needs only to compile (a cached kernel loads without them: kernels/_jit.py).
NOT_IN_A_CHECK = (
    "depotsafe.risk", "depotsafe.effects", "depotsafe.documents", "depotsafe.ui", "depotsafe.scenario",
    "depotsafe.siting", "depotsafe.validation", "depotsafe.batch", "depotsafe.dxfio", "depotsafe.mapping",
    "depotsafe.commands.risk", "depotsafe.commands.effects", "pint", "babel", "pyogrio", "ezdxf", "pandas",
    "jinja2", "weasyprint", "streamlit", "dask", "xml.sax.saxutils", "urllib.request",
    "numba.np.npyimpl", "numba.typed.typeddict", "numba.experimental.jitclass.base", "cffi",
)

_CHECK_IN_A_PROCESS = """
import json, sys
from depotsafe.cli import main
import depotsafe.kernels._jit as jit
if sys.argv[3] == "full":
    jit.needs_registries = lambda payload: True  # Numba's own loading, for comparison
status = main(["check", sys.argv[1], "--out-json", sys.argv[2]])
from numba.core.registry import CPUDispatcher
kernels = [v for name, m in list(sys.modules.items()) if name.startswith("depotsafe.kernels.")
           for v in vars(m).values() if isinstance(v, CPUDispatcher)]
print(json.dumps({"status": status, "modules": sorted(m for m in sys.argv[4].split(",") if m in sys.modules),
                  "hits": sum(sum(k.stats.cache_hits.values()) for k in kernels),
                  "misses": sum(sum(k.stats.cache_misses.values()) for k in kernels)}))
"""


def _check_process(layout: Path, out: Path, mode: str, modules: tuple[str, ...] = ()) -> tuple[dict, str]:
    proc = subprocess.run([sys.executable, "-c", _CHECK_IN_A_PROCESS, str(layout), str(out), mode, ",".join(modules)],
                          capture_output=True, text=True, check=True)
    info_line = proc.stdout.strip().splitlines()[-1]
    import json

    return json.loads(info_line), "".join(proc.stdout.strip().splitlines(keepends=True)[:-1])


@pytest.fixture(scope="module")
def local_layout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic depot of 300 sites in local metres (no CRS to convert: pyproj has nothing to do)."""
    import json

    from depotsafe.synthetic import synthetic_depot

    p = tmp_path_factory.mktemp("coldstart") / "depot.geojson"
    p.write_text(json.dumps(synthetic_depot(300, seed=3)), encoding="utf-8")
    return p


def test_a_check_imports_only_what_it_uses(local_layout: Path, tmp_path: Path) -> None:
    """A fresh process checking a depot (kernels cached) imports none of NOT_IN_A_CHECK, nor pyproj
    for a layout in local metres, and loads its kernels from the cache without Numba's registries."""
    _check_process(local_layout, tmp_path / "warm.json", "cheap")  # compiles whatever the cache lacks
    info, _text = _check_process(local_layout, tmp_path / "out.json", "cheap", (*NOT_IN_A_CHECK, "pyproj"))
    assert info["status"] in (0, 1)
    assert info["modules"] == []
    assert info["misses"] == 0
    assert info["hits"] >= 5  # the check's kernels, each loaded from the cache


def test_the_sample_check_imports_only_what_it_uses(tmp_path: Path) -> None:
    """The sample (WGS84 longitude/latitude: pyproj converts it) in a fresh process, kernels cached."""
    from importlib.resources import files

    sample = Path(str(files("depotsafe.data").joinpath("samples", "sample_depot.geojson")))
    _check_process(sample, tmp_path / "warm.json", "cheap")
    not_used = tuple(m for m in NOT_IN_A_CHECK if m != "urllib.request")  # pyproj imports it
    info, _text = _check_process(sample, tmp_path / "out.json", "cheap", not_used)
    assert info["modules"] == []
    assert info["misses"] == 0


def test_cheap_kernel_loading_gives_numbas_bytes(local_layout: Path, tmp_path: Path) -> None:
    """The check loaded the cheap way writes the same JSON and report, byte for byte, as with
    Numba's own loading (the full refresh of its target context before every load)."""
    _check_process(local_layout, tmp_path / "warm.json", "cheap")
    cheap, cheap_text = _check_process(local_layout, tmp_path / "cheap.json", "cheap", ("numba.np.npyimpl",))
    full, full_text = _check_process(local_layout, tmp_path / "full.json", "full", ("numba.np.npyimpl",))
    assert cheap["modules"] == []  # the two ways were taken
    assert full["modules"] == ["numba.np.npyimpl"]
    assert (tmp_path / "cheap.json").read_bytes() == (tmp_path / "full.json").read_bytes()
    assert cheap_text == full_text
    assert cheap["status"] == full["status"]


def test_registry_symbols_send_a_kernel_the_full_way() -> None:
    from depotsafe.kernels._jit import needs_registries

    obj = b"\x7fELF...numba_gil_ensure...NRT_decref..."
    assert not needs_registries((("lib", "object", (obj, b"BC")), None))
    assert needs_registries((("lib", "object", (obj + b"_numba_hashsecret_siphash_k0", b"BC")), None))
    assert needs_registries((("lib", "bitcode", b"BC"), None))  # not object code: Numba's way
    assert needs_registries(("not", "a", "payload"))


def test_english_number_symbols_are_babels() -> None:
    """English's fast path writes "," and "." without importing Babel: they are CLDR's."""
    from depotsafe.textfmt import ENGLISH, NumberStyle

    babel_en = NumberStyle("en")  # the same locale through Babel
    assert (ENGLISH.group, ENGLISH.decimal) == (babel_en.group, babel_en.decimal)


def test_rule_lookup_by_table_keeps_every_entry_in_order() -> None:
    """resolve_rule reads each table's PES columns, ES rows and text rules from an index: the
    index holds exactly the rule set's entries of each table, in the rule set's order."""
    from depotsafe.qd import _by_table

    rs = load_rule_set("iatg")
    index = _by_table(rs)
    tables = {e.table for e in (*rs.pes_columns, *rs.es_rows, *rs.extra)}
    assert set(index) == tables
    for t in tables:
        cols, rows, extra = index[t]
        assert list(cols) == [c for c in rs.pes_columns if c.table == t]
        assert list(rows) == [r for r in rs.es_rows if r.table == t]
        assert list(extra) == [x for x in rs.extra if x.table == t]
