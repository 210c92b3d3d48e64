"""Very sensitive contents at an exposed site (decision 30, issue 9 item 4).

AASTP-1 (2006) Part I §1.3.1.4 (p. I-3-2, PDF p.34): "The Inter-Magazine Distances should not be
used for packages of primary explosives and other very sensitive explosive substances like blasting
gelatine which require individual assessment when at an ES."  A storage site holding compatibility
group A stock, or marked ``very_sensitive``, suspends every cell toward it: the pair needs an
assessment and is a violation until then, however far; the tabulated distance is kept for
information (Table 1 D7 = 2.4 Q^(1/3), p. I-A-11, for a barricaded stack toward a barricaded stack:
column d, row 14).
"""

from __future__ import annotations

import copy
import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from depotsafe.check import check_depot
from depotsafe.errors import InputError, LayoutError
from depotsafe.layout import read_layout
from depotsafe.report import human_report, pairs_csv

ROOT = Path(__file__).resolve().parents[1]
DEPOTSAFE = str(Path(sys.executable).with_name("depotsafe"))
ASSESSMENTS = ROOT / "data" / "rulesets" / "iatg" / "assessments.csv"


def d7(neq_kg: float) -> float:
    """AASTP-1 (2006) Annex I-A Table 1 D7 = 2.4 Q^(1/3) (p. I-A-11)."""
    return 2.4 * neq_kg ** (1 / 3)


def rule_row() -> dict[str, str]:
    lines = [ln for ln in ASSESSMENTS.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
    (row,) = list(csv.DictReader(io.StringIO("\n".join(lines))))
    return row


def square(x: float, y: float, size: float = 10.0) -> dict:
    return {"type": "Polygon", "coordinates": [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]}


def feature(fid: str, kind: str, geometry: dict, **props) -> dict:
    return {"type": "Feature", "properties": {"id": fid, "kind": kind, **props}, "geometry": geometry}


def layout(*features: dict) -> dict:
    return {"type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": "depotsafe:local-metres"}},
            "features": list(features)}


def stock(cg: str, neq_kg: float) -> list[dict]:
    return [{"hd": "1.1", "cg": cg, "neq_kg": neq_kg}]


def depot_with_everything() -> dict:
    """S1 (1 t HD 1.1D) with, around it: VA (CG A stock) 190 m east, VS (marked) 290 m north,
    a house 140 m south, a road 100 m west, a workshop holding CG A stock 150 m south-west."""
    return layout(
        feature("S1", "barricaded_stack", square(0, 0), stock=stock("D", 1000)),
        feature("VA", "barricaded_stack", square(200, 0), stock=stock("A", 100)),
        feature("VS", "barricaded_stack", square(0, 300), very_sensitive=True),
        feature("H1", "inhabited_building", square(0, -150)),
        feature("R1", "public_traffic_route", {"type": "LineString", "coordinates": [[-100, -500], [-100, 500]]}),
        feature("W1", "workshop", square(-160, -160), stock=stock("A", 10)),
    )


@pytest.fixture(scope="module")
def everything() -> dict:
    return check_depot(read_layout(depot_with_everything())).as_dict()


def pair(result: dict, pes: str, es: str) -> dict:
    (p,) = [p for p in result["pairs"] if (p["pes"], p["es"]) == (pes, es)]
    return p


@pytest.mark.parametrize(("es", "why"), [("VA", "compatibility group A"), ("VS", "declared very_sensitive")])
def test_very_sensitive_es_needs_an_assessment_even_far_beyond_the_table(everything: dict, es: str, why: str) -> None:
    p = pair(everything, "S1", es)
    assert p["assessment_required"] is True
    assert p["compliant"] is False
    assert p["near_miss"] is False
    assert (p["pes"], p["es"]) in {(v["pes"], v["es"]) for v in everything["violations"]}
    # the tabulated distance is still given, for information: D7 at 1,000 kg = 24.0 m
    assert p["rule"] == "D7"
    assert p["required_distance_m"] == pytest.approx(d7(1000.0), rel=1e-12)
    assert p["distance_m"] > 7 * p["required_distance_m"]  # 190 m and 290 m: far above 24 m
    assert why in p["assessment_reason"]
    assert p["assessment_source"] == rule_row()["source"]
    assert "§1.3.1.4, p. I-3-2" in p["assessment_source"]


