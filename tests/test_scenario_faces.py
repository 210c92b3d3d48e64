"""A scenario step computes its sector masks together; each equals the mask of its pair alone."""

from __future__ import annotations

import numpy as np

from depotsafe.check import FRONT_HALF_ANGLE_DEG, FRONT_HALF_ANGLE_HD12_DEG, REAR_HALF_ANGLE_DEG
from depotsafe.kinds import kinds
from depotsafe.layout import read_layout, sector_masks
from depotsafe.scenario import _faces, _geo, _prefetch_step_faces, _unit
from depotsafe.synthetic import synthetic_depot


def test_prefetched_faces_equal_one_pair_at_a_time():
    depot = read_layout(synthetic_depot(600, seed=5))
    table = kinds()
    ec = [s.id for s in depot.sites if table[s.kind].earth_covered]
    stores = [s.id for s in depot.sites if s.stock_entries]
    assert len(ec) > 20 and len(stores) > 50
    batched = _geo(depot)
    fresh = _geo(depot)  # no prefetch: _faces computes each pair alone
    for start in ec[:3]:
        event = _unit(depot, (start,))
        targets = [_unit(depot, (t,)) for t in stores if t != start]
        _prefetch_step_faces(depot, batched, event, targets)
        for t in targets:
            (es,) = t.members
            for a, b, front in ((start, es, FRONT_HALF_ANGLE_DEG), (start, es, FRONT_HALF_ANGLE_HD12_DEG),
                                (es, start, FRONT_HALF_ANGLE_DEG)):
                if a not in ec:
                    continue
                assert (a, b, front, REAR_HALF_ANGLE_DEG) in batched.masks  # judge will not compute it again
                alone = int(sector_masks(batched.fp, np.array([batched.index[a]]), np.array([batched.index[b]]),
                                         batched.bearings, front, REAR_HALF_ANGLE_DEG)[0])
                assert batched.masks[a, b, front, REAR_HALF_ANGLE_DEG] == alone
                assert _faces(fresh, a, b, front, REAR_HALF_ANGLE_DEG) == _faces(
                    batched, a, b, front, REAR_HALF_ANGLE_DEG)
