"""``depotsafe qd``: the JSON contract of DESIGN.md, every cell both ways, bad input."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys

import pytest

from depotsafe.api import quantity_limit, required_distance
from depotsafe.cli import main
from depotsafe.units import Q_
from reference import qd_naive
from test_qd_engine import RELATIONS


def run_json(capsys, *args):
    status = main([*args, "--json"])
    out = capsys.readouterr().out
    return status, json.loads(out)


def _args(rel):
    args = ["--pes", rel.pes_kind, "--es", rel.es_kind]
    if rel.pes_face:
        args += ["--pes-face", rel.pes_face]
    if rel.es_face:
        args += ["--es-face", rel.es_face]
    if rel.traffic:
        args += ["--traffic", rel.traffic]
    if rel.sparse:
        args += ["--sparse"]
    if rel.evacuable:
        args += ["--evacuable"]
    if rel.es_door_barricade:
        args += ["--es-door-barricade"]
    return args


@pytest.mark.parametrize(
    ("hd", "cg", "tables"),
    [("1.1", "D", None), ("1.2.1", None, None), ("1.2.2", None, None), ("1.3", "C", ("3A",)),
     ("1.3", "G", ("3B",)), ("1.6", "N", None)],
)
def test_every_cell_both_directions_through_the_command_line(capsys, hd, cg, tables):
    neq_kg = 20000.0
    for rel in RELATIONS:
        extra = ["--cg", cg] if cg else []
        if hd == "1.6":
            extra += ["--unit-neq", "1000 kg"]
        status, fwd = run_json(capsys, "qd", "--hd", hd, *extra, "--neq", f"{neq_kg} kg", *_args(rel))
        assert status == 0
        want = qd_naive.required_m(
            hd, rel.pes_kind, rel.pes_face, rel.es_kind, rel.es_face, q=neq_kg, unit_q=1000.0,
            traffic=rel.traffic, sparse=rel.sparse, evacuable=rel.evacuable, barricade=rel.es_door_barricade,
            hd13=tables or ("3A", "3B"),
        )
        assert fwd["required_distance_m"] == pytest.approx(want, rel=1e-12)
        assert fwd["required_distance_m_rounded_up"] == math.ceil(fwd["required_distance_m"])
        assert fwd["provenance"]["rule_set"] == "iatg"
        d = fwd["required_distance_m"]
        status, inv = run_json(capsys, "qd", "--hd", hd, *extra, "--distance", f"{d!r} m", *_args(rel))
        assert status == 0
        if inv["unlimited"]:
            assert inv["max_neq_kg"] is None
        else:
            assert inv["max_neq_kg"] >= neq_kg * (1 - 1e-12)


def test_json_contract_keys(capsys):
    status, out = run_json(
        capsys, "qd", "--hd", "1.1", "--cg", "D", "--neq", "20 t", "--pes", "igloo_7bar",
        "--pes-face", "front", "--es", "barricaded_stack",
    )
    assert status == 0
    # D7 = 2.4 x 20000^(1/3) (Table 1 column f row 14; Annex I-B: 66 m)
    assert out["required_distance_m"] == pytest.approx(2.4 * 20000 ** (1 / 3), rel=1e-12)
    assert out["rule"] == "D7"
    assert "AASTP-1 (2006) Annex I-A Table 1" in out["source"]
    assert isinstance(out["notes"], list)
    prov = out["provenance"]
    assert set(prov) >= {"rule_set", "rule_data_sha256", "depotsafe_version"}
    status, out = run_json(
        capsys, "qd", "--hd", "1.1", "--distance", "65 m", "--pes", "igloo_7bar",
        "--pes-face", "front", "--es", "barricaded_stack",
    )
    assert out["max_neq_kg"] == pytest.approx((65 / 2.4) ** 3, rel=1e-9)
    assert out["rule"] == "D7"
    assert out["unlimited"] is False


def test_nil_and_unlimited(capsys):
    _, out = run_json(capsys, "qd", "--hd", "1.1", "--distance", "260 m", "--pes", "igloo_7bar",
                      "--pes-face", "side", "--es", "workshop")
    assert out["max_neq_kg"] == 0 and out["nil"] is True  # Annex I-B: nil
    assert any("270" in n for n in out["notes"])
    _, out = run_json(capsys, "qd", "--hd", "1.2.1", "--distance", "5 m", "--pes", "igloo_7bar",
                      "--pes-face", "rear", "--es", "igloo_3bar", "--es-face", "side")
    assert out["max_neq_kg"] is None and out["unlimited"] is True  # Table 2 "No QD"


def test_human_output(capsys):
    assert main(["qd", "--hd", "1.1", "--neq", "20 t", "--pes", "igloo_7bar", "--pes-face", "front",
                 "--es", "barricaded_stack"]) == 0
    text = capsys.readouterr().out
    assert "required distance 66 m" in text
    assert "Table 1 column f row 14" in text


def test_python_api_takes_and_returns_quantities():
    answer = required_distance("1.1", Q_(44000, "lb"), "igloo_7bar", "inhabited_building", pes_face="rear")
    q_kg = 44000 * 0.45359237
    assert answer.distance.to("m").magnitude == pytest.approx(22.2 * q_kg ** (1 / 3), rel=1e-12)
    limit = quantity_limit("1.1", Q_(1500, "ft"), "igloo_7bar", "inhabited_building", pes_face="rear")
    assert limit.max_neq.to("kg").magnitude == pytest.approx((1500 * 0.3048 / 22.2) ** 3, rel=1e-9)


def test_dod_partial_rule_set(capsys):
    # 100,000 lb at K40: 40 x 100000^(1/3) ft = 1856.6 ft = 565.9 m (NASA-STD-8719.12A Table E-1 [S])
    _, out = run_json(capsys, "qd", "--rule-set", "dod_partial", "--hd", "1.1", "--neq", "100000 lb",
                      "--pes", "igloo_7bar", "--pes-face", "front", "--es", "inhabited_building")
    assert out["required_distance_m"] == pytest.approx(40 * 100000 ** (1 / 3) * 0.3048, rel=1e-9)
    # small quantity: the 1,250 ft fragment minimum
    _, out = run_json(capsys, "qd", "--rule-set", "dod_partial", "--hd", "1.1", "--neq", "1000 lb",
                      "--pes", "igloo_7bar", "--pes-face", "front", "--es", "inhabited_building")
    assert out["required_distance_m"] == pytest.approx(1250 * 0.3048, rel=1e-12)
    assert "PARTIAL" in out["provenance"]["statement"]


BASE = ["qd", "--neq", "1 t", "--pes", "igloo_7bar", "--pes-face", "front", "--es", "workshop"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["qd", "--hd", "1.7", *BASE[1:]], r"hd: got '1.7'; allowed: "),
        (["qd", "--hd", "1.2.3", *BASE[1:]], r"HD 1.2.3 does not exist in AASTP-1 \(2006\)"),
        (["qd", "--hd", "1.1", "--cg", "X", *BASE[1:]], r"cg: got 'X'; allowed: A, B, C"),
        (["qd", "--hd", "1.1", "--cg", "H", *BASE[1:]], r"1.1H is not a legal classification code"),
        (["qd", "--hd", "1.1", "--neq", "-5 t", *BASE[3:]], r"neq: got '-5 t'; a negative value is not accepted"),
        (["qd", "--hd", "1.1", "--neq", "0 kg", *BASE[3:]], r"neq: got '0 kg'; the NEQ must be > 0 kg"),
        (["qd", "--hd", "1.1", "--neq", "nan kg", *BASE[3:]], r"neq: got 'nan kg'; the number must be finite"),
        (["qd", "--hd", "1.1", "--neq", "5000", *BASE[3:]], r"neq: got '5000'; a number without a unit"),
        (["qd", "--hd", "1.1", "--neq", "5 ton", *BASE[3:]], r'"ton" is ambiguous'),
        (["qd", "--hd", "1.1", "--neq", "65 m", *BASE[3:]], r"neq: got '65 m'; this is a \[length\], not a mass"),
        (["qd", "--hd", "1.1", "--neq", "1 t", "--pes", "igloo", "--pes-face", "front", "--es", "workshop"],
         r"pes: got 'igloo'; allowed: igloo_7bar"),
        (["qd", "--hd", "1.1", "--neq", "1 t", "--pes", "igloo_7bar", "--pes-face", "front", "--es", "house"],
         r"es: got 'house'; allowed: "),
        (["qd", "--hd", "1.1", "--neq", "1 t", "--pes", "igloo_7bar", "--es", "workshop"],
         r"pes-face: got None; igloo_7bar is earth-covered and needs a face"),
        (["qd", "--hd", "1.1", "--neq", "1 t", "--pes", "workshop", "--pes-face", "side", "--es", "workshop"],
         r"pes-face: got 'side'; only earth-covered kinds have a face"),
        (["qd", "--hd", "1.1", "--neq", "1 t", "--pes", "igloo_7bar", "--pes-face", "top", "--es", "workshop"],
         r"pes-face: got 'top'; allowed: front, side, rear"),
        ([*BASE, "--hd", "1.1", "--traffic", "light"], r"traffic: got 'light'; traffic belongs to public_traffic_route"),
        (["qd", "--hd", "1.6", *BASE[1:]], r"unit-neq: got None; HD 1.6 needs the NEQ of one munition"),
        (["qd", "--hd", "1.1", "--neq", "1 t", "--pes", "inhabited_building", "--es", "workshop"],
         r"pes: got 'inhabited_building'; a PES must hold explosives"),
        (["qd", "--hd", "1.1", "--distance", "-3 m", *BASE[3:]], r"distance: got '-3 m'; a negative value is not accepted"),
        (["qd", "--hd", "1.3", "--rule-set", "dod_partial", *BASE[1:]], r"rule set 'dod_partial' is partial"),
        (["qd", "--hd", "1.1", "--rule-set", "nato2099", *BASE[1:]], r"rule set: got 'nato2099'; allowed: dod_partial, iatg"),
    ],
)
def test_bad_input_message_and_exit_status(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr()
    assert err.out == ""
    assert re.search(message, err.err), err.err


def test_installed_console_script_runs():
    out = subprocess.run(
        [sys.executable, "-m", "depotsafe", "qd", "--hd", "1.1", "--neq", "20 t", "--pes", "barricaded_stack",
         "--es", "barricaded_stack", "--json"],
        capture_output=True, text=True, check=True,
    )
    assert json.loads(out.stdout)["rule"] == "D7"
    bad = subprocess.run([sys.executable, "-m", "depotsafe", "qd", "--hd", "1.1"], capture_output=True, text=True)
    assert bad.returncode == 2


# --- issue 9: where the source raises the distance -------------------------------------------


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    """The installed ``depotsafe`` command."""
    from pathlib import Path

    exe = str(Path(sys.executable).with_name("depotsafe"))
    return subprocess.run([exe, *argv], capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize("cg", ["F", "H", "J", "K", "L"])
def test_hd13_groups_no_source_assigns_take_table_3a(cg: str) -> None:
    """Decision 28: §1.3.1.6 a) (p. I-3-5) names C for 3A and G for 3B only: F, H, J, K, L take 3A.

    Table 3A column f row 14 prints 240 m (virtually complete protection, p. I-A-18); Table 3B
    gives 60 m there (p. I-A-20).
    """
    out = _run("qd", "--hd", "1.3", "--cg", cg, "--neq", "10 t", "--pes", "igloo_7bar", "--pes-face", "front",
               "--es", "barricaded_stack", "--json")
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert answer["required_distance_m"] == 240.0
    assert any("decision 28" in n for n in answer["notes"])
    g = _run("qd", "--hd", "1.3", "--cg", "G", "--neq", "10 t", "--pes", "igloo_7bar", "--pes-face", "front",
             "--es", "barricaded_stack", "--json")
    assert json.loads(g.stdout)["required_distance_m"] == 60.0


@pytest.mark.parametrize(("pes", "es"), [
    ("barricaded_stack", "workshop_barricaded"),   # Table 1 column d row 17: D10^o
    ("unbarricaded_stack", "workshop_barricaded"),  # column e row 17: D10^o
    ("barricaded_stack", "workshop"),               # column d row 18: D10^o
])
def test_footnote_o_270_m_from_storage_to_light_roofed_workshop(pes: str, es: str) -> None:
    """Footnote o and §1.3.1.13 (p. I-3-10): 270 m between HD 1.1 storage and light-roofed workshops.

    At 500 kg D10 = 8.0 Q^(1/3) = 63.5 m (Table 1 prints 64 m at 500 kg); from a storage PES the
    270 m minimum governs (decision 27).
    """
    out = _run("qd", "--hd", "1.1", "--neq", "500 kg", "--pes", pes, "--es", es, "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["required_distance_m"] == 270.0


def test_footnote_o_not_from_a_workshop() -> None:
    """A workshop as PES (column d: workshop_barricaded) keeps D10 alone: 8.0 x 500^(1/3) = 63.50 m."""
    out = _run("qd", "--hd", "1.1", "--neq", "500 kg", "--pes", "workshop_barricaded", "--es", "workshop", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["required_distance_m"] == pytest.approx(8.0 * 500 ** (1 / 3), rel=1e-12)