def test_the_rule_quotes_its_source() -> None:
    row = rule_row()
    assert row["quote"].startswith("The Inter-Magazine Distances should not be used for packages of primary explosives")
    assert row["cg"] == "A"
    assert row["es"] == "storage"


def test_every_pair_carries_the_key_and_only_storage_es_are_affected(everything: dict) -> None:
    assert all("assessment_required" in p for p in everything["pairs"])
    flagged = {(p["pes"], p["es"]) for p in everything["pairs"] if p["assessment_required"]}
    # toward VA and VS from every PES around them (VA holds stock too; the workshop is a PES as well)
    assert flagged == {("S1", "VA"), ("S1", "VS"), ("VA", "VS"), ("W1", "VA"), ("W1", "VS")}
    # house, road and a workshop holding CG A stock are exposed sites that keep their rows
    for es in ("H1", "R1", "W1"):
        p = pair(everything, "S1", es)
        assert p["assessment_required"] is False
        assert p["compliant"] is False  # real violations: 140 m < 400 m, 100 m < 270 m, 212 m < 270 m
        assert p["distance_m"] < p["required_distance_m"]
    assert everything["summary"]["assessments_required"] == len(flagged)


def test_licence_is_marked_as_limited_by_an_assessment(everything: dict) -> None:
    sites = {s["id"]: s for s in everything["sites"]}
    assert sites["S1"]["assessment_es"] == ["VA", "VS"]
    assert set(sites["S1"]["licence_basis"]) == set(sites["S1"]["licence_limit_kg"])
    assert set(sites["S1"]["licence_basis"].values()) == {"assessment"}
    assert sites["VA"]["assessment_es"] == ["VS"]
    assert sites["S1"]["mixed_stock"]["compliant"] is False
    # the licence figures themselves are still the tables' (1.1: the house at 140 m, D13 >= 400 m: nil)
    assert sites["S1"]["limiting_es"]["1.1"] == "H1"


def test_a_site_with_no_very_sensitive_neighbour_keeps_the_tables() -> None:
    result = check_depot(read_layout(layout(
        feature("S1", "barricaded_stack", square(0, 0), stock=stock("D", 1000)),
        feature("S2", "barricaded_stack", square(200, 0), stock=stock("D", 1000)),
    ))).as_dict()
    for s in result["sites"]:
        assert set(s["licence_basis"].values()) == {"quantity-distance"}
        assert s["assessment_es"] == []
    assert result["summary"]["assessments_required"] == 0
    assert result["summary"]["compliant"] is True


def test_beyond_the_reach_of_the_check_no_pair() -> None:
    """Beyond the largest distance any rule requires at twice the NEQ (here 20 km) nothing is listed."""
    result = check_depot(read_layout(layout(
        feature("S1", "barricaded_stack", square(0, 0), stock=stock("D", 1000)),
        feature("VS", "barricaded_stack", square(20_000, 0), very_sensitive=True),
    ))).as_dict()
    assert result["pairs"] == []
    assert result["summary"]["compliant"] is True


def test_aggregation_is_unchanged_and_a_group_toward_very_sensitive_contents_is_flagged() -> None:
    """S1 and S2 (1 t each, 5 m apart < D7 at 2 t = 30.2 m) are one site; VS 150 m away needs an assessment."""
    fc = layout(
        feature("S1", "barricaded_stack", square(0, 0), stock=stock("D", 1000)),
        feature("S2", "barricaded_stack", square(15, 0), stock=stock("D", 1000)),
        feature("VS", "barricaded_stack", square(0, 160), very_sensitive=True),
    )
    result = check_depot(read_layout(fc)).as_dict()
    assert [a["members"] for a in result["aggregations"]] == [["S1", "S2"]]
    (p,) = result["pairs"]
    assert (p["es"], p["group_id"], p["assessment_required"]) == ("VS", "G1", True)
    assert p["required_distance_m"] == pytest.approx(d7(2000.0), rel=1e-12)  # at the group's NEQ
    # the same group with VS joined into it: still one group, a note, no pair
    fc2 = copy.deepcopy(fc)
    fc2["features"][2]["geometry"] = square(0, 15)
    fc2["features"][2]["properties"]["stock"] = stock("D", 10)
    result2 = check_depot(read_layout(fc2)).as_dict()
    assert [sorted(a["members"]) for a in result2["aggregations"]] == [["S1", "S2", "VS"]]
    assert any("VS (very sensitive contents)" in n and "decision 30" in n for n in result2["notes"])


