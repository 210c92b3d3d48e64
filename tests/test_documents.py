"""The documents (issue 13): the depot safety report, the licence sheet and the site plan.

Rendered in-process from one check of the sample depot; the PDF's text is read
back with pypdf and every figure, id and source must be the check's, written
the way the check's readable output writes it (depotsafe.textfmt).
"""

from __future__ import annotations

import math
import re
import shutil
import xml.etree.ElementTree as ET
from importlib.resources import files
from pathlib import Path

import pytest
import shapely

from depotsafe import documents, textfmt
from depotsafe.documents.render import missing_fonts
from depotsafe.documents.text import words
from depotsafe.layout import read_layout

SAMPLE = Path(str(files("depotsafe.data").joinpath("samples", "sample_depot.geojson")))
DATE = "2026-11-28"
SVG = "{http://www.w3.org/2000/svg}"


def pdf_text(data: bytes) -> str:
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    """Whitespace of any kind (line breaks of wrapped cells, narrow no-break spaces) as one space."""
    return re.sub(r"[\s\u202f\u00a0]+", " ", text)


@pytest.fixture(scope="module")
def result():
    from depotsafe.check import check_depot

    return check_depot(read_layout(SAMPLE), "iatg")


@pytest.fixture(scope="module")
def effects(result):
    return documents.worst_effects(result, str(SAMPLE))


@pytest.fixture(scope="module")
def risk(result):
    return documents.depot_risk(result)


@pytest.fixture(scope="module")
def english(result, effects, risk):
    rep = documents.report(result, date=DATE, layout_name=SAMPLE.name, effects=effects, risk=risk)
    return rep, rep.pdf()


@pytest.fixture(scope="module")
def english_text(english) -> str:
    return flat(pdf_text(english[1]))


def test_report_states_every_violation_of_the_check(result, english_text: str) -> None:
    text = english_text
    violations = result.violations
    assert len(violations) == result.summary()["violations"] == 8  # data/samples/README.md
    for v in violations:
        row = (f"{v['es']} {v['hd']} {textfmt.metres_measured(v['distance_m'])} "
               f"{textfmt.metres_up(v['required_distance_m'])}")
        assert row in text, row
        assert flat(v["source"]) in text, v["source"]
    assert "NOT COMPLIANT" in text


def test_report_states_licences_groups_and_provenance(result, english_text: str) -> None:
    text = english_text
    nospace = text.replace(" ", "")
    for site in result.sites:
        for hd, limit in site["licence_limit_kg"].items():
            shown = textfmt.kg_limit(limit, site["licence_at_least"][hd])
            es = site["limiting_es"][hd] or ""
            assert flat(f"{hd} {shown} {es}".strip()) in text, (site["id"], hd, shown)
    (agg,) = result.aggregations
    (join,) = agg["joins"]
    assert (f"{join['a']}–{join['b']} {textfmt.metres_measured(join['distance_m'])} "
            f"{textfmt.metres_up(join['imd_m'])}") in text
    prov = result.provenance()
    for key in ("rule_data_sha256", "input_sha256"):
        assert prov[key] in nospace, key
    assert f"depotsafe version {prov['depotsafe_version']}" in text
    assert f"Date {DATE}" in text
    assert f"Rounding: {result.rule_set.rounding}" in text


def test_report_states_the_effect_zones_of_the_worst_storehouse(result, effects, english_text: str) -> None:
    """The zones are those of `depotsafe effects --event` for the PES of the tightest violation (V1)."""
    v1 = min(result.violations, key=lambda v: v["distance_m"] / v["required_distance_m"])
    assert effects["event"]["id"] == v1["pes"] == "BS2"  # the group BS1+BS2 toward the road R1
    assert effects["event"]["members"] == ["BS1", "BS2"]
    for z in effects["zones"]["blast"]:
        row = flat(f"{z['level']} {z['name']} {textfmt.number(z['overpressure_kpa'], 'kPa')} "
                   f"{textfmt.metres_up(z['radius_m'])}")
        assert row in english_text, row
        assert flat(z["source"]) in english_text
    for z in effects["zones"]["hazard"]:
        assert f"{z['hd']} {textfmt.metres_up(z['radius_m'])} {z['rule']}" in english_text


