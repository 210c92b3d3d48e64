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