def test_readable_output_and_csv(everything: dict) -> None:
    result = check_depot(read_layout(depot_with_everything()))
    text = human_report(result)
    assert "ASSESSMENT REQUIRED: VA at 190.0 m holds stock of compatibility group A" in text
    assert "tabulated 24 m" in text
    assert "licence limited by an individual assessment toward VA, VS" in text
    rows = list(csv.DictReader(io.StringIO(pairs_csv(result))))
    flags = {(r["pes"], r["es"]): r["assessment_required"] for r in rows}
    assert flags[("S1", "VA")] == "yes"
    assert flags[("S1", "H1")] == "no"


# ------------------------------------------------------------------ old layouts, bad values


def test_old_layouts_are_unchanged() -> None:
    """A layout without the property reads as false everywhere; an explicit false changes nothing."""
    fc = json.loads((ROOT / "docs" / "examples" / "small_depot.geojson").read_text())
    depot = read_layout(fc)
    assert all(s.very_sensitive is False for s in depot.sites)
    before = check_depot(depot).as_dict()
    assert [(v["pes"], v["es"]) for v in before["violations"]] == [("IG1", "W1")]
    assert all(p["assessment_required"] is False for p in before["pairs"])
    fc_false = copy.deepcopy(fc)
    for f in fc_false["features"]:
        if f["properties"]["id"] == "IG1":
            f["properties"]["very_sensitive"] = False
    after = check_depot(read_layout(fc_false)).as_dict()
    assert after["pairs"] == before["pairs"]
    assert after["sites"] == before["sites"]


def _run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([DEPOTSAFE, *argv], capture_output=True, text=True, timeout=300, check=False)


def test_bad_value_is_refused_naming_field_value_and_allowed(tmp_path: Path) -> None:
    fc = layout(feature("S1", "barricaded_stack", square(0, 0), stock=stock("D", 1000), very_sensitive="yes"))
    with pytest.raises(LayoutError, match=r"very_sensitive: got 'yes'; true or false is required"):
        read_layout(fc)
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(fc))
    out = _run("check", str(path), "--json")
    assert out.returncode == 2
    assert "very_sensitive: got 'yes'; true or false is required" in out.stderr
    assert out.stdout == ""


def test_very_sensitive_on_a_house_is_refused(tmp_path: Path) -> None:
    fc = layout(feature("S1", "barricaded_stack", square(0, 0), stock=stock("D", 1000)),
                feature("H1", "inhabited_building", square(0, 500), very_sensitive=True))
    path = tmp_path / "house.geojson"
    path.write_text(json.dumps(fc))
    out = _run("check", str(path))
    assert out.returncode == 2
    assert "very_sensitive: got true for inhabited_building" in out.stderr
    assert "barricaded_stack" in out.stderr  # what is allowed


def test_check_exit_status_from_the_assessment_alone(tmp_path: Path) -> None:
    """Two stacks 190 m apart: compliant by the table (24 m); marked very sensitive: exit 1."""
    plain = layout(feature("S1", "barricaded_stack", square(0, 0), stock=stock("D", 1000)),
                   feature("S2", "barricaded_stack", square(200, 0)))
    marked = copy.deepcopy(plain)
    marked["features"][1]["properties"]["very_sensitive"] = True
    (tmp_path / "plain.geojson").write_text(json.dumps(plain))
    (tmp_path / "marked.geojson").write_text(json.dumps(marked))
    assert _run("check", str(tmp_path / "plain.geojson")).returncode == 0
    out = _run("check", str(tmp_path / "marked.geojson"), "--json")
    assert out.returncode == 1, out.stderr
    result = json.loads(out.stdout)
    (v,) = result["violations"]
    assert (v["pes"], v["es"], v["assessment_required"]) == ("S1", "S2", True)
    assert v["required_distance_m"] == pytest.approx(d7(1000.0), rel=1e-12)
    text = _run("check", str(tmp_path / "marked.geojson"))
    assert text.returncode == 1
    assert "ASSESSMENT REQUIRED: S2 at 190.0 m" in text.stdout


