"""depotsafe.risk: hand-worked cases, the combination rule, F-N, criteria at their edges, inputs, properties.

Where an expected number rests on secondary [S] or unverified data, the test's
docstring says so; the answer carries the same confidence in ``assumptions``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from depotsafe import risk
from depotsafe.effects.blast import incident_impulse_pa_s, incident_overpressure_pa
from depotsafe.effects.hazards import hd11_fragment_zone
from depotsafe.errors import InputError
from depotsafe.layout import read_layout

LOCAL = {"type": "name", "properties": {"name": "depotsafe:local-metres"}}


def square(cx: float, cy: float, half: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[cx - half, cy - half], [cx + half, cy - half],
                                                [cx + half, cy + half], [cx - half, cy + half],
                                                [cx - half, cy - half]]]}


def feature(geom: dict, **props) -> dict:
    return {"type": "Feature", "geometry": geom, "properties": props}


def layout(*features: dict) -> dict:
    return {"type": "FeatureCollection", "crs": LOCAL, "features": list(features)}


def phi(y: float) -> float:
    return 0.5 * (1.0 + math.erf((y - 5.0) / math.sqrt(2.0)))


STORE = feature(square(0, 0, 5), id="S1", kind="unbarricaded_stack", event_probability="amrisk:steel_container",
                stock=[{"hd": "1.1", "cg": "D", "neq_kg": 10000}])
PERIODS = {"night": 0.9, "day": 0.3, "evening": 0.8, "weekend": 0.6}
HOUSE = feature(square(410, 0, 5), id="H", kind="inhabited_building", persons=4, presence=PERIODS)


# ---------------------------------------------------------------------------- hand-worked


def test_one_storehouse_one_house_by_hand():
    """IR = Pe x Pf|e x presence, each factor from its formula [S data].

    Pe: AMRISK-type steel container 1.5e-4 + 1.5e-10 x NEQ [S, tangos/foxtrot].
    The house (indoors, conventional) is 400 m from the stack: the HD 1.1
    fragment distance (AASTP-1 400 m projection minimum, 14.8 Q^(1/3) = 319 m
    below it), so q = 1/56 m^2 and P_hit = 1 - exp(-0.58/56) = 0.010304
    (RESEARCH_NOTES 5.5 [C], A_T = 0.58 m^2 [S]).  Blast: the Kingery-Bulmash
    incident overpressure and impulse at 400 m from 10 t, into the Eisenberg
    lung and TNO collapse probits (HyRAM transcription [S]).  Presence: the
    AMRISK week (N, D, E, W) = (0.9, 0.3, 0.8, 0.6) -> 0.65298 [S weights].
    """
    pe = 1.5e-4 + 1.5e-10 * 10000
    p = incident_overpressure_pa(10000, 400.0)
    i = incident_impulse_pa_s(10000, 400.0)
    p_lung = phi(-77.1 + 6.91 * math.log(p))
    p_collapse = phi(5 - 0.22 * math.log((40000 / p) ** 7.4 + (460 / i) ** 11.3))
    p_hit = 1 - math.exp(-0.58 / 56)
    presence = 0.375 * 0.9 + 0.2976 * 0.3 + 0.1488 * 0.8 + 0.1786 * 0.6
    assert p_hit == pytest.approx(0.010304, abs=5e-7)  # RESEARCH_NOTES 5.5
    assert presence == pytest.approx(0.65298, abs=5e-6)  # RESEARCH_NOTES 5.5
    expected = pe * (1 - (1 - p_lung) * (1 - p_collapse) * (1 - p_hit)) * presence

    result = risk.assess(read_layout(layout(STORE, HOUSE)), "uk-hse", groups=[], grid_cell_m=None)
    (site,) = result["sites"]
    assert site["id"] == "H"
    assert site["receptor"] == "indoors_conventional"
    assert site["individual_risk_per_year"] == pytest.approx(expected, rel=1e-12)
    mech = site["by_event"][0]["mechanisms"]
    assert mech["structural_collapse"] == pytest.approx(p_collapse, rel=1e-12)
    assert mech["fragment_hit"] == pytest.approx(p_hit, rel=1e-12)
    # expected deaths: persons x presence x Pf, once
    ev = result["events"][0]
    assert ev["deaths_if_it_happens"] == pytest.approx(4 * presence * expected / (pe * presence), rel=1e-12)
    assert result["expected_fatalities_per_year"] == pytest.approx(pe * ev["deaths_if_it_happens"], rel=1e-12)
    assert result["fn_curve"] == [{"n": ev["deaths_if_it_happens"], "f_per_year": pytest.approx(pe, rel=1e-12)}]
    assert result["contributions"] == [{"pes": "S1", "members": ["S1"], "share": 1.0,
                                        "expected_fatalities_per_year": result["expected_fatalities_per_year"]}]


def test_outdoor_person_uses_head_impact_not_collapse():
    """Outdoors: lung + head impact (TNO) + fragments; [S] probits."""
    near = feature(square(70, 0, 5), id="H", kind="inhabited_building", indoors=False)
    result = risk.assess(read_layout(layout(STORE, near)), groups=[], grid_cell_m=None)
    mech = result["sites"][0]["by_event"][0]["mechanisms"]
    assert set(mech) == {"lung_haemorrhage_eisenberg", "head_impact", "fragment_hit"}
    p = incident_overpressure_pa(10000, 60.0)
    i = incident_impulse_pa_s(10000, 60.0)
    assert mech["head_impact"] == pytest.approx(phi(5 - 8.49 * math.log(2430 / p + 4e8 / (p * i))), rel=1e-12)
    assert mech["lung_haemorrhage_eisenberg"] == pytest.approx(phi(-77.1 + 6.91 * math.log(p)), rel=1e-12)


def test_blast_cut_changes_nothing():
    """Beyond blast_outdoor_range_m the lung and head-impact probits are below 1e-17: 1 - P is 1 in float64."""
    w = 10000.0
    r = risk.blast_outdoor_range_m(w)
    assert 0 < r < risk.blast_range_m(w)
    for d in (r * 1.0001, 2 * r, 400.0, 0.99 * risk.blast_range_m(w)):
        p = incident_overpressure_pa(w, d)
        i = incident_impulse_pa_s(w, d)
        for pm in (phi(-77.1 + 6.91 * math.log(p)), phi(5 - 8.49 * math.log(2430 / p + 4e8 / (p * i)))):
            assert 1.0 - pm == 1.0
    house = feature(square(410, 0, 5), id="H", kind="inhabited_building", indoors=False)
    result = risk.assess(read_layout(layout(STORE, house)), groups=[], grid_cell_m=None)
    assert set(result["sites"][0]["by_event"][0]["mechanisms"]) == {"fragment_hit"}


def test_two_storehouses_sum():
    """Independent annual events add (rare-event sum over events)."""
    other = feature(square(900, 0, 5), id="S2", kind="barricaded_stack", event_probability=3e-5,
                    stock=[{"hd": "1.1", "cg": "D", "neq_kg": 4000}])
    both = risk.assess(read_layout(layout(STORE, other, HOUSE)), groups=[], grid_cell_m=None)
    one = risk.assess(read_layout(layout(STORE, HOUSE)), groups=[], grid_cell_m=None)
    two = risk.assess(read_layout(layout(other, HOUSE)), groups=[], grid_cell_m=None)
    assert both["sites"][0]["individual_risk_per_year"] == pytest.approx(
        one["sites"][0]["individual_risk_per_year"] + two["sites"][0]["individual_risk_per_year"], rel=1e-12)
    assert both["expected_fatalities_per_year"] == pytest.approx(
        one["expected_fatalities_per_year"] + two["expected_fatalities_per_year"], rel=1e-12)
    shares = {c["pes"]: c["share"] for c in both["contributions"]}
    assert sum(shares.values()) == pytest.approx(1.0, rel=1e-12)


def test_group_explodes_as_one_with_summed_neq_and_probability():
    """Aggregation group from depotsafe.check (decision 14): NEQ summed, Pe = 1 - prod(1 - Pe_i)."""
    a = feature(square(0, 0, 5), id="A", kind="barricaded_stack", event_probability=1e-4,
                stock=[{"hd": "1.1", "cg": "D", "neq_kg": 5000}])
    b = feature(square(20, 0, 5), id="B", kind="barricaded_stack", event_probability=2e-4,
                stock=[{"hd": "1.1", "cg": "D", "neq_kg": 5000}])
    depot = read_layout(layout(a, b, HOUSE))
    assert risk.groups_of(depot) == [["A", "B"]]
    events, _ = risk.build_events(depot)
    (ev,) = events
    assert ev.members == ["A", "B"]
    assert ev.blast_neq_kg == 10000
    assert ev.pe == pytest.approx(1 - (1 - 1e-4) * (1 - 2e-4), rel=1e-15)


def test_fn_points_and_expected_fatalities_by_hand():
    """Events (1e-5/yr, N=12) and (2e-6/yr, N=150): RESEARCH_NOTES 5.5 [C]."""
    curve = risk.fn_curve([12.0, 150.0], [1e-5, 2e-6])
    assert curve == [{"n": 12.0, "f_per_year": pytest.approx(1.2e-5, rel=1e-15)},
                     {"n": 150.0, "f_per_year": 2e-6}]
    assert risk.f_at(curve, 10) == pytest.approx(1.2e-5, rel=1e-15)
    assert risk.f_at(curve, 12) == pytest.approx(1.2e-5, rel=1e-15)
    assert risk.f_at(curve, 12.0001) == 2e-6  # a step, never smoothed
    assert risk.f_at(curve, 100) == 2e-6
    assert risk.f_at(curve, 150.0001) == 0.0
    assert risk.expected_fatalities([12.0, 150.0], [1e-5, 2e-6]) == pytest.approx(4.2e-4, rel=1e-15)
    nl = risk.fn_verdict("nl", curve)
    assert nl["band"] == "above_orientation_value"  # F(10) = 1.2e-5 > 1e-5
    uk = risk.fn_verdict("uk-hse", curve)
    assert uk["f_at_n_min_per_year"] == 2e-6
    assert uk["tolerable"]


def test_fn_curve_merges_equal_n_and_drops_zero():
    curve = risk.fn_curve([3.0, 3.0, 0.0, 1.0], [1e-4, 2e-4, 5e-3, 1e-5])
    assert curve == [{"n": 1.0, "f_per_year": pytest.approx(3.1e-4, rel=1e-15)},
                     {"n": 3.0, "f_per_year": pytest.approx(3e-4, rel=1e-15)}]


def test_uk_societal_point_at_50():
    """R2P2 para 136 [S]: N >= 50 more often than 1 in 5000 per year is intolerable."""
    assert not risk.fn_verdict("uk-hse", risk.fn_curve([50.0], [2e-4]))["tolerable"]
    assert risk.fn_verdict("uk-hse", risk.fn_curve([50.0], [1.9999e-4]))["tolerable"]
    assert risk.fn_verdict("uk-hse", risk.fn_curve([49.99], [1e-2]))["tolerable"]


# ---------------------------------------------------------------------------- combination


def test_combination_rule():
    """1 - prod(1 - P): (0.2, 0.5) -> 0.6; any 1 -> 1; all 0 -> 0 (data/risk/probits.csv [C])."""
    assert risk.combine([0.2, 0.5]) == pytest.approx(0.6, rel=1e-15)
    assert risk.combine([0.3, 1.0, 0.1]) == 1.0
    assert risk.combine([0.0, 0.0]) == 0.0
    assert risk.combine([]) == 0.0
    with pytest.raises(InputError, match="mechanism probability"):
        risk.combine([1.2])


@given(st.lists(st.floats(0, 1), max_size=6))
def test_combination_bounds(ps):
    c = risk.combine(ps)
    assert max(ps, default=0.0) - 1e-15 <= c <= 1.0
    assert c <= math.fsum(ps) + 1e-15


# ---------------------------------------------------------------------------- criteria


@pytest.mark.parametrize(("ir", "population", "band"), [
    (1e-4, "public", "intolerable"),
    (np.nextafter(1e-4, 0), "public", "tolerable_if_alarp"),
    (1e-6, "public", "tolerable_if_alarp"),
    (np.nextafter(1e-6, 0), "public", "broadly_acceptable"),
    (1e-3, "worker", "intolerable"),
    (np.nextafter(1e-3, 0), "worker", "tolerable_if_alarp"),
    (5e-4, "public", "intolerable"),
])
def test_uk_bands_at_their_edges(ir, population, band):
    """R2P2 [S]: 1e-3 workers, 1e-4 public, 1e-6 broadly acceptable; at a limit = not meeting it."""
    assert risk.uk_band(float(ir), population)[0] == band


def test_criteria_values_as_quoted():
    """criteria.csv against the quoted words: '1 in 1,000', '1 in 10,000', 1e-6, 'one in five thousand' [S]."""
    uk = risk.criteria("uk-hse")
    assert uk["uk_worker_intolerable"].value == 1 / 1000
    assert uk["uk_public_intolerable"].value == 1 / 10000
    assert uk["uk_broadly_acceptable"].value == 1e-6
    assert uk["uk_societal_50"].value == 1 / 5000
    assert uk["uk_societal_50"].n_min == 50
    fr = risk.criteria("fr-2011")
    assert fr["fr2011_a4"].value == 1e-6  # art. 8 '< 10-6' [P]
    assert all(c.status == "limit_by_analogy" for c in fr.values())
    assert risk.criteria("nl")["nl_gr_orientation"].value == 1e-3


def test_fr_and_nl_edges():
    assert risk.fr_band(1e-6, "a4")[0] == "not_admissible_by_analogy"
    assert risk.fr_band(float(np.nextafter(1e-6, 0)), "a4")[0] == "admissible_by_analogy"
    assert risk.fr_band(1e-7, "a5")[2] is False
    assert risk.nl_band(1e-6, "vulnerable") == ("exceeds_limit", "nl_pr_vulnerable", False)
    assert risk.nl_band(1e-6, "less_vulnerable")[2] is True  # a target value, reported
    assert risk.nl_band(float(np.nextafter(1e-6, 0)), "vulnerable")[0] == "below_1e-6"


def test_unknown_regime():
    with pytest.raises(InputError, match="--criteria"):
        risk.criteria("de")


# ---------------------------------------------------------------------------- inputs


def _site(**props):
    depot = read_layout(layout(feature(square(0, 0, 5), id="X", kind="barricaded_stack",
                                       stock=[{"hd": "1.1", "cg": "D", "neq_kg": 1000}], **props)))
    return depot.sites[0]


def test_event_probability_default_is_fr2011_p1_upper_bound():
    """Missing -> FR-2011 P1 upper bound 1e-4 (annexe II, dormant storage) [P], by analogy."""
    pe, entry = risk.storehouse_event_probability(_site(), 1000)
    assert pe == 1e-4
    assert entry["confidence"] == "P"
    assert "default" in entry["note"]
    assert "by analogy" in entry["note"]


def test_event_probability_classes():
    """AMRISK-type defaults [S] add 1.5e-10 per kg; a [U] class only when named, and flagged."""
    pe, entry = risk.storehouse_event_probability(_site(event_probability="amrisk:concrete_igloo"), 2000)
    assert pe == pytest.approx(1.5e-5 + 1.5e-10 * 2000, rel=1e-15)
    assert entry["confidence"] == "S"
    pe, entry = risk.storehouse_event_probability(_site(event_probability="steel_container"), 0)
    assert pe == 1.5e-4
    pe, entry = risk.storehouse_event_probability(_site(event_probability="fr-2005:D"), 0)
    assert pe == 1e-4
    assert entry["confidence"] == "U"
    assert "UNVERIFIED" in entry["note"]
    pe, _ = risk.storehouse_event_probability(_site(event_probability=3e-6), 0)
    assert pe == 3e-6


@pytest.mark.parametrize("bad", [0, -1e-5, 1.5, "P9", "", True, [1e-4]])
def test_bad_event_probability_names_feature_field_value(bad):
    with pytest.raises(InputError) as exc:
        risk.storehouse_event_probability(_site(event_probability=bad), 1000)
    msg = str(exc.value)
    assert "feature 'X': event_probability" in msg
    assert "fr-2011:P1" in msg


def test_presence_per_period_and_bad_presence():
    assert risk.presence_fraction(PERIODS, "p") == pytest.approx(0.65298, abs=5e-6)
    assert risk.presence_fraction(0.25, "p") == 0.25
    for bad in (1.2, -0.1, {"night": 1}, {**PERIODS, "night": 2}, "always"):
        with pytest.raises(InputError, match="presence"):
            risk.presence_fraction(bad, "feature 'H': presence")


@pytest.mark.parametrize(("prop", "value", "allowed"), [
    ("building_type", "glass", "conventional"), ("indoors", "yes", "true or false"),
    ("population", "tourist", "public"), ("fr_category", "z9", "a4"), ("presence", 3, "fraction"),
])
def test_bad_exposure_property(prop, value, allowed):
    depot = read_layout(layout(STORE, feature(square(410, 0, 5), id="H", kind="inhabited_building",
                                              **{prop: value})))
    with pytest.raises(InputError) as exc:
        risk.assess(depot, groups=[], grid_cell_m=None)
    assert f"feature 'H': {prop}" in str(exc.value)
    assert allowed in str(exc.value)


# ---------------------------------------------------------------------------- outcomes


@pytest.mark.parametrize(("stock", "outcome"), [
    ([{"hd": "1.1", "cg": "D", "neq_kg": 1000}], "mass_explosion"),
    ([{"hd": "1.5", "cg": "D", "neq_kg": 1000}], "mass_explosion"),
    ([{"hd": "1.3", "cg": "C", "neq_kg": 1000}, {"hd": "1.1", "cg": "D", "neq_kg": 10}], "mass_explosion"),
    ([{"hd": "1.2", "cg": "E", "neq_kg": 1000, "unit_neq_kg": 0.05}], "fragments"),
    ([{"hd": "1.3", "cg": "C", "neq_kg": 1000}], "fire"),
    ([{"hd": "1.4", "cg": "S", "neq_kg": 1000}], "none"),
    ([{"hd": "1.6", "cg": "N", "neq_kg": 1000, "unit_neq_kg": 20}], "single-munition blast and fire"),
])
def test_outcome_by_hazard_division(stock, outcome):
    """AASTP-1 1.2.1.2 wording and Table 4 mixing (via depotsafe.explosives.mix_divisions)."""
    from depotsafe.explosives import parse_stock_entry

    lines = [parse_stock_entry(e, f"s[{k}]") for k, e in enumerate(stock)]
    out = risk.event_outcome(lines, ["barricaded_stack"])
    assert out["outcome"] == outcome
    if outcome == "mass_explosion":
        assert out["blast_neq_kg"] == math.fsum(e["neq_kg"] for e in stock)  # the mix taken as 1.1
    if outcome.startswith("single"):
        assert out["blast_neq_kg"] == 20  # one munition


# ---------------------------------------------------------------------------- properties


def _event(neq: float, pe: float = 1e-4) -> risk.Event:
    import shapely

    return risk.Event(label="E", members=["E"], kind="unbarricaded_stack", geometry=shapely.box(-5, -5, 5, 5),
                      pe=pe, neq_total_kg=neq, outcome="mass_explosion", reason="test", blast_neq_kg=neq,
                      fragment_distance_m=hd11_fragment_zone(neq, "unbarricaded_stack").radius_m)


@given(st.floats(100, 1e5), st.floats(1.0, 3.0), st.floats(50, 3000),
       st.sampled_from(risk.RECEPTORS))
def test_risk_grows_with_neq(neq, factor, d, receptor):
    lo = risk.fatality_probability(_event(neq), d, receptor)
    hi = risk.fatality_probability(_event(neq * factor), d, receptor)
    assert hi >= lo


@given(st.floats(100, 1e5), st.floats(1.0, 5000), st.floats(1.0, 3.0), st.sampled_from(risk.RECEPTORS))
def test_risk_falls_with_distance(neq, d, factor, receptor):
    ev = _event(neq)
    assert risk.fatality_probability(ev, d * factor, receptor) <= risk.fatality_probability(ev, d, receptor)


@given(st.floats(1e-7, 1e-2), st.floats(1.0, 10.0), st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_risk_grows_with_pe_and_presence(pe, factor, pres_a, pres_b):
    base = dict(STORE["properties"])
    store_lo = feature(STORE["geometry"], **{**base, "event_probability": pe})
    store_hi = feature(STORE["geometry"], **{**base, "event_probability": min(1.0, pe * factor)})
    lo_p, hi_p = sorted((pres_a, pres_b))
    h_lo = feature(HOUSE["geometry"], id="H", kind="inhabited_building", persons=3, presence=lo_p)
    h_hi = feature(HOUSE["geometry"], id="H", kind="inhabited_building", persons=3, presence=hi_p)
    ir = {}
    for key, s, h in (("ll", store_lo, h_lo), ("hl", store_hi, h_lo), ("lh", store_lo, h_hi)):
        ir[key] = risk.assess(read_layout(layout(s, h)), groups=[], grid_cell_m=None)["sites"][0][
            "individual_risk_per_year"]
    assert ir["hl"] >= ir["ll"]
    assert ir["lh"] >= ir["ll"]


def test_glass_and_escalation_are_said_to_be_left_out():
    result = risk.assess(read_layout(layout(STORE, HOUSE)), groups=[], grid_cell_m=None)
    notes = " ".join(result["notes"])
    assert "glass" in notes
    assert "escalation" in notes


def test_default_grid_cell_grows_on_a_large_extent_and_an_explicit_one_is_refused():
    depot = read_layout(layout(STORE, HOUSE))
    grid = risk.assess(depot, groups=[], grid_cell_m=25.0, max_grid_points=10_000,
                       grid_cell_is_default=True)["location_risk"]
    assert grid["cell_m"] > 25.0
    assert grid["shape"][0] * grid["shape"][1] <= 10_000
    assert "enlarged" in grid["note"]
    with pytest.raises(InputError, match="--grid-cell"):
        risk.assess(depot, groups=[], grid_cell_m=25.0, max_grid_points=10_000)
