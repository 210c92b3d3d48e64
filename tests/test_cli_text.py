"""The readable (non --json) output of check, blast and effects says what the JSON says (issue 12 item 7).

Every test runs the installed ``depotsafe`` command twice, with and without
--json, parses the figures out of the text and compares them with the JSON
values under the rounding rule of DESIGN.md (required distances up to the
metre, limits down to the kilogram, measured distances down to 0.1 m).
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "samples" / "sample_depot.geojson"


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("depotsafe")
    cmd = [str(exe)] if exe.exists() else [shutil.which("depotsafe") or "depotsafe"]
    return subprocess.run([*cmd, *argv], capture_output=True, text=True, timeout=600)


def _both(*argv: str) -> tuple[str, dict[str, Any]]:
    text, js = _run(*argv), _run(*argv, "--json")
    assert text.returncode == js.returncode, (text.stderr, js.stderr)
    return text.stdout, json.loads(js.stdout)


def _no_raw_values(text: str) -> None:
    assert not re.search(r"\bNone\b|\bnan\b|\binf\b", text, re.IGNORECASE), text


def _num(text: str) -> float:
    return float(text.replace(",", ""))


def _limit_matches(shown: str, value: float | None, at_least: bool) -> bool:
    """A limit as printed: "unlimited", "nil (0 kg)", "[at least ]N kg" with N the value rounded down."""
    if value is None:
        return shown == "unlimited"
    prefix = "at least " if at_least else ""
    if not shown.startswith(prefix) or (not at_least and shown.startswith("at least")):
        return False
    rest = shown[len(prefix):]
    if value <= 0:
        return rest == "nil (0 kg)"
    m = re.fullmatch(r"([\d,]+) kg", rest)
    return m is not None and _num(m.group(1)) == math.floor(value + 1e-9)


# ------------------------------------------------------------------ check

CASE = re.compile(r"^    HD (\S+): stock ([\d,.]+) kg NEQ; limit at this mix (.+?)(?: \[(\S+)\])?; (.+)$")
LICENCE_ITEM = re.compile(r"^(\S+) (.+?)(?: \[(\S+)\])?$")
VIOLATION = re.compile(r"^    violation: (\S+)(?: from (\S+))? at ([\d,.]+) m, required ([\d,]+) m \(HD (\S+), (.+)\)$")


def _storehouse_blocks(text: str) -> dict[str, tuple[str, list[str]]]:
    """Storehouse id (group id for a group) -> (verdict, its indented lines)."""
    blocks: dict[str, tuple[str, list[str]]] = {}
    lines = text.split("\n")
    start = next(k for k, line in enumerate(lines) if line.startswith("Storehouses:"))
    current = None
    for line in lines[start + 1:]:
        m = re.match(r"^  (\S+) .*: (OK|VIOLATION)(  INCOMPATIBLE STOCK)?$", line)
        if m:
            current = m.group(1)
            blocks[current] = (m.group(2), [])
        elif line.startswith("    ") and current is not None:
            blocks[current][1].append(line)
        else:
            current = None
    return blocks


def test_check_text_has_the_json_figures() -> None:
    text, data = _both("check", str(SAMPLE))
    _no_raw_values(text)
    blocks = _storehouse_blocks(text)
    seen = set()
    by_store: dict[str, list[dict[str, Any]]] = {}
    for v in data["violations"]:
        by_store.setdefault(v.get("group_id") or v["pes"], []).append(v)
    words = {"at least": False, "unlimited": False}
    for site in data["sites"]:
        key = site.get("group_id") or site["id"]
        if key in seen:
            continue
        seen.add(key)
        verdict, lines = blocks[key]
        bad = by_store.get(key, [])
        assert verdict == ("OK" if site["mixed_stock"]["compliant"] and not bad else "VIOLATION")
        # stock, limit at this mix, headroom or shortfall per QD case
        case_lines = [CASE.match(line) for line in lines if line.startswith("    HD ")]
        assert len(case_lines) == len(site["mixed_stock"]["cases"])
        for m, c in zip(case_lines, site["mixed_stock"]["cases"], strict=True):
            assert m is not None
            assert m.group(1) == c["hd"]
            assert _num(m.group(2)) == pytest.approx(c["neq_kg"], abs=5e-4)
            assert _limit_matches(m.group(3), c["max_neq_kg"], c["max_neq_at_least"]), (m.group(0), c)
            assert m.group(4) == c["limiting_es"]
            h = c["headroom_kg"]
            if h is None:
                assert m.group(5) == "headroom unlimited"
                words["unlimited"] = True
            elif h < 0:
                assert m.group(5) == f"SHORTFALL {math.ceil(-h - 1e-9):,} kg over the limit"
                assert verdict == "VIOLATION"
            else:
                least = "at least " if c["max_neq_at_least"] else ""
                assert m.group(5) == f"headroom {least}{math.floor(h + 1e-9):,} kg"
        # licence per HD alone, with its limiting exposed site
        (lic,) = [line for line in lines if line.startswith("    licence per HD alone: ")]
        items = lic.split(": ", 1)[1].split("; ")
        assert [LICENCE_ITEM.match(i).group(1) for i in items] == list(site["licence_limit_kg"])  # type: ignore[union-attr]
        for item, (hd, value) in zip(items, site["licence_limit_kg"].items(), strict=True):
            m = LICENCE_ITEM.match(item)
            assert m is not None
            least = site["licence_at_least"][hd]
            assert _limit_matches(m.group(2), value, least), (item, value)
            assert m.group(3) == (None if least else site["limiting_es"][hd])
            words["at least"] |= least
            words["unlimited"] |= value is None
        # one line per violation, with its rule and its source
        vlines = [VIOLATION.match(line) for line in lines if line.startswith("    violation: ")]
        assert len(vlines) == len(bad)
        for m, v in zip(vlines, bad, strict=True):
            assert m is not None, v
            assert m.group(1) == v["es"]
            assert m.group(3) == f"{math.floor(v['distance_m'] * 10 + 1e-9) / 10:,.1f}"
            assert _num(m.group(4)) == math.ceil(v["required_distance_m"] - 1e-9)
            assert _num(m.group(3)) < _num(m.group(4))
            assert m.group(5) == v["hd"]
            assert m.group(6) == f"{v['rule_label']}; {v['source']}"
    assert seen == set(blocks)
    assert words == {"at least": True, "unlimited": True}  # the sample shows both, in words


# ------------------------------------------------------------------ blast

BLAST_LINES = {
    "incident_overpressure_kpa": ("incident overpressure", "kPa"),
    "incident_impulse_kpa_ms": ("incident impulse", "kPa*ms"),
    "reflected_overpressure_kpa": ("reflected overpressure", "kPa"),
    "reflected_impulse_kpa_ms": ("reflected impulse", "kPa*ms"),
    "arrival_time_ms": ("arrival time", "ms"),
    "positive_duration_ms": ("positive duration", "ms"),
    "shock_front_velocity_m_s": ("shock-front velocity", "m/s"),
}


def _percent_matches(shown: str, p: float) -> bool:
    if shown == "< 0.1 %":
        return p < 0.0005
    if shown == "> 99.9 %":
        return p > 0.9995
    return _num(shown.removesuffix(" %")) == pytest.approx(p * 100, abs=0.05 + 1e-9)


@pytest.mark.parametrize("distance", ["50 m", "500 m", "1 km"])
def test_blast_text_has_the_json_figures(distance: str) -> None:
    text, data = _both("blast", "--neq", "10 t", "--distance", distance)
    _no_raw_values(text)
    for key, (name, unit) in BLAST_LINES.items():
        (line,) = [x for x in text.split("\n") if x.startswith(f"  {name}: ")]
        value = data[key]
        if value is None:
            assert f"not computed: {data['status'][key]['message']}" in line
        else:
            m = re.match(rf"^  {re.escape(name)}: ([\d,.]+) {re.escape(unit)}  \(.+\)$", line)
            assert m is not None, line
            assert _num(m.group(1)) == pytest.approx(value, rel=5e-3)  # three significant figures
    lv = data["protection_level"]
    assert lv is not None
    assert f"AASTP-1 protection level {lv['level']} ({lv['name']}," in text
    assert f"    people: {lv['people']}\n" in text
    assert f"    buildings: {lv['buildings']}\n" in text
    assert data["incident_overpressure_kpa"] >= lv["overpressure_kpa"]
    shown = re.search(r"probabilities \(data/effects/probits.csv\): (.+)\n", text)
    assert shown is not None
    parts = shown.group(1).split("; ")
    assert len(parts) == len(data["injury_probability"])
    for part, p in zip(parts, data["injury_probability"].values(), strict=True):
        assert _percent_matches(re.search(r"(< 0\.1 %|> 99\.9 %|[\d.]+ %)$", part).group(1), p)  # type: ignore[union-attr]
    assert f"model: {data['provenance']['model']}" in text
    assert "Swisdak (1994)" in text
    assert "IATG 01.80" in text


def test_blast_inverse_text() -> None:
    text, data = _both("blast", "--neq", "10 t", "--overpressure", "5 kPa")
    _no_raw_values(text)
    m = re.search(r"reaches ([\d.,]+) kPa out to ([\d,]+) m", text)
    assert m is not None
    assert _num(m.group(1)) == pytest.approx(data["overpressure_kpa"], rel=5e-3)
    assert _num(m.group(2)) == math.ceil(data["distance_m"] - 1e-9)


# ------------------------------------------------------------------ effects

SITE = re.compile(r"^  (\S+): ([\d,.]+) m, (?:([\d.]+) person\(s\)|persons not given); (.+); zone (.+)$")


@pytest.mark.parametrize("event", ["A1", "BS1"])
def test_effects_text_has_the_json_figures(event: str) -> None:
    text, data = _both("effects", str(SAMPLE), "--event", event)
    _no_raw_values(text)
    lines = text.split("\n")
    assert lines[1] == f"  {data['event']['reason']}"  # the group-event line stays
    rows = {r["id"]: r for r in data["sites"]}
    found = {}
    for k, line in enumerate(lines):
        m = SITE.match(line)
        if m:
            found[m.group(1)] = (m, lines[k + 1:k + 3])
    assert set(found) == set(rows)
    assert any(r["persons"] for r in rows.values())
    for sid, (m, after) in found.items():
        r = rows[sid]
        assert m.group(2) == f"{math.floor(r['distance_m'] * 10 + 1e-9) / 10:,.1f}"
        assert float(m.group(3)) == r["persons"]
        p = re.match(r"incident overpressure ([\d,.]+) kPa, impulse ([\d,.]+) kPa\*ms", m.group(4))
        assert p is not None
        assert _num(p.group(1)) == pytest.approx(r["incident_overpressure_kpa"], rel=5e-3)
        assert _num(p.group(2)) == pytest.approx(r["incident_impulse_kpa_ms"], rel=5e-3)
        assert m.group(5) == r["zone"] + (f" ({r['zone_name']})" if r["zone_name"] else "")
        inside = [x for x in after if x.startswith("    inside: ")]
        assert inside == ([f"    inside: {', '.join(r['in_hazard_zones'])}"] if r["in_hazard_zones"] else [])
        (prob,) = [x for x in after if x.startswith("    probability: ")]
        parts = prob.removeprefix("    probability: ").split("; ")
        assert len(parts) == len(r["injury_probability"])
        for part, pr in zip(parts, r["injury_probability"].values(), strict=True):
            assert _percent_matches(re.search(r"(< 0\.1 %|> 99\.9 %|[\d.]+ %)$", part).group(1), pr)  # type: ignore[union-attr]


def test_effects_text_without_a_blast_event() -> None:
    """A4 holds HD 1.3 only: no mass explosion; the text says so per site and keeps the persons."""
    text, data = _both("effects", str(SAMPLE), "--event", "A4")
    _no_raw_values(text)
    assert data["event"]["neq_kg"] == 0
    for r in data["sites"]:
        assert r["incident_overpressure_kpa"] is None
        line = next(x for x in text.split("\n") if x.startswith(f"  {r['id']}: "))
        assert line == (f"  {r['id']}: {math.floor(r['distance_m'] * 10 + 1e-9) / 10:,.1f} m, "
                        f"{r['persons']:g} person(s); no blast event (no HD 1.1 or 1.5 explodes)")
    assert "note: no HD 1.1/1.5 in the event: no mass explosion" in text