# ------------------------------------------------------------------ depotsafe qd --es-very-sensitive


QD = ("qd", "--hd", "1.1", "--pes", "barricaded_stack", "--es", "barricaded_stack")


def test_qd_es_very_sensitive_requires_an_assessment() -> None:
    out = _run(*QD, "--neq", "20 t", "--es-very-sensitive", "--json")
    assert out.returncode == 1, out.stderr
    answer = json.loads(out.stdout)
    assert answer["assessment_required"] is True
    assert answer["limited_by"] == "assessment"
    assert answer["relation"]["es_very_sensitive"] is True
    assert answer["rule"] == "D7"
    assert answer["required_distance_m"] == pytest.approx(d7(20_000.0), rel=1e-12)  # shown for information
    assert answer["assessment_source"] == rule_row()["source"]
    plain = _run(*QD, "--neq", "20 t", "--json")
    assert plain.returncode == 0
    assert json.loads(plain.stdout)["assessment_required"] is False
    assert json.loads(plain.stdout)["required_distance_m"] == answer["required_distance_m"]


def test_qd_es_very_sensitive_quantity_direction_and_text() -> None:
    out = _run(*QD, "--distance", "240 m", "--es-very-sensitive", "--json")
    assert out.returncode == 1, out.stderr
    answer = json.loads(out.stdout)
    assert answer["assessment_required"] is True
    assert answer["max_neq_kg"] == pytest.approx((240 / 2.4) ** 3, rel=1e-9)  # D7 inverted: 1,000 t
    text = _run(*QD, "--neq", "20 t", "--es-very-sensitive")
    assert text.returncode == 1
    assert "ASSESSMENT REQUIRED" in text.stdout
    assert "for information only" in text.stdout


@pytest.mark.parametrize("es", ["inhabited_building", "public_traffic_route", "workshop"])
def test_qd_es_very_sensitive_refused_for_an_es_that_is_not_storage(es: str) -> None:
    out = _run("qd", "--hd", "1.1", "--neq", "20 t", "--pes", "barricaded_stack", "--es", es,
               "--es-very-sensitive", "--json")
    assert out.returncode == 2
    assert f"es-very-sensitive: got '{es}'" in out.stderr
    assert "igloo_7bar" in out.stderr  # the allowed kinds are named
    assert out.stdout == ""


def test_qd_es_very_sensitive_needs_a_rule_set_with_the_rule() -> None:
    out = _run(*QD, "--neq", "20 t", "--rule-set", "dod_partial", "--es-very-sensitive")
    assert out.returncode == 2
    assert "has no rule for very sensitive exposed sites" in out.stderr


def test_api_refuses_non_storage_es() -> None:
    from depotsafe.api import required_distance

    with pytest.raises(InputError, match="only a storage site"):
        required_distance("1.1", "1 t", "barricaded_stack", "workshop", es_very_sensitive=True)


# ------------------------------------------------------------------ the app's compliance page


def test_compliance_page_marks_the_assessment() -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.text_area(key="k_pasted").input(json.dumps(depot_with_everything())).run()
    at.button(key="load_pasted").click().run()
    at.sidebar.radio(key="k_page").set_value("compliance").run()
    at.button(key="run_check").click().run()
    assert not at.exception, [e.message for e in at.exception]
    warning = "\n".join(str(w.value) for w in at.warning)
    assert "5 pair(s) toward very sensitive contents" in warning
    assert rule_row()["source"] in warning
    tables = [*at.table, *at.dataframe]  # the app draws its tables as text (st.table), long ones scroll
    (pairs,) = [d.value for d in tables if "assessment required" in d.value.columns]
    flagged = pairs[pairs["assessment required"] == "yes"]
    assert set(zip(flagged["PES"], flagged["ES"], strict=True)) == {
        ("S1", "VA"), ("S1", "VS"), ("VA", "VS"), ("W1", "VA"), ("W1", "VS")}
    assert (flagged["verdict"] == "VIOLATION").all()
    (licences,) = [d.value for d in tables if "limited by" in d.value.columns]
    s1 = licences[licences["storehouse"] == "S1"]
    assert (s1["limited by"] == "assessment: VA, VS").all()