def _paths(svg: str) -> dict[str, shapely.Geometry]:
    """Footprints of the plan by site id, in millimetres of paper, from the SVG path data."""
    root = ET.fromstring(svg)
    out = {}
    for el in root.iter(f"{SVG}path"):
        pid = el.get("id", "")
        if not pid.startswith("site-"):
            continue
        rings = []
        for part in el.get("d").split("M")[1:]:
            pts = [tuple(map(float, p.split())) for p in part.replace("Z", "").split("L")]
            rings.append(pts)
        if el.get("class") == "route":
            out[pid[5:]] = shapely.LineString(rings[0])
        else:
            out[pid[5:]] = shapely.Polygon(rings[0])
    return out


@pytest.mark.parametrize(("pes", "es"), [("A2", "H1"), ("B2", "H1"), ("A1", "SCH")])
def test_plan_scale_measures_the_checks_distance(result, english, pes: str, es: str) -> None:
    """Two buildings' distance on the page, times the stated scale, is the check's distance."""
    rep, _pdf = english
    shapes = _paths(rep.plan.svg)
    on_paper_mm = shapely.distance(shapes[pes], shapes[es])
    (v,) = (p for p in result.violations if p["pes"] == pes and p["es"] == es)
    # coordinates are written to 0.01 mm: 0.005 mm per coordinate, two ends
    tol_m = 2 * 0.005 * rep.plan.scale / 1000 * 1.5
    assert on_paper_mm * rep.plan.scale / 1000 == pytest.approx(v["distance_m"], abs=tol_m)
    assert f"1:{rep.plan.scale:,}" in rep.plan.svg


def test_chosen_storehouse_arcs_reach_its_required_distances(result) -> None:
    """``arc_sites``: US1 (an open stack, 2 t HD 1.1, no violation) gets its arcs drawn toward the
    inhabited and the vulnerable buildings (one per kind and attributes present); the farthest point of each, in millimetres of paper times the
    scale, is the distance the rules engine requires (depotsafe.api, not the arc code) from its footprint."""
    from depotsafe import api

    rep = documents.report(result, lang="en", date=DATE, layout_name="sample", arc_sites=["US1"])
    root = ET.fromstring(rep.plan.svg)
    chosen = [el for el in root.iter(f"{SVG}path") if el.get("class") == "arc chosen"]
    assert chosen, "no arc drawn for US1"
    footprint = _paths(rep.plan.svg)["US1"]
    reach_m = []
    for el in chosen:
        pts = [tuple(map(float, p.split())) for part in el.get("d").split("M")[1:]
               for p in part.replace("Z", "").split("L") if p.strip()]
        reach_m.append(max(shapely.distance(footprint, shapely.Point(xy)) for xy in pts) * rep.plan.scale / 1000)
    # one arc per kind and attributes of the exposed sites present (a sparse house: 270 m, not 400 m)
    want = sorted({api.required_distance("1.1", "2 t", "unbarricaded_stack", s.kind, sparse=s.sparse,
                                         evacuable=s.evacuable).required_distance_m
                   for s in result.depot.sites if s.kind in ("inhabited_building", "vulnerable_building")})
    tol_m = 2 * 0.005 * rep.plan.scale / 1000 * 1.5  # coordinates written to 0.01 mm
    assert sorted({round(r) for r in reach_m}) == sorted({round(r) for r in want})
    for r in reach_m:
        assert min(abs(r - w) for w in want) <= tol_m, (r, want)
    # the arcs of the violated relations stay red and are not drawn twice
    red = [el for el in root.iter(f"{SVG}path") if el.get("class") == "arc"]
    assert len(red) == len(documents.report(result, lang="en", date=DATE, layout_name="sample")
                           .plan.svg.split('class="arc"')) - 1


def test_scale_bar_measures_what_it_says(english) -> None:
    rep, _pdf = english
    root = ET.fromstring(rep.plan.svg)
    (bar,) = (el for el in root.iter(f"{SVG}rect") if el.get("id") == "scale-bar-rect")
    group = next(el for el in root.iter(f"{SVG}g") if el.get("id") == "scale-bar")
    label = next(t.text for t in group.iter(f"{SVG}text") if t.text and t.text.endswith(" m"))
    metres = float(label[:-2].replace(",", ""))
    assert float(bar.get("width")) * rep.plan.scale / 1000 == pytest.approx(metres, abs=0.01 * rep.plan.scale / 1000)
    # the plan page is the paper it states, and 1 SVG unit is 1 mm of it
    assert root.get("width") == f"{210 - 20:.2f}mm"
    assert root.get("viewBox").split()[2] == f"{210 - 20:.2f}"


