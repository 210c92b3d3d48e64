"""check's JSON writer encodes records faster than the plain encoder, and byte for byte alike.

The reference is the plain writer (`_plain_write_json`): every record through one
``json.JSONEncoder(allow_nan=False)``, framed as DESIGN.md's streamed object; the
command line's whole output (``--out-json`` and the readable text) is compared byte for
byte with it on the sample depot, a synthetic depot, igloo rows and a yard, in both
rounding modes.
"""

from __future__ import annotations

import io
import json
import math
from importlib import resources

import pytest

from depotsafe.check import (
    aggregations_with_licences,
    check_depot,
    compact_group_refs,
    group_licence,
)
from depotsafe.layout import read_layout
from depotsafe.report import _RECORD_JSON, _RecordJSON, _SiteEncoder, write_json
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


def _plain_write_json(result, f) -> None:
    """The writer of DESIGN.md's object, every record through the plain encoder (the reference)."""
    plain = json.JSONEncoder(allow_nan=False)
    f.write("{\n  \"pairs\": [")
    f.write(",".join("\n    " + plain.encode(compact_group_refs(p)) for p in result.iter_pairs()))
    f.write("\n  ],\n  \"sites\": [")
    licences = {}
    for site in result.sites:
        if site.get("group_id") and site["group_id"] not in licences:
            licences[site["group_id"]] = group_licence(site)
    f.write(",".join("\n    " + plain.encode(compact_group_refs(s)) for s in result.sites))
    f.write("\n  ],\n  \"violations\": [")
    f.write(",".join("\n    " + plain.encode(compact_group_refs(p)) for p in result.iter_violations()))
    f.write("\n  ],\n  \"aggregations\": "
            + json.dumps(aggregations_with_licences(result.aggregations, licences), allow_nan=False))
    for key, value in (("groups", result.groups), ("summary", result.summary()), ("notes", result.notes),
                       ("rounding", result.rule_set.rounding), ("provenance", result.provenance())):
        f.write(f",\n  \"{key}\": " + json.dumps(value))
    f.write("\n}\n")


def _text(write, result) -> str:
    buf = io.StringIO()
    write(result, buf)
    return buf.getvalue()


@pytest.mark.parametrize(("make", "rounding"), [
    (lambda: read_layout(SAMPLE), "formula"),
    (lambda: read_layout(SAMPLE), "table"),
    (lambda: read_layout(synthetic_depot(1500, seed=3)), "formula"),
    (lambda: read_layout(synthetic_depot(1500, seed=3)), "table"),
    (lambda: read_layout(igloo_rows(400)), "formula"),
    (lambda: read_layout(igloo_rows(400)), "table"),
    (lambda: read_layout(dense_yard(150, n_houses=300)), "formula"),
    (lambda: read_layout(dense_yard(150, n_houses=300)), "table"),
])
def test_whole_json_byte_for_byte_as_the_plain_writer(make, rounding):
    result = check_depot(make(), rounding=rounding)
    fast, plain = _text(write_json, result), _text(_plain_write_json, result)
    assert fast == plain
    doc = json.loads(fast)
    assert doc["sites"]
    assert doc["rounding"] == rounding


def test_record_encoder_writes_what_the_plain_encoder_writes_and_recovers_from_errors():
    enc = _RecordJSON()
    values = ["A\u00e9\"\n", 3, -0.0, 1e-7, 1e16, 2.5, None, True, [], {}, {"k": [1, {"z": None}], "\u20ac": 1.5},
              [1e300, -1e-300, "x"], ("t", 1)]
    for v in values:
        assert enc(v) == _RECORD_JSON.encode(v)
    for bad in (math.nan, {"a": [math.inf]}, {"a": -math.inf}):
        with pytest.raises(ValueError, match="JSON compliant"):
            enc(bad)
        assert enc({"after": [1, 2]}) == '{"after": [1, 2]}'  # a new encoder after a failure
    loop: list = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular reference"):
        enc({"a": loop})
    shared = [1]
    assert enc({"a": shared, "b": shared}) == _RECORD_JSON.encode({"a": shared, "b": shared})
    with pytest.raises(TypeError):
        enc({"a": object()})
    assert enc({"a": shared}) == '{"a": [1]}'