# ------------------------------------------------------------------ property: against a naive reading


def _naive_flagged(fc: dict, vs_id: str, groups: list[list[str]]) -> set[str]:
    """Every PES (with stock) not grouped with the very sensitive site: each has a pair toward it.

    The layouts below span less than 300 m, inside the reach of every PES (at any NEQ of HD 1.1 the
    inhabited-building distance alone is at least 270 m, Table 1 D13 floor, p. I-A-11).
    """
    with_stock = {f["properties"]["id"] for f in fc["features"] if f["properties"].get("stock")}
    own = next((set(g) for g in groups if vs_id in g), {vs_id})
    out = set()
    for pes in with_stock - own:
        group = next((g for g in groups if pes in g), [pes])
        out.add(tuple(group) if len(group) > 1 else pes)
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cells=st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)), min_size=2, max_size=6, unique=True),
    neqs=st.lists(st.sampled_from([0.0, 50.0, 500.0, 5000.0]), min_size=6, max_size=6),
    kinds_=st.lists(st.sampled_from(["barricaded_stack", "unbarricaded_stack", "heavy_walled"]),
                    min_size=6, max_size=6),
    pick=st.integers(0, 5),
)
def test_marking_one_site_flags_every_other_pes_and_changes_nothing_else(cells, neqs, kinds_, pick) -> None:
    feats = []
    for k, (cx, cy) in enumerate(cells):
        props = {"stock": stock("D", neqs[k])} if neqs[k] > 0 else {}
        feats.append(feature(f"S{k}", kinds_[k], square(25.0 * cx, 25.0 * cy), **props))
    plain = layout(*feats)
    vs_id = f"S{pick % len(cells)}"
    marked = copy.deepcopy(plain)
    marked["features"][pick % len(cells)]["properties"]["very_sensitive"] = True
    before = check_depot(read_layout(plain)).as_dict()
    after = check_depot(read_layout(marked)).as_dict()
    assert after["aggregations"] == before["aggregations"]  # decision 14 unchanged
    groups = [a["members"] for a in after["aggregations"]]
    # pairs toward other sites: exactly as before
    def others(pairs: list[dict]) -> list[dict]:
        return [{k: v for k, v in p.items() if k != "assessment_required"} for p in pairs if p["es"] != vs_id]

    assert others(after["pairs"]) == others(before["pairs"])
    toward = [p for p in after["pairs"] if p["es"] == vs_id]
    assert all(p["assessment_required"] and not p["compliant"] for p in toward)
    got = {tuple(p["group"]) if "group" in p else p["pes"] for p in toward}
    assert got == _naive_flagged(plain, vs_id, groups)
    # the tabulated distance toward it is the one the unmarked depot lists (where it listed it)
    old = {(p["pes"], p["es"]): p["required_distance_m"] for p in before["pairs"] if p["es"] == vs_id}
    for p in toward:
        if (p["pes"], p["es"]) in old:
            assert p["required_distance_m"] == old[(p["pes"], p["es"])]


def test_arcs_are_not_marked_violated_by_an_assessment_alone() -> None:
    """The arcs draw the tabulated distances; a pair failing only for its contents lies outside them."""
    from depotsafe.report import arcs

    result = check_depot(read_layout(layout(
        feature("S1", "barricaded_stack", square(0, 0), stock=stock("D", 1000)),
        feature("VS", "barricaded_stack", square(200, 0), very_sensitive=True),
    )))
    assert result.n_violations == 1
    stacks = [a for a in arcs(result, ("barricaded_stack",)) if a["properties"]["pes"] == "S1"]
    assert stacks
    assert not any(a["properties"]["violated"] for a in stacks)
    assert stacks[0]["properties"]["required_distance_m"] == pytest.approx(d7(1000.0), abs=1e-3)
