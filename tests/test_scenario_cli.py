"""``depotsafe scenario`` through the installed command (subprocess): JSON, text, files, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.test_scenario import _chain_layout, _doc, _rect

DEPOTSAFE = str(Path(sys.executable).with_name("depotsafe"))
ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([DEPOTSAFE, "scenario", *args], capture_output=True, text=True, timeout=600,
                          check=False, cwd=cwd)


@pytest.fixture
def chain(tmp_path: Path) -> Path:
    p = tmp_path / "chain.geojson"
    p.write_text(json.dumps(_doc(_chain_layout())))
    return p


def test_json_chain_save_and_load(chain: Path, tmp_path: Path) -> None:
    saved = tmp_path / "class.json"
    out = _run(str(chain), "--start", "A", "--json", "--save", str(saved), "--title", "Heavy-walled A",
               "--quantity", "unknown", "--explosive", "TNT", "--sparse", "--max-layout-mb", "5")
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout)
    assert [s["site"] for s in r["steps"]] == ["A", "B"]
    # Table T.2, HD 1.1 unknown quantity in a facility: 1,250 m
    assert r["steps"][0]["withdrawal"]["radius_m"] == 1250.0
    assert r["scenario"]["title"] == "Heavy-walled A"
    assert r["scenario"]["sparse"] is True
    assert set(r["provenance"]) >= {"effects_data_sha256", "scenario_data_sha256", "rule_data_sha256",
                                    "depotsafe_version", "input_sha256"}
    doc = json.loads(saved.read_text())
    assert doc["format"] == "depotsafe-scenario"
    assert doc["version"] == 1
    assert doc["layout"]["features"]
    again = _run("--load", str(saved), "--json")
    assert again.returncode == 0, again.stderr
    r2 = json.loads(again.stdout)
    assert r2["steps"] == r["steps"]


def test_text_output_reads_as_steps(chain: Path) -> None:
    out = _run(str(chain), "--start", "A")
    assert out.returncode == 0, out.stderr
    assert "STEP 1: mass explosion" in out.stdout
    assert "STEP 2: mass explosion" in out.stdout
    assert "follows step 1 (A): likely" in out.stdout
    assert "Table 1 column c row 6" in out.stdout
    assert "withdraw non-essential personnel to 850 m" in out.stdout  # 1,000 kg HD 1.1, <= 7,000 kg


def test_follow_and_stock_csv(tmp_path: Path) -> None:
    feats = [_rect("S1", "barricaded_stack", 0, 0, 10, 10), _rect("S2", "barricaded_stack", 50, 0, 10, 10)]
    layout = tmp_path / "stacks.geojson"
    layout.write_text(json.dumps(_doc(feats)))
    stock = tmp_path / "stock.csv"
    stock.write_text("site_id,item,hd,cg,quantity\nS1,shell,1.1,D,1000 kg\nS2,shell,1.1,D,1000 kg\n")
    out = _run(str(layout), "--stock", str(stock), "--start", "S1", "--event", "mass-explosion",
               "--follow", "S2", "--json")
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout)
    assert [s["site"] for s in r["steps"]] == ["S1", "S2"]
    assert r["steps"][1]["trigger"]["outcome"] == "possible"
    assert r["steps"][1]["trigger"]["chosen_by_trainer"] is True


@pytest.mark.parametrize(("args", "words"), [
    (["--start", "NOPE"], ["--start", "'NOPE'", "ids include"]),
    (["--start", "W"], ["--start", "'W'", "holding stock"]),
    (["--start", "A", "--event", "fire"], ["--event", "'fire'", "mass-explosion"]),
    (["--start", "A", "--event", "earthquake"], ["--event", "'earthquake'", "allowed: mass-explosion"]),
    (["--start", "A", "--quantity", "some"], ["--quantity", "'some'", "known, unknown"]),
    (["--start", "A", "--follow", "C"], ["--follow", "'C'", "possible"]),
    (["--start", "A", "--explosive", "XYZ"], ["--explosive", "'XYZ'"]),
    (["--start", "A", "--max-layout-mb", "0.000001"], ["layout"]),
    ([], ["--start", "None"]),
])
def test_bad_input_exits_2_naming_field_value_allowed(chain: Path, args: list[str], words: list[str]) -> None:
    out = _run(str(chain), *args)
    assert out.returncode == 2, out.stdout
    assert "Traceback" not in out.stderr
    for w in words:
        assert w in out.stderr, (w, out.stderr)
    assert out.stdout == ""


def test_bad_scenario_files_exit_2(tmp_path: Path, chain: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "depotsafe-scenario", "version": 1, "layout": _doc(_chain_layout()),
                               "start": "A", "colour": "red"}))
    out = _run("--load", str(bad))
    assert out.returncode == 2
    assert "--load key" in out.stderr
    assert "'colour'" in out.stderr
    out = _run("--load", str(bad), str(chain))
    assert out.returncode == 2
    assert "LAYOUT" in out.stderr
    assert "--load" in out.stderr
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"format": "depotsafe-scenario", "version": 1, "layout": _doc(_chain_layout()),
                                "start": "A"}))
    out = _run("--load", str(good), "--quantity", "unknown")
    assert out.returncode == 2
    assert "--quantity" in out.stderr
    bad.write_text("{not json")
    out = _run("--load", str(bad))
    assert out.returncode == 2
    assert "--load" in out.stderr
    assert "Traceback" not in out.stderr


def test_save_refuses_a_missing_folder_and_writes_nothing(chain: Path, tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "dir" / "s.json"
    out = _run(str(chain), "--start", "A", "--save", str(target))
    assert out.returncode == 2
    assert "--save" in out.stderr
    assert not target.exists()


def test_library_scenario_loads() -> None:
    out = _run("--load", str(ROOT / "data" / "scenarios" / "sample_depot_bs1.json"), "--json")
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout)
    assert sorted(r["steps"][0]["members"]) == ["BS1", "BS2"]


def test_hd12_fragments_ring(tmp_path: Path) -> None:
    # HD 1.2 in a facility: Table T.2 "1.2 and 1.6 -> 560m", known or unknown quantity
    layout = tmp_path / "f.geojson"
    layout.write_text(json.dumps(_doc([_rect("F", "heavy_walled", 0, 0, 10, 10,
                                             [{"hd": "1.2", "cg": "E", "neq_kg": 500.0, "unit_neq_kg": 0.05}])])))
    out = _run(str(layout), "--start", "F", "--event", "fragments", "--json")
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout)
    assert r["steps"][0]["event"] == "fragments"
    assert r["steps"][0]["withdrawal"]["radius_m"] == 560.0


def test_compare_option(chain: Path, tmp_path: Path) -> None:
    feats = _chain_layout()
    feats[1]["properties"]["kind"] = "igloo_7bar"
    changed = tmp_path / "changed.geojson"
    changed.write_text(json.dumps(_doc(feats)))
    out = _run(str(chain), "--start", "A", "--compare", str(changed), "--json")
    assert out.returncode == 0, out.stderr
    c = json.loads(out.stdout)["comparison"]
    assert c["storehouses"]["no_longer_involved"] == ["B"]
    assert [s["site"] for s in c["after"]["steps"]] == ["A"]
    text = _run(str(chain), "--start", "A", "--compare", str(changed))
    assert text.returncode == 0, text.stderr
    assert "B: earth_covered -> igloo_7bar" in text.stdout
    assert "B: likely -> possible" in text.stdout