def test_plan_draws_ids_violations_and_furniture(result, english) -> None:
    svg = english[0].plan.svg
    for s in result.depot.sites:
        assert f">{s.id}</text>" in svg, s.id
    assert svg.count('class="violation"') == len(result.violations)
    for part in ('id="north-arrow"', 'id="scale-bar"', 'id="grid"', 'id="title-block"', "Legend"):
        assert part in svg
    assert svg.count('class="door"') == sum(1 for s in result.depot.sites if s.front_bearing_deg is not None)


def test_same_inputs_same_bytes_apart_from_the_date(result, effects, risk, english) -> None:
    again = documents.report(result, date=DATE, layout_name=SAMPLE.name, effects=effects,
                             risk=documents.depot_risk(result))
    assert again.html == english[0].html
    assert again.pdf() == english[1]
    later = documents.report(result, date="2027-02-03", layout_name=SAMPLE.name, effects=effects, risk=risk)
    assert later.html != english[0].html
    assert later.html.replace("2027-02-03", DATE) == english[0].html


def test_french_report(result) -> None:
    rep = documents.report(result, lang="fr", date=DATE, layout_name=SAMPLE.name)
    text = flat(pdf_text(rep.pdf()))
    assert "Rapport de sécurité du dépôt" in text
    assert "NON CONFORME" in text
    fr = textfmt.FRENCH
    for v in result.violations:
        row = flat(f"{v['es']} {v['hd']} {textfmt.metres_measured(v['distance_m'], fr)} "
                   f"{textfmt.metres_up(v['required_distance_m'], fr)}")
        assert row in text, row
    a1 = next(s for s in result.sites if s["id"] == "A1")
    assert flat(textfmt.kg_stock(a1["neq_kg"]["1.1"], fr)) in text  # "10 000 kg"
    assert "10,000 kg" not in text


def _named_layout(tmp_path: Path, name: str) -> Path:
    import json

    def rect(x0: float, y0: float, x1: float, y1: float) -> dict:
        return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}

    doc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "depotsafe:local-metres"}},
        "features": [
            {"type": "Feature", "geometry": rect(0, 0, 20, 10),
             "properties": {"id": "S1", "name": name, "kind": "unbarricaded_stack",
                            "stock": [{"hd": "1.1", "cg": "D", "neq_kg": 1000}]}},
            {"type": "Feature", "geometry": rect(300, 0, 310, 10),
             "properties": {"id": "H1", "kind": "inhabited_building", "persons": 4}},
        ],
    }
    path = tmp_path / "named.geojson"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def test_missing_font_names_the_package_never_boxes(tmp_path: Path) -> None:
    from depotsafe.check import check_depot

    name = "Склад مخزن 仓库"
    res = check_depot(read_layout(_named_layout(tmp_path, name)), "iatg")
    with_fonts = documents.licence(res, "S1", date=DATE, layout_name="named.geojson")
    assert not missing_fonts(with_fonts.html)  # scripts/test installs Noto, Noto CJK and Amiri
    assert name in flat(pdf_text(with_fonts.pdf()))
    without = documents.licence(res, "S1", date=DATE, layout_name="named.geojson", font_check=lambda c: False)
    for word in ("Склад", "مخزن", "仓库"):
        assert word not in without.html
    for package in ("fonts-noto-core", "fonts-hosny-amiri", "fonts-noto-cjk"):
        assert f"apt-get install {package}" in without.html


