"""The sectors of an earth-covered magazine: AASTP-1 Annex I-A Notes 1 and 2 (decision 13).

The text and the figures of the Notes disagree (p. I-A-4: 60°/45° written, 63.4°/43.7° drawn;
p. I-A-5: 10° written, 24.9° drawn). depotsafe takes the wider front and the narrower rear.
That is the larger distance only because, in every division, the front requires at least the
side and the side at least the rear: checked here for every exposed kind and face.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from depotsafe.check import FRONT_HALF_ANGLE_DEG, FRONT_HALF_ANGLE_HD12_DEG, REAR_HALF_ANGLE_DEG
from depotsafe.kinds import kinds
from depotsafe.qd import Relation, required_distance_m, resolve_rule
from depotsafe.rules import load_rule_set

RS = load_rule_set("iatg")
ECM = [k for k, v in kinds().items() if v.earth_covered]


def test_angles_as_measured_on_the_figures() -> None:
    # Note 1 drawn at slope 1:2 (vector paths: atan(146.46 / 292.86) = 26.57° to the face line);
    # Note 2 drawn at 114.9° to the front face; Note 1's rear at 133.7° to the rear face.
    assert math.degrees(math.atan(2.0)) == pytest.approx(FRONT_HALF_ANGLE_DEG, abs=0.005)
    assert FRONT_HALF_ANGLE_HD12_DEG == 25.0 > 10.0  # the text's 10°
    assert REAR_HALF_ANGLE_DEG == 43.7 < 45.0  # the text's 45°
    assert FRONT_HALF_ANGLE_DEG > 60.0  # the text's 60°


@pytest.mark.parametrize("division", ["1.1", "1.2.1", "1.2.2", "1.3"])
@pytest.mark.parametrize("pes", ECM)
def test_front_requires_at_least_side_and_side_at_least_rear(division: str, pes: str) -> None:
    """Why a wider front and a narrower rear are the safer reading of the Notes."""
    checked = 0
    for es, kind in kinds().items():
        for es_face in ("front", "side", "rear") if kind.earth_covered else (None,):
            traffic = "heavy" if es == "public_traffic_route" else None
            for q in (500.0, 5_000.0, 50_000.0, 250_000.0):
                d = {}
                for face in ("front", "side", "rear"):
                    rule = resolve_rule(RS, division, Relation(pes, es, face, es_face, traffic))
                    d[face] = required_distance_m(RS, rule, q, 1.0)[0]
                assert d["front"] >= d["side"] - 1e-9, (es, es_face, q, d)
                assert d["side"] >= d["rear"] - 1e-9, (es, es_face, q, d)
                checked += 1
    assert checked > 50


def _sector_of(bearing_to_es_deg: float, front_half: float, rear_half: float) -> int:
    """Sector mask of a small ES far out on a bearing from a 10 m x 26 m igloo whose door faces north."""
    from depotsafe.layout import depot_arrays, read_layout, sector_masks

    def square(cx: float, cy: float, h: float) -> list:
        return [[[cx - h, cy - h], [cx + h, cy - h], [cx + h, cy + h], [cx - h, cy + h], [cx - h, cy - h]]]

    r = 2000.0
    b = math.radians(bearing_to_es_deg)
    fc = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "depotsafe:local-metres"}},
          "features": [
              {"type": "Feature", "properties": {"id": "IG", "kind": "igloo_7bar", "front_bearing_deg": 0},
               "geometry": {"type": "Polygon", "coordinates": [[[-5, -13], [5, -13], [5, 13], [-5, 13], [-5, -13]]]}},
              {"type": "Feature", "properties": {"id": "H", "kind": "inhabited_building"},
               "geometry": {"type": "Polygon", "coordinates": square(r * math.sin(b), 13 + r * math.cos(b), 1.0)}},
          ]}
    depot = read_layout(fc)
    fp, _ = depot_arrays(depot)
    bearings = np.array([0.0, np.nan])
    return int(sector_masks(fp, np.array([0]), np.array([1]), bearings, front_half, rear_half)[0])


def test_an_es_20_degrees_off_the_door_is_in_the_hd12_front_sector() -> None:
    """At 20° from the door normal: front for HD 1.2 with the figure's 25°, not with the text's 10°."""
    assert _sector_of(20.0, FRONT_HALF_ANGLE_HD12_DEG, REAR_HALF_ANGLE_DEG) & 1
    assert not _sector_of(20.0, 10.0, 45.0) & 1


def test_an_es_62_degrees_off_the_door_is_in_the_hd11_front_sector() -> None:
    assert _sector_of(62.0, FRONT_HALF_ANGLE_DEG, REAR_HALF_ANGLE_DEG) & 1
    assert not _sector_of(62.0, 60.0, 45.0) & 1
