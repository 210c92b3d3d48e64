"""check's JSON writer encodes site records faster than the plain encoder, and byte for byte alike."""

from __future__ import annotations

import json
import math
from importlib import resources

import pytest

from depotsafe.check import check_depot, compact_group_refs
from depotsafe.layout import read_layout
from depotsafe.report import _RECORD_JSON, _SiteEncoder
from depotsafe.synthetic import dense_yard, igloo_rows, synthetic_depot

SAMPLE = str(resources.files("depotsafe.data").joinpath("samples/sample_depot.geojson"))


@pytest.mark.parametrize(("make", "rounding"), [
    (lambda: read_layout(SAMPLE), "formula"),
    (lambda: read_layout(SAMPLE), "table"),
    (lambda: read_layout(synthetic_depot(1500, seed=3)), "formula"),
    (lambda: read_layout(igloo_rows(400)), "formula"),
    (lambda: read_layout(igloo_rows(400)), "table"),
    (lambda: read_layout(dense_yard(80)), "formula"),
])
def test_site_records_byte_for_byte_as_the_plain_encoder(make, rounding):
    result = check_depot(make(), rounding=rounding)
    enc = _SiteEncoder()
    sites = [compact_group_refs(s) for s in result.sites]
    assert sites
    fast_used = 0
    for site in sites:
        assert enc.encode(site) == _RECORD_JSON.encode(site)
        fast_used += isinstance(site.get("licence_limiting"), dict) and any(site["licence_limiting"].values())
    assert fast_used > 0  # the rule texts' shortcut was exercised, not only the fallback
    assert len(enc.static) < fast_used * 5  # and they were shared, not encoded per record


def test_odd_records_fall_back_and_non_finite_distances_still_raise():
    enc = _SiteEncoder()
    odd = {"id": "A", "licence_limiting": {"1.1": {"es": "B", "distance_m": 3}}, "z": [1, 2]}
    assert enc.encode(odd) == _RECORD_JSON.encode(odd)
    first = {"licence_limiting": {"1.1": None}}
    assert enc.encode(first) == _RECORD_JSON.encode(first) == '{"licence_limiting": {"1.1": null}}'
    why = {"es": "B", "distance_m": math.nan, "rule": "D13", "rule_label": "x", "source": "s", "table": "1",
           "cells": ["c"], "relation": {"pes_kind": "igloo"}}
    for bad in (math.nan, math.inf):
        rec = {"id": "A", "licence_limiting": {"1.1": {**why, "distance_m": bad}}}
        with pytest.raises(ValueError, match="JSON compliant"):
            _RECORD_JSON.encode(rec)
        with pytest.raises(ValueError, match="JSON compliant"):
            enc.encode(rec)
    good = {"id": "A\u00e9\"", "licence_limiting": {"1.1": {**why, "distance_m": -0.0}}, "after": {"k": 1e-7}}
    assert enc.encode(good) == _RECORD_JSON.encode(good)
    assert json.loads(enc.encode(good)) == good