def test_licence_sheet(result) -> None:
    lic = documents.licence(result, "BS2", date=DATE, layout_name=SAMPLE.name)
    text = flat(pdf_text(lic.pdf()))
    assert "Explosives limit licence ELL-G1" in text  # BS2 is licensed with its group
    bs = next(s for s in result.sites if s["id"] == "BS2")
    for hd, limit in bs["licence_limit_kg"].items():
        assert flat(f"{hd} {textfmt.kg_limit(limit, bs['licence_at_least'][hd])}") in text
    # each limit with what sets it, as the check gives it (licence_limiting): the exposed site, the
    # distance, the rule, the table cell and the source; for HD 1.1 the road R1, 252.5 m from the
    # nearest member, inside the 270 m projection minimum toward a main road (decision 20): nil
    for hd, why in bs["licence_limiting"].items():
        if why is None:
            continue
        assert flat(f"{hd} {textfmt.kg_limit(bs['licence_limit_kg'][hd], bs['licence_at_least'][hd])} "
                    f"{why['es']} {textfmt.metres_measured(why['distance_m'])} {why['rule_label']} "
                    f"{'; '.join(why['cells'])}") in text, hd
        # a long source wraps at its hyphens in the PDF's text
        assert flat(why["source"]).replace(" ", "") in text.replace(" ", ""), hd
    assert bs["licence_limiting"]["1.1"]["es"] == "R1"
    assert bs["licence_limit_kg"]["1.1"] == 0.0
    assert "pair not listed" not in text
    for blank in ("Signature", "Stamp", "Valid until", "Review due", "Date of issue"):
        assert blank in text
    assert "IATG 02.30" in text


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils pdftoppm not installed")
def test_plan_page_rasterises_with_violations_in_red(english, tmp_path: Path) -> None:
    """The PDF's last page (the plan) as an image: A4 portrait, and red drawn only where violations are."""
    import subprocess

    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(english[1])
    import io

    from pypdf import PdfReader

    n = len(PdfReader(io.BytesIO(english[1])).pages)
    subprocess.run(["pdftoppm", "-r", "20", "-f", str(n), "-l", str(n), str(pdf), str(tmp_path / "p")], check=True)
    (ppm,) = tmp_path.glob("p*.ppm")
    data = ppm.read_bytes()
    _magic, width, height, _maxval, pixels = re.match(rb"(P6)\s+(\d+)\s+(\d+)\s+(\d+)\s(.*)", data, re.S).groups()
    # pdftoppm rounds the page size in pixels up
    assert (int(width), int(height)) == (math.ceil(210 / 25.4 * 20), math.ceil(297 / 25.4 * 20))
    red = sum(1 for k in range(0, len(pixels), 3)
              if pixels[k] > 170 and pixels[k + 1] < 90 and pixels[k + 2] < 90)
    assert red > 50


def test_report_summary_names_the_biggest_risk_contributors(risk, english_text: str) -> None:
    """The exposed sites of the largest individual risk and the storehouses of the largest share of the
    expected fatalities, as `depotsafe risk` gives them, each with its criterion and the caveats."""
    text = english_text
    w = words("en")
    top = sorted(risk["sites"], key=lambda s: (-s["individual_risk_per_year"], s["id"]))[:5]
    assert top[0]["id"] == "WS1"  # the workshop's own six workers (docs/cli.md, issue 10)
    used = {c["id"]: c for c in risk["criteria"]["used"]}
    for s in top:
        presence = w.style.percent(100.0 * s["presence"], 1)
        assert flat(f"{s['id']} {w.style.fixed(s['persons'], 0)} {presence} {w.per_year(s['individual_risk_per_year'])}") \
            in text, s["id"]
        assert flat(used[s["criterion"]]["source"]) in text
    for c in sorted(risk["contributions"], key=lambda c: -c["share"])[:5]:
        assert f"{c['pes']} {textfmt.percent(c['share'])} {w.per_year(c['expected_fatalities_per_year'])}" in text
    assert w.per_year(risk["expected_fatalities_per_year"]) in text
    # the sample depot gives persons but no event probability and no presence: said plainly
    assert "The layout gives no risk inputs" in text
    assert "an event probability for 0 of 13 storehouses" in text
    n = len(risk["assumptions"])
    assert f"rest on {n} assumptions" in text
    assert "UK HSE tolerability (R2P2)" in text
    assert "no individual or societal risk figure is stated" not in text


def test_report_names_unverified_risk_assumptions(tmp_path: Path) -> None:
    """A layout that names an unverified [U] event-probability class: the summary names it UNVERIFIED,
    and a layout with risk inputs is not said to have none."""
    import json

    from depotsafe.check import check_depot

    path = _named_layout(tmp_path, "Stack")
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["features"][0]["properties"]["event_probability"] = "fr-2005:D"
    doc["features"][1]["properties"]["presence"] = 0.5
    path.write_text(json.dumps(doc), encoding="utf-8")
    res = check_depot(read_layout(path), "iatg")
    risk = documents.depot_risk(res)
    (unverified,) = [a for a in risk["assumptions"] if a["confidence"] == "U"]
    rep = documents.report(res, date=DATE, layout_name=path.name, risk=risk)
    text = flat(pdf_text(rep.pdf()))
    assert f"UNVERIFIED [U]: event_probability (S1) = {words('en').per_year(unverified['value'])}" in text
    assert "The layout gives no risk inputs" not in text
    assert "an event probability for 1 of 1 storehouses" in text
    assert "a presence for 1 of 1 exposed sites" in text
    assert "1 unverified [U]" in text


def test_report_without_risk_says_so(result) -> None:
    rep = documents.report(result, date=DATE, layout_name=SAMPLE.name)
    assert "no individual or societal risk figure is stated" in rep.html
